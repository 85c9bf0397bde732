// Integer dot kernels of ggml's legacy and iq4 block types against an input rounded to int8
// blocks (Q8Input): one row of blocks times the input; SIMD and scalar Ref twins.
#ifndef SHRINK_SRC_KERNELS_FORMATS_GGML_LEGACY_Q8DOT_H_
#define SHRINK_SRC_KERNELS_FORMATS_GGML_LEGACY_Q8DOT_H_

#include <cstdint>

#include "src/formats/ggml_legacy_blocks.h"
#include "src/kernels/formats/q8_activations.h"

namespace shrink::kernels {

// Returns sum_j w_j * x.scale[j / 32] * x.codes[j] over a row of `cols` weights (a multiple of
// ggml_legacy::BlockElems(type)) stored as ggml blocks, w_j the weight as ggml decodes it. The
// SIMD kernel forms the exact integer sum of level * input code per 32 weights and multiplies it
// by one f32 scale (the weight run's scale times the input block's scale); q4_1 and q5_1 add
// m * input scale * the input block's code sum (x.sums). It is within 1e-5 * sum_j |w_j * xq_j|
// of the Ref (xq_j the rounded input), except that for q4_1 and q5_1 the bound is relative to
// |code * d| + |m| where those nearly cancel. Weights at level 0 of a linear type give exactly 0.
float GgmlLegacyDotQ8Row(ggml_legacy::LegacyType type, const uint8_t* blocks, int64_t cols,
                         const Q8Input& x) noexcept;
// The definition: the double sum of ggml_legacy::DecodeWeightRef * (x.scale * x.codes).
float GgmlLegacyDotQ8RowRef(ggml_legacy::LegacyType type, const uint8_t* blocks, int64_t cols,
                            const Q8Input& x) noexcept;

}  // namespace shrink::kernels

#endif  // SHRINK_SRC_KERNELS_FORMATS_GGML_LEGACY_Q8DOT_H_
