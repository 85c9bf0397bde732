// SpqrLayout: section shapes of an "spqr" tensor, and the bit packer its codes use.
#include "src/quant/spqr_layout.h"

namespace shrink {
namespace {

CompressedSection Declare(const char* name, DType dtype, const Shape& shape) {
  CompressedSection s;
  s.name = name;
  s.dtype = dtype;
  s.shape = shape;
  return s;
}

}  // namespace

SpqrLayout::SpqrLayout(int64_t rows_in, int64_t cols_in, const SpqrSettings& settings_in)
    : rows(rows_in),
      cols(cols_in),
      settings(settings_in),
      groups((cols_in + settings_in.group - 1) / settings_in.group),
      stat_groups((rows_in + kSpqrStatGroup - 1) / kSpqrStatGroup),
      code_bytes((cols_in * settings_in.bits + 7) / 8),
      stat_code_bytes((rows_in * settings_in.stat_bits + 7) / 8),
      index_dtype(cols_in <= 65535 ? DType::kU16 : DType::kI32) {}

std::vector<CompressedSection> SpqrLayout::Sections() const {
  std::vector<CompressedSection> s;
  s.push_back(Declare("codes", DType::kU8, Shape{rows, code_bytes}));
  s.push_back(Declare("scale_codes", DType::kU8, Shape{groups, stat_code_bytes}));
  s.push_back(Declare("zero_codes", DType::kU8, Shape{groups, stat_code_bytes}));
  s.push_back(Declare("stats", DType::kF16, Shape{groups, stat_groups, 4}));
  if (settings.outlier_capacity > 0) {
    s.push_back(Declare("outlier_counts", index_dtype, Shape{rows}));
    s.push_back(Declare("outlier_cols", index_dtype, Shape{rows, settings.outlier_capacity}));
    s.push_back(Declare("outlier_values", DType::kF16, Shape{rows, settings.outlier_capacity}));
  }
  if (settings.permuted) s.push_back(Declare("perm", index_dtype, Shape{cols}));
  return s;
}

size_t SpqrLayout::NumBytes() const {
  size_t n = 0;
  for (const CompressedSection& s : Sections()) n += static_cast<size_t>(s.shape.num_elements()) * DTypeSize(s.dtype);
  return n;
}

void PackBits(const uint8_t* values, int64_t n, int bits, uint8_t* out) {
  for (int64_t i = 0; i < n; ++i) {
    const int64_t bit = i * bits;
    const uint32_t v = static_cast<uint32_t>(values[i]) << (bit % 8);
    out[bit / 8] |= static_cast<uint8_t>(v);
    if (bit % 8 + bits > 8) out[bit / 8 + 1] |= static_cast<uint8_t>(v >> 8);
  }
}

}  // namespace shrink
