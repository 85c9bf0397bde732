// Dynamic dispatch of the k-quant row kernels, and their scalar Ref twins.
#include "src/kernels/formats/kquant.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/kernels/formats/kquant.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "src/kernels/formats/kquant-inl.h"

#if HWY_ONCE
namespace shrink {
HWY_EXPORT(KQuantDequantizeRow);
HWY_EXPORT(KQuantDotRow);
HWY_EXPORT(KQuantNearestLevels);
HWY_EXPORT(KQuantPackLevels);

namespace kernels {

void KQuantDequantizeRow(kquant::KQuantType type, const uint8_t* blocks, int64_t num_blocks, float* out) noexcept {
  HWY_DYNAMIC_DISPATCH(KQuantDequantizeRow)(type, blocks, num_blocks, out);
}

float KQuantDotRow(kquant::KQuantType type, const uint8_t* blocks, int64_t num_blocks, const float* x) noexcept {
  return HWY_DYNAMIC_DISPATCH(KQuantDotRow)(type, blocks, num_blocks, x);
}

void KQuantNearestLevels(const float* x, int64_t count, int sub_size, const SubBlockGrid* grids,
                         const LevelTable& levels, uint8_t* out) noexcept {
  HWY_DYNAMIC_DISPATCH(KQuantNearestLevels)(x, count, sub_size, grids, levels, out);
}

void KQuantPackLevels(kquant::KQuantType type, const uint8_t* levels, uint8_t* block) noexcept {
  HWY_DYNAMIC_DISPATCH(KQuantPackLevels)(type, levels, block);
}

void KQuantDequantizeRowRef(kquant::KQuantType type, const uint8_t* blocks, int64_t num_blocks, float* out) noexcept {
  const kquant::KQuantSpec& spec = kquant::SpecOf(type);
  float mul[kquant::kMaxSubBlocks], sub[kquant::kMaxSubBlocks];
  uint8_t levels[kquant::kSuperBlock];
  for (int64_t b = 0; b < num_blocks; ++b) {
    const uint8_t* block = blocks + b * spec.block_bytes;
    kquant::ReadSubBlockMaps(spec, block, mul, sub);
    kquant::UnpackLevels(spec, block, levels);
    for (int i = 0; i < kquant::kSuperBlock; ++i) {
      const int j = i / spec.sub_size;
      out[b * kquant::kSuperBlock + i] = mul[j] * static_cast<float>(levels[i] - spec.level_offset) - sub[j];
    }
  }
}

float KQuantDotRowRef(kquant::KQuantType type, const uint8_t* blocks, int64_t num_blocks, const float* x) noexcept {
  const kquant::KQuantSpec& spec = kquant::SpecOf(type);
  float w[kquant::kSuperBlock];
  double total = 0.0;
  for (int64_t b = 0; b < num_blocks; ++b) {
    KQuantDequantizeRowRef(type, blocks + b * spec.block_bytes, 1, w);
    for (int i = 0; i < kquant::kSuperBlock; ++i) {
      total += static_cast<double>(w[i]) * static_cast<double>(x[b * kquant::kSuperBlock + i]);
    }
  }
  return static_cast<float>(total);
}

void KQuantNearestLevelsRef(const float* x, int64_t count, int sub_size, const SubBlockGrid* grids,
                            const LevelTable& levels, uint8_t* out) noexcept {
  for (int64_t i = 0; i < count; ++i) out[i] = static_cast<uint8_t>(grids[i / sub_size].NearestLevel(x[i], levels));
}

}  // namespace kernels
}  // namespace shrink
#endif  // HWY_ONCE
