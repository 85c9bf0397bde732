// Rounding of a MatVec input to int8 blocks of 32 (see q8_activations.h).
#include "src/kernels/formats/q8_activations.h"

#include <cstddef>

#include "src/kernels/formats/int8_rows.h"

namespace shrink::kernels {

void Q8Activations::Assign(const float* x, int64_t n) {
  const int64_t blocks = n / kQ8ActivationBlock;
  scale_.resize(static_cast<size_t>(blocks));
  if (n > capacity_) {
    codes_ = hwy::AllocateAligned<int16_t>(static_cast<size_t>(n));
    capacity_ = n;
  }
  sums_.resize(static_cast<size_t>(n / 16));
  int8_t codes[kQ8ActivationBlock];
  for (int64_t b = 0; b < blocks; ++b) {
    scale_[b] = QuantizeInt8Row(x + b * kQ8ActivationBlock, kQ8ActivationBlock, codes);
    for (int half = 0; half < 2; ++half) {
      int32_t sum = 0;
      for (int j = 16 * half; j < 16 * half + 16; ++j) {
        codes_[b * kQ8ActivationBlock + j] = codes[j];
        sum += codes[j];
      }
      sums_[2 * b + half] = sum;
    }
  }
}

}  // namespace shrink::kernels
