// RtnQuantizer: round to nearest in the target format, with optional per-channel importance.
#include "shrink/quant/rtn.h"

#include "shrink/formats/quant_tensor.h"

namespace shrink {

CompressedTensor RtnQuantizer::Compress(TensorView<const float> weight, const CalibrationStats* stats) const {
  const std::vector<float> importance = ChannelImportance(stats, weight.cols(), Name());
  return QuantizeTensor(format(), weight, importance.empty() ? nullptr : importance.data(), Name());
}

}  // namespace shrink
