// Per-target Highway body of the finiteness check (included by finite.cc).
#if defined(SHRINK_SRC_KERNELS_CORE_FINITE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SHRINK_SRC_KERNELS_CORE_FINITE_INL_H_
#undef SHRINK_SRC_KERNELS_CORE_FINITE_INL_H_
#else
#define SHRINK_SRC_KERNELS_CORE_FINITE_INL_H_
#endif

#include <cmath>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace shrink {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// A float is NaN or infinite exactly when its exponent field is all ones, so the row is finite
// when the largest exponent field (unsigned max of the masked bits) is below that.
bool AllFinite(const float* HWY_RESTRICT x, int64_t count) {
  const hn::ScalableTag<uint32_t> du;
  const hn::Rebind<float, decltype(du)> df;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(du));
  const auto exponent = hn::Set(du, 0x7F800000u);
  auto m0 = hn::Zero(du), m1 = hn::Zero(du);
  int64_t j = 0;
  for (; j + 2 * lanes <= count; j += 2 * lanes) {
    m0 = hn::Max(m0, hn::And(hn::BitCast(du, hn::LoadU(df, x + j)), exponent));
    m1 = hn::Max(m1, hn::And(hn::BitCast(du, hn::LoadU(df, x + j + lanes)), exponent));
  }
  for (; j + lanes <= count; j += lanes) m0 = hn::Max(m0, hn::And(hn::BitCast(du, hn::LoadU(df, x + j)), exponent));
  bool finite = hn::GetLane(hn::MaxOfLanes(du, hn::Max(m0, m1))) != 0x7F800000u;
  for (; j < count; ++j) finite = finite && std::isfinite(x[j]);
  return finite;
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace shrink
HWY_AFTER_NAMESPACE();

#endif  // include guard toggle
