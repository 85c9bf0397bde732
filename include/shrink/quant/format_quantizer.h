// FormatQuantizer: the base of every quantizer method; owns the target QuantFormat chosen by the
// shared format options, and decodes, sizes and multiplies any quantized tensor.
#ifndef SHRINK_QUANT_FORMAT_QUANTIZER_H_
#define SHRINK_QUANT_FORMAT_QUANTIZER_H_

#include <memory>
#include <string>
#include <vector>

#include "shrink/compressor.h"
#include "shrink/formats/quant_format.h"

namespace shrink {

class FormatQuantizer : public WeightCompressor {
 public:
  Family family() const override { return Family::kQuantizer; }
  const Options& options() const override { return options_; }
  // Returns the target format.
  const QuantFormat& format() const { return *format_; }

  // Decodes a tensor of any quantized format (not only this method's target).
  void Decompress(const CompressedTensor& compressed, TensorView<float> out) const override;
  size_t EstimateBytes(const Shape& shape) const override;
  bool HasMatVec() const override { return true; }
  void MatVec(const CompressedTensor& compressed, const float* x, float* y) const override;
  void MatVecInt8(const CompressedTensor& compressed, const float* x, float* y) const override;
  bool MatVecRoundsInput(const CompressedTensor& compressed) const override;

 protected:
  // Reads `options` against QuantFormatSpecs() plus `method_specs` (throws kInvalidArgument
  // naming `method` for unknown or bad options) and creates the target format.
  // `default_format` is the format when options name none.
  FormatQuantizer(const std::string& method, const Options& options, const std::vector<OptionSpec>& method_specs,
                  const std::string& default_format = "int");
  // Returns the specs of a method with `method_specs` of its own and `default_format`.
  static std::vector<OptionSpec> WithFormatSpecs(std::vector<OptionSpec> method_specs,
                                                 const std::string& default_format = "int");
  // Returns the value of one of the method's own options.
  const OptionReader& reader() const { return reader_; }

 private:
  OptionReader reader_;
  Options options_;
  std::unique_ptr<QuantFormat> format_;
};

// Returns the per-input-channel importance of `stats` (the diagonal of XᵀX divided by the token
// count), or an empty vector when `stats` is null. Throws kShapeMismatch when its channel count
// is not `cols`, naming `method`.
std::vector<float> ChannelImportance(const CalibrationStats* stats, int64_t cols, const std::string& method);

}  // namespace shrink

#endif  // SHRINK_QUANT_FORMAT_QUANTIZER_H_
