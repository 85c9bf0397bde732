// FormatQuantizer: format option parsing and the decode/size/MatVec shared by quantizer methods.
#include "shrink/quant/format_quantizer.h"

#include <algorithm>

#include "shrink/formats/quant_tensor.h"

namespace shrink {
namespace {

// Returns the format settings given in `options` (defaults are the format's own).
std::map<std::string, std::string> FormatSettingsOf(const Options& options) {
  std::map<std::string, std::string> settings;
  for (const OptionSpec& spec : QuantFormatSpecs()) {
    if (spec.name != "format" && options.Has(spec.name)) settings[spec.name] = options.values().at(spec.name);
  }
  return settings;
}

}  // namespace

std::vector<OptionSpec> FormatQuantizer::WithFormatSpecs(std::vector<OptionSpec> method_specs,
                                                         const std::string& default_format) {
  std::vector<OptionSpec> specs = QuantFormatSpecs();
  for (OptionSpec& spec : specs) {
    if (spec.name == "format") spec.default_value = default_format;
  }
  specs.insert(specs.end(), method_specs.begin(), method_specs.end());
  return specs;
}

FormatQuantizer::FormatQuantizer(const std::string& method, const Options& options,
                                 const std::vector<OptionSpec>& method_specs, const std::string& default_format)
    : reader_(method, options, WithFormatSpecs(method_specs, default_format)), options_(reader_.Resolved()) {
  format_ = MakeQuantFormat(reader_.String("format"), FormatSettingsOf(options));
  for (const auto& [key, value] : format_->Meta()) {  // report the settings the format applies
    if (options_.Has(key)) options_.Set(key, value);
  }
}

void FormatQuantizer::Decompress(const CompressedTensor& compressed, TensorView<float> out) const {
  DequantizeTensor(compressed, out);
}

size_t FormatQuantizer::EstimateBytes(const Shape& shape) const { return QuantTensorBytes(*format_, shape); }

void FormatQuantizer::MatVec(const CompressedTensor& compressed, const float* x, float* y) const {
  QuantMatVec(compressed, x, y);
}

void FormatQuantizer::MatVecInt8(const CompressedTensor& compressed, const float* x, float* y) const {
  QuantMatVecInt8(compressed, x, y);
}

bool FormatQuantizer::MatVecRoundsInput(const CompressedTensor& compressed) const {
  return QuantFormatOf(compressed)->QuantizesActivations();
}

std::vector<float> ChannelImportance(const CalibrationStats* stats, int64_t cols, const std::string& method) {
  if (stats == nullptr) return {};
  if (stats->num_channels() != cols) {
    Fail(ErrorCode::kShapeMismatch, method, ": calibration statistics describe ", stats->num_channels(),
         " input channels, the weight has ", cols);
  }
  const double tokens = std::max<double>(1.0, static_cast<double>(stats->token_count()));
  std::vector<float> importance(static_cast<size_t>(cols));
  for (int64_t j = 0; j < cols; ++j) importance[static_cast<size_t>(j)] = static_cast<float>(stats->gram()(j, j) / tokens);
  return importance;
}

}  // namespace shrink
