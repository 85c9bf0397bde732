// Bit layouts of ggml's k-quant super-blocks (q2_k, q3_k, q4_k, q5_k, q6_k) and their scalar codecs.
//
// Every k-quant stores a row as consecutive super-blocks of 256 weights, byte for byte ggml's
// block_qX_K (ggml-common.h), so a row's bytes are a GGUF tensor row of that type. All
// multi-byte fields are little-endian f16. A super-block has sub-blocks of 16 or 32 weights; sub-block
// j decodes level q (an unsigned code) as
//     w = (d * sc_j) * (q - offset) - (dmin * m_j)           (f32 arithmetic in this order)
// with integer sub-block codes sc_j (and m_j for the formats with mins), which is exactly how
// ggml's dequantize_row_qX_K computes it, so both produce the same floats.
//
// Within a super-block, weight 32g + l (group g < 8, l < 32) keeps its code bits at bit
// positions that depend only on g, in byte l of one or two 32-byte arrays (a CodeGroup):
//
// q2_k  84 bytes, 2.625 bits/weight; 16 sub-blocks of 16; levels 0..3; mins.
//   [0,16)   scales: byte j = sc_j | m_j << 4 (4 bits each)
//   [16,80)  qs: weight 128h + 32s + l (h < 2, s < 4) in bits 2s..2s+1 of qs[32h + l]
//   [80,82)  d    [82,84) dmin
// q3_k  110 bytes, 3.4375 bits/weight; 16 sub-blocks of 16; levels 0..7 decode to -4..3; no mins.
//   [0,32)   hmask: bit 2 of the level of weight 128h + 32s + l is bit 4h + s of hmask[l]
//   [32,96)  qs: bits 0..1 of the level, placed as in q2_k
//   [96,108) scales: sc_j in -32..31 stored as u_j = sc_j + 32 (6 bits): bits 0..3 in the low
//            nibble of byte j (j < 8) or the high nibble of byte j - 8; bits 4..5 in bits
//            2(j/4)..2(j/4)+1 of byte 8 + j%4
//   [108,110) d
// q4_k  144 bytes, 4.5 bits/weight; 8 sub-blocks of 32; levels 0..15; mins.
//   [0,2) d  [2,4) dmin
//   [4,16)   scales: six-bit sc_j, m_j. j < 4: sc_j = b[j] & 63, m_j = b[j+4] & 63;
//            j >= 4: sc_j = (b[j+4] & 15) | (b[j-4] >> 6) << 4, m_j = (b[j+4] >> 4) | (b[j] >> 6) << 4
//   [16,144) qs: weight 64p + 32t + l (p < 4, t < 2) in bits 4t..4t+3 of qs[32p + l]
// q5_k  176 bytes, 5.5 bits/weight; 8 sub-blocks of 32; levels 0..31; mins.
//   [0,16)   as q4_k
//   [16,48)  qh: bit 4 of the level of weight 32g + l is bit g of qh[l]
//   [48,176) qs: bits 0..3 of the level, placed as in q4_k
// q6_k  210 bytes, 6.5625 bits/weight; 16 sub-blocks of 16; levels 0..63 decode to -32..31; no mins.
//   [0,128)  ql: weight 128h + 32t + l (t < 4): bits 0..3 in nibble t/2 of ql[64h + 32(t%2) + l]
//   [128,192) qh: bits 4..5 in bits 2t..2t+1 of qh[32h + l]
//   [192,208) scales: sc_j as int8
//   [208,210) d
#ifndef SHRINK_SRC_FORMATS_GGML_KQUANT_LAYOUT_H_
#define SHRINK_SRC_FORMATS_GGML_KQUANT_LAYOUT_H_

#include <cstdint>
#include <cstring>

#include "shrink/core/float_codec.h"

