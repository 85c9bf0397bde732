// Per-target Highway bodies of the integer dot kernels of ggml's legacy and iq4 block types
// against a Q8Input (included by ggml_legacy_q8dot.cc).
//
// The codes of each 32-weight run become int16 levels (q4_0 code - 8, q5_0 code - 16, q8_0 the
// int8, iq4 kIq4Values[code], q4_1 and q5_1 the code itself) in the order of the run's weights,
// so they multiply the run's int16 input codes as stored (ReorderWidenMulAccumulate: vpmaddwd),
// exact in int32. Each run's int32 lanes are converted once and multiplied by the run's scale
// (weight scale times input scale) into f32 accumulators; the m of q4_1 and q5_1 multiplies the
// input's code sums instead. The scales of a chunk of runs (one per 16-bit lane) are gathered and
// converted a vector at a time, one chunk ahead of the dot products.
//
// Packed nibbles hold weight i of a run in the low nibble of byte i and weight i + 16 in its
// high nibble. A vector of 32 int16 (512-bit targets) holds a whole run: a byte permutation
// spreads the 16 code bytes over the 32 lanes (lane j gets byte j % 16), and an And with 0xF in
// the lower lanes and 0xF0 in the upper ones leaves each code, the high ones times 16 (undone at
// the end; iq4 shifts instead, as it needs the code itself for the table). Narrower vectors take
// a run in pieces of 16 or 8 weights, each one nibble of consecutive bytes.
#if defined(SHRINK_SRC_KERNELS_FORMATS_GGML_LEGACY_Q8DOT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SHRINK_SRC_KERNELS_FORMATS_GGML_LEGACY_Q8DOT_INL_H_
#undef SHRINK_SRC_KERNELS_FORMATS_GGML_LEGACY_Q8DOT_INL_H_
#else
#define SHRINK_SRC_KERNELS_FORMATS_GGML_LEGACY_Q8DOT_INL_H_
#endif

#include <cstdint>
#include <cstring>
#include <utility>

#include "hwy/highway.h"
#include "src/formats/ggml_legacy_blocks.h"
#include "src/kernels/formats/q8_activations.h"

