// Lists the compiled SIMD targets, reports the one dispatch uses and lets tests force one.
#include "shrink/core/simd.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/core/simd.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace shrink {
namespace HWY_NAMESPACE {

// Returns the target this copy of the code was compiled for (seen through dynamic dispatch,
// it is the target every dispatched kernel of the library runs on).
inline int64_t DispatchedSimdTarget() { return HWY_TARGET; }

}  // namespace HWY_NAMESPACE
}  // namespace shrink
HWY_AFTER_NAMESPACE();

#if HWY_ONCE

#include "shrink/core/error.h"

namespace shrink {
namespace {

// Returns the targets compiled into the library that the CPU supports, ignoring any forcing:
// captured on first use, before ForceSimdTarget can change what hwy::SupportedTargets says.
int64_t CpuSimdTargets() {
  static const int64_t targets = hwy::SupportedTargets() & HWY_TARGETS;
  return targets;
}

}  // namespace

HWY_EXPORT(DispatchedSimdTarget);

std::vector<SimdTarget> AvailableSimdTargets() {
  std::vector<SimdTarget> targets;
  // Lower bits are better targets in Highway's numbering.
  for (int64_t rest = CpuSimdTargets(); rest != 0; rest &= rest - 1) {
    const int64_t target = rest & -rest;
    targets.push_back(SimdTarget{target, hwy::TargetName(target)});
  }
  return targets;
}

SimdTarget CurrentSimdTarget() {
  const int64_t target = HWY_DYNAMIC_DISPATCH(DispatchedSimdTarget)();
  return SimdTarget{target, hwy::TargetName(target)};
}

void ForceSimdTarget(int64_t target_id) {
  const int64_t available = CpuSimdTargets();
  if (target_id == 0) {
    hwy::SetSupportedTargetsForTest(0);
    return;
  }
  if ((target_id & (target_id - 1)) != 0 || (target_id & available) == 0) {
    Fail(ErrorCode::kInvalidArgument, "SIMD target ", target_id, " (", hwy::TargetName(target_id),
         ") is not one of the targets compiled in and supported by this CPU");
  }
  hwy::SetSupportedTargetsForTest(target_id);
}

}  // namespace shrink

#endif  // HWY_ONCE
