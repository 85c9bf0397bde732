// The sparse formats' encoder (SparsifyTensor), sizes, decoder and MatVec drivers.
#include "shrink/formats/sparse_tensor.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shrink/core/convert.h"
#include "shrink/core/error.h"
#include "shrink/core/tensor_checks.h"
#include "shrink/formats/quant_tensor.h"
#include "src/core/parallel.h"
#include "src/formats/sparse_layout.h"
#include "src/kernels/formats/int8_rows.h"
#include "src/kernels/sparse/sparse_rows.h"

namespace shrink {
namespace {

using sparse_layout::ColumnDType;
using sparse_layout::kBitmask;
using sparse_layout::kColIdx;
using sparse_layout::kCsr;
using sparse_layout::kIndices;
using sparse_layout::kMask;
using sparse_layout::kNm;
using sparse_layout::kQuantPrefix;
using sparse_layout::kRowOffset;
using sparse_layout::kRowPtr;
using sparse_layout::kScale;
using sparse_layout::kValues;
using sparse_layout::MaskRowBytes;
using sparse_layout::NmIndexRowBytes;
using sparse_layout::OffsetDType;
using sparse_layout::PlainValueDType;

// A SparseSpec checked against a weight shape.
struct ResolvedSpec {
  std::optional<DType> plain;          // the "values" dtype, unless a QuantFormat stores them
  std::unique_ptr<QuantFormat> quant;  // nm with quantized values
  int index_bits = 0;                  // nm
  int64_t kept_per_row = 0;            // nm
};

ResolvedSpec Resolve(const SparseSpec& spec, const Shape& shape, const std::string& what) {
  if (shape.rank() != 2 || shape.num_elements() == 0) {
    Fail(ErrorCode::kInvalidArgument, what, ": sparse formats need a non-empty 2-D weight, got shape ",
         shape.ToString());
  }
  if (!IsSparseFormat(spec.layout)) {
    Fail(ErrorCode::kInvalidArgument, what, ": unknown sparse layout '", spec.layout,
         "' (expected csr, bitmask or nm)");
  }
  ResolvedSpec r;
  const bool nm = spec.layout == kNm;
  if (nm) {
    if (!(1 <= spec.n && spec.n < spec.m && spec.m <= 16)) {
      Fail(ErrorCode::kInvalidArgument, what, ": n:m sparsity ", spec.n, ":", spec.m,
           " is not supported; it needs 1 <= n < m <= 16 (2:4, 4:8...)");
    }
    if (shape.cols() % spec.m != 0) {
      Fail(ErrorCode::kInvalidArgument, what, " ", shape.ToString(), ": cols ", shape.cols(),
           " is not a multiple of m = ", spec.m,
           "; n:m sparsity needs whole groups of m weights in every row (choose an m that divides ", shape.cols(),
           " or another layout)");
    }
    r.index_bits = NmIndexBits(spec.m);
    r.kept_per_row = shape.cols() / spec.m * spec.n;
  }
  r.plain = PlainValueDType(spec.value_format);
  if (!r.plain) {
    if (!nm || !IsQuantFormat(spec.value_format)) {
      Fail(ErrorCode::kInvalidArgument, what, ": value format '", spec.value_format,
           "' is not one of f32, f16, bf16, int8",
           nm ? " or a quantized weight format" : " (quantized value formats need layout nm)");
    }
    r.quant = MakeQuantFormat(spec.value_format, spec.value_settings);
    if (r.quant->QuantizesActivations()) {  // its product is not the decoded weights' (DotRow)
      Fail(ErrorCode::kInvalidArgument, what, ": ", spec.value_format,
           " rounds activations in its MatVec, which n:m values do not; use int8 values instead");
    }
    const std::string problem = r.quant->CheckCols(r.kept_per_row);
    if (!problem.empty()) {
      Fail(ErrorCode::kInvalidArgument, what, ": the ", r.kept_per_row, " kept values of each row do not fit ",
           spec.value_format, ": ", problem);
    }
  }
  return r;
}

// Writes `values` as `dtype` (i32 or i64) elements.
void StoreOffsets(const std::vector<int64_t>& values, DType dtype, uint8_t* out) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (dtype == DType::kI32) {
      const auto v = static_cast<int32_t>(values[i]);
      std::memcpy(out + 4 * i, &v, sizeof(v));
    } else {
      std::memcpy(out + 8 * i, &values[i], sizeof(values[i]));
    }
  }
}

