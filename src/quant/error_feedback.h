// GPTQ's column-by-column quantization with error feedback and lazy batch updates (Frantar et
// al. 2022, Algorithm 1), with the per-column rounding left to the caller (GPTQ, SpQR).
#ifndef SHRINK_SRC_QUANT_ERROR_FEEDBACK_H_
#define SHRINK_SRC_QUANT_ERROR_FEEDBACK_H_

#include <cstdint>

#include "shrink/core/tensor.h"
#include "shrink/core/tensor_view.h"
#include "src/quant/hessian.h"

namespace shrink {

// Rounds one column of the working weights; called for rows [r0, r1) of a column at a time,
// concurrently for disjoint row ranges, columns in processing order.
class ColumnRounder {
 public:
  virtual ~ColumnRounder() = default;
  // Rounds processing column k: reads the current weights w[r] and writes the rounded q[r - r0] for
  // r in [r0, r1). `wt` is the whole working copy (n columns x rows, processing order), so a
  // rounder can look ahead at the rest of the column's group (already updated up to column k).
  virtual void Round(int64_t k, const float* wt, int64_t rows, const float* w, float* q, int64_t r0, int64_t r1) = 0;
};

// Returns the working copy RunErrorFeedback runs on: `weight` transposed into processing order
// (column order[k] of the weight becomes row k, `rows` floats), dead channels zeroed.
Tensor ProcessingOrderCopy(const InverseHessianFactor& factor, TensorView<const float> weight);

// Quantizes the transposed working copy `wt` (n rows of `rows` floats: column k of the weight in
// processing order is wt[k * rows, ...)) column by column: each column is rounded, its error
// scaled by 1/U[k][k] is subtracted from the later columns of its lazy block through U's row k,
// and after each block of `block` columns the block's errors update all later columns in one
// matrix product. `wt` ends holding the rounded weights.
void RunErrorFeedback(const InverseHessianFactor& factor, float* wt, int64_t rows, int64_t block,
                      ColumnRounder& rounder);

}  // namespace shrink

#endif  // SHRINK_SRC_QUANT_ERROR_FEEDBACK_H_
