// Per-target Highway bodies of the float-like format row kernels (included by float_formats.cc).
//
// 4-bit quantization works on a group of blocks at once, one block per lane: the group's weights
// are transposed (4 x 4 tiles) into a stack buffer, so that every per-block quantity (absmax,
// candidate scales, error sums, the choice) is a vector and each block's sums run in weight
// order, like the Ref's. A weight's level comes from a 4-step binary search over the codebook's thresholds
// (16-entry table lookups), which is exactly LevelTable::Nearest. Decoding works row-wise from
// the packed bytes. fp8: the lane codecs of the core conversion kernels (convert-inl.h), fused
// with the scale. Every arithmetic step is the same IEEE operation as in the Ref (no contraction).
#if defined(SHRINK_SRC_KERNELS_FORMATS_FLOAT_FORMATS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SHRINK_SRC_KERNELS_FORMATS_FLOAT_FORMATS_INL_H_
#undef SHRINK_SRC_KERNELS_FORMATS_FLOAT_FORMATS_INL_H_
#else
#define SHRINK_SRC_KERNELS_FORMATS_FLOAT_FORMATS_INL_H_
#endif

#include <algorithm>
#include <cmath>
#include <cstring>

#include "hwy/highway.h"
#include "src/kernels/core/convert-inl.h"
#include "src/kernels/formats/float_formats.h"

HWY_BEFORE_NAMESPACE();
namespace shrink {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The float tag of the 4-bit kernels: at most 16 lanes, so 16-entry tables cover a vector and
// every block (a multiple of 16 weights) is whole vectors.
using D16 = hn::CappedTag<float, 16>;

// Weights a 4-bit decoding kernel unpacks per pass over its stack buffer (a multiple of every block).
constexpr int64_t kChunk = 256;
// The largest block of a 4-bit format.
constexpr int64_t kMaxBlock = 64;

// Returns table[idx] per lane (table: 16 entries of D's lane type, idx in [0, 16)).
template <class D>
HWY_INLINE hn::Vec<D> Lookup16(D d, const hn::TFromD<D>* HWY_RESTRICT table, hn::Vec<hn::RebindToSigned<D>> idx) {
  const hn::RebindToSigned<D> di;
  const size_t lanes = hn::Lanes(d);
  if (lanes >= 16) return hn::TableLookupLanes(hn::LoadU(d, table), hn::IndicesFromVec(d, idx));
  const auto low = hn::IndicesFromVec(d, hn::And(idx, hn::Set(di, static_cast<int32_t>(lanes - 1))));
  auto result = hn::TableLookupLanes(hn::LoadU(d, table), low);
  for (size_t part = lanes; part < 16; part += lanes) {
    const auto in_part = hn::RebindMask(d, hn::Gt(idx, hn::Set(di, static_cast<int32_t>(part) - 1)));
    result = hn::IfThenElse(in_part, hn::TableLookupLanes(hn::LoadU(d, table + part), low), result);
  }
  return result;
}

// Returns the level of each lane of `t` (NearestLevel4Ref).
template <class D>
HWY_INLINE hn::Vec<hn::RebindToSigned<D>> NearestLevels(D d, hn::Vec<D> t, const Codebook4& cb) {
  const hn::RebindToSigned<D> di;
  const float* thresholds = cb.threshold.data();
  // The first two probes are thresholds 7, then 3 or 11: broadcasts rather than lookups.
  const auto upper = hn::Ge(t, hn::Set(d, thresholds[7]));
  auto level = hn::IfThenElseZero(hn::RebindMask(di, upper), hn::Set(di, 8));
  const auto quarter = hn::IfThenElse(upper, hn::Set(d, thresholds[11]), hn::Set(d, thresholds[3]));
  level = hn::IfThenElse(hn::RebindMask(di, hn::Ge(t, quarter)), hn::Add(level, hn::Set(di, 4)), level);
  for (int32_t step = 2; step >= 1; step /= 2) {
    const auto probe = Lookup16(d, thresholds, hn::Add(level, hn::Set(di, step - 1)));
    level = hn::IfThenElse(hn::RebindMask(di, hn::Ge(t, probe)), hn::Add(level, hn::Set(di, step)), level);
  }
  return level;
}

// Writes the 4-bit codes of `n` (even) weights packed at `in`, one per byte.
HWY_INLINE void UnpackCodes4(const uint8_t* HWY_RESTRICT in, int64_t n, bool high_first,
                             uint8_t* HWY_RESTRICT codes) {
  const hn::ScalableTag<uint8_t> d8;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d8));
  const auto mask = hn::Set(d8, 0x0F);
  int64_t j = 0;
  for (; j + 2 * lanes <= n; j += 2 * lanes) {
    const auto v = hn::LoadU(d8, in + j / 2);
    const auto low = hn::And(v, mask), high = hn::ShiftRight<4>(v);
    hn::StoreInterleaved2(high_first ? high : low, high_first ? low : high, d8, codes + j);
  }
  for (; j < n; ++j) codes[j] = NibbleRef(in, j, high_first);
}

