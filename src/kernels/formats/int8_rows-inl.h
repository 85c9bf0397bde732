// Per-target Highway bodies of the int8 row kernels (included by int8_rows.cc).
#if defined(SHRINK_SRC_KERNELS_FORMATS_INT8_ROWS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SHRINK_SRC_KERNELS_FORMATS_INT8_ROWS_INL_H_
#undef SHRINK_SRC_KERNELS_FORMATS_INT8_ROWS_INL_H_
#else
#define SHRINK_SRC_KERNELS_FORMATS_INT8_ROWS_INL_H_
#endif

#include <cmath>

#include "hwy/highway.h"
#include "src/kernels/formats/int8_rows.h"

HWY_BEFORE_NAMESPACE();
namespace shrink {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

float QuantizeInt8Row(const float* HWY_RESTRICT x, int64_t n, int8_t* HWY_RESTRICT codes) {
  const hn::ScalableTag<float> df;
  const hn::Rebind<int8_t, decltype(df)> d8;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));
  auto vmax = hn::Zero(df);
  int64_t j = 0;
  for (; j + lanes <= n; j += lanes) vmax = hn::Max(vmax, hn::Abs(hn::LoadU(df, x + j)));
  float amax = hn::GetLane(hn::MaxOfLanes(df, vmax));
  for (; j < n; ++j) amax = std::max(amax, std::fabs(x[j]));
  if (!(amax >= 1e-30f)) {
    for (int64_t k = 0; k < n; ++k) codes[k] = 0;
    return 0.0f;
  }
  const float inv = static_cast<float>(kernels::kInt8MaxCode) / amax;
  const auto vinv = hn::Set(df, inv);
  for (j = 0; j + lanes <= n; j += lanes) {
    const auto q = hn::NearestInt(hn::Mul(hn::LoadU(df, x + j), vinv));
    hn::StoreU(hn::DemoteTo(d8, q), d8, codes + j);
  }
  for (; j < n; ++j) codes[j] = static_cast<int8_t>(std::nearbyint(x[j] * inv));
  return amax / static_cast<float>(kernels::kInt8MaxCode);
}

void DequantizeInt8Row(const int8_t* HWY_RESTRICT codes, int64_t n, float scale, float* HWY_RESTRICT out) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::Rebind<int8_t, decltype(df)> d8;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));
  const auto vscale = hn::Set(df, scale);
  int64_t j = 0;
  for (; j + lanes <= n; j += lanes) {
    hn::StoreU(hn::Mul(hn::ConvertTo(df, hn::PromoteTo(di, hn::LoadU(d8, codes + j))), vscale), df, out + j);
  }
  for (; j < n; ++j) out[j] = scale * static_cast<float>(codes[j]);
}

int32_t DotInt8(const int8_t* HWY_RESTRICT w, const int16_t* HWY_RESTRICT x, int64_t n) {
  const hn::ScalableTag<int16_t> d16;
  const hn::Rebind<int8_t, decltype(d16)> d8;
  const hn::Repartition<int32_t, decltype(d16)> d32;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d16));
  // Two independent accumulators (each with the odd-lane partner the API asks for).
  auto a0 = hn::Zero(d32), a1 = hn::Zero(d32), b0 = hn::Zero(d32), b1 = hn::Zero(d32);
  int64_t j = 0;
  for (; j + 2 * lanes <= n; j += 2 * lanes) {
    a0 = hn::ReorderWidenMulAccumulate(d32, hn::PromoteTo(d16, hn::LoadU(d8, w + j)), hn::LoadU(d16, x + j), a0, a1);
    b0 = hn::ReorderWidenMulAccumulate(d32, hn::PromoteTo(d16, hn::LoadU(d8, w + j + lanes)),
                                       hn::LoadU(d16, x + j + lanes), b0, b1);
  }
  for (; j + lanes <= n; j += lanes) {
    a0 = hn::ReorderWidenMulAccumulate(d32, hn::PromoteTo(d16, hn::LoadU(d8, w + j)), hn::LoadU(d16, x + j), a0, a1);
  }
  const auto sum = hn::Add(hn::RearrangeToOddPlusEven(a0, a1), hn::RearrangeToOddPlusEven(b0, b1));
  int32_t total = hn::GetLane(hn::SumOfLanes(d32, sum));
  for (; j < n; ++j) total += static_cast<int32_t>(w[j]) * x[j];
  return total;
}

}  // namespace HWY_NAMESPACE
}  // namespace shrink
HWY_AFTER_NAMESPACE();

#endif  // include guard
