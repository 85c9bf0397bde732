// Row kernels of the float-like formats (nf4, mxfp4, nvfp4, fp8): quantize, dequantize, dot; SIMD and Ref twins.
//
// The 4-bit formats share one kernel family: codes of 4 bits, two per byte, with one scale per
// block of 16, 32 or 64 weights, decoded as w = code_value[code] * multiplier(block). A block's
// scale is the best of a few candidates (kernels::Quantize4BitRow documents them): the format's
// own rule first, then others kept only when they lower the block's importance-weighted squared
// error. The SIMD kernel works on as many blocks at once as a vector has lanes (one block per
// lane), so every per-block sum is taken in weight order exactly as the scalar Ref takes it, and
// on every target it writes exactly the Ref encoder's bytes.
#ifndef SHRINK_SRC_KERNELS_FORMATS_FLOAT_FORMATS_H_
#define SHRINK_SRC_KERNELS_FORMATS_FLOAT_FORMATS_H_

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "shrink/core/dtype.h"
#include "shrink/core/float_codec.h"

namespace shrink {

// How a 4-bit block format stores the scale of each block.
enum class BlockScaleCode : uint8_t {
  kF32,   // f32 (nf4's absmax), 4 bytes per block
  kE8M0,  // one byte e, the power of two 2^(e-127); e = 255 is NaN (mxfp4)
  kE4M3,  // one f8 e4m3fn byte, multiplied by the tensor scale (nvfp4)
};

// The levels and 4-bit codes of a format, laid out for 16-entry table lookups.
struct Codebook4 {
  int num_levels = 0;
  std::array<float, 16> level_value{};  // ascending; entries past num_levels repeat the last level
  // The level of t is the number of k with t >= threshold[k] (thresholds ascending, NaN past
  // num_levels - 1): exactly LevelTable::Nearest, ties included, found by binary search.
  std::array<float, 16> threshold{};
  std::array<int32_t, 16> level_code{};  // level index -> 4-bit code
  std::array<float, 16> code_value{};    // 4-bit code -> value
};

// Returns the codebook whose code c decodes to code_value[c]; the levels are the distinct values
// ascending, without -0.
Codebook4 MakeCodebook4(const std::array<float, 16>& code_value);

// Describes the rows of one 4-bit block format.
struct Quant4Spec {
  int64_t block = 32;              // weights per block: 16, 32 or 64
  bool high_nibble_first = false;  // weight 2i in the high nibble of byte i (bitsandbytes), else the low one
  BlockScaleCode scale_code = BlockScaleCode::kF32;
  const Codebook4* codebook = nullptr;
};

// Returns the f32 value of E8M0 byte `e`: 2^(e-127) (255, the NaN, gives +inf; callers validate).
inline float E8M0ToF32(uint8_t e) { return e == 0 ? F32FromBits(0x00400000u) : F32FromBits(uint32_t{e} << 23); }

// Returns F8E4M3ToF32Ref(byte) from a table (block scales are decoded once per 16 weights).
inline float E4M3Value(uint8_t byte) {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> values{};
    for (int c = 0; c < 256; ++c) values[static_cast<size_t>(c)] = F8E4M3ToF32Ref(static_cast<uint8_t>(c));
    return values;
  }();
  return table[byte];
}

// Returns what one block's scale occupies in its section, in bytes.
constexpr size_t BlockScaleBytes(BlockScaleCode code) { return code == BlockScaleCode::kF32 ? 4 : 1; }

// Returns the multiplier of block `b` of a row whose scales are at `scales` (the tensor scale
// applies to kE4M3 only).
inline float BlockMultiplier(BlockScaleCode code, const uint8_t* scales, int64_t b, float tensor_scale) {
  switch (code) {
    case BlockScaleCode::kF32: {
      float f;
      std::memcpy(&f, scales + 4 * b, sizeof(f));
      return f;
    }
    case BlockScaleCode::kE8M0: return E8M0ToF32(scales[b]);
    case BlockScaleCode::kE4M3: return E4M3Value(scales[b]) * tensor_scale;
  }
  return 0.0f;
}

