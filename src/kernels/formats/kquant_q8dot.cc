// Dynamic dispatch of the k-quant x int8-input dot kernel, and its scalar Ref twin.
#include "src/kernels/formats/kquant_q8dot.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/kernels/formats/kquant_q8dot.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "src/kernels/formats/kquant_q8dot-inl.h"

#if HWY_ONCE
#include "src/kernels/formats/kquant.h"

namespace shrink {
HWY_EXPORT(KQuantDotQ8Row);

namespace kernels {

float KQuantDotQ8Row(kquant::KQuantType type, const uint8_t* blocks, int64_t num_blocks, const Q8Input& x) noexcept {
  return HWY_DYNAMIC_DISPATCH(KQuantDotQ8Row)(type, blocks, num_blocks, x);
}

float KQuantDotQ8RowRef(kquant::KQuantType type, const uint8_t* blocks, int64_t num_blocks,
                        const Q8Input& x) noexcept {
  const kquant::KQuantSpec& spec = kquant::SpecOf(type);
  float w[kquant::kSuperBlock];
  double total = 0.0;
  for (int64_t b = 0; b < num_blocks; ++b) {
    KQuantDequantizeRowRef(type, blocks + b * spec.block_bytes, 1, w);
    for (int i = 0; i < kquant::kSuperBlock; ++i) {
      const int64_t j = b * kquant::kSuperBlock + i;
      const double input = static_cast<double>(x.scale[j / kQ8ActivationBlock]) * x.codes[j];
      total += static_cast<double>(w[i]) * input;
    }
  }
  return static_cast<float>(total);
}

}  // namespace kernels
}  // namespace shrink
#endif  // HWY_ONCE
