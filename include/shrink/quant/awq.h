// AwqQuantizer: AWQ (Lin et al., 2023, activation-aware weight quantization) into any format.
#ifndef SHRINK_QUANT_AWQ_H_
#define SHRINK_QUANT_AWQ_H_

#include <cstdint>
#include <string>
#include <vector>

#include "shrink/quant/input_scaling.h"

namespace shrink {

// Protects the weights of salient input channels by scaling them up before rounding:
// s_j = mean|x_j|^α (clamped to ≥ 1e-4, divided by sqrt(max s · min s) as the reference code
// does), α searched on the grid k / n_grid, k = 0..n_grid-1, minimising the layer's output error
// tr((W − Ŵ) H (W − Ŵ)ᵀ) with H = XᵀX / tokens and Ŵ = Q(W·diag(s))·diag(1/s), Q being
// round-to-nearest in the target format (scale searches weighted by diag(H)/s²). On wide layers
// the α search evaluates an evenly spaced sample of at most `search_rows` output rows (the
// reference code samples calibration tokens instead). Then, with auto_clip, AWQ's clipping
// search: for every output row and format block, the block's max |w| is shrunk by i / n_grid,
// i < max_shrink · n_grid, keeping the shrink with the least output error restricted to the
// block (δᵀ H_bb δ over the block's diagonal block of H; its diagonal only for blocks wider
// than 512). Stores Q(W·diag(s)) in the target format plus the section input_scale = 1/s (the
// decoded column j is multiplied by it). Options: the format options of QuantFormatSpecs
// (its "clip" is the int format's own MSE clip), n_grid (20), auto_clip (true), max_shrink
// (0.5), search_rows (64). Needs calibration statistics. QuantizeModel folds s into the
// RMSNorm before q/k/v and gate/up, so those tensors carry no input_scale.
class AwqQuantizer : public InputScalingQuantizer {
 public:
  static std::vector<OptionSpec> Specs() { return WithFormatSpecs(MethodSpecs()); }
  // Builds from options; throws kInvalidArgument for bad values.
  explicit AwqQuantizer(const Options& options = {});

  std::string Name() const override { return "awq"; }
  // Returns the s that minimises the summed output error of `layers` (the α search above).
  std::vector<float> SearchScales(const std::vector<ScaledLayer>& layers, const CalibrationStats& stats) const override;
  // Runs the clipping search (with auto_clip), then rounds to nearest in the target format.
  CompressedTensor CompressScaled(TensorView<const float> scaled, const CalibrationStats& stats,
                                  const std::vector<float>& s) const override;

 private:
  static std::vector<OptionSpec> MethodSpecs();
  int n_grid_;
  bool auto_clip_;
  double max_shrink_;
  int64_t search_rows_;
};

}  // namespace shrink

#endif  // SHRINK_QUANT_AWQ_H_