// A block scale: the bits stored (f32 bits or one byte) and the multiplier they decode to.
struct BlockScale {
  uint32_t stored = 0;
  float multiplier = 0.0f;
};

// Writes `stored` as the scale of block `b`.
inline void StoreBlockScale(BlockScaleCode code, uint8_t* scales, int64_t b, uint32_t stored) {
  if (code == BlockScaleCode::kF32) {
    std::memcpy(scales + 4 * b, &stored, sizeof(stored));
  } else {
    scales[b] = static_cast<uint8_t>(stored);
  }
}

// Each returns the block scale of one kind of stored scale: an f32 multiplier, the power of two
// 2^exponent (-127..127) or e4m3 code `byte` (0..0x7E) times the tensor scale.
inline BlockScale F32BlockScale(float multiplier) { return {F32Bits(multiplier), multiplier}; }
inline BlockScale E8M0BlockScale(int exponent) {
  const auto e = static_cast<uint8_t>(exponent + 127);
  return {e, E8M0ToF32(e)};
}
inline BlockScale E4M3BlockScale(uint32_t byte, float tensor_scale) {
  return {byte, E4M3Value(static_cast<uint8_t>(byte)) * tensor_scale};
}

// Returns the scale each format's specification gives a block whose largest magnitude is `amax`:
// nf4 the absmax (QLoRA); mxfp4 2^(floor(log2 amax) - 2) clamped to E8M0's range (OCP MX v1.0,
// 2 = emax of E2M1); nvfp4 e4m3(amax / 6 / tensor_scale) (NVIDIA's recipe; tensor_scale > 0).
inline BlockScale SpecBlockScale(BlockScaleCode code, float amax, float tensor_scale) {
  switch (code) {
    case BlockScaleCode::kF32: return F32BlockScale(amax);
    case BlockScaleCode::kE8M0: {  // floor(log2 amax) is the exponent field - 127 (subnormals clamp)
      const int e = static_cast<int>(F32Bits(amax) >> 23) - 127 - 2;
      return E8M0BlockScale(e < -127 ? -127 : e);
    }
    case BlockScaleCode::kE4M3: {
      uint32_t byte = F32ToF8E4M3Ref(amax / 6.0f / tensor_scale);
      if (byte > F8E4M3Format::kMaxCode) byte = F8E4M3Format::kMaxCode;  // a NaN ratio
      return E4M3BlockScale(byte, tensor_scale);
    }
  }
  return {};
}

// Returns the level of `t` by binary search over the codebook's thresholds (NaN gives 0).
inline int NearestLevel4Ref(const Codebook4& cb, float t) {
  int level = 0;
  for (int step = 8; step >= 1; step /= 2) {
    if (t >= cb.threshold[static_cast<size_t>(level + step - 1)]) level += step;
  }
  return level;
}

// Returns the level a weight `x` gets in a block of multiplier `m` (SubBlockGrid::NearestLevel).
inline int LevelOf4Ref(const Codebook4& cb, float x, float m) { return m == 0.0f ? 0 : NearestLevel4Ref(cb, x / m); }

// Returns the byte holding `first` and `second` (4-bit codes of weights 2i and 2i+1).
inline uint8_t PackNibblesRef(uint8_t first, uint8_t second, bool high_first) {
  return static_cast<uint8_t>(high_first ? (first << 4) | second : first | (second << 4));
}
// Returns the 4-bit code of weight `j` of a packed row.
inline uint8_t NibbleRef(const uint8_t* packed, int64_t j, bool high_first) {
  const uint8_t byte = packed[j / 2];
  return ((j & 1) == 0) == high_first ? static_cast<uint8_t>(byte >> 4) : static_cast<uint8_t>(byte & 0x0F);
}

// nf4's second scale probe, as a fraction of the absmax.
constexpr float kNf4ProbeFraction = 0.9f;

// Returns the f8 code of x / scale (round to nearest even, saturating), with -0 stored as +0.
template <class Fmt>
inline uint8_t Fp8EncodeRef(float x, float scale) {
  const auto code = static_cast<uint8_t>(EncodeSmallFloatRef<Fmt>(x / scale));
  return code == 0x80 ? 0 : code;
}

