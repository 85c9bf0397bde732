// Per-target Highway bodies of the k-quant scale-search kernels (included by kquant_search.cc).
// One lane follows one sub-block; every lane does exactly what KQuant*Ref does for it.
#if defined(SHRINK_SRC_KERNELS_FORMATS_KQUANT_SEARCH_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SHRINK_SRC_KERNELS_FORMATS_KQUANT_SEARCH_INL_H_
#undef SHRINK_SRC_KERNELS_FORMATS_KQUANT_SEARCH_INL_H_
#else
#define SHRINK_SRC_KERNELS_FORMATS_KQUANT_SEARCH_INL_H_
#endif

#include <limits>

#include "hwy/highway.h"
#include "src/kernels/formats/kquant_search.h"

HWY_BEFORE_NAMESPACE();
namespace shrink {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Returns the importances of row i of the lanes starting at j0 (1 when the problem is unweighted,
// which is what the transposed importances hold then: the products below are exact either way).
template <bool kWeighted, class D>
HWY_INLINE hn::Vec<D> WeightsAt(D d, const kernels::KQuantProblem& p, const float* HWY_RESTRICT wt, int i, int j0) {
  if constexpr (kWeighted) {
    return hn::LoadU(d, wt + i * p.num_sub + j0);
  } else {
    return hn::Set(d, 1.0f);
  }
}

// Returns w * v, skipping the product when the weights are all 1.
template <bool kWeighted, class V>
HWY_INLINE V Weighted(V w, V v) {
  if constexpr (kWeighted) {
    return hn::Mul(w, v);
  } else {
    return v;
  }
}

// Sums of one assignment of levels, per lane.
template <class D>
struct AssignSums {
  hn::Vec<D> sl, sll, slx;
};

// Returns the sums of the assignment l = clamp(round((x - origin) * iscale)) of the lanes'
// sub-blocks starting at lane j0.
template <bool kWeighted, class D>
HWY_INLINE AssignSums<D> SumsOfAssignment(D d, const kernels::KQuantProblem& p, const float* HWY_RESTRICT xt,
                                          const float* HWY_RESTRICT wt, int j0, hn::Vec<D> origin,
                                          hn::Vec<D> iscale) {
  const auto lmin = hn::Set(d, p.level_min), lmax = hn::Set(d, p.level_max);
  AssignSums<D> s{hn::Zero(d), hn::Zero(d), hn::Zero(d)};
  for (int i = 0; i < p.sub_size; ++i) {
    const auto x = hn::LoadU(d, xt + i * p.num_sub + j0);
    const auto l = hn::Min(hn::Max(hn::Round(hn::Mul(hn::Sub(x, origin), iscale)), lmin), lmax);
    const auto wl = Weighted<kWeighted>(WeightsAt<kWeighted>(d, p, wt, i, j0), l);
    s.sl = hn::Add(s.sl, wl);
    s.sll = hn::Add(s.sll, hn::Mul(wl, l));
    s.slx = hn::Add(s.slx, hn::Mul(wl, x));
  }
  return s;
}

// The best least-squares fit found so far, per lane.
template <class D>
struct BestFit {
  hn::Vec<D> err, s, off, sll;
};

// Fits (s, off) to an assignment by least squares (off <= 0, or 0 without mins) and keeps it
// where its weighted error beats `best`.
template <class D>
HWY_INLINE void KeepBetterFit(D d, bool has_mins, const AssignSums<D>& a, hn::Vec<D> sw, hn::Vec<D> sx,
                              hn::Vec<D> sxx, BestFit<D>& best) {
  const auto zero = hn::Zero(d), two = hn::Set(d, 2.0f);
  const auto det = hn::Sub(hn::Mul(sw, a.sll), hn::Mul(a.sl, a.sl));
  const auto s_free = hn::Div(hn::Sub(hn::Mul(sw, a.slx), hn::Mul(sx, a.sl)), det);
  const auto off_free = hn::Div(hn::Sub(hn::Mul(a.sll, sx), hn::Mul(a.sl, a.slx)), det);
  auto clamped = hn::Or(hn::Not(hn::Gt(det, zero)), hn::Gt(off_free, zero));
  if (!has_mins) clamped = hn::Eq(zero, zero);  // every lane: s = slx / sll, no offset
  const auto s = hn::IfThenElse(clamped, hn::Div(a.slx, a.sll), s_free);
  const auto off = hn::IfThenZeroElse(clamped, off_free);
  const auto err = hn::Add(hn::Add(hn::Add(sxx, hn::Mul(s, hn::Sub(hn::Mul(s, a.sll), hn::Mul(two, a.slx)))),
                                   hn::Mul(off, hn::Sub(hn::Mul(off, sw), hn::Mul(two, sx)))),
                           hn::Mul(hn::Mul(hn::Mul(two, s), off), a.sl));
  const auto better = hn::And(hn::Gt(a.sll, zero), hn::Lt(err, best.err));
  best.err = hn::IfThenElse(better, err, best.err);
  best.s = hn::IfThenElse(better, s, best.s);
  best.off = hn::IfThenElse(better, off, best.off);
  best.sll = hn::IfThenElse(better, a.sll, best.sll);
}

// Does KQuantFitSubBlocks for the sub-blocks of the lanes starting at j0.
template <bool kWeighted, class D>
HWY_INLINE void FitLanes(D d, const kernels::KQuantProblem& p, const float* HWY_RESTRICT xt,
                         const float* HWY_RESTRICT wt, int j0, kernels::KQuantSubFits* HWY_RESTRICT out) {
  const auto zero = hn::Zero(d), one = hn::Set(d, 1.0f);
  auto sw = zero, sx = zero, sxx = zero, amax = zero, peak = zero;
  auto lo = hn::LoadU(d, xt + j0), hi = lo;
  for (int i = 0; i < p.sub_size; ++i) {
    const auto x = hn::LoadU(d, xt + i * p.num_sub + j0);
    const auto w = WeightsAt<kWeighted>(d, p, wt, i, j0);
    sw = hn::Add(sw, w);
    const auto wx = Weighted<kWeighted>(w, x);
    sx = hn::Add(sx, wx);
    sxx = hn::Add(sxx, hn::Mul(wx, x));
    lo = hn::Min(lo, x);
    hi = hn::Max(hi, x);
    const auto ax = hn::Abs(x);
    const auto larger = hn::Gt(ax, amax);
    amax = hn::IfThenElse(larger, ax, amax);
    peak = hn::IfThenElse(larger, x, peak);
  }
  const auto tiny = hn::Set(d, kernels::kKQuantTiny);
  auto origin = zero, inv_span = zero;
  if (p.has_mins) {
    origin = hn::Min(lo, zero);
    const auto range = hn::Sub(hi, origin);
    inv_span = hn::IfThenElseZero(hn::Gt(range, tiny), hn::Div(one, range));
  } else {
    inv_span = hn::IfThenElseZero(hn::Gt(amax, tiny), hn::Neg(hn::Div(one, peak)));
  }
  BestFit<D> best{hn::Set(d, std::numeric_limits<float>::infinity()), zero, origin, zero};
  for (int c = 0; c < p.grid.count; ++c) {
    const float t = p.grid.first + static_cast<float>(c) * p.grid.step;
    const auto iscale = hn::Mul(hn::Set(d, t), inv_span);
    KeepBetterFit(d, p.has_mins, SumsOfAssignment<kWeighted>(d, p, xt, wt, j0, origin, iscale), sw, sx, sxx, best);
  }
  for (int step = 0; step < p.refine_steps; ++step) {
    const auto inv = hn::IfThenElseZero(hn::Gt(hn::Abs(best.s), tiny), hn::Div(one, best.s));
    KeepBetterFit(d, p.has_mins, SumsOfAssignment<kWeighted>(d, p, xt, wt, j0, best.off, inv), sw, sx, sxx, best);
  }
  hn::StoreU(best.s, d, out->scale + j0);
  hn::StoreU(best.off, d, out->offset + j0);
  hn::StoreU(sw, d, out->sum_w + j0);
  hn::StoreU(sx, d, out->sum_wx + j0);
  hn::StoreU(best.sll, d, out->sum_wl2 + j0);
}

// Returns the weighted error of the lanes' sub-blocks under (scale, sub) with nearest levels,
// and, when `sums` is non-null, the level sums.
template <bool kWeighted, class D>
HWY_INLINE hn::Vec<D> ErrorOfMaps(D d, const kernels::KQuantProblem& p, const float* HWY_RESTRICT xt,
                                  const float* HWY_RESTRICT wt, int j0, hn::Vec<D> scale, hn::Vec<D> sub,
                                  AssignSums<D>* sums) {
  const auto zero = hn::Zero(d);
  const auto lmin = hn::Set(d, p.level_min), lmax = hn::Set(d, p.level_max);
  const auto inv = hn::IfThenElseZero(hn::Gt(hn::Abs(scale), hn::Set(d, kernels::kKQuantTiny)),
                                      hn::Div(hn::Set(d, 1.0f), scale));
  auto err = zero, sl = zero, sll = zero, slx = zero;
  for (int i = 0; i < p.sub_size; ++i) {
    const auto x = hn::LoadU(d, xt + i * p.num_sub + j0);
    const auto w = WeightsAt<kWeighted>(d, p, wt, i, j0);
    const auto l = hn::Min(hn::Max(hn::Round(hn::Mul(hn::Add(x, sub), inv)), lmin), lmax);
    const auto e = hn::Sub(hn::Sub(hn::Mul(scale, l), sub), x);
    err = hn::Add(err, hn::Mul(Weighted<kWeighted>(w, e), e));
    if (sums) {
      const auto wl = Weighted<kWeighted>(w, l);
      sl = hn::Add(sl, wl);
      sll = hn::Add(sll, hn::Mul(wl, l));
      slx = hn::Add(slx, hn::Mul(wl, x));
    }
  }
  if (sums) *sums = AssignSums<D>{sl, sll, slx};
  return err;
}

// Does KQuantRefineCodes for the sub-blocks of the lanes starting at j0.
template <bool kWeighted, class D>
HWY_INLINE void RefineLanes(D d, const kernels::KQuantProblem& p, const float* HWY_RESTRICT xt,
                            const float* HWY_RESTRICT wt, int j0, float dscale, float dmin, float code_min,
                            float code_max, float* HWY_RESTRICT sc, float* HWY_RESTRICT m) {
  static constexpr float kSteps[3] = {0.0f, -1.0f, 1.0f};
  const auto zero = hn::Zero(d);
  const auto vd = hn::Set(d, dscale), vdmin = hn::Set(d, dmin);
  const auto cmin = hn::Set(d, code_min), cmax = hn::Set(d, code_max);
  const auto sc0 = hn::LoadU(d, sc + j0), m0 = hn::LoadU(d, m + j0);
  auto best_err = hn::Set(d, std::numeric_limits<float>::infinity());
  auto best_sc = sc0, best_m = m0;
  for (float a : kSteps) {
    for (float b : kSteps) {
      if (kernels::SkipCodeStep(p.has_mins, a, b)) continue;
      const auto c_sc = hn::Add(sc0, hn::Set(d, a)), c_m = hn::Add(m0, hn::Set(d, b));
      const auto ok = hn::And(hn::And(hn::Ge(c_sc, cmin), hn::Le(c_sc, cmax)),
                              hn::And(hn::Ge(c_m, zero), hn::Le(c_m, cmax)));
      const auto sub = p.has_mins ? hn::Mul(vdmin, c_m) : zero;
      const auto err = ErrorOfMaps<kWeighted>(d, p, xt, wt, j0, hn::Mul(vd, c_sc), sub,
                                                static_cast<AssignSums<D>*>(nullptr));
      const auto better = hn::And(ok, hn::Lt(err, best_err));
      best_err = hn::IfThenElse(better, err, best_err);
      best_sc = hn::IfThenElse(better, c_sc, best_sc);
      best_m = hn::IfThenElse(better, c_m, best_m);
    }
  }
  hn::StoreU(best_sc, d, sc + j0);
  hn::StoreU(best_m, d, m + j0);
}

// Runs `lanes_fn(d, j0)` over the sub-blocks in vectors of at most num_sub lanes.
template <class Fn>
HWY_INLINE void ForEachLaneBlock(int num_sub, const Fn& lanes_fn) {
  if (num_sub == 8) {
    const hn::CappedTag<float, 8> d;
    for (int j0 = 0; j0 < 8; j0 += static_cast<int>(hn::Lanes(d))) lanes_fn(d, j0);
  } else {
    const hn::CappedTag<float, 16> d;
    for (int j0 = 0; j0 < 16; j0 += static_cast<int>(hn::Lanes(d))) lanes_fn(d, j0);
  }
}

void KQuantTranspose(int sub_size, int num_sub, const float* HWY_RESTRICT x, const float* HWY_RESTRICT importance,
                     float* HWY_RESTRICT xt, float* HWY_RESTRICT wt) {
  ForEachLaneBlock(num_sub, [&](auto d, int j0) {
    const hn::RebindToSigned<decltype(d)> di;
    const auto index = hn::Mul(hn::Iota(di, j0), hn::Set(di, sub_size));  // start of each lane's sub-block
    const auto one = hn::Set(d, 1.0f), limit = hn::Set(d, kernels::kKQuantMaxInput);
    auto total = hn::Zero(d);
    if (importance) {
      for (int i = 0; i < sub_size; ++i) total = hn::Add(total, hn::GatherIndex(d, importance + i, index));
    }
    const auto weighted = hn::And(hn::Gt(total, hn::Zero(d)), hn::IsFinite(total));
    for (int i = 0; i < sub_size; ++i) {
      const auto v = hn::GatherIndex(d, x + i, index);
      hn::StoreU(hn::Min(hn::Max(v, hn::Neg(limit)), limit), d, xt + i * num_sub + j0);
      const auto w = importance ? hn::IfThenElse(weighted, hn::GatherIndex(d, importance + i, index), one) : one;
      hn::StoreU(w, d, wt + i * num_sub + j0);
    }
  });
}

void KQuantFitSubBlocks(const kernels::KQuantProblem& p, const float* HWY_RESTRICT xt,
                        const float* HWY_RESTRICT wt, kernels::KQuantSubFits* HWY_RESTRICT out) {
  ForEachLaneBlock(p.num_sub, [&](auto d, int j0) {
    p.weighted ? FitLanes<true>(d, p, xt, wt, j0, out) : FitLanes<false>(d, p, xt, wt, j0, out);
  });
}

void KQuantRefineCodes(const kernels::KQuantProblem& p, const float* HWY_RESTRICT xt, const float* HWY_RESTRICT wt,
                       float dscale, float dmin, float code_min, float code_max, float* HWY_RESTRICT sc,
                       float* HWY_RESTRICT m) {
  ForEachLaneBlock(p.num_sub, [&](auto d, int j0) {
    p.weighted ? RefineLanes<true>(d, p, xt, wt, j0, dscale, dmin, code_min, code_max, sc, m)
               : RefineLanes<false>(d, p, xt, wt, j0, dscale, dmin, code_min, code_max, sc, m);
  });
}

void KQuantLevelSumsOf(const kernels::KQuantProblem& p, const float* HWY_RESTRICT xt, const float* HWY_RESTRICT wt,
                       float dscale, float dmin, const float* HWY_RESTRICT sc, const float* HWY_RESTRICT m,
                       kernels::KQuantLevelSums* HWY_RESTRICT out) {
  ForEachLaneBlock(p.num_sub, [&](auto d, int j0) {
    using D = decltype(d);
    const auto scale = hn::Mul(hn::Set(d, dscale), hn::LoadU(d, sc + j0));
    const auto sub = p.has_mins ? hn::Mul(hn::Set(d, dmin), hn::LoadU(d, m + j0)) : hn::Zero(d);
    AssignSums<D> sums{hn::Zero(d), hn::Zero(d), hn::Zero(d)};
    const auto err = p.weighted ? ErrorOfMaps<true>(d, p, xt, wt, j0, scale, sub, &sums)
                                : ErrorOfMaps<false>(d, p, xt, wt, j0, scale, sub, &sums);
    hn::StoreU(sums.sl, d, out->sum_wl + j0);
    hn::StoreU(sums.sll, d, out->sum_wl2 + j0);
    hn::StoreU(sums.slx, d, out->sum_wlx + j0);
    hn::StoreU(err, d, out->error + j0);
  });
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace shrink
HWY_AFTER_NAMESPACE();

#endif  // include guard toggle
