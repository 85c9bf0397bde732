// AWQ's objective pieces: the Hessian H = XᵀX / tokens seen through input scales, and the
// output error tr(Δ H Δᵀ) of a block of weight errors, computed with the dense kernels.
#ifndef SHRINK_SRC_QUANT_AWQ_ERROR_H_
#define SHRINK_SRC_QUANT_AWQ_ERROR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "shrink/calibration_stats.h"

namespace shrink {

// Returns H' = diag(1/s) H diag(1/s) (n x n f32, row-major) with H = gram / tokens: the
// Hessian of the inputs X·diag(1/s) that a weight W·diag(s) reads. Throws kShapeMismatch when
// s.size() is not the channel count and kInvalidArgument when the statistics hold no tokens,
// naming `method`.
std::vector<float> ScaledHessian(const CalibrationStats& stats, const std::vector<float>& s, const std::string& method);

// Writes into `error` (rows values) the output error δᵢᵀ H δᵢ of every row δᵢ of `delta`
// (rows x n, row-major) for the symmetric `h` (n x n, leading dimension ldh); `product` is
// scratch of rows x n floats.
void RowOutputErrors(const float* delta, int64_t rows, int64_t n, const float* h, int64_t ldh, float* product,
                     double* error);

}  // namespace shrink

#endif  // SHRINK_SRC_QUANT_AWQ_ERROR_H_