namespace shrink::kquant {

constexpr int kSuperBlock = 256;                 // weights per super-block
constexpr int kGroupSize = 32;                   // weights of one CodeGroup
constexpr int kGroups = kSuperBlock / kGroupSize;
constexpr int kMaxSubBlocks = 16;

enum class KQuantType : uint8_t { kQ2K, kQ3K, kQ4K, kQ5K, kQ6K };

// Locates the code bits of one group of 32 weights: weight l of the group has level
//   ((b[lo_offset + l] >> lo_shift) & (2^lo_bits - 1)) | ((b[hi_offset + l] >> hi_shift) & (2^hi_bits - 1)) << lo_bits
// (hi_bits = 0: no high part).
struct CodeGroup {
  int lo_offset, lo_shift, lo_bits;
  int hi_offset, hi_shift, hi_bits;
};

// The candidate grid of a sub-block scale search: candidate c maps the sub-block's range (the
// span from min(x, 0) to max(x), or the largest magnitude for the signed formats) onto
// first + c * step levels.
struct SearchGrid {
  float first;
  float step;
  int count;
};

// Describes one k-quant format: sizes, level range, header fields and scale search grids.
struct KQuantSpec {
  KQuantType type;
  const char* name;
  int block_bytes;
  int sub_size;        // weights per sub-block
  int level_count;     // levels 0..level_count-1
  int level_offset;    // a level decodes to level - level_offset times the sub-block scale
  bool has_mins;
  int code_min, code_max;        // range of the sub-block scale codes sc_j (m_j: 0..code_max)
  int d_offset, dmin_offset;     // byte offsets of the f16 super-block scales (dmin: -1 none)
  int codes_begin, codes_end;    // the bytes that hold level bits
  CodeGroup groups[kGroups];
  SearchGrid plain, weighted;    // without / with an importance vector

  int num_sub() const { return kSuperBlock / sub_size; }
  int level_min() const { return -level_offset; }  // lowest decoded level value
  int level_max() const { return level_count - 1 - level_offset; }
};

// The five formats, indexed by KQuantType. Search grids were tuned against ggml's encoders (see
// ggml_kquant_fit.h).
inline constexpr KQuantSpec kSpecs[] = {
    {KQuantType::kQ2K, "q2_k", 84, 16, 4, 0, true, 0, 15, 80, 82, 16, 80,
     {{16, 0, 2, 0, 0, 0}, {16, 2, 2, 0, 0, 0}, {16, 4, 2, 0, 0, 0}, {16, 6, 2, 0, 0, 0},
      {48, 0, 2, 0, 0, 0}, {48, 2, 2, 0, 0, 0}, {48, 4, 2, 0, 0, 0}, {48, 6, 2, 0, 0, 0}},
     {2.625f, 0.15f, 6}, {2.625f, 0.75f / 11, 12}},
    {KQuantType::kQ3K, "q3_k", 110, 16, 8, 4, false, -32, 31, 108, -1, 0, 96,
     {{32, 0, 2, 0, 0, 1}, {32, 2, 2, 0, 1, 1}, {32, 4, 2, 0, 2, 1}, {32, 6, 2, 0, 3, 1},
      {64, 0, 2, 0, 4, 1}, {64, 2, 2, 0, 5, 1}, {64, 4, 2, 0, 6, 1}, {64, 6, 2, 0, 7, 1}},
     {3.0f, 2.5f / 11, 12}, {3.0f, 4.0f / 15, 16}},
    {KQuantType::kQ4K, "q4_k", 144, 32, 16, 0, true, 0, 63, 0, 2, 16, 144,
     {{16, 0, 4, 0, 0, 0}, {16, 4, 4, 0, 0, 0}, {48, 0, 4, 0, 0, 0}, {48, 4, 4, 0, 0, 0},
      {80, 0, 4, 0, 0, 0}, {80, 4, 4, 0, 0, 0}, {112, 0, 4, 0, 0, 0}, {112, 4, 4, 0, 0, 0}},
     {13.875f, 0.75f, 4}, {13.125f, 3.75f / 11, 12}},
    {KQuantType::kQ5K, "q5_k", 176, 32, 32, 0, true, 0, 63, 0, 2, 16, 176,
     {{48, 0, 4, 16, 0, 1}, {48, 4, 4, 16, 1, 1}, {80, 0, 4, 16, 2, 1}, {80, 4, 4, 16, 3, 1},
      {112, 0, 4, 16, 4, 1}, {112, 4, 4, 16, 5, 1}, {144, 0, 4, 16, 6, 1}, {144, 4, 4, 16, 7, 1}},
     {27.125f, 7.75f / 11, 12}, {27.125f, 7.75f / 11, 12}},
    {KQuantType::kQ6K, "q6_k", 210, 16, 64, 32, false, -128, 127, 208, -1, 0, 192,
     {{0, 0, 4, 128, 0, 2}, {32, 0, 4, 128, 2, 2}, {0, 4, 4, 128, 4, 2}, {32, 4, 4, 128, 6, 2},
      {64, 0, 4, 160, 0, 2}, {96, 0, 4, 160, 2, 2}, {64, 4, 4, 160, 4, 2}, {96, 4, 4, 160, 6, 2}},
     {28.0f, 8.0f / 11, 12}, {28.0f, 8.0f / 11, 12}},
};

// Returns the description of `type`.
inline const KQuantSpec& SpecOf(KQuantType type) { return kSpecs[static_cast<int>(type)]; }

// Returns the f16 field at `p` as f32.
inline float LoadF16(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, sizeof(h));
  return F16ToF32Ref(h);
}
// Stores `value` (already an f16 value) at `p`.
inline void StoreF16(float value, uint8_t* p) {
  const uint16_t h = F32ToF16Ref(value);
  std::memcpy(p, &h, sizeof(h));
}

