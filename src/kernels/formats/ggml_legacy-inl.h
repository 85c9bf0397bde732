// Per-target Highway bodies of the linear ggml block kernels (q4_0 q4_1 q5_0 q5_1 q8_0) and the
// 32-weight run helpers ggml_iq4-inl.h shares (included by ggml_legacy.cc).
//
// A 32-weight run is kVecs vectors of kLanes floats (kLanes = min(16, lanes of the target)), so
// weights j and j + 16, which share a byte of qs, sit in vectors k and k + kVecs / 2.
#if defined(SHRINK_SRC_KERNELS_FORMATS_GGML_LEGACY_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SHRINK_SRC_KERNELS_FORMATS_GGML_LEGACY_INL_H_
#undef SHRINK_SRC_KERNELS_FORMATS_GGML_LEGACY_INL_H_
#else
#define SHRINK_SRC_KERNELS_FORMATS_GGML_LEGACY_INL_H_
#endif

#include <cstdint>
#include <cstring>

#include "hwy/highway.h"
#include "src/formats/ggml_legacy_blocks.h"
#include "src/formats/ggml_legacy_fit.h"

HWY_BEFORE_NAMESPACE();
namespace shrink {
namespace kernels {
namespace HWY_NAMESPACE {
namespace {
namespace hn = hwy::HWY_NAMESPACE;
using ggml_legacy::kSubBlock;
using ggml_legacy::LegacyType;
using ggml_legacy::SubBlockMap;

using DF = hn::CappedTag<float, 16>;
using DI = hn::RebindToSigned<DF>;
using DU8 = hn::Rebind<uint8_t, DF>;
using DI8 = hn::Rebind<int8_t, DF>;
using VF = hn::Vec<DF>;
using VI = hn::Vec<DI>;

constexpr int kLanes = static_cast<int>(hn::MaxLanes(DF()));
constexpr int kVecs = kSubBlock / kLanes;

// Returns op(...) over the lanes of v, folding halves (lane l with lane l + n/2) to one lane.
template <class D, class Op>
HWY_INLINE float FoldLanes(D d, hn::Vec<D> v, Op op) {
#if HWY_TARGET == HWY_SCALAR
  return hn::GetLane(v);
#else
  if constexpr (hn::MaxLanes(D()) == 1) {
    return hn::GetLane(v);
  } else if constexpr (hn::MaxLanes(D()) == 4 && sizeof(hn::TFromD<D>) == 4) {  // two shuffles
    const auto pairs = op(v, hn::Shuffle1032(v));                               // lanes 0+2, 1+3
    return hn::GetLane(op(pairs, hn::Shuffle2301(pairs)));
  } else {
    const hn::Half<D> dh;
    return FoldLanes(dh, op(hn::LowerHalf(dh, v), hn::UpperHalf(dh, v)), op);
  }
#endif
}

// Writes the smallest and largest of the 32 weights `x` (either zero when the extreme is 0).
HWY_INLINE void RunRange(const float* HWY_RESTRICT x, float& lo, float& hi) {
  const DF df;
  auto vmin = hn::LoadU(df, x), vmax = vmin;
  for (int k = 1; k < kVecs; ++k) {
    const VF v = hn::LoadU(df, x + k * kLanes);
    vmin = hn::Min(vmin, v);
    vmax = hn::Max(vmax, v);
  }
  lo = FoldLanes(df, vmin, [](auto a, auto b) { return hn::Min(a, b); });
  hi = FoldLanes(df, vmax, [](auto a, auto b) { return hn::Max(a, b); });
}

// Returns the largest magnitude of the 32 weights `x`.
HWY_INLINE float RunAbsMax(const float* HWY_RESTRICT x) {
  const DF df;
  auto vmax = hn::Abs(hn::LoadU(df, x));
  for (int k = 1; k < kVecs; ++k) vmax = hn::Max(vmax, hn::Abs(hn::LoadU(df, x + k * kLanes)));
  return FoldLanes(df, vmax, [](auto a, auto b) { return hn::Max(a, b); });
}

// Returns the low byte of each int32 lane of v (one vpmovdb on AVX-512; elsewhere mask and
// demote: Highway 1.0.3's TruncateTo to u8 is wrong on AVX3_DL).
HWY_INLINE hn::Vec<DU8> LowBytes(VI v) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  static_assert(kLanes == 16, "AVX-512 runs are one vector per 16 weights");
  return hn::Vec<DU8>{_mm512_cvtepi32_epi8(v.raw)};
#else
  return hn::DemoteTo(DU8(), hn::And(v, hn::Set(DI(), 0xFF)));
#endif
}

// Stores the 4-bit codes c[kVecs] (in the low 4 bits of each lane) of a run as qs (16 bytes).
HWY_INLINE void PackNibbles(const VI* HWY_RESTRICT c, uint8_t* HWY_RESTRICT qs) {
  const DI di;
  const DU8 du8;
  for (int k = 0; k < kVecs / 2; ++k) {
    const VI byte = hn::Or(hn::And(c[k], hn::Set(di, 0xF)), hn::And(hn::ShiftLeft<4>(c[k + kVecs / 2]), hn::Set(di, 0xF0)));
    hn::StoreU(LowBytes(byte), du8, qs + k * kLanes);
  }
}

// Returns the 32 codes of qs (16 bytes) in c[kVecs], as int32.
HWY_INLINE void UnpackNibbles(const uint8_t* HWY_RESTRICT qs, VI* HWY_RESTRICT c) {
  const DI di;
  const DU8 du8;
  for (int k = 0; k < kVecs / 2; ++k) {
    const VI bytes = hn::PromoteTo(di, hn::LoadU(du8, qs + k * kLanes));
    c[k] = hn::And(bytes, hn::Set(di, 0xF));
    c[k + kVecs / 2] = hn::ShiftRight<4>(bytes);
  }
}

// Returns the f16 field at `p` as f32, equal to ggml_legacy::LoadF16 (one F16C conversion where
// the target has it: the conversion is exact, so both agree on every input).
HWY_INLINE float LoadF16Fast(const uint8_t* p) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2 && !defined(HWY_DISABLE_F16C)
  uint16_t h;
  std::memcpy(&h, p, sizeof(h));
  return _cvtsh_ss(h);
#else
  return ggml_legacy::LoadF16(p);
#endif
}

// Stores `f` as f16 at `p` and returns the value stored, equal to ggml_legacy::StoreF16 for every
// non-NaN input (F16C rounds to nearest even like F32ToF16Ref; infinities saturate the same way).
HWY_INLINE float StoreF16Fast(uint8_t* p, float f) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2 && !defined(HWY_DISABLE_F16C)
  uint16_t h = static_cast<uint16_t>(_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  if ((h & 0x7FFFu) == 0x7C00u) --h;  // +-inf -> +-65504
  std::memcpy(p, &h, sizeof(h));
  return _cvtsh_ss(h);
#else
  return ggml_legacy::StoreF16(p, f);
#endif
}

// Returns the map of a linear-type block, equal to ggml_legacy::SubBlockMapOf.
template <LegacyType kType>
HWY_INLINE SubBlockMap BlockMap(const uint8_t* block) {
  SubBlockMap map;
  map.scale = LoadF16Fast(block);
  if constexpr (ggml_legacy::HasMin(kType)) map.bias = LoadF16Fast(block + 2);
  return map;
}

// The distance from a rounding boundary (in level units) below which the kernels recompute a
// product v * (1 / scale) as the exact quotient v / scale that the nearest-level rule uses: the
// two are within 3 * 2^-24 relative of each other, far less than this margin for every level in
// range, so away from the boundaries both decide alike, and the kernels pay a multiply.
constexpr float kTieMargin = 1.0f / 1024.0f;

// ------------------------------------------------------------------ linear types

// Holds the map of a run with the reciprocal of its scale (0 when the scale is 0).
struct RunGrid {
  float scale, inv, bias;
};

// Returns the RunGrid of `map`.
HWY_INLINE RunGrid GridOf(const SubBlockMap& map) {
  return RunGrid{map.scale, map.scale == 0.0f ? 0.0f : 1.0f / map.scale, map.bias};
}

// Writes the codes of the 32 weights `x` under `grid` in c[kVecs]: the level nearest to
// (x - bias) / scale, as ggml_legacy::NearestCode (the bias is 0 for symmetric types, where
// x - 0 == x, so it is not subtracted). The low 8 bits of each int32 lane hold the code byte as
// stored: the code, or for q8_0 the int8 code - 128.
// `fast_header` says the grid is the fast header of these weights (LinearHeaderFromRange).
template <LegacyType kType>
HWY_INLINE void LinearCodes(const float* HWY_RESTRICT x, const RunGrid& grid, bool fast_header, VI* HWY_RESTRICT c) {
  const DF df;
  const DI di;
  if (grid.scale == 0.0f) {
    for (int k = 0; k < kVecs; ++k) c[k] = kType == LegacyType::kQ8_0 ? hn::Set(di, 0x80) : hn::Zero(di);
    return;
  }
  const VF inv = hn::Set(df, grid.inv), bias = hn::Set(df, grid.bias);
  const VF first = hn::Set(df, static_cast<float>(ggml_legacy::LinearFirstLevel(kType)));
  VF v[kVecs], level[kVecs];
  VF worst = hn::Zero(df);  // the largest distance of a lane from its rounded level
  for (int k = 0; k < kVecs; ++k) {
    v[k] = hn::LoadU(df, x + k * kLanes);
    if constexpr (ggml_legacy::HasMin(kType)) v[k] = hn::Sub(v[k], bias);
    const VF s = hn::Sub(hn::Mul(v[k], inv), first);
    level[k] = hn::Round(s);
    worst = hn::Max(worst, hn::Abs(hn::Sub(s, level[k])));
  }
  if (HWY_UNLIKELY(!hn::AllFalse(df, hn::Gt(worst, hn::Set(df, 0.5f - kTieMargin))))) {
    const VF scale = hn::Set(df, grid.scale);
    for (int k = 0; k < kVecs; ++k) level[k] = hn::Round(hn::Sub(hn::Div(v[k], scale), first));
  }
  // 2^23 + the byte offset: an integer-valued float below 2^23 plus 2^23 holds it in its low
  // bits; q8_0 adds 128, which flips bit 7 of the code byte: code - 128 as int8.
  const VF magic = hn::Set(df, kType == LegacyType::kQ8_0 ? 8388736.0f : 8388608.0f);
  const VF last = hn::Set(df, static_cast<float>(ggml_legacy::LinearLevelCount(kType) - 1));
  // The fast q8_0 scale max|x| / 127, rounded to a normal f16 (2^-14 <= d < 65504, unsaturated),
  // is within 2^-11 relative, so every level lies in [0.93, 255.07] before rounding: no clamp.
  const bool in_range = kType == LegacyType::kQ8_0 && fast_header && grid.scale >= 6.103515625e-05f &&
                        grid.scale < 65504.0f;
  const bool clamp = !in_range;
  for (int k = 0; k < kVecs; ++k) {
    // v and inv are finite, so levels are never NaN and Max clamps like the scalar rule.
    const VF clamped = clamp ? hn::Min(hn::Max(level[k], hn::Zero(df)), last) : level[k];
    c[k] = hn::BitCast(di, hn::Add(clamped, magic));
  }
}

// Stores the codes c[kVecs] (LinearCodes) of a linear-type block.
template <LegacyType kType>
HWY_INLINE void StoreLinearCodes(const VI* HWY_RESTRICT c, uint8_t* HWY_RESTRICT block) {
  const DI di;
  if constexpr (kType == LegacyType::kQ8_0) {
    const DU8 du8;
    for (int k = 0; k < kVecs; ++k) hn::StoreU(LowBytes(c[k]), du8, block + 2 + k * kLanes);
    return;
  }
  PackNibbles(c, block + ggml_legacy::CodesOffset(kType));
  if constexpr (ggml_legacy::HasHighBits(kType)) {
    uint32_t qh = 0;
    for (int k = 0; k < kVecs; ++k) {
      uint8_t bits[2] = {0, 0};
      hn::StoreMaskBits(di, hn::TestBit(c[k], hn::Set(di, 0x10)), bits);
      qh |= static_cast<uint32_t>(bits[0] | (bits[1] << 8)) << (k * kLanes);
    }
    std::memcpy(block + ggml_legacy::QhOffset(kType), &qh, sizeof(qh));
  }
}

// Returns the level values (code + first level, as int32) of a linear-type block in v[kVecs].
template <LegacyType kType>
HWY_INLINE void LinearLevels(const uint8_t* HWY_RESTRICT block, VI* HWY_RESTRICT v) {
  const DI di;
  if constexpr (kType == LegacyType::kQ8_0) {
    const DI8 di8;
    for (int k = 0; k < kVecs; ++k) {
      v[k] = hn::PromoteTo(di, hn::LoadU(di8, reinterpret_cast<const int8_t*>(block + 2) + k * kLanes));
    }
    return;
  }
  UnpackNibbles(block + ggml_legacy::CodesOffset(kType), v);
  if constexpr (ggml_legacy::HasHighBits(kType)) {
    uint32_t qh;
    std::memcpy(&qh, block + ggml_legacy::QhOffset(kType), sizeof(qh));
    for (int k = 0; k < kVecs; ++k) {
      const uint64_t lane_bits = qh >> (k * kLanes);  // bit l: the fifth bit of lane l's code
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
      const hn::Mask<DI> high{static_cast<__mmask16>(lane_bits)};  // the bits are the mask
#else
      uint8_t bytes[sizeof(lane_bits)];
      std::memcpy(bytes, &lane_bits, sizeof(lane_bits));
      const hn::Mask<DI> high = hn::LoadMaskBits(di, bytes);
#endif
      // The level: q5_1 code = nibble | 16 where the bit is set; q5_0 code - 16 = nibble - 16
      // where it is clear (one masked operation either way).
      if constexpr (kType == LegacyType::kQ5_0) {
        v[k] = hn::IfThenElse(high, v[k], hn::Sub(v[k], hn::Set(di, 16)));
      } else {
        v[k] = hn::IfThenElse(high, hn::Or(v[k], hn::Set(di, 16)), v[k]);
      }
    }
  } else if constexpr (ggml_legacy::LinearFirstLevel(kType) != 0) {
    for (int k = 0; k < kVecs; ++k) v[k] = hn::Add(v[k], hn::Set(di, ggml_legacy::LinearFirstLevel(kType)));
  }
}

// The blocks whose headers the quantizer computes together (a multiple of kLanes).
constexpr int kGroup = 16;
static_assert(kGroup % kLanes == 0, "headers are computed a vector of blocks at a time");

#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2 && !defined(HWY_DISABLE_F16C)
#define SHRINK_GGML_VECTOR_F16 1
// Returns v rounded to f16 (to nearest even, infinities saturated to +-65504, as F16Saturating)
// and writes the f16 bits to bits_out.
HWY_INLINE VF RoundF16(VF v, uint16_t* HWY_RESTRICT bits_out) {
  const DF df;
  const hn::Rebind<hwy::float16_t, DF> dh;
  const hn::Rebind<uint16_t, DF> du16;
  auto bits = hn::BitCast(du16, hn::DemoteTo(dh, v));
  const auto inf = hn::Eq(hn::And(bits, hn::Set(du16, 0x7FFF)), hn::Set(du16, 0x7C00));
  bits = hn::IfThenElse(inf, hn::Sub(bits, hn::Set(du16, 1)), bits);
  hn::StoreU(bits, du16, bits_out);
  return hn::PromoteTo(df, hn::BitCast(dh, bits));
}
#else
#define SHRINK_GGML_VECTOR_F16 0
#endif

// Holds the grids of a group of blocks, one array per field.
struct GroupGrids {
  alignas(64) float scale[kGroup];
  alignas(64) float inv[kGroup];
  alignas(64) float bias[kGroup];

