// Per-target Highway bodies of the integer grid row kernels (included by int_grid.cc).
#if defined(SHRINK_SRC_KERNELS_QUANT_INT_GRID_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SHRINK_SRC_KERNELS_QUANT_INT_GRID_INL_H_
#undef SHRINK_SRC_KERNELS_QUANT_INT_GRID_INL_H_
#else
#define SHRINK_SRC_KERNELS_QUANT_INT_GRID_INL_H_
#endif

#include <algorithm>
#include <cstring>

#include "hwy/highway.h"
#include "shrink/formats/int_grid.h"

HWY_BEFORE_NAMESPACE();
namespace shrink {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Writes min and max of x[0, n) to lo, hi.
inline void GroupRange(const float* HWY_RESTRICT x, int64_t n, float& lo, float& hi) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  int64_t j = 0;
  lo = x[0];
  hi = x[0];
  if (n >= lanes) {
    auto vmin = hn::LoadU(d, x);
    auto vmax = vmin;
    for (j = lanes; j + lanes <= n; j += lanes) {
      const auto v = hn::LoadU(d, x + j);
      vmin = hn::Min(vmin, v);
      vmax = hn::Max(vmax, v);
    }
    lo = hn::GetLane(hn::MinOfLanes(d, vmin));
    hi = hn::GetLane(hn::MaxOfLanes(d, vmax));
  }
  for (; j < n; ++j) {
    lo = std::min(lo, x[j]);
    hi = std::max(hi, x[j]);
  }
}

void IntGridQuantizeRow(const float* HWY_RESTRICT row, int64_t cols, int64_t group_size,
                        const IntGridSpec& spec, IntGridParams* HWY_RESTRICT params,
                        uint8_t* HWY_RESTRICT codes) {
  const hn::ScalableTag<float> d;
  const hn::RebindToSigned<decltype(d)> di;
  const hn::Rebind<uint8_t, decltype(d)> du8;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const float max_code = static_cast<float>(spec.max_code());
  for (int64_t g = 0, begin = 0; begin < cols; ++g, begin += group_size) {
    const int64_t n = std::min(group_size, cols - begin);
    const float* x = row + begin;
    float lo, hi;
    GroupRange(x, n, lo, hi);
    const IntGridParams p = IntGridParamsFromRange(lo, hi, spec);
    params[g] = p;
    const float inv = IntGridInvScale(p.scale);
    const auto vinv = hn::Set(d, inv);
    const auto vzero = hn::Set(d, static_cast<float>(p.zero));
    const auto vmax = hn::Set(d, max_code);
    const auto vmin = hn::Zero(d);
    int64_t j = 0;
    for (; j + lanes <= n; j += lanes) {
      auto q = hn::Add(hn::Round(hn::Mul(hn::LoadU(d, x + j), vinv)), vzero);
      q = hn::Min(hn::Max(q, vmin), vmax);
      hn::StoreU(hn::DemoteTo(du8, hn::ConvertTo(di, q)), du8, codes + begin + j);
    }
    for (; j < n; ++j) codes[begin + j] = IntGridEncodeRef(x[j], inv, p.zero, spec.max_code());
  }
}

void IntGridDequantizeRow(const uint8_t* HWY_RESTRICT codes, int64_t cols, int64_t group_size,
                          const IntGridParams* HWY_RESTRICT params, float* HWY_RESTRICT out) {
  const hn::ScalableTag<float> d;
  const hn::RebindToSigned<decltype(d)> di;
  const hn::Rebind<uint8_t, decltype(d)> du8;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  for (int64_t g = 0, begin = 0; begin < cols; ++g, begin += group_size) {
    const int64_t n = std::min(group_size, cols - begin);
    const IntGridParams p = params[g];
    const auto vzero = hn::Set(di, p.zero);
    const auto vscale = hn::Set(d, p.scale);
    int64_t j = 0;
    for (; j + lanes <= n; j += lanes) {
      const auto c = hn::Sub(hn::PromoteTo(di, hn::LoadU(du8, codes + begin + j)), vzero);
      hn::StoreU(hn::Mul(hn::ConvertTo(d, c), vscale), d, out + begin + j);
    }
    for (; j < n; ++j) out[begin + j] = IntGridDecodeRef(codes[begin + j], p);
  }
}

