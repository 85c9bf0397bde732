// Scale searches of iq4_nl and iq4_xs: the fast search (scalar twin of the SIMD one) and the
// importance-weighted search.
#include "src/formats/ggml_iq4_fit.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace shrink::ggml_legacy {
namespace {

// Offsets of the weighted sweep: the extreme weight lands within +-kSweep of an end level, in
// steps of kSweepStep.
constexpr int kSweep = 9;
constexpr int kSweepStep = 3;
// Lloyd steps (assign nearest codes, refit the scale) after the weighted sweep.
constexpr int kLloydSteps = 2;
// Most candidate scales of one sub-block in the weighted search.
constexpr int kMaxCandidates = 2 + kLloydSteps;

// Returns the weight of largest magnitude of the 32 weights `x` (the positive one of a tie; +0
// for an all-zero run) from the range, as the SIMD kernel computes it.
float Extreme(const float* x) {
  float lo = x[0], hi = x[0];
  for (int j = 1; j < kSubBlock; ++j) {
    lo = std::min(lo, x[j]);
    hi = std::max(hi, x[j]);
  }
  lo += 0.0f;
  hi += 0.0f;
  return hi >= -lo ? hi : lo;
}

// Measures and refits scales of one 32-weight sub-block under weights `w`.
class Iq4SubBlock {
 public:
  Iq4SubBlock() = default;
  Iq4SubBlock(const float* x, const float* w) : x_(x), w_(w) {}

  // Returns sum w (x - decoded)^2 with the nearest codes under `scale` (as stored).
  double Error(float scale) const {
    const SubBlockMap map{scale, 0.0f};
    double err = 0.0;
    for (int j = 0; j < kSubBlock; ++j) {
      const float decoded = LevelValue(LegacyType::kIq4Nl, NearestCode(LegacyType::kIq4Nl, map, x_[j])) * scale;
      const double e = static_cast<double>(x_[j]) - decoded;
      err += static_cast<double>(w_[j]) * e * e;
    }
    return err;
  }

  // Assigns the levels nearest to x * inv; returns false when they carry no weight, else writes
  // their weighted least-squares scale and its score (the error it removes).
  bool Refit(float inv, float& scale, double& score) const {
    float sqx = 0.0f, sq2 = 0.0f;  // 32 terms: f32 is plenty
    for (int j = 0; j < kSubBlock; ++j) {
      const float q = kIq4Values[Iq4Nearest(x_[j] * inv)];
      sqx += w_[j] * q * x_[j];
      sq2 += w_[j] * q * q;
    }
    if (!(sq2 > 0.0f)) return false;
    scale = sqx / sq2;
    score = static_cast<double>(sqx) * sqx / sq2;
    return true;
  }

  // Writes the candidate scales (unrounded) of the weighted search to `out` and returns their
  // count: the best least-squares fit of the sweep, then its Lloyd refinements; `fast` first.
  int Candidates(float fast, float* out) const {
    int count = 0;
    out[count++] = fast;
    const float e = Extreme(x_);
    if (e == 0.0f) return count;
    float best = 0.0f, scale;
    double best_score = -1.0, score;
    for (int v : {-127, 113}) {
      for (int o = -kSweep; o <= kSweep; o += kSweepStep) {
        if (Refit(static_cast<float>(v + o) / e, scale, score) && score > best_score) {
          best_score = score;
          best = scale;
        }
      }
    }
    if (best_score < 0.0) return count;
    out[count++] = best;
    for (int step = 0; step < kLloydSteps && best != 0.0f; ++step) {
      if (!Refit(1.0f / best, best, score)) break;
      out[count++] = best;
    }
    return count;
  }

 private:
  const float* x_ = nullptr;
  const float* w_ = nullptr;
};

// Returns the candidate with the least error after `round` (f16 rounding or none).
template <typename Round>
float BestMeasured(const Iq4SubBlock& sub, const float* candidates, int count, Round round, double* err_out) {
  float best = round(candidates[0]);
  double best_err = sub.Error(best);
  for (int c = 1; c < count; ++c) {
    const float scale = round(candidates[c]);
    const double err = sub.Error(scale);
    if (err < best_err) {
      best_err = err;
      best = scale;
    }
  }
  if (err_out) *err_out = best_err;
  return best;
}

// Returns the 6-bit scale index (ls - 32, in -32..31) nearest to scale / d (d != 0).
int NearestLs(float scale, float d) {
  const float l = RoundToEven(scale / d);
  return static_cast<int>(std::min(std::max(l, -32.0f), 31.0f));
}

// Returns the index of the scale of largest magnitude (the first one of a tie) of scales[8].
int LargestScale(const float* scales) {
  int arg = 0;
  for (int s = 1; s < kIq4XsBlock / kSubBlock; ++s) {
    if (std::fabs(scales[s]) > std::fabs(scales[arg])) arg = s;
  }
  return arg;
}

// Writes iq4_xs scales for super-block scale `d` (as stored), choosing each ls among the nearest
// to scales[s] / d and its two neighbours by measured error; returns the total error.
double FitIq4XsScales(const Iq4SubBlock* subs, const float* scales, float d, uint8_t* block) {
  double total = 0.0;
  for (int s = 0; s < kIq4XsBlock / kSubBlock; ++s) {
    const int l0 = d == 0.0f ? 0 : NearestLs(scales[s], d);
    int best_l = l0;
    double best_err = subs[s].Error(d * static_cast<float>(l0));
    for (int l = std::max(l0 - 1, -32); l <= std::min(l0 + 1, 31); ++l) {
      const double err = l == l0 ? best_err : subs[s].Error(d * static_cast<float>(l));
      if (err < best_err) {
        best_err = err;
        best_l = l;
      }
    }
    SetIq4XsScale(block, s, best_l + 32);
    total += best_err;
  }
  return total;
}

}  // namespace

