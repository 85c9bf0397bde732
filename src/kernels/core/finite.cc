// Dynamic dispatch of the finiteness check, and its scalar twin.
#include "src/kernels/core/finite.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/kernels/core/finite.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "src/kernels/core/finite-inl.h"

#if HWY_ONCE
#include <cmath>

namespace shrink {
HWY_EXPORT(AllFinite);

namespace kernels {

bool AllFinite(const float* x, int64_t count) noexcept { return HWY_DYNAMIC_DISPATCH(AllFinite)(x, count); }

bool AllFiniteRef(const float* x, int64_t count) noexcept {
  for (int64_t j = 0; j < count; ++j) {
    if (!std::isfinite(x[j])) return false;
  }
  return true;
}

}  // namespace kernels
}  // namespace shrink
#endif  // HWY_ONCE
