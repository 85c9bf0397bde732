// The QuantFormat of ggml's legacy types q4_0 q4_1 q5_0 q5_1 q8_0 and of iq4_nl and iq4_xs, and
// their factory. Layouts: src/formats/ggml_legacy_blocks.h; header choices: ggml_legacy_fit.h
// and ggml_iq4_fit.h; row kernels: src/kernels/formats/ggml_legacy.h.
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "shrink/core/error.h"
#include "src/formats/format_factories.h"
#include "src/formats/ggml_iq4_fit.h"
#include "src/formats/ggml_legacy_blocks.h"
#include "src/formats/ggml_legacy_fit.h"
#include "src/formats/rounded_input_matvec.h"
#include "src/kernels/formats/ggml_legacy.h"
#include "src/kernels/formats/ggml_legacy_q8dot.h"

namespace shrink {
namespace {

using ggml_legacy::BlockBytes;
using ggml_legacy::BlockElems;
using ggml_legacy::kSubBlock;
using ggml_legacy::LegacyType;

// Returns the level table of `type` (see ggml_legacy_blocks.h).
LevelTable MakeLevels(LegacyType type) {
  LevelTable table;
  if (ggml_legacy::IsIq4(type)) {
    for (int8_t v : ggml_legacy::kIq4Values) table.values.push_back(v);
    return table;
  }
  table.uniform = true;
  for (int code = 0; code < ggml_legacy::LinearLevelCount(type); ++code) {
    table.values.push_back(ggml_legacy::LevelValue(type, code));
  }
  return table;
}

// Holds one ggml block type: each row is one "blocks" section of u8, the GGUF tensor bytes.
class GgmlLegacyFormat final : public QuantFormat {
 public:
  GgmlLegacyFormat(std::string name, LegacyType type) : name_(std::move(name)), type_(type), levels_(MakeLevels(type)) {}

  std::string Name() const override { return name_; }

  std::string CheckCols(int64_t cols) const override {
    const int block = BlockElems(type_);
    if (cols > 0 && cols % block == 0) return "";
    std::string alternative = type_ == LegacyType::kIq4Xs ? ", use a format with 32-weight blocks such as iq4_nl" : "";
    return StrCat(name_, " needs rows whose length is a multiple of ", block, " (this row has ", cols,
                  "); pad the rows", alternative, ", or keep this tensor in higher precision");
  }

  int64_t BlockSize(int64_t /*cols*/) const override { return BlockElems(type_); }
  int64_t SubBlockSize(int64_t /*cols*/) const override { return kSubBlock; }

  std::vector<FormatSection> Sections(int64_t cols) const override {
    return {FormatSection{"blocks", DType::kU8, cols / BlockElems(type_) * BlockBytes(type_), 0}};
  }

  const LevelTable& Levels() const override { return levels_; }

  void FitBlock(const float* x, const float* importance, int64_t n, int64_t begin, const TensorContext& /*ctx*/,
                RowRef row, SubBlockGrid* grids) const override {
    uint8_t* block = BlockAt(row.section[0], begin);
    Fit(x, importance, block);
    for (int64_t s = 0; s < n / kSubBlock; ++s) {
      const ggml_legacy::SubBlockMap map = ggml_legacy::SubBlockMapOf(type_, block, static_cast<int>(s));
      grids[s] = SubBlockGrid{map.scale, map.bias};
    }
  }

  void PutLevels(const uint8_t* levels, int64_t cols, RowRef row) const override {
    for (int64_t begin = 0; begin < cols; begin += BlockElems(type_)) {
      ggml_legacy::PutBlockCodes(type_, levels + begin, BlockAt(row.section[0], begin));
    }
  }

  void QuantizeRow(const float* x, const float* importance, int64_t cols, const TensorContext& /*ctx*/,
                   RowRef row) const override {
    if (importance == nullptr) {
      kernels::GgmlLegacyQuantizeRow(type_, x, cols, row.section[0]);
      return;
    }
    for (int64_t begin = 0; begin < cols; begin += BlockElems(type_)) {
      Fit(x + begin, importance + begin, BlockAt(row.section[0], begin));
    }
    kernels::GgmlLegacyEncodeRow(type_, x, cols, row.section[0]);
  }

