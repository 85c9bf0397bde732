// Dynamic dispatch of the k-quant scale-search kernels, and their scalar Ref twins.
#include "src/kernels/formats/kquant_search.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/kernels/formats/kquant_search.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "src/kernels/formats/kquant_search-inl.h"

#if HWY_ONCE
#include <algorithm>
#include <cmath>
#include <limits>

namespace shrink {
HWY_EXPORT(KQuantTranspose);
HWY_EXPORT(KQuantFitSubBlocks);
HWY_EXPORT(KQuantRefineCodes);
HWY_EXPORT(KQuantLevelSumsOf);

namespace kernels {
namespace {

constexpr float kInfinity = std::numeric_limits<float>::infinity();

// Sums of one assignment of levels of one sub-block.
struct SubSums {
  float sl = 0.0f, sll = 0.0f, slx = 0.0f;
};

// Returns the level clamp(round(t)) of the problem's level range.
float LevelOf(const KQuantProblem& p, float t) {
  return std::min(std::max(std::nearbyint(t), p.level_min), p.level_max);
}

SubSums SumsOfAssignment(const KQuantProblem& p, const float* xt, const float* wt, int j, float origin,
                         float iscale) {
  SubSums s;
  for (int i = 0; i < p.sub_size; ++i) {
    const float x = xt[i * p.num_sub + j], w = wt[i * p.num_sub + j];
    const float l = LevelOf(p, (x - origin) * iscale);
    const float wl = w * l;
    s.sl += wl;
    s.sll += wl * l;
    s.slx += wl * x;
  }
  return s;
}

// The best least-squares fit of one sub-block found so far.
struct Fit {
  float err = kInfinity, s = 0.0f, off = 0.0f, sll = 0.0f;
};

void KeepBetterFit(bool has_mins, const SubSums& a, float sw, float sx, float sxx, Fit& best) {
  const float det = sw * a.sll - a.sl * a.sl;
  float s = 0.0f, off = 0.0f;
  bool clamped = !has_mins || !(det > 0.0f);
  if (!clamped) {
    s = (sw * a.slx - sx * a.sl) / det;
    off = (a.sll * sx - a.sl * a.slx) / det;
    clamped = off > 0.0f;
  }
  if (clamped) {
    s = a.slx / a.sll;
    off = 0.0f;
  }
  const float err = sxx + s * (s * a.sll - 2.0f * a.slx) + off * (off * sw - 2.0f * sx) + 2.0f * s * off * a.sl;
  if (a.sll > 0.0f && err < best.err) best = Fit{err, s, off, a.sll};
}

// Returns the weighted error of sub-block j under (scale, sub) with nearest levels, adding the
// level sums to `sums` when it is non-null.
float ErrorOfMaps(const KQuantProblem& p, const float* xt, const float* wt, int j, float scale, float sub,
                  SubSums* sums) {
  const float inv = std::fabs(scale) > kKQuantTiny ? 1.0f / scale : 0.0f;
  float err = 0.0f;
  for (int i = 0; i < p.sub_size; ++i) {
    const float x = xt[i * p.num_sub + j], w = wt[i * p.num_sub + j];
    const float l = LevelOf(p, (x + sub) * inv);
    const float e = scale * l - sub - x;
    err += w * e * e;
    if (sums) {
      const float wl = w * l;
      sums->sl += wl;
      sums->sll += wl * l;
      sums->slx += wl * x;
    }
  }
  return err;
}

}  // namespace

void KQuantTranspose(int sub_size, int num_sub, const float* x, const float* importance, float* xt,
                     float* wt) noexcept {
  HWY_DYNAMIC_DISPATCH(KQuantTranspose)(sub_size, num_sub, x, importance, xt, wt);
}

void KQuantFitSubBlocks(const KQuantProblem& p, const float* xt, const float* wt, KQuantSubFits* out) noexcept {
  HWY_DYNAMIC_DISPATCH(KQuantFitSubBlocks)(p, xt, wt, out);
}

void KQuantRefineCodes(const KQuantProblem& p, const float* xt, const float* wt, float d, float dmin, float code_min,
                       float code_max, float* sc, float* m) noexcept {
  HWY_DYNAMIC_DISPATCH(KQuantRefineCodes)(p, xt, wt, d, dmin, code_min, code_max, sc, m);
}

void KQuantLevelSumsOf(const KQuantProblem& p, const float* xt, const float* wt, float d, float dmin,
                       const float* sc, const float* m, KQuantLevelSums* out) noexcept {
  HWY_DYNAMIC_DISPATCH(KQuantLevelSumsOf)(p, xt, wt, d, dmin, sc, m, out);
}

void KQuantTransposeRef(int sub_size, int num_sub, const float* x, const float* importance, float* xt,
                        float* wt) noexcept {
  const float limit = kKQuantMaxInput;
  for (int j = 0; j < num_sub; ++j) {
    float total = 0.0f;
    if (importance) {
      for (int i = 0; i < sub_size; ++i) total += importance[j * sub_size + i];
    }
    const bool weighted = total > 0.0f && std::isfinite(total);
    for (int i = 0; i < sub_size; ++i) {
      const float v = x[j * sub_size + i];
      xt[i * num_sub + j] = std::min(std::max(v, -limit), limit);
      wt[i * num_sub + j] = weighted ? importance[j * sub_size + i] : 1.0f;
    }
  }
}

void KQuantFitSubBlocksRef(const KQuantProblem& p, const float* xt, const float* wt, KQuantSubFits* out) noexcept {
  for (int j = 0; j < p.num_sub; ++j) {
    float sw = 0.0f, sx = 0.0f, sxx = 0.0f, amax = 0.0f, peak = 0.0f, lo = xt[j], hi = xt[j];
    for (int i = 0; i < p.sub_size; ++i) {
      const float x = xt[i * p.num_sub + j], w = wt[i * p.num_sub + j];
      sw += w;
      const float wx = w * x;
      sx += wx;
      sxx += wx * x;
      lo = std::min(lo, x);
      hi = std::max(hi, x);
      if (std::fabs(x) > amax) {
        amax = std::fabs(x);
        peak = x;
      }
    }
    float origin = 0.0f, inv_span = 0.0f;
    if (p.has_mins) {
      origin = std::min(lo, 0.0f);
      const float range = hi - origin;
      if (range > kKQuantTiny) inv_span = 1.0f / range;
    } else if (amax > kKQuantTiny) {
      inv_span = -(1.0f / peak);
    }
    Fit best;
    best.off = origin;
    for (int c = 0; c < p.grid.count; ++c) {
      const float t = p.grid.first + static_cast<float>(c) * p.grid.step;
      KeepBetterFit(p.has_mins, SumsOfAssignment(p, xt, wt, j, origin, t * inv_span), sw, sx, sxx, best);
    }
    for (int step = 0; step < p.refine_steps; ++step) {
      const float inv = std::fabs(best.s) > kKQuantTiny ? 1.0f / best.s : 0.0f;
      KeepBetterFit(p.has_mins, SumsOfAssignment(p, xt, wt, j, best.off, inv), sw, sx, sxx, best);
    }
    out->scale[j] = best.s;
    out->offset[j] = best.off;
    out->sum_w[j] = sw;
    out->sum_wx[j] = sx;
    out->sum_wl2[j] = best.sll;
  }
}

void KQuantRefineCodesRef(const KQuantProblem& p, const float* xt, const float* wt, float d, float dmin,
                          float code_min, float code_max, float* sc, float* m) noexcept {
  static constexpr float kSteps[3] = {0.0f, -1.0f, 1.0f};
  for (int j = 0; j < p.num_sub; ++j) {
    float best_err = kInfinity, best_sc = sc[j], best_m = m[j];
    for (float a : kSteps) {
      for (float b : kSteps) {
        if (SkipCodeStep(p.has_mins, a, b)) continue;
        const float c_sc = sc[j] + a, c_m = m[j] + b;
        const bool ok = c_sc >= code_min && c_sc <= code_max && c_m >= 0.0f && c_m <= code_max;
        const float sub = p.has_mins ? dmin * c_m : 0.0f;
        const float err = ErrorOfMaps(p, xt, wt, j, d * c_sc, sub, nullptr);
        if (ok && err < best_err) {
          best_err = err;
          best_sc = c_sc;
          best_m = c_m;
        }
      }
    }
    sc[j] = best_sc;
    m[j] = best_m;
  }
}

void KQuantLevelSumsOfRef(const KQuantProblem& p, const float* xt, const float* wt, float d, float dmin,
                          const float* sc, const float* m, KQuantLevelSums* out) noexcept {
  for (int j = 0; j < p.num_sub; ++j) {
    SubSums sums;
    out->error[j] = ErrorOfMaps(p, xt, wt, j, d * sc[j], p.has_mins ? dmin * m[j] : 0.0f, &sums);
    out->sum_wl[j] = sums.sl;
    out->sum_wl2[j] = sums.sll;
    out->sum_wlx[j] = sums.slx;
  }
}

}  // namespace kernels
}  // namespace shrink
#endif  // HWY_ONCE