// Sets the n:m index of kept value `t` in a row's packed indices (zero-initialized).
void PutNmIndex(uint8_t* row, int64_t t, int index_bits, int index) {
  const int64_t first = t * index_bits;
  const int shift = static_cast<int>(first & 7);
  row[first >> 3] = static_cast<uint8_t>(row[first >> 3] | (index << shift));
  if (shift + index_bits > 8) {
    row[(first >> 3) + 1] = static_cast<uint8_t>(row[(first >> 3) + 1] | (index >> (8 - shift)));
  }
}

// Throws kInvalidArgument naming the first n:m group of `keep_mask` that does not keep n weights.
void CheckNmMask(const uint8_t* keep_mask, int64_t rows, int64_t cols, int n, int m, const std::string& what) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t g = 0; g < cols / m; ++g) {
      const uint8_t* group = keep_mask + r * cols + g * m;
      const auto kept = std::count_if(group, group + m, [](uint8_t b) { return b != 0; });
      if (kept != n) {
        Fail(ErrorCode::kInvalidArgument, what, ": row ", r, " group ", g, " (columns ", g * m, "..", g * m + m - 1,
             ") keeps ", kept, " weights; ", n, ":", m, " sparsity keeps exactly ", n, " in every group of ", m);
      }
    }
  }
}

// Stores the kept values (`packed`, row r's at [row_begin[r], row_begin[r+1])) as the spec says.
void StoreValues(const ResolvedSpec& r, const SparseSpec& spec, const std::vector<float>& packed,
                 const std::vector<int64_t>& row_begin, const Shape& values_shape, const std::string& what,
                 CompressedTensor& tensor) {
  if (r.quant) {
    CompressedTensor q = QuantizeTensor(*r.quant, TensorView<const float>(packed.data(), values_shape), nullptr, what);
    for (const auto& [key, value] : q.metadata()) tensor.SetMeta(kQuantPrefix + key, value);
    for (CompressedSection& s : q.mutable_sections()) {
      s.name = kQuantPrefix + s.name;
      tensor.AddSection(std::move(s));
    }
    return;
  }
  const auto rows = static_cast<int64_t>(row_begin.size()) - 1;
  float* scales =
      *r.plain == DType::kI8 ? reinterpret_cast<float*>(tensor.AddSection(kScale, DType::kF32, Shape{rows})) : nullptr;
  uint8_t* out = tensor.AddSection(kValues, *r.plain, values_shape);
  switch (*r.plain) {
    case DType::kF16: ConvertF32ToF16(packed.data(), reinterpret_cast<uint16_t*>(out), packed.size()); break;
    case DType::kBF16: ConvertF32ToBF16(packed.data(), reinterpret_cast<uint16_t*>(out), packed.size()); break;
    case DType::kI8:
      ParallelFor(rows, [&](int64_t i) {
        const int64_t begin = row_begin[static_cast<size_t>(i)];
        scales[i] = kernels::QuantizeInt8Row(packed.data() + begin, row_begin[static_cast<size_t>(i) + 1] - begin,
                                             reinterpret_cast<int8_t*>(out) + begin);
      });
      break;
    default: std::memcpy(out, packed.data(), packed.size() * sizeof(float));
  }
  if (*r.plain == DType::kF16 || *r.plain == DType::kBF16) {
    for (size_t k = 0; k < packed.size(); ++k) {
      if (!std::isfinite(kernels::SparseValueRef(*r.plain, out, static_cast<int64_t>(k)))) {
        const auto row =
            std::upper_bound(row_begin.begin(), row_begin.end(), static_cast<int64_t>(k)) - row_begin.begin() - 1;
        Fail(ErrorCode::kInvalidArgument, what, ": kept weight ", packed[k], " of row ", row, " overflows ",
             spec.value_format, "; store the values as f32");
      }
    }
  }
}

