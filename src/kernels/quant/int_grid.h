// Row kernels of the integer grid format (rtn): quantize, dequantize, dot; SIMD and Ref twins.
#ifndef SHRINK_SRC_KERNELS_QUANT_INT_GRID_H_
#define SHRINK_SRC_KERNELS_QUANT_INT_GRID_H_

#include <cstdint>

#include "shrink/formats/int_grid.h"

namespace shrink::kernels {

// Quantizes one row of `cols` weights in groups of `group_size` (the last may be shorter):
// writes each group's parameters to params[g] and one unpacked code per weight to `codes`.
void IntGridQuantizeRow(const float* row, int64_t cols, int64_t group_size, const IntGridSpec& spec,
                        IntGridParams* params, uint8_t* codes) noexcept;
void IntGridQuantizeRowRef(const float* row, int64_t cols, int64_t group_size, const IntGridSpec& spec,
                           IntGridParams* params, uint8_t* codes) noexcept;

// Decodes one row of unpacked `codes` with per-group `params` into `out`.
void IntGridDequantizeRow(const uint8_t* codes, int64_t cols, int64_t group_size,
                          const IntGridParams* params, float* out) noexcept;
void IntGridDequantizeRowRef(const uint8_t* codes, int64_t cols, int64_t group_size,
                             const IntGridParams* params, float* out) noexcept;

// Returns sum_j decode(codes[j]) * x[j] over one row, computed per group as
// scale * (sum code*x - zero * sum x) without materialising the weights.
float IntGridDotRow(const uint8_t* codes, int64_t cols, int64_t group_size, const IntGridParams* params,
                    const float* x) noexcept;
float IntGridDotRowRef(const uint8_t* codes, int64_t cols, int64_t group_size,
                       const IntGridParams* params, const float* x) noexcept;

// Packs `count` codes of `bits` bits into the LSB-first stream of formats/int_grid.h
// (PackedRowBytes(count, bits) bytes); equals PackCodesRef.
void PackCodes(const uint8_t* codes, int64_t count, int bits, uint8_t* out) noexcept;
// Unpacks `count` codes of `bits` bits; equals UnpackCodesRef.
void UnpackCodes(const uint8_t* in, int64_t count, int bits, uint8_t* codes) noexcept;

}  // namespace shrink::kernels

#endif  // SHRINK_SRC_KERNELS_QUANT_INT_GRID_H_
