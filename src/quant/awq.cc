// AwqQuantizer: options, the per-layer scale search, clipping and the stored input_scale.
#include "shrink/quant/awq.h"

#include <cmath>

#include "shrink/formats/quant_tensor.h"
#include "src/quant/awq_clip.h"
#include "src/quant/awq_error.h"
#include "src/quant/awq_search.h"

namespace shrink {

std::vector<OptionSpec> AwqQuantizer::MethodSpecs() {
  return {
      {"n_grid", OptionType::kInt, "20", "grid points of the α search and of the clipping search", 1, 1000, {}},
      {"auto_clip", OptionType::kBool, "true", "search each block's clipping range on the output error", -INFINITY,
       INFINITY, {}},
      {"max_shrink", OptionType::kDouble, "0.5", "largest fraction of a block's range the clipping search removes",
       0.0, 0.99, {}},
      {"search_rows", OptionType::kInt, "64", "output rows sampled (evenly) by the α search", 1, 1 << 30, {}},
  };
}

AwqQuantizer::AwqQuantizer(const Options& options) : InputScalingQuantizer("awq", options, MethodSpecs()) {
  n_grid_ = static_cast<int>(reader().Int("n_grid"));
  auto_clip_ = reader().Bool("auto_clip");
  max_shrink_ = reader().Double("max_shrink");
  search_rows_ = reader().Int("search_rows");
}

std::vector<float> AwqQuantizer::SearchScales(const std::vector<ScaledLayer>& layers, const CalibrationStats& stats) const {
  return SearchAwqScales(layers, stats, n_grid_, search_rows_);
}

CompressedTensor AwqQuantizer::CompressScaled(TensorView<const float> scaled, const CalibrationStats& stats,
                                              const std::vector<float>& s) const {
  RequireChannels(scaled, stats);
  const std::vector<float> h = ScaledHessian(stats, s, Name());
  const int64_t n = scaled.cols();
  std::vector<float> importance(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; ++j) importance[static_cast<size_t>(j)] = h[static_cast<size_t>(j * n + j)];
  if (!auto_clip_) return QuantizeTensor(format(), scaled, importance.data(), Name());
  const Tensor clipped = ClipBlocks(format(), scaled, h, importance, n_grid_, max_shrink_);
  return QuantizeTensor(format(), clipped.View<float>(), importance.data(), Name());
}

}  // namespace shrink
