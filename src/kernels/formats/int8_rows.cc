// Dynamic dispatch of the int8 row kernels, and their scalar Ref twins.
#include "src/kernels/formats/int8_rows.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/kernels/formats/int8_rows.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "src/kernels/formats/int8_rows-inl.h"

#if HWY_ONCE
#include <algorithm>
#include <cmath>

namespace shrink {
HWY_EXPORT(QuantizeInt8Row);
HWY_EXPORT(DequantizeInt8Row);
HWY_EXPORT(DotInt8);

namespace kernels {

float QuantizeInt8Row(const float* x, int64_t n, int8_t* codes) noexcept {
  return HWY_DYNAMIC_DISPATCH(QuantizeInt8Row)(x, n, codes);
}

void DequantizeInt8Row(const int8_t* codes, int64_t n, float scale, float* out) noexcept {
  HWY_DYNAMIC_DISPATCH(DequantizeInt8Row)(codes, n, scale, out);
}

int32_t DotInt8(const int8_t* w, const int16_t* x, int64_t n) noexcept { return HWY_DYNAMIC_DISPATCH(DotInt8)(w, x, n); }

float QuantizeInt8RowRef(const float* x, int64_t n, int8_t* codes) noexcept {
  float amax = 0.0f;
  for (int64_t j = 0; j < n; ++j) amax = std::max(amax, std::fabs(x[j]));
  if (!(amax >= 1e-30f)) {
    std::fill(codes, codes + n, int8_t{0});
    return 0.0f;
  }
  const float inv = static_cast<float>(kInt8MaxCode) / amax;
  for (int64_t j = 0; j < n; ++j) codes[j] = static_cast<int8_t>(std::nearbyint(x[j] * inv));
  return amax / static_cast<float>(kInt8MaxCode);
}

void DequantizeInt8RowRef(const int8_t* codes, int64_t n, float scale, float* out) noexcept {
  for (int64_t j = 0; j < n; ++j) out[j] = scale * static_cast<float>(codes[j]);
}

int32_t DotInt8Ref(const int8_t* w, const int16_t* x, int64_t n) noexcept {
  int64_t total = 0;
  for (int64_t j = 0; j < n; ++j) total += static_cast<int64_t>(w[j]) * x[j];
  return static_cast<int32_t>(total);
}

}  // namespace kernels
}  // namespace shrink
#endif  // HWY_ONCE
