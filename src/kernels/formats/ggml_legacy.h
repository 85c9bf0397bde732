// Row kernels of ggml's legacy and iq4 block types (src/formats/ggml_legacy_blocks.h): quantize,
// encode, dequantize, dot; SIMD and scalar Ref twins.
#ifndef SHRINK_SRC_KERNELS_FORMATS_GGML_LEGACY_H_
#define SHRINK_SRC_KERNELS_FORMATS_GGML_LEGACY_H_

#include <cstdint>

#include "src/formats/ggml_legacy_blocks.h"

namespace shrink::kernels {

// Each works on one row of `cols` weights, a multiple of ggml_legacy::BlockElems(type), stored
// as cols / BlockElems blocks of BlockBytes each. The SIMD kernel and its Ref twin produce the
// same bytes (quantize, encode) and the same floats (dequantize) on every target.

// Quantizes `x` into `blocks`: the fast header of each block (ggml_legacy::FitLinearFast,
// FitIq4Fast) and the nearest code of every weight under the stored header.
void GgmlLegacyQuantizeRow(ggml_legacy::LegacyType type, const float* x, int64_t cols, uint8_t* blocks) noexcept;
void GgmlLegacyQuantizeRowRef(ggml_legacy::LegacyType type, const float* x, int64_t cols, uint8_t* blocks) noexcept;

// Writes the nearest code of every weight of `x` under the headers already stored in `blocks`
// (ggml_legacy::NearestCode), leaving the headers as they are.
void GgmlLegacyEncodeRow(ggml_legacy::LegacyType type, const float* x, int64_t cols, uint8_t* blocks) noexcept;
void GgmlLegacyEncodeRowRef(ggml_legacy::LegacyType type, const float* x, int64_t cols, uint8_t* blocks) noexcept;

// Decodes `blocks` into `out` exactly as ggml's dequantize_row_* (ggml_legacy::DecodeWeightRef).
void GgmlLegacyDequantizeRow(ggml_legacy::LegacyType type, const uint8_t* blocks, int64_t cols, float* out) noexcept;
void GgmlLegacyDequantizeRowRef(ggml_legacy::LegacyType type, const uint8_t* blocks, int64_t cols,
                                float* out) noexcept;

// Returns sum_j decoded_j * x[j] without materializing the row (f32 accumulation per lane; the
// Ref accumulates the exact products in double).
float GgmlLegacyDotRow(ggml_legacy::LegacyType type, const uint8_t* blocks, int64_t cols, const float* x) noexcept;
float GgmlLegacyDotRowRef(ggml_legacy::LegacyType type, const uint8_t* blocks, int64_t cols, const float* x) noexcept;

}  // namespace shrink::kernels

#endif  // SHRINK_SRC_KERNELS_FORMATS_GGML_LEGACY_H_
