// Header (scale) choices of the linear ggml block types q4_0 q4_1 q5_0 q5_1 q8_0: the fast rule
// the SIMD encoder shares, and the importance-weighted search.
#ifndef SHRINK_SRC_FORMATS_GGML_LEGACY_FIT_H_
#define SHRINK_SRC_FORMATS_GGML_LEGACY_FIT_H_

#include <algorithm>
#include <cstdint>

#include "src/formats/ggml_legacy_blocks.h"

namespace shrink::ggml_legacy {

// Writes the fast header of a linear-type block whose smallest weight is `lo` and largest `hi`:
// ggml's reference rule (q4_0/q5_0: d = extreme / -8 or -16, the extreme being the weight of
// largest magnitude, so it lands on the most negative level; q8_0: d = max|x| / 127; q4_1/q5_1:
// d = (hi - lo) / 15 or 31, m = lo), rounded to f16. Codes are then chosen against the rounded
// header, never against the unrounded one as ggml does, so every weight gets its nearest level.
// Returns the map stored. `store` stores an f16 field and returns its value, as StoreF16 (the
// SIMD kernels pass a hardware conversion with the same results). Inline, so the kernels inline it.
template <class Store>
inline SubBlockMap LinearHeaderFromRange(LegacyType type, float lo, float hi, uint8_t* block, Store&& store) {
  lo += 0.0f;  // -0 -> +0: the SIMD reductions may return either zero
  hi += 0.0f;
  const float extreme = hi >= -lo ? hi : lo;
  SubBlockMap map;
  switch (type) {
    case LegacyType::kQ4_0: map.scale = store(block, extreme / -8.0f); break;
    case LegacyType::kQ5_0: map.scale = store(block, extreme / -16.0f); break;
    case LegacyType::kQ8_0: map.scale = store(block, std::max(hi, -lo) / 127.0f); break;
    case LegacyType::kQ4_1:
    case LegacyType::kQ5_1:
      map.scale = store(block, (hi - lo) / static_cast<float>(LinearLevelCount(type) - 1));
      map.bias = store(block + 2, lo);
      break;
    default: break;
  }
  return map;
}

// Writes the fast header for the 32 weights `x` (the range, then LinearHeaderFromRange).
void FitLinearFast(LegacyType type, const float* x, uint8_t* block);

// Writes the header minimizing sum_j importance[j] * (x[j] - decoded[j])^2 over candidate
// scales (and minimums), each measured exactly: rounded to f16, with nearest codes. The
// candidates sweep the grid around the weights' range, refit by weighted least squares and
// include the fast header, so the result is never worse than it.
void FitLinearWeighted(LegacyType type, const float* x, const float* importance, uint8_t* block);

}  // namespace shrink::ggml_legacy

#endif  // SHRINK_SRC_FORMATS_GGML_LEGACY_FIT_H_
