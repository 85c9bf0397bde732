// Integer dot kernels of the ggml k-quants against an int8-rounded input vector; SIMD and Ref twins.
#ifndef SHRINK_SRC_KERNELS_FORMATS_KQUANT_Q8DOT_H_
#define SHRINK_SRC_KERNELS_FORMATS_KQUANT_Q8DOT_H_

#include <cstdint>

#include "src/formats/ggml_kquant_layout.h"
#include "src/kernels/formats/q8_activations.h"

namespace shrink::kernels {

// Returns sum_j w_j * x.scale[j / 32] * x.codes[j] over the 256 * num_blocks weights w_j of
// `num_blocks` consecutive super-blocks of `type` (w_j decoded as in formats/ggml_kquant_layout.h).
// The SIMD kernel multiplies (level - offset) by the input codes in integers, scales each
// sub-block's integer sums by d * sc_j * x.scale in f32 and takes the "- dmin * m_j" term from
// x.sums; it agrees with the Ref, which sums the decoded weights times the inputs in double, to
// about 1e-5 * sum_j |w_j * x.scale[j / 32] * x.codes[j]|.
float KQuantDotQ8Row(kquant::KQuantType type, const uint8_t* blocks, int64_t num_blocks, const Q8Input& x) noexcept;
float KQuantDotQ8RowRef(kquant::KQuantType type, const uint8_t* blocks, int64_t num_blocks,
                        const Q8Input& x) noexcept;

}  // namespace shrink::kernels

#endif  // SHRINK_SRC_KERNELS_FORMATS_KQUANT_Q8DOT_H_
