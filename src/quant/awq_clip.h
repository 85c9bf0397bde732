// AWQ's clipping search: per output row and format block, the shrink of the block's range that
// rounds with the least output error on the block.
#ifndef SHRINK_SRC_QUANT_AWQ_CLIP_H_
#define SHRINK_SRC_QUANT_AWQ_CLIP_H_

#include <vector>

#include "shrink/core/tensor.h"
#include "shrink/core/tensor_view.h"
#include "shrink/formats/quant_format.h"

namespace shrink {

// Returns a copy of `weight` (rows x n) whose every format block (of format.BlockSize(n)
// weights of a row) is clamped to ±(1 − i / n_grid)·max|w| for the i < max_shrink · n_grid
// whose rounding in `format` (scale searches weighted by `importance`, n values) gives the least
// δᵀ H_bb δ, H_bb being the block's diagonal block of `h` (n x n, row-major), or its diagonal for
// blocks wider than 512. i = 0 (no clipping) wins ties.
Tensor ClipBlocks(const QuantFormat& format, TensorView<const float> weight, const std::vector<float>& h,
                  const std::vector<float>& importance, int n_grid, double max_shrink);

}  // namespace shrink

#endif  // SHRINK_SRC_QUANT_AWQ_CLIP_H_
