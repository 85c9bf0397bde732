// InputScalingQuantizer: one tensor's scale search, scaling, quantization and input_scale.
#include "shrink/quant/input_scaling.h"

#include "shrink/core/tensor.h"
#include "shrink/formats/quant_tensor.h"

namespace shrink {

size_t InputScalingQuantizer::EstimateBytes(const Shape& shape) const {
  return FormatQuantizer::EstimateBytes(shape) + static_cast<size_t>(shape.cols()) * sizeof(float);
}

void InputScalingQuantizer::RequireChannels(TensorView<const float> weight, const CalibrationStats& stats) const {
  if (weight.rank() != 2 || weight.cols() != stats.num_channels()) {
    Fail(ErrorCode::kShapeMismatch, Name(), ": calibration statistics describe ", stats.num_channels(),
         " input channels, the weight ", weight.shape().ToString(), " has ", weight.rank() == 2 ? weight.cols() : 0);
  }
}

CompressedTensor InputScalingQuantizer::Compress(TensorView<const float> weight, const CalibrationStats* stats) const {
  if (stats == nullptr) {
    Fail(ErrorCode::kInvalidArgument, Name(),
         " needs calibration statistics of the layer's inputs; give --calib or --calib-tokens");
  }
  const std::vector<float> s = SearchScales({ScaledLayer{weight, &format()}}, *stats);
  const int64_t m = weight.rows(), n = weight.cols();
  Tensor scaled(DType::kF32, weight.shape());
  float* ws = scaled.data<float>();
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t j = 0; j < n; ++j) ws[r * n + j] = weight(r, j) * s[static_cast<size_t>(j)];
  }
  CompressedTensor out = CompressScaled(scaled.View<float>(), *stats, s);
  std::vector<float> inverse(s.size());
  for (size_t j = 0; j < s.size(); ++j) inverse[j] = 1.0f / s[j];
  AttachInputScale(out, inverse);
  return out;
}

}  // namespace shrink
