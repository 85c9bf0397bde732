// fp8_e4m3 / fp8_e5m2: weights stored as OCP FP8 bytes times one f32 scale per tensor or per output channel.
//
// Layout of a rows x cols weight (any cols):
//   weight        f8_e4m3 or f8_e5m2 [rows, cols]  the OCP FP8 code of w / scale, rounded to nearest
//                                                  even and saturated to +-fp8_max (-0 stored as +0)
//   scale         f32 [rows, 1]   per output channel (group 0): absmax(row) / fp8_max
//   tensor_scale  f32 [1]         per tensor (group -1): absmax(W) / fp8_max
//   fp8_max is 448 for E4M3 (bias 7, no infinities, S.1111.111 is NaN) and 57344 for E5M2 (bias
//   15, IEEE infinities and NaNs); a scale that would be 0 (an all-zero row or tensor) is 1.
//   w[j] = fp8(code[j]) * scale (one f32 multiplication). A NaN or infinite code, or a per-channel
//   scale that is not finite and >= 0, is corrupt. This is the layout of vLLM / compressed-tensors
//   fp8 checkpoints ("weight" plus a per-tensor or per-channel f32 scale).
// Bits per weight: 8 (+ 32/cols per channel).
// Level table: every finite fp8 value ascending, -0 excluded: 253 levels (E4M3) or 247 (E5M2);
// level i is code 0x80 | (P - i) for i < P and code i - P from P on, P = the positive finite codes
// (126 for E4M3, 123 for E5M2).
// QuantizeRow is the standard fp8 cast of w / scale (ties to even); the generic nearest-level
// path (GPTQ's) breaks exact ties toward the lower level, with the same error. The scale is the
// spec's amax rule, so importance is not used.
#ifndef SHRINK_SRC_FORMATS_FP8_FORMAT_H_
#define SHRINK_SRC_FORMATS_FP8_FORMAT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "shrink/formats/quant_format.h"

namespace shrink {

// An fp8 format (see the file comment). Immutable and thread-safe.
class Fp8Format : public QuantFormat {
 public:
  // Creates the format of `dtype` (kF8E4M3 or kF8E5M2) with a scale per channel or per tensor.
  Fp8Format(DType dtype, bool per_channel);

  std::string Name() const override;
  std::map<std::string, std::string> Meta() const override;
  std::string CheckCols(int64_t cols) const override { return ""; }
  int64_t BlockSize(int64_t cols) const override { return cols; }
  int64_t SubBlockSize(int64_t cols) const override { return cols; }
  std::vector<FormatSection> Sections(int64_t cols) const override;
  const LevelTable& Levels() const override { return levels_; }
  bool UsesTensorScale() const override { return !per_channel_; }
  // Returns absmax / fp8_max, or 1 when that is not positive.
  float TensorScale(float absmax) const override;

  void FitBlock(const float* x, const float* importance, int64_t n, int64_t begin, const TensorContext& ctx,
                RowRef row, SubBlockGrid* grids) const override;
  void PutLevels(const uint8_t* levels, int64_t cols, RowRef row) const override;
  void QuantizeRow(const float* x, const float* importance, int64_t cols, const TensorContext& ctx,
                   RowRef row) const override;
  // Quantizes a row with the scalar reference encoder (the same bytes as QuantizeRow).
  void QuantizeRowRef(const float* x, const float* importance, int64_t cols, const TensorContext& ctx,
                      RowRef row) const;
  void DequantizeRow(ConstRowRef row, int64_t cols, float tensor_scale, float* out) const override;
  void DequantizeRowRef(ConstRowRef row, int64_t cols, float tensor_scale, float* out) const override;
  // Returns the dot product computed from the codes (`scratch` is not used).
  float DotRow(ConstRowRef row, int64_t cols, float tensor_scale, const float* x, float* scratch) const override;
  // Throws kCorruptData for a bad per-channel scale or a NaN / infinite code.
  void ValidateRow(ConstRowRef row, int64_t cols, int64_t row_index) const override;

 private:
  // Returns the scale of a row of weights whose largest magnitude is `absmax`.
  float ScaleFor(float absmax) const;
  // Chooses and stores (per channel) the scale of the row x[0, cols); returns it.
  float FitRowScale(const float* x, int64_t cols, const TensorContext& ctx, RowRef row) const;
  // Returns the scale a stored row decodes with.
  float RowScale(ConstRowRef row, float tensor_scale) const;

  DType dtype_;
  bool per_channel_;
  float max_;               // largest finite value
  uint8_t positive_codes_;  // P of the file comment
  LevelTable levels_;
};

// Returns the fp8 format `name` ("fp8_e4m3" or "fp8_e5m2") for `group` -1 (per tensor) or 0
// (per output channel); throws kInvalidArgument for any other group, naming what works.
std::unique_ptr<QuantFormat> MakeFp8Format(const std::string& name, int64_t group);

}  // namespace shrink

#endif  // SHRINK_SRC_FORMATS_FP8_FORMAT_H_