// Returns y[i] for row `i` of a validated view.
float RowDot(const SparseView& v, int64_t i, const float* x) {
  const float scale = v.scales != nullptr ? v.scales[i] : 1.0f;
  const size_t value_size = DTypeSize(v.value_dtype);
  switch (v.layout) {
    case SparseView::Layout::kCsr: {
      const int64_t begin = v.RowBegin(i);
      return scale * kernels::CsrDot(
                         v.value_dtype, v.values + static_cast<size_t>(begin) * value_size, v.index_dtype,
                         static_cast<const uint8_t*>(v.indices) + static_cast<size_t>(begin) * DTypeSize(v.index_dtype),
                         v.RowBegin(i + 1) - begin, x);
    }
    case SparseView::Layout::kBitmask: {
      const int64_t begin = v.RowBegin(i);
      return scale * kernels::BitmaskDot(v.value_dtype, v.values + static_cast<size_t>(begin) * value_size,
                                         v.RowBegin(i + 1) - begin, v.mask + i * v.mask_row_bytes, v.cols, x);
    }
    case SparseView::Layout::kNm: {
      const int64_t kept = v.cols / v.m * v.n;
      const kernels::NmGroups groups{v.n, v.m, v.index_bits};
      const uint8_t* indices = static_cast<const uint8_t*>(v.indices) + i * v.index_row_bytes;
      const int64_t readable = (v.rows - i) * v.index_row_bytes;
      if (!v.quant) {
        return scale * kernels::NmDot(v.value_dtype, v.values + static_cast<size_t>(i * kept) * value_size, indices,
                                      readable, kept, groups, x);
      }
      // The inputs meeting the row's kept values, then the scratch DotRow decodes into.
      thread_local std::vector<float> scratch;
      scratch.resize(2 * static_cast<size_t>(kept));
      kernels::NmGatherInputs(indices, readable, kept, groups, x, scratch.data());
      return v.quant->DotRow(v.quant_rows->Row(i), kept, v.quant_rows->tensor_scale(), scratch.data(),
                             scratch.data() + kept);
    }
  }
  return 0.0f;
}

}  // namespace

bool IsSparseFormat(const std::string& name) { return name == kCsr || name == kBitmask || name == kNm; }

int NmIndexBits(int m) {
  int bits = 1;
  while ((1 << bits) < m) ++bits;
  return bits;
}