#if !HWY_HAVE_SCALABLE  // (the group encoder keeps vectors in arrays and structs)

// The multipliers and stored scales of one candidate scale for each block of a group.
template <class D>
struct Candidate {
  hn::Vec<D> multiplier;
  hn::Vec<hn::RebindToUnsigned<D>> stored;
};

// Returns, per lane, the first candidate of least error (errors[k] belongs to candidates[k]).
template <class D, size_t kCount>
HWY_INLINE Candidate<D> LeastError(D d, const Candidate<D> (&candidates)[kCount], const hn::Vec<D> (&errors)[kCount]) {
  const hn::RebindToUnsigned<D> du;
  Candidate<D> best = candidates[0];
  auto best_error = errors[0];
  for (size_t k = 1; k < kCount; ++k) {
    const auto better = hn::Lt(errors[k], best_error);
    best_error = hn::IfThenElse(better, errors[k], best_error);
    best.multiplier = hn::IfThenElse(better, candidates[k].multiplier, best.multiplier);
    best.stored = hn::IfThenElse(hn::RebindMask(du, better), candidates[k].stored, best.stored);
  }
  return best;
}

// Writes out[j * lanes + b] = x[b * block + j] for j < block and b < lanes, where blocks past
// `count` repeat block count - 1 (block a multiple of 4; lanes 1 or a multiple of 4).
HWY_INLINE void TransposeBlocks(const float* HWY_RESTRICT x, int64_t count, int64_t block, int64_t lanes,
                                float* HWY_RESTRICT out) {
#if HWY_TARGET == HWY_SCALAR
  for (int64_t j = 0; j < block; ++j) out[j] = x[j];
#else
  const hn::FixedTag<float, 4> d4;  // 4 x 4 tiles
  for (int64_t b = 0; b < lanes; b += 4) {
    const float* rows[4];
    for (int64_t r = 0; r < 4; ++r) rows[r] = x + std::min(b + r, count - 1) * block;
    for (int64_t j = 0; j < block; j += 4) {
      const auto r0 = hn::LoadU(d4, rows[0] + j), r1 = hn::LoadU(d4, rows[1] + j);
      const auto r2 = hn::LoadU(d4, rows[2] + j), r3 = hn::LoadU(d4, rows[3] + j);
      const auto low01 = hn::InterleaveLower(d4, r0, r1), low23 = hn::InterleaveLower(d4, r2, r3);
      const auto high01 = hn::InterleaveUpper(d4, r0, r1), high23 = hn::InterleaveUpper(d4, r2, r3);
      hn::StoreU(hn::ConcatLowerLower(d4, low23, low01), d4, out + (j + 0) * lanes + b);
      hn::StoreU(hn::ConcatUpperUpper(d4, low23, low01), d4, out + (j + 1) * lanes + b);
      hn::StoreU(hn::ConcatLowerLower(d4, high23, high01), d4, out + (j + 2) * lanes + b);
      hn::StoreU(hn::ConcatUpperUpper(d4, high23, high01), d4, out + (j + 3) * lanes + b);
    }
  }
#endif
}

