// Per-target Highway bodies of the sparse row kernels (included by sparse_rows.cc).
#if defined(SHRINK_SRC_KERNELS_SPARSE_SPARSE_ROWS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SHRINK_SRC_KERNELS_SPARSE_SPARSE_ROWS_INL_H_
#undef SHRINK_SRC_KERNELS_SPARSE_SPARSE_ROWS_INL_H_
#else
#define SHRINK_SRC_KERNELS_SPARSE_SPARSE_ROWS_INL_H_
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "hwy/highway.h"
#include "src/kernels/sparse/sparse_rows.h"

HWY_BEFORE_NAMESPACE();
namespace shrink {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using SparseDF = hn::ScalableTag<float>;
using SparseVF = hn::Vec<SparseDF>;
using SparseDI = hn::RebindToSigned<SparseDF>;
using SparseDU = hn::RebindToUnsigned<SparseDF>;

// The dtype each C++ value type stands for (the scalar tails decode through SparseValueRef).
template <typename T>
constexpr DType kValueDType = DType::kF32;
template <>
constexpr DType kValueDType<hwy::float16_t> = DType::kF16;
template <>
constexpr DType kValueDType<hwy::bfloat16_t> = DType::kBF16;
template <>
constexpr DType kValueDType<int8_t> = DType::kI8;

// Each loads Lanes(d) kept values from `p` as f32 lanes (exactly).
template <class D>
HWY_INLINE hn::Vec<D> LoadValues(D d, const float* HWY_RESTRICT p) {
  return hn::LoadU(d, p);
}
template <class D>
HWY_INLINE hn::Vec<D> LoadValues(D d, const hwy::float16_t* HWY_RESTRICT p) {
  return hn::PromoteTo(d, hn::LoadU(hn::Rebind<hwy::float16_t, D>(), p));
}
template <class D>
HWY_INLINE hn::Vec<D> LoadValues(D d, const hwy::bfloat16_t* HWY_RESTRICT p) {
  return hn::PromoteTo(d, hn::LoadU(hn::Rebind<hwy::bfloat16_t, D>(), p));
}
template <class D>
HWY_INLINE hn::Vec<D> LoadValues(D d, const int8_t* HWY_RESTRICT p) {
  return hn::ConvertTo(d, hn::PromoteTo(hn::RebindToSigned<D>(), hn::LoadU(hn::Rebind<int8_t, D>(), p)));
}

// Returns fn(values as a pointer to its C++ value type).
template <class Fn>
HWY_INLINE float WithValueType(DType value_dtype, const void* values, const Fn& fn) {
  switch (value_dtype) {
    case DType::kF16: return fn(static_cast<const hwy::float16_t*>(values));
    case DType::kBF16: return fn(static_cast<const hwy::bfloat16_t*>(values));
    case DType::kI8: return fn(static_cast<const int8_t*>(values));
    default: return fn(static_cast<const float*>(values));
  }
}

template <class D>
HWY_INLINE float SumLanes(D d, hn::Vec<D> a, hn::Vec<D> b) {
  return hn::GetLane(hn::SumOfLanes(d, hn::Add(a, b)));
}

// ------------------------------ csr

// Each loads Lanes(df) column indices as i32 lanes (u16 indices widened).
HWY_INLINE hn::Vec<SparseDI> LoadColumns(SparseDF /*df*/, const uint16_t* HWY_RESTRICT p) {
  return hn::BitCast(SparseDI(), hn::PromoteTo(SparseDU(), hn::LoadU(hn::Rebind<uint16_t, SparseDF>(), p)));
}
HWY_INLINE hn::Vec<SparseDI> LoadColumns(SparseDF /*df*/, const int32_t* HWY_RESTRICT p) {
  return hn::LoadU(SparseDI(), p);
}

// Two accumulators, each a gather of x by the column indices times the values.
template <typename T, typename TI>
float CsrDotT(const T* HWY_RESTRICT values, const TI* HWY_RESTRICT cols, int64_t nnz, const float* HWY_RESTRICT x) {
  const SparseDF df;
  const auto lanes = static_cast<int64_t>(hn::Lanes(df));
  auto a0 = hn::Zero(df), a1 = hn::Zero(df);
  int64_t k = 0;
  for (; k + 2 * lanes <= nnz; k += 2 * lanes) {
    a0 = hn::MulAdd(LoadValues(df, values + k), hn::GatherIndex(df, x, LoadColumns(df, cols + k)), a0);
    a1 = hn::MulAdd(LoadValues(df, values + k + lanes), hn::GatherIndex(df, x, LoadColumns(df, cols + k + lanes)), a1);
  }
  for (; k + lanes <= nnz; k += lanes) {
    a0 = hn::MulAdd(LoadValues(df, values + k), hn::GatherIndex(df, x, LoadColumns(df, cols + k)), a0);
  }
  float sum = SumLanes(df, a0, a1);
  for (; k < nnz; ++k) sum += kernels::SparseValueRef(kValueDType<T>, values, k) * x[cols[k]];
  return sum;
}

float CsrDot(DType value_dtype, const void* values, DType index_dtype, const void* cols, int64_t nnz, const float* x) {
  return WithValueType(value_dtype, values, [&](auto typed) {
    return index_dtype == DType::kU16 ? CsrDotT(typed, static_cast<const uint16_t*>(cols), nnz, x)
                                      : CsrDotT(typed, static_cast<const int32_t*>(cols), nnz, x);
  });
}

// ------------------------------ bitmask

// Bitmask rows are taken 8 columns (one mask byte) per vector at most, whatever the target: a
// step spreads the next kept values out to their columns with one permute from a table indexed
// by the mask byte. On Zen 4 this is a quarter faster than Highway's Compress of x to meet the
// values where they are (vcompressps, 16 lanes) and 25 times faster than it with AVX2 (measured
// per 4096-column row at 50% sparsity).
using BitmaskDF = hn::CappedTag<float, 8>;
using BitmaskVF = hn::Vec<BitmaskDF>;

// For each byte of mask bits, the lane of the next loaded values each of its 8 columns takes:
// the number of kept columns before it.
struct KeptPrefixTable {
  uint8_t lane[256][8];
  constexpr KeptPrefixTable() : lane() {
    for (int bits = 0; bits < 256; ++bits) {
      for (int j = 0, before = 0; j < 8; ++j) {
        lane[bits][j] = static_cast<uint8_t>(before);
        before += (bits >> j) & 1;
      }
    }
  }
};
constexpr KeptPrefixTable kKeptPrefix;

// Adds the products of columns [c, c + Lanes(d)) to `acc` and moves `k` past their kept values
// (c a multiple of Lanes(d); a vector of fewer than 8 lanes reads its part of the mask byte).
template <typename T>
HWY_INLINE BitmaskVF BitmaskStep(BitmaskDF d, const T* HWY_RESTRICT values, const uint8_t* HWY_RESTRICT mask,
                                 const float* HWY_RESTRICT x, int64_t c, int64_t& k, BitmaskVF acc) {
  const auto bits = static_cast<uint8_t>(mask[c >> 3] >> (c & 7));
  const auto keep = hn::LoadMaskBits(d, &bits);
  const auto lane = hn::PromoteTo(hn::RebindToSigned<BitmaskDF>(),
                                  hn::LoadU(hn::Rebind<uint8_t, BitmaskDF>(), kKeptPrefix.lane[bits]));
  const auto spread = hn::TableLookupLanes(LoadValues(d, values + k), hn::IndicesFromVec(d, lane));
  k += static_cast<int64_t>(hn::CountTrue(d, keep));
  return hn::MulAdd(hn::IfThenElseZero(keep, spread), hn::LoadU(d, x + c), acc);
}

// Every whole vector of columns is a vector step. Steps load a whole vector of values: from the
// row while one remains, then from a zero-padded copy of its last values (fewer than 2 vectors,
// so a step there reads at most 3 vectors of the copy).
template <typename T>
float BitmaskDotT(const T* HWY_RESTRICT values, int64_t nnz, const uint8_t* HWY_RESTRICT mask, int64_t cols,
                  const float* HWY_RESTRICT x) {
  const BitmaskDF d;
  const auto lanes = static_cast<int64_t>(hn::Lanes(d));
  auto a0 = hn::Zero(d), a1 = hn::Zero(d);
  int64_t c = 0, k = 0;
  for (; c + 2 * lanes <= cols && k + 2 * lanes <= nnz; c += 2 * lanes) {
    a0 = BitmaskStep(d, values, mask, x, c, k, a0);
    a1 = BitmaskStep(d, values, mask, x, c + lanes, k, a1);
  }
  T last[3 * 8] = {};
  std::copy(values + k, values + nnz, last);
  k = 0;
  for (; c + lanes <= cols; c += lanes) a0 = BitmaskStep(d, last, mask, x, c, k, a0);
  float sum = SumLanes(d, a0, a1);
  for (; c < cols; ++c) {
    if ((mask[c >> 3] >> (c & 7)) & 1) sum += kernels::SparseValueRef(kValueDType<T>, last, k++) * x[c];
  }
  return sum;
}

float BitmaskDot(DType value_dtype, const void* values, int64_t nnz, const uint8_t* mask, int64_t cols,
                 const float* x) {
  return WithValueType(value_dtype, values, [&](auto typed) { return BitmaskDotT(typed, nnz, mask, cols, x); });
}

// ------------------------------ n:m

#if HWY_TARGET != HWY_SCALAR  // one-lane vectors hold no group: the n:m kernels are scalar there
// Returns how many leading kept values of an n:m row the vector steps take (a multiple of
// Lanes): a step takes Lanes values, Lanes / n whole groups and Lanes * index_bits / 8 index
// bytes, and loads 16 index bytes, which must be readable. 0 where a vector holds no whole
// number of groups or index bytes (n not a power of two, 3-bit indices in 4 lanes...).
HWY_INLINE int64_t NmVectorKept(SparseDF df, int64_t kept, int64_t readable_bytes, const kernels::NmGroups& g) {
  const auto lanes = static_cast<int64_t>(hn::Lanes(df));
  const int64_t step_bytes = lanes * g.index_bits / 8;
  if (lanes < 4 || lanes % g.n != 0 || (lanes * g.index_bits) % 8 != 0 || ((lanes - 1) * g.index_bits) / 8 + 4 > 16 ||
      readable_bytes < 16) {
    return 0;
  }
  const int64_t steps = std::min(kept / lanes, (readable_bytes - 16) / step_bytes + 1);
  return steps * lanes;
}

// The lane constants of the n:m steps: which of the 16 loaded index bytes hold each lane's bits
// (4 bytes per u32 lane; every 128-bit block shuffles its own copy of the 16), the shift that
// brings them down, and the first column of each lane's group relative to the step's.
struct NmLanePattern {
  alignas(64) uint8_t byte_index[HWY_MAX_BYTES];
  alignas(64) uint32_t shift[HWY_MAX_BYTES / 4];
  alignas(64) int32_t group_col[HWY_MAX_BYTES / 4];