  RunGrid operator[](int i) const { return RunGrid{scale[i], inv[i], bias[i]}; }
};

// Writes the headers of blocks [0, n) (n <= kGroup) of `blocks` from their ranges lo[], hi[]
// (kGroup entries each, finite) and their grids: ggml_legacy::LinearHeaderFromRange, computed
// a vector of blocks at a time where the target converts f16 in hardware.
template <LegacyType kType>
HWY_INLINE void LinearHeaders(const float* HWY_RESTRICT lo, const float* HWY_RESTRICT hi, int n,
                              uint8_t* HWY_RESTRICT blocks, GroupGrids& grids) {
  constexpr int kBytes = ggml_legacy::BlockBytes(kType);
#if SHRINK_GGML_VECTOR_F16
  const DF df;
  alignas(64) uint16_t d_bits[kGroup], m_bits[kGroup];
  for (int i = 0; i < n; i += kLanes) {
    const VF l = hn::Add(hn::LoadU(df, lo + i), hn::Zero(df)), h = hn::Add(hn::LoadU(df, hi + i), hn::Zero(df));
    VF scale, bias = hn::Zero(df);
    if constexpr (ggml_legacy::HasMin(kType)) {
      scale = hn::Div(hn::Sub(h, l), hn::Set(df, static_cast<float>(ggml_legacy::LinearLevelCount(kType) - 1)));
      bias = RoundF16(l, m_bits + i);
    } else if constexpr (kType == LegacyType::kQ8_0) {  // hi is the largest magnitude, lo = -hi
      scale = hn::Div(h, hn::Set(df, 127.0f));
    } else {
      const VF extreme = hn::IfThenElse(hn::Ge(h, hn::Neg(l)), h, l);
      scale = hn::Div(extreme, hn::Set(df, static_cast<float>(ggml_legacy::LinearFirstLevel(kType))));
    }
    scale = RoundF16(scale, d_bits + i);
    hn::StoreU(scale, df, grids.scale + i);
    hn::StoreU(hn::IfThenElseZero(hn::Ne(scale, hn::Zero(df)), hn::Div(hn::Set(df, 1.0f), scale)), df, grids.inv + i);
    hn::StoreU(bias, df, grids.bias + i);
  }
  for (int i = 0; i < n; ++i) {
    std::memcpy(blocks + i * kBytes, d_bits + i, sizeof(uint16_t));
    if constexpr (ggml_legacy::HasMin(kType)) std::memcpy(blocks + i * kBytes + 2, m_bits + i, sizeof(uint16_t));
  }
#else
  for (int i = 0; i < n; ++i) {
    const RunGrid grid = GridOf(ggml_legacy::LinearHeaderFromRange(kType, lo[i], hi[i], blocks + i * kBytes, StoreF16Fast));
    grids.scale[i] = grid.scale;
    grids.inv[i] = grid.inv;
    grids.bias[i] = grid.bias;
  }
#endif
}
#undef SHRINK_GGML_VECTOR_F16

// Quantizes a row with the fast header (LinearHeaderFromRange) and nearest codes, kGroup blocks
// at a time: ranges, then headers, then codes, so no code waits on its header's long dependency
// chain (reduction, division, f16 rounding, reciprocal).
template <LegacyType kType>
void QuantizeLinearRow(const float* HWY_RESTRICT x, int64_t cols, uint8_t* HWY_RESTRICT blocks) {
  constexpr int kBytes = ggml_legacy::BlockBytes(kType);
  const int64_t num_blocks = cols / kSubBlock;
  alignas(64) float lo[kGroup] = {}, hi[kGroup] = {};
  GroupGrids grids;
  VI c[kVecs];
  for (int64_t b0 = 0; b0 < num_blocks; b0 += kGroup) {
    const int n = static_cast<int>(num_blocks - b0 < kGroup ? num_blocks - b0 : kGroup);
    for (int i = 0; i < n; ++i) {
      const float* xb = x + (b0 + i) * kSubBlock;
      if constexpr (kType == LegacyType::kQ8_0) {  // only the magnitude matters
        hi[i] = RunAbsMax(xb);
        lo[i] = -hi[i];
      } else {
        RunRange(xb, lo[i], hi[i]);
      }
    }
    LinearHeaders<kType>(lo, hi, n, blocks + b0 * kBytes, grids);
    for (int i = 0; i < n; ++i) {
      LinearCodes<kType>(x + (b0 + i) * kSubBlock, grids[i], /*fast_header=*/true, c);
      StoreLinearCodes<kType>(c, blocks + (b0 + i) * kBytes);
    }
  }
}

// Writes the nearest codes of a row whose headers are stored.
template <LegacyType kType>
void EncodeLinearRow(const float* HWY_RESTRICT x, int64_t cols, uint8_t* HWY_RESTRICT blocks) {
  VI c[kVecs];
  for (int64_t b = 0; b < cols / kSubBlock; ++b, x += kSubBlock, blocks += ggml_legacy::BlockBytes(kType)) {
    LinearCodes<kType>(x, GridOf(BlockMap<kType>(blocks)), /*fast_header=*/false, c);
    StoreLinearCodes<kType>(c, blocks);
  }
}

// Decodes a row: level * d (+ m), as ggml_legacy::DecodeWeightRef.
template <LegacyType kType>
void DequantizeLinearRow(const uint8_t* HWY_RESTRICT blocks, int64_t cols, float* HWY_RESTRICT out) {
  const DF df;
  VI v[kVecs];
  for (int64_t b = 0; b < cols / kSubBlock; ++b, out += kSubBlock, blocks += ggml_legacy::BlockBytes(kType)) {
    LinearLevels<kType>(blocks, v);
    const SubBlockMap map = BlockMap<kType>(blocks);
    const VF d = hn::Set(df, map.scale), m = hn::Set(df, map.bias);
    for (int k = 0; k < kVecs; ++k) {
      VF w = hn::Mul(hn::ConvertTo(df, v[k]), d);
      if constexpr (ggml_legacy::HasMin(kType)) w = hn::Add(w, m);
      hn::StoreU(w, df, out + k * kLanes);
    }
  }
}

// Adds the products of one block's decoded weights with x to acc[0, kVecs): for symmetric types
// d * sum(level * x) into acc[0], for q4_1 and q5_1 (level * d + m) * x lane-wise into acc[k]
// (one FMA per vector instead of a separate sum of x for the m term).
template <LegacyType kType>
HWY_INLINE void AccumulateLinearBlock(const uint8_t* HWY_RESTRICT block, const float* HWY_RESTRICT x,
                                      VF* HWY_RESTRICT acc) {
  const DF df;
  VI v[kVecs];
  LinearLevels<kType>(block, v);
  const SubBlockMap map = BlockMap<kType>(block);
  if constexpr (ggml_legacy::HasMin(kType)) {
    const VF d = hn::Set(df, map.scale), m = hn::Set(df, map.bias);
    for (int k = 0; k < kVecs; ++k) {
      acc[k] = hn::MulAdd(hn::MulAdd(hn::ConvertTo(df, v[k]), d, m), hn::LoadU(df, x + k * kLanes), acc[k]);
    }
  } else {
    VF level_x = hn::Mul(hn::ConvertTo(df, v[0]), hn::LoadU(df, x));
    for (int k = 1; k < kVecs; ++k) level_x = hn::MulAdd(hn::ConvertTo(df, v[k]), hn::LoadU(df, x + k * kLanes), level_x);
    acc[0] = hn::MulAdd(hn::Set(df, map.scale), level_x, acc[0]);
  }
}

// Returns the dot product of a decoded row with x, two blocks at a time into separate
// accumulators (the FMA latency would otherwise bound the loop).
template <LegacyType kType>
float DotLinearRow(const uint8_t* HWY_RESTRICT blocks, int64_t cols, const float* HWY_RESTRICT x) {
  constexpr int kBytes = ggml_legacy::BlockBytes(kType);
  const DF df;
  VF acc0[kVecs], acc1[kVecs];
  for (int k = 0; k < kVecs; ++k) acc0[k] = acc1[k] = hn::Zero(df);
  const int64_t num_blocks = cols / kSubBlock;
  int64_t b = 0;
  for (; b + 2 <= num_blocks; b += 2) {
    AccumulateLinearBlock<kType>(blocks + b * kBytes, x + b * kSubBlock, acc0);
    AccumulateLinearBlock<kType>(blocks + (b + 1) * kBytes, x + (b + 1) * kSubBlock, acc1);
  }
  if (b < num_blocks) AccumulateLinearBlock<kType>(blocks + b * kBytes, x + b * kSubBlock, acc0);
  VF sum = hn::Add(acc0[0], acc1[0]);
  for (int k = 1; k < kVecs; ++k) sum = hn::Add(sum, hn::Add(acc0[k], acc1[k]));
  return hn::GetLane(hn::SumOfLanes(df, sum));
}

}  // namespace
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace shrink
HWY_AFTER_NAMESPACE();

#endif  // include guard toggle
