// RtnQuantizer: option parsing, validation and the OpenMP drivers over the int_grid kernels.
#include "shrink/quant/rtn.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "shrink/core/tensor_checks.h"
#include "src/kernels/quant/int_grid.h"

namespace shrink {
namespace {

constexpr const char* kFormat = "rtn";

// Returns scale number `k` of a scale section stored as `dtype` (f16 or f32).
float ReadScale(const uint8_t* scales, DType dtype, size_t k) {
  if (dtype == DType::kF16) {
    uint16_t h;
    std::memcpy(&h, scales + 2 * k, 2);
    return F16ToF32Ref(h);
  }
  float scale;
  std::memcpy(&scale, scales + 4 * k, 4);
  return scale;
}

int64_t NumGroups(int64_t cols, int64_t group_size) { return (cols + group_size - 1) / group_size; }

// Returns the group size in effect for rows of `cols` weights (a group never exceeds a row).
int64_t EffectiveGroup(int64_t group_size, int64_t cols) {
  return group_size == 0 || group_size > cols ? cols : group_size;
}

// Holds what a compressed rtn tensor says about itself, after validation.
struct Layout {
  IntGridSpec grid;
  int64_t rows = 0, cols = 0, group_size = 0, groups = 0;
  size_t row_bytes = 0;
  const uint8_t* packed = nullptr;
  const uint8_t* scales = nullptr;
  const uint8_t* zeros = nullptr;
};

Layout ValidateLayout(const CompressedTensor& ct) {
  if (ct.format() != kFormat) Fail(ErrorCode::kInvalidArgument, "rtn cannot decode format '", ct.format(), "'");
  if (ct.shape().rank() != 2) Fail(ErrorCode::kCorruptData, "rtn tensor has shape ", ct.shape().ToString(), ", expected 2-D");
  Layout l;
  l.rows = ct.shape().dim(0);
  l.cols = ct.shape().dim(1);
  l.grid.bits = static_cast<int>(ct.MetaInt("bits", 2, 8));
  l.grid.symmetric = ct.MetaInt("symmetric", 0, 1) == 1;
  l.grid.scale_dtype = ct.MetaInt("scale_bytes", 2, 4) == 4 ? DType::kF32 : DType::kF16;
  l.group_size = ct.MetaInt("group_size", 1, std::max<int64_t>(1, l.cols));
  l.groups = NumGroups(l.cols, l.group_size);
  l.row_bytes = PackedRowBytes(l.cols, l.grid.bits);
  const auto rows = static_cast<size_t>(l.rows), groups = static_cast<size_t>(l.groups);
  l.packed = ct.Section("packed", DType::kU8, rows * l.row_bytes).bytes.data();
  l.scales = ct.Section("scale", l.grid.scale_dtype, rows * groups * DTypeSize(l.grid.scale_dtype)).bytes.data();
  if (!l.grid.symmetric) l.zeros = ct.Section("zero_point", DType::kU8, rows * groups).bytes.data();
  for (size_t k = 0; k < rows * groups; ++k) {
    const float scale = ReadScale(l.scales, l.grid.scale_dtype, k);
    if (!std::isfinite(scale)) {
      Fail(ErrorCode::kCorruptData, "rtn scale ", k, " is not finite (", scale, ")");
    }
  }
  return l;
}

// Reads row `i`'s group parameters from the scale and zero sections.
void LoadParams(const Layout& l, int64_t i, IntGridParams* params) {
  for (int64_t g = 0; g < l.groups; ++g) {
    const size_t k = static_cast<size_t>(i * l.groups + g);
    params[g].scale = ReadScale(l.scales, l.grid.scale_dtype, k);
    params[g].zero = l.zeros ? std::min<int>(l.zeros[k], l.grid.max_code()) : l.grid.sym_zero();
  }
}

// Calls fn(row, codes, params, scratch) for every row in parallel, with the row's codes
// unpacked and its group parameters loaded; scratch holds `cols` floats private to the thread.
template <typename Fn>
void ForEachDecodedRow(const Layout& l, const Fn& fn) {
#pragma omp parallel
  {
    std::vector<uint8_t> codes(static_cast<size_t>(l.cols));
    std::vector<float> scratch(static_cast<size_t>(l.cols));
    std::vector<IntGridParams> params(static_cast<size_t>(l.groups));
#pragma omp for schedule(static)
    for (int64_t i = 0; i < l.rows; ++i) {
      kernels::UnpackCodes(l.packed + static_cast<size_t>(i) * l.row_bytes, l.cols, l.grid.bits, codes.data());
      LoadParams(l, i, params.data());
      fn(i, codes.data(), params.data(), scratch.data());
    }
  }
}

}  // namespace

std::vector<OptionSpec> RtnQuantizer::Specs() {
  return {
      {"bits", OptionType::kInt, "4", "bits per weight code", 2, 8, {}},
      {"group", OptionType::kInt, "128", "weights per scale along a row (0 = per output channel)", 0, 1 << 30, {}},
      {"sym", OptionType::kBool, "false", "symmetric grid (implicit zero point)", -INFINITY, INFINITY, {}},
      {"scale_dtype", OptionType::kString, "f16", "dtype of stored scales", -INFINITY, INFINITY, {"f16", "f32"}},
  };
}

RtnQuantizer::RtnQuantizer(const Options& options) {
  OptionReader reader("rtn", options, Specs());
  config_.grid.bits = static_cast<int>(reader.Int("bits"));
  config_.grid.symmetric = reader.Bool("sym");
  config_.grid.scale_dtype = reader.String("scale_dtype") == "f32" ? DType::kF32 : DType::kF16;
  config_.group_size = reader.Int("group");
  options_ = reader.Resolved();
}

size_t RtnQuantizer::EstimateBytes(const Shape& shape) const {
  const int64_t rows = shape.rows(), cols = shape.cols();
  const int64_t groups = NumGroups(cols, EffectiveGroup(config_.group_size, cols));
  const size_t per_group = DTypeSize(config_.grid.scale_dtype) + (config_.grid.symmetric ? 0 : 1);
  return static_cast<size_t>(rows) * (PackedRowBytes(cols, config_.grid.bits) + static_cast<size_t>(groups) * per_group);
}

CompressedTensor RtnQuantizer::Compress(TensorView<const float> weight, const CalibrationStats* /*stats*/) const {
  RequireFiniteMatrix(weight, "rtn");
  const int64_t rows = weight.rows(), cols = weight.cols();
  const int64_t group = EffectiveGroup(config_.group_size, cols);
  const int64_t groups = NumGroups(cols, group);
  const IntGridSpec& grid = config_.grid;
  CompressedTensor ct(kFormat, weight.shape());
  ct.SetMeta("bits", std::to_string(grid.bits));
  ct.SetMeta("group_size", std::to_string(group));
  ct.SetMeta("symmetric", grid.symmetric ? "1" : "0");
  ct.SetMeta("scale_bytes", std::to_string(DTypeSize(grid.scale_dtype)));
  const size_t row_bytes = PackedRowBytes(cols, grid.bits);
  uint8_t* packed = ct.AddSection("packed", DType::kU8, Shape{rows, static_cast<int64_t>(row_bytes)});
  uint8_t* scales = ct.AddSection("scale", grid.scale_dtype, Shape{rows, groups});
  uint8_t* zeros = grid.symmetric ? nullptr : ct.AddSection("zero_point", DType::kU8, Shape{rows, groups});

  int64_t overflow_row = -1;  // a row whose scale does not fit the scale dtype
#pragma omp parallel
  {
    std::vector<float> row_copy(static_cast<size_t>(cols));
    std::vector<uint8_t> codes(static_cast<size_t>(cols));
    std::vector<IntGridParams> params(static_cast<size_t>(groups));
#pragma omp for schedule(static)
    for (int64_t i = 0; i < rows; ++i) {
      const float* row = weight.row_data(i);
      if (!weight.has_contiguous_rows()) {
        for (int64_t j = 0; j < cols; ++j) row_copy[static_cast<size_t>(j)] = weight(i, j);
        row = row_copy.data();
      }
      kernels::IntGridQuantizeRow(row, cols, group, grid, params.data(), codes.data());
      kernels::PackCodes(codes.data(), cols, grid.bits, packed + static_cast<size_t>(i) * row_bytes);
      for (int64_t g = 0; g < groups; ++g) {
        const size_t k = static_cast<size_t>(i * groups + g);
        const IntGridParams& p = params[static_cast<size_t>(g)];
        if (grid.scale_dtype == DType::kF16) {
          const uint16_t h = F32ToF16Ref(p.scale);
          std::memcpy(scales + 2 * k, &h, 2);
        } else {
          std::memcpy(scales + 4 * k, &p.scale, 4);
        }
        if (zeros) zeros[k] = static_cast<uint8_t>(p.zero);
        if (!std::isfinite(p.scale)) {
#pragma omp atomic write
          overflow_row = i;
        }
      }
    }
  }
  if (overflow_row >= 0) {
    Fail(ErrorCode::kInvalidArgument, "rtn: row ", overflow_row, " needs a scale beyond ", DTypeName(grid.scale_dtype),
         "'s range; use scale_dtype=f32");
  }
  return ct;
}

void RtnQuantizer::Decompress(const CompressedTensor& compressed, TensorView<float> out) const {
  const Layout l = ValidateLayout(compressed);
  if (out.shape() != compressed.shape()) {
    Fail(ErrorCode::kShapeMismatch, "rtn: output view ", out.shape().ToString(), " does not match ",
         compressed.shape().ToString());
  }
  const bool direct = out.has_contiguous_rows();
  ForEachDecodedRow(l, [&](int64_t i, const uint8_t* codes, const IntGridParams* params, float* scratch) {
    float* dst = direct ? out.row_data(i) : scratch;
    kernels::IntGridDequantizeRow(codes, l.cols, l.group_size, params, dst);
    if (!direct) {
      for (int64_t j = 0; j < l.cols; ++j) out(i, j) = scratch[j];
    }
  });
}

void RtnQuantizer::MatVec(const CompressedTensor& compressed, const float* x, float* y) const {
  const Layout l = ValidateLayout(compressed);
  std::vector<float> group_x_sums(static_cast<size_t>(l.groups));
  kernels::GroupSums(x, l.cols, l.group_size, group_x_sums.data());
  ForEachDecodedRow(l, [&](int64_t i, const uint8_t* codes, const IntGridParams* params, float* /*scratch*/) {
    y[i] = kernels::IntGridDotRow(codes, l.cols, l.group_size, params, x, group_x_sums.data());
  });
}

}  // namespace shrink
