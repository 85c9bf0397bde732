// Block layouts of ggml's legacy types (q4_0 q4_1 q5_0 q5_1 q8_0) and 4-bit non-linear types
// (iq4_nl iq4_xs): byte layout, header fields, level tables and the scalar reference decoder.
//
// A row is a sequence of blocks, byte for byte ggml's block structs (ggml-common.h), so a GGUF
// tensor of the type is the row bytes concatenated. Multi-byte fields are little-endian; f16 is
// IEEE binary16. "code j" is the stored level index of weight j of the block.
//   type    weights bytes  layout (byte offsets)                              weight j decodes to
//   q4_0    32      18     [0,2) d f16 | [2,18) qs                             d * (code - 8)
//   q4_1    32      20     [0,2) d f16 | [2,4) m f16 | [4,20) qs               d * code + m
//   q5_0    32      22     [0,2) d f16 | [2,6) qh u32 | [6,22) qs              d * (code - 16)
//   q5_1    32      24     [0,2) d | [2,4) m | [4,8) qh u32 | [8,24) qs        d * code + m
//   q8_0    32      34     [0,2) d f16 | [2,34) i8 code[32]                    d * code
//   iq4_nl  32      18     [0,2) d f16 | [2,18) qs                             d * kIq4Values[code]
//   iq4_xs  256     136    [0,2) d f16 | [2,4) scales_h u16 | [4,8) scales_l | (d * (ls_s - 32))
//                          [8,136) qs: sub-block s (32 weights) at 8 + 16 s       * kIq4Values[code]
// qs packs two 4-bit codes per byte within each run of 32 weights: byte i holds code i in its low
// nibble and code i + 16 in its high nibble. q5 codes are 5 bits: the low 4 in qs, bit 4 of code
// j in bit j of qh. iq4_xs sub-block s (0..7) has a 6-bit scale ls_s: its low 4 bits are nibble
// s % 2 of scales_l[s / 2], its high 2 bits are bits 2s, 2s+1 of scales_h.
// Products are formed exactly as ggml's dequantize_row_* do (int code converted to float, one
// f32 multiply, then the f32 add of m), so llama.cpp decodes these blocks to the same floats.
// As a LevelTable (QuantFormat::Levels), code c is level c with value: q4_0 c - 8 (-8..7), q5_0
// c - 16, q8_0 c - 128 (the stored int8 is c - 128), q4_1 and q5_1 c, iq4 kIq4Values[c]; each
// 32-weight sub-block decodes on {scale d (iq4_xs: d * (ls - 32)), bias m (q4_1, q5_1) or 0}.
// Signed values with bias 0 (rather than 0..15 with bias -8d) keep the decoder's single multiply,
// so SubBlockGrid::Decode and the decoders agree exactly.
#ifndef SHRINK_SRC_FORMATS_GGML_LEGACY_BLOCKS_H_
#define SHRINK_SRC_FORMATS_GGML_LEGACY_BLOCKS_H_

#include <cstdint>
#include <cstring>

#include "shrink/core/float_codec.h"