CompressedTensor SparsifyTensor(TensorView<const float> weight, const uint8_t* keep_mask, const SparseSpec& spec,
                                const std::string& what) {
  const ResolvedSpec r = Resolve(spec, weight.shape(), what);
  RequireFiniteMatrix(weight, what.c_str());
  if (keep_mask == nullptr) Fail(ErrorCode::kInvalidArgument, what, ": keep_mask is null");
  const int64_t rows = weight.rows(), cols = weight.cols();
  if (spec.layout == kNm) CheckNmMask(keep_mask, rows, cols, spec.n, spec.m, what);

  std::vector<int64_t> row_begin(static_cast<size_t>(rows) + 1, 0);
  for (int64_t i = 0; i < rows; ++i) {
    const uint8_t* keep = keep_mask + i * cols;
    row_begin[static_cast<size_t>(i) + 1] =
        row_begin[static_cast<size_t>(i)] + std::count_if(keep, keep + cols, [](uint8_t b) { return b != 0; });
  }
  const int64_t nnz = row_begin.back();
  std::vector<float> packed(static_cast<size_t>(nnz));
  ParallelFor(rows, [&](int64_t i) {
    int64_t k = row_begin[static_cast<size_t>(i)];
    for (int64_t j = 0; j < cols; ++j) {
      if (keep_mask[i * cols + j] != 0) packed[static_cast<size_t>(k++)] = weight(i, j);
    }
  });

  CompressedTensor tensor(spec.layout, weight.shape());
  tensor.SetMeta(kValues, spec.value_format);
  Shape values_shape{nnz};
  if (spec.layout == kCsr) {
    StoreOffsets(row_begin, OffsetDType(nnz), tensor.AddSection(kRowPtr, OffsetDType(nnz), Shape{rows + 1}));
    const DType col_dtype = ColumnDType(cols);
    uint8_t* col_idx = tensor.AddSection(kColIdx, col_dtype, Shape{nnz});
    ParallelFor(rows, [&](int64_t i) {
      int64_t k = row_begin[static_cast<size_t>(i)];
      for (int64_t j = 0; j < cols; ++j) {
        if (keep_mask[i * cols + j] == 0) continue;
        if (col_dtype == DType::kU16) {
          reinterpret_cast<uint16_t*>(col_idx)[k++] = static_cast<uint16_t>(j);
        } else {
          reinterpret_cast<int32_t*>(col_idx)[k++] = static_cast<int32_t>(j);
        }
      }
    });
  } else if (spec.layout == kBitmask) {
    const int64_t row_bytes = MaskRowBytes(cols);
    uint8_t* mask = tensor.AddSection(kMask, DType::kU8, Shape{rows, row_bytes});
    for (int64_t i = 0; i < rows; ++i) {
      for (int64_t j = 0; j < cols; ++j) {
        if (keep_mask[i * cols + j] != 0) mask[i * row_bytes + (j >> 3)] |= static_cast<uint8_t>(1u << (j & 7));
      }
    }
    StoreOffsets(row_begin, OffsetDType(nnz), tensor.AddSection(kRowOffset, OffsetDType(nnz), Shape{rows + 1}));
  } else {
    tensor.SetMeta("n", std::to_string(spec.n));
    tensor.SetMeta("m", std::to_string(spec.m));
    const int64_t row_bytes = NmIndexRowBytes(r.kept_per_row, r.index_bits);
    uint8_t* indices = tensor.AddSection(kIndices, DType::kU8, Shape{rows, row_bytes});
    ParallelFor(rows, [&](int64_t i) {
      int64_t t = 0;
      for (int64_t j = 0; j < cols; ++j) {
        if (keep_mask[i * cols + j] != 0) {
          PutNmIndex(indices + i * row_bytes, t++, r.index_bits, static_cast<int>(j % spec.m));
        }
      }
    });
    values_shape = Shape{rows, r.kept_per_row};
  }
  StoreValues(r, spec, packed, row_begin, values_shape, what, tensor);
  return tensor;
}

size_t SparseTensorBytes(const SparseSpec& spec, const Shape& shape, int64_t nnz) {
  const ResolvedSpec r = Resolve(spec, shape, "sparse tensor");
  const int64_t rows = shape.rows(), cols = shape.cols();
  if (spec.layout == kNm) nnz = rows * r.kept_per_row;
  if (nnz < 0 || nnz > shape.num_elements()) {
    Fail(ErrorCode::kInvalidArgument, "sparse tensor ", shape.ToString(), ": ", nnz, " kept weights is outside [0, ",
         shape.num_elements(), "]");
  }
  const auto offsets = static_cast<size_t>(rows + 1) * DTypeSize(OffsetDType(nnz));
  size_t bytes = 0;
  if (spec.layout == kCsr) bytes = offsets + static_cast<size_t>(nnz) * DTypeSize(ColumnDType(cols));
  if (spec.layout == kBitmask) bytes = offsets + static_cast<size_t>(rows * MaskRowBytes(cols));
  if (spec.layout == kNm) bytes = static_cast<size_t>(rows * NmIndexRowBytes(r.kept_per_row, r.index_bits));
  if (r.quant) return bytes + QuantTensorBytes(*r.quant, Shape{rows, r.kept_per_row});
  bytes += static_cast<size_t>(nnz) * DTypeSize(*r.plain);
  return bytes + (*r.plain == DType::kI8 ? static_cast<size_t>(rows) * sizeof(float) : 0);
}

