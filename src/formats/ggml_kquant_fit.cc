// The k-quant super-block search (see ggml_kquant_fit.h): data layout, super-scale choice, refits.
#include "src/formats/ggml_kquant_fit.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "src/kernels/formats/kquant.h"
#include "src/kernels/formats/kquant_search.h"

namespace shrink::kquant {
namespace {

// Least-squares refits of the super-block scale in ChooseSuperScale.
constexpr int kSuperScaleRefits = 2;
// Candidate positions of the largest sub-block scale below the end of the code range.
constexpr int kSuperScaleCandidates = 4;
// Nearest-level / least-squares alternations after the grid of the sub-block search.
constexpr int kRefineSteps = 2;

// The search kernels of one implementation.
struct SearchKernels {
  void (*transpose)(int, int, const float*, const float*, float*, float*) noexcept;
  void (*fit)(const kernels::KQuantProblem&, const float*, const float*, kernels::KQuantSubFits*) noexcept;
  void (*refine)(const kernels::KQuantProblem&, const float*, const float*, float, float, float, float, float*,
                 float*) noexcept;
  void (*sums)(const kernels::KQuantProblem&, const float*, const float*, float, float, const float*, const float*,
               kernels::KQuantLevelSums*) noexcept;
};

const SearchKernels& KernelsOf(KernelChoice choice) {
  static constexpr SearchKernels kSimd{kernels::KQuantTranspose, kernels::KQuantFitSubBlocks,
                                       kernels::KQuantRefineCodes, kernels::KQuantLevelSumsOf};
  static constexpr SearchKernels kRef{kernels::KQuantTransposeRef, kernels::KQuantFitSubBlocksRef,
                                      kernels::KQuantRefineCodesRef, kernels::KQuantLevelSumsOfRef};
  return choice == KernelChoice::kSimd ? kSimd : kRef;
}

// Returns `value` rounded to f16, saturated to the largest finite f16.
float ToF16Saturated(float value) {
  constexpr float kF16Max = 65504.0f;
  return F16ToF32Ref(F32ToF16Ref(std::min(std::max(value, -kF16Max), kF16Max)));
}

// Returns v rounded to the nearest integer, ties to even (|v| < 2^22).
inline float RoundToInt(float v) {
  constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23: adding it leaves no fraction bits
  return (v + kMagic) - kMagic;
}

// Returns the f16 super-block scale d, and codes[j] in [code_min, code_max], minimizing
// sum_j curvature[j] * (d * codes[j] - values[j])^2 over a few candidates of d.
float ChooseSuperScale(const float* values, const float* curvature, int count, int code_min, int code_max,
                       float* codes) {
  float peak = 0.0f, amax = 0.0f;  // signed value of largest magnitude (largest value for codes >= 0)
  for (int j = 0; j < count; ++j) {
    const float v = code_min < 0 ? values[j] : std::max(values[j], 0.0f);
    if (std::fabs(v) > amax) {
      amax = std::fabs(v);
      peak = v;
    }
  }
  const float lo = static_cast<float>(code_min), hi = static_cast<float>(code_max);
  const auto code_of = [&](float v, float inv_d) { return std::min(std::max(RoundToInt(v * inv_d), lo), hi); };
  float best_d = 0.0f, best_err = std::numeric_limits<float>::infinity();
  const auto consider = [&](float candidate) {
    const float d = ToF16Saturated(candidate);
    if (d == 0.0f) return;
    const float inv_d = 1.0f / d;
    float err = 0.0f;
    for (int j = 0; j < count; ++j) {
      const float e = d * code_of(values[j], inv_d) - values[j];
      err += curvature[j] * e * e;
    }
    if (err < best_err) {
      best_err = err;
      best_d = d;
    }
  };
  if (amax > 0.0f) {
    for (int c = 0; c < kSuperScaleCandidates; ++c) {
      const float t = 0.5f + 3.0f * static_cast<float>(c) / kSuperScaleCandidates;
      consider(peak / (static_cast<float>(code_max) + 1.0f - t));
      if (code_min < 0) consider(peak / (static_cast<float>(code_min) - 1.0f + t));
    }
    for (int refit = 0; refit < kSuperScaleRefits && best_d != 0.0f; ++refit) {
      double num = 0.0, den = 0.0;
      for (int j = 0; j < count; ++j) {
        const double q = code_of(values[j], 1.0f / best_d);
        num += static_cast<double>(curvature[j]) * q * values[j];
        den += static_cast<double>(curvature[j]) * q * q;
      }
      if (den > 0.0) consider(static_cast<float>(num / den));
    }
  }
  for (int j = 0; j < count; ++j) codes[j] = best_d == 0.0f ? 0.0f : code_of(values[j], 1.0f / best_d);
  return best_d;
}

// Returns the total of the per-sub-block errors.
double TotalError(const kernels::KQuantLevelSums& sums, int num_sub) {
  double total = 0.0;
  for (int j = 0; j < num_sub; ++j) total += sums.error[j];
  return total;
}

// The super-block scales and sub-block codes being chosen.
struct Header {
  float d = 0.0f, dmin = 0.0f;
  float sc[kMaxSubBlocks] = {}, m[kMaxSubBlocks] = {};
};

// Refits d and dmin jointly by least squares to the header's codes and their nearest levels
// (w = d * sc_j * l - dmin * m_j), keeping the f16-rounded result when its exact error is lower.
void RefitSuperScales(const SearchKernels& k, const kernels::KQuantProblem& p, const float* xt, const float* wt,
                      const kernels::KQuantSubFits& fits, Header& h) {
  kernels::KQuantLevelSums sums;
  k.sums(p, xt, wt, h.d, h.dmin, h.sc, h.m, &sums);
  double a11 = 0.0, a12 = 0.0, a22 = 0.0, b1 = 0.0, b2 = 0.0;  // normal equations in (d, dmin)
  for (int j = 0; j < p.num_sub; ++j) {
    a11 += static_cast<double>(h.sc[j]) * h.sc[j] * sums.sum_wl2[j];
    a12 -= static_cast<double>(h.sc[j]) * h.m[j] * sums.sum_wl[j];
    a22 += static_cast<double>(h.m[j]) * h.m[j] * fits.sum_w[j];
    b1 += static_cast<double>(h.sc[j]) * sums.sum_wlx[j];
    b2 -= static_cast<double>(h.m[j]) * fits.sum_wx[j];
  }
  double d = h.d, dmin = h.dmin;
  const double det = a11 * a22 - a12 * a12;
  if (p.has_mins && det > 0.0) {
    d = (b1 * a22 - a12 * b2) / det;
    dmin = (a11 * b2 - a12 * b1) / det;
  } else if (a11 > 0.0) {
    d = b1 / a11;
  }
  const float refit_d = ToF16Saturated(static_cast<float>(d));
  const float refit_dmin = p.has_mins ? ToF16Saturated(static_cast<float>(dmin)) : 0.0f;
  if (refit_d == h.d && refit_dmin == h.dmin) return;
  kernels::KQuantLevelSums refit;
  k.sums(p, xt, wt, refit_d, refit_dmin, h.sc, h.m, &refit);
  if (TotalError(refit, p.num_sub) < TotalError(sums, p.num_sub)) {
    h.d = refit_d;
    h.dmin = refit_dmin;
  }
}

// Writes the header into `block` and each sub-block's map, read back as the decoder reads it.
void StoreHeader(const KQuantSpec& spec, const Header& h, uint8_t* block, SubBlockGrid* grids) {
  int sc[kMaxSubBlocks], m[kMaxSubBlocks];
  for (int j = 0; j < spec.num_sub(); ++j) {
    sc[j] = static_cast<int>(h.sc[j]);
    m[j] = static_cast<int>(h.m[j]);
  }
  StoreF16(h.d, block + spec.d_offset);
  if (spec.has_mins) StoreF16(h.dmin, block + spec.dmin_offset);
  WriteCodes(spec, sc, m, block);
  float mul[kMaxSubBlocks], sub[kMaxSubBlocks];
  ReadSubBlockMaps(spec, block, mul, sub);
  for (int j = 0; j < spec.num_sub(); ++j) grids[j] = SubBlockGrid{mul[j], -sub[j]};
}

}  // namespace

LevelTable LevelsOf(const KQuantSpec& spec) {
  LevelTable table;
  for (int v = spec.level_min(); v <= spec.level_max(); ++v) table.values.push_back(static_cast<float>(v));
  table.uniform = true;
  return table;
}

kernels::KQuantProblem ProblemOf(const KQuantSpec& spec, bool weighted) {
  kernels::KQuantProblem p;
  p.sub_size = spec.sub_size;
  p.num_sub = spec.num_sub();
  p.level_min = static_cast<float>(spec.level_min());
  p.level_max = static_cast<float>(spec.level_max());
  p.has_mins = spec.has_mins;
  p.weighted = weighted;
  p.grid = weighted ? spec.weighted : spec.plain;
  p.refine_steps = kRefineSteps;
  return p;
}

void FitSuperBlock(const KQuantSpec& spec, const float* x, const float* importance, KernelChoice choice,
                   uint8_t* block, SubBlockGrid* grids) noexcept {
  const SearchKernels& k = KernelsOf(choice);
  const kernels::KQuantProblem p = ProblemOf(spec, importance != nullptr);
  alignas(64) float xt[kSuperBlock], wt[kSuperBlock];
  k.transpose(p.sub_size, p.num_sub, x, importance, xt, wt);

  // 1. Continuous per-sub-block fits.
  kernels::KQuantSubFits fits;
  k.fit(p, xt, wt, &fits);
  // 2. Super-block scales and integer codes.
  Header h;
  h.d = ChooseSuperScale(fits.scale, fits.sum_wl2, p.num_sub, spec.code_min, spec.code_max, h.sc);
  if (spec.has_mins) {
    float mins[kMaxSubBlocks];
    for (int j = 0; j < p.num_sub; ++j) mins[j] = -fits.offset[j];
    h.dmin = ChooseSuperScale(mins, fits.sum_w, p.num_sub, 0, spec.code_max, h.m);
  }
  // 3. One-step code changes scored by the exact error.
  k.refine(p, xt, wt, h.d, h.dmin, static_cast<float>(spec.code_min), static_cast<float>(spec.code_max), h.sc, h.m);
  // 4. Joint refit of the super-block scales.
  RefitSuperScales(k, p, xt, wt, fits, h);
  StoreHeader(spec, h, block, grids);
}

void QuantizeRowRef(const KQuantSpec& spec, const float* x, const float* importance, int64_t num_blocks,
                    uint8_t* out) {
  const LevelTable levels = LevelsOf(spec);
  SubBlockGrid grids[kMaxSubBlocks];
  uint8_t chosen[kSuperBlock];
  for (int64_t b = 0; b < num_blocks; ++b) {
    uint8_t* block = out + b * spec.block_bytes;
    const float* xb = x + b * kSuperBlock;
    FitSuperBlock(spec, xb, importance ? importance + b * kSuperBlock : nullptr, KernelChoice::kRef, block, grids);
    kernels::KQuantNearestLevelsRef(xb, kSuperBlock, spec.sub_size, grids, levels, chosen);
    PackLevels(spec, chosen, block);
  }
}

}  // namespace shrink::kquant
