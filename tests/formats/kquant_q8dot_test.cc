// Tests of the k-quant x int8-input dot kernels: the Ref against a plain double sum, the SIMD kernel against the Ref.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "shrink/core/float_codec.h"
#include "src/formats/ggml_kquant_layout.h"
#include "src/kernels/formats/kquant.h"
#include "src/kernels/formats/kquant_q8dot.h"
#include "src/kernels/formats/q8_activations.h"
#include "testing/test_util.h"

namespace shrink {
namespace {

using kquant::KQuantSpec;
using kquant::kSuperBlock;

constexpr kquant::KQuantType kTypes[] = {kquant::KQuantType::kQ2K, kquant::KQuantType::kQ3K,
                                         kquant::KQuantType::kQ4K, kquant::KQuantType::kQ5K,
                                         kquant::KQuantType::kQ6K};

// Returns `num_blocks` super-blocks of random bytes with random finite f16 scales. With `special`,
// every fifth block (from the second) has zero scales d and dmin, and every fifth (from the fourth)
// extreme bytes: its sub-block codes alternate between the ends of their range and its code bytes
// are all 0xFF, all 0x00, or 0xFF then 0x00 (q3_k: every level 4, i.e. all weights exactly 0).
std::vector<uint8_t> RandomBlocks(const KQuantSpec& spec, int64_t num_blocks, uint32_t seed, bool special) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> byte(0, 255);
  std::normal_distribution<float> scale(0.0f, 0.01f);
  std::vector<uint8_t> blocks(static_cast<size_t>(num_blocks * spec.block_bytes));
  for (uint8_t& b : blocks) b = static_cast<uint8_t>(byte(rng));
  for (int64_t b = 0; b < num_blocks; ++b) {
    uint8_t* block = blocks.data() + b * spec.block_bytes;
    const bool zero_scales = special && b % 5 == 1, extreme = special && b % 5 == 3;
    const float d = zero_scales ? 0.0f : F16ToF32Ref(F32ToF16Ref(scale(rng)));
    const float dmin = zero_scales ? 0.0f : F16ToF32Ref(F32ToF16Ref(scale(rng)));
    kquant::StoreF16(d, block + spec.d_offset);
    if (spec.has_mins) kquant::StoreF16(dmin, block + spec.dmin_offset);
    if (extreme) {
      int sc[kquant::kMaxSubBlocks], m[kquant::kMaxSubBlocks];
      for (int j = 0; j < spec.num_sub(); ++j) {
        sc[j] = j % 2 ? spec.code_min : spec.code_max;
        m[j] = spec.has_mins ? spec.code_max : 0;
      }
      kquant::WriteCodes(spec, sc, m, block);
      const int pattern = static_cast<int>(b / 5) % 3;
      for (int i = spec.codes_begin; i < spec.codes_end; ++i) {
        block[i] = pattern == 0 || (pattern == 2 && i - spec.codes_begin < 32) ? 0xFF : 0x00;
      }
    }
  }
  return blocks;
}

// Returns `n` inputs whose blocks of 32 vary in magnitude over six decades; input block 1 is all
// zero (rounded scale 0) and block 2 holds one large outlier.
std::vector<float> RandomInputs(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> gauss(0.0f, 1.0f);
  std::uniform_real_distribution<float> decade(-3.0f, 3.0f);
  std::vector<float> x(static_cast<size_t>(n));
  for (int64_t k = 0; k < n / kernels::kQ8ActivationBlock; ++k) {
    const float magnitude = std::pow(10.0f, decade(rng));
    for (int i = 0; i < kernels::kQ8ActivationBlock; ++i) {
      x[k * kernels::kQ8ActivationBlock + i] = k == 1 ? 0.0f : magnitude * gauss(rng);
    }
  }
  if (n > 2 * kernels::kQ8ActivationBlock) x[2 * kernels::kQ8ActivationBlock + 7] = 1e4f;
  return x;
}

// The double sum of decoded weight times rounded input, and the sum of their absolute products.
struct ExactDot {
  double dot = 0.0;
  double magnitude = 0.0;
};

ExactDot ExactDotOf(kquant::KQuantType type, const std::vector<uint8_t>& blocks, int64_t num_blocks,
                    const kernels::Q8Input& x) {
  std::vector<float> w(static_cast<size_t>(num_blocks * kSuperBlock));
  kernels::KQuantDequantizeRowRef(type, blocks.data(), num_blocks, w.data());
  ExactDot exact;
  for (size_t j = 0; j < w.size(); ++j) {
    const double input = static_cast<double>(x.scale[j / kernels::kQ8ActivationBlock]) * x.codes[j];
    exact.dot += static_cast<double>(w[j]) * input;
    exact.magnitude += std::fabs(static_cast<double>(w[j]) * input);
  }
  return exact;
}

TEST(KQuantQ8DotTest, RefIsTheDoubleSumOfDecodedWeightsTimesRoundedInputs) {
  for (kquant::KQuantType type : kTypes) {
    const KQuantSpec& spec = kquant::SpecOf(type);
    for (uint32_t seed : {1u, 2u}) {
      for (int64_t num_blocks : {1, 4, 11}) {
        const std::vector<uint8_t> blocks = RandomBlocks(spec, num_blocks, seed, seed == 2);
        kernels::Q8Activations activations;
        const std::vector<float> x = RandomInputs(num_blocks * kSuperBlock, seed + 10);
        activations.Assign(x.data(), static_cast<int64_t>(x.size()));
        const ExactDot exact = ExactDotOf(type, blocks, num_blocks, activations.view());
        ASSERT_GT(exact.magnitude, 0.0);
        EXPECT_EQ(kernels::KQuantDotQ8RowRef(type, blocks.data(), num_blocks, activations.view()),
                  static_cast<float>(exact.dot))
            << spec.name << ", seed " << seed << ", " << num_blocks << " blocks";
      }
    }
  }
}

TEST(KQuantQ8DotTest, SimdMatchesRefWithinOneInHundredThousandOnEveryTarget) {
  testing::ForEachSimdTarget([&](const SimdTarget&) {
    for (kquant::KQuantType type : kTypes) {
      const KQuantSpec& spec = kquant::SpecOf(type);
      for (uint32_t seed : {1u, 2u, 3u}) {
        for (int64_t num_blocks : {1, 2, 3, 7, 16}) {
          SCOPED_TRACE(::testing::Message() << spec.name << ", seed " << seed << ", " << num_blocks << " blocks");
          const std::vector<uint8_t> blocks = RandomBlocks(spec, num_blocks, seed * 100 + num_blocks, seed != 1);
          kernels::Q8Activations activations;
          const std::vector<float> x = RandomInputs(num_blocks * kSuperBlock, seed * 100 + num_blocks + 50);
          activations.Assign(x.data(), static_cast<int64_t>(x.size()));
          const kernels::Q8Input input = activations.view();
          const float simd = kernels::KQuantDotQ8Row(type, blocks.data(), num_blocks, input);
          const float ref = kernels::KQuantDotQ8RowRef(type, blocks.data(), num_blocks, input);
          const double magnitude = ExactDotOf(type, blocks, num_blocks, input).magnitude;
          ASSERT_GT(magnitude, 0.0);
          EXPECT_LE(std::fabs(static_cast<double>(simd) - ref), 1e-5 * magnitude + 1e-30);
        }
      }
    }
  });
}

TEST(KQuantQ8DotTest, ZeroScalesZeroInputsAndCancellingLevelsGiveZeroOnEveryTarget) {
  testing::ForEachSimdTarget([&](const SimdTarget&) {
    for (kquant::KQuantType type : kTypes) {
      const KQuantSpec& spec = kquant::SpecOf(type);
      SCOPED_TRACE(spec.name);
      constexpr int64_t kBlocks = 3;
      std::vector<uint8_t> blocks = RandomBlocks(spec, kBlocks, 7, false);
      kernels::Q8Activations activations;
      const std::vector<float> x = RandomInputs(kBlocks * kSuperBlock, 8);
      activations.Assign(x.data(), static_cast<int64_t>(x.size()));
      EXPECT_EQ(kernels::KQuantDotQ8Row(type, blocks.data(), 0, activations.view()), 0.0f);

      kernels::Q8Activations zeros;
      const std::vector<float> zero_x(x.size(), 0.0f);
      zeros.Assign(zero_x.data(), static_cast<int64_t>(zero_x.size()));
      EXPECT_EQ(kernels::KQuantDotQ8Row(type, blocks.data(), kBlocks, zeros.view()), 0.0f);

      for (int64_t b = 0; b < kBlocks; ++b) {  // every weight exactly 0: zero d and dmin
        kquant::StoreF16(0.0f, blocks.data() + b * spec.block_bytes + spec.d_offset);
        if (spec.has_mins) kquant::StoreF16(0.0f, blocks.data() + b * spec.block_bytes + spec.dmin_offset);
      }
      EXPECT_EQ(kernels::KQuantDotQ8Row(type, blocks.data(), kBlocks, activations.view()), 0.0f);
    }
    // q3_k with every level 4 (high bit set, low bits 0) decodes to exact zeros whatever its scales.
    const KQuantSpec& q3 = kquant::SpecOf(kquant::KQuantType::kQ3K);
    std::vector<uint8_t> blocks = RandomBlocks(q3, 2, 9, false);
    for (int b = 0; b < 2; ++b) {
      std::memset(blocks.data() + b * q3.block_bytes, 0xFF, 32);
      std::memset(blocks.data() + b * q3.block_bytes + 32, 0x00, 64);
    }
    kernels::Q8Activations activations;
    const std::vector<float> x = RandomInputs(2 * kSuperBlock, 10);
    activations.Assign(x.data(), static_cast<int64_t>(x.size()));
    EXPECT_EQ(kernels::KQuantDotQ8Row(kquant::KQuantType::kQ3K, blocks.data(), 2, activations.view()), 0.0f);
  });
}

}  // namespace
}  // namespace shrink
