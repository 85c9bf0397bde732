// Dot product of f32 vectors: SIMD kernel and scalar Ref twin.
#ifndef SHRINK_SRC_KERNELS_CORE_DOT_H_
#define SHRINK_SRC_KERNELS_CORE_DOT_H_

#include <cstdint>

namespace shrink::kernels {

// Returns sum_j a[j] * b[j] over `count` elements (any alignment).
float DotF32(const float* a, const float* b, int64_t count) noexcept;
// Scalar twin of DotF32, accumulated in double.
float DotF32Ref(const float* a, const float* b, int64_t count) noexcept;

}  // namespace shrink::kernels

#endif  // SHRINK_SRC_KERNELS_CORE_DOT_H_