namespace shrink::ggml_legacy {

// Names the block types of this family.
enum class LegacyType : uint8_t { kQ4_0, kQ4_1, kQ5_0, kQ5_1, kQ8_0, kIq4Nl, kIq4Xs };

// The weights every 32-weight run shares an affine map over (a sub-block).
constexpr int kSubBlock = 32;
// The weights of an iq4_xs super-block.
constexpr int kIq4XsBlock = 256;

// The 16 levels of iq4_nl and iq4_xs (ggml's kvalues_iq4nl), ascending.
constexpr int8_t kIq4Values[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

// Returns the weights per block of `type`.
constexpr int BlockElems(LegacyType type) { return type == LegacyType::kIq4Xs ? kIq4XsBlock : kSubBlock; }

// Returns the bytes per block of `type`.
constexpr int BlockBytes(LegacyType type) {
  switch (type) {
    case LegacyType::kQ4_0: return 18;
    case LegacyType::kQ4_1: return 20;
    case LegacyType::kQ5_0: return 22;
    case LegacyType::kQ5_1: return 24;
    case LegacyType::kQ8_0: return 34;
    case LegacyType::kIq4Nl: return 18;
    case LegacyType::kIq4Xs: return 136;
  }
  return 0;
}

// Returns true for q4_1 and q5_1, whose blocks store a minimum m after d.
constexpr bool HasMin(LegacyType type) { return type == LegacyType::kQ4_1 || type == LegacyType::kQ5_1; }
// Returns true for q5_0 and q5_1, whose codes keep their fifth bit in qh.
constexpr bool HasHighBits(LegacyType type) { return type == LegacyType::kQ5_0 || type == LegacyType::kQ5_1; }
// Returns true for the types whose levels are kIq4Values.
constexpr bool IsIq4(LegacyType type) { return type == LegacyType::kIq4Nl || type == LegacyType::kIq4Xs; }

// Returns the byte offset of qh in a q5 block.
constexpr int QhOffset(LegacyType type) { return HasMin(type) ? 4 : 2; }
// Returns the byte offset of the codes (qs) in a block.
constexpr int CodesOffset(LegacyType type) {
  switch (type) {
    case LegacyType::kQ4_1: return 4;
    case LegacyType::kQ5_0: return 6;
    case LegacyType::kQ5_1: return 8;
    case LegacyType::kIq4Xs: return 8;
    default: return 2;
  }
}

// Returns the number of levels of a linear (uniform) type.
constexpr int LinearLevelCount(LegacyType type) {
  return type == LegacyType::kQ8_0 ? 256 : HasHighBits(type) ? 32 : 16;
}
// Returns the value of level 0 of a linear type: -8, -16, -128 (symmetric types) or 0.
constexpr int LinearFirstLevel(LegacyType type) { return HasMin(type) ? 0 : -LinearLevelCount(type) / 2; }

// Returns the f32 value of the f16 field at `p`.
inline float LoadF16(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, sizeof(h));
  return F16ToF32Ref(h);
}

// Returns the f16 bits nearest to `f` (round to nearest even), saturated to the largest finite f16
// so that a stored scale is never infinite.
inline uint16_t F16Saturating(float f) {
  const uint16_t h = F32ToF16Ref(f);
  return (h & 0x7FFFu) == 0x7C00u ? static_cast<uint16_t>(h - 1u) : h;  // +-inf -> +-65504
}

// Stores `f` as f16 (F16Saturating) at `p` and returns the value stored.
inline float StoreF16(uint8_t* p, float f) {
  const uint16_t h = F16Saturating(f);
  std::memcpy(p, &h, sizeof(h));
  return F16ToF32Ref(h);
}

// Returns the 6-bit scale ls (0..63) of iq4_xs sub-block `s` of `block`.
inline int Iq4XsScale(const uint8_t* block, int s) {
  const int scales_h = block[2] | (block[3] << 8);
  return ((block[4 + s / 2] >> (4 * (s % 2))) & 0xF) | (((scales_h >> (2 * s)) & 3) << 4);
}

// Stores the 6-bit scale `ls` (0..63) of iq4_xs sub-block `s`, keeping the others.
inline void SetIq4XsScale(uint8_t* block, int s, int ls) {
  int scales_h = block[2] | (block[3] << 8);
  scales_h = (scales_h & ~(3 << (2 * s))) | ((ls >> 4) << (2 * s));
  block[2] = static_cast<uint8_t>(scales_h);
  block[3] = static_cast<uint8_t>(scales_h >> 8);
  const int shift = 4 * (s % 2);
  block[4 + s / 2] = static_cast<uint8_t>((block[4 + s / 2] & ~(0xF << shift)) | ((ls & 0xF) << shift));
}

// Holds one 32-weight sub-block's decoding map from its block header: w = scale * level + bias,
// where level is the code's value in the type's LevelTable.
struct SubBlockMap {
  float scale = 0.0f;
  float bias = 0.0f;
};

// Returns the map of sub-block `s` of `block` (s = 0 except for iq4_xs).
inline SubBlockMap SubBlockMapOf(LegacyType type, const uint8_t* block, int s) {
  SubBlockMap map;
  map.scale = LoadF16(block);
  if (HasMin(type)) map.bias = LoadF16(block + 2);
  if (type == LegacyType::kIq4Xs) map.scale *= static_cast<float>(Iq4XsScale(block, s) - 32);
  return map;
}

// Returns the code (level index) of weight j of `block`.
inline int BlockCode(LegacyType type, const uint8_t* block, int j) {
  if (type == LegacyType::kQ8_0) return static_cast<int8_t>(block[2 + j]) + 128;
  const uint8_t* qs = block + CodesOffset(type) + 16 * (j / kSubBlock);
  const int i = j % kSubBlock;
  int code = i < 16 ? qs[i] & 0xF : qs[i - 16] >> 4;
  if (HasHighBits(type)) {
    uint32_t qh;
    std::memcpy(&qh, block + QhOffset(type), sizeof(qh));
    code |= static_cast<int>((qh >> j) & 1u) << 4;
  }
  return code;
}

// Stores the codes of all weights of `block` (BlockElems(type) of them), keeping its header.
inline void PutBlockCodes(LegacyType type, const uint8_t* codes, uint8_t* block) {
  if (type == LegacyType::kQ8_0) {
    for (int j = 0; j < kSubBlock; ++j) block[2 + j] = static_cast<uint8_t>(codes[j] - 128);
    return;
  }
  uint8_t* qs = block + CodesOffset(type);
  for (int s = 0; s < BlockElems(type) / kSubBlock; ++s, codes += kSubBlock, qs += 16) {
    for (int i = 0; i < 16; ++i) qs[i] = static_cast<uint8_t>((codes[i] & 0xF) | ((codes[i + 16] & 0xF) << 4));
  }
  if (HasHighBits(type)) {
    uint32_t qh = 0;
    codes -= kSubBlock;
    for (int j = 0; j < kSubBlock; ++j) qh |= static_cast<uint32_t>((codes[j] >> 4) & 1) << j;
    std::memcpy(block + QhOffset(type), &qh, sizeof(qh));
  }
}

// Returns `t` rounded to an integer, ties to even, as std::nearbyint in the default rounding mode
// for |t| < 2^22; larger magnitudes stay beyond 2^21 (all callers clamp far below). One add and
// one subtract, where the baseline x86-64 target would call libm.
inline float RoundToEven(float t) { return (t + 12582912.0f) - 12582912.0f; }

// Returns the index of the level of a linear type nearest to `t` (in level units, before the
// map): LevelTable::Nearest for a uniform table starting at LinearFirstLevel (ties to even, NaN
// to 0).
inline int LinearNearest(LegacyType type, float t) {
  const float k = RoundToEven(t - static_cast<float>(LinearFirstLevel(type)));
  if (!(k > 0.0f)) return 0;
  const int last = LinearLevelCount(type) - 1;
  return k >= static_cast<float>(last) ? last : static_cast<int>(k);
}

// Returns the index of the kIq4Values level nearest to `t`, ties to the lower level, NaN to 0:
// the number of midpoints between consecutive levels that t exceeds. Equals LevelTable::Nearest
// on these levels: the midpoints are exact halves and t - lo, hi - t round exactly near them.
inline int Iq4Nearest(float t) {
  int level = 0;
  for (int k = 0; k < 15; ++k) level += t > 0.5f * static_cast<float>(kIq4Values[k] + kIq4Values[k + 1]) ? 1 : 0;
  return level;
}

// Returns the code nearest to weight `x` under `map`, as SubBlockGrid::NearestLevel does: level
// 0 when the scale is 0, else the level nearest to (x - bias) / scale.
inline int NearestCode(LegacyType type, const SubBlockMap& map, float x) {
  if (map.scale == 0.0f) return 0;
  const float t = (x - map.bias) / map.scale;
  return IsIq4(type) ? Iq4Nearest(t) : LinearNearest(type, t);
}

// Returns the value of level `code` before the sub-block's map (ggml's integer, as float).
inline float LevelValue(LegacyType type, int code) {
  return IsIq4(type) ? static_cast<float>(kIq4Values[code]) : static_cast<float>(code + LinearFirstLevel(type));
}

// Returns what weight j of `block` decodes to, computed as ggml's dequantizer does: level * scale,
// plus m for q4_1 and q5_1 (no add otherwise, so the sign of zero matches too).
inline float DecodeWeightRef(LegacyType type, const uint8_t* block, int j) {
  const SubBlockMap map = SubBlockMapOf(type, block, j / kSubBlock);
  const float scaled = LevelValue(type, BlockCode(type, block, j)) * map.scale;
  return HasMin(type) ? scaled + map.bias : scaled;
}

}  // namespace shrink::ggml_legacy

#endif  // SHRINK_SRC_FORMATS_GGML_LEGACY_BLOCKS_H_
