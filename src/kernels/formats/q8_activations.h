// A MatVec input rounded to int8 per 32 values (scale = max|x| / 127 per block), the input of
// the integer dot kernels of the ggml block types (the arithmetic of llama.cpp's q8_0 / q8_K).
#ifndef SHRINK_SRC_KERNELS_FORMATS_Q8_ACTIVATIONS_H_
#define SHRINK_SRC_KERNELS_FORMATS_Q8_ACTIVATIONS_H_

#include <cstdint>
#include <vector>

#include "hwy/aligned_allocator.h"

namespace shrink::kernels {

// The inputs that share one scale.
constexpr int kQ8ActivationBlock = 32;

// Read-only view of rounded inputs: input j stands for scale[j / 32] * codes[j].
struct Q8Input {
  const float* scale;    // one per 32 inputs
  const int16_t* codes;  // in [-127, 127], widened to int16
  const int32_t* sums;   // sums[k] = codes[16 k] + ... + codes[16 k + 15]
};

// Owns the rounded form of one input vector.
class Q8Activations {
 public:
  // Rounds x (n floats, n a multiple of 32, all finite) block by block with QuantizeInt8Row; a
  // block whose max|x| is below 1e-30 gets scale 0 and zero codes.
  void Assign(const float* x, int64_t n);
  Q8Input view() const { return {scale_.data(), codes_.get(), sums_.data()}; }

 private:
  std::vector<float> scale_;
  hwy::AlignedFreeUniquePtr<int16_t[]> codes_;  // vector-aligned: a block's loads never split a line
  int64_t capacity_ = 0;
  std::vector<int32_t> sums_;
};

}  // namespace shrink::kernels

#endif  // SHRINK_SRC_KERNELS_FORMATS_Q8_ACTIVATIONS_H_
