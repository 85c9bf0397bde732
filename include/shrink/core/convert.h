// Bulk element conversions between stored dtypes and f32 (SIMD, runtime-dispatched).
#ifndef SHRINK_CORE_CONVERT_H_
#define SHRINK_CORE_CONVERT_H_

#include <cstddef>
#include <cstdint>

#include "shrink/core/dtype.h"

namespace shrink {

// Each converts `count` elements from `in` to `out` on the calling thread with the best SIMD
// target of this CPU; results equal the scalar Ref codecs of float_codec.h bit for bit.
// `in` and `out` need no alignment and must not overlap.
void ConvertF16ToF32(const uint16_t* in, float* out, size_t count) noexcept;
void ConvertF32ToF16(const float* in, uint16_t* out, size_t count) noexcept;
void ConvertBF16ToF32(const uint16_t* in, float* out, size_t count) noexcept;
void ConvertF32ToBF16(const float* in, uint16_t* out, size_t count) noexcept;
void ConvertF8E4M3ToF32(const uint8_t* in, float* out, size_t count) noexcept;
void ConvertF32ToF8E4M3(const float* in, uint8_t* out, size_t count) noexcept;
void ConvertF8E5M2ToF32(const uint8_t* in, float* out, size_t count) noexcept;
void ConvertF32ToF8E5M2(const float* in, uint8_t* out, size_t count) noexcept;

// Converts `count` elements of any dtype to f32 (integers convert to the nearest float).
void ConvertToF32(DType from, const void* in, float* out, size_t count) noexcept;
// Converts `count` f32 elements to `to`; integers round to nearest even and saturate, NaN -> 0.
void ConvertFromF32(DType to, const float* in, void* out, size_t count) noexcept;

}  // namespace shrink

#endif  // SHRINK_CORE_CONVERT_H_
