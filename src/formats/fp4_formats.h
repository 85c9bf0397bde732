// The 4-bit block formats (nf4, mxfp4, nvfp4) as one QuantFormat class, and the E2M1 formats mxfp4 and nvfp4.
//
// Element code E2M1 (OCP MX v1.0 FP4), shared by mxfp4 and nvfp4: bit 3 sign, bits 2-1 exponent
// (bias 1), bit 0 mantissa; codes 0..7 are 0, 0.5, 1, 1.5, 2, 3, 4, 6 and codes 8..15 their
// negatives (code 8 is -0 and decodes to -0.0). The level table is the 15 values -6..6 ascending
// (-0 dropped); level i is code 15 - i for i < 7 and code i - 7 from 7 on.
// Two codes per byte, weight 2i in the low nibble of byte i and weight 2i+1 in the high nibble
// (the packing of PyTorch's float4_e2m1fn_x2: the first value in bits 3..0).
//
// mxfp4 (OCP Microscaling Formats v1.0, MXFP4), rows of cols weights (cols % 32 == 0):
//   packed  u8 [rows, cols/2]   E2M1 codes as above
//   scale   u8 [rows, cols/32]  E8M0 shared scale of each block of 32: byte e means 2^(e-127);
//                               0xFF is the E8M0 NaN and rejected as corrupt
//   w[j] = e2m1(code[j]) * 2^(e[j/32] - 127), exactly (every product is a float).
//   Bits per weight: 4 + 8/32 = 4.25. The spec's scale is 2^(floor(log2 amax) - 2); the encoder
//   also tries the next power of two (no clipping of amax/2^e in (6, 8) to 6) and keeps it when
//   the block's (importance-weighted) squared error is strictly lower (Gaussian weights: relative
//   RMS error 0.1151 -> 0.1116).
//   This llama.cpp has no block_mxfp4, so the layout is the OCP one in two sections rather
//   than a ggml block.
//
// nvfp4 (NVIDIA NVFP4), rows of cols weights (cols % 16 == 0):
//   packed        u8  [rows, cols/2]   E2M1 codes as above
//   scale         u8  [rows, cols/16]  f8 e4m3fn scale of each block of 16 (positive; a set
//                                      sign bit or the NaN code is rejected as corrupt)
//   tensor_scale  f32 [1]              absmax(W) / (6 * 448)  (1 for an all-zero tensor)
//   w[j] = e2m1(code[j]) * (e4m3(scale[j/16]) * tensor_scale), the parenthesis computed first
//   in f32. Bits per weight: 4 + 8/16 = 4.5 (plus 32 bits per tensor). The spec's block scale
//   is e4m3(block_amax / 6 / tensor_scale); the encoder also tries the e4m3 codes just above
//   and below it and keeps one when the block's (importance-weighted) error is strictly lower
//   (Gaussian weights: relative RMS error 0.0950 -> 0.0863).
//
// Every format here decodes a level through grid scale = the block's multiplier and bias 0, so
// SubBlockGrid::Decode(level) equals the decoded weight exactly (GPTQ's error feedback is exact).
// An all-zero block gets multiplier 0 (nvfp4, nf4) and level 0's code; it decodes to +-0.
#ifndef SHRINK_SRC_FORMATS_FP4_FORMATS_H_
#define SHRINK_SRC_FORMATS_FP4_FORMATS_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "shrink/formats/quant_format.h"
#include "src/kernels/formats/float_formats.h"

namespace shrink {

// Describes one 4-bit block format: what distinguishes nf4, mxfp4 and nvfp4.
struct Block4Layout {
  std::string name;
  int64_t block = 32;              // weights per block
  bool high_nibble_first = false;  // weight 2i in the high nibble of byte i
  BlockScaleCode scale_code = BlockScaleCode::kF32;
  std::string scale_section;         // name of the per-block scale section
  std::array<float, 16> code_value{};  // what each 4-bit code decodes to
  std::string alternatives;          // what to use instead when a row does not divide into blocks
  float tensor_scale_divisor = 0.0f;  // tensor scale = absmax / divisor; 0: no tensor scale
};

// A 4-bit block format (see the file comment and nf4_format.h): codes in "packed", one scale per
// block in the layout's scale section. Immutable and thread-safe.
class Block4Format : public QuantFormat {
 public:
  explicit Block4Format(Block4Layout layout);
  Block4Format(const Block4Format&) = delete;  // spec_ points into the object
  Block4Format& operator=(const Block4Format&) = delete;

  std::string Name() const override { return layout_.name; }
  std::string CheckCols(int64_t cols) const override;
  int64_t BlockSize(int64_t cols) const override { return layout_.block; }
  int64_t SubBlockSize(int64_t cols) const override { return layout_.block; }
  std::vector<FormatSection> Sections(int64_t cols) const override;
  const LevelTable& Levels() const override { return levels_; }
  bool UsesTensorScale() const override { return layout_.tensor_scale_divisor > 0.0f; }
  // Returns absmax / divisor, or 1 when that is not positive (an all-zero tensor).
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
  // Returns the dot product computed block by block from the codes (`scratch` is not used).
  float DotRow(ConstRowRef row, int64_t cols, float tensor_scale, const float* x, float* scratch) const override;
  // Throws kCorruptData for a block scale that cannot be decoded: a non-finite or negative f32,
  // the E8M0 NaN, a negative or NaN e4m3.
  void ValidateRow(ConstRowRef row, int64_t cols, int64_t row_index) const override;

  const Quant4Spec& spec() const { return spec_; }

 private:
  // Returns "" when block `b`'s stored scale decodes to a finite non-negative value, else why not.
  std::string ScaleProblem(const uint8_t* scales, int64_t b) const;

  Block4Layout layout_;
  Codebook4 codebook_;
  LevelTable levels_;
  Quant4Spec spec_;
};

// Returns the values of the 16 E2M1 codes (code 8 is -0).
const std::array<float, 16>& E2M1CodeValues();

// Each returns its format (see the file comment).
std::unique_ptr<QuantFormat> MakeMxfp4Format();
std::unique_ptr<QuantFormat> MakeNvfp4Format();

}  // namespace shrink

#endif  // SHRINK_SRC_FORMATS_FP4_FORMATS_H_
