// SmoothQuantQuantizer: the smoothing scales from max |x| and max |W|, and the rounding.
#include "shrink/quant/smoothquant.h"

#include <algorithm>
#include <cmath>

#include "shrink/formats/quant_tensor.h"

namespace shrink {
namespace {

// The floor of both maxima in s = max|x|^α / max|W|^(1-α) (the reference code's clamp).
constexpr float kMinMagnitude = 1e-5f;

}  // namespace

std::vector<OptionSpec> SmoothQuantQuantizer::MethodSpecs() {
  return {{"alpha", OptionType::kDouble, "0.5",
           "migration strength: 0 keeps activations as they are, 1 moves all their range into the weights", 0.0,
           1.0, {}}};
}

SmoothQuantQuantizer::SmoothQuantQuantizer(const Options& options)
    : InputScalingQuantizer("smoothquant", options, MethodSpecs(), "w8a8") {
  alpha_ = reader().Double("alpha");
}

std::vector<float> SmoothQuantQuantizer::SearchScales(const std::vector<ScaledLayer>& layers,
                                                      const CalibrationStats& stats) const {
  if (stats.token_count() == 0) Fail(ErrorCode::kInvalidArgument, Name(), ": calibration statistics hold no tokens");
  const int64_t n = stats.num_channels();
  std::vector<float> w_max(static_cast<size_t>(n), 0.0f);
  for (const ScaledLayer& layer : layers) {
    RequireChannels(layer.weight, stats);
    for (int64_t r = 0; r < layer.weight.rows(); ++r) {
      for (int64_t j = 0; j < n; ++j) {
        w_max[static_cast<size_t>(j)] = std::max(w_max[static_cast<size_t>(j)], std::fabs(layer.weight(r, j)));
      }
    }
  }
  std::vector<float> s(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; ++j) {
    const double x = std::max(stats.MaxAbs()[j], kMinMagnitude);
    const double w = std::max(w_max[static_cast<size_t>(j)], kMinMagnitude);
    s[static_cast<size_t>(j)] = static_cast<float>(std::max(std::pow(x, alpha_) / std::pow(w, 1.0 - alpha_),
                                                            static_cast<double>(kMinMagnitude)));
  }
  return s;
}

CompressedTensor SmoothQuantQuantizer::CompressScaled(TensorView<const float> scaled, const CalibrationStats& stats,
                                                      const std::vector<float>& s) const {
  RequireChannels(scaled, stats);
  // The smoothed inputs are x / s: their mean square, per channel, weighs formats' scale searches.
  const Eigen::VectorXd mean_square = stats.MeanSquare();
  std::vector<float> importance(s.size());
  for (size_t j = 0; j < s.size(); ++j) importance[j] = static_cast<float>(mean_square[static_cast<Eigen::Index>(j)] / (double{s[j]} * s[j]));
  return QuantizeTensor(format(), scaled, importance.data(), Name());
}

}  // namespace shrink