  void DequantizeRow(ConstRowRef row, int64_t cols, float tensor_scale, float* out) const override {
    kernels::GgmlLegacyDequantizeRow(type_, row.section[0], cols, out);
    ApplyTensorScale(tensor_scale, cols, out);
  }

  void DequantizeRowRef(ConstRowRef row, int64_t cols, float tensor_scale, float* out) const override {
    kernels::GgmlLegacyDequantizeRowRef(type_, row.section[0], cols, out);
    ApplyTensorScale(tensor_scale, cols, out);
  }

  float DotRow(ConstRowRef row, int64_t cols, float tensor_scale, const float* x, float* /*scratch*/) const override {
    return kernels::GgmlLegacyDotRow(type_, row.section[0], cols, x) * tensor_scale;
  }

  bool CorruptRowsGiveNonFiniteProducts() const override { return true; }

  void MatVecInt8(const ConstQuantRows& rows, const float* x, float* y) const override {
    Int8InputMatVec(name_, rows, x, y, [&](ConstRowRef row, const kernels::Q8Input& xq) {
      return kernels::GgmlLegacyDotQ8Row(type_, row.section[0], rows.cols(), xq) * rows.tensor_scale();
    });
  }

  void ValidateRow(ConstRowRef row, int64_t cols, int64_t row_index) const override {
    for (int64_t b = 0; b < cols / BlockElems(type_); ++b) {
      const uint8_t* block = row.section[0] + b * BlockBytes(type_);
      CheckFinite(block, "scale d", row_index, b);
      if (ggml_legacy::HasMin(type_)) CheckFinite(block + 2, "minimum m", row_index, b);
    }
  }

 private:
  // Returns the block of a row that holds column `begin`.
  template <typename Byte>
  Byte* BlockAt(Byte* blocks, int64_t begin) const {
    return blocks + begin / BlockElems(type_) * BlockBytes(type_);
  }

  // Writes the header of one block: the fast rule without importance, else the weighted search.
  void Fit(const float* x, const float* importance, uint8_t* block) const {
    if (ggml_legacy::IsIq4(type_)) {
      importance ? ggml_legacy::FitIq4Weighted(type_, x, importance, block) : ggml_legacy::FitIq4Fast(type_, x, block);
    } else {
      importance ? ggml_legacy::FitLinearWeighted(type_, x, importance, block)
                 : ggml_legacy::FitLinearFast(type_, x, block);
    }
  }

  // Multiplies a decoded row by the tensor scale (1 for these formats unless a caller says so).
  static void ApplyTensorScale(float tensor_scale, int64_t cols, float* out) {
    if (tensor_scale == 1.0f) return;
    for (int64_t j = 0; j < cols; ++j) out[j] *= tensor_scale;
  }

  // Throws kCorruptData when the f16 field at `p` of block `b` of row `row_index` is not finite.
  void CheckFinite(const uint8_t* p, const char* field, int64_t row_index, int64_t b) const {
    if (!F16FieldIsFinite(p)) {
      Fail(ErrorCode::kCorruptData, name_, " row ", row_index, " block ", b, " has a non-finite ", field, " (",
           ggml_legacy::LoadF16(p), "); the tensor is corrupt");
    }
  }

  std::string name_;
  LegacyType type_;
  LevelTable levels_;
};

}  // namespace

std::unique_ptr<QuantFormat> MakeGgmlLegacyFormat(const std::string& name, const FormatSettings& /*settings*/) {
  static const std::pair<const char*, LegacyType> kTypes[] = {
      {"q4_0", LegacyType::kQ4_0}, {"q4_1", LegacyType::kQ4_1},   {"q5_0", LegacyType::kQ5_0},
      {"q5_1", LegacyType::kQ5_1}, {"q8_0", LegacyType::kQ8_0},   {"iq4_nl", LegacyType::kIq4Nl},
      {"iq4_xs", LegacyType::kIq4Xs}};
  for (const auto& [type_name, type] : kTypes) {
    if (name == type_name) return std::make_unique<GgmlLegacyFormat>(name, type);
  }
  Fail(ErrorCode::kInvalidArgument, "'", name, "' is not a ggml legacy or iq4 format (q4_0 q4_1 q5_0 q5_1 q8_0 iq4_nl iq4_xs)");
}

}  // namespace shrink