// The weights of a group of up to Lanes(D16) blocks, transposed: xt[j * lanes + b] is weight j
// of block b (blocks past the group's end repeat its last block).
class BlockGroup {
 public:
  BlockGroup(const float* HWY_RESTRICT x, const float* HWY_RESTRICT importance, int64_t count,
             const Quant4Spec& spec)
      : block_(spec.block), weighted_(importance != nullptr), cb_(*spec.codebook) {
    const D16 d;
    const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
    TransposeBlocks(x, count, block_, lanes, xt_);
    if (weighted_) TransposeBlocks(importance, count, block_, lanes, wt_);
    auto amax = hn::Zero(d);
    for (int64_t j = 0; j < block_; ++j) amax = hn::Max(amax, hn::Abs(hn::Load(d, xt_ + j * lanes)));
    hn::Store(amax, d, amax_);
  }

  hn::Vec<D16> amax() const { return hn::Load(D16(), amax_); }

  // Returns the levels of weight j of every block at multipliers m (inverse: 1 / m when it is
  // exact, else 0 to divide).
  hn::Vec<hn::RebindToSigned<D16>> Levels(int64_t j, hn::Vec<D16> m, hn::Vec<D16> inverse, bool exact_inverse) const {
    const D16 d;
    const auto x = hn::Load(d, xt_ + j * static_cast<int64_t>(hn::Lanes(d)));
    // x / m; for a power of two m, x * (1 / m) is the same correctly rounded value.
    const auto t = exact_inverse ? hn::Mul(x, inverse) : hn::Div(x, m);
    // A zero multiplier puts every weight on level 0, as SubBlockGrid::NearestLevel.
    const auto zero = hn::RebindMask(hn::RebindToSigned<D16>(), hn::Eq(m, hn::Zero(d)));
    return hn::IfThenZeroElse(zero, NearestLevels(d, t, cb_));
  }

  // Adds, for weight j of every block at multipliers m, w (x - v m)^2 to `error` and, with
  // kSums, w x v to `xv` and w v v to `vv`.
  template <bool kSums>
  void Accumulate(int64_t j, hn::Vec<D16> m, hn::Vec<D16> inverse, bool exact_inverse, hn::Vec<D16>& error,
                  hn::Vec<D16>& xv, hn::Vec<D16>& vv) const {
    const D16 d;
    const int64_t at = j * static_cast<int64_t>(hn::Lanes(d));
    const auto x = hn::Load(d, xt_ + at);
    const auto w = weighted_ ? hn::Load(d, wt_ + at) : hn::Set(d, 1.0f);
    const auto v = Lookup16(d, cb_.level_value.data(), Levels(j, m, inverse, exact_inverse));
    const auto diff = hn::Sub(x, hn::Mul(v, m));
    const auto square = hn::Mul(diff, diff);
    error = hn::Add(error, weighted_ ? hn::Mul(w, square) : square);  // w = 1 changes nothing
    if (kSums) {
      xv = hn::Add(xv, hn::Mul(hn::Mul(w, x), v));
      vv = hn::Add(vv, hn::Mul(hn::Mul(w, v), v));
    }
  }

  int64_t block() const { return block_; }

 private:
  int64_t block_;
  bool weighted_;
  const Codebook4& cb_;
  HWY_ALIGN float xt_[kMaxBlock * 16];
  HWY_ALIGN float wt_[kMaxBlock * 16];
  HWY_ALIGN float amax_[16];
};

