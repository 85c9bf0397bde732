// Finiteness check of an f32 row: SIMD kernel and scalar Ref twin.
#ifndef SHRINK_SRC_KERNELS_CORE_FINITE_H_
#define SHRINK_SRC_KERNELS_CORE_FINITE_H_

#include <cstdint>

namespace shrink::kernels {

// Returns true when none of the `count` floats is NaN or infinite.
bool AllFinite(const float* x, int64_t count) noexcept;
bool AllFiniteRef(const float* x, int64_t count) noexcept;

}  // namespace shrink::kernels

#endif  // SHRINK_SRC_KERNELS_CORE_FINITE_H_
