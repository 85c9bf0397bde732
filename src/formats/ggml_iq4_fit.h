// Scale searches of the non-linear ggml types iq4_nl and iq4_xs: the fast search the SIMD encoder
// reproduces bit for bit, and the importance-weighted search.
//
// Fast search of one 32-weight sub-block (plain squared error): with e the weight of largest
// magnitude (the larger one when +e and -e tie), try the inverse scales
//     inv_c = (v + 3 o) / e,  v in {-127, 113} (e on the first or on the last level), o in -2..2,
// then once more inv = 1 / d_best (a Lloyd step). Each try assigns every weight its nearest level
// q_j for t = x_j * inv and scores sum(q x)^2 / sum(q^2) (the error reduction of the least-squares
// scale d = sum(q x) / sum(q^2)); the best try's d is the sub-block scale. sum(q^2) is an exact
// integer; sum(q x) is added in the fixed order of FixedOrderSum32, so SIMD and scalar agree.
// iq4_nl stores d as f16. iq4_xs stores D = -s / 32 as f16, s being the sub-block scale of largest
// magnitude, and each ls = clamp(nearest(d / D), -32, 31) + 32. Codes are then the nearest levels
// under the stored scales (QuantFormat's nearest rule), not under unrounded ones as in ggml.
#ifndef SHRINK_SRC_FORMATS_GGML_IQ4_FIT_H_
#define SHRINK_SRC_FORMATS_GGML_IQ4_FIT_H_

#include <cstdint>

#include "src/formats/ggml_legacy_blocks.h"

namespace shrink::ggml_legacy {

// The tries of the fast search before its Lloyd step.
constexpr int kIq4FastTries = 10;

// Returns the inverse scale of fast try `c` (0 <= c < kIq4FastTries) for extreme weight `e`.
inline float Iq4FastInverse(int c, float e) {
  const int v = c < 5 ? -127 : 113;
  return static_cast<float>(v + 3 * (c % 5 - 2)) / e;
}

// Returns the sum of t[0..32) in the fixed order of the SIMD kernels: p_l = t_l + t_(l+16) for
// l < 16, then p_l += p_(l+h) for h = 8, 4, 2, 1; the result is p_0.
inline float FixedOrderSum32(const float* t) {
  float p[16];
  for (int l = 0; l < 16; ++l) p[l] = t[l] + t[l + 16];
  for (int h = 8; h >= 1; h /= 2) {
    for (int l = 0; l < h; ++l) p[l] += p[l + h];
  }
  return p[0];
}

// Returns the fast search's scale (unrounded, signed; 0 for an all-zero sub-block) of 32 weights.
float Iq4FastScale(const float* x);

// Writes the iq4_xs scales (d and every ls) for the fast sub-block scales `scales[8]`.
void Iq4XsHeaderFromScales(const float* scales, uint8_t* block);

// Writes the fast header of an iq4_nl or iq4_xs block of weights `x`.
void FitIq4Fast(LegacyType type, const float* x, uint8_t* block);

// Writes the header minimizing sum_j importance[j] * (x[j] - decoded[j])^2: per sub-block a wider
// search of weighted least-squares scales, measured exactly (rounded, nearest codes); for iq4_xs
// then the super-block scale and each 6-bit ls, again by measured error. Never worse than the
// fast header, which is one of the candidates.
void FitIq4Weighted(LegacyType type, const float* x, const float* importance, uint8_t* block);

}  // namespace shrink::ggml_legacy

#endif  // SHRINK_SRC_FORMATS_GGML_IQ4_FIT_H_
