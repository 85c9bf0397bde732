// Row kernels of the ggml k-quants: dequantize, fused dot and nearest-level assignment; SIMD and Ref twins.
#ifndef SHRINK_SRC_KERNELS_FORMATS_KQUANT_H_
#define SHRINK_SRC_KERNELS_FORMATS_KQUANT_H_

#include <cstdint>

#include "shrink/formats/quant_format.h"
#include "src/formats/ggml_kquant_layout.h"

namespace shrink::kernels {

// Decodes `num_blocks` consecutive super-blocks of `type` into 256 * num_blocks floats, with
// ggml's arithmetic (formats/ggml_kquant_layout.h); the SIMD kernel equals the Ref bit for bit.
void KQuantDequantizeRow(kquant::KQuantType type, const uint8_t* blocks, int64_t num_blocks, float* out) noexcept;
void KQuantDequantizeRowRef(kquant::KQuantType type, const uint8_t* blocks, int64_t num_blocks, float* out) noexcept;

// Returns the dot product of the decoded super-blocks with x (256 * num_blocks floats) without
// materializing the row; the Ref decodes and accumulates in double.
float KQuantDotRow(kquant::KQuantType type, const uint8_t* blocks, int64_t num_blocks, const float* x) noexcept;
float KQuantDotRowRef(kquant::KQuantType type, const uint8_t* blocks, int64_t num_blocks, const float* x) noexcept;

// Writes grids[i / sub_size].NearestLevel(x[i], levels) for i < count (`levels` uniform,
// count a multiple of sub_size, sub_size a multiple of 16).
void KQuantNearestLevels(const float* x, int64_t count, int sub_size, const SubBlockGrid* grids,
                         const LevelTable& levels, uint8_t* out) noexcept;
void KQuantNearestLevelsRef(const float* x, int64_t count, int sub_size, const SubBlockGrid* grids,
                            const LevelTable& levels, uint8_t* out) noexcept;

// Stores the levels of a super-block's 256 weights into its code bytes, leaving the header
// untouched; equals kquant::PackLevels.
void KQuantPackLevels(kquant::KQuantType type, const uint8_t* levels, uint8_t* block) noexcept;

}  // namespace shrink::kernels

#endif  // SHRINK_SRC_KERNELS_FORMATS_KQUANT_H_
