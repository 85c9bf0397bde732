// Highway bodies of the f32 <-> f16/bf16/f8 conversion kernels, bit-exact twins of float_codec.h.
//
// Included once per target by src/kernels/core/convert.cc (foreach_target). All arithmetic is
// integer bit manipulation on u32 lanes, except the subnormal encode path, which performs the
// same single f32 addition with a magic constant as EncodeSmallFloatRef, so every target (the
// emulated ones included) produces exactly the Ref bits. Assumes the default FP environment
// (round-to-nearest, no flush-to-zero), as the Ref codecs do.

// Per-target include guard (toggled by foreach_target.h).
#if defined(SHRINK_SRC_KERNELS_CORE_CONVERT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SHRINK_SRC_KERNELS_CORE_CONVERT_INL_H_
#undef SHRINK_SRC_KERNELS_CORE_CONVERT_INL_H_
#else
#define SHRINK_SRC_KERNELS_CORE_CONVERT_INL_H_
#endif

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "hwy/highway.h"
#include "shrink/core/float_codec.h"

HWY_BEFORE_NAMESPACE();
namespace shrink {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// ------------------------------------------------------------------ lane codecs (u32 lanes)

// Returns the f32 bits of the small-float codes in `code` (low kSignShift+1 bits used),
// exactly as DecodeSmallFloatRef<Fmt>.
template <class Fmt, class DU>
HWY_INLINE hn::Vec<DU> DecodeSmallFloatBits(DU du, hn::Vec<DU> code) {
  const hn::RebindToSigned<DU> di;
  const hn::RebindToFloat<DU> df;
  constexpr int kShift = 23 - Fmt::kMan;
  constexpr uint32_t kRebias = static_cast<uint32_t>(127 - Fmt::kBiasValue) << 23;
  constexpr uint32_t kSubnormalScaleBits =
      static_cast<uint32_t>(127 + 1 - Fmt::kBiasValue - Fmt::kMan) << 23;

  const auto sign =
      hn::ShiftLeft<31 - Fmt::kSignShift>(hn::And(code, hn::Set(du, 1u << Fmt::kSignShift)));
  const auto mag = hn::And(code, hn::Set(du, Fmt::kMagMask));
  const auto mag_i = hn::BitCast(di, mag);

  // Normal: move exponent and mantissa into place and rebias the exponent.
  const auto normal = hn::Add(hn::ShiftLeft<kShift>(mag), hn::Set(du, kRebias));
  // Zero or subnormal (exponent 0, so mag == mantissa): mantissa * 2^(1 - bias - kMan), exact.
  const auto subnormal = hn::BitCast(
      du, hn::Mul(hn::ConvertTo(df, mag_i), hn::BitCast(df, hn::Set(du, kSubnormalScaleBits))));
  const auto is_subnormal = hn::RebindMask(du, hn::Lt(mag_i, hn::Set(di, 1 << Fmt::kMan)));
  auto bits = hn::IfThenElse(is_subnormal, subnormal, normal);

  if constexpr (Fmt::kIeee) {
    // Exponent all ones: infinity, or NaN with the quiet bit set and the payload kept.
    const auto is_special =
        hn::RebindMask(du, hn::Gt(mag_i, hn::Set(di, static_cast<int32_t>(Fmt::kInfCode) - 1)));
    const auto is_nan =
        hn::RebindMask(du, hn::Gt(mag_i, hn::Set(di, static_cast<int32_t>(Fmt::kInfCode))));
    const auto special = hn::Or(hn::Or(hn::ShiftLeft<kShift>(mag), hn::Set(du, 0x7F800000u)),
                                hn::IfThenElseZero(is_nan, hn::Set(du, 0x00400000u)));
    bits = hn::IfThenElse(is_special, special, bits);
  } else {
    const auto is_nan = hn::RebindMask(du, hn::Eq(mag, hn::Set(du, Fmt::kNan)));
    bits = hn::IfThenElse(is_nan, hn::Set(du, 0x7FC00000u), bits);
  }
  return hn::Or(bits, sign);
}

// Returns the small-float codes of the f32 bits in `bits`, exactly as EncodeSmallFloatRef<Fmt>
// (round to nearest even, NaN and overflow rules of the format).
template <class Fmt, class DU>
HWY_INLINE hn::Vec<DU> EncodeSmallFloatBits(DU du, hn::Vec<DU> bits) {
  const hn::RebindToSigned<DU> di;
  const hn::RebindToFloat<DU> df;
  constexpr int kShift = 23 - Fmt::kMan;
  constexpr uint32_t kRebias = static_cast<uint32_t>(127 - Fmt::kBiasValue) << 23;
  constexpr uint32_t kHalfMinusOne = (1u << (kShift - 1)) - 1u;

  const auto sign =
      hn::And(hn::ShiftRight<31 - Fmt::kSignShift>(bits), hn::Set(du, 1u << Fmt::kSignShift));
  const auto a = hn::And(bits, hn::Set(du, 0x7FFFFFFFu));
  const auto a_i = hn::BitCast(di, a);

  // Normal in the target: rebias, add half an ulp minus one plus the kept lsb, truncate.
  // (Wraps modulo 2^32 like the Ref; lanes where it would matter are replaced below.)
  const auto odd = hn::And(hn::ShiftRight<kShift>(a), hn::Set(du, 1u));
  const auto normal =
      hn::ShiftRight<kShift>(hn::Add(hn::Add(a, hn::Set(du, kHalfMinusOne - kRebias)), odd));
  // Zero or subnormal in the target: one f32 addition rounds to the subnormal step.
  const auto magic = hn::Set(du, Fmt::kDenormMagicBits);
  const auto sum = hn::Add(hn::BitCast(df, a), hn::BitCast(df, magic));
  const auto subnormal = hn::Sub(hn::BitCast(du, sum), magic);

  const auto is_subnormal =
      hn::RebindMask(du, hn::Lt(a_i, hn::Set(di, static_cast<int32_t>(Fmt::kMinNormalBits))));
  auto code = hn::IfThenElse(is_subnormal, subnormal, normal);
  const auto is_overflow =
      hn::RebindMask(du, hn::Gt(a_i, hn::Set(di, static_cast<int32_t>(Fmt::kOverflowBits) - 1)));
  code = hn::IfThenElse(is_overflow, hn::Set(du, Fmt::kOverflowCode), code);

  const auto is_nan = hn::RebindMask(du, hn::Gt(a_i, hn::Set(di, 0x7F800000)));
  if constexpr (Fmt::kIeee && !Fmt::kSat) {
    const auto payload = hn::And(hn::ShiftRight<kShift>(a), hn::Set(du, (1u << Fmt::kMan) - 1u));
    code = hn::IfThenElse(is_nan, hn::Or(payload, hn::Set(du, Fmt::kNan)), code);
  } else {
    code = hn::IfThenElse(is_nan, hn::Set(du, Fmt::kNan), code);
  }
  return hn::Or(code, sign);
}

// Returns the f32 bits of the bf16 codes in the low halves of `code`.
template <class DU>
HWY_INLINE hn::Vec<DU> DecodeBF16Bits(DU /*du*/, hn::Vec<DU> code) {
  return hn::ShiftLeft<16>(code);
}

// Returns the bf16 codes (in the low halves) of the f32 bits in `bits`, exactly as F32ToBF16Ref.
template <class DU>
HWY_INLINE hn::Vec<DU> EncodeBF16Bits(DU du, hn::Vec<DU> bits) {
  const hn::RebindToSigned<DU> di;
  const auto odd = hn::And(hn::ShiftRight<16>(bits), hn::Set(du, 1u));
  const auto rounded = hn::ShiftRight<16>(hn::Add(hn::Add(bits, hn::Set(du, 0x7FFFu)), odd));
  const auto quieted = hn::Or(hn::ShiftRight<16>(bits), hn::Set(du, 0x0040u));
  const auto a_i = hn::BitCast(di, hn::And(bits, hn::Set(du, 0x7FFFFFFFu)));
  const auto is_nan = hn::RebindMask(du, hn::Gt(a_i, hn::Set(di, 0x7F800000)));
  return hn::IfThenElse(is_nan, quieted, rounded);
}

// ------------------------------------------------------------------ loads and stores

// Returns one vector of u32 lanes holding the bits of Lanes(du) elements at `p`.
template <class DU>
HWY_INLINE hn::Vec<DU> LoadLaneBits(DU du, const float* HWY_RESTRICT p) {
  const hn::Rebind<float, DU> df;
  return hn::BitCast(du, hn::LoadU(df, p));
}
template <class DU>
HWY_INLINE hn::Vec<DU> LoadLaneBits(DU du, const uint16_t* HWY_RESTRICT p) {
  const hn::Rebind<uint16_t, DU> d16;
  return hn::PromoteTo(du, hn::LoadU(d16, p));
}
template <class DU>
HWY_INLINE hn::Vec<DU> LoadLaneBits(DU du, const uint8_t* HWY_RESTRICT p) {
  const hn::Rebind<uint8_t, DU> d8;
  return hn::PromoteTo(du, hn::LoadU(d8, p));
}

// Stores Lanes(du) elements at `p` from u32 lanes `v` (narrow codes must fit the element).
template <class DU>
HWY_INLINE void StoreLaneBits(DU du, hn::Vec<DU> v, float* HWY_RESTRICT p) {
  const hn::Rebind<float, DU> df;
  hn::StoreU(hn::BitCast(df, v), df, p);
}
template <class DU>
HWY_INLINE void StoreLaneBits(DU du, hn::Vec<DU> v, uint16_t* HWY_RESTRICT p) {
  const hn::RebindToSigned<DU> di;
  const hn::Rebind<uint16_t, DU> d16;
  hn::StoreU(hn::DemoteTo(d16, hn::BitCast(di, v)), d16, p);
}
template <class DU>
HWY_INLINE void StoreLaneBits(DU du, hn::Vec<DU> v, uint8_t* HWY_RESTRICT p) {
  const hn::RebindToSigned<DU> di;
  const hn::Rebind<uint8_t, DU> d8;
  hn::StoreU(hn::DemoteTo(d8, hn::BitCast(di, v)), d8, p);
}

// ------------------------------------------------------------------ the loop

// Converts one vector's worth of elements from `in` to `out` with Op.
template <class Op, class DU, typename TIn, typename TOut>
HWY_INLINE void ConvertOneVector(DU du, const TIn* HWY_RESTRICT in, TOut* HWY_RESTRICT out) {
  StoreLaneBits(du, Op::Apply(du, LoadLaneBits(du, in)), out);
}

// Converts `count` elements from `in` to `out` with Op (a struct with a static
// Apply(du, u32 bits) -> u32 bits): four vectors per iteration, then single vectors, then the
// last vector again overlapping the previous one, or, when `count` is below one vector, through
// a zero-padded stack buffer. Every element goes through the same SIMD code.
template <class Op, typename TIn, typename TOut>
HWY_INLINE void ConvertLoop(const TIn* HWY_RESTRICT in, TOut* HWY_RESTRICT out, size_t count) {
  const hn::ScalableTag<uint32_t> du;
  const size_t lanes = hn::Lanes(du);
  size_t i = 0;
  if (count >= 4 * lanes) {
    for (; i <= count - 4 * lanes; i += 4 * lanes) {
      const auto v0 = LoadLaneBits(du, in + i);
      const auto v1 = LoadLaneBits(du, in + i + lanes);
      const auto v2 = LoadLaneBits(du, in + i + 2 * lanes);
      const auto v3 = LoadLaneBits(du, in + i + 3 * lanes);
      StoreLaneBits(du, Op::Apply(du, v0), out + i);
      StoreLaneBits(du, Op::Apply(du, v1), out + i + lanes);
      StoreLaneBits(du, Op::Apply(du, v2), out + i + 2 * lanes);
      StoreLaneBits(du, Op::Apply(du, v3), out + i + 3 * lanes);
    }
  }
  for (; i + lanes <= count; i += lanes) {
    ConvertOneVector<Op>(du, in + i, out + i);
  }
  if (i == count) return;
  if (count >= lanes) {
    // Recomputes a few already written elements; `in` and `out` do not overlap.
    ConvertOneVector<Op>(du, in + count - lanes, out + count - lanes);
    return;
  }
  constexpr size_t kMaxLanes = HWY_MAX_BYTES / sizeof(uint32_t);
  HWY_ALIGN TIn in_buffer[kMaxLanes] = {};
  HWY_ALIGN TOut out_buffer[kMaxLanes];
  std::memcpy(in_buffer, in, count * sizeof(TIn));
  ConvertOneVector<Op>(du, in_buffer, out_buffer);
  std::memcpy(out, out_buffer, count * sizeof(TOut));
}

// Decodes small-float format Fmt (for ConvertLoop).
template <class Fmt>
struct DecodeSmallFloatOp {
  template <class DU>
  static HWY_INLINE hn::Vec<DU> Apply(DU du, hn::Vec<DU> v) {
    return DecodeSmallFloatBits<Fmt>(du, v);
  }
};
// Encodes small-float format Fmt (for ConvertLoop).
template <class Fmt>
struct EncodeSmallFloatOp {
  template <class DU>
  static HWY_INLINE hn::Vec<DU> Apply(DU du, hn::Vec<DU> v) {
    return EncodeSmallFloatBits<Fmt>(du, v);
  }
};
// Decodes bf16 (for ConvertLoop).
struct DecodeBF16Op {
  template <class DU>
  static HWY_INLINE hn::Vec<DU> Apply(DU du, hn::Vec<DU> v) {
    return DecodeBF16Bits(du, v);
  }
};
// Encodes bf16 (for ConvertLoop).
struct EncodeBF16Op {
  template <class DU>
  static HWY_INLINE hn::Vec<DU> Apply(DU du, hn::Vec<DU> v) {
    return EncodeBF16Bits(du, v);
  }
};

// ------------------------------------------------------------------ kernels
// (Not noexcept: Highway 1.0.3's dispatch tables need plain function types. They never throw.)

// Converts `count` f16 codes to f32.
inline void ConvertF16ToF32(const uint16_t* HWY_RESTRICT in, float* HWY_RESTRICT out,
                            size_t count) {
  ConvertLoop<DecodeSmallFloatOp<F16Format>>(in, out, count);
}
// Converts `count` f32 values to f16 codes.
inline void ConvertF32ToF16(const float* HWY_RESTRICT in, uint16_t* HWY_RESTRICT out,
                            size_t count) {
  ConvertLoop<EncodeSmallFloatOp<F16Format>>(in, out, count);
}
// Converts `count` bf16 codes to f32.
inline void ConvertBF16ToF32(const uint16_t* HWY_RESTRICT in, float* HWY_RESTRICT out,
                             size_t count) {
  ConvertLoop<DecodeBF16Op>(in, out, count);
}
// Converts `count` f32 values to bf16 codes.
inline void ConvertF32ToBF16(const float* HWY_RESTRICT in, uint16_t* HWY_RESTRICT out,
                             size_t count) {
  ConvertLoop<EncodeBF16Op>(in, out, count);
}
// Converts `count` f8 e4m3fn codes to f32.
inline void ConvertF8E4M3ToF32(const uint8_t* HWY_RESTRICT in, float* HWY_RESTRICT out,
                               size_t count) {
  ConvertLoop<DecodeSmallFloatOp<F8E4M3Format>>(in, out, count);
}
// Converts `count` f32 values to f8 e4m3fn codes (saturating).
inline void ConvertF32ToF8E4M3(const float* HWY_RESTRICT in, uint8_t* HWY_RESTRICT out,
                               size_t count) {
  ConvertLoop<EncodeSmallFloatOp<F8E4M3Format>>(in, out, count);
}
// Converts `count` f8 e5m2 codes to f32.
inline void ConvertF8E5M2ToF32(const uint8_t* HWY_RESTRICT in, float* HWY_RESTRICT out,
                               size_t count) {
  ConvertLoop<DecodeSmallFloatOp<F8E5M2Format>>(in, out, count);
}
// Converts `count` f32 values to f8 e5m2 codes (saturating).
inline void ConvertF32ToF8E5M2(const float* HWY_RESTRICT in, uint8_t* HWY_RESTRICT out,
                               size_t count) {
  ConvertLoop<EncodeSmallFloatOp<F8E5M2Format>>(in, out, count);
}

}  // namespace HWY_NAMESPACE
}  // namespace shrink
HWY_AFTER_NAMESPACE();

#endif  // SHRINK_SRC_KERNELS_CORE_CONVERT_INL_H_
