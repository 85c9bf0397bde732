// SpqrQuantizer: options, sizes and the compression driver (inverse Hessian, outlier threshold,
// error feedback with the SpQR rounder).
#include "shrink/quant/spqr.h"

#include <algorithm>
#include <cmath>

#include "shrink/core/tensor.h"
#include "src/core/parallel.h"
#include "src/quant/error_feedback.h"
#include "src/quant/hessian.h"
#include "src/quant/spqr_layout.h"
#include "src/quant/spqr_rounder.h"

namespace shrink {
namespace {

// The largest finite f16: outliers and statistics are stored in f16.
constexpr float kF16Max = 65504.0f;

// Returns τ = relative · mean_k(Var_rows(wt[k]) / U_kk²) over the working copy (processing order).
float OutlierThreshold(const InverseHessianFactor& factor, const float* wt, int64_t rows, double relative) {
  const int64_t n = factor.n;
  std::vector<double> per_column(static_cast<size_t>(n));
  ParallelFor(n, [&](int64_t k) {
    double sum = 0.0, sum_sq = 0.0;
    for (int64_t r = 0; r < rows; ++r) {
      sum += wt[k * rows + r];
      sum_sq += double{wt[k * rows + r]} * wt[k * rows + r];
    }
    const double mean = sum / static_cast<double>(rows);
    const double var = std::max(0.0, sum_sq / static_cast<double>(rows) - mean * mean);
    const double d = factor.u.data<float>()[k * n + k];
    per_column[static_cast<size_t>(k)] = var / (d * d);
  });
  double total = 0.0;
  for (double v : per_column) total += v;
  return static_cast<float>(relative * total / static_cast<double>(n));
}

}  // namespace

std::vector<OptionSpec> SpqrQuantizer::Specs() {
  return {
      {"bits", OptionType::kInt, "3", "bits per weight code", 2, 8, {}},
      {"group", OptionType::kInt, "16", "weights per group along the input dimension", 2, 1024, {}},
      {"stat_bits", OptionType::kInt, "3", "bits of each group's quantized scale and zero", 2, 8, {}},
      {"outlier_threshold", OptionType::kDouble, "0.2",
       "outlier threshold on err²/[H⁻¹]_jj, relative to the mean of Var(W[:,j])/[H⁻¹]_jj", 0.0, 1e6, {}},
      {"max_outliers", OptionType::kDouble, "0.01", "outlier slots per row, as a fraction of its weights (0: none)",
       0.0, 0.5, {}},
      {"damp", OptionType::kDouble, "0.01", "damping added to diag(H), relative to its mean", 0.0, 10.0, {}},
      {"block", OptionType::kInt, "128", "columns per lazy batch update (raised to a multiple of group)", 1,
       1 << 20, {}},
      {"act_order", OptionType::kBool, "false", "quantize and group columns by descending diag(H)", -INFINITY,
       INFINITY, {}},
  };
}

SpqrQuantizer::SpqrQuantizer(const Options& options) {
  const OptionReader reader("spqr", options, Specs());
  options_ = reader.Resolved();
  bits_ = static_cast<int>(reader.Int("bits"));
  stat_bits_ = static_cast<int>(reader.Int("stat_bits"));
  group_ = reader.Int("group");
  block_ = reader.Int("block");
  outlier_threshold_ = reader.Double("outlier_threshold");
  max_outliers_ = reader.Double("max_outliers");
  damp_ = reader.Double("damp");
  act_order_ = reader.Bool("act_order");
}

SpqrLayout SpqrQuantizer::Layout(const Shape& shape) const {
  if (shape.rank() != 2 || shape.rows() <= 0 || shape.cols() <= 0) {
    Fail(ErrorCode::kInvalidArgument, "spqr takes a non-empty 2-D weight, got ", shape.ToString());
  }
  SpqrSettings settings;
  settings.bits = bits_;
  settings.stat_bits = stat_bits_;
  settings.group = group_;
  settings.outlier_capacity = static_cast<int64_t>(std::ceil(max_outliers_ * static_cast<double>(shape.cols())));
  settings.permuted = act_order_;
  return SpqrLayout(shape.rows(), shape.cols(), settings);
}

size_t SpqrQuantizer::EstimateBytes(const Shape& shape) const { return Layout(shape).NumBytes(); }

CompressedTensor SpqrQuantizer::Compress(TensorView<const float> weight, const CalibrationStats* stats) const {
  if (stats == nullptr) {
    Fail(ErrorCode::kInvalidArgument,
         "spqr needs calibration statistics (XᵀX of the layer's inputs); give --calib or --calib-tokens");
  }
  const SpqrLayout layout = Layout(weight.shape());
  const int64_t m = weight.rows(), n = weight.cols();
  if (stats->num_channels() != n) {
    Fail(ErrorCode::kShapeMismatch, "spqr: calibration statistics describe ", stats->num_channels(),
         " input channels, the weight has ", n);
  }
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t c = 0; c < n; ++c) {
      if (!(std::fabs(weight(r, c)) <= kF16Max)) {
        Fail(ErrorCode::kInvalidArgument, "spqr: weight (", r, ", ", c, ") = ", weight(r, c),
             " is not finite or exceeds the f16 range (|w| <= 65504) its outliers and statistics use");
      }
    }
  }
  const InverseHessianFactor factor = FactorInverseHessian(*stats, damp_, act_order_, Name());
  Tensor wt = ProcessingOrderCopy(factor, weight);  // processing order, one column per row
  float* w = wt.data<float>();
  const float tau = OutlierThreshold(factor, w, m, outlier_threshold_);
  SpqrRounder rounder(factor, layout, tau);
  const int64_t lazy = group_ < n ? group_ * std::max<int64_t>(1, block_ / group_) : block_;
  RunErrorFeedback(factor, w, m, lazy, rounder);
  CompressedTensor out("spqr", weight.shape());
  rounder.Finish(out);
  return out;
}

}  // namespace shrink
