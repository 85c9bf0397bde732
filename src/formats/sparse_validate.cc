// Validation of sparse tensors from untrusted bytes: every section and index is checked before a
// kernel may read through it (ValidateSparse).
#include <array>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "shrink/core/error.h"
#include "shrink/formats/sparse_tensor.h"
#include "src/core/parallel.h"
#include "src/formats/sparse_layout.h"
#include "src/kernels/sparse/sparse_rows.h"

namespace shrink {
namespace {

using sparse_layout::kColIdx;
using sparse_layout::kCsr;
using sparse_layout::kIndices;
using sparse_layout::kMask;
using sparse_layout::kNm;
using sparse_layout::kQuantPrefix;
using sparse_layout::kQuantTensorScale;
using sparse_layout::kRowOffset;
using sparse_layout::kRowPtr;
using sparse_layout::kScale;
using sparse_layout::kValues;

// Bounds rows * cols so that every byte count computed from them fits in 64 bits.
constexpr int64_t kMaxWeights = int64_t{1} << 48;

// Returns the section `name`, which must be one of `dtypes` with `count` elements.
const CompressedSection& SectionOf(const CompressedTensor& t, const char* name, std::initializer_list<DType> dtypes,
                                   int64_t count) {
  const CompressedSection* s = t.FindSection(name);
  if (s == nullptr) Fail(ErrorCode::kCorruptData, t.format(), " tensor has no '", name, "' section");
  for (DType dtype : dtypes) {
    if (s->dtype == dtype) return t.Section(name, dtype, static_cast<size_t>(count) * DTypeSize(dtype));
  }
  Fail(ErrorCode::kCorruptData, t.format(), " section '", name, "' has dtype ", DTypeName(s->dtype), ", expected ",
       DTypeName(*dtypes.begin()), dtypes.size() > 1 ? " or " : "",
       dtypes.size() > 1 ? DTypeName(*(dtypes.end() - 1)) : "");
}

// Checks the rows+1 row pointers / offsets in section `name`: i32 or i64, starting at 0,
// non-decreasing, no row keeping more than cols; returns nnz (the last one).
int64_t ValidateOffsets(const CompressedTensor& t, const char* name, SparseView& v) {
  const CompressedSection& s = SectionOf(t, name, {DType::kI32, DType::kI64}, v.rows + 1);
  v.offset_dtype = s.dtype;
  v.offsets = s.bytes.data();
  if (v.RowBegin(0) != 0) Fail(ErrorCode::kCorruptData, t.format(), " ", name, "[0] = ", v.RowBegin(0), ", expected 0");
  for (int64_t r = 0; r < v.rows; ++r) {
    const int64_t begin = v.RowBegin(r), end = v.RowBegin(r + 1);  // begin is in [0, r * cols]
    if (end < begin) {
      Fail(ErrorCode::kCorruptData, t.format(), " ", name, "[", r + 1, "] = ", end, " is below ", name, "[", r,
           "] = ", begin, "; offsets must not decrease");
    }
    if (end - begin > v.cols) {
      Fail(ErrorCode::kCorruptData, t.format(), " ", name, "[", r + 1, "] = ", end, ": row ", r, " would keep ",
           end - begin, " weights, more than its ", v.cols, " columns");
    }
  }
  return v.RowBegin(v.rows);
}

// Checks the "values" section (`count` kept values of `dtype`) and, for int8, the row scales.
void ValidateValues(const CompressedTensor& t, DType dtype, int64_t count, SparseView& v) {
  v.value_dtype = dtype;
  v.values = SectionOf(t, kValues, {dtype}, count).bytes.data();
  if (dtype != DType::kI8) return;
  v.scales = reinterpret_cast<const float*>(SectionOf(t, kScale, {DType::kF32}, v.rows).bytes.data());
  for (int64_t r = 0; r < v.rows; ++r) {
    if (!std::isfinite(v.scales[r]) || v.scales[r] < 0.0f) {
      Fail(ErrorCode::kCorruptData, t.format(), " tensor row ", r, " has scale ", v.scales[r],
           ", expected a finite value >= 0");
    }
  }
}

void ValidateCsr(const CompressedTensor& t, DType value_dtype, SparseView& v) {
  v.layout = SparseView::Layout::kCsr;
  v.nnz = ValidateOffsets(t, kRowPtr, v);
  const CompressedSection& cols = SectionOf(t, kColIdx, {DType::kU16, DType::kI32}, v.nnz);
  v.index_dtype = cols.dtype;
  v.indices = cols.bytes.data();
  ParallelFor(v.rows, [&](int64_t r) {
    int64_t previous = -1;
    for (int64_t k = v.RowBegin(r); k < v.RowBegin(r + 1); ++k) {
      const int64_t col = v.index_dtype == DType::kU16 ? static_cast<const uint16_t*>(v.indices)[k]
                                                       : static_cast<const int32_t*>(v.indices)[k];
      if (col < 0 || col >= v.cols) {
        Fail(ErrorCode::kCorruptData, "csr row ", r, ": col_idx[", k, "] = ", col, " is outside [0, ", v.cols, ")");
      }
      if (col <= previous) {
        Fail(ErrorCode::kCorruptData, "csr row ", r, ": col_idx[", k, "] = ", col, " follows ", previous,
             "; column indices must strictly increase within a row");
      }
      previous = col;
    }
  });
  ValidateValues(t, value_dtype, v.nnz, v);
}

void ValidateBitmask(const CompressedTensor& t, DType value_dtype, SparseView& v) {
  v.layout = SparseView::Layout::kBitmask;
  v.mask_row_bytes = sparse_layout::MaskRowBytes(v.cols);
  v.mask = SectionOf(t, kMask, {DType::kU8}, v.rows * v.mask_row_bytes).bytes.data();
  v.nnz = ValidateOffsets(t, kRowOffset, v);
  const auto padding = static_cast<uint8_t>(v.cols % 8 == 0 ? 0 : 0xFF << (v.cols % 8));
  ParallelFor(v.rows, [&](int64_t r) {
    const uint8_t* row = v.mask + r * v.mask_row_bytes;
    if ((row[v.mask_row_bytes - 1] & padding) != 0) {
      Fail(ErrorCode::kCorruptData, "bitmask row ", r, " has mask bits set past column ", v.cols - 1);
    }
    int64_t kept = 0;
    for (int64_t b = 0; b < v.mask_row_bytes; ++b) kept += __builtin_popcount(row[b]);
    if (kept != v.RowBegin(r + 1) - v.RowBegin(r)) {
      Fail(ErrorCode::kCorruptData, "bitmask row ", r, " has ", kept, " mask bits set but row_offset gives it ",
           v.RowBegin(r + 1) - v.RowBegin(r), " values");
    }
  });
  ValidateValues(t, value_dtype, v.nnz, v);
}

// Checks the sections a QuantFormat stores an n:m tensor's compacted values in ("values.*").
void ValidateQuantValues(const CompressedTensor& t, const std::string& value_format, int64_t kept, SparseView& v) {
  std::map<std::string, std::string> settings;
  for (const auto& [key, value] : t.metadata()) {
    if (key.rfind(kQuantPrefix, 0) == 0) settings[key.substr(std::strlen(kQuantPrefix))] = value;
  }
  try {
    v.quant = MakeQuantFormat(value_format, settings);
  } catch (const Error& e) {
    Fail(ErrorCode::kCorruptData, "nm tensor has bad value format settings: ", e.message());
  }
  if (v.quant->QuantizesActivations()) {
    Fail(ErrorCode::kCorruptData, "nm tensor values are in ", value_format, ", which n:m tensors do not use");
  }
  const std::string problem = v.quant->CheckCols(kept);
  if (!problem.empty()) Fail(ErrorCode::kCorruptData, "nm tensor values [", v.rows, ", ", kept, "]: ", problem);
  const std::vector<FormatSection> sections = v.quant->Sections(kept);
  if (sections.size() > static_cast<size_t>(kMaxFormatSections)) {
    Fail(ErrorCode::kInternal, value_format, " declares more than ", kMaxFormatSections, " sections");
  }
  std::array<const uint8_t*, kMaxFormatSections> base{};
  std::array<size_t, kMaxFormatSections> row_bytes{};
  for (size_t s = 0; s < sections.size(); ++s) {
    row_bytes[s] = sections[s].row_bytes();
    base[s] = t.Section(kQuantPrefix + sections[s].name, sections[s].dtype, static_cast<size_t>(v.rows) * row_bytes[s])
                  .bytes.data();
  }
  float tensor_scale = 1.0f;
  if (v.quant->UsesTensorScale()) {
    std::memcpy(&tensor_scale,
                t.Section(kQuantPrefix + std::string(kQuantTensorScale), DType::kF32, sizeof(float)).bytes.data(),
                sizeof(float));
    if (!std::isfinite(tensor_scale) || tensor_scale < 0.0f) {
      Fail(ErrorCode::kCorruptData, "nm tensor: values tensor scale is negative or not finite (", tensor_scale, ")");
    }
  }
  v.quant_rows.emplace(v.rows, kept, tensor_scale, base, row_bytes);
  for (int64_t r = 0; r < v.rows; ++r) v.quant->ValidateRow(v.quant_rows->Row(r), kept, r);
}

void ValidateNm(const CompressedTensor& t, const std::string& value_format, SparseView& v) {
  v.layout = SparseView::Layout::kNm;
  v.n = static_cast<int>(t.MetaInt("n", 1, 15));
  v.m = static_cast<int>(t.MetaInt("m", 2, 16));
  if (v.n >= v.m) Fail(ErrorCode::kCorruptData, "nm tensor keeps n = ", v.n, " of every m = ", v.m, ", expected n < m");
  if (v.cols % v.m != 0) {
    Fail(ErrorCode::kCorruptData, "nm tensor has ", v.cols, " cols, not a multiple of m = ", v.m);
  }
  v.index_bits = NmIndexBits(v.m);
  const int64_t kept = v.cols / v.m * v.n;
  v.nnz = v.rows * kept;
  v.index_row_bytes = sparse_layout::NmIndexRowBytes(kept, v.index_bits);
  v.indices = SectionOf(t, kIndices, {DType::kU8}, v.rows * v.index_row_bytes).bytes.data();
  ParallelFor(v.rows, [&](int64_t r) {
    const uint8_t* row = static_cast<const uint8_t*>(v.indices) + r * v.index_row_bytes;
    for (int64_t g = 0; g < v.cols / v.m; ++g) {
      int previous = -1;
      for (int64_t t = g * v.n; t < (g + 1) * v.n; ++t) {
        const int index = kernels::NmIndexRef(row, t, v.index_bits);
        if (index >= v.m || index <= previous) {
          Fail(ErrorCode::kCorruptData, "nm row ", r, " group ", g, ": index ", index, " after ", previous,
               "; the indices of a group must be distinct, increasing and below m = ", v.m);
        }
        previous = index;
      }
    }
  });
  if (const auto plain = sparse_layout::PlainValueDType(value_format)) {
    ValidateValues(t, *plain, v.nnz, v);
  } else if (IsQuantFormat(value_format)) {
    ValidateQuantValues(t, value_format, kept, v);
  } else {
    Fail(ErrorCode::kCorruptData, "nm tensor value format '", value_format,
         "' is none of f32, f16, bf16, int8 or a quantized weight format");
  }
}

}  // namespace

SparseView ValidateSparse(const CompressedTensor& tensor) {
  const std::string& name = tensor.format();
  if (!IsSparseFormat(name)) Fail(ErrorCode::kInvalidArgument, "'", name, "' is not a sparse weight format");
  const Shape& shape = tensor.shape();
  if (shape.rank() != 2 || shape.rows() < 1 || shape.cols() < 1 || shape.rows() > kMaxWeights / shape.cols()) {
    Fail(ErrorCode::kCorruptData, name, " tensor has shape ", shape.ToString(), ", expected a non-empty 2-D shape");
  }
  SparseView v;
  v.rows = shape.rows();
  v.cols = shape.cols();
  const std::string& value_format = tensor.Meta(kValues);
  if (name == kNm) {
    ValidateNm(tensor, value_format, v);
    return v;
  }
  const auto plain = sparse_layout::PlainValueDType(value_format);
  if (!plain) {
    Fail(ErrorCode::kCorruptData, name, " tensor value format '", value_format, "' is none of f32, f16, bf16 or int8");
  }
  if (name == kCsr) {
    ValidateCsr(tensor, *plain, v);
  } else {
    ValidateBitmask(tensor, *plain, v);
  }
  return v;
}

}  // namespace shrink
