// GptqQuantizer: GPTQ (Frantar et al., 2022) into any quantized weight format.
#ifndef SHRINK_QUANT_GPTQ_H_
#define SHRINK_QUANT_GPTQ_H_

#include <string>
#include <vector>

#include "shrink/quant/format_quantizer.h"

namespace shrink {

// Quantizes a layer column by column, each column's rounding error fed back onto the columns
// not yet quantized through the Cholesky factor of the inverse Hessian H⁻¹ (H = XᵀX of the
// layer's inputs), with lazy batch updates every `block` columns (raised to a multiple of the
// format's block so that a block's scales are fit on fully updated weights). Each format block
// (a group, a q4_k super-block...) is fit when GPTQ reaches it, on its current weights with
// diag(H) as importance; with act_order, columns go by descending diag(H) and every block is fit
// up front on the original weights ("static groups"). Options: the format options of
// QuantFormatSpecs plus damp (λ = damp * mean diag(H), default 0.01), block (default 128),
// act_order (default false). Needs calibration statistics.
class GptqQuantizer : public FormatQuantizer {
 public:
  static std::vector<OptionSpec> Specs() { return WithFormatSpecs(MethodSpecs()); }
  explicit GptqQuantizer(const Options& options = {});

  std::string Name() const override { return "gptq"; }
  bool NeedsCalibration() const override { return true; }
  CompressedTensor Compress(TensorView<const float> weight, const CalibrationStats* stats) const override;

 private:
  static std::vector<OptionSpec> MethodSpecs();
  double damp_;
  int64_t block_;
  bool act_order_;
};

}  // namespace shrink

#endif  // SHRINK_QUANT_GPTQ_H_