// Returns the error sums of each block of `group` at each candidate (kCount of them, evaluated
// together so that their dependency chains overlap), with the least-squares sums when kSums.
template <bool kSums, size_t kCount>
HWY_INLINE void EvaluateCandidates(const BlockGroup& group, const Candidate<D16> (&candidates)[kCount],
                                   bool exact_inverse, hn::Vec<D16> (&error)[kCount], hn::Vec<D16> (&xv)[kCount],
                                   hn::Vec<D16> (&vv)[kCount]) {
  const D16 d;
  hn::Vec<D16> inverse[kCount];
  for (size_t k = 0; k < kCount; ++k) {
    error[k] = xv[k] = vv[k] = hn::Zero(d);
    inverse[k] = exact_inverse ? hn::Div(hn::Set(d, 1.0f), candidates[k].multiplier) : hn::Zero(d);
  }
  for (int64_t j = 0; j < group.block(); ++j) {
    for (size_t k = 0; k < kCount; ++k) {
      group.Accumulate<kSums>(j, candidates[k].multiplier, inverse[k], exact_inverse, error[k], xv[k], vv[k]);
    }
  }
}

// Returns the candidate each block of `group` keeps (see kernels::Quantize4BitRow).
template <size_t kCount>
HWY_INLINE Candidate<D16> ChooseAmong(const BlockGroup& group, const Candidate<D16> (&candidates)[kCount],
                                      bool exact_inverse) {
  hn::Vec<D16> error[kCount], xv[kCount], vv[kCount];
  EvaluateCandidates<false>(group, candidates, exact_inverse, error, xv, vv);
  return LeastError(D16(), candidates, error);
}

HWY_INLINE Candidate<D16> ChooseBlockScales(const BlockGroup& group, const Quant4Spec& spec, float tensor_scale) {
  const D16 d;
  const hn::RebindToUnsigned<D16> du;
  const auto amax = group.amax();
  switch (spec.scale_code) {
    case BlockScaleCode::kF32: {
      const auto f32_scale = [&](hn::Vec<D16> m) { return Candidate<D16>{m, hn::BitCast(du, m)}; };
      const Candidate<D16> probes[2] = {f32_scale(amax), f32_scale(hn::Mul(hn::Set(d, kNf4ProbeFraction), amax))};
      hn::Vec<D16> error[2], xv[2], vv[2];
      EvaluateCandidates<true>(group, probes, false, error, xv, vv);
      // The least-squares scale of each probe's levels, or amax when it is not finite and > 0.
      const auto refit = [&](size_t k) {
        const auto s = hn::Div(xv[k], vv[k]);
        const auto valid = hn::And(hn::And(hn::Gt(vv[k], hn::Zero(d)), hn::Gt(s, hn::Zero(d))),
                                   hn::Lt(s, hn::Set(d, HUGE_VALF)));
        return f32_scale(hn::IfThenElse(valid, s, amax));
      };
      const Candidate<D16> refits[2] = {refit(0), refit(1)};
      hn::Vec<D16> refit_error[2];
      EvaluateCandidates<false>(group, refits, false, refit_error, xv, vv);
      const Candidate<D16> all[4] = {probes[0], probes[1], refits[0], refits[1]};
      const hn::Vec<D16> errors[4] = {error[0], error[1], refit_error[0], refit_error[1]};
      return LeastError(d, all, errors);
    }
    case BlockScaleCode::kE8M0: {
      // floor(log2 amax) - 2 from the exponent field, clamped below at -127 (biased: 0).
      const hn::RebindToSigned<D16> di;
      const auto exponent = hn::BitCast(di, hn::ShiftRight<23>(hn::BitCast(du, amax)));
      const auto biased = hn::BitCast(du, hn::Max(hn::Sub(exponent, hn::Set(di, 2)), hn::Zero(di)));
      const auto next = hn::Min(hn::Add(biased, hn::Set(du, 1u)), hn::Set(du, 254u));
      const auto decode = [&](hn::Vec<decltype(du)> e) {
        const auto is_zero = hn::RebindMask(d, hn::Eq(e, hn::Zero(du)));
        return hn::IfThenElse(is_zero, hn::Set(d, E8M0ToF32(0)), hn::BitCast(d, hn::ShiftLeft<23>(e)));
      };
      const Candidate<D16> candidates[2] = {{decode(biased), biased}, {decode(next), next}};
      return ChooseAmong(group, candidates, true);
    }
    case BlockScaleCode::kE4M3: {
      const auto ts = hn::Set(d, tensor_scale);
      const auto ratio = hn::Div(hn::Div(amax, hn::Set(d, 6.0f)), ts);
      const auto code = hn::Min(EncodeSmallFloatBits<F8E4M3Format>(du, hn::BitCast(du, ratio)),
                                hn::Set(du, F8E4M3Format::kMaxCode));
      const auto up = hn::Min(hn::Add(code, hn::Set(du, 1u)), hn::Set(du, F8E4M3Format::kMaxCode));
      const auto down = hn::IfThenElse(hn::Eq(code, hn::Zero(du)), code, hn::Sub(code, hn::Set(du, 1u)));
      const auto decode = [&](hn::Vec<decltype(du)> c) {
        return hn::Mul(hn::BitCast(d, DecodeSmallFloatBits<F8E4M3Format>(du, c)), ts);
      };
      const Candidate<D16> candidates[3] = {{decode(code), code}, {decode(up), up}, {decode(down), down}};
      return ChooseAmong(group, candidates, false);
    }
  }
  return Candidate<D16>{amax, hn::BitCast(du, amax)};
}

