// Dynamic dispatch of the sparse row kernels, and their scalar Ref twins.
#include "src/kernels/sparse/sparse_rows.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/kernels/sparse/sparse_rows.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "src/kernels/sparse/sparse_rows-inl.h"

#if HWY_ONCE
namespace shrink {
HWY_EXPORT(CsrDot);
HWY_EXPORT(BitmaskDot);
HWY_EXPORT(NmDot);
HWY_EXPORT(NmGatherInputs);

namespace kernels {

float CsrDot(DType value_dtype, const void* values, DType index_dtype, const void* cols, int64_t nnz,
             const float* x) noexcept {
  return HWY_DYNAMIC_DISPATCH(CsrDot)(value_dtype, values, index_dtype, cols, nnz, x);
}

float BitmaskDot(DType value_dtype, const void* values, int64_t nnz, const uint8_t* mask, int64_t cols,
                 const float* x) noexcept {
  return HWY_DYNAMIC_DISPATCH(BitmaskDot)(value_dtype, values, nnz, mask, cols, x);
}

float NmDot(DType value_dtype, const void* values, const uint8_t* indices, int64_t readable_bytes, int64_t kept,
            const NmGroups& groups, const float* x) noexcept {
  return HWY_DYNAMIC_DISPATCH(NmDot)(value_dtype, values, indices, readable_bytes, kept, groups, x);
}

void NmGatherInputs(const uint8_t* indices, int64_t readable_bytes, int64_t kept, const NmGroups& groups,
                    const float* x, float* out) noexcept {
  HWY_DYNAMIC_DISPATCH(NmGatherInputs)(indices, readable_bytes, kept, groups, x, out);
}

float CsrDotRef(DType value_dtype, const void* values, DType index_dtype, const void* cols, int64_t nnz,
                const float* x) noexcept {
  double sum = 0.0;
  for (int64_t k = 0; k < nnz; ++k) {
    const int64_t col =
        index_dtype == DType::kU16 ? static_cast<const uint16_t*>(cols)[k] : static_cast<const int32_t*>(cols)[k];
    sum += static_cast<double>(SparseValueRef(value_dtype, values, k)) * x[col];
  }
  return static_cast<float>(sum);
}

float BitmaskDotRef(DType value_dtype, const void* values, int64_t /*nnz*/, const uint8_t* mask, int64_t cols,
                    const float* x) noexcept {
  double sum = 0.0;
  int64_t k = 0;
  for (int64_t c = 0; c < cols; ++c) {
    if ((mask[c >> 3] >> (c & 7)) & 1) sum += static_cast<double>(SparseValueRef(value_dtype, values, k++)) * x[c];
  }
  return static_cast<float>(sum);
}

float NmDotRef(DType value_dtype, const void* values, const uint8_t* indices, int64_t /*readable_bytes*/, int64_t kept,
               const NmGroups& groups, const float* x) noexcept {
  double sum = 0.0;
  for (int64_t t = 0; t < kept; ++t) {
    const int64_t col = t / groups.n * groups.m + NmIndexRef(indices, t, groups.index_bits);
    sum += static_cast<double>(SparseValueRef(value_dtype, values, t)) * x[col];
  }
  return static_cast<float>(sum);
}

void NmGatherInputsRef(const uint8_t* indices, int64_t /*readable_bytes*/, int64_t kept, const NmGroups& groups,
                       const float* x, float* out) noexcept {
  for (int64_t t = 0; t < kept; ++t) out[t] = x[t / groups.n * groups.m + NmIndexRef(indices, t, groups.index_bits)];
}

}  // namespace kernels
}  // namespace shrink
#endif  // HWY_ONCE
