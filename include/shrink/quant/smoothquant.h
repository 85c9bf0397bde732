// SmoothQuantQuantizer: SmoothQuant (Xiao et al., 2023), which migrates activation outliers into
// the weights so that both quantize to 8 bits (W8A8).
#ifndef SHRINK_QUANT_SMOOTHQUANT_H_
#define SHRINK_QUANT_SMOOTHQUANT_H_

#include <string>
#include <vector>

#include "shrink/quant/input_scaling.h"

namespace shrink {

// Per input channel j, s_j = max|x_j|^α / max|W_:j|^(1-α) (both maxima clamped to >= 1e-5, as
// the reference code does; the weight maximum is taken over every layer of a group sharing the
// input), so that x / s and W·diag(s) have balanced ranges. W·diag(s) is rounded to nearest in
// the target format, by default "w8a8": int8 weights per output channel and int8 activations
// quantized per token by the fused MatVec. Options: the format options of QuantFormatSpecs
// (format default w8a8) and alpha (0.5, the migration strength). Needs calibration statistics
// (their per-channel max |x|). QuantizeModel folds s into the RMSNorm before q/k/v and gate/up,
// as the reference does; attn_output and ffn_down, which the reference leaves unsmoothed, are
// smoothed too through their own input_scale, which MatVec applies to x before rounding it.
class SmoothQuantQuantizer : public InputScalingQuantizer {
 public:
  static std::vector<OptionSpec> Specs() { return WithFormatSpecs(MethodSpecs(), "w8a8"); }
  // Builds from options; throws kInvalidArgument for bad values.
  explicit SmoothQuantQuantizer(const Options& options = {});

  std::string Name() const override { return "smoothquant"; }
  std::vector<float> SearchScales(const std::vector<ScaledLayer>& layers, const CalibrationStats& stats) const override;
  CompressedTensor CompressScaled(TensorView<const float> scaled, const CalibrationStats& stats,
                                  const std::vector<float>& s) const override;

 private:
  static std::vector<OptionSpec> MethodSpecs();
  double alpha_;
};

}  // namespace shrink

#endif  // SHRINK_QUANT_SMOOTHQUANT_H_
