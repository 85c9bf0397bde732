// The inverse-Hessian factor shared by GPTQ-style methods (GPTQ, SpQR): H = XᵀX / tokens from
// calibration statistics, dead channels fixed, damped, optionally permuted by act-order, and the
// upper Cholesky factor U of H⁻¹ (H⁻¹ = Uᵀ U) that drives column-by-column error feedback.
#ifndef SHRINK_SRC_QUANT_HESSIAN_H_
#define SHRINK_SRC_QUANT_HESSIAN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "shrink/calibration_stats.h"
#include "shrink/core/tensor.h"

namespace shrink {

// Holds U (n x n, row-major, upper-triangular) in processing order and the column order.
struct InverseHessianFactor {
  int64_t n = 0;
  Tensor u;                       // f32 [n, n]: U[i][j] = u.data<float>()[i * n + j]
  std::vector<int64_t> order;     // order[k] = the input channel processed k-th
  std::vector<bool> dead;         // channels never active (diag(H) == 0): their weights are zeroed
  double damp_absolute = 0.0;     // the λ added to diag(H)
};

// Builds the factor from `stats` (n input channels): H = gram / tokens; dead channels get
// H[d][d] = 1; λ = damp * mean(diag(H)) is added to the diagonal; with `act_order` the
// channels are processed by descending diag(H). Throws kInvalidArgument naming `method` when
// the statistics hold no tokens or H + λI is not positive definite (suggesting a larger damp).
InverseHessianFactor FactorInverseHessian(const CalibrationStats& stats, double damp, bool act_order,
                                          const std::string& method);

}  // namespace shrink

#endif  // SHRINK_SRC_QUANT_HESSIAN_H_
