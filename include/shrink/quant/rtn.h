// RtnQuantizer: round-to-nearest integer quantization (2..8 bits, per-channel or per-group).
#ifndef SHRINK_QUANT_RTN_H_
#define SHRINK_QUANT_RTN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "shrink/compressor.h"
#include "shrink/formats/int_grid.h"

namespace shrink {

// Configures RtnQuantizer.
struct RtnConfig {
  IntGridSpec grid;            // bits 2..8, symmetric or not, f16 or f32 scales
  int64_t group_size = 128;    // weights per scale along a row; 0 = one group per row
};

// Quantizes each group of `group_size` consecutive weights of a row to the integer grid of
// formats/int_grid.h by rounding to nearest. Needs no calibration. Options: bits (2..8,
// default 4), group (0 = per channel, default 128), sym (default false), scale_dtype
// (f16|f32, default f16). Has a fused MatVec on the packed codes.
class RtnQuantizer : public WeightCompressor {
 public:
  // Returns the option specs (for the registry and --help).
  static std::vector<OptionSpec> Specs();
  // Builds from options; throws kInvalidArgument for bad values.
  explicit RtnQuantizer(const Options& options = {});

  std::string Name() const override { return "rtn"; }
  Family family() const override { return Family::kQuantizer; }
  const Options& options() const override { return options_; }
  const RtnConfig& config() const { return config_; }

  CompressedTensor Compress(TensorView<const float> weight, const CalibrationStats* stats) const override;
  void Decompress(const CompressedTensor& compressed, TensorView<float> out) const override;
  size_t EstimateBytes(const Shape& shape) const override;
  bool HasMatVec() const override { return true; }
  void MatVec(const CompressedTensor& compressed, const float* x, float* y) const override;

 private:
  RtnConfig config_;
  Options options_;
};

}  // namespace shrink

#endif  // SHRINK_QUANT_RTN_H_
