// Random valid blocks of ggml's legacy and iq4 types for kernel tests: random code bytes and
// finite random f16 header fields.
#ifndef SHRINK_TESTS_TESTING_GGML_RANDOM_BLOCKS_H_
#define SHRINK_TESTS_TESTING_GGML_RANDOM_BLOCKS_H_

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "src/formats/ggml_legacy_blocks.h"

namespace shrink::testing {

// Returns `blocks` blocks of `type` whose f16 fields (d, and m for q4_1 and q5_1) are random
// finite values: every code and every qh, scales_h and scales_l bit pattern is valid.
inline std::vector<uint8_t> RandomLegacyBlocks(ggml_legacy::LegacyType type, int64_t blocks, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> bytes(static_cast<size_t>(blocks * ggml_legacy::BlockBytes(type)));
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
  for (int64_t b = 0; b < blocks; ++b) {
    uint8_t* block = bytes.data() + b * ggml_legacy::BlockBytes(type);
    for (int field = 0; field < (ggml_legacy::HasMin(type) ? 2 : 1); ++field) {
      uint16_t h = static_cast<uint16_t>(rng());
      if ((h & 0x7C00u) == 0x7C00u) h &= 0xBFFFu;  // no inf or NaN
      std::memcpy(block + 2 * field, &h, sizeof(h));
    }
  }
  return bytes;
}

}  // namespace shrink::testing

#endif  // SHRINK_TESTS_TESTING_GGML_RANDOM_BLOCKS_H_
