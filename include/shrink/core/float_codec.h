// Scalar reference codecs between f32 and f16, bf16, f8 e4m3fn and f8 e5m2 (bit-exact spec).
//
// Rounding is round-to-nearest, ties to even, including into subnormals.
// - f16, bf16: IEEE behaviour; overflow rounds to infinity; NaN stays NaN (quieted, payload
//   kept in the high mantissa bits).
// - f8 e4m3fn and f8 e5m2 saturate: every non-NaN input (including +-inf) gives a finite code,
//   +-448 and +-57344 at most; NaN becomes the format's NaN (e4m3fn S.1111.111, e5m2 S.11111.10).
//   This is the "satfinite" convention that quantizers want: an outlier never becomes NaN.
// Decoding is exact (every code of these formats is an f32 value); e5m2 and f16 infinities
// decode to infinities. The SIMD kernels in convert.h produce exactly these bits.
#ifndef SHRINK_CORE_FLOAT_CODEC_H_
#define SHRINK_CORE_FLOAT_CODEC_H_

#include <cstdint>
#include <cstring>

namespace shrink {

// Returns the bits of `f`.
inline uint32_t F32Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}
// Returns the float with bits `u`.
inline float F32FromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

// Describes a small binary float format: sign, kExpBits exponent bits, kManBits mantissa bits.
template <int kExpBits, int kManBits, int kBias, bool kSaturate, bool kIeeeSpecials,
          uint32_t kNanCode>
struct SmallFloatFormat {
  static constexpr int kExp = kExpBits;
  static constexpr int kMan = kManBits;
  static constexpr int kBiasValue = kBias;
  static constexpr uint32_t kSignShift = kExpBits + kManBits;
  static constexpr uint32_t kMagMask = (1u << kSignShift) - 1;
  // Whether exponent all-ones means inf/NaN (IEEE); else only kNanCode is NaN (e4m3fn).
  static constexpr bool kIeee = kIeeeSpecials;
  static constexpr bool kSat = kSaturate;
  static constexpr uint32_t kNan = kNanCode;
  static constexpr uint32_t kInfCode = ((1u << kExpBits) - 1) << kManBits;
  // Largest finite magnitude code.
  static constexpr uint32_t kMaxCode = kIeeeSpecials ? kInfCode - 1 : kNanCode - 1;
  // f32 bits of the smallest normal magnitude of the format.
  static constexpr uint32_t kMinNormalBits = static_cast<uint32_t>(127 - kBias + 1) << 23;
  // f32 bits of 2^(e) whose ulp equals the format's subnormal step (for RNE by addition).
  static constexpr uint32_t kDenormMagicBits = static_cast<uint32_t>((127 - kBias) + (23 - kManBits) + 1) << 23;
  // f32 bits of the largest finite value of the format.
  static constexpr uint32_t kMaxBits =
      ((((kMaxCode >> kManBits) + 127 - kBias) << 23) | ((kMaxCode & ((1u << kManBits) - 1)) << (23 - kManBits)));
  // First f32 magnitude (bits) that no longer rounds to a finite code: the midpoint between
  // max and the next step up when max's mantissa is odd (the tie rounds up), else one past it.
  static constexpr uint32_t kOverflowBits =
      kMaxBits + (1u << (23 - kManBits - 1)) + ((kMaxCode & 1) ? 0u : 1u);
  static constexpr uint32_t kOverflowCode = kSaturate ? kMaxCode : kInfCode;
};

using F16Format = SmallFloatFormat<5, 10, 15, /*saturate=*/false, /*ieee=*/true, 0x7E00>;
using F8E4M3Format = SmallFloatFormat<4, 3, 7, /*saturate=*/true, /*ieee=*/false, 0x7F>;
using F8E5M2Format = SmallFloatFormat<5, 2, 15, /*saturate=*/true, /*ieee=*/true, 0x7E>;

