// Sparse weight formats (csr, bitmask, n:m): storing pruned weights, validating, decoding and MatVec.
//
// Pruners decide which weights to keep (a mask) and SparsifyTensor stores the kept ones in one
// of three layouts, each a CompressedTensor of logical shape [rows, cols] whose metadata "values"
// names how the kept values are stored:
//   f32, f16, bf16  section "values" of that dtype (IEEE f16 / bf16, round to nearest even);
//   int8            section "values" (i8) plus "scale" (f32 [rows]): symmetric per row, as w8a8's
//                   rows: w = scale_r * code, code in [-127, 127], scale_r = max |kept w of row r| / 127;
//   a QuantFormat   (n:m only) the compacted [rows, cols*n/m] matrix of kept values quantized by
//                   that format (MakeQuantFormat; e.g. "int" 4-bit group 32, "q8_0"), its sections
//                   and tensor scale renamed "values.<section>", its settings in metadata
//                   "values.<setting>".
// Every multi-byte field is little-endian. nnz counts kept weights; a row may keep none or all.
//
// Layout "csr" (compressed sparse row, the layout of torch.sparse_csr and SciPy):
//   "row_ptr"  i32 [rows+1] when nnz < 2^31, else i64: row r keeps entries [row_ptr[r], row_ptr[r+1]),
//              row_ptr[0] = 0, non-decreasing, row_ptr[rows] = nnz. Signed because readers (PyTorch,
//              safetensors' dtypes as shrink stores them) take crow indices as int32 / int64.
//   "col_idx"  u16 [nnz] when cols <= 65536, else i32: strictly increasing within a row, < cols.
//   "values"   [nnz] (and "scale" for int8).
//   Costs (value bits + 16 or 32) per kept weight + 32 or 64 bits per row.
// Layout "bitmask":
//   "mask"        u8 [rows, ceil(cols/8)]: weight (r, c) is kept when bit c%8 (least significant
//                 first) of byte c/8 of row r is set; each row starts on a byte (padding bits are 0),
//                 so a kernel turns 8 or 16 bits straight into a SIMD lane mask.
//   "row_offset"  i32 [rows+1] when nnz < 2^31, else i64: row r's kept values start at
//                 row_offset[r] (= kept weights of the rows before), so rows decode in parallel;
//                 row_offset[r+1] - row_offset[r] is the popcount of row r's mask bytes.
//   "values"      [nnz] in row-major order of the kept weights (and "scale" for int8).
//   Costs value bits per kept weight + 1 bit per weight (+ 32 or 64 bits per row).
// Layout "nm" (metadata "n", "m": n kept in every group of m consecutive weights of a row,
// 1 <= n < m <= 16, cols a multiple of m; 2:4 is NVIDIA's sparse tensor-core layout):
//   "values"   the kept values as a dense [rows, k] matrix, k = cols*n/m, in column order.
//   "indices"  u8 [rows, ceil(k*b/8)], b = ceil(log2 m) bits per kept value (2 for m = 4, 3 for
//              m = 8, 4 for m = 16): kept value t of a row sits in column (t/n)*m + index_t, and
//              index_t is bits [t*b, t*b+b) of the row's bytes read as one little-endian bit
//              string (bit q is bit q%8 of byte q/8). Within a group the indices strictly
//              increase (so are distinct); rows start on a byte.
//   Costs value bits + b index bits per kept weight: 2:4 f16 is 9 bits per weight.
#ifndef SHRINK_FORMATS_SPARSE_TENSOR_H_
#define SHRINK_FORMATS_SPARSE_TENSOR_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "shrink/compressed_tensor.h"
#include "shrink/core/tensor_view.h"
#include "shrink/formats/quant_format.h"

