// The ggml k-quant formats q2_k, q3_k, q4_k, q5_k, q6_k as QuantFormats, and their factory.
//
// Rows are stored as one "blocks" section of u8, row_elements = cols / 256 * block bytes, each
// row byte for byte the ggml super-blocks of ggml_kquant_layout.h (so a GGUF tensor of that type
// is the section's bytes). Sub-block j of a block decodes on the affine map
//     scale = d * sc_j, bias = -(dmin * m_j)     (bias = -0 for q3_k and q6_k)
// of the levels of Levels() (0..3, 0..15, 0..31 for q2_k, q4_k, q5_k; -4..3 and -32..31 for
// q3_k and q6_k), which is exactly ggml's decoding arithmetic. The formats keep no tensor scale:
// tensor_scale is always 1 and is ignored. QuantizeRow, FitBlock and the reference encoder are
// the search of ggml_kquant_fit.h.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "shrink/core/error.h"
#include "shrink/core/float_codec.h"
#include "src/formats/format_factories.h"
#include "src/formats/ggml_kquant_fit.h"
#include "src/formats/ggml_kquant_layout.h"
#include "src/formats/rounded_input_matvec.h"
#include "src/kernels/formats/kquant.h"
#include "src/kernels/formats/kquant_q8dot.h"

namespace shrink {
namespace {

using kquant::kSuperBlock;

class GgmlKQuantFormat final : public QuantFormat {
 public:
  explicit GgmlKQuantFormat(const kquant::KQuantSpec& spec) : spec_(spec), levels_(kquant::LevelsOf(spec)) {}

  std::string Name() const override { return spec_.name; }

  std::string CheckCols(int64_t cols) const override {
    if (cols > 0 && cols % kSuperBlock == 0) return "";
    return StrCat(spec_.name, " needs rows whose length is a multiple of ", kSuperBlock, " (this row has ", cols,
                  "); pad the rows to a multiple of 256, use a format with 32-weight blocks such as q4_0, q5_0 "
                  "or q8_0, or keep this tensor in higher precision");
  }

  int64_t BlockSize(int64_t /*cols*/) const override { return kSuperBlock; }
  int64_t SubBlockSize(int64_t /*cols*/) const override { return spec_.sub_size; }

  std::vector<FormatSection> Sections(int64_t cols) const override {
    return {FormatSection{"blocks", DType::kU8, NumBlocks(cols) * spec_.block_bytes, 0}};
  }

  const LevelTable& Levels() const override { return levels_; }

  void FitBlock(const float* x, const float* importance, int64_t n, int64_t begin, const TensorContext& /*ctx*/,
                RowRef row, SubBlockGrid* grids) const override {
    if (n != kSuperBlock || begin % kSuperBlock != 0) {
      Fail(ErrorCode::kInternal, spec_.name, " fits whole super-blocks of 256 weights, got ", n, " at column ",
           begin);
    }
    kquant::FitSuperBlock(spec_, x, importance, kquant::KernelChoice::kSimd, Block(row, begin / kSuperBlock),
                          grids);
  }

  void PutLevels(const uint8_t* levels, int64_t cols, RowRef row) const override {
    for (int64_t b = 0; b < NumBlocks(cols); ++b) {
      kernels::KQuantPackLevels(spec_.type, levels + b * kSuperBlock, Block(row, b));
    }
  }

  void QuantizeRow(const float* x, const float* importance, int64_t cols, const TensorContext& /*ctx*/,
                   RowRef row) const override {
    SubBlockGrid grids[kquant::kMaxSubBlocks];
    uint8_t chosen[kSuperBlock];
    for (int64_t b = 0; b < NumBlocks(cols); ++b) {
      const float* xb = x + b * kSuperBlock;
      uint8_t* block = Block(row, b);
      kquant::FitSuperBlock(spec_, xb, importance ? importance + b * kSuperBlock : nullptr,
                            kquant::KernelChoice::kSimd, block, grids);
      kernels::KQuantNearestLevels(xb, kSuperBlock, spec_.sub_size, grids, levels_, chosen);
      kernels::KQuantPackLevels(spec_.type, chosen, block);
    }
  }

  void DequantizeRow(ConstRowRef row, int64_t cols, float /*tensor_scale*/, float* out) const override {
    kernels::KQuantDequantizeRow(spec_.type, row.section[0], NumBlocks(cols), out);
  }

  void DequantizeRowRef(ConstRowRef row, int64_t cols, float /*tensor_scale*/, float* out) const override {
    kernels::KQuantDequantizeRowRef(spec_.type, row.section[0], NumBlocks(cols), out);
  }

  float DotRow(ConstRowRef row, int64_t cols, float /*tensor_scale*/, const float* x,
               float* /*scratch*/) const override {
    return kernels::KQuantDotRow(spec_.type, row.section[0], NumBlocks(cols), x);
  }

  bool CorruptRowsGiveNonFiniteProducts() const override { return true; }

  void MatVecInt8(const ConstQuantRows& rows, const float* x, float* y) const override {
    Int8InputMatVec(spec_.name, rows, x, y, [&](ConstRowRef row, const kernels::Q8Input& xq) {
      return kernels::KQuantDotQ8Row(spec_.type, row.section[0], NumBlocks(rows.cols()), xq);
    });
  }

  void ValidateRow(ConstRowRef row, int64_t cols, int64_t row_index) const override {
    for (int64_t b = 0; b < NumBlocks(cols); ++b) {
      const uint8_t* block = row.section[0] + b * spec_.block_bytes;
      if (F16FieldIsFinite(block + spec_.d_offset) &&
          (!spec_.has_mins || F16FieldIsFinite(block + spec_.dmin_offset))) {
        continue;
      }
      const float d = kquant::ReadD(spec_, block), dmin = kquant::ReadDmin(spec_, block);
      Fail(ErrorCode::kCorruptData, spec_.name, " row ", row_index, " super-block ", b, " (columns ",
           b * kSuperBlock, "..", (b + 1) * kSuperBlock - 1, ") has a non-finite ", std::isfinite(d) ? "dmin" : "d",
           " scale (", std::isfinite(d) ? dmin : d, "); the data is corrupt");
    }
  }

 private:
  static int64_t NumBlocks(int64_t cols) { return cols / kSuperBlock; }
  uint8_t* Block(RowRef row, int64_t b) const { return row.section[0] + b * spec_.block_bytes; }

  const kquant::KQuantSpec& spec_;
  LevelTable levels_;
};

}  // namespace

std::unique_ptr<QuantFormat> MakeGgmlKQuantFormat(const std::string& name, const FormatSettings& /*settings*/) {
  for (kquant::KQuantType type : {kquant::KQuantType::kQ2K, kquant::KQuantType::kQ3K, kquant::KQuantType::kQ4K,
                                  kquant::KQuantType::kQ5K, kquant::KQuantType::kQ6K}) {
    if (name == kquant::SpecOf(type).name) return std::make_unique<GgmlKQuantFormat>(kquant::SpecOf(type));
  }
  Fail(ErrorCode::kInvalidArgument, "'", name, "' is not a ggml k-quant format (q2_k, q3_k, q4_k, q5_k, q6_k)");
}

}  // namespace shrink