  NmLanePattern(int64_t lanes, const kernels::NmGroups& g) {
    for (int64_t t = 0; t < lanes; ++t) {
      const int64_t bit = t * g.index_bits;
      for (int64_t j = 0; j < 4; ++j) byte_index[4 * t + j] = static_cast<uint8_t>((bit >> 3) + j);
      shift[t] = static_cast<uint32_t>(bit & 7);
      group_col[t] = static_cast<int32_t>(t / g.n * g.m);
    }
  }
};

// Returns x at the columns of kept values [t, t + Lanes) of an n:m row (t a multiple of Lanes
// below NmVectorKept). Each lane's 4 index bytes are picked by a byte shuffle from 16 loaded at
// once, then shifted and masked. For m = 2n the step's 2 * Lanes columns are two loaded vectors
// and each lane permutes its column out of the one holding it; otherwise a gather fetches them.
HWY_INLINE SparseVF NmPickInputs(SparseDF df, const NmLanePattern& pattern, const uint8_t* HWY_RESTRICT indices,
                                 const float* HWY_RESTRICT x, int64_t t, const kernels::NmGroups& g) {
  const SparseDU du;
  const SparseDI di;
  const hn::Repartition<uint8_t, SparseDU> du8;
  const auto lanes = static_cast<int64_t>(hn::Lanes(df));
  const auto bytes = hn::LoadDup128(du8, indices + t * g.index_bits / 8);
  const auto words = hn::BitCast(du, hn::TableLookupBytes(bytes, hn::Load(du8, pattern.byte_index)));
  const auto index = hn::And(words >> hn::Load(du, pattern.shift), hn::Set(du, (1u << g.index_bits) - 1u));
  const auto col = hn::Add(hn::Load(di, pattern.group_col), hn::BitCast(di, index));
  const float* xs = x + t / g.n * g.m;
  if (g.m != 2 * g.n) return hn::GatherIndex(df, xs, col);
#if HWY_TARGET <= HWY_AVX3  // one vpermt2ps indexes both vectors (by the low 5 bits of col)
  return SparseVF{_mm512_permutex2var_ps(hn::LoadU(df, xs).raw, col.raw, hn::LoadU(df, xs + lanes).raw)};
#else
  const auto lane = hn::IndicesFromVec(df, hn::And(col, hn::Set(di, static_cast<int32_t>(lanes - 1))));
  const auto in_first = hn::RebindMask(df, hn::Lt(col, hn::Set(di, static_cast<int32_t>(lanes))));
  return hn::IfThenElse(in_first, hn::TableLookupLanes(hn::LoadU(df, xs), lane),
                        hn::TableLookupLanes(hn::LoadU(df, xs + lanes), lane));
#endif
}

#endif  // HWY_TARGET != HWY_SCALAR

template <typename T>
float NmDotT(const T* HWY_RESTRICT values, const uint8_t* HWY_RESTRICT indices, int64_t readable_bytes, int64_t kept,
             const kernels::NmGroups& g, const float* HWY_RESTRICT x) {
  const SparseDF df;
  auto a0 = hn::Zero(df), a1 = hn::Zero(df);
  int64_t t = 0;
#if HWY_TARGET != HWY_SCALAR
  const auto lanes = static_cast<int64_t>(hn::Lanes(df));
  const int64_t vector_kept = NmVectorKept(df, kept, readable_bytes, g);
  if (vector_kept > 0) {
    const NmLanePattern pattern(lanes, g);
    auto a2 = hn::Zero(df), a3 = hn::Zero(df);
    for (; t + 4 * lanes <= vector_kept; t += 4 * lanes) {
      a0 = hn::MulAdd(LoadValues(df, values + t), NmPickInputs(df, pattern, indices, x, t, g), a0);
      a1 = hn::MulAdd(LoadValues(df, values + t + lanes), NmPickInputs(df, pattern, indices, x, t + lanes, g), a1);
      a2 = hn::MulAdd(LoadValues(df, values + t + 2 * lanes), NmPickInputs(df, pattern, indices, x, t + 2 * lanes, g),
                      a2);
      a3 = hn::MulAdd(LoadValues(df, values + t + 3 * lanes), NmPickInputs(df, pattern, indices, x, t + 3 * lanes, g),
                      a3);
    }
    a0 = hn::Add(a0, a2);
    a1 = hn::Add(a1, a3);
    for (; t < vector_kept; t += lanes) {
      a0 = hn::MulAdd(LoadValues(df, values + t), NmPickInputs(df, pattern, indices, x, t, g), a0);
    }
  }
#endif
  float sum = SumLanes(df, a0, a1);
  for (; t < kept; ++t) {
    sum += kernels::SparseValueRef(kValueDType<T>, values, t) *
           x[t / g.n * g.m + kernels::NmIndexRef(indices, t, g.index_bits)];
  }
  return sum;
}

float NmDot(DType value_dtype, const void* values, const uint8_t* indices, int64_t readable_bytes, int64_t kept,
            const kernels::NmGroups& groups, const float* x) {
  return WithValueType(value_dtype, values,
                       [&](auto typed) { return NmDotT(typed, indices, readable_bytes, kept, groups, x); });
}

void NmGatherInputs(const uint8_t* HWY_RESTRICT indices, int64_t readable_bytes, int64_t kept,
                    const kernels::NmGroups& g, const float* HWY_RESTRICT x, float* HWY_RESTRICT out) {
  int64_t t = 0;
#if HWY_TARGET != HWY_SCALAR
  const SparseDF df;
  const auto lanes = static_cast<int64_t>(hn::Lanes(df));
  const int64_t vector_kept = NmVectorKept(df, kept, readable_bytes, g);
  if (vector_kept > 0) {
    const NmLanePattern pattern(lanes, g);
    for (; t < vector_kept; t += lanes) hn::StoreU(NmPickInputs(df, pattern, indices, x, t, g), df, out + t);
  }
#endif
  for (; t < kept; ++t) out[t] = x[t / g.n * g.m + kernels::NmIndexRef(indices, t, g.index_bits)];
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace shrink
HWY_AFTER_NAMESPACE();

#endif  // include guard toggle
