// Per-target Highway bodies of the k-quant row kernels (included by kquant.cc).
#if defined(SHRINK_SRC_KERNELS_FORMATS_KQUANT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SHRINK_SRC_KERNELS_FORMATS_KQUANT_INL_H_
#undef SHRINK_SRC_KERNELS_FORMATS_KQUANT_INL_H_
#else
#define SHRINK_SRC_KERNELS_FORMATS_KQUANT_INL_H_
#endif

#include <cstring>
#include <type_traits>
#include <utility>

#include "hwy/highway.h"
#include "src/kernels/formats/kquant.h"

HWY_BEFORE_NAMESPACE();
namespace shrink {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Returns the decoded level values (level - offset) of weights l0 .. l0 + Lanes(d) - 1 of code
// group kGroup of a kType super-block (shifts and masks are compile-time constants).
template <int kType, int kGroup, class D>
HWY_INLINE hn::Vec<D> LevelValues(D d, const uint8_t* HWY_RESTRICT block, int l0) {
  constexpr kquant::CodeGroup c = kquant::kSpecs[kType].groups[kGroup];
  constexpr int kOffset = kquant::kSpecs[kType].level_offset;
  const hn::RebindToSigned<D> di;
  const hn::Rebind<uint8_t, D> du8;
  auto level = hn::PromoteTo(di, hn::LoadU(du8, block + c.lo_offset + l0));
  if constexpr (c.lo_shift != 0) level = hn::ShiftRight<c.lo_shift>(level);
  if constexpr (c.lo_shift + c.lo_bits < 8) level = hn::And(level, hn::Set(di, (1 << c.lo_bits) - 1));
  if constexpr (c.hi_bits != 0) {
    auto high = hn::PromoteTo(di, hn::LoadU(du8, block + c.hi_offset + l0));
    if constexpr (c.hi_shift != 0) high = hn::ShiftRight<c.hi_shift>(high);
    if constexpr (c.hi_shift + c.hi_bits < 8) high = hn::And(high, hn::Set(di, (1 << c.hi_bits) - 1));
    level = hn::Or(level, hn::ShiftLeft<c.lo_bits>(high));
  }
  if constexpr (kOffset != 0) level = hn::Sub(level, hn::Set(di, kOffset));
  return hn::ConvertTo(d, level);
}

// Returns the f16 at `p` as f32 (exact, as kquant::LoadF16, with the hardware conversion).
HWY_INLINE float F16At(const uint8_t* HWY_RESTRICT p) {
  const hn::CappedTag<float, 1> d;
  const hn::Rebind<hwy::float16_t, decltype(d)> dh;
  return hn::GetLane(hn::PromoteTo(d, hn::LoadU(dh, reinterpret_cast<const hwy::float16_t*>(p))));
}

// Writes each sub-block's map like kquant::ReadSubBlockMaps, converting d and dmin in hardware.
template <int kType>
HWY_INLINE void SubBlockMaps(const uint8_t* HWY_RESTRICT block, float* HWY_RESTRICT mul, float* HWY_RESTRICT sub) {
  constexpr const kquant::KQuantSpec& spec = kquant::kSpecs[kType];
  const float dmin = spec.has_mins ? F16At(block + spec.dmin_offset) : 0.0f;
  kquant::SubBlockMapsOf(spec, block, F16At(block + spec.d_offset), dmin, mul, sub);
}

// Returns mul * v - sub as ggml computes it (formats without mins skip the exact "- 0").
template <int kType, class D>
HWY_INLINE hn::Vec<D> Decode(D d, hn::Vec<D> v, float mul, float sub) {
  const auto w = hn::Mul(v, hn::Set(d, mul));
  if constexpr (kquant::kSpecs[kType].has_mins) return hn::Sub(w, hn::Set(d, sub));
  return w;
}

// Decodes code group kGroup of a super-block into y (the super-block's 256 outputs).
template <int kType, int kGroup, class D>
HWY_INLINE void DequantizeGroup(D d, const uint8_t* HWY_RESTRICT block, const float* mul, const float* sub,
                                float* HWY_RESTRICT y) {
  constexpr int kSub = kquant::kSpecs[kType].sub_size;
  for (int l0 = 0; l0 < kquant::kGroupSize; l0 += static_cast<int>(hn::Lanes(d))) {
    const int i = kquant::kGroupSize * kGroup + l0, j = i / kSub;
    hn::StoreU(Decode<kType>(d, LevelValues<kType, kGroup>(d, block, l0), mul[j], sub[j]), d, y + i);
  }
}

template <int kType, class D, size_t... kGroups>
HWY_INLINE void DequantizeGroups(D d, const uint8_t* HWY_RESTRICT block, const float* mul, const float* sub,
                                 float* HWY_RESTRICT y, std::index_sequence<kGroups...>) {
  (DequantizeGroup<kType, static_cast<int>(kGroups)>(d, block, mul, sub, y), ...);
}

template <int kType>
HWY_INLINE void DequantizeBlocks(const uint8_t* HWY_RESTRICT blocks, int64_t num_blocks, float* HWY_RESTRICT out) {
  const kquant::KQuantSpec& spec = kquant::kSpecs[kType];
  const hn::CappedTag<float, 16> d;  // a vector never straddles a sub-block of 16
  float mul[kquant::kMaxSubBlocks], sub[kquant::kMaxSubBlocks];
  for (int64_t b = 0; b < num_blocks; ++b) {
    const uint8_t* block = blocks + b * spec.block_bytes;
    SubBlockMaps<kType>(block, mul, sub);
    DequantizeGroups<kType>(d, block, mul, sub, out + b * kquant::kSuperBlock,
                            std::make_index_sequence<kquant::kGroups>());
  }
}

// Adds the products of code group kGroup's decoded weights with xb (the super-block's 256
// inputs) to two accumulators.
template <int kType, int kGroup, class D>
HWY_INLINE void DotGroup(D d, const uint8_t* HWY_RESTRICT block, const float* mul, const float* sub,
                         const float* HWY_RESTRICT xb, hn::Vec<D>& acc0, hn::Vec<D>& acc1) {
  constexpr int kSub = kquant::kSpecs[kType].sub_size;
  const int lanes = static_cast<int>(hn::Lanes(d));
  for (int l0 = 0; l0 < kquant::kGroupSize; l0 += 2 * lanes) {
    const int i0 = kquant::kGroupSize * kGroup + l0, i1 = i0 + lanes;
    const auto w0 = Decode<kType>(d, LevelValues<kType, kGroup>(d, block, l0), mul[i0 / kSub], sub[i0 / kSub]);
    const auto w1 =
        Decode<kType>(d, LevelValues<kType, kGroup>(d, block, l0 + lanes), mul[i1 / kSub], sub[i1 / kSub]);
    acc0 = hn::MulAdd(w0, hn::LoadU(d, xb + i0), acc0);
    acc1 = hn::MulAdd(w1, hn::LoadU(d, xb + i1), acc1);
  }
}

template <int kType, class D, size_t... kGroups>
HWY_INLINE void DotGroups(D d, const uint8_t* HWY_RESTRICT block, const float* mul, const float* sub,
                          const float* HWY_RESTRICT xb, hn::Vec<D>& acc0, hn::Vec<D>& acc1,
                          std::index_sequence<kGroups...>) {
  (DotGroup<kType, static_cast<int>(kGroups)>(d, block, mul, sub, xb, acc0, acc1), ...);
}

template <int kType>
HWY_INLINE float DotBlocks(const uint8_t* HWY_RESTRICT blocks, int64_t num_blocks, const float* HWY_RESTRICT x) {
  const kquant::KQuantSpec& spec = kquant::kSpecs[kType];
  const hn::CappedTag<float, 16> d;
  float mul[kquant::kMaxSubBlocks], sub[kquant::kMaxSubBlocks];
  auto acc0 = hn::Zero(d), acc1 = hn::Zero(d);
  for (int64_t b = 0; b < num_blocks; ++b) {
    const uint8_t* block = blocks + b * spec.block_bytes;
    SubBlockMaps<kType>(block, mul, sub);
    DotGroups<kType>(d, block, mul, sub, x + b * kquant::kSuperBlock, acc0, acc1,
                     std::make_index_sequence<kquant::kGroups>());
  }
  return hn::GetLane(hn::SumOfLanes(d, hn::Add(acc0, acc1)));
}

// Calls fn(std::integral_constant<int, type>) with the compile-time index of `type`.
template <class Fn>
HWY_INLINE auto WithType(kquant::KQuantType type, const Fn& fn) {
  switch (type) {
    case kquant::KQuantType::kQ2K: return fn(std::integral_constant<int, 0>());
    case kquant::KQuantType::kQ3K: return fn(std::integral_constant<int, 1>());
    case kquant::KQuantType::kQ4K: return fn(std::integral_constant<int, 2>());
    case kquant::KQuantType::kQ5K: return fn(std::integral_constant<int, 3>());
    case kquant::KQuantType::kQ6K: break;
  }
  return fn(std::integral_constant<int, 4>());
}

void KQuantDequantizeRow(kquant::KQuantType type, const uint8_t* HWY_RESTRICT blocks, int64_t num_blocks,
                         float* HWY_RESTRICT out) {
  WithType(type, [&](auto t) { DequantizeBlocks<decltype(t)::value>(blocks, num_blocks, out); });
}

float KQuantDotRow(kquant::KQuantType type, const uint8_t* HWY_RESTRICT blocks, int64_t num_blocks,
                   const float* HWY_RESTRICT x) {
  return WithType(type, [&](auto t) { return DotBlocks<decltype(t)::value>(blocks, num_blocks, x); });
}

void KQuantNearestLevels(const float* HWY_RESTRICT x, int64_t count, int sub_size, const SubBlockGrid* grids,
                         const LevelTable& levels, uint8_t* HWY_RESTRICT out) {
  const hn::CappedTag<float, 16> d;
  const hn::RebindToSigned<decltype(d)> di;
  const hn::Rebind<uint8_t, decltype(d)> du8;
  const int lanes = static_cast<int>(hn::Lanes(d));
  const auto zero = hn::Zero(d), front = hn::Set(d, levels.values.front());
  const auto top = hn::Set(d, static_cast<float>(levels.size() - 1));
  for (int64_t begin = 0, j = 0; begin < count; begin += sub_size, ++j) {
    const SubBlockGrid grid = grids[j];
    if (grid.scale == 0.0f) {
      std::memset(out + begin, 0, static_cast<size_t>(sub_size));
      continue;
    }
    const auto scale = hn::Set(d, grid.scale), bias = hn::Set(d, grid.bias);
    for (int i = 0; i < sub_size; i += lanes) {
      const auto t = hn::Div(hn::Sub(hn::LoadU(d, x + begin + i), bias), scale);
      auto k = hn::Round(hn::Sub(t, front));
      k = hn::Min(hn::IfThenElseZero(hn::Gt(k, zero), k), top);
      hn::StoreU(hn::DemoteTo(du8, hn::ConvertTo(di, k)), du8, out + begin + i);
    }
  }
}

void KQuantPackLevels(kquant::KQuantType type, const uint8_t* HWY_RESTRICT levels, uint8_t* HWY_RESTRICT block) {
  const kquant::KQuantSpec& spec = kquant::SpecOf(type);
  const hn::CappedTag<uint8_t, 16> d;
  const int lanes = static_cast<int>(hn::Lanes(d));
  // In every layout the group that writes a byte at shift 0 comes before the groups that OR
  // higher bits into it, so a shift-0 part is stored and the others are merged.
  const auto put = [&](hn::Vec<decltype(d)> bits, int shift, uint8_t* dst) {
    hn::StoreU(shift == 0 ? bits : hn::Or(hn::LoadU(d, dst), hn::ShiftLeftSame(bits, shift)), d, dst);
  };
  for (int g = 0; g < kquant::kGroups; ++g) {
    const kquant::CodeGroup& c = spec.groups[g];
    const auto lo_mask = hn::Set(d, static_cast<uint8_t>((1 << c.lo_bits) - 1));
    for (int l0 = 0; l0 < kquant::kGroupSize; l0 += lanes) {
      const auto level = hn::LoadU(d, levels + kquant::kGroupSize * g + l0);
      put(hn::And(level, lo_mask), c.lo_shift, block + c.lo_offset + l0);
      if (c.hi_bits) put(hn::ShiftRightSame(level, c.lo_bits), c.hi_shift, block + c.hi_offset + l0);
    }
  }
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace shrink
HWY_AFTER_NAMESPACE();

#endif  // include guard toggle
