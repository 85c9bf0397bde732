// Tests of the k-quant kernels: every SIMD kernel against its scalar Ref twin on every target.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "shrink/core/float_codec.h"
#include "shrink/formats/quant_format.h"
#include "src/formats/ggml_kquant_fit.h"
#include "src/formats/ggml_kquant_layout.h"
#include "src/kernels/formats/kquant.h"
#include "src/kernels/formats/kquant_search.h"
#include "testing/test_util.h"

namespace shrink {
namespace {

using kquant::KQuantSpec;
using kquant::kSuperBlock;

constexpr kquant::KQuantType kTypes[] = {kquant::KQuantType::kQ2K, kquant::KQuantType::kQ3K,
                                         kquant::KQuantType::kQ4K, kquant::KQuantType::kQ5K,
                                         kquant::KQuantType::kQ6K};

// Returns `num_blocks` super-blocks of random bytes whose f16 scales are random finite values.
std::vector<uint8_t> RandomBlocks(const KQuantSpec& spec, int64_t num_blocks, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> byte(0, 255);
  std::normal_distribution<float> scale(0.0f, 0.01f);
  std::vector<uint8_t> blocks(static_cast<size_t>(num_blocks * spec.block_bytes));
  for (uint8_t& b : blocks) b = static_cast<uint8_t>(byte(rng));
  for (int64_t b = 0; b < num_blocks; ++b) {
    uint8_t* block = blocks.data() + b * spec.block_bytes;
    kquant::StoreF16(F16ToF32Ref(F32ToF16Ref(scale(rng))), block + spec.d_offset);
    if (spec.has_mins) kquant::StoreF16(F16ToF32Ref(F32ToF16Ref(scale(rng))), block + spec.dmin_offset);
  }
  return blocks;
}

// Returns `count` weights: Gaussian, heavy-tailed (Student-t), or with special sub-blocks (zeros,
// constants, one outlier, tiny and huge values) depending on `kind`.
std::vector<float> Weights(int64_t count, int kind, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> gauss(0.0f, 0.02f);
  std::student_t_distribution<float> heavy(3.0f);
  std::vector<float> x(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) x[i] = kind == 1 ? 0.02f * heavy(rng) : gauss(rng);
  if (kind == 2) {
    for (int64_t i = 0; i < count; ++i) {
      switch ((i / 16) % 8) {
        case 0: x[i] = 0.0f; break;
        case 1: x[i] = -0.5f; break;
        case 2: x[i] = 0.25f; break;
        case 3: x[i] = i % 16 == 5 ? 3.0f : 0.0f; break;
        case 4: x[i] *= 1e-30f; break;
        case 5: x[i] *= 1e12f; break;
        default: break;
      }
    }
  }
  return x;
}

// Returns per-weight importances with a few large channels.
std::vector<float> Importance(int64_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::exponential_distribution<float> dist(1.0f);
  std::vector<float> imp(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) imp[i] = dist(rng) * (i % 61 == 0 ? 100.0f : 1.0f);
  for (int64_t i = 32; i < 48 && i < count; ++i) imp[i] = 0.0f;  // a sub-block without importance
  return imp;
}

TEST(GgmlKQuantKernelTest, DequantizeMatchesRefBitwiseOnEveryTarget) {
  testing::ForEachSimdTarget([&](const SimdTarget&) {
    for (kquant::KQuantType type : kTypes) {
      const KQuantSpec& spec = kquant::SpecOf(type);
      for (int64_t num_blocks : {1, 2, 3, 7, 16}) {
        const std::vector<uint8_t> blocks = RandomBlocks(spec, num_blocks, static_cast<uint32_t>(num_blocks));
        std::vector<float> simd(num_blocks * kSuperBlock), ref(simd.size());
        kernels::KQuantDequantizeRow(type, blocks.data(), num_blocks, simd.data());
        kernels::KQuantDequantizeRowRef(type, blocks.data(), num_blocks, ref.data());
        ASSERT_EQ(0, std::memcmp(simd.data(), ref.data(), simd.size() * sizeof(float)))
            << spec.name << ", " << num_blocks << " blocks";
      }
    }
  });
}

TEST(GgmlKQuantKernelTest, DotMatchesRefWithinOneInHundredThousandOnEveryTarget) {
  testing::ForEachSimdTarget([&](const SimdTarget&) {
    for (kquant::KQuantType type : kTypes) {
      const KQuantSpec& spec = kquant::SpecOf(type);
      for (int64_t num_blocks : {1, 3, 16}) {
        const std::vector<uint8_t> blocks = RandomBlocks(spec, num_blocks, 100 + static_cast<uint32_t>(num_blocks));
        std::vector<float> x(num_blocks * kSuperBlock);
        kernels::KQuantDequantizeRowRef(type, blocks.data(), num_blocks, x.data());
        std::mt19937 rng(7);
        std::normal_distribution<float> noise(0.0f, 0.01f);
        for (float& v : x) v += noise(rng);  // x near the row: the dot is far from 0
        const float dot = kernels::KQuantDotRow(type, blocks.data(), num_blocks, x.data());
        const float ref = kernels::KQuantDotRowRef(type, blocks.data(), num_blocks, x.data());
        ASSERT_GT(std::fabs(ref), 0.0f);
        EXPECT_LE(std::fabs(dot - ref), 1e-5f * std::fabs(ref)) << spec.name << ", " << num_blocks << " blocks";
      }
    }
  });
}

TEST(GgmlKQuantKernelTest, NearestLevelsAndPackMatchRefOnEveryTarget) {
  testing::ForEachSimdTarget([&](const SimdTarget&) {
    for (kquant::KQuantType type : kTypes) {
      const KQuantSpec& spec = kquant::SpecOf(type);
      const LevelTable levels = kquant::LevelsOf(spec);
      const std::vector<float> x = Weights(kSuperBlock, 0, 3);
      SubBlockGrid grids[kquant::kMaxSubBlocks];
      for (int j = 0; j < spec.num_sub(); ++j) {  // one sub-block with scale 0, others random maps
        grids[j] = SubBlockGrid{j == 1 ? 0.0f : 0.004f * static_cast<float>(j % 5 + 1) * (j % 2 ? -1.0f : 1.0f),
                                j == 2 ? -0.03f : 0.0f};
      }
      uint8_t simd[kSuperBlock], ref[kSuperBlock];
      kernels::KQuantNearestLevels(x.data(), kSuperBlock, spec.sub_size, grids, levels, simd);
      kernels::KQuantNearestLevelsRef(x.data(), kSuperBlock, spec.sub_size, grids, levels, ref);
      ASSERT_EQ(0, std::memcmp(simd, ref, kSuperBlock)) << spec.name;

      std::mt19937 rng(11);
      std::uniform_int_distribution<int> level(0, spec.level_count - 1);
      uint8_t chosen[kSuperBlock], back[kSuperBlock];
      for (uint8_t& l : chosen) l = static_cast<uint8_t>(level(rng));
      std::vector<uint8_t> packed = RandomBlocks(spec, 1, 5), packed_ref = packed;
      const std::vector<uint8_t> before = packed;
      kernels::KQuantPackLevels(type, chosen, packed.data());
      kquant::PackLevels(spec, chosen, packed_ref.data());
      ASSERT_EQ(packed, packed_ref) << spec.name;
      for (int i = 0; i < spec.block_bytes; ++i) {  // the header is left alone
        if (i < spec.codes_begin || i >= spec.codes_end) {
          ASSERT_EQ(packed[i], before[i]) << spec.name << " byte " << i;
        }
      }
      kquant::UnpackLevels(spec, packed.data(), back);
      ASSERT_EQ(0, std::memcmp(chosen, back, kSuperBlock)) << spec.name;
    }
  });
}

TEST(GgmlKQuantKernelTest, SearchKernelsMatchRefBitwiseOnEveryTarget) {
  testing::ForEachSimdTarget([&](const SimdTarget&) {
    for (kquant::KQuantType type : kTypes) {
      const KQuantSpec& spec = kquant::SpecOf(type);
      for (int kind = 0; kind < 3; ++kind) {
        for (bool weighted : {false, true}) {
          SCOPED_TRACE(::testing::Message() << spec.name << " data " << kind << (weighted ? " weighted" : ""));
          const std::vector<float> x = Weights(kSuperBlock, kind, 20 + kind);
          const std::vector<float> imp = Importance(kSuperBlock, 30 + kind);
          const kernels::KQuantProblem p = kquant::ProblemOf(spec, weighted);
          float xt[kSuperBlock], wt[kSuperBlock], xt_ref[kSuperBlock], wt_ref[kSuperBlock];
          kernels::KQuantTranspose(p.sub_size, p.num_sub, x.data(), weighted ? imp.data() : nullptr, xt, wt);
          kernels::KQuantTransposeRef(p.sub_size, p.num_sub, x.data(), weighted ? imp.data() : nullptr, xt_ref, wt_ref);
          ASSERT_EQ(0, std::memcmp(xt, xt_ref, sizeof(xt)));
          ASSERT_EQ(0, std::memcmp(wt, wt_ref, sizeof(wt)));

          kernels::KQuantSubFits fits, fits_ref;
          kernels::KQuantFitSubBlocks(p, xt, wt, &fits);
          kernels::KQuantFitSubBlocksRef(p, xt, wt, &fits_ref);
          for (int j = 0; j < p.num_sub; ++j) {
            ASSERT_EQ(F32Bits(fits.scale[j]), F32Bits(fits_ref.scale[j])) << "sub-block " << j;
            ASSERT_EQ(F32Bits(fits.offset[j]), F32Bits(fits_ref.offset[j])) << "sub-block " << j;
            ASSERT_EQ(F32Bits(fits.sum_w[j]), F32Bits(fits_ref.sum_w[j])) << "sub-block " << j;
            ASSERT_EQ(F32Bits(fits.sum_wx[j]), F32Bits(fits_ref.sum_wx[j])) << "sub-block " << j;
            ASSERT_EQ(F32Bits(fits.sum_wl2[j]), F32Bits(fits_ref.sum_wl2[j])) << "sub-block " << j;
          }

          float sc[kquant::kMaxSubBlocks], m[kquant::kMaxSubBlocks], sc_ref[kquant::kMaxSubBlocks],
              m_ref[kquant::kMaxSubBlocks];
          for (int j = 0; j < p.num_sub; ++j) {  // codes inside the range, some at its ends
            const int mid = (spec.code_max + spec.code_min) / 2 + j % 5;
            sc[j] = sc_ref[j] = static_cast<float>(j % 3 == 0 ? spec.code_max : (j % 7 == 1 ? spec.code_min : mid));
            m[j] = m_ref[j] = spec.has_mins ? static_cast<float>(j % 4 == 0 ? 0 : spec.code_max / 2) : 0.0f;
          }
          const float d = 0.0007f, dmin = spec.has_mins ? 0.0011f : 0.0f;
          kernels::KQuantRefineCodes(p, xt, wt, d, dmin, spec.code_min, spec.code_max, sc, m);
          kernels::KQuantRefineCodesRef(p, xt, wt, d, dmin, spec.code_min, spec.code_max, sc_ref, m_ref);
          ASSERT_EQ(0, std::memcmp(sc, sc_ref, sizeof(float) * p.num_sub));
          ASSERT_EQ(0, std::memcmp(m, m_ref, sizeof(float) * p.num_sub));

          kernels::KQuantLevelSums sums, sums_ref;
          kernels::KQuantLevelSumsOf(p, xt, wt, d, dmin, sc, m, &sums);
          kernels::KQuantLevelSumsOfRef(p, xt, wt, d, dmin, sc, m, &sums_ref);
          for (int j = 0; j < p.num_sub; ++j) {
            ASSERT_EQ(F32Bits(sums.sum_wl[j]), F32Bits(sums_ref.sum_wl[j])) << "sub-block " << j;
            ASSERT_EQ(F32Bits(sums.sum_wl2[j]), F32Bits(sums_ref.sum_wl2[j])) << "sub-block " << j;
            ASSERT_EQ(F32Bits(sums.sum_wlx[j]), F32Bits(sums_ref.sum_wlx[j])) << "sub-block " << j;
            ASSERT_EQ(F32Bits(sums.error[j]), F32Bits(sums_ref.error[j])) << "sub-block " << j;
          }
        }
      }
    }
  });
}

TEST(GgmlKQuantKernelTest, QuantizeRowEqualsScalarEncoderAndGenericPathOnEveryTarget) {
  const int64_t cols = 5 * kSuperBlock;
  testing::ForEachSimdTarget([&](const SimdTarget&) {
    for (kquant::KQuantType type : kTypes) {
      const KQuantSpec& spec = kquant::SpecOf(type);
      const auto format = MakeQuantFormat(spec.name, {});
      const size_t row_bytes = static_cast<size_t>(cols / kSuperBlock * spec.block_bytes);
      for (int kind = 0; kind < 3; ++kind) {
        for (bool weighted : {false, true}) {
          SCOPED_TRACE(::testing::Message() << spec.name << " data " << kind << (weighted ? " weighted" : ""));
          const std::vector<float> x = Weights(cols, kind, 40 + kind);
          const std::vector<float> imp = Importance(cols, 50 + kind);
          const float* importance = weighted ? imp.data() : nullptr;
          std::vector<uint8_t> simd(row_bytes, 0xA5), generic(row_bytes, 0x5A), ref(row_bytes);
          RowRef row;
          row.section[0] = simd.data();
          format->QuantizeRow(x.data(), importance, cols, TensorContext(), row);
          row.section[0] = generic.data();
          format->QuantFormat::QuantizeRow(x.data(), importance, cols, TensorContext(), row);
          kquant::QuantizeRowRef(spec, x.data(), importance, cols / kSuperBlock, ref.data());
          ASSERT_EQ(simd, ref);
          ASSERT_EQ(simd, generic);
        }
      }
    }
  });
}

}  // namespace
}  // namespace shrink
