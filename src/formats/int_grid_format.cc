// The "int" format: the packed integer grid of formats/int_grid.h as a QuantFormat (2..8 bits,
// symmetric or not, per tensor, per channel or per group, optional MSE-optimal clipping).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "shrink/core/error.h"
#include "shrink/formats/int_grid.h"
#include "src/formats/format_factories.h"
#include "src/kernels/quant/int_grid.h"

namespace shrink {
namespace {

// Clip ratios the clipping search tries: 1, 0.95, ..., 0.55 of the group's range (AWQ's grid).
constexpr int kClipSteps = 10;
constexpr float kClipStep = 0.05f;

class IntGridFormat final : public QuantFormat {
 public:
  explicit IntGridFormat(const FormatSettings& s) : s_(s) {
    spec_.bits = s.bits;
    spec_.symmetric = s.symmetric;
    spec_.scale_dtype = s.scale_dtype;
    levels_.uniform = true;
    for (int k = 0; k <= spec_.max_code(); ++k) levels_.values.push_back(static_cast<float>(k));
  }

  std::string Name() const override { return "int"; }
  std::map<std::string, std::string> Meta() const override {
    return {{"bits", std::to_string(s_.bits)},
            {"group", std::to_string(s_.group)},
            {"sym", s_.symmetric ? "true" : "false"},
            {"scale_dtype", DTypeName(s_.scale_dtype)}};
  }
  std::string CheckCols(int64_t /*cols*/) const override { return ""; }
  int64_t BlockSize(int64_t cols) const override { return s_.group <= 0 || s_.group > cols ? cols : s_.group; }
  int64_t SubBlockSize(int64_t cols) const override { return BlockSize(cols); }
  std::vector<FormatSection> Sections(int64_t cols) const override {
    const int64_t groups = NumGroups(cols);
    std::vector<FormatSection> sections = {
        {"packed", DType::kU8, static_cast<int64_t>(PackedRowBytes(cols, s_.bits)), 0},
        {"scale", s_.scale_dtype, groups, 0}};
    if (!s_.symmetric) sections.push_back({"zero_point", DType::kU8, groups, 0});
    return sections;
  }
  const LevelTable& Levels() const override { return levels_; }
  bool UsesTensorRange() const override { return s_.group == -1; }

  void FitBlock(const float* x, const float* importance, int64_t n, int64_t begin, const TensorContext& ctx,
                RowRef row, SubBlockGrid* grids) const override {
    float lo = ctx.min, hi = ctx.max;
    if (s_.group != -1) {
      lo = *std::min_element(x, x + n);
      hi = *std::max_element(x, x + n);
    }
    IntGridParams p = IntGridParamsFromRange(lo, hi, spec_);
    if (s_.clip) p = SearchClip(x, importance, n, lo, hi, p);
    StoreParams(p, s_.group > 0 ? begin / s_.group : 0, row);
    grids[0] = {p.scale, -static_cast<float>(p.zero) * p.scale};
  }

  void PutLevels(const uint8_t* levels, int64_t cols, RowRef row) const override {
    kernels::PackCodes(levels, cols, s_.bits, row.section[0]);
  }

  void QuantizeRow(const float* x, const float* importance, int64_t cols, const TensorContext& ctx,
                   RowRef row) const override {
    if (s_.clip || s_.group == -1) {
      QuantFormat::QuantizeRow(x, importance, cols, ctx, row);
      return;
    }
    const int64_t groups = NumGroups(cols);
    std::vector<IntGridParams>& params = ParamsBuffer(groups);
    std::vector<uint8_t>& codes = CodesBuffer(cols);
    kernels::IntGridQuantizeRow(x, cols, BlockSize(cols), spec_, params.data(), codes.data());
    kernels::PackCodes(codes.data(), cols, s_.bits, row.section[0]);
    for (int64_t g = 0; g < groups; ++g) StoreParams(params[static_cast<size_t>(g)], g, row);
  }

  void DequantizeRow(ConstRowRef row, int64_t cols, float /*tensor_scale*/, float* out) const override {
    const Unpacked u = Unpack(row, cols);
    kernels::IntGridDequantizeRow(u.codes, cols, BlockSize(cols), u.params, out);
  }
  void DequantizeRowRef(ConstRowRef row, int64_t cols, float /*tensor_scale*/, float* out) const override {
    std::vector<uint8_t> codes(static_cast<size_t>(cols));
    UnpackCodesRef(row.section[0], cols, s_.bits, codes.data());
    std::vector<IntGridParams> params(static_cast<size_t>(NumGroups(cols)));
    LoadParams(row, cols, params.data());
    kernels::IntGridDequantizeRowRef(codes.data(), cols, BlockSize(cols), params.data(), out);
  }
  float DotRow(ConstRowRef row, int64_t cols, float /*tensor_scale*/, const float* x, float* /*scratch*/) const override {
    const Unpacked u = Unpack(row, cols);
    return kernels::IntGridDotRow(u.codes, cols, BlockSize(cols), u.params, x);
  }
  void ValidateRow(ConstRowRef row, int64_t cols, int64_t row_index) const override {
    for (int64_t g = 0; g < NumGroups(cols); ++g) {
      const float scale = ReadScale(row.section[1], g);
      if (!std::isfinite(scale)) {
        Fail(ErrorCode::kCorruptData, "int tensor row ", row_index, " group ", g, " has a non-finite scale (", scale,
             ")");
      }
    }
  }