// Reads the sub-block codes sc_j (and m_j, 0 for formats without mins) of a super-block.
inline void ReadCodes(const KQuantSpec& spec, const uint8_t* block, int* sc, int* m) {
  const int n = spec.num_sub();
  switch (spec.type) {
    case KQuantType::kQ2K:
      for (int j = 0; j < n; ++j) {
        sc[j] = block[j] & 15;
        m[j] = block[j] >> 4;
      }
      return;
    case KQuantType::kQ3K: {
      const uint8_t* s = block + 96;
      for (int j = 0; j < n; ++j) {
        const int low = j < 8 ? s[j] & 15 : s[j - 8] >> 4;
        const int high = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
        sc[j] = (low | high << 4) - 32;
        m[j] = 0;
      }
      return;
    }
    case KQuantType::kQ4K:
    case KQuantType::kQ5K: {
      const uint8_t* s = block + 4;
      for (int j = 0; j < n; ++j) {
        if (j < 4) {
          sc[j] = s[j] & 63;
          m[j] = s[j + 4] & 63;
        } else {
          sc[j] = (s[j + 4] & 15) | (s[j - 4] >> 6) << 4;
          m[j] = (s[j + 4] >> 4) | (s[j] >> 6) << 4;
        }
      }
      return;
    }
    case KQuantType::kQ6K:
      for (int j = 0; j < n; ++j) {
        sc[j] = static_cast<int8_t>(block[192 + j]);
        m[j] = 0;
      }
      return;
  }
}

// Writes the sub-block codes (each within the spec's range) into a super-block's header.
inline void WriteCodes(const KQuantSpec& spec, const int* sc, const int* m, uint8_t* block) {
  const int n = spec.num_sub();
  switch (spec.type) {
    case KQuantType::kQ2K:
      for (int j = 0; j < n; ++j) block[j] = static_cast<uint8_t>(sc[j] | m[j] << 4);
      return;
    case KQuantType::kQ3K: {
      uint8_t* s = block + 96;
      std::memset(s, 0, 12);
      for (int j = 0; j < n; ++j) {
        const int u = sc[j] + 32;
        s[j % 8] |= static_cast<uint8_t>((u & 15) << (j < 8 ? 0 : 4));
        s[8 + j % 4] |= static_cast<uint8_t>((u >> 4) << (2 * (j / 4)));
      }
      return;
    }
    case KQuantType::kQ4K:
    case KQuantType::kQ5K: {
      uint8_t* s = block + 4;
      for (int j = 0; j < 4; ++j) {
        s[j] = static_cast<uint8_t>(sc[j] | (sc[j + 4] >> 4) << 6);
        s[j + 4] = static_cast<uint8_t>(m[j] | (m[j + 4] >> 4) << 6);
        s[j + 8] = static_cast<uint8_t>((sc[j + 4] & 15) | (m[j + 4] & 15) << 4);
      }
      return;
    }
    case KQuantType::kQ6K:
      for (int j = 0; j < n; ++j) block[192 + j] = static_cast<uint8_t>(static_cast<int8_t>(sc[j]));
      return;
  }
}

