// AWQ's α grid search: round W·diag(s) to nearest, measure tr(Δ H Δᵀ), keep the best s.
#include "src/quant/awq_search.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "shrink/core/error.h"
#include "shrink/core/tensor.h"
#include "shrink/formats/quant_tensor.h"
#include "src/core/parallel.h"
#include "src/quant/awq_error.h"

namespace shrink {
namespace {

// Holds the evenly spaced rows of one layer that the search evaluates.
struct RowSample {
  Tensor rows;         // f32 [sampled, cols]
  double weight = 1;   // total rows / sampled rows
  const QuantFormat* format = nullptr;
};

RowSample SampleRows(const ScaledLayer& layer, int64_t search_rows) {
  const int64_t rows = layer.weight.rows(), cols = layer.weight.cols();
  const int64_t sampled = std::min(rows, std::max<int64_t>(1, search_rows));
  RowSample sample;
  sample.rows = Tensor(DType::kF32, Shape{sampled, cols});
  sample.weight = static_cast<double>(rows) / static_cast<double>(sampled);
  sample.format = layer.format;
  float* out = sample.rows.data<float>();
  ParallelFor(sampled, [&](int64_t k) {
    const int64_t r = k * rows / sampled;
    for (int64_t j = 0; j < cols; ++j) out[k * cols + j] = layer.weight(r, j);
  });
  return sample;
}

// Returns the output error of `sample` rounded to nearest after scaling its columns by `s`.
double ScaledRoundingError(const RowSample& sample, const std::vector<float>& s, const std::vector<float>& importance,
                           const std::vector<float>& h) {
  const int64_t m = sample.rows.shape().rows(), n = sample.rows.shape().cols();
  const float* w = sample.rows.data<float>();
  Tensor scaled(DType::kF32, Shape{m, n});
  float* ws = scaled.data<float>();
  ParallelFor(m, [&](int64_t r) {
    for (int64_t j = 0; j < n; ++j) ws[r * n + j] = w[r * n + j] * s[static_cast<size_t>(j)];
  });
  const CompressedTensor q = QuantizeTensor(*sample.format, scaled.View<float>(), importance.data(), "awq");
  DequantizeTensor(q, scaled.View<float>());
  ParallelFor(m, [&](int64_t r) {  // scaled becomes Δ = W − Q(W·diag(s))·diag(1/s)
    for (int64_t j = 0; j < n; ++j) ws[r * n + j] = w[r * n + j] - ws[r * n + j] / s[static_cast<size_t>(j)];
  });
  std::vector<float> product(static_cast<size_t>(m * n));
  std::vector<double> error(static_cast<size_t>(m));
  RowOutputErrors(ws, m, n, h.data(), n, product.data(), error.data());
  double sum = 0.0;
  for (double e : error) sum += e;
  return sum * sample.weight;
}

}  // namespace

std::vector<float> AwqScalesForAlpha(const Eigen::VectorXd& mean_abs, double alpha) {
  std::vector<float> s(static_cast<size_t>(mean_abs.size()));
  for (size_t j = 0; j < s.size(); ++j) {
    s[j] = std::max(static_cast<float>(std::pow(mean_abs(static_cast<Eigen::Index>(j)), alpha)), 1e-4f);
  }
  const auto [lo, hi] = std::minmax_element(s.begin(), s.end());
  const float norm = std::sqrt(*lo * *hi);
  for (float& v : s) v /= norm;
  return s;
}

std::vector<float> SearchAwqScales(const std::vector<ScaledLayer>& layers, const CalibrationStats& stats, int n_grid,
                                   int64_t search_rows) {
  const int64_t n = stats.num_channels();
  std::vector<RowSample> samples;
  for (const ScaledLayer& layer : layers) {
    if (layer.weight.rank() != 2 || layer.weight.cols() != n) {
      Fail(ErrorCode::kShapeMismatch, "awq: calibration statistics describe ", n, " input channels, the weight ",
           layer.weight.shape().ToString(), " has ", layer.weight.rank() == 2 ? layer.weight.cols() : 0);
    }
    if (layer.format == nullptr) Fail(ErrorCode::kInternal, "awq: a layer of the scale search has no format");
    samples.push_back(SampleRows(layer, search_rows));
  }
  const std::vector<float> h = ScaledHessian(stats, std::vector<float>(static_cast<size_t>(n), 1.0f), "awq");
  const Eigen::VectorXd mean_abs = stats.MeanAbs();
  std::vector<float> best;
  double best_error = std::numeric_limits<double>::infinity();
  for (int k = 0; k < n_grid; ++k) {
    std::vector<float> s = AwqScalesForAlpha(mean_abs, static_cast<double>(k) / n_grid);
    std::vector<float> importance(static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j) {
      const float sj = s[static_cast<size_t>(j)];
      importance[static_cast<size_t>(j)] = h[static_cast<size_t>(j * n + j)] / (sj * sj);
    }
    double error = 0.0;
    for (const RowSample& sample : samples) error += ScaledRoundingError(sample, s, importance, h);
    if (error < best_error || best.empty()) {
      best_error = error;
      best = std::move(s);
    }
  }
  return best;
}

}  // namespace shrink