HWY_BEFORE_NAMESPACE();
namespace shrink {
namespace kernels {
namespace HWY_NAMESPACE {
namespace {
namespace hn = hwy::HWY_NAMESPACE;
using ggml_legacy::kSubBlock;
using ggml_legacy::LegacyType;

#if HWY_TARGET != HWY_SCALAR

using Q8D16 = hn::CappedTag<int16_t, kSubBlock>;
using Q8DU16 = hn::RebindToUnsigned<Q8D16>;
using Q8D32 = hn::Repartition<int32_t, Q8D16>;
using Q8DF = hn::Repartition<float, Q8D16>;
using Q8V16 = hn::Vec<Q8D16>;
using Q8V32 = hn::Vec<Q8D32>;
using Q8VF = hn::Vec<Q8DF>;

// The weights of a run one vector holds, and the vectors ("pieces") per run.
constexpr int kPieceLanes = static_cast<int>(hn::MaxLanes(Q8D16()));
constexpr int kPieces = kSubBlock / kPieceLanes;
// Whether a vector holds a whole run (512-bit targets).
constexpr bool kWholeRun = kPieces == 1;

// The runs whose scales are gathered and converted together: one per 16-bit lane, so a chunk's
// f16 header fields fill one vector (a multiple of the 8 runs of an iq4_xs block).
constexpr int kChunkRuns = kPieceLanes;
static_assert(kChunkRuns % 8 == 0, "a chunk holds whole iq4_xs blocks");

// Byte indices that give lane j of a whole run byte j % 16 of the run's code bytes,
// zero-extended (0x80: zero) or duplicated into both bytes of the lane. Each 128-bit block
// indexes 0..15, so they serve both a byte shuffle within blocks of the broadcast bytes and a
// permutation of the 16 bytes in the first block.
alignas(64) constexpr uint8_t kSpreadZeroExtend[64] = {
    0, 0x80, 1, 0x80, 2,  0x80, 3,  0x80, 4,  0x80, 5,  0x80, 6,  0x80, 7,  0x80,  //
    8, 0x80, 9, 0x80, 10, 0x80, 11, 0x80, 12, 0x80, 13, 0x80, 14, 0x80, 15, 0x80,  //
    0, 0x80, 1, 0x80, 2,  0x80, 3,  0x80, 4,  0x80, 5,  0x80, 6,  0x80, 7,  0x80,  //
    8, 0x80, 9, 0x80, 10, 0x80, 11, 0x80, 12, 0x80, 13, 0x80, 14, 0x80, 15, 0x80};
alignas(64) constexpr uint8_t kSpreadDuplicate[64] = {
    0, 0, 1, 1, 2,  2,  3,  3,  4,  4,  5,  5,  6,  6,  7,  7,   //
    8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15,  //
    0, 0, 1, 1, 2,  2,  3,  3,  4,  4,  5,  5,  6,  6,  7,  7,   //
    8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15};

// Returns the code bytes of a whole run (16 at qs) spread over the lanes by `spread`: one byte
// permutation of a 16-byte load with AVX512-VBMI, else a byte shuffle of the broadcast bytes.
template <bool kZeroExtend>
HWY_INLINE hn::Vec<Q8DU16> SpreadRunBytes(const uint8_t* HWY_RESTRICT qs) {
  const uint8_t* spread = kZeroExtend ? kSpreadZeroExtend : kSpreadDuplicate;
  const hn::Repartition<uint8_t, Q8D16> du8;
#if HWY_TARGET == HWY_AVX3_DL
  const __m512i bytes = _mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(qs)));
  const __m512i index = hn::Load(du8, spread).raw;
  // Zero-extension: the odd bytes are masked to zero (the index only reads the first block).
  const __m512i spread_bytes = kZeroExtend ? _mm512_maskz_permutexvar_epi8(0x5555555555555555ull, index, bytes)
                                           : _mm512_permutexvar_epi8(index, bytes);
  return hn::BitCast(Q8DU16(), hn::Vec<decltype(du8)>{spread_bytes});
#else
  return hn::BitCast(Q8DU16(), hn::TableLookupBytesOr0(hn::LoadDup128(du8, qs), hn::Load(du8, spread)));
#endif
}

// A whole run keeps the high nibbles (weights 16..31) in place, 16 times their value: an And
// instead of a shift. The int32 sums of those lanes, and so the upper half of the f32
// accumulator lanes, are 16 times too large; DotQ8Row scales them back at the end (exact).
constexpr int kHighNibbleScale = kWholeRun ? 16 : 1;

// Returns true for the types whose levels come from NibbleCodes (scaled as above).
constexpr bool HasLinearNibbles(LegacyType type) { return type != LegacyType::kQ8_0 && !ggml_legacy::IsIq4(type); }

// Returns a vector whose lanes of piece p hold `value` for weights 0..15 of a run and `value` *
// kHighNibbleScale for weights 16..31.
template <int p>
HWY_INLINE Q8V16 NibbleConstant(int value) {
  const Q8D16 d16;
  if constexpr (kWholeRun) {
    return hn::IfThenElse(hn::FirstN(d16, 16), hn::Set(d16, static_cast<int16_t>(value)),
                          hn::Set(d16, static_cast<int16_t>(value * kHighNibbleScale)));
  } else {
    return hn::Set(d16, static_cast<int16_t>(value));
  }
}

// Returns the 4-bit codes of piece p of the run whose packed nibbles are at qs, as int16 (times
// kHighNibbleScale for weights 16..31).
template <int p>
HWY_INLINE Q8V16 NibbleCodes(const uint8_t* HWY_RESTRICT qs) {
  const Q8D16 d16;
  if constexpr (kWholeRun) {
    return hn::And(hn::BitCast(d16, SpreadRunBytes<true>(qs)), NibbleConstant<p>(0xF));
  } else {
    constexpr int kFirst = p * kPieceLanes;  // the first weight of the piece
    const Q8DU16 du16;
    const hn::Rebind<uint8_t, Q8D16> du8;
    const auto bytes = hn::PromoteTo(du16, hn::LoadU(du8, qs + kFirst % 16));
    return hn::BitCast(d16, kFirst < 16 ? hn::And(bytes, hn::Set(du16, 0xF)) : hn::ShiftRight<4>(bytes));
  }
}

// A vector of int8 holding the 16 kIq4Values in each 128-bit block (byte shuffles index within
// blocks): as wide as a whole run's int16, else one block.
using Q8DTable = hn::CappedTag<int8_t, kWholeRun ? 2 * kPieceLanes : 16>;

HWY_INLINE hn::Vec<Q8DTable> Iq4Table() {
  if constexpr (hn::MaxLanes(Q8DTable()) > 16) {
    return hn::LoadDup128(Q8DTable(), ggml_legacy::kIq4Values);
  } else {
    return hn::LoadU(Q8DTable(), ggml_legacy::kIq4Values);
  }
}

#if HWY_TARGET == HWY_AVX3_DL
// The 16 kIq4Values, then the sign byte of each (0 or -1): the two bytes of each level as int16.
struct Iq4LevelBytes {
  alignas(64) int8_t bytes[64] = {};
};

constexpr Iq4LevelBytes MakeIq4LevelBytes() {
  Iq4LevelBytes table;
  for (int code = 0; code < 16; ++code) {
    table.bytes[code] = ggml_legacy::kIq4Values[code];
    table.bytes[16 + code] = static_cast<int8_t>(ggml_legacy::kIq4Values[code] < 0 ? -1 : 0);
  }
  return table;
}

constexpr Iq4LevelBytes kIq4LevelBytes = MakeIq4LevelBytes();
#endif

// Returns the iq4 levels kIq4Values[code] of piece p of the run whose packed nibbles are at qs.
template <int p>
HWY_INLINE Q8V16 Iq4Levels(const uint8_t* HWY_RESTRICT qs, hn::Vec<Q8DTable> table) {
  const Q8D16 d16;
  if constexpr (kWholeRun) {
    // Both bytes of lane j hold code j.
    const Q8DU16 du16;
    const auto shifts = hn::IfThenZeroElse(hn::FirstN(du16, 16), hn::Set(du16, 4));
    const auto codes = SpreadRunBytes<false>(qs) >> shifts;
#if HWY_TARGET == HWY_AVX3_DL
    // One byte permutation of kIq4LevelBytes looks up the level (byte 0: code) and its sign
    // (byte 1: code + 16) of each lane: the int16 level.
    const hn::Repartition<int8_t, Q8D16> di8;
    const auto index = hn::OrAnd(hn::Set(du16, 0x1000), codes, hn::Set(du16, 0x0F0F));
    const __m512i levels = _mm512_permutexvar_epi8(index.raw, hn::Load(di8, kIq4LevelBytes.bytes).raw);
    return hn::BitCast(d16, hn::Vec<decltype(di8)>{levels});
#else
    // The lookup gives level * 0x101; an arithmetic shift by 8 leaves the level sign-extended.
    const hn::Repartition<int8_t, Q8D16> di8;
    const auto level_bytes = hn::TableLookupBytes(table, hn::BitCast(di8, hn::And(codes, hn::Set(du16, 0x0F0F))));
    return hn::ShiftRight<8>(hn::BitCast(d16, level_bytes));
#endif
  } else {
    constexpr int kFirst = p * kPieceLanes;
    const hn::Rebind<uint8_t, Q8D16> du8;
    const auto bytes = hn::LoadU(du8, qs + kFirst % 16);
    const auto codes = kFirst < 16 ? hn::And(bytes, hn::Set(du8, 0xF)) : hn::ShiftRight<4>(bytes);
    return hn::PromoteTo(d16, hn::BitCast(hn::Rebind<int8_t, Q8D16>(), hn::TableLookupBytes(table, codes)));
  }
}

// Returns the mask of the lanes of piece p whose fifth code bit is set in `qh` (q5 types).
template <int p>
HWY_INLINE hn::Mask<Q8D16> HighBitMask(uint32_t qh) {
  const uint32_t bits = qh >> (p * kPieceLanes);
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  static_assert(kWholeRun, "AVX-512 vectors hold a whole run");
  return hn::Mask<Q8D16>{static_cast<__mmask32>(bits)};  // the bits are the mask
#else
  uint8_t bytes[sizeof(bits)];
  std::memcpy(bytes, &bits, sizeof(bits));
  return hn::LoadMaskBits(Q8D16(), bytes);
#endif
}

// Returns the levels of piece p of the run of kType whose codes start at `codes` (qs, or the
// int8 codes of q8_0); qh: the fifth code bits of q5 types.
template <LegacyType kType, int p>
HWY_INLINE Q8V16 PieceLevels(const uint8_t* HWY_RESTRICT codes, uint32_t qh, hn::Vec<Q8DTable> table) {
  const Q8D16 d16;
  if constexpr (kType == LegacyType::kQ8_0) {
    const hn::Rebind<int8_t, Q8D16> di8;
    return hn::PromoteTo(d16, hn::LoadU(di8, reinterpret_cast<const int8_t*>(codes) + p * kPieceLanes));
  } else if constexpr (ggml_legacy::IsIq4(kType)) {
    return Iq4Levels<p>(codes, table);
  } else {
    const Q8V16 nibbles = NibbleCodes<p>(codes);
    if constexpr (kType == LegacyType::kQ4_0) {
      return hn::Sub(nibbles, NibbleConstant<p>(8));
    } else if constexpr (kType == LegacyType::kQ5_0) {  // code - 16: nibble - 16 where the bit is 0
      return hn::IfThenElse(HighBitMask<p>(qh), nibbles, hn::Sub(nibbles, NibbleConstant<p>(16)));
    } else if constexpr (kType == LegacyType::kQ5_1) {  // code: nibble + 16 where the bit is 1
      return hn::IfThenElse(HighBitMask<p>(qh), hn::Add(nibbles, NibbleConstant<p>(16)), nibbles);
    } else {
      return nibbles;
    }
  }
}

// Returns the int32 sums of level * input code over the run of kType whose codes start at
// `codes`, with inputs x (32 int16).
template <LegacyType kType, int... kP>
HWY_INLINE Q8V32 RunDot(const uint8_t* HWY_RESTRICT codes, uint32_t qh, const int16_t* HWY_RESTRICT x,
                        hn::Vec<Q8DTable> table, std::integer_sequence<int, kP...>) {
  const Q8D16 d16;
  const Q8D32 d32;
  Q8V32 sum0 = hn::Zero(d32), sum1 = hn::Zero(d32);
  ((sum0 = hn::ReorderWidenMulAccumulate(d32, PieceLevels<kType, kP>(codes, qh, table),
                                         hn::LoadU(d16, x + kP * kPieceLanes), sum0, sum1)),
   ...);
  return hn::RearrangeToOddPlusEven(sum0, sum1);
}

// The runs (32 weights) of a block of kType.
template <LegacyType kType>
constexpr int kRunsPerBlock = ggml_legacy::BlockElems(kType) / kSubBlock;

// Returns the byte offset of the codes of run r in a row.
template <LegacyType kType>
HWY_INLINE int64_t RunCodesOffset(int64_t r) {
  constexpr int kRuns = kRunsPerBlock<kType>;
  return (r / kRuns) * ggml_legacy::BlockBytes(kType) + ggml_legacy::CodesOffset(kType) + 16 * (r % kRuns);
}

// The 16-bit header fields of a run: d, m (q4_1, q5_1), and iq4_xs's scales_h and the half of
// scales_l that holds the run's low scale bits.
enum class HeaderField { kD, kM, kScalesHigh, kScalesLow };

// Returns the byte offset of `field` of run i from the start of the block of run 0.
constexpr int FieldOffset(LegacyType type, HeaderField field, int i) {
  const int runs = ggml_legacy::BlockElems(type) / kSubBlock;
  const int block = i / runs * ggml_legacy::BlockBytes(type);
  switch (field) {
    case HeaderField::kD: return block;
    case HeaderField::kM: return block + 2;
    case HeaderField::kScalesHigh: return block + 2;
    case HeaderField::kScalesLow: break;
  }
  return block + 4 + 2 * (i % runs / 4);
}

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
// AVX-512 gathers a field of a whole chunk (32 runs) of a linear type with two-table word
// permutations, one per 128-byte window of the chunk's 32 blocks, instead of 32 scalar loads: for
// each window, the word indices of the fields it holds (relative to the window) and the lanes
// they go to.
struct WindowGather {
  // The longest chunk: 32 q8_0 blocks.
  static constexpr int kMaxWindows = (kChunkRuns * ggml_legacy::BlockBytes(LegacyType::kQ8_0) + 127) / 128;
  int windows = 0;
  uint16_t index[kMaxWindows][kChunkRuns] = {};
  uint32_t lanes[kMaxWindows] = {};
};

constexpr WindowGather MakeWindowGather(LegacyType type, HeaderField field) {
  WindowGather gather;
  for (int i = 0; i < kChunkRuns; ++i) {
    const int word = FieldOffset(type, field, i) / 2;  // every field is 2-byte aligned
    const int w = word / 64;
    gather.index[w][i] = static_cast<uint16_t>(word % 64);
    gather.lanes[w] |= uint32_t{1} << i;
    gather.windows = w + 1 > gather.windows ? w + 1 : gather.windows;
  }
  return gather;
}

template <LegacyType kType, HeaderField kField>
constexpr WindowGather kWindowGather = MakeWindowGather(kType, kField);

// Returns the 32 words of bytes [begin, begin + 64) of a chunk of `span` bytes at `first`, zero
// beyond the span (masked loads read nothing there).
template <int kSpan>
HWY_INLINE __m512i LoadChunkWords(const uint8_t* HWY_RESTRICT first, int begin) {
  const int words = (kSpan - begin) / 2;
  if (words >= 32) return _mm512_loadu_si512(first + begin);
  return _mm512_maskz_loadu_epi16(words <= 0 ? 0u : (uint32_t{1} << words) - 1u, first + begin);
}

// The fields of an iq4_xs chunk lie in the 8-byte headers of its 4 blocks: for each run, the
// word of the field within the 16 words of the headers.
struct HeaderIndex {
  uint16_t index[kChunkRuns] = {};
};

constexpr HeaderIndex MakeHeaderIndex(HeaderField field) {
  constexpr int kBytes = ggml_legacy::BlockBytes(LegacyType::kIq4Xs);
  HeaderIndex header;
  for (int i = 0; i < kChunkRuns; ++i) {
    header.index[i] = static_cast<uint16_t>(i / 8 * 4 + FieldOffset(LegacyType::kIq4Xs, field, i) % kBytes / 2);
  }
  return header;
}

template <HeaderField kField>
constexpr HeaderIndex kHeaderIndex = MakeHeaderIndex(kField);

// Returns `field` of the kChunkRuns runs of the chunk whose first block is at `first`.
template <LegacyType kType, HeaderField kField>
HWY_INLINE hn::Vec<Q8DU16> GatherChunkField(const uint8_t* HWY_RESTRICT first) {
  if constexpr (kType == LegacyType::kIq4Xs) {  // four 64-bit loads and one word permutation
    constexpr int kBytes = ggml_legacy::BlockBytes(kType);
    const auto header = [first](int b) {
      return _mm_loadl_epi64(reinterpret_cast<const __m128i*>(first + b * kBytes));
    };
    const __m128i low = _mm_unpacklo_epi64(header(0), header(1)), high = _mm_unpacklo_epi64(header(2), header(3));
    const __m512i words = _mm512_castsi256_si512(_mm256_inserti128_si256(_mm256_castsi128_si256(low), high, 1));
    const __m512i index = _mm512_loadu_si512(kHeaderIndex<kField>.index);
    return hn::Vec<Q8DU16>{_mm512_permutexvar_epi16(index, words)};
  } else {
    constexpr const WindowGather& gather = kWindowGather<kType, kField>;
    constexpr int kSpan = kChunkRuns * ggml_legacy::BlockBytes(kType);
    __m512i words = _mm512_setzero_si512();
    for (int w = 0; w < gather.windows; ++w) {
      const __m512i index = _mm512_loadu_si512(gather.index[w]);
      const __m512i low = LoadChunkWords<kSpan>(first, 128 * w), high = LoadChunkWords<kSpan>(first, 128 * w + 64);
      words = _mm512_or_si512(words, _mm512_maskz_permutex2var_epi16(gather.lanes[w], low, index, high));
    }
    return hn::Vec<Q8DU16>{words};
  }
}
#endif

// Returns `field` of runs [0, n) (n <= kChunkRuns) of the chunk whose first block is at
// `first`, zero in the lanes from n on.
template <LegacyType kType, HeaderField kField>
HWY_INLINE hn::Vec<Q8DU16> ChunkField(const uint8_t* HWY_RESTRICT first, int n) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  if (n == kChunkRuns) return GatherChunkField<kType, kField>(first);
#endif
  alignas(64) uint16_t words[kChunkRuns] = {};
  for (int i = 0; i < n; ++i) std::memcpy(words + i, first + FieldOffset(kType, kField, i), sizeof(uint16_t));
  return hn::Load(Q8DU16(), words);
}

// Returns iq4_xs's ls - 32 of each run of a chunk from its scales_h and scales_l words: lane i
// (run s = i % 8 of its block) takes bits 4 (s % 4) .. of its scales_l word and bits 2 s .. of
// scales_h.
HWY_INLINE Q8V16 Iq4XsSubScales(hn::Vec<Q8DU16> scales_high, hn::Vec<Q8DU16> scales_low) {
  const Q8DU16 du16;
  const auto run = hn::And(hn::Iota(du16, 0), hn::Set(du16, 7));
  const auto low = hn::And(scales_low >> hn::ShiftLeft<2>(hn::And(run, hn::Set(du16, 3))), hn::Set(du16, 0xF));
  const auto high = hn::And(scales_high >> hn::ShiftLeft<1>(run), hn::Set(du16, 3));
  return hn::Sub(hn::BitCast(Q8D16(), hn::Or(low, hn::ShiftLeft<4>(high))), hn::Set(Q8D16(), 32));
}

// Returns the input code sums of runs r0 + [0, n) of the chunk, half h of the lanes (zero beyond n).
HWY_INLINE Q8V32 ChunkInputSums(const Q8Input& x, int64_t r0, int n, int h) {
  const Q8D32 d32;
  constexpr int kHalf = kChunkRuns / 2;
  if (n == kChunkRuns) {  // sums[2 r] + sums[2 r + 1], even plus odd lanes
    const int32_t* sums = x.sums + 2 * (r0 + h * kHalf);
    const Q8V32 first = hn::LoadU(d32, sums), second = hn::LoadU(d32, sums + kHalf);
    return hn::Add(hn::ConcatEven(d32, second, first), hn::ConcatOdd(d32, second, first));
  }
  alignas(64) int32_t pairs[kHalf] = {};
  for (int i = 0; i < kHalf && h * kHalf + i < n; ++i) {
    const int64_t r = r0 + h * kHalf + i;
    pairs[i] = x.sums[2 * r] + x.sums[2 * r + 1];
  }
  return hn::Load(d32, pairs);
}

// Writes scales[i] = (scale of run r0 + i) * (its input block's scale) for i < n (n <=
// kChunkRuns; 0 from n on), and for q4_1 and q5_1 adds m * input scale * input code sum of each
// run to `bias`.
template <LegacyType kType>
HWY_INLINE void ChunkScales(const uint8_t* HWY_RESTRICT blocks, int64_t r0, int n, const Q8Input& x,
                            float* HWY_RESTRICT scales, Q8VF& bias) {
  constexpr int kRuns = kRunsPerBlock<kType>;
  constexpr int kHalf = kChunkRuns / 2;
  const Q8DF df;
  const hn::RebindToSigned<Q8DF> di32;
  const hn::Rebind<hwy::float16_t, Q8DF> df16;
  const hn::Half<Q8DU16> du16h;
  const uint8_t* first = blocks + r0 / kRuns * ggml_legacy::BlockBytes(kType);
  alignas(64) float x_scale_tail[kChunkRuns];
  const float* x_scale = x.scale + r0;
  if (n != kChunkRuns) {  // the row's last chunk: zeros beyond the row
    for (int i = 0; i < kChunkRuns; ++i) x_scale_tail[i] = i < n ? x_scale[i] : 0.0f;
    x_scale = x_scale_tail;
  }
  // Returns half h of the lanes of f16 words as f32.
  const auto f16_half = [&](hn::Vec<Q8DU16> words, int h) HWY_ATTR {
    const auto half = h == 0 ? hn::LowerHalf(du16h, words) : hn::UpperHalf(du16h, words);
    return hn::PromoteTo(df, hn::BitCast(df16, half));
  };
  const auto d = ChunkField<kType, HeaderField::kD>(first, n);
  Q8V16 sub_scale;
  if constexpr (kType == LegacyType::kIq4Xs) {
    sub_scale = Iq4XsSubScales(ChunkField<kType, HeaderField::kScalesHigh>(first, n),
                               ChunkField<kType, HeaderField::kScalesLow>(first, n));
  }
  hn::Vec<Q8DU16> m;
  if constexpr (ggml_legacy::HasMin(kType)) m = ChunkField<kType, HeaderField::kM>(first, n);
  for (int h = 0; h < 2; ++h) {
    const Q8VF xs = hn::LoadU(df, x_scale + h * kHalf);
    Q8VF s = hn::Mul(f16_half(d, h), xs);
    if constexpr (kType == LegacyType::kIq4Xs) {
      const hn::Half<Q8D16> d16h;
      const auto half = h == 0 ? hn::LowerHalf(d16h, sub_scale) : hn::UpperHalf(d16h, sub_scale);
      s = hn::Mul(s, hn::ConvertTo(df, hn::PromoteTo(di32, half)));
    }
    hn::Store(s, df, scales + h * kHalf);
    if constexpr (ggml_legacy::HasMin(kType)) {
      bias = hn::MulAdd(hn::Mul(f16_half(m, h), xs), hn::ConvertTo(df, ChunkInputSums(x, r0, n, h)), bias);
    }
  }
}

// Returns the dot product of a row of kType blocks with the rounded input x.
template <LegacyType kType>
float DotQ8Row(const uint8_t* HWY_RESTRICT blocks, int64_t cols, const Q8Input& x) {
  const Q8DF df;
  const auto table = ggml_legacy::IsIq4(kType) ? Iq4Table() : hn::Zero(Q8DTable());
  // Returns the int32 sums of run r of the row.
  const auto run_dot = [&](int64_t r) HWY_ATTR {
    uint32_t qh = 0;
    if constexpr (ggml_legacy::HasHighBits(kType)) {
      std::memcpy(&qh, blocks + r * ggml_legacy::BlockBytes(kType) + ggml_legacy::QhOffset(kType), sizeof(qh));
    }
    return RunDot<kType>(blocks + RunCodesOffset<kType>(r), qh, x.codes + r * kSubBlock, table,
                         std::make_integer_sequence<int, kPieces>());
  };
  const int64_t runs = cols / kSubBlock;
  // Four accumulators: the FMA latency would otherwise bound the loop.
  constexpr int kAccumulators = 4;
  Q8VF acc[kAccumulators] = {hn::Zero(df), hn::Zero(df), hn::Zero(df), hn::Zero(df)};
  Q8VF bias = hn::Zero(df);
  const auto chunk_runs = [runs](int64_t r0) {
    return static_cast<int>(runs - r0 < kChunkRuns ? runs - r0 : kChunkRuns);
  };
  // The scales of the next chunk are computed before the current chunk's dot products, so their
  // latency (loads, permutations, conversion, store) overlaps work instead of stalling it.
  alignas(64) float scales[2][kChunkRuns];
  if (runs > 0) ChunkScales<kType>(blocks, 0, chunk_runs(0), x, scales[0], bias);
  for (int64_t r0 = 0, c = 0; r0 < runs; r0 += kChunkRuns, c ^= 1) {
    const int n = chunk_runs(r0);
    if (r0 + n < runs) ChunkScales<kType>(blocks, r0 + n, chunk_runs(r0 + n), x, scales[c ^ 1], bias);
    const float* chunk_scales = scales[c];
    int i = 0;
    for (; i + kAccumulators <= n; i += kAccumulators) {
      for (int k = 0; k < kAccumulators; ++k) {
        acc[k] = hn::MulAdd(hn::ConvertTo(df, run_dot(r0 + i + k)), hn::Set(df, chunk_scales[i + k]), acc[k]);
      }
    }
    for (; i < n; ++i) acc[0] = hn::MulAdd(hn::ConvertTo(df, run_dot(r0 + i)), hn::Set(df, chunk_scales[i]), acc[0]);
  }
  Q8VF sum = hn::Add(hn::Add(acc[0], acc[1]), hn::Add(acc[2], acc[3]));
  if constexpr (kHighNibbleScale != 1 && HasLinearNibbles(kType)) {
    // The upper half of the lanes summed the high nibbles times kHighNibbleScale.
    const size_t half = hn::MaxLanes(df) / 2;
    sum = hn::Mul(sum, hn::IfThenElse(hn::FirstN(df, half), hn::Set(df, 1.0f), hn::Set(df, 1.0f / kHighNibbleScale)));
  }
  return hn::GetLane(hn::SumOfLanes(df, hn::Add(sum, bias)));
}

#endif  // HWY_TARGET != HWY_SCALAR

}  // namespace
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace shrink
HWY_AFTER_NAMESPACE();

#endif  // include guard toggle