// Returns the super-block scales d and dmin (0 for formats without mins) of `block`.
inline float ReadD(const KQuantSpec& spec, const uint8_t* block) { return LoadF16(block + spec.d_offset); }
inline float ReadDmin(const KQuantSpec& spec, const uint8_t* block) {
  return spec.has_mins ? LoadF16(block + spec.dmin_offset) : 0.0f;
}

// Writes each sub-block's decoding map, w = mul[j] * (level - offset) - sub[j], as ggml computes
// it, given the block's super-block scales d and dmin (sub is 0 without mins).
inline void SubBlockMapsOf(const KQuantSpec& spec, const uint8_t* block, float d, float dmin, float* mul,
                           float* sub) {
  int sc[kMaxSubBlocks], m[kMaxSubBlocks];
  ReadCodes(spec, block, sc, m);
  for (int j = 0; j < spec.num_sub(); ++j) {
    mul[j] = d * static_cast<float>(sc[j]);
    sub[j] = spec.has_mins ? dmin * static_cast<float>(m[j]) : 0.0f;
  }
}

// Writes each sub-block's decoding map of `block` (SubBlockMapsOf with the stored d and dmin).
inline void ReadSubBlockMaps(const KQuantSpec& spec, const uint8_t* block, float* mul, float* sub) {
  SubBlockMapsOf(spec, block, ReadD(spec, block), ReadDmin(spec, block), mul, sub);
}

// Stores the levels (0..level_count-1) of a super-block's 256 weights into its code bytes,
// leaving the header untouched.
inline void PackLevels(const KQuantSpec& spec, const uint8_t* levels, uint8_t* block) {
  std::memset(block + spec.codes_begin, 0, static_cast<size_t>(spec.codes_end - spec.codes_begin));
  for (int g = 0; g < kGroups; ++g) {
    const CodeGroup& c = spec.groups[g];
    const int lo_mask = (1 << c.lo_bits) - 1;
    for (int l = 0; l < kGroupSize; ++l) {
      const int level = levels[kGroupSize * g + l];
      block[c.lo_offset + l] |= static_cast<uint8_t>((level & lo_mask) << c.lo_shift);
      if (c.hi_bits) block[c.hi_offset + l] |= static_cast<uint8_t>((level >> c.lo_bits) << c.hi_shift);
    }
  }
}

// Reads the levels of a super-block's 256 weights (inverse of PackLevels).
inline void UnpackLevels(const KQuantSpec& spec, const uint8_t* block, uint8_t* levels) {
  for (int g = 0; g < kGroups; ++g) {
    const CodeGroup& c = spec.groups[g];
    for (int l = 0; l < kGroupSize; ++l) {
      int level = (block[c.lo_offset + l] >> c.lo_shift) & ((1 << c.lo_bits) - 1);
      if (c.hi_bits) level |= ((block[c.hi_offset + l] >> c.hi_shift) & ((1 << c.hi_bits) - 1)) << c.lo_bits;
      levels[kGroupSize * g + l] = static_cast<uint8_t>(level);
    }
  }
}

}  // namespace shrink::kquant

#endif  // SHRINK_SRC_FORMATS_GGML_KQUANT_LAYOUT_H_