 private:
  struct Unpacked {
    const uint8_t* codes;
    const IntGridParams* params;
  };

  int64_t NumGroups(int64_t cols) const { return (cols + BlockSize(cols) - 1) / BlockSize(cols); }

  float ReadScale(const uint8_t* scales, int64_t g) const {
    if (s_.scale_dtype == DType::kF16) {
      uint16_t h;
      std::memcpy(&h, scales + 2 * g, 2);
      return F16ToF32Ref(h);
    }
    float scale;
    std::memcpy(&scale, scales + 4 * g, 4);
    return scale;
  }

  void StoreParams(const IntGridParams& p, int64_t g, RowRef row) const {
    if (!std::isfinite(p.scale)) {
      Fail(ErrorCode::kInvalidArgument, "int: a group needs a scale beyond ", DTypeName(s_.scale_dtype),
           "'s range; use scale_dtype=f32");
    }
    if (s_.scale_dtype == DType::kF16) {
      const uint16_t h = F32ToF16Ref(p.scale);
      std::memcpy(row.section[1] + 2 * g, &h, 2);
    } else {
      std::memcpy(row.section[1] + 4 * g, &p.scale, 4);
    }
    if (!s_.symmetric) row.section[2][g] = static_cast<uint8_t>(p.zero);
  }

  void LoadParams(ConstRowRef row, int64_t cols, IntGridParams* params) const {
    for (int64_t g = 0; g < NumGroups(cols); ++g) {
      params[g].scale = ReadScale(row.section[1], g);
      params[g].zero = s_.symmetric ? spec_.sym_zero() : std::min<int>(row.section[2][g], spec_.max_code());
    }
  }

  Unpacked Unpack(ConstRowRef row, int64_t cols) const {
    std::vector<uint8_t>& codes = CodesBuffer(cols);
    kernels::UnpackCodes(row.section[0], cols, s_.bits, codes.data());
    std::vector<IntGridParams>& params = ParamsBuffer(NumGroups(cols));
    LoadParams(row, cols, params.data());
    return {codes.data(), params.data()};
  }

  // Returns the parameters of the clipped range [r*lo, r*hi] with the least (importance-weighted)
  // squared error over the clip grid; `full` is the unclipped choice.
  IntGridParams SearchClip(const float* x, const float* importance, int64_t n, float lo, float hi,
                           IntGridParams full) const {
    IntGridParams best = full;
    double best_err = INFINITY;
    for (int k = 0; k < kClipSteps; ++k) {
      const float r = 1.0f - kClipStep * static_cast<float>(k);
      const IntGridParams p = k == 0 ? full : IntGridParamsFromRange(r * lo, r * hi, spec_);
      const float inv = IntGridInvScale(p.scale);
      double err = 0.0;
      for (int64_t j = 0; j < n; ++j) {
        const float q = IntGridDecodeRef(IntGridEncodeRef(x[j], inv, p.zero, spec_.max_code()), p);
        const double e = static_cast<double>(q) - x[j];
        err += (importance ? importance[j] : 1.0) * e * e;
      }
      if (err < best_err) {
        best_err = err;
        best = p;
      }
    }
    return best;
  }

  static std::vector<uint8_t>& CodesBuffer(int64_t n) {
    thread_local std::vector<uint8_t> buffer;
    if (buffer.size() < static_cast<size_t>(n)) buffer.resize(static_cast<size_t>(n));
    return buffer;
  }
  static std::vector<IntGridParams>& ParamsBuffer(int64_t n) {
    thread_local std::vector<IntGridParams> buffer;
    if (buffer.size() < static_cast<size_t>(n)) buffer.resize(static_cast<size_t>(n));
    return buffer;
  }

  FormatSettings s_;
  IntGridSpec spec_;
  LevelTable levels_;
};

}  // namespace

std::unique_ptr<QuantFormat> MakeIntGridFormat(const std::string& /*name*/, const FormatSettings& settings) {
  return std::make_unique<IntGridFormat>(settings);
}

}  // namespace shrink