float Iq4FastScale(const float* x) {
  const float e = Extreme(x);
  if (e == 0.0f) return 0.0f;
  float best_d = 0.0f, best_score = -1.0f;
  const auto evaluate = [&](float inv) {
    float qx[kSubBlock];
    float sq2 = 0.0f;
    for (int j = 0; j < kSubBlock; ++j) {
      const float q = kIq4Values[Iq4Nearest(x[j] * inv)];
      qx[j] = q * x[j];
      sq2 += q * q;
    }
    const float sqx = FixedOrderSum32(qx);
    const float score = sqx * sqx / sq2;
    if (score > best_score) {
      best_score = score;
      best_d = sqx / sq2;
    }
  };
  for (int c = 0; c < kIq4FastTries; ++c) evaluate(Iq4FastInverse(c, e));
  evaluate(1.0f / best_d);
  return best_d;
}

void Iq4XsHeaderFromScales(const float* scales, uint8_t* block) {
  const float d = StoreF16(block, -scales[LargestScale(scales)] / 32.0f + 0.0f);
  for (int s = 0; s < kIq4XsBlock / kSubBlock; ++s) SetIq4XsScale(block, s, (d == 0.0f ? 0 : NearestLs(scales[s], d)) + 32);
}

void FitIq4Fast(LegacyType type, const float* x, uint8_t* block) {
  if (type == LegacyType::kIq4Nl) {
    StoreF16(block, Iq4FastScale(x));
    return;
  }
  float scales[kIq4XsBlock / kSubBlock];
  for (int s = 0; s < kIq4XsBlock / kSubBlock; ++s) scales[s] = Iq4FastScale(x + kSubBlock * s);
  Iq4XsHeaderFromScales(scales, block);
}

void FitIq4Weighted(LegacyType type, const float* x, const float* importance, uint8_t* block) {
  const auto to_f16 = [](float f) { return F16ToF32Ref(F16Saturating(f)); };
  float candidates[kMaxCandidates];
  if (type == LegacyType::kIq4Nl) {
    const Iq4SubBlock sub(x, importance);
    const int count = sub.Candidates(Iq4FastScale(x), candidates);
    StoreF16(block, BestMeasured(sub, candidates, count, to_f16, nullptr));
    return;
  }
  constexpr int kSubs = kIq4XsBlock / kSubBlock;
  Iq4SubBlock subs[kSubs];
  float fast[kSubs], scales[kSubs];
  for (int s = 0; s < kSubs; ++s) {
    subs[s] = Iq4SubBlock(x + kSubBlock * s, importance + kSubBlock * s);
    fast[s] = Iq4FastScale(x + kSubBlock * s);
    const int count = subs[s].Candidates(fast[s], candidates);
    scales[s] = BestMeasured(subs[s], candidates, count, [](float f) { return f; }, nullptr);
  }
  // Candidates for the super-block scale: the fast header's, and the largest sub-block scale on
  // the -32 or the +31 end of the ls range; the one with the least total error wins.
  uint8_t trial[CodesOffset(LegacyType::kIq4Xs)] = {};
  Iq4XsHeaderFromScales(fast, block);
  double best_err = FitIq4XsScales(subs, fast, LoadF16(block), block);
  const float largest = scales[LargestScale(scales)];
  for (float divisor : {-32.0f, 31.0f}) {
    const float d = StoreF16(trial, largest / divisor + 0.0f);
    const double err = FitIq4XsScales(subs, scales, d, trial);
    if (err < best_err) {
      best_err = err;
      std::copy(trial, trial + CodesOffset(LegacyType::kIq4Xs), block);
    }
  }
}

}  // namespace shrink::ggml_legacy
