// Row kernels of the sparse formats (csr, bitmask, n:m): dot products of one sparse row with a dense
// vector, SIMD and scalar Ref twins; layouts as formats/sparse_tensor.h documents them.
//
// Kept values come as f32, f16, bf16 or i8 (`value_dtype`); i8 codes enter the sums unscaled
// (callers multiply by the row's scale). The Ref kernels are the definitions: they decode each
// value exactly and accumulate in double. The SIMD kernels accumulate in f32 lanes, so they
// agree with the Ref within f32 rounding of the sum.
#ifndef SHRINK_SRC_KERNELS_SPARSE_SPARSE_ROWS_H_
#define SHRINK_SRC_KERNELS_SPARSE_SPARSE_ROWS_H_

#include <cstdint>

#include "shrink/core/dtype.h"
#include "shrink/core/float_codec.h"

namespace shrink::kernels {

// Returns kept value `k` of `values` (f32, f16, bf16 or i8) as f32, exactly.
inline float SparseValueRef(DType value_dtype, const void* values, int64_t k) {
  switch (value_dtype) {
    case DType::kF16: return F16ToF32Ref(static_cast<const uint16_t*>(values)[k]);
    case DType::kBF16: return BF16ToF32Ref(static_cast<const uint16_t*>(values)[k]);
    case DType::kI8: return static_cast<float>(static_cast<const int8_t*>(values)[k]);
    default: return static_cast<const float*>(values)[k];
  }
}

// Returns the n:m index of kept value `t` of a row whose packed indices start at `bits`
// (`index_bits` <= 4 bits each, a little-endian bit string); reads no byte past the one holding
// the index's last bit.
inline int NmIndexRef(const uint8_t* bits, int64_t t, int index_bits) {
  const int64_t first = t * index_bits;
  const int shift = static_cast<int>(first & 7);
  unsigned word = bits[first >> 3];
  if (shift + index_bits > 8) word |= static_cast<unsigned>(bits[(first >> 3) + 1]) << 8;
  return static_cast<int>((word >> shift) & ((1u << index_bits) - 1u));
}

// Describes the groups of an n:m row: n kept of every m, index_bits = NmIndexBits(m).
struct NmGroups {
  int n = 2;
  int m = 4;
  int index_bits = 2;
};

// Returns sum_k values[k] * x[cols[k]] over the `nnz` kept values of a csr row; `index_dtype`
// is kU16 or kI32 (column indices, each < the length of x).
float CsrDot(DType value_dtype, const void* values, DType index_dtype, const void* cols, int64_t nnz,
             const float* x) noexcept;
float CsrDotRef(DType value_dtype, const void* values, DType index_dtype, const void* cols, int64_t nnz,
                const float* x) noexcept;

// Returns the dot product with x (`cols` floats) of a bitmask row: `mask` holds ceil(cols/8)
// bytes whose `nnz` set bits pick, in order, the `nnz` kept values.
float BitmaskDot(DType value_dtype, const void* values, int64_t nnz, const uint8_t* mask, int64_t cols,
                 const float* x) noexcept;
float BitmaskDotRef(DType value_dtype, const void* values, int64_t nnz, const uint8_t* mask, int64_t cols,
                    const float* x) noexcept;

// Returns sum_t values[t] * x[(t/n)*m + index_t] over the `kept` values of an n:m row whose
// packed indices start at `indices`. `readable_bytes` (>= the row's index bytes) is how many
// bytes may be read from `indices` on: the SIMD kernel loads 16 at a time while they last.
float NmDot(DType value_dtype, const void* values, const uint8_t* indices, int64_t readable_bytes, int64_t kept,
            const NmGroups& groups, const float* x) noexcept;
float NmDotRef(DType value_dtype, const void* values, const uint8_t* indices, int64_t readable_bytes, int64_t kept,
               const NmGroups& groups, const float* x) noexcept;

// Writes out[t] = x[(t/n)*m + index_t] for the `kept` values of an n:m row: the inputs that
// meet a row's compacted values when a QuantFormat stores them. Both write the same floats.
void NmGatherInputs(const uint8_t* indices, int64_t readable_bytes, int64_t kept, const NmGroups& groups,
                    const float* x, float* out) noexcept;
void NmGatherInputsRef(const uint8_t* indices, int64_t readable_bytes, int64_t kept, const NmGroups& groups,
                       const float* x, float* out) noexcept;

}  // namespace shrink::kernels

#endif  // SHRINK_SRC_KERNELS_SPARSE_SPARSE_ROWS_H_
