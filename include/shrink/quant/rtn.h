// RtnQuantizer: round-to-nearest into any quantized weight format (the baseline quantizer).
#ifndef SHRINK_QUANT_RTN_H_
#define SHRINK_QUANT_RTN_H_

#include <string>
#include <vector>

#include "shrink/quant/format_quantizer.h"

namespace shrink {

// Rounds every weight to the nearest level of the target format (options of
// QuantFormatSpecs: format, bits, group, sym, scale_dtype, clip). Needs no calibration; when
// statistics are given, the formats' scale searches weigh each input channel by its mean
// squared activation (the importance matrix of llama.cpp). Has a fused MatVec.
class RtnQuantizer : public FormatQuantizer {
 public:
  static std::vector<OptionSpec> Specs() { return WithFormatSpecs({}); }
  // Builds from options; throws kInvalidArgument for bad values.
  explicit RtnQuantizer(const Options& options = {}) : FormatQuantizer("rtn", options, {}) {}

  std::string Name() const override { return "rtn"; }
  CompressedTensor Compress(TensorView<const float> weight, const CalibrationStats* stats) const override;
};

}  // namespace shrink

#endif  // SHRINK_QUANT_RTN_H_
