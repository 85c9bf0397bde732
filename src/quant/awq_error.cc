// AWQ's scaled Hessian and per-row output errors (one Gemm per batch of rows).
#include "src/quant/awq_error.h"

#include "shrink/core/error.h"
#include "src/core/parallel.h"
#include "src/linalg/dense.h"

namespace shrink {

std::vector<float> ScaledHessian(const CalibrationStats& stats, const std::vector<float>& s, const std::string& method) {
  const int64_t n = stats.num_channels();
  if (static_cast<int64_t>(s.size()) != n) {
    Fail(ErrorCode::kShapeMismatch, method, ": ", s.size(), " input scales for statistics of ", n, " channels");
  }
  if (stats.token_count() <= 0) {
    Fail(ErrorCode::kInvalidArgument, method, ": the calibration statistics hold no tokens; calibrate on some text");
  }
  const double tokens = static_cast<double>(stats.token_count());
  std::vector<float> h(static_cast<size_t>(n * n));
  ParallelFor(n, [&](int64_t i) {
    const double row = 1.0 / (tokens * s[static_cast<size_t>(i)]);
    for (int64_t j = 0; j < n; ++j) {
      h[static_cast<size_t>(i * n + j)] = static_cast<float>(stats.gram()(j, i) * row / s[static_cast<size_t>(j)]);  // column i: contiguous
    }
  });
  return h;
}

void RowOutputErrors(const float* delta, int64_t rows, int64_t n, const float* h, int64_t ldh, float* product,
                     double* error) {
  linalg::Gemm(false, false, rows, n, n, 1.0f, delta, n, h, ldh, 0.0f, product, n);
  ParallelFor(rows, [&](int64_t r) {
    double sum = 0.0;
    for (int64_t j = 0; j < n; ++j) sum += double{delta[r * n + j]} * product[r * n + j];
    error[r] = sum;
  });
}

}  // namespace shrink
