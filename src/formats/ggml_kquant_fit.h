// The scale search of the ggml k-quants (FitSuperBlock) and their scalar reference encoder.
//
// A super-block is fit in four steps, minimizing the importance-weighted squared error
// sum_i w_i (decoded_i - x_i)^2 (w = importance, or 1 without one):
//  1. Per sub-block, a continuous least-squares fit: for each scale of a grid of candidates the
//     weights are rounded to levels, (scale, offset) are refit by weighted least squares (offset
//     <= 0, or none for q3_k/q6_k) and the best kept; then two alternations of nearest-level
//     assignment and refit (kernels/formats/kquant_search.h: one SIMD lane per sub-block).
//  2. The f16 super-block scales d (and dmin) and the integer sub-block codes: a few candidate d
//     around the largest sub-block scale over the code range plus least-squares refits, each
//     scored by the curvature-weighted error of the rounded codes (sum_j A_j (d sc_j - s_j)^2,
//     A_j = sum of w l^2 of sub-block j; sum of w for the mins).
//  3. Each sub-block tries one-step changes of sc, of m, and of both in the same direction,
//     keeping the codes whose exact error after nearest-level assignment is least.
//  4. d and dmin are refit jointly by least squares to the chosen codes and levels, and kept
//     when the exact error drops.
// Compared with ggml's quantize_row_qX_K_ref / quantize_qX_K, this optimizes the exact final
// error (after the 4- to 8-bit rounding of the sub-block codes) rather than the continuous
// one, and weights each squared error by the importance itself.
#ifndef SHRINK_SRC_FORMATS_GGML_KQUANT_FIT_H_
#define SHRINK_SRC_FORMATS_GGML_KQUANT_FIT_H_

#include <cstdint>

#include "shrink/formats/quant_format.h"
#include "src/formats/ggml_kquant_layout.h"
#include "src/kernels/formats/kquant_search.h"

namespace shrink::kquant {

// Which implementation of the search kernels runs: the dispatched SIMD kernels, or their
// scalar Ref twins (which give the same bytes).
enum class KernelChoice { kSimd, kRef };

// Returns the level table of `spec`: level_min .. level_max, uniform.
LevelTable LevelsOf(const KQuantSpec& spec);

// Returns the sub-block search problem FitSuperBlock poses for `spec`, with or without importances.
kernels::KQuantProblem ProblemOf(const KQuantSpec& spec, bool weighted);

// Chooses the header of the super-block of 256 weights `x` (`importance`: 256 non-negative
// weights, or null) and writes it into `block` (header bytes only), and each sub-block's map
// into `grids` (num_sub entries: scale = d * sc_j, bias = -(dmin * m_j), exactly as decoded).
void FitSuperBlock(const KQuantSpec& spec, const float* x, const float* importance, KernelChoice kernels,
                   uint8_t* block, SubBlockGrid* grids) noexcept;

// The scalar reference encoder: quantizes `num_blocks` super-blocks of `x` into `out` with the
// Ref search kernels, nearest levels and PackLevels (QuantizeRow gives the same bytes).
void QuantizeRowRef(const KQuantSpec& spec, const float* x, const float* importance, int64_t num_blocks,
                    uint8_t* out);

}  // namespace shrink::kquant

#endif  // SHRINK_SRC_FORMATS_GGML_KQUANT_FIT_H_
