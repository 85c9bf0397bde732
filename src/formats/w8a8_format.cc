// w8a8: int8 weights with one f32 scale per output row, multiplied by int8 activations that
// MatVec quantizes per call (SmoothQuant's W8A8 with per-channel weights and per-token
// dynamic activations).
//
// Layout per row of `cols` weights: section "codes" (i8[cols], symmetric, in [-127, 127]) and
// section "scale" (f32[1]): w[j] = scale * codes[j], scale = max|w| / 127. MatVec rounds x the
// same way, x ≈ sx * qx, and computes y_i = scale_i * sx * Σ_j codes_ij qx_j in exact int32
// arithmetic. 8.03 bits per weight for 4096-wide rows.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "shrink/core/error.h"
#include "src/core/parallel.h"
#include "src/formats/format_factories.h"
#include "src/formats/rounded_input_matvec.h"
#include "src/kernels/formats/int8_rows.h"

namespace shrink {
namespace {

class W8A8Format final : public QuantFormat {
 public:
  W8A8Format() {
    levels_.uniform = true;
    for (int k = -kernels::kInt8MaxCode; k <= kernels::kInt8MaxCode; ++k) levels_.values.push_back(static_cast<float>(k));
  }

  std::string Name() const override { return "w8a8"; }
  std::string CheckCols(int64_t cols) const override {
    if (cols <= kernels::kMaxInt8DotLength) return "";
    return "w8a8 takes rows of at most " + std::to_string(kernels::kMaxInt8DotLength) +
           " weights (its int32 dot products would overflow); keep the tensor in another format";
  }
  int64_t BlockSize(int64_t cols) const override { return cols; }
  int64_t SubBlockSize(int64_t cols) const override { return cols; }
  std::vector<FormatSection> Sections(int64_t cols) const override {
    return {{"codes", DType::kI8, cols, 0}, {"scale", DType::kF32, 1, 0}};
  }
  const LevelTable& Levels() const override { return levels_; }
  bool QuantizesActivations() const override { return true; }

  void FitBlock(const float* x, const float* /*importance*/, int64_t n, int64_t /*begin*/,
                const TensorContext& /*ctx*/, RowRef row, SubBlockGrid* grids) const override {
    float amax = 0.0f;
    for (int64_t j = 0; j < n; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float scale = amax / static_cast<float>(kernels::kInt8MaxCode);
    std::memcpy(row.section[1], &scale, sizeof(float));
    grids[0] = {scale, 0.0f};
  }

  void PutLevels(const uint8_t* levels, int64_t cols, RowRef row) const override {
    auto* codes = reinterpret_cast<int8_t*>(row.section[0]);
    for (int64_t j = 0; j < cols; ++j) codes[j] = static_cast<int8_t>(levels[j] - kernels::kInt8MaxCode);
  }

  void QuantizeRow(const float* x, const float* /*importance*/, int64_t cols, const TensorContext& /*ctx*/,
                   RowRef row) const override {
    const float scale = kernels::QuantizeInt8Row(x, cols, reinterpret_cast<int8_t*>(row.section[0]));
    std::memcpy(row.section[1], &scale, sizeof(float));
  }

  void DequantizeRow(ConstRowRef row, int64_t cols, float /*tensor_scale*/, float* out) const override {
    kernels::DequantizeInt8Row(Codes(row), cols, Scale(row), out);
  }
  void DequantizeRowRef(ConstRowRef row, int64_t cols, float /*tensor_scale*/, float* out) const override {
    kernels::DequantizeInt8RowRef(Codes(row), cols, Scale(row), out);
  }

  void MatVec(const ConstQuantRows& rows, const float* x, float* y) const override {
    const int64_t cols = rows.cols();
    RequireFiniteInput("w8a8", x, cols);
    std::vector<int8_t> codes(static_cast<size_t>(cols));
    const float x_scale = kernels::QuantizeInt8Row(x, cols, codes.data());
    const std::vector<int16_t> wide(codes.begin(), codes.end());
    ParallelFor(rows.rows(), [&](int64_t i) {
      const ConstRowRef row = rows.Row(i);
      y[i] = Scale(row) * x_scale * static_cast<float>(kernels::DotInt8(Codes(row), wide.data(), cols));
    });
  }

  void ValidateRow(ConstRowRef row, int64_t /*cols*/, int64_t row_index) const override {
    const float scale = Scale(row);
    if (!std::isfinite(scale) || scale < 0.0f) {
      Fail(ErrorCode::kCorruptData, "w8a8 tensor row ", row_index, " has scale ", scale,
           ", expected a finite value >= 0");
    }
  }

 private:
  static const int8_t* Codes(ConstRowRef row) { return reinterpret_cast<const int8_t*>(row.section[0]); }
  static float Scale(ConstRowRef row) {
    float scale;
    std::memcpy(&scale, row.section[1], sizeof(float));
    return scale;
  }

  LevelTable levels_;
};

}  // namespace

std::unique_ptr<QuantFormat> MakeW8A8Format(const std::string& /*name*/, const FormatSettings& /*settings*/) {
  return std::make_unique<W8A8Format>();
}

}  // namespace shrink