namespace shrink {

// Chooses how SparsifyTensor stores a pruned weight.
struct SparseSpec {
  std::string layout = "csr";                         // "csr", "bitmask" or "nm"
  int n = 2;                                          // nm: weights kept in every group of m
  int m = 4;                                          // nm: group size, n < m <= 16
  std::string value_format = "f32";                   // f32, f16, bf16, int8; for nm also a QuantFormat name
  std::map<std::string, std::string> value_settings;  // the QuantFormat's settings (bits, group...)
};

// Returns true when `name` is a sparse format name ("csr", "bitmask", "nm").
bool IsSparseFormat(const std::string& name);

// Returns the bits per index of an n:m layout with groups of `m` weights: ceil(log2 m).
int NmIndexBits(int m);

// Stores the weights of `weight` (2-D, finite) whose `keep_mask` byte is non-zero (rows x cols
// bytes, row-major) as `spec` says; pruned weights decode to 0. For nm, every group of m must
// keep exactly n weights. Throws kInvalidArgument naming `what` for a bad spec, shape or mask
// (the row and group of an n:m group that keeps another count), non-finite weights, or kept
// values that overflow f16.
CompressedTensor SparsifyTensor(TensorView<const float> weight, const uint8_t* keep_mask, const SparseSpec& spec,
                                const std::string& what);

// Returns the exact section bytes SparsifyTensor produces for a `shape` weight keeping `nnz`
// weights (for nm, nnz is implied: rows * cols * n / m). Throws kInvalidArgument for a bad spec.
size_t SparseTensorBytes(const SparseSpec& spec, const Shape& shape, int64_t nnz);

// Points into the sections of a validated sparse tensor (which must outlive it); built by
// ValidateSparse, consumed by SparseMatVec and DensifyTensor. Validate once when a model is
// loaded, then run MatVec on the view as often as needed.
struct SparseView {
  enum class Layout { kCsr, kBitmask, kNm };
  Layout layout = Layout::kCsr;
  int64_t rows = 0, cols = 0, nnz = 0;
  int n = 0, m = 0, index_bits = 0;  // nm
  DType offset_dtype = DType::kI32;  // csr row_ptr / bitmask row_offset
  const void* offsets = nullptr;
  DType index_dtype = DType::kU16;  // csr col_idx
  const void* indices = nullptr;    // csr col_idx, or nm packed indices
  int64_t index_row_bytes = 0;      // nm: bytes of one row's indices
  const uint8_t* mask = nullptr;    // bitmask
  int64_t mask_row_bytes = 0;
  DType value_dtype = DType::kF32;           // f32, f16, bf16 or i8 (codes times the row's scale)
  const uint8_t* values = nullptr;           // null when a QuantFormat stores them
  const float* scales = nullptr;             // int8: one per row
  std::shared_ptr<const QuantFormat> quant;  // nm with quantized values
  std::optional<ConstQuantRows> quant_rows;  // its rows, [rows, cols*n/m]

  // Returns the position of row `r`'s first kept value in "values" (csr, bitmask).
  int64_t RowBegin(int64_t r) const {
    return offset_dtype == DType::kI32 ? static_cast<const int32_t*>(offsets)[r]
                                       : static_cast<const int64_t*>(offsets)[r];
  }
};

// Checks a sparse tensor before anything decodes it: format name and metadata, every section's
// dtype and size, row pointers / offsets (start at 0, non-decreasing, end at nnz), csr column
// indices (< cols, strictly increasing within a row), bitmask popcounts against the offsets,
// n:m indices (< m, strictly increasing within a group), int8 scales (finite, >= 0) and a
// QuantFormat's rows. Throws kCorruptData naming what is wrong.
SparseView ValidateSparse(const CompressedTensor& tensor);

// Decodes a sparse tensor into `out` (its shape; pruned weights 0), after validating it.
void DensifyTensor(const CompressedTensor& tensor, TensorView<float> out);
void DensifyTensor(const SparseView& view, TensorView<float> out);

// Computes y = W x on the sparse form (x: cols floats, y: rows floats), multithreaded over rows
// (NumThreads()). The CompressedTensor overload validates first, which reads every index: call
// it once per tensor in tests and tools; inference keeps a SparseView.
void SparseMatVec(const CompressedTensor& tensor, const float* x, float* y);
void SparseMatVec(const SparseView& view, const float* x, float* y);

// Describes a sparse tensor for `shrink inspect`.
struct SparseInfo {
  std::string layout;        // "csr", "bitmask", "nm"
  std::string value_format;  // "f32", "int8", "q8_0"...
  int n = 0, m = 0;          // nm
  int64_t rows = 0, cols = 0, nnz = 0;
  double sparsity = 0.0;               // pruned fraction of the weights
  double bits_per_weight = 0.0;        // all sections' bits per logical weight (indices included)
  double index_bits_per_weight = 0.0;  // the part spent on positions (row_ptr, col_idx, mask, indices)
};

// Returns the description of a sparse tensor, after validating it.
SparseInfo GetSparseInfo(const CompressedTensor& tensor);

}  // namespace shrink

#endif  // SHRINK_FORMATS_SPARSE_TENSOR_H_
