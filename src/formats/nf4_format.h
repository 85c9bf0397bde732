// nf4: QLoRA's 4-bit NormalFloat with one f32 absmax per block of 64 weights.
//
// Layout of a rows x cols weight (cols % 64 == 0):
//   packed  u8  [rows, cols/2]   4-bit codes, two per byte: weight 2i in the HIGH nibble of byte i
//                                and weight 2i+1 in the low nibble (bitsandbytes' order)
//   absmax  f32 [rows, cols/64]  the scale of each block of 64 weights (QLoRA before double
//                                quantization); finite and >= 0, anything else is corrupt
//   w[j] = kNf4[code[j]] * absmax[j/64]   (one f32 multiplication)
// kNf4 is bitsandbytes' NF4 table (Dettmers et al. 2023), ascending, so a code is its level index:
//   -1, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
//   -0.18477343022823334, -0.09105003625154495, 0, 0.07958029955625534, 0.16093020141124725,
//   0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
//   0.7229568362236023, 1   (the f32 values of these decimals; code 7 is 0).
// Bits per weight: 4 + 32/64 = 4.5.
// Encoding: a weight takes the level nearest to w / scale (ties to the lower level). The scale
// starts as QLoRA's absmax; the encoder keeps instead 0.9 absmax, or the least-squares refit of
// the levels chosen at absmax or at 0.9 absmax, when that lowers the block's (importance-
// weighted) squared error (kernels::Quantize4BitRow). Readers need nothing new: they decode it
// as they decode bitsandbytes' absmax. On Gaussian weights this lowers the relative RMS error
// from 0.0918 (absmax) to 0.0864.
#ifndef SHRINK_SRC_FORMATS_NF4_FORMAT_H_
#define SHRINK_SRC_FORMATS_NF4_FORMAT_H_

#include <array>
#include <memory>

#include "shrink/formats/quant_format.h"

namespace shrink {

// Returns the value of each nf4 code (bitsandbytes' table, ascending).
const std::array<float, 16>& Nf4CodeValues();

// Returns the nf4 format (a Block4Format, fp4_formats.h).
std::unique_ptr<QuantFormat> MakeNf4Format();

}  // namespace shrink

#endif  // SHRINK_SRC_FORMATS_NF4_FORMAT_H_
