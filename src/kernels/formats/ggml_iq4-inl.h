// Per-target Highway bodies of the iq4_nl and iq4_xs kernels: the fast scale search, nearest
// codes, decode and dot (included by ggml_legacy.cc). Levels are looked up in one vector of the
// 16 f32 values on 16-lane targets, else with a byte shuffle of the 16 int8 values; the SCALAR
// target has neither, and ggml_legacy.cc sends it to the Ref kernels.
#if defined(SHRINK_SRC_KERNELS_FORMATS_GGML_IQ4_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SHRINK_SRC_KERNELS_FORMATS_GGML_IQ4_INL_H_
#undef SHRINK_SRC_KERNELS_FORMATS_GGML_IQ4_INL_H_
#else
#define SHRINK_SRC_KERNELS_FORMATS_GGML_IQ4_INL_H_
#endif

#include <cstdint>

#include "hwy/highway.h"
#include "src/formats/ggml_iq4_fit.h"
#include "src/formats/ggml_legacy_blocks.h"
#include "src/kernels/formats/ggml_legacy-inl.h"

HWY_BEFORE_NAMESPACE();
namespace shrink {
namespace kernels {
namespace HWY_NAMESPACE {
namespace {
using ggml_legacy::kIq4Values;

#if HWY_TARGET != HWY_SCALAR

// Returns the sum of a run's 32 values t[kVecs] in the order of ggml_legacy::FixedOrderSum32.
HWY_INLINE float FixedOrderSum(VF* HWY_RESTRICT t) {
  for (int count = kVecs; count > 1; count /= 2) {
    for (int k = 0; k < count / 2; ++k) t[k] = hn::Add(t[k], t[k + count / 2]);
  }
  return FoldLanes(DF(), t[0], [](auto a, auto b) { return hn::Add(a, b); });
}

// Returns the int32 index of the kIq4Values level nearest to each lane of t: the number of
// midpoints t exceeds, as ggml_legacy::Iq4Nearest.
HWY_INLINE VI Iq4Index(VF t) {
  const DF df;
  const DI di;
  VI level = hn::Zero(di);
  for (int k = 0; k < 15; ++k) {
    const float mid = 0.5f * static_cast<float>(kIq4Values[k] + kIq4Values[k + 1]);
    level = hn::Sub(level, hn::VecFromMask(di, hn::RebindMask(di, hn::Gt(t, hn::Set(df, mid)))));
  }
  return level;
}

// The levels as f32, for a one-instruction lookup where a vector holds all 16.
alignas(64) constexpr float kIq4ValuesF32[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

// Returns kIq4Values[index] per lane, as float, for 8-bit indices 0..15 (byte shuffle).
HWY_INLINE VF Iq4Values(hn::Vec<DU8> index) {
  const DF df;
  const DI di;
  const DI8 di8;
  const hn::Full128<int8_t> d16;
  const auto table = hn::LoadU(d16, kIq4Values);
  return hn::ConvertTo(df, hn::PromoteTo(di, hn::BitCast(di8, hn::TableLookupBytes(table, index))));
}

// Returns kIq4Values[index] per lane, as float, for int32 indices 0..15.
HWY_INLINE VF Iq4Values(VI index) {
  const DF df;
  if constexpr (kLanes >= 16) {
    return hn::TableLookupLanes(hn::Load(df, kIq4ValuesF32), hn::IndicesFromVec(df, index));
  } else {
    return Iq4Values(hn::DemoteTo(DU8(), index));
  }
}

// Returns the fast search's scale of the 32 weights x (ggml_legacy::Iq4FastScale, bit for bit).
float Iq4FastScaleSimd(const float* HWY_RESTRICT x) {
  const DF df;
  float lo, hi;
  RunRange(x, lo, hi);
  lo += 0.0f;
  hi += 0.0f;
  const float e = hi >= -lo ? hi : lo;
  if (e == 0.0f) return 0.0f;
  VF xv[kVecs], qx[kVecs];
  for (int k = 0; k < kVecs; ++k) xv[k] = hn::LoadU(df, x + k * kLanes);
  float best_d = 0.0f, best_score = -1.0f;
  const auto evaluate = [&](float inv) {
    const VF vinv = hn::Set(df, inv);
    VF q2 = hn::Zero(df);
    for (int k = 0; k < kVecs; ++k) {
      const VF q = Iq4Values(Iq4Index(hn::Mul(xv[k], vinv)));
      qx[k] = hn::Mul(q, xv[k]);
      q2 = hn::Add(q2, hn::Mul(q, q));  // integers below 2^24: exact in any order
    }
    const float sqx = FixedOrderSum(qx);
    const float sq2 = hn::GetLane(hn::SumOfLanes(df, q2));
    const float score = sqx * sqx / sq2;
    if (score > best_score) {
      best_score = score;
      best_d = sqx / sq2;
    }
  };
  for (int c = 0; c < ggml_legacy::kIq4FastTries; ++c) evaluate(ggml_legacy::Iq4FastInverse(c, e));
  evaluate(1.0f / best_d);
  return best_d;
}

// Stores the nearest codes of the 32 weights x under `scale` (bias 0) into qs: the levels of
// x / scale, from x * (1 / scale) away from the boundaries (see kTieMargin).
HWY_INLINE void EncodeIq4Run(const float* HWY_RESTRICT x, float scale, uint8_t* HWY_RESTRICT qs) {
  const DF df;
  const DI di;
  VI c[kVecs];
  if (scale == 0.0f) {
    for (int k = 0; k < kVecs; ++k) c[k] = hn::Zero(di);
  } else {
    const VF vscale = hn::Set(df, scale), inv = hn::Set(df, 1.0f / scale), two = hn::Set(df, 2.0f);
    const VF near = hn::Set(df, kTieMargin);
    for (int k = 0; k < kVecs; ++k) {
      // The midpoints are multiples of 0.5: where 2 t is within kTieMargin of an integer, divide.
      const VF v = hn::LoadU(df, x + k * kLanes);
      VF t = hn::Mul(v, inv);
      const VF t2 = hn::Mul(t, two);
      if (HWY_UNLIKELY(!hn::AllFalse(df, hn::Lt(hn::Abs(hn::Sub(t2, hn::Round(t2))), near)))) t = hn::Div(v, vscale);
      c[k] = Iq4Index(t);
    }
  }
  PackNibbles(c, qs);
}

// Calls fn(k, low, high) for each k < kVecs / 2 with the level values (f32) of the run's weights
// k * kLanes + [0, kLanes) (low nibbles of qs) and 16 + k * kLanes + [0, kLanes) (high nibbles).
template <class Fn>
HWY_INLINE void ForIq4Values(const uint8_t* HWY_RESTRICT qs, Fn&& fn) {
  const DU8 du8;
  for (int k = 0; k < kVecs / 2; ++k) {
    if constexpr (kLanes >= 16) {  // int32 indices for the f32 table
      const VI bytes = hn::PromoteTo(DI(), hn::LoadU(du8, qs + k * kLanes));
      fn(k, Iq4Values(hn::And(bytes, hn::Set(DI(), 0xF))), Iq4Values(hn::ShiftRight<4>(bytes)));
    } else {
      const auto bytes = hn::LoadU(du8, qs + k * kLanes);
      fn(k, Iq4Values(hn::And(bytes, hn::Set(du8, 0xF))), Iq4Values(hn::ShiftRight<4>(bytes)));
    }
  }
}

// Writes the scale of each 32-weight run of an iq4 block (SubBlockMapOf's, bit for bit):
// iq4_xs computes d * (ls - 32) for all eight runs at once.
template <LegacyType kType>
HWY_INLINE void RunScales(const uint8_t* HWY_RESTRICT block, float* HWY_RESTRICT scales) {
  const float d = LoadF16Fast(block);
  if constexpr (kType == LegacyType::kIq4Xs) {
    uint32_t low;  // scales_l: nibble s holds the low 4 bits of ls_s
    std::memcpy(&low, block + 4, sizeof(low));
    const uint32_t high = block[2] | (block[3] << 8);  // scales_h: bits 2s, 2s+1 the top two
    for (int s = 0; s < 8; ++s) {
      const int ls = static_cast<int>(((low >> (4 * s)) & 0xFu) | (((high >> (2 * s)) & 3u) << 4));
      scales[s] = d * static_cast<float>(ls - 32);
    }
  } else {
    scales[0] = d;
  }
}

// Quantizes a row with the fast search and nearest codes.
template <LegacyType kType>
void QuantizeIq4Row(const float* HWY_RESTRICT x, int64_t cols, uint8_t* HWY_RESTRICT blocks) {
  constexpr int kRuns = ggml_legacy::BlockElems(kType) / kSubBlock;
  constexpr int kBytes = ggml_legacy::BlockBytes(kType);
  for (int64_t b = 0; b < cols / (kRuns * kSubBlock); ++b, x += kRuns * kSubBlock, blocks += kBytes) {
    if constexpr (kType == LegacyType::kIq4Nl) {
      StoreF16Fast(blocks, Iq4FastScaleSimd(x));
    } else {
      float scales[kRuns];
      for (int s = 0; s < kRuns; ++s) scales[s] = Iq4FastScaleSimd(x + kSubBlock * s);
      ggml_legacy::Iq4XsHeaderFromScales(scales, blocks);
    }
    float run_scales[kRuns];
    RunScales<kType>(blocks, run_scales);
    for (int s = 0; s < kRuns; ++s) {
      EncodeIq4Run(x + kSubBlock * s, run_scales[s], blocks + ggml_legacy::CodesOffset(kType) + 16 * s);
    }
  }
}

// Writes the nearest codes of a row whose headers are stored.
template <LegacyType kType>
void EncodeIq4Row(const float* HWY_RESTRICT x, int64_t cols, uint8_t* HWY_RESTRICT blocks) {
  constexpr int kRuns = ggml_legacy::BlockElems(kType) / kSubBlock;
  float scales[kRuns];
  for (int64_t b = 0; b < cols / (kRuns * kSubBlock); ++b, blocks += ggml_legacy::BlockBytes(kType)) {
    RunScales<kType>(blocks, scales);
    for (int s = 0; s < kRuns; ++s, x += kSubBlock) {
      EncodeIq4Run(x, scales[s], blocks + ggml_legacy::CodesOffset(kType) + 16 * s);
    }
  }
}

// Decodes a row: scale * level, as ggml_legacy::DecodeWeightRef.
template <LegacyType kType>
void DequantizeIq4Row(const uint8_t* HWY_RESTRICT blocks, int64_t cols, float* HWY_RESTRICT out) {
  constexpr int kRuns = ggml_legacy::BlockElems(kType) / kSubBlock;
  const DF df;
  float scales[kRuns];
  for (int64_t b = 0; b < cols / (kRuns * kSubBlock); ++b, blocks += ggml_legacy::BlockBytes(kType)) {
    RunScales<kType>(blocks, scales);
    for (int s = 0; s < kRuns; ++s, out += kSubBlock) {
      const VF scale = hn::Set(df, scales[s]);
      ForIq4Values(blocks + ggml_legacy::CodesOffset(kType) + 16 * s, [&](int k, VF low, VF high) {
        hn::StoreU(hn::Mul(low, scale), df, out + k * kLanes);
        hn::StoreU(hn::Mul(high, scale), df, out + 16 + k * kLanes);
      });
    }
  }
}

// Adds scale * sum(level * x) of the run at qs (16 bytes) to acc.
HWY_INLINE void AccumulateIq4Run(const uint8_t* HWY_RESTRICT qs, float scale, const float* HWY_RESTRICT x, VF& acc) {
  const DF df;
  VF level_x = hn::Zero(df);
  ForIq4Values(qs, [&](int k, VF low, VF high) {
    level_x = hn::MulAdd(low, hn::LoadU(df, x + k * kLanes), level_x);
    level_x = hn::MulAdd(high, hn::LoadU(df, x + 16 + k * kLanes), level_x);
  });
  acc = hn::MulAdd(hn::Set(df, scale), level_x, acc);
}

// Returns the dot product of a decoded row with x, alternating runs between two accumulators
// (iq4_nl: pairs of blocks; iq4_xs: the runs of each super-block).
template <LegacyType kType>
float DotIq4Row(const uint8_t* HWY_RESTRICT blocks, int64_t cols, const float* HWY_RESTRICT x) {
  constexpr int kRuns = ggml_legacy::BlockElems(kType) / kSubBlock;
  constexpr int kBytes = ggml_legacy::BlockBytes(kType);
  constexpr int kCodes = ggml_legacy::CodesOffset(kType);
  const DF df;
  VF acc0 = hn::Zero(df), acc1 = hn::Zero(df);
  const int64_t num_blocks = cols / (kRuns * kSubBlock);
  float scales[kRuns], next[kRuns];
  int64_t b = 0;
  if constexpr (kRuns == 1) {
    for (; b + 2 <= num_blocks; b += 2, blocks += 2 * kBytes, x += 2 * kSubBlock) {
      RunScales<kType>(blocks, scales);
      RunScales<kType>(blocks + kBytes, next);
      AccumulateIq4Run(blocks + kCodes, scales[0], x, acc0);
      AccumulateIq4Run(blocks + kBytes + kCodes, next[0], x + kSubBlock, acc1);
    }
  }
  for (; b < num_blocks; ++b, blocks += kBytes, x += kRuns * kSubBlock) {
    RunScales<kType>(blocks, scales);
    int s = 0;
    for (; s + 2 <= kRuns; s += 2) {
      AccumulateIq4Run(blocks + kCodes + 16 * s, scales[s], x + s * kSubBlock, acc0);
      AccumulateIq4Run(blocks + kCodes + 16 * (s + 1), scales[s + 1], x + (s + 1) * kSubBlock, acc1);
    }
    if (s < kRuns) AccumulateIq4Run(blocks + kCodes + 16 * s, scales[s], x + s * kSubBlock, acc0);
  }
  return hn::GetLane(hn::SumOfLanes(df, hn::Add(acc0, acc1)));
}

#endif  // HWY_TARGET != HWY_SCALAR

}  // namespace
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace shrink
HWY_AFTER_NAMESPACE();

#endif  // include guard toggle
