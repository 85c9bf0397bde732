// The packed integer grid format of `rtn`: b-bit codes (2..8) with per-group scales and zeros.
//
// Layout of a rows x cols weight W quantized with `bits` b and group size g (g = cols when
// per-channel), G = ceil(cols / g) groups per row:
//   packed      u8  [rows, ceil(cols*b/8)]  codes of each row as an LSB-first bit stream: code j
//                                          occupies bits [j*b, j*b+b) of the row's bytes; each row
//                                          starts on a byte boundary (the tail bits are zero).
//                                          For b = 4 and 8 this is byte-for-byte the little-endian
//                                          int32 packing of vLLM's compressed-tensors.
//   scale       f16 or f32 [rows, G]
//   zero_point  u8  [rows, G]              asymmetric grids only
// Decoding: w = (code - zero) * scale. Symmetric grids have an implicit zero of 2^(b-1) and a
// signed scale chosen so the group's largest-magnitude weight maps to code 0 exactly (the
// llama.cpp q4_0 construction, which uses all 2^b levels). Asymmetric grids span
// [min(x, 0), max(x, 0)] with an integer zero point (GPTQ's grid). Codes are computed with the
// stored (rounded) scale, so decode(encode(x)) equals what any reader of the file computes.
// Bits per weight: b + 16/g (f16 scale) + 8/g (zero) when asymmetric.
#ifndef SHRINK_FORMATS_INT_GRID_H_
#define SHRINK_FORMATS_INT_GRID_H_

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "shrink/core/dtype.h"
#include "shrink/core/float_codec.h"

namespace shrink {

// Describes one integer grid: bits per code, symmetry and the dtype scales are stored in.
struct IntGridSpec {
  int bits = 4;              // 2..8
  bool symmetric = false;
  DType scale_dtype = DType::kF16;  // kF16 or kF32

  int max_code() const { return (1 << bits) - 1; }
  int sym_zero() const { return 1 << (bits - 1); }
};

// Holds one group's decoding parameters: w = (code - zero) * scale.
struct IntGridParams {
  float scale = 0.0f;
  int zero = 0;
};

// Returns `value` rounded to what `dtype` (kF16 or kF32) stores.
inline float RoundToScaleDType(float value, DType dtype) {
  return dtype == DType::kF16 ? F16ToF32Ref(F32ToF16Ref(value)) : value;
}

// Returns the grid parameters of a group whose minimum is `lo` and maximum `hi` (finite);
// the scale is already rounded to spec.scale_dtype. A zero scale means "all codes decode to 0".
inline IntGridParams IntGridParamsFromRange(float lo, float hi, const IntGridSpec& spec) {
  IntGridParams p;
  if (spec.symmetric) {
    const float m = hi >= -lo ? hi : lo;  // signed value of largest magnitude
    p.scale = RoundToScaleDType(m / -static_cast<float>(spec.sym_zero()), spec.scale_dtype);
    p.zero = spec.sym_zero();
    return p;
  }
  lo = std::min(lo, 0.0f);
  hi = std::max(hi, 0.0f);
  p.scale = RoundToScaleDType((hi - lo) / static_cast<float>(spec.max_code()), spec.scale_dtype);
  if (p.scale != 0.0f) {
    const float z = std::nearbyint(-lo / p.scale);
    p.zero = static_cast<int>(std::min(std::max(z, 0.0f), static_cast<float>(spec.max_code())));
  }
  return p;
}

// Returns the code of `x` in a group with parameters `p` (inv_scale = 1/scale, or 0 when the
// scale is 0), rounding to nearest even and clamping to [0, max_code].
inline uint8_t IntGridEncodeRef(float x, float inv_scale, int zero, int max_code) {
  const float q = std::nearbyint(x * inv_scale) + static_cast<float>(zero);
  return static_cast<uint8_t>(std::min(std::max(q, 0.0f), static_cast<float>(max_code)));
}

// Returns the weight that `code` decodes to.
inline float IntGridDecodeRef(uint8_t code, const IntGridParams& p) {
  return static_cast<float>(static_cast<int>(code) - p.zero) * p.scale;
}

// Returns the inverse scale used for encoding (0 for a zero scale).
inline float IntGridInvScale(float scale) { return scale == 0.0f ? 0.0f : 1.0f / scale; }

// Returns the bytes of one packed row of `cols` codes of `bits` bits.
constexpr size_t PackedRowBytes(int64_t cols, int bits) {
  return static_cast<size_t>((cols * bits + 7) / 8);
}

// Packs `count` codes (each < 2^bits) into an LSB-first bit stream at `out`
// (PackedRowBytes(count, bits) bytes, fully written).
inline void PackCodesRef(const uint8_t* codes, int64_t count, int bits, uint8_t* out) {
  uint64_t acc = 0;
  int filled = 0;
  size_t o = 0;
  for (int64_t j = 0; j < count; ++j) {
    acc |= static_cast<uint64_t>(codes[j]) << filled;
    filled += bits;
    while (filled >= 8) {
      out[o++] = static_cast<uint8_t>(acc);
      acc >>= 8;
      filled -= 8;
    }
  }
  if (filled > 0) out[o] = static_cast<uint8_t>(acc);
}

// Unpacks `count` codes of `bits` bits from the LSB-first bit stream `in`.
inline void UnpackCodesRef(const uint8_t* in, int64_t count, int bits, uint8_t* codes) {
  uint64_t acc = 0;
  int filled = 0;
  size_t i = 0;
  const uint64_t mask = (uint64_t{1} << bits) - 1;
  for (int64_t j = 0; j < count; ++j) {
    if (filled < bits) {
      acc |= static_cast<uint64_t>(in[i++]) << filled;
      filled += 8;
    }
    codes[j] = static_cast<uint8_t>(acc & mask);
    acc >>= bits;
    filled -= bits;
  }
}

}  // namespace shrink

#endif  // SHRINK_FORMATS_INT_GRID_H_
