// Row kernels of int8 weights times int8 activations (the w8a8 format): symmetric absmax
// quantization, dequantization and the exact integer dot product; SIMD and Ref twins.
#ifndef SHRINK_SRC_KERNELS_FORMATS_INT8_ROWS_H_
#define SHRINK_SRC_KERNELS_FORMATS_INT8_ROWS_H_

#include <cstdint>

namespace shrink::kernels {

// Codes are symmetric, in [-127, 127]: code = round(x / scale), scale = max|x| / 127.
constexpr int kInt8MaxCode = 127;
// The longest dot product whose exact sum fits int32 (|w|, |x| <= 128 * 127 per product pair).
constexpr int64_t kMaxInt8DotLength = int64_t{1} << 17;

// Quantizes n floats to codes[j] = x[j] * (127 / max|x|) rounded to nearest even, and returns
// the scale max|x| / 127 (0, with all codes 0, for a row whose max|x| is below 1e-30 or NaN).
// The SIMD kernel writes the same codes as the Ref.
float QuantizeInt8Row(const float* x, int64_t n, int8_t* codes) noexcept;
float QuantizeInt8RowRef(const float* x, int64_t n, int8_t* codes) noexcept;

// Writes out[j] = scale * codes[j]; both give the same floats.
void DequantizeInt8Row(const int8_t* codes, int64_t n, float scale, float* out) noexcept;
void DequantizeInt8RowRef(const int8_t* codes, int64_t n, float scale, float* out) noexcept;

// Returns the exact sum of w[j] * x[j] (x: int8 codes widened to int16 once per MatVec;
// n <= kMaxInt8DotLength).
int32_t DotInt8(const int8_t* w, const int16_t* x, int64_t n) noexcept;
int32_t DotInt8Ref(const int8_t* w, const int16_t* x, int64_t n) noexcept;

}  // namespace shrink::kernels

#endif  // SHRINK_SRC_KERNELS_FORMATS_INT8_ROWS_H_
