// Per-target Highway body of the f32 dot product (included by dot.cc).
#if defined(SHRINK_SRC_KERNELS_CORE_DOT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SHRINK_SRC_KERNELS_CORE_DOT_INL_H_
#undef SHRINK_SRC_KERNELS_CORE_DOT_INL_H_
#else
#define SHRINK_SRC_KERNELS_CORE_DOT_INL_H_
#endif

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace shrink {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Four independent accumulators hide the FMA latency; the tail is scalar.
float DotF32(const float* HWY_RESTRICT a, const float* HWY_RESTRICT b, int64_t count) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  auto s0 = hn::Zero(d), s1 = hn::Zero(d), s2 = hn::Zero(d), s3 = hn::Zero(d);
  int64_t j = 0;
  for (; j + 4 * lanes <= count; j += 4 * lanes) {
    s0 = hn::MulAdd(hn::LoadU(d, a + j), hn::LoadU(d, b + j), s0);
    s1 = hn::MulAdd(hn::LoadU(d, a + j + lanes), hn::LoadU(d, b + j + lanes), s1);
    s2 = hn::MulAdd(hn::LoadU(d, a + j + 2 * lanes), hn::LoadU(d, b + j + 2 * lanes), s2);
    s3 = hn::MulAdd(hn::LoadU(d, a + j + 3 * lanes), hn::LoadU(d, b + j + 3 * lanes), s3);
  }
  for (; j + lanes <= count; j += lanes) s0 = hn::MulAdd(hn::LoadU(d, a + j), hn::LoadU(d, b + j), s0);
  float sum = hn::GetLane(hn::SumOfLanes(d, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3))));
  for (; j < count; ++j) sum += a[j] * b[j];
  return sum;
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace shrink
HWY_AFTER_NAMESPACE();

#endif  // include guard toggle
