// Per-target Highway bodies of the k-quant x int8-input dot kernel (included by kquant_q8dot.cc).
#if defined(SHRINK_SRC_KERNELS_FORMATS_KQUANT_Q8DOT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SHRINK_SRC_KERNELS_FORMATS_KQUANT_Q8DOT_INL_H_
#undef SHRINK_SRC_KERNELS_FORMATS_KQUANT_Q8DOT_INL_H_
#else
#define SHRINK_SRC_KERNELS_FORMATS_KQUANT_Q8DOT_INL_H_
#endif

#include <cstring>
#include <utility>

#include "hwy/highway.h"
#include "src/kernels/formats/kquant_q8dot.h"

HWY_BEFORE_NAMESPACE();
namespace shrink {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#if HWY_TARGET != HWY_SCALAR  // one-lane vectors hold no pair of int16 products: the Ref serves there

// Independent f32 accumulators of the integer sums (they shorten the dependency chains).
constexpr int kKQuantQ8Accumulators = 4;

// Returns level - level_offset, as int16, of weights l0 .. l0 + Lanes(d) - 1 of code group kGroup
// of a kType super-block (shifts and masks are compile-time constants).
template <int kType, int kGroup, class D>
HWY_INLINE hn::Vec<D> KQuantQ8Levels(D d, const uint8_t* HWY_RESTRICT block, int l0) {
  constexpr kquant::CodeGroup c = kquant::kSpecs[kType].groups[kGroup];
  constexpr int kOffset = kquant::kSpecs[kType].level_offset;
  const hn::Rebind<uint8_t, D> du8;
  auto level = hn::PromoteTo(d, hn::LoadU(du8, block + c.lo_offset + l0));
  if constexpr (c.lo_shift != 0) level = hn::ShiftRight<c.lo_shift>(level);
  if constexpr (c.lo_shift + c.lo_bits < 8) level = hn::And(level, hn::Set(d, (1 << c.lo_bits) - 1));
  if constexpr (c.hi_bits != 0) {
    // The high bits are shifted straight to their place in the level (from bit lo_bits up).
    constexpr int kHighMask = ((1 << c.hi_bits) - 1) << c.lo_bits;
    auto high = hn::PromoteTo(d, hn::LoadU(du8, block + c.hi_offset + l0));
    if constexpr (c.hi_shift > c.lo_bits) high = hn::ShiftRight<c.hi_shift - c.lo_bits>(high);
    if constexpr (c.hi_shift < c.lo_bits) high = hn::ShiftLeft<c.lo_bits - c.hi_shift>(high);
    if constexpr (kOffset == kHighMask) {
      // One high bit worth the offset (q3_k): level - offset = low - offset * (1 - high bit).
      return hn::Sub(level, hn::AndNot(high, hn::Set(d, kHighMask)));
    }
    level = hn::Or(level, hn::And(high, hn::Set(d, kHighMask)));
  }
  if constexpr (kOffset != 0) level = hn::Sub(level, hn::Set(d, kOffset));
  return level;
}

// True when the sub-block scales of a kType super-block fit one f32 vector of df, so that a group
// picks its scales with one TableLookupLanes (otherwise it broadcasts them from memory).
template <int kType, class DF>
constexpr bool KQuantQ8ScaleTable(DF /* df */) {
  return kquant::kSuperBlock / kquant::kSpecs[kType].sub_size <= static_cast<int>(hn::MaxLanes(DF()));
}

// Adds code group kGroup's share of the dot to acc: the exact integer sums of (level - offset) *
// code over each sub-block, times the sub-block scales (`table` when KQuantQ8ScaleTable, else
// `scales`). `codes` are the super-block's 256 input codes.
template <int kType, int kGroup, class D16, class VF = hn::Vec<hn::Repartition<float, D16>>>
HWY_INLINE void KQuantQ8DotGroup(D16 d16, const uint8_t* HWY_RESTRICT block, const int16_t* HWY_RESTRICT codes,
                                 const float* HWY_RESTRICT scales, VF table, VF& acc) {
  constexpr int kSub = kquant::kSpecs[kType].sub_size;
  const hn::Repartition<int32_t, D16> d32;
  const hn::Repartition<float, D16> df;
  // MaxLanes is the exact lane count on the x86 targets.
  constexpr int kLanes = static_cast<int>(hn::MaxLanes(d16));
  // A vector that spans two sub-blocks needs the lanes of each in known places: madd keeps the
  // products of int16 lanes 2t and 2t + 1 in int32 lane t.
  static_assert(kLanes <= kSub || (KQuantQ8ScaleTable<kType>(df) && kLanes == 2 * kSub &&
                                   (HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL)));
  constexpr int kSpan = kLanes > kSub ? kLanes : kSub;  // the inputs summed before scaling
  for (int s0 = 0; s0 < kquant::kGroupSize; s0 += kSpan) {
    auto sum0 = hn::Zero(d32), sum1 = hn::Zero(d32);
    for (int l0 = s0; l0 < s0 + kSpan; l0 += kLanes) {
      sum0 = hn::ReorderWidenMulAccumulate(d32, KQuantQ8Levels<kType, kGroup>(d16, block, l0),
                                           hn::LoadU(d16, codes + kquant::kGroupSize * kGroup + l0), sum0, sum1);
    }
    const int first = kquant::kGroupSize * kGroup + s0;  // the first weight of the sum
    hn::Vec<decltype(df)> scale;
    if constexpr (KQuantQ8ScaleTable<kType>(df)) {
      // Lane t holds weights first + 2t and first + 2t + 1, of sub-block (first / 2 + t) / (kSub / 2).
      constexpr int kHalfSubShift = kSub == 16 ? 3 : 4;
      const auto index = hn::ShiftRight<kHalfSubShift>(hn::Iota(d32, first / 2));
      scale = hn::TableLookupLanes(table, hn::IndicesFromVec(df, index));
    } else {
      scale = hn::Set(df, scales[first / kSub]);
    }
    acc = hn::MulAdd(hn::ConvertTo(df, hn::RearrangeToOddPlusEven(sum0, sum1)), scale, acc);
  }
}

template <int kType, class D16, class VF, size_t... kGroups>
HWY_INLINE void KQuantQ8DotGroups(D16 d16, const uint8_t* HWY_RESTRICT block, const int16_t* HWY_RESTRICT codes,
                                  const float* HWY_RESTRICT scales, VF table, VF* acc,
                                  std::index_sequence<kGroups...>) {
  (KQuantQ8DotGroup<kType, static_cast<int>(kGroups)>(d16, block, codes, scales, table,
                                                      acc[kGroups % kKQuantQ8Accumulators]),
   ...);
}

// Returns the f16 at `p` as f32 (exact, converted in hardware).
HWY_INLINE float KQuantQ8F16At(const uint8_t* HWY_RESTRICT p) {
  const hn::CappedTag<float, 1> d;
  const hn::Rebind<hwy::float16_t, decltype(d)> dh;
  return hn::GetLane(hn::PromoteTo(d, hn::LoadU(dh, reinterpret_cast<const hwy::float16_t*>(p))));
}

// Writes the six-bit sub-block codes of a q3_k (sc_j + 32, j < 16) or q4_k / q5_k (sc_j then m_j,
// j < 8) super-block, one byte each, working on four codes per 32-bit word; `packed` is the
// 12-byte field. `out` is written by one 16-byte store, so the loads that follow are forwarded.
template <int kType>
HWY_INLINE void KQuantQ8SixBitCodes(const uint8_t* HWY_RESTRICT packed, uint8_t* HWY_RESTRICT out) {
  uint32_t a0, a1, a2;
  std::memcpy(&a0, packed, 4);
  std::memcpy(&a1, packed + 4, 4);
  std::memcpy(&a2, packed + 8, 4);
  constexpr uint32_t kLow4 = 0x0F0F0F0Fu, kBits45 = 0x30303030u;
  uint32_t w0, w1, w2, w3;
  if constexpr (kType == static_cast<int>(kquant::KQuantType::kQ3K)) {
    // Code j: bits 0..3 from nibble j / 8 of byte j % 8, bits 4..5 from bits 2(j/4) of byte 8 + j % 4.
    w0 = (a0 & kLow4) | ((a2 << 4) & kBits45);
    w1 = (a1 & kLow4) | ((a2 << 2) & kBits45);
    w2 = ((a0 >> 4) & kLow4) | (a2 & kBits45);
    w3 = ((a1 >> 4) & kLow4) | ((a2 >> 2) & kBits45);
  } else {
    // Bytes 0..3 hold sc_0..3 and the top bits of sc_4..7, bytes 4..7 m_0..3 and the top bits of
    // m_4..7, bytes 8..11 the low nibbles of sc_4..7 (low) and m_4..7 (high).
    constexpr uint32_t kLow6 = 0x3F3F3F3Fu;
    w0 = a0 & kLow6;
    w1 = (a2 & kLow4) | ((a0 >> 2) & kBits45);
    w2 = a1 & kLow6;
    w3 = ((a2 >> 4) & kLow4) | ((a1 >> 2) & kBits45);
  }
  const hn::Full128<uint64_t> d64;
  const auto lower = hn::Set(d64, w0 | static_cast<uint64_t>(w1) << 32);
  const auto upper = hn::Set(d64, w2 | static_cast<uint64_t>(w3) << 32);
  hn::StoreU(hn::BitCast(hn::Full128<uint8_t>(), hn::InterleaveLower(d64, lower, upper)), hn::Full128<uint8_t>(), out);
}

// Returns lanes h0 h0 h1 h1 ... of d from the half-width vector `half`.
template <class D>
HWY_INLINE hn::Vec<D> KQuantQ8DuplicateLanes(D d, hn::Vec<hn::Half<D>> half) {
  const hn::Repartition<uint64_t, D> du64;
  const hn::Rebind<uint32_t, hn::Half<D>> du32;
  const auto wide = hn::PromoteTo(du64, hn::BitCast(du32, half));
  return hn::BitCast(d, hn::Or(wide, hn::ShiftLeft<32>(wide)));
}

// Writes scales[j] = d * sc_j * xs[j * sub_size / 32] for the sub-blocks j of a kType super-block,
// and adds its "- dmin * m_j" share before negation, sum_j dmin * m_j * xs * (input code sums of
// sub-block j), to min_acc. xs: the super-block's 8 input scales, sums: its 16 code sums.
template <int kType, class DF>
HWY_INLINE void KQuantQ8SubBlockScales(DF df, const uint8_t* HWY_RESTRICT block, const float* HWY_RESTRICT xs,
                                       const int32_t* HWY_RESTRICT sums, float* HWY_RESTRICT scales,
                                       hn::Vec<DF>& min_acc) {
  constexpr kquant::KQuantType kKind = static_cast<kquant::KQuantType>(kType);
  constexpr const kquant::KQuantSpec& spec = kquant::kSpecs[kType];
  constexpr int kNumSub = kquant::kSuperBlock / spec.sub_size;
  const hn::RebindToSigned<DF> di;
  const hn::Rebind<uint8_t, DF> du8;
  const hn::Half<DF> dh;
  const int lanes = static_cast<int>(hn::Lanes(df));
  const auto d = hn::Set(df, KQuantQ8F16At(block + spec.d_offset));
  const auto dmin = hn::Set(df, spec.has_mins ? KQuantQ8F16At(block + spec.dmin_offset) : 0.0f);
  alignas(16) uint8_t six_bit[16];
  if constexpr (kKind == kquant::KQuantType::kQ3K) KQuantQ8SixBitCodes<kType>(block + 96, six_bit);
  if constexpr (kKind == kquant::KQuantType::kQ4K || kKind == kquant::KQuantType::kQ5K) {
    KQuantQ8SixBitCodes<kType>(block + 4, six_bit);
  }
  for (int j0 = 0; j0 < kNumSub; j0 += lanes) {
    hn::Vec<decltype(di)> sc, m;
    if constexpr (kKind == kquant::KQuantType::kQ2K) {
      const auto packed = hn::PromoteTo(di, hn::LoadU(du8, block + j0));
      sc = hn::And(packed, hn::Set(di, 15));
      m = hn::ShiftRight<4>(packed);
    } else if constexpr (kKind == kquant::KQuantType::kQ3K) {
      sc = hn::Sub(hn::PromoteTo(di, hn::LoadU(du8, six_bit + j0)), hn::Set(di, 32));
    } else if constexpr (kKind == kquant::KQuantType::kQ6K) {
      const hn::Rebind<int8_t, DF> di8;
      sc = hn::PromoteTo(di, hn::LoadU(di8, reinterpret_cast<const int8_t*>(block + 192 + j0)));
    } else {
      sc = hn::PromoteTo(di, hn::LoadU(du8, six_bit + j0));
      m = hn::PromoteTo(di, hn::LoadU(du8, six_bit + 8 + j0));
    }
    const auto mul = hn::Mul(d, hn::ConvertTo(df, sc));  // d * sc_j as ggml computes it
    if constexpr (spec.sub_size == 16) {                 // sub-blocks 2k and 2k + 1 share xs[k]
      const auto input_scale = KQuantQ8DuplicateLanes(df, hn::LoadU(dh, xs + j0 / 2));
      hn::StoreU(hn::Mul(mul, input_scale), df, scales + j0);
      if constexpr (spec.has_mins) {
        const auto sub = hn::Mul(hn::Mul(dmin, hn::ConvertTo(df, m)), input_scale);
        min_acc = hn::MulAdd(hn::ConvertTo(df, hn::LoadU(di, sums + j0)), sub, min_acc);
      }
    } else {  // sub-block j is input block j, with code sums 2j and 2j + 1
      const auto input_scale = hn::LoadU(df, xs + j0);
      hn::StoreU(hn::Mul(mul, input_scale), df, scales + j0);
      const auto sub = hn::Mul(hn::Mul(dmin, hn::ConvertTo(df, m)), input_scale);
      const auto sums_lower = hn::LoadU(di, sums + 2 * j0), sums_upper = hn::LoadU(di, sums + 2 * j0 + lanes);
      const auto sub_block_sums =
          hn::Add(hn::ConcatEven(di, sums_upper, sums_lower), hn::ConcatOdd(di, sums_upper, sums_lower));
      min_acc = hn::MulAdd(hn::ConvertTo(df, sub_block_sums), sub, min_acc);
    }
  }
}

template <int kType>
HWY_INLINE float KQuantQ8DotBlocks(const uint8_t* HWY_RESTRICT blocks, int64_t num_blocks,
                                   const kernels::Q8Input& x) {
  constexpr const kquant::KQuantSpec& spec = kquant::kSpecs[kType];
  constexpr int kInputBlocks = kquant::kSuperBlock / kernels::kQ8ActivationBlock;
  const hn::CappedTag<int16_t, kquant::kGroupSize> d16;  // a vector never straddles a code group
  const hn::Repartition<float, decltype(d16)> df;
  const hn::CappedTag<float, kquant::kSuperBlock / spec.sub_size> dscale;  // all sub-block scales at once
  HWY_ALIGN float scales[kquant::kMaxSubBlocks];  // also loaded as `table` when KQuantQ8ScaleTable
  hn::Vec<decltype(df)> acc[kKQuantQ8Accumulators];
  for (auto& a : acc) a = hn::Zero(df);
  auto min_acc = hn::Zero(dscale);
  for (int64_t b = 0; b < num_blocks; ++b) {
    const uint8_t* block = blocks + b * spec.block_bytes;
    KQuantQ8SubBlockScales<kType>(dscale, block, x.scale + b * kInputBlocks, x.sums + b * 2 * kInputBlocks, scales,
                                  min_acc);
    auto table = hn::Zero(df);
    if constexpr (KQuantQ8ScaleTable<kType>(df)) {
      if constexpr (hn::MaxLanes(dscale) == hn::MaxLanes(df)) {
        table = hn::LoadU(df, scales);
      } else {
        table = hn::ZeroExtendVector(df, hn::LoadU(dscale, scales));
      }
    }
    KQuantQ8DotGroups<kType>(d16, block, x.codes + b * kquant::kSuperBlock, scales, table, acc,
                             std::make_index_sequence<kquant::kGroups>());
  }
  const auto sum = hn::Add(hn::Add(acc[0], acc[1]), hn::Add(acc[2], acc[3]));
  return hn::GetLane(hn::SumOfLanes(df, sum)) - hn::GetLane(hn::SumOfLanes(dscale, min_acc));
}

#endif  // HWY_TARGET != HWY_SCALAR

float KQuantDotQ8Row(kquant::KQuantType type, const uint8_t* HWY_RESTRICT blocks, int64_t num_blocks,
                     const kernels::Q8Input& x) {
#if HWY_TARGET == HWY_SCALAR
  return kernels::KQuantDotQ8RowRef(type, blocks, num_blocks, x);
#else
  switch (type) {
    case kquant::KQuantType::kQ2K: return KQuantQ8DotBlocks<0>(blocks, num_blocks, x);
    case kquant::KQuantType::kQ3K: return KQuantQ8DotBlocks<1>(blocks, num_blocks, x);
    case kquant::KQuantType::kQ4K: return KQuantQ8DotBlocks<2>(blocks, num_blocks, x);
    case kquant::KQuantType::kQ5K: return KQuantQ8DotBlocks<3>(blocks, num_blocks, x);
    case kquant::KQuantType::kQ6K: break;
  }
  return KQuantQ8DotBlocks<4>(blocks, num_blocks, x);
#endif
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace shrink
HWY_AFTER_NAMESPACE();

#endif  // include guard toggle
