// Header choices of the linear ggml block types: the fast range rule and the weighted search.
#include "src/formats/ggml_legacy_fit.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace shrink::ggml_legacy {
namespace {

// Candidate scales per orientation on each side of the nominal one (see FitLinearWeighted).
constexpr int kSweep = 3;
// Sweep candidates measured exactly (the best by least-squares residual).
constexpr int kMeasured = 3;
// Least-squares refits of the best measured header.
constexpr int kRefits = 2;

// Returns `f` as stored in an f16 header field.
float RoundF16(float f) { return F16ToF32Ref(F16Saturating(f)); }

// A header {d, m} (unrounded) and the weighted error it leaves with the codes it was fit to.
struct Candidate {
  float d = 0.0f, m = 0.0f;
  double residual = std::numeric_limits<double>::infinity();
};

// Fits and scores headers of one block under weights w: candidates by the least-squares residual
// of fixed codes (cheap), the chosen few by the exact weighted error after f16 rounding.
class LinearBlock {
 public:
  LinearBlock(LegacyType type, const float* x, const float* importance)
      : type_(type), x_(x), w_(importance), first_(static_cast<float>(LinearFirstLevel(type))) {}

  // Returns the weighted squared error of the map {d, m} (already rounded) with nearest codes.
  double Error(float d, float m) const {
    const SubBlockMap map{d, m};
    double err = 0.0;
    for (int j = 0; j < kSubBlock; ++j) {
      const float scaled = (static_cast<float>(NearestCode(type_, map, x_[j])) + first_) * d;
      const double e = static_cast<double>(x_[j]) - (HasMin(type_) ? scaled + m : scaled);
      err += static_cast<double>(w_[j]) * e * e;
    }
    return err;
  }

  // Rounds {d, m} to f16 and keeps it when its exact error beats the best so far.
  void Try(float d, float m) {
    d = RoundF16(d);
    m = HasMin(type_) ? RoundF16(m) : 0.0f;
    const double err = Error(d, m);
    if (err < best_err_) {
      best_err_ = err;
      best_d_ = d;
      best_m_ = m;
    }
  }

  // Returns the weighted least-squares refit of the codes nearest under {d, m} (d != 0; found
  // with a multiply, a heuristic): the scale alone for symmetric types, scale and minimum for
  // q4_1 and q5_1, with the error it leaves; an infinite residual when the codes fit nothing.
  Candidate Refit(float d, float m) const {
    const float inv = 1.0f / d;
    const float last = static_cast<float>(LinearLevelCount(type_) - 1);
    float sw = 0, sl = 0, sl2 = 0, sx = 0, slx = 0, sxx = 0;  // 32 terms: f32 is plenty
    for (int j = 0; j < kSubBlock; ++j) {
      const float l = std::min(std::max(RoundToEven((x_[j] - m) * inv - first_), 0.0f), last) + first_;
      const float w = w_[j], x = x_[j];
      sw += w;
      sl += w * l;
      sl2 += w * l * l;
      sx += w * x;
      slx += w * l * x;
      sxx += w * x * x;
    }
    Candidate c;
    if (!HasMin(type_)) {
      if (sl2 > 0) c = {slx / sl2, 0.0f, static_cast<double>(sxx) - static_cast<double>(slx) * slx / sl2};
      return c;
    }
    const double det = static_cast<double>(sw) * sl2 - static_cast<double>(sl) * sl;
    if (det > 0) {
      const double scale = (static_cast<double>(sw) * slx - static_cast<double>(sx) * sl) / det;
      const double min = (static_cast<double>(sl2) * sx - static_cast<double>(sl) * slx) / det;
      c = {static_cast<float>(scale), static_cast<float>(min), sxx - scale * slx - min * sx};
    }
    return c;
  }

  float best_d() const { return best_d_; }
  float best_m() const { return best_m_; }

 private:
  LegacyType type_;
  const float* x_;
  const float* w_;
  float first_;
  double best_err_ = std::numeric_limits<double>::infinity();
  float best_d_ = 0.0f, best_m_ = 0.0f;
};

// Writes the range of the 32 weights `x`.
void Range(const float* x, float& lo, float& hi) {
  lo = hi = x[0];
  for (int j = 1; j < kSubBlock; ++j) {
    lo = std::min(lo, x[j]);
    hi = std::max(hi, x[j]);
  }
}

}  // namespace

void FitLinearFast(LegacyType type, const float* x, uint8_t* block) {
  float lo, hi;
  Range(x, lo, hi);
  LinearHeaderFromRange(type, lo, hi, block, StoreF16);
}

void FitLinearWeighted(LegacyType type, const float* x, const float* importance, uint8_t* block) {
  float lo, hi;
  Range(x, lo, hi);
  LinearBlock fit(type, x, importance);
  const SubBlockMap fast = LinearHeaderFromRange(type, lo, hi, block, StoreF16);
  fit.Try(fast.scale, fast.bias);
  // Sweep the scale that maps the range onto the grid by up to +-1 level (q4) in both
  // orientations (the extreme on the first or on the last level) or, for q4_1 and q5_1, the
  // span onto levels - 1 +- 1 steps; refit each candidate's codes by least squares and measure
  // the kMeasured with the smallest residuals exactly.
  Candidate best[kMeasured];
  const auto consider = [&](float d, float m) {
    if (d == 0.0f || !std::isfinite(d)) return;
    Candidate c = fit.Refit(d, m);
    for (Candidate& slot : best) {
      if (c.residual < slot.residual) std::swap(c, slot);
    }
  };
  const int levels = LinearLevelCount(type);
  const float step = static_cast<float>(levels) / (16.0f * kSweep);
  const float extreme = hi >= -lo ? hi : lo;
  for (int k = -kSweep; k <= kSweep; ++k) {
    const float delta = step * static_cast<float>(k);
    if (HasMin(type)) {
      consider((hi - lo) / (static_cast<float>(levels - 1) + delta), lo);
    } else {
      consider(extreme / (static_cast<float>(-levels / 2) + delta), 0.0f);
      consider(extreme / (static_cast<float>(levels / 2 - 1) + delta), 0.0f);
    }
  }
  for (const Candidate& c : best) {
    if (std::isfinite(c.residual)) fit.Try(c.d, c.m);
  }
  for (int r = 0; r < kRefits; ++r) {
    if (fit.best_d() == 0.0f) break;
    const Candidate c = fit.Refit(fit.best_d(), fit.best_m());
    if (std::isfinite(c.residual)) fit.Try(c.d, c.m);
  }
  StoreF16(block, fit.best_d());
  if (HasMin(type)) StoreF16(block + 2, fit.best_m());
}

}  // namespace shrink::ggml_legacy
