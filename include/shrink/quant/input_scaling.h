// InputScalingQuantizer: the base of the methods that scale a layer's input channels before
// rounding (AWQ, SmoothQuant): W·diag(s) is quantized, and the input it multiplies is x / s.
#ifndef SHRINK_QUANT_INPUT_SCALING_H_
#define SHRINK_QUANT_INPUT_SCALING_H_

#include <string>
#include <vector>

#include "shrink/quant/format_quantizer.h"

namespace shrink {

// One layer of a group that reads the same input: its weight and the format it is quantized to.
struct ScaledLayer {
  TensorView<const float> weight;  // out_features x in_features
  const QuantFormat* format = nullptr;
};

// A quantizer that chooses per-input-channel scales s > 0 from calibration statistics. On one
// tensor, Compress stores Q(W·diag(s)) plus the section input_scale = 1/s (the decoded column j
// is multiplied by it, and MatVec scales x by it). QuantizeModel instead searches one s per
// group of layers reading a norm's output and folds it into the norm, so those layers carry no
// input_scale.
class InputScalingQuantizer : public FormatQuantizer {
 public:
  bool NeedsCalibration() const override { return true; }
  // Returns the bytes of the format's sections plus the f32 input_scale.
  size_t EstimateBytes(const Shape& shape) const override;
  CompressedTensor Compress(TensorView<const float> weight, const CalibrationStats* stats) const override;

  // Returns the scales s (in_features values > 0) for `layers`, which all read the inputs
  // `stats` describes. Throws kShapeMismatch when a layer's column count is not the statistics'
  // channel count, kInvalidArgument when the statistics hold no tokens.
  virtual std::vector<float> SearchScales(const std::vector<ScaledLayer>& layers,
                                          const CalibrationStats& stats) const = 0;
  // Quantizes `scaled` = W·diag(s), whose inputs are those `stats` describes divided by s;
  // returns it without input_scale.
  virtual CompressedTensor CompressScaled(TensorView<const float> scaled, const CalibrationStats& stats,
                                          const std::vector<float>& s) const = 0;

 protected:
  using FormatQuantizer::FormatQuantizer;
  // Throws kShapeMismatch unless `weight` has one column per channel of `stats`.
  void RequireChannels(TensorView<const float> weight, const CalibrationStats& stats) const;
};

}  // namespace shrink

#endif  // SHRINK_QUANT_INPUT_SCALING_H_
