// The byte layout of an "spqr" tensor: its sections' names, dtypes and shapes, computed from the
// weight shape and the method settings, shared by the encoder, the decoder and EstimateBytes.
#ifndef SHRINK_SRC_QUANT_SPQR_LAYOUT_H_
#define SHRINK_SRC_QUANT_SPQR_LAYOUT_H_

#include <cstdint>
#include <cstring>
#include <vector>

#include "shrink/compressed_tensor.h"

namespace shrink {

// Rows that share one second-level statistic (the paper's β₂), along the output dimension.
constexpr int64_t kSpqrStatGroup = 16;

// The settings an "spqr" tensor is decoded with (stored in its metadata).
struct SpqrSettings {
  int bits = 3;                  // first-level code bits
  int stat_bits = 3;             // bits of the quantized first-level scales and zeros
  int64_t group = 16;            // weights per first-level group, along the input dimension
  int64_t outlier_capacity = 0;  // outlier slots per row
  bool permuted = false;         // groups follow a stored column order (act_order)
};

// The section shapes of a rows x cols tensor (see include/shrink/quant/spqr.h for their meaning).
struct SpqrLayout {
  SpqrLayout(int64_t rows, int64_t cols, const SpqrSettings& settings);

  int64_t rows, cols;
  SpqrSettings settings;
  int64_t groups;        // per row: ceil(cols / group)
  int64_t stat_groups;   // per group column: ceil(rows / kSpqrStatGroup)
  int64_t code_bytes;    // per row: ceil(cols * bits / 8)
  int64_t stat_code_bytes;  // per group column: ceil(rows * stat_bits / 8)
  DType index_dtype;     // u16 when cols <= 65535, else i32

  // Returns every section (name, dtype, shape; empty bytes) in storage order.
  std::vector<CompressedSection> Sections() const;
  // Returns the total bytes of Sections().
  size_t NumBytes() const;
};

// Writes the low `bits` bits of each of `n` values into `out` (ceil(n * bits / 8) bytes, zeroed
// beforehand), little-endian bit order: value i occupies bits [i * bits, (i + 1) * bits).
void PackBits(const uint8_t* values, int64_t n, int bits, uint8_t* out);
// Reads value i (`bits` bits) of a stream written by PackBits.
inline int UnpackBits(const uint8_t* in, int64_t i, int bits) {
  const int64_t bit = i * bits;
  const uint32_t two = in[bit / 8] | (bit % 8 + bits > 8 ? static_cast<uint32_t>(in[bit / 8 + 1]) << 8 : 0u);
  return static_cast<int>((two >> (bit % 8)) & ((1u << bits) - 1u));
}

// Writes index i of an index section of `dtype` (u16 or i32).
inline void StoreIndex(uint8_t* base, DType dtype, int64_t i, int64_t value) {
  if (dtype == DType::kU16) {
    const uint16_t v = static_cast<uint16_t>(value);
    std::memcpy(base + i * 2, &v, 2);
  } else {
    const int32_t v = static_cast<int32_t>(value);
    std::memcpy(base + i * 4, &v, 4);
  }
}
// Reads index i of an index section of `dtype` (u16 or i32).
inline int64_t LoadIndex(const uint8_t* base, DType dtype, int64_t i) {
  if (dtype == DType::kU16) {
    uint16_t v;
    std::memcpy(&v, base + i * 2, 2);
    return v;
  }
  int32_t v;
  std::memcpy(&v, base + i * 4, 4);
  return v;
}

}  // namespace shrink

#endif  // SHRINK_SRC_QUANT_SPQR_LAYOUT_H_