// Quantizes `count` (<= Lanes) blocks at x: stores their scales at `scales` (the first block's
// entry) and, when `packed` is not null, their codes (count * block / 2 bytes). Returns the
// first block's multiplier.
HWY_INLINE float QuantizeBlockGroup(const float* HWY_RESTRICT x, const float* HWY_RESTRICT importance,
                                    int64_t count, const Quant4Spec& spec, float tensor_scale,
                                    uint8_t* HWY_RESTRICT scales, uint8_t* HWY_RESTRICT packed) {
  const D16 d;
  const hn::RebindToSigned<D16> di;
  const hn::RebindToUnsigned<D16> du;
  const hn::Rebind<uint8_t, D16> d8;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const BlockGroup group(x, importance, count, spec);
  const Candidate<D16> best = ChooseBlockScales(group, spec, tensor_scale);

  HWY_ALIGN uint32_t stored[16];
  hn::Store(best.stored, du, stored);
  for (int64_t b = 0; b < count; ++b) StoreBlockScale(spec.scale_code, scales, b, stored[b]);
  if (packed != nullptr) {
    // Byte q of every block of the group, lane b holding block b's (transposed back below).
    HWY_ALIGN uint8_t bytes[kMaxBlock / 2 * 16];
    const bool exact_inverse = spec.scale_code == BlockScaleCode::kE8M0;
    const auto inverse = exact_inverse ? hn::Div(hn::Set(d, 1.0f), best.multiplier) : hn::Zero(d);
    const int32_t* codes = spec.codebook->level_code.data();
    for (int64_t j = 0; j < spec.block; j += 2) {
      const auto first = Lookup16(di, codes, group.Levels(j, best.multiplier, inverse, exact_inverse));
      const auto second = Lookup16(di, codes, group.Levels(j + 1, best.multiplier, inverse, exact_inverse));
      const auto byte = spec.high_nibble_first ? hn::Or(hn::ShiftLeft<4>(first), second)
                                               : hn::Or(first, hn::ShiftLeft<4>(second));
      hn::StoreU(hn::DemoteTo(d8, byte), d8, bytes + j / 2 * lanes);
    }
    const int64_t row_bytes = spec.block / 2;
    for (int64_t b = 0; b < count; ++b) {
      for (int64_t q = 0; q < row_bytes; ++q) packed[b * row_bytes + q] = bytes[q * lanes + b];
    }
  }
  return hn::GetLane(best.multiplier);
}

#endif  // !HWY_HAVE_SCALABLE

void Quantize4BitRow(const float* HWY_RESTRICT x, const float* HWY_RESTRICT importance, int64_t cols,
                     const Quant4Spec& spec, float tensor_scale, uint8_t* HWY_RESTRICT packed,
                     uint8_t* HWY_RESTRICT scales) {
#if HWY_HAVE_SCALABLE
  kernels::Quantize4BitRowRef(x, importance, cols, spec, tensor_scale, packed, scales);
#else
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(D16()));
  const int64_t blocks = cols / spec.block;
  const size_t scale_bytes = BlockScaleBytes(spec.scale_code);
  for (int64_t b = 0; b < blocks; b += lanes) {
    const int64_t at = b * spec.block;
    QuantizeBlockGroup(x + at, importance ? importance + at : nullptr, std::min(lanes, blocks - b), spec,
                       tensor_scale, scales + static_cast<size_t>(b) * scale_bytes, packed + at / 2);
  }
