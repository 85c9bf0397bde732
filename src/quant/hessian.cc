// FactorInverseHessian: damped Hessian, act-order, and U = chol_upper(H⁻¹) from one Cholesky.
#include "src/quant/hessian.h"

#include <algorithm>
#include <numeric>

#include "shrink/core/error.h"
#include "src/linalg/dense.h"

namespace shrink {

InverseHessianFactor FactorInverseHessian(const CalibrationStats& stats, double damp, bool act_order,
                                          const std::string& method) {
  const int64_t n = stats.num_channels();
  if (stats.token_count() <= 0 || n == 0) {
    Fail(ErrorCode::kInvalidArgument, method, ": the calibration statistics hold no tokens");
  }
  InverseHessianFactor f;
  f.n = n;
  const Eigen::MatrixXd& gram = stats.gram();
  const double tokens = static_cast<double>(stats.token_count());
  f.dead.assign(static_cast<size_t>(n), false);
  double mean_diag = 0.0;
  for (int64_t j = 0; j < n; ++j) {
    f.dead[static_cast<size_t>(j)] = !(gram(j, j) > 0.0);
    mean_diag += f.dead[static_cast<size_t>(j)] ? 1.0 : gram(j, j) / tokens;
  }
  mean_diag /= static_cast<double>(n);
  f.damp_absolute = damp * mean_diag;

  f.order.resize(static_cast<size_t>(n));
  std::iota(f.order.begin(), f.order.end(), int64_t{0});
  if (act_order) {
    std::stable_sort(f.order.begin(), f.order.end(), [&](int64_t a, int64_t b) { return gram(a, a) > gram(b, b); });
  }
  // The reversed, permuted Hessian J P H Pᵀ J: its lower Cholesky factor L' gives
  // U = J L'⁻¹ J, the upper Cholesky factor of (P H Pᵀ)⁻¹, with one factorization and one
  // triangular inverse.
  f.u = Tensor(DType::kF32, Shape{n, n});
  float* h = f.u.data<float>();
  for (int64_t a = 0; a < n; ++a) {
    const int64_t ca = f.order[static_cast<size_t>(n - 1 - a)];
    for (int64_t b = 0; b <= a; ++b) {
      const int64_t cb = f.order[static_cast<size_t>(n - 1 - b)];
      double v = f.dead[static_cast<size_t>(ca)] || f.dead[static_cast<size_t>(cb)] ? 0.0 : gram(ca, cb) / tokens;
      if (a == b) v = (f.dead[static_cast<size_t>(ca)] ? 1.0 : v) + f.damp_absolute;
      h[a * n + b] = static_cast<float>(v);
    }
  }
  if (!linalg::CholeskyLower(h, n)) {
    Fail(ErrorCode::kInvalidArgument, method, ": the layer's Hessian XᵀX is not positive definite with damp=", damp,
         " (relative to its mean diagonal); raise damp (e.g. 0.1) or calibrate on more tokens");
  }
  linalg::InvertLower(h, n);
  // Reverse both axes in place: U[i][j] = L'⁻¹[n-1-i][n-1-j].
  std::reverse(h, h + n * n);
  return f;
}

}  // namespace shrink
