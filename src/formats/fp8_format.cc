// The fp8 formats: OCP FP8 codes with a per-tensor or per-channel f32 scale.
#include "src/formats/fp8_format.h"

#include <cmath>
#include <cstring>

#include "shrink/core/error.h"
#include "shrink/core/float_codec.h"
#include "src/kernels/formats/float_formats.h"

namespace shrink {
namespace {

// Returns the f32 value of fp8 code `code` of `dtype`.
float DecodeFp8(DType dtype, uint8_t code) {
  return dtype == DType::kF8E4M3 ? F8E4M3ToF32Ref(code) : F8E5M2ToF32Ref(code);
}

// Returns true when `code` of `dtype` is NaN or infinite.
bool IsNonFiniteFp8(DType dtype, uint8_t code) {
  return dtype == DType::kF8E4M3 ? (code & 0x7F) == 0x7F : (code & 0x7C) == 0x7C;
}

}  // namespace

Fp8Format::Fp8Format(DType dtype, bool per_channel)
    : dtype_(dtype),
      per_channel_(per_channel),
      max_(F32FromBits(dtype == DType::kF8E4M3 ? F8E4M3Format::kMaxBits : F8E5M2Format::kMaxBits)),
      positive_codes_(static_cast<uint8_t>(dtype == DType::kF8E4M3 ? F8E4M3Format::kMaxCode
                                                                   : F8E5M2Format::kMaxCode)) {
  for (int i = positive_codes_; i >= 1; --i) {
    levels_.values.push_back(DecodeFp8(dtype_, static_cast<uint8_t>(0x80 | i)));
  }
  for (int i = 0; i <= positive_codes_; ++i) levels_.values.push_back(DecodeFp8(dtype_, static_cast<uint8_t>(i)));
}

std::string Fp8Format::Name() const { return dtype_ == DType::kF8E4M3 ? "fp8_e4m3" : "fp8_e5m2"; }

std::map<std::string, std::string> Fp8Format::Meta() const { return {{"group", per_channel_ ? "0" : "-1"}}; }

std::vector<FormatSection> Fp8Format::Sections(int64_t cols) const {
  std::vector<FormatSection> sections = {{"weight", dtype_, cols, 0}};
  if (per_channel_) sections.push_back({"scale", DType::kF32, 1, 0});
  return sections;
}

float Fp8Format::ScaleFor(float absmax) const {
  const float scale = absmax / max_;
  return scale > 0.0f ? scale : 1.0f;
}

float Fp8Format::TensorScale(float absmax) const { return per_channel_ ? 1.0f : ScaleFor(absmax); }

float Fp8Format::FitRowScale(const float* x, int64_t cols, const TensorContext& ctx, RowRef row) const {
  if (!per_channel_) return ctx.tensor_scale;
  const float scale = ScaleFor(kernels::AbsMax(x, cols));
  std::memcpy(row.section[1], &scale, sizeof(scale));
  return scale;
}

float Fp8Format::RowScale(ConstRowRef row, float tensor_scale) const {
  if (!per_channel_) return tensor_scale;
  float scale;
  std::memcpy(&scale, row.section[1], sizeof(scale));
  return scale;
}

void Fp8Format::FitBlock(const float* x, const float* importance, int64_t n, int64_t begin,
                         const TensorContext& ctx, RowRef row, SubBlockGrid* grids) const {
  if (begin != 0) Fail(ErrorCode::kInternal, Name(), " fits whole rows, not a block at column ", begin);
  grids[0] = SubBlockGrid{FitRowScale(x, n, ctx, row), 0.0f};
}

void Fp8Format::PutLevels(const uint8_t* levels, int64_t cols, RowRef row) const {
  for (int64_t j = 0; j < cols; ++j) {
    const int level = levels[j];
    row.section[0][j] = static_cast<uint8_t>(level < positive_codes_ ? 0x80 | (positive_codes_ - level)
                                                                     : level - positive_codes_);
  }
}

void Fp8Format::QuantizeRow(const float* x, const float* importance, int64_t cols, const TensorContext& ctx,
                            RowRef row) const {
  kernels::QuantizeFp8Row(dtype_, x, cols, FitRowScale(x, cols, ctx, row), row.section[0]);
}

void Fp8Format::QuantizeRowRef(const float* x, const float* importance, int64_t cols, const TensorContext& ctx,
                               RowRef row) const {
  kernels::QuantizeFp8RowRef(dtype_, x, cols, FitRowScale(x, cols, ctx, row), row.section[0]);
}

void Fp8Format::DequantizeRow(ConstRowRef row, int64_t cols, float tensor_scale, float* out) const {
  kernels::DequantizeFp8Row(dtype_, row.section[0], cols, RowScale(row, tensor_scale), out);
}

void Fp8Format::DequantizeRowRef(ConstRowRef row, int64_t cols, float tensor_scale, float* out) const {
  kernels::DequantizeFp8RowRef(dtype_, row.section[0], cols, RowScale(row, tensor_scale), out);
}

float Fp8Format::DotRow(ConstRowRef row, int64_t cols, float tensor_scale, const float* x,
                        float* /*scratch*/) const {
  return kernels::DotFp8Row(dtype_, row.section[0], cols, RowScale(row, tensor_scale), x);
}

void Fp8Format::ValidateRow(ConstRowRef row, int64_t cols, int64_t row_index) const {
  if (per_channel_) {
    const float scale = RowScale(row, 1.0f);
    if (!(std::isfinite(scale) && scale >= 0.0f)) {
      Fail(ErrorCode::kCorruptData, Name(), " row ", row_index, ": scale is ", scale, " (must be finite and >= 0)");
    }
  }
  for (int64_t j = 0; j < cols; ++j) {
    const uint8_t code = row.section[0][j];
    if (IsNonFiniteFp8(dtype_, code)) {
      Fail(ErrorCode::kCorruptData, Name(), " row ", row_index, ", column ", j, ": code ", static_cast<int>(code),
           " is ", std::isnan(DecodeFp8(dtype_, code)) ? "NaN" : "infinite", " (weights must be finite)");
    }
  }
}

std::unique_ptr<QuantFormat> MakeFp8Format(const std::string& name, int64_t group) {
  if (group != -1 && group != 0) {
    Fail(ErrorCode::kInvalidArgument, name, " keeps one scale per tensor (group -1) or per output channel (group 0), ",
         "not groups of ", group, " weights; for a scale per block of weights use mxfp4 (32), nvfp4 (16) or the "
         "int format");
  }
  return std::make_unique<Fp8Format>(name == "fp8_e4m3" ? DType::kF8E4M3 : DType::kF8E5M2, group == 0);
}

}  // namespace shrink