#endif
}

float Fit4BitBlock(const float* HWY_RESTRICT x, const float* HWY_RESTRICT importance, int64_t block_index,
                   const Quant4Spec& spec, float tensor_scale, uint8_t* HWY_RESTRICT scales) {
#if HWY_HAVE_SCALABLE
  return kernels::Fit4BitBlockRef(x, importance, block_index, spec, tensor_scale, scales);
#else
  return QuantizeBlockGroup(x, importance, 1, spec, tensor_scale,
                            scales + static_cast<size_t>(block_index) * BlockScaleBytes(spec.scale_code), nullptr);
#endif
}

void Dequantize4BitRow(const uint8_t* HWY_RESTRICT packed, const uint8_t* HWY_RESTRICT scales, int64_t cols,
                       const Quant4Spec& spec, float tensor_scale, float* HWY_RESTRICT out) {
  const D16 d;
  const hn::RebindToSigned<D16> di;
  const hn::Rebind<uint8_t, D16> d8;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const float* values = spec.codebook->code_value.data();
  HWY_ALIGN uint8_t codes[kChunk];
  for (int64_t begin = 0; begin < cols; begin += kChunk) {
    const int64_t n = std::min(kChunk, cols - begin);
    UnpackCodes4(packed + begin / 2, n, spec.high_nibble_first, codes);
    for (int64_t j = 0; j < n; j += spec.block) {
      const int64_t at = begin + j;
      const auto m = hn::Set(d, BlockMultiplier(spec.scale_code, scales, at / spec.block, tensor_scale));
      for (int64_t k = 0; k < spec.block; k += lanes) {
        const auto v = Lookup16(d, values, hn::PromoteTo(di, hn::LoadU(d8, codes + j + k)));
        hn::StoreU(hn::Mul(v, m), d, out + at + k);
      }
    }
  }
}

float Dot4BitRow(const uint8_t* HWY_RESTRICT packed, const uint8_t* HWY_RESTRICT scales, int64_t cols,
                 const Quant4Spec& spec, float tensor_scale, const float* HWY_RESTRICT x) {
  const D16 d;
  const hn::RebindToSigned<D16> di;
  const hn::Rebind<uint8_t, D16> d8;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const float* values = spec.codebook->code_value.data();
  HWY_ALIGN uint8_t codes[kChunk];
  auto acc = hn::Zero(d);  // sum over blocks of multiplier * (code values . x)
  for (int64_t begin = 0; begin < cols; begin += kChunk) {
    const int64_t n = std::min(kChunk, cols - begin);
    UnpackCodes4(packed + begin / 2, n, spec.high_nibble_first, codes);
    for (int64_t j = 0; j < n; j += spec.block) {
      const int64_t at = begin + j;
      auto block_acc = hn::Zero(d);
      for (int64_t k = 0; k < spec.block; k += lanes) {
        const auto v = Lookup16(d, values, hn::PromoteTo(di, hn::LoadU(d8, codes + j + k)));
        block_acc = hn::MulAdd(v, hn::LoadU(d, x + at + k), block_acc);
      }
      const float m = BlockMultiplier(spec.scale_code, scales, at / spec.block, tensor_scale);
      acc = hn::MulAdd(hn::Set(d, m), block_acc, acc);
    }
  }
  return hn::GetLane(hn::SumOfLanes(d, acc));
}

// ------------------------------------------------------------------ fp8

