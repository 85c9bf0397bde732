// Dense f32 matrix-vector product, the baseline every compressed MatVec is measured against.
#ifndef SHRINK_CORE_MATVEC_H_
#define SHRINK_CORE_MATVEC_H_

#include "shrink/core/tensor_view.h"

namespace shrink {

// Computes y = W x for a 2-D `weight` (rows x cols, rows contiguous) with SIMD dot products,
// rows split over NumThreads() threads. x has cols elements, y rows; they must not overlap W.
// Throws kInvalidArgument when the rows of `weight` are not contiguous.
void MatVecF32(TensorView<const float> weight, const float* x, float* y);

}  // namespace shrink

#endif  // SHRINK_CORE_MATVEC_H_
