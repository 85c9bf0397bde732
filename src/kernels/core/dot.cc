// Dynamic dispatch of the f32 dot product, its scalar twin, and the dense MatVec driver.
#include "src/kernels/core/dot.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/kernels/core/dot.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "src/kernels/core/dot-inl.h"

#if HWY_ONCE
#include "shrink/core/error.h"
#include "shrink/core/matvec.h"

namespace shrink {
HWY_EXPORT(DotF32);

namespace kernels {

float DotF32(const float* a, const float* b, int64_t count) noexcept {
  return HWY_DYNAMIC_DISPATCH(DotF32)(a, b, count);
}

float DotF32Ref(const float* a, const float* b, int64_t count) noexcept {
  double sum = 0.0;
  for (int64_t j = 0; j < count; ++j) sum += static_cast<double>(a[j]) * b[j];
  return static_cast<float>(sum);
}

}  // namespace kernels

void MatVecF32(TensorView<const float> weight, const float* x, float* y) {
  if (weight.rank() != 2 || !weight.has_contiguous_rows()) {
    Fail(ErrorCode::kInvalidArgument, "MatVecF32 needs a 2-D weight with contiguous rows, got shape ",
         weight.shape().ToString());
  }
  const int64_t rows = weight.rows(), cols = weight.cols();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < rows; ++i) y[i] = kernels::DotF32(weight.row_data(i), x, cols);
}

}  // namespace shrink
#endif  // HWY_ONCE
