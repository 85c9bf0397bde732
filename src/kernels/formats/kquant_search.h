// Scale-search kernels of the ggml k-quants, vectorized across the sub-blocks of a super-block.
//
// Each kernel works on one super-block whose weights and importances are stored transposed,
// xt[i * num_sub + j] = weight i of sub-block j, so that one SIMD lane follows one sub-block
// through exactly the operations of the scalar Ref twin: results are bit-identical on every
// target and for every vector width.
#ifndef SHRINK_SRC_KERNELS_FORMATS_KQUANT_SEARCH_H_
#define SHRINK_SRC_KERNELS_FORMATS_KQUANT_SEARCH_H_

#include <cstdint>

#include "src/formats/ggml_kquant_layout.h"

namespace shrink::kernels {

// Scales and spans of at most this magnitude are treated as 0 by the search (no f16 super-block
// scale can express them), which keeps every quotient finite for inputs within +-kKQuantMaxInput.
constexpr float kKQuantTiny = 1e-30f;
// The search expects inputs clamped to this magnitude (far beyond any k-quant's reach).
constexpr float kKQuantMaxInput = 1e9f;

// One search problem: the shape of a super-block's sub-blocks, its level values and grid.
struct KQuantProblem {
  int sub_size = 16;        // weights per sub-block
  int num_sub = 16;         // sub-blocks (8 or 16)
  float level_min = 0.0f;   // decoded level values level_min..level_max
  float level_max = 3.0f;
  bool has_mins = true;     // affine sub-blocks (w = s*l + offset, offset <= 0), else w = s*l
  bool weighted = true;     // false: every importance in wt is 1 (SIMD kernels skip the products)
  kquant::SearchGrid grid{};
  int refine_steps = 2;     // alternations of nearest assignment and least squares after the grid
};

// Writes a super-block's weights (clamped to +-kKQuantMaxInput) and importances transposed:
// xt[i * num_sub + j] = x[j * sub_size + i], wt likewise from `importance`, except that a
// sub-block whose importances sum to 0 or to a non-finite value (every sub-block when
// `importance` is null) gets importances 1.
void KQuantTranspose(int sub_size, int num_sub, const float* x, const float* importance, float* xt,
                     float* wt) noexcept;
void KQuantTransposeRef(int sub_size, int num_sub, const float* x, const float* importance, float* xt,
                        float* wt) noexcept;

// Per sub-block results of KQuantFitSubBlocks.
struct KQuantSubFits {
  float scale[kquant::kMaxSubBlocks];    // best continuous scale s_j (signed for formats without mins)
  float offset[kquant::kMaxSubBlocks];   // best offset (<= 0; 0 without mins)
  float sum_w[kquant::kMaxSubBlocks];    // sum of importances
  float sum_wx[kquant::kMaxSubBlocks];   // sum of importance * x
  float sum_wl2[kquant::kMaxSubBlocks];  // sum of importance * level^2 of the best assignment
};

// Finds each sub-block's least-squares (scale, offset) over the candidate grid followed by
// `refine_steps` nearest-level / least-squares alternations, minimizing the importance-weighted
// squared error.
void KQuantFitSubBlocks(const KQuantProblem& p, const float* xt, const float* wt, KQuantSubFits* out) noexcept;
void KQuantFitSubBlocksRef(const KQuantProblem& p, const float* xt, const float* wt, KQuantSubFits* out) noexcept;

// Returns true for the code steps (a to sc, b to m) that KQuantRefineCodes does not try: any
// step of m without mins, and steps of opposite signs (a sub-block's scale and min tend to move
// together, so (+1, -1) and (-1, +1) rarely help).
inline bool SkipCodeStep(bool has_mins, float a, float b) {
  return has_mins ? (a != 0.0f && b != 0.0f && a != b) : b != 0.0f;
}

// Improves the integer codes of each sub-block (scale sc[j] in [code_min, code_max], min m[j]
// in [0, code_max] for formats with mins; codes are passed as floats) by trying changes of one
// step to sc, m or both (SkipCodeStep), keeping the one with the least weighted error after
// nearest-level assignment under the maps scale = d * sc, sub = dmin * m.
void KQuantRefineCodes(const KQuantProblem& p, const float* xt, const float* wt, float d, float dmin, float code_min,
                       float code_max, float* sc, float* m) noexcept;
void KQuantRefineCodesRef(const KQuantProblem& p, const float* xt, const float* wt, float d, float dmin,
                          float code_min, float code_max, float* sc, float* m) noexcept;

// Per sub-block sums of the nearest-level assignment under given codes.
struct KQuantLevelSums {
  float sum_wl[kquant::kMaxSubBlocks];   // importance * level
  float sum_wl2[kquant::kMaxSubBlocks];  // importance * level^2
  float sum_wlx[kquant::kMaxSubBlocks];  // importance * level * x
  float error[kquant::kMaxSubBlocks];    // importance * (decoded - x)^2
};

// Assigns every weight its nearest level under the maps scale = d * sc[j], sub = dmin * m[j]
// and writes the sums that the least-squares refit of d and dmin needs.
void KQuantLevelSumsOf(const KQuantProblem& p, const float* xt, const float* wt, float d, float dmin,
                       const float* sc, const float* m, KQuantLevelSums* out) noexcept;
void KQuantLevelSumsOfRef(const KQuantProblem& p, const float* xt, const float* wt, float d, float dmin,
                          const float* sc, const float* m, KQuantLevelSums* out) noexcept;

}  // namespace shrink::kernels

#endif  // SHRINK_SRC_KERNELS_FORMATS_KQUANT_SEARCH_H_