template <class Fmt>
HWY_INLINE void QuantizeFp8(const float* HWY_RESTRICT x, int64_t n, float scale, uint8_t* HWY_RESTRICT codes) {
  const hn::ScalableTag<uint32_t> du;
  const hn::RebindToFloat<decltype(du)> df;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(du));
  const auto vscale = hn::Set(df, scale);
  const auto negative_zero = hn::Set(du, 0x80u);
  int64_t j = 0;
  for (; j + lanes <= n; j += lanes) {
    const auto t = hn::Div(hn::LoadU(df, x + j), vscale);
    const auto code = EncodeSmallFloatBits<Fmt>(du, hn::BitCast(du, t));
    StoreLaneBits(du, hn::IfThenZeroElse(hn::Eq(code, negative_zero), code), codes + j);
  }
  for (; j < n; ++j) codes[j] = Fp8EncodeRef<Fmt>(x[j], scale);
}

template <class Fmt>
HWY_INLINE void DequantizeFp8(const uint8_t* HWY_RESTRICT codes, int64_t n, float scale, float* HWY_RESTRICT out) {
  const hn::ScalableTag<uint32_t> du;
  const hn::RebindToFloat<decltype(du)> df;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(du));
  const auto vscale = hn::Set(df, scale);
  int64_t j = 0;
  for (; j + lanes <= n; j += lanes) {
    const auto v = hn::BitCast(df, DecodeSmallFloatBits<Fmt>(du, LoadLaneBits(du, codes + j)));
    hn::StoreU(hn::Mul(v, vscale), df, out + j);
  }
  for (; j < n; ++j) out[j] = DecodeSmallFloatRef<Fmt>(codes[j]) * scale;
}

template <class Fmt>
HWY_INLINE float DotFp8(const uint8_t* HWY_RESTRICT codes, int64_t n, float scale, const float* HWY_RESTRICT x) {
  const hn::ScalableTag<uint32_t> du;
  const hn::RebindToFloat<decltype(du)> df;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(du));
  auto acc = hn::Zero(df);
  int64_t j = 0;
  for (; j + lanes <= n; j += lanes) {
    const auto v = hn::BitCast(df, DecodeSmallFloatBits<Fmt>(du, LoadLaneBits(du, codes + j)));
    acc = hn::MulAdd(v, hn::LoadU(df, x + j), acc);
  }
  float tail = 0.0f;
  for (; j < n; ++j) tail += DecodeSmallFloatRef<Fmt>(codes[j]) * x[j];
  return scale * (hn::GetLane(hn::SumOfLanes(df, acc)) + tail);
}

void QuantizeFp8Row(DType dtype, const float* HWY_RESTRICT x, int64_t n, float scale, uint8_t* HWY_RESTRICT codes) {
  if (dtype == DType::kF8E4M3) return QuantizeFp8<F8E4M3Format>(x, n, scale, codes);
  QuantizeFp8<F8E5M2Format>(x, n, scale, codes);
}

void DequantizeFp8Row(DType dtype, const uint8_t* HWY_RESTRICT codes, int64_t n, float scale,
                      float* HWY_RESTRICT out) {
  if (dtype == DType::kF8E4M3) return DequantizeFp8<F8E4M3Format>(codes, n, scale, out);
  DequantizeFp8<F8E5M2Format>(codes, n, scale, out);
}

float DotFp8Row(DType dtype, const uint8_t* HWY_RESTRICT codes, int64_t n, float scale,
                const float* HWY_RESTRICT x) {
  if (dtype == DType::kF8E4M3) return DotFp8<F8E4M3Format>(codes, n, scale, x);
  return DotFp8<F8E5M2Format>(codes, n, scale, x);
}

float AbsMax(const float* HWY_RESTRICT x, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  float result = 0.0f;
  int64_t j = 0;
  if (n >= lanes) {
    auto vmax = hn::Zero(d);
    for (; j + lanes <= n; j += lanes) vmax = hn::Max(vmax, hn::Abs(hn::LoadU(d, x + j)));
    result = hn::GetLane(hn::MaxOfLanes(d, vmax));
  }
  for (; j < n; ++j) result = std::max(result, std::fabs(x[j]));
  return result;
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace shrink
HWY_AFTER_NAMESPACE();

#endif  // include guard toggle