void DensifyTensor(const CompressedTensor& tensor, TensorView<float> out) {
  DensifyTensor(ValidateSparse(tensor), out);
}

void DensifyTensor(const SparseView& v, TensorView<float> out) {
  if (out.rank() != 2 || out.rows() != v.rows || out.cols() != v.cols) {
    Fail(ErrorCode::kShapeMismatch, "sparse tensor [", v.rows, ", ", v.cols, "]: output view ", out.shape().ToString(),
         " does not match");
  }
  ParallelFor(v.rows, [&](int64_t i) {
    for (int64_t j = 0; j < v.cols; ++j) out(i, j) = 0.0f;
    const float scale = v.scales != nullptr ? v.scales[i] : 1.0f;
    const auto value = [&](int64_t k) { return scale * kernels::SparseValueRef(v.value_dtype, v.values, k); };
    switch (v.layout) {
      case SparseView::Layout::kCsr:
        for (int64_t k = v.RowBegin(i); k < v.RowBegin(i + 1); ++k) {
          const int64_t col = v.index_dtype == DType::kU16 ? static_cast<const uint16_t*>(v.indices)[k]
                                                           : static_cast<const int32_t*>(v.indices)[k];
          out(i, col) = value(k);
        }
        break;
      case SparseView::Layout::kBitmask: {
        int64_t k = v.RowBegin(i);
        for (int64_t j = 0; j < v.cols; ++j) {
          if ((v.mask[i * v.mask_row_bytes + (j >> 3)] >> (j & 7)) & 1) out(i, j) = value(k++);
        }
        break;
      }
      case SparseView::Layout::kNm: {
        const int64_t kept = v.cols / v.m * v.n;
        const uint8_t* indices = static_cast<const uint8_t*>(v.indices) + i * v.index_row_bytes;
        std::vector<float> decoded(v.quant ? static_cast<size_t>(kept) : 0);
        if (v.quant) v.quant->DequantizeRow(v.quant_rows->Row(i), kept, v.quant_rows->tensor_scale(), decoded.data());
        for (int64_t t = 0; t < kept; ++t) {
          out(i, t / v.n * v.m + kernels::NmIndexRef(indices, t, v.index_bits)) =
              v.quant ? decoded[static_cast<size_t>(t)] : value(i * kept + t);
        }
        break;
      }
    }
  });
}

void SparseMatVec(const CompressedTensor& tensor, const float* x, float* y) {
  SparseMatVec(ValidateSparse(tensor), x, y);
}

void SparseMatVec(const SparseView& view, const float* x, float* y) {
  ParallelFor(view.rows, [&](int64_t i) { y[i] = RowDot(view, i, x); });
}

SparseInfo GetSparseInfo(const CompressedTensor& tensor) {
  const SparseView v = ValidateSparse(tensor);
  SparseInfo info;
  info.layout = tensor.format();
  info.value_format = tensor.Meta(kValues);
  info.n = v.n;
  info.m = v.m;
  info.rows = v.rows;
  info.cols = v.cols;
  info.nnz = v.nnz;
  const auto weights = static_cast<double>(v.rows * v.cols);
  info.sparsity = 1.0 - static_cast<double>(v.nnz) / weights;
  size_t index_bytes = 0;
  for (const CompressedSection& s : tensor.sections()) {
    if (s.name == kRowPtr || s.name == kColIdx || s.name == kMask || s.name == kRowOffset || s.name == kIndices) {
      index_bytes += s.bytes.size();
    }
  }
  info.bits_per_weight = 8.0 * static_cast<double>(tensor.num_bytes()) / weights;
  info.index_bits_per_weight = 8.0 * static_cast<double>(index_bytes) / weights;
  return info;
}

}  // namespace shrink