namespace kernels {

// Quantizes a row of `cols` weights (a multiple of spec.block) of a 4-bit format: writes each
// block's scale to `scales` and the codes to `packed` (cols / 2 bytes). A weight x takes level
// LevelOf4Ref(x, m) of its block's multiplier m. The block's scale is the first candidate with
// the least error sum_j w_j (x_j - v_j m)^2, summed in weight order from 0 in f32 with each term
// computed as w * (d * d), d = x - v * m (`importance` gives w, cols weights, or null for ones):
//   nf4   absmax (QLoRA), 0.9 absmax, and the least-squares refits sum w x v / sum w v v of the
//         levels chosen at each (a refit that is not finite and > 0 is replaced by absmax);
//   mxfp4 SpecBlockScale's power of two and the next one (none past 2^127);
//   nvfp4 SpecBlockScale's e4m3 code and the codes just above and below it (within 0..0x7E).
// `tensor_scale` > 0 is used by kE4M3 only. Quantize4BitRowRef is the scalar encoder.
void Quantize4BitRow(const float* x, const float* importance, int64_t cols, const Quant4Spec& spec,
                     float tensor_scale, uint8_t* packed, uint8_t* scales) noexcept;
void Quantize4BitRowRef(const float* x, const float* importance, int64_t cols, const Quant4Spec& spec,
                        float tensor_scale, uint8_t* packed, uint8_t* scales) noexcept;

// Chooses the scale of block `block_index` (spec.block weights at x) as Quantize4BitRow does,
// writes it to `scales` and returns its multiplier.
float Fit4BitBlock(const float* x, const float* importance, int64_t block_index, const Quant4Spec& spec,
                   float tensor_scale, uint8_t* scales) noexcept;
float Fit4BitBlockRef(const float* x, const float* importance, int64_t block_index, const Quant4Spec& spec,
                      float tensor_scale, uint8_t* scales) noexcept;

// Decodes a row of a 4-bit format into `out`; both give the same floats.
void Dequantize4BitRow(const uint8_t* packed, const uint8_t* scales, int64_t cols, const Quant4Spec& spec,
                       float tensor_scale, float* out) noexcept;
void Dequantize4BitRowRef(const uint8_t* packed, const uint8_t* scales, int64_t cols, const Quant4Spec& spec,
                          float tensor_scale, float* out) noexcept;

// Returns the dot product of a decoded 4-bit row with `x` without decoding the row to memory
// (the Ref decodes each weight and accumulates in double).
float Dot4BitRow(const uint8_t* packed, const uint8_t* scales, int64_t cols, const Quant4Spec& spec,
                 float tensor_scale, const float* x) noexcept;
float Dot4BitRowRef(const uint8_t* packed, const uint8_t* scales, int64_t cols, const Quant4Spec& spec,
                    float tensor_scale, const float* x) noexcept;

// Writes the f8 codes (dtype kF8E4M3 or kF8E5M2) of x[j] / scale for `n` weights (Fp8EncodeRef).
void QuantizeFp8Row(DType dtype, const float* x, int64_t n, float scale, uint8_t* codes) noexcept;
void QuantizeFp8RowRef(DType dtype, const float* x, int64_t n, float scale, uint8_t* codes) noexcept;
// Decodes `n` f8 codes times `scale` into `out`; both give the same floats.
void DequantizeFp8Row(DType dtype, const uint8_t* codes, int64_t n, float scale, float* out) noexcept;
void DequantizeFp8RowRef(DType dtype, const uint8_t* codes, int64_t n, float scale, float* out) noexcept;
// Returns sum_j decode(codes[j]) * scale * x[j] (the Ref accumulates in double).
float DotFp8Row(DType dtype, const uint8_t* codes, int64_t n, float scale, const float* x) noexcept;
float DotFp8RowRef(DType dtype, const uint8_t* codes, int64_t n, float scale, const float* x) noexcept;

// Returns the largest |x[j]| of `n` >= 1 finite weights (exact, so equal to the scalar maximum).
float AbsMax(const float* x, int64_t n) noexcept;

}  // namespace kernels
}  // namespace shrink

#endif  // SHRINK_SRC_KERNELS_FORMATS_FLOAT_FORMATS_H_