float IntGridDotRow(const uint8_t* HWY_RESTRICT codes, int64_t cols, int64_t group_size,
                    const IntGridParams* HWY_RESTRICT params, const float* HWY_RESTRICT x) {
  const hn::ScalableTag<float> d;
  const hn::RebindToSigned<decltype(d)> di;
  const hn::Rebind<uint8_t, decltype(d)> du8;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  auto acc = hn::Zero(d);     // sum over groups of scale * (code . x - zero * sum x)
  float tail = 0.0f;          // the same for elements past the last whole vector of a group
  for (int64_t g = 0, begin = 0; begin < cols; ++g, begin += group_size) {
    const int64_t n = std::min(group_size, cols - begin);
    const IntGridParams p = params[g];
    auto dot = hn::Zero(d);
    auto sum = hn::Zero(d);
    int64_t j = 0;
    for (; j + lanes <= n; j += lanes) {
      const auto c = hn::ConvertTo(d, hn::PromoteTo(di, hn::LoadU(du8, codes + begin + j)));
      const auto xv = hn::LoadU(d, x + begin + j);
      dot = hn::MulAdd(c, xv, dot);
      sum = hn::Add(sum, xv);
    }
    const auto zero = hn::Set(d, static_cast<float>(p.zero));
    acc = hn::MulAdd(hn::Set(d, p.scale), hn::NegMulAdd(zero, sum, dot), acc);
    float tail_dot = 0.0f;
    for (; j < n; ++j) tail_dot += (static_cast<float>(codes[begin + j]) - static_cast<float>(p.zero)) * x[begin + j];
    tail += p.scale * tail_dot;
  }
  return hn::GetLane(hn::SumOfLanes(d, acc)) + tail;
}

// Packs `count` codes of `bits` bits LSB-first (the layout of formats/int_grid.h): whole
// vectors for 2, 4 and 8 bits, the scalar reference for the tail and for other widths.
void PackCodes(const uint8_t* HWY_RESTRICT codes, int64_t count, int bits, uint8_t* HWY_RESTRICT out) {
  const hn::ScalableTag<uint8_t> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  int64_t j = 0;  // codes done; always a multiple of the codes per byte
  if (bits == 8) {
    std::memcpy(out, codes, static_cast<size_t>(count));
    return;
  }
  if (bits == 4) {
    for (; j + 2 * lanes <= count; j += 2 * lanes) {
      hn::Vec<decltype(d)> lo, hi;
      hn::LoadInterleaved2(d, codes + j, lo, hi);
      hn::StoreU(hn::Or(lo, hn::ShiftLeft<4>(hi)), d, out + j / 2);
    }
  } else if (bits == 2) {
    for (; j + 4 * lanes <= count; j += 4 * lanes) {
      hn::Vec<decltype(d)> c0, c1, c2, c3;
      hn::LoadInterleaved4(d, codes + j, c0, c1, c2, c3);
      const auto packed = hn::Or(hn::Or(c0, hn::ShiftLeft<2>(c1)), hn::Or(hn::ShiftLeft<4>(c2), hn::ShiftLeft<6>(c3)));
      hn::StoreU(packed, d, out + j / 4);
    }
  }
  PackCodesRef(codes + j, count - j, bits, out + j * bits / 8);
}

// Unpacks `count` codes of `bits` bits (inverse of PackCodes).
void UnpackCodes(const uint8_t* HWY_RESTRICT in, int64_t count, int bits, uint8_t* HWY_RESTRICT codes) {
  const hn::ScalableTag<uint8_t> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  int64_t j = 0;
  if (bits == 8) {
    std::memcpy(codes, in, static_cast<size_t>(count));
    return;
  }
  if (bits == 4) {
    const auto mask = hn::Set(d, 0x0F);
    for (; j + 2 * lanes <= count; j += 2 * lanes) {
      const auto v = hn::LoadU(d, in + j / 2);
      hn::StoreInterleaved2(hn::And(v, mask), hn::ShiftRight<4>(v), d, codes + j);
    }
  } else if (bits == 2) {
    const auto mask = hn::Set(d, 0x03);
    for (; j + 4 * lanes <= count; j += 4 * lanes) {
      const auto v = hn::LoadU(d, in + j / 4);
      hn::StoreInterleaved4(hn::And(v, mask), hn::And(hn::ShiftRight<2>(v), mask),
                            hn::And(hn::ShiftRight<4>(v), mask), hn::ShiftRight<6>(v), d, codes + j);
    }
  }
  UnpackCodesRef(in + j * bits / 8, count - j, bits, codes + j);
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace shrink
HWY_AFTER_NAMESPACE();

#endif  // include guard toggle
