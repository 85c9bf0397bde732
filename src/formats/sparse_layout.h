// Section names, dtypes and sizes of the sparse formats, shared by their encoder and validator
// (the layouts are documented in shrink/formats/sparse_tensor.h).
#ifndef SHRINK_SRC_FORMATS_SPARSE_LAYOUT_H_
#define SHRINK_SRC_FORMATS_SPARSE_LAYOUT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "shrink/core/dtype.h"

namespace shrink::sparse_layout {

constexpr const char* kCsr = "csr";
constexpr const char* kBitmask = "bitmask";
constexpr const char* kNm = "nm";

constexpr const char* kValues = "values";
constexpr const char* kScale = "scale";
constexpr const char* kRowPtr = "row_ptr";
constexpr const char* kColIdx = "col_idx";
constexpr const char* kMask = "mask";
constexpr const char* kRowOffset = "row_offset";
constexpr const char* kIndices = "indices";
// A QuantFormat's sections and settings are stored under this prefix ("values.scales").
constexpr const char* kQuantPrefix = "values.";
// The section a QuantFormat with a tensor scale keeps it in (as quant_tensor.cc names it).
constexpr const char* kQuantTensorScale = "tensor_scale";

// Returns the "values" dtype of a value format stored without a QuantFormat (f32, f16, bf16,
// int8 -> i8), or nullopt.
inline std::optional<DType> PlainValueDType(const std::string& value_format) {
  if (value_format == "f32") return DType::kF32;
  if (value_format == "f16") return DType::kF16;
  if (value_format == "bf16") return DType::kBF16;
  if (value_format == "int8") return DType::kI8;
  return std::nullopt;
}

// Returns the dtype of row pointers / offsets of a tensor keeping `nnz` weights.
inline DType OffsetDType(int64_t nnz) { return nnz < (int64_t{1} << 31) ? DType::kI32 : DType::kI64; }
// Returns the dtype of csr column indices of rows of `cols` weights.
inline DType ColumnDType(int64_t cols) { return cols <= 65536 ? DType::kU16 : DType::kI32; }
// Returns the bytes of one bitmask row of `cols` weights.
inline int64_t MaskRowBytes(int64_t cols) { return (cols + 7) / 8; }
// Returns the bytes of one n:m row's packed indices (`kept` values of `index_bits` each).
inline int64_t NmIndexRowBytes(int64_t kept, int index_bits) { return (kept * index_bits + 7) / 8; }

}  // namespace shrink::sparse_layout

#endif  // SHRINK_SRC_FORMATS_SPARSE_LAYOUT_H_