// Encodes f32 `f` into format Fmt's code (sign in bit kSignShift), round-to-nearest-even.
template <class Fmt>
inline uint32_t EncodeSmallFloatRef(float f) {
  const uint32_t bits = F32Bits(f);
  const uint32_t sign = (bits >> 31) << Fmt::kSignShift;
  const uint32_t a = bits & 0x7FFFFFFFu;
  if (a > 0x7F800000u) {  // NaN: keep the payload's high bits where the format has room.
    if constexpr (Fmt::kIeee && !Fmt::kSat) {
      return sign | Fmt::kNan | ((a >> (23 - Fmt::kMan)) & Fmt::kMagMask & ((1u << Fmt::kMan) - 1));
    } else {
      return sign | Fmt::kNan;
    }
  }
  if (a >= Fmt::kOverflowBits) return sign | Fmt::kOverflowCode;
  if (a < Fmt::kMinNormalBits) {  // zero or subnormal in the target: let the FPU round.
    const float t = F32FromBits(a) + F32FromBits(Fmt::kDenormMagicBits);
    return sign | (F32Bits(t) - Fmt::kDenormMagicBits);
  }
  const uint32_t odd = (a >> (23 - Fmt::kMan)) & 1u;
  const uint32_t rebiased = a - (static_cast<uint32_t>(127 - Fmt::kBiasValue) << 23);
  return sign | ((rebiased + (1u << (23 - Fmt::kMan - 1)) - 1u + odd) >> (23 - Fmt::kMan));
}

// Decodes format Fmt's `code` (only the low kSignShift+1 bits are used) to f32, exactly.
template <class Fmt>
inline float DecodeSmallFloatRef(uint32_t code) {
  const uint32_t sign = ((code >> Fmt::kSignShift) & 1u) << 31;
  const uint32_t mag = code & Fmt::kMagMask;
  const uint32_t exp = mag >> Fmt::kMan;
  const uint32_t mant = mag & ((1u << Fmt::kMan) - 1);
  if (exp == 0) {  // zero or subnormal: mant * 2^(1 - bias - kMan), exact in f32.
    const float scale = F32FromBits(static_cast<uint32_t>(127 + 1 - Fmt::kBiasValue - Fmt::kMan) << 23);
    return F32FromBits(sign | F32Bits(static_cast<float>(mant) * scale));
  }
  if constexpr (Fmt::kIeee) {
    if (exp == (1u << Fmt::kExp) - 1) {  // inf, or NaN with payload and quiet bit set
      return F32FromBits(sign | 0x7F800000u | (mant ? 0x00400000u | (mant << (23 - Fmt::kMan)) : 0u));
    }
  } else {
    if (mag == Fmt::kNan) return F32FromBits(sign | 0x7FC00000u);
  }
  return F32FromBits(sign | ((exp + 127 - Fmt::kBiasValue) << 23) | (mant << (23 - Fmt::kMan)));
}

// Returns f16 bits of `f` (IEEE binary16, RNE, overflow to inf).
inline uint16_t F32ToF16Ref(float f) { return static_cast<uint16_t>(EncodeSmallFloatRef<F16Format>(f)); }
// Returns the f32 value of f16 bits `h`.
inline float F16ToF32Ref(uint16_t h) { return DecodeSmallFloatRef<F16Format>(h); }
// Returns true when the little-endian f16 stored at `p` is finite (exponent field not all ones),
// without converting it.
inline bool F16FieldIsFinite(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, sizeof(h));
  return (h & 0x7C00u) != 0x7C00u;
}
// Returns f8 e4m3fn bits of `f` (RNE, saturating to +-448).
inline uint8_t F32ToF8E4M3Ref(float f) { return static_cast<uint8_t>(EncodeSmallFloatRef<F8E4M3Format>(f)); }
// Returns the f32 value of f8 e4m3fn bits `c`.
inline float F8E4M3ToF32Ref(uint8_t c) { return DecodeSmallFloatRef<F8E4M3Format>(c); }
// Returns f8 e5m2 bits of `f` (RNE, saturating to +-57344).
inline uint8_t F32ToF8E5M2Ref(float f) { return static_cast<uint8_t>(EncodeSmallFloatRef<F8E5M2Format>(f)); }
// Returns the f32 value of f8 e5m2 bits `c`.
inline float F8E5M2ToF32Ref(uint8_t c) { return DecodeSmallFloatRef<F8E5M2Format>(c); }

// Returns bf16 bits of `f` (RNE, overflow to inf, NaN quieted with its high payload).
inline uint16_t F32ToBF16Ref(float f) {
  const uint32_t bits = F32Bits(f);
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((bits >> 16) | 0x0040u);
  return static_cast<uint16_t>((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}
// Returns the f32 value of bf16 bits `b`.
inline float BF16ToF32Ref(uint16_t b) { return F32FromBits(static_cast<uint32_t>(b) << 16); }

}  // namespace shrink

#endif  // SHRINK_CORE_FLOAT_CODEC_H_
