// The 4-bit block format class shared by nf4, mxfp4 and nvfp4, and the E2M1 layouts of mxfp4 and nvfp4.
#include "src/formats/fp4_formats.h"

#include <cmath>
#include <cstring>
#include <iomanip>
#include <sstream>
#include <utility>

#include "shrink/core/error.h"

namespace shrink {
namespace {

// Returns "0x" and two hex digits of `byte`.
std::string HexByte(uint8_t byte) {
  std::ostringstream out;
  out << "0x" << std::hex << std::setw(2) << std::setfill('0') << static_cast<int>(byte);
  return out.str();
}

}  // namespace

Block4Format::Block4Format(Block4Layout layout)
    : layout_(std::move(layout)), codebook_(MakeCodebook4(layout_.code_value)) {
  levels_.values.assign(codebook_.level_value.begin(), codebook_.level_value.begin() + codebook_.num_levels);
  spec_.block = layout_.block;
  spec_.high_nibble_first = layout_.high_nibble_first;
  spec_.scale_code = layout_.scale_code;
  spec_.codebook = &codebook_;
}

std::string Block4Format::CheckCols(int64_t cols) const {
  if (cols % layout_.block == 0) return "";
  return StrCat(layout_.name, " needs rows whose length is a multiple of ", layout_.block, " (this row has ", cols,
                "); pad the rows, ", layout_.alternatives, ", or keep this tensor in higher precision");
}

std::vector<FormatSection> Block4Format::Sections(int64_t cols) const {
  const DType scale_dtype = layout_.scale_code == BlockScaleCode::kF32 ? DType::kF32 : DType::kU8;
  return {{"packed", DType::kU8, cols / 2, 0}, {layout_.scale_section, scale_dtype, cols / layout_.block, 0}};
}

float Block4Format::TensorScale(float absmax) const {
  if (!UsesTensorScale()) return 1.0f;
  const float scale = absmax / layout_.tensor_scale_divisor;
  return scale > 0.0f ? scale : 1.0f;
}

void Block4Format::FitBlock(const float* x, const float* importance, int64_t n, int64_t begin,
                            const TensorContext& ctx, RowRef row, SubBlockGrid* grids) const {
  if (n != layout_.block || begin % layout_.block != 0) {
    Fail(ErrorCode::kInternal, layout_.name, " fits whole blocks of ", layout_.block, " weights, not ", n,
         " weights at column ", begin);
  }
  const float m = kernels::Fit4BitBlock(x, importance, begin / layout_.block, spec_, ctx.tensor_scale, row.section[1]);
  grids[0] = SubBlockGrid{m, 0.0f};
}

void Block4Format::PutLevels(const uint8_t* levels, int64_t cols, RowRef row) const {
  const auto code = [&](int64_t j) { return static_cast<uint8_t>(codebook_.level_code[levels[j]]); };
  for (int64_t j = 0; j < cols; j += 2) {
    row.section[0][j / 2] = PackNibblesRef(code(j), code(j + 1), layout_.high_nibble_first);
  }
}

void Block4Format::QuantizeRow(const float* x, const float* importance, int64_t cols, const TensorContext& ctx,
                               RowRef row) const {
  kernels::Quantize4BitRow(x, importance, cols, spec_, ctx.tensor_scale, row.section[0], row.section[1]);
}

void Block4Format::QuantizeRowRef(const float* x, const float* importance, int64_t cols, const TensorContext& ctx,
                                  RowRef row) const {
  kernels::Quantize4BitRowRef(x, importance, cols, spec_, ctx.tensor_scale, row.section[0], row.section[1]);
}

void Block4Format::DequantizeRow(ConstRowRef row, int64_t cols, float tensor_scale, float* out) const {
  kernels::Dequantize4BitRow(row.section[0], row.section[1], cols, spec_, tensor_scale, out);
}

void Block4Format::DequantizeRowRef(ConstRowRef row, int64_t cols, float tensor_scale, float* out) const {
  kernels::Dequantize4BitRowRef(row.section[0], row.section[1], cols, spec_, tensor_scale, out);
}

float Block4Format::DotRow(ConstRowRef row, int64_t cols, float tensor_scale, const float* x,
                           float* /*scratch*/) const {
  return kernels::Dot4BitRow(row.section[0], row.section[1], cols, spec_, tensor_scale, x);
}

std::string Block4Format::ScaleProblem(const uint8_t* scales, int64_t b) const {
  switch (layout_.scale_code) {
    case BlockScaleCode::kF32: {
      float f;
      std::memcpy(&f, scales + 4 * b, sizeof(f));
      if (std::isfinite(f) && f >= 0.0f) return "";
      return StrCat(layout_.scale_section, " is ", f, " (must be finite and >= 0)");
    }
    case BlockScaleCode::kE8M0:
      if (scales[b] != 0xFF) return "";
      return "scale byte 0xff is the E8M0 NaN";
    case BlockScaleCode::kE4M3: {
      const uint8_t byte = scales[b];
      if ((byte & 0x80) == 0 && byte != 0x7F) return "";
      return StrCat("scale byte ", HexByte(byte), " is ", (byte & 0x7F) == 0x7F ? "the e4m3 NaN" : "negative",
                    " (block scales are positive e4m3 values)");
    }
  }
  return "";
}

void Block4Format::ValidateRow(ConstRowRef row, int64_t cols, int64_t row_index) const {
  for (int64_t b = 0; b < cols / layout_.block; ++b) {
    const std::string problem = ScaleProblem(row.section[1], b);
    if (!problem.empty()) {
      Fail(ErrorCode::kCorruptData, layout_.name, " row ", row_index, ", block ", b, " (weights ", b * layout_.block,
           "..", (b + 1) * layout_.block - 1, "): ", problem);
    }
  }
}

const std::array<float, 16>& E2M1CodeValues() {
  static const std::array<float, 16> values = {0.0f,  0.5f,  1.0f,  1.5f,  2.0f,  3.0f,  4.0f,  6.0f,
                                               -0.0f, -0.5f, -1.0f, -1.5f, -2.0f, -3.0f, -4.0f, -6.0f};
  return values;
}

std::unique_ptr<QuantFormat> MakeMxfp4Format() {
  Block4Layout layout;
  layout.name = "mxfp4";
  layout.block = 32;
  layout.scale_code = BlockScaleCode::kE8M0;
  layout.scale_section = "scale";
  layout.code_value = E2M1CodeValues();
  layout.alternatives = "use nvfp4 (16-weight blocks) or fp8_e4m3 (any row length)";
  return std::make_unique<Block4Format>(std::move(layout));
}

std::unique_ptr<QuantFormat> MakeNvfp4Format() {
  Block4Layout layout;
  layout.name = "nvfp4";
  layout.block = 16;
  layout.scale_code = BlockScaleCode::kE4M3;
  layout.scale_section = "scale";
  layout.code_value = E2M1CodeValues();
  layout.alternatives = "use fp8_e4m3 (any row length) or the int format with a group that divides the row";
  layout.tensor_scale_divisor = 6.0f * 448.0f;
  return std::make_unique<Block4Format>(std::move(layout));
}

}  // namespace shrink
