// Tests of what is specific to iq4_nl and iq4_xs: the non-uniform nearest rule, the 6-bit scale
// packing of iq4_xs, and exact tie-breaking of the SIMD encoder on every target.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "shrink/formats/quant_format.h"
#include "src/formats/ggml_legacy_blocks.h"
#include "src/kernels/formats/ggml_legacy.h"
#include "testing/test_util.h"

namespace shrink {
namespace {

using ggml_legacy::LegacyType;

// Iq4Nearest counts the midpoints below t; LevelTable::Nearest compares t - lo with hi - t. They
// must agree everywhere, in particular a few ulps around every midpoint and level.
TEST(GgmlIq4Test, NearestEqualsLevelTableNearest) {
  const auto format = MakeQuantFormat("iq4_nl", {});
  const LevelTable& levels = format->Levels();
  std::vector<float> probes = {0.0f, -0.0f, std::numeric_limits<float>::infinity(),
                               -std::numeric_limits<float>::infinity(), 1e-30f, -1e30f, 1e30f};
  for (int k = 0; k < 16; ++k) {
    std::vector<float> centers = {static_cast<float>(ggml_legacy::kIq4Values[k])};
    if (k < 15) centers.push_back(0.5f * static_cast<float>(ggml_legacy::kIq4Values[k] + ggml_legacy::kIq4Values[k + 1]));
    for (float c : centers) {
      float up = c, down = c;
      for (int step = 0; step < 4; ++step) {
        probes.push_back(up);
        probes.push_back(down);
        up = std::nextafter(up, 1e9f);
        down = std::nextafter(down, -1e9f);
      }
    }
  }
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-140.0f, 140.0f);
  for (int i = 0; i < 100000; ++i) probes.push_back(u(rng));
  for (float t : probes) ASSERT_EQ(ggml_legacy::Iq4Nearest(t), levels.Nearest(t)) << "t = " << t;
  EXPECT_EQ(ggml_legacy::Iq4Nearest(std::numeric_limits<float>::quiet_NaN()), 0);
  EXPECT_EQ(levels.Nearest(std::numeric_limits<float>::quiet_NaN()), 0);
}

// ggml's quantize_row_iq4_nl_impl stores ls = l + 32 as: low nibble of scales_l[s / 2] for even
// s, high nibble for odd s, and bits 2s, 2s + 1 of scales_h for the top two bits.
TEST(GgmlIq4Test, XsScalesPackLikeGgml) {
  const int ls[8] = {0, 63, 32, 1, 17, 46, 5, 60};
  uint8_t block[ggml_legacy::BlockBytes(LegacyType::kIq4Xs)] = {};
  for (int s = 0; s < 8; ++s) ggml_legacy::SetIq4XsScale(block, s, ls[s]);
  const uint8_t expected[6] = {0x2C, 0xC9, 0xF0, 0x10, 0xE1, 0xC5};  // scales_h (LE), scales_l[4]
  EXPECT_EQ(std::memcmp(block + 2, expected, sizeof(expected)), 0);
  for (int s = 0; s < 8; ++s) EXPECT_EQ(ggml_legacy::Iq4XsScale(block, s), ls[s]);
  for (int s = 0; s < 8; ++s) {  // every value in every slot, without touching the others
    for (int v = 0; v < 64; ++v) {
      ggml_legacy::SetIq4XsScale(block, s, v);
      for (int other = 0; other < 8; ++other) ASSERT_EQ(ggml_legacy::Iq4XsScale(block, other), other == s ? v : ls[other]);
    }
    ggml_legacy::SetIq4XsScale(block, s, ls[s]);
  }
}

// With d = 7 the product x * (1 / d) misses exact ties x / d = midpoint; the SIMD encoder must
// notice and divide, so its codes equal the Ref's (and QuantFormat's nearest rule) everywhere.
TEST(GgmlIq4Test, EncoderBreaksExactTiesLikeTheNearestRuleOnEveryTarget) {
  for (LegacyType type : {LegacyType::kIq4Nl, LegacyType::kIq4Xs}) {
    const int64_t cols = 256;
    std::vector<float> x(cols);
    for (int64_t j = 0; j < cols; ++j) {
      const int k = static_cast<int>(j % 15);
      const float mid = 0.5f * static_cast<float>(ggml_legacy::kIq4Values[k] + ggml_legacy::kIq4Values[k + 1]);
      x[j] = 7.0f * mid * (type == LegacyType::kIq4Xs ? 3.0f : 1.0f);  // iq4_xs: d = 7, ls - 32 = 3
    }
    std::vector<uint8_t> blocks(static_cast<size_t>(cols / ggml_legacy::BlockElems(type) * ggml_legacy::BlockBytes(type)), 0);
    for (size_t b = 0; b < blocks.size(); b += ggml_legacy::BlockBytes(type)) {
      ggml_legacy::StoreF16(blocks.data() + b, 7.0f);
      if (type == LegacyType::kIq4Xs) {
        for (int s = 0; s < 8; ++s) ggml_legacy::SetIq4XsScale(blocks.data() + b, s, 35);
      }
    }
    const auto format = MakeQuantFormat("iq4_nl", {});
    std::vector<uint8_t> ref = blocks;
    kernels::GgmlLegacyEncodeRowRef(type, x.data(), cols, ref.data());
    for (int64_t j = 0; j < cols; ++j) {  // the Ref is the nearest rule itself
      const SubBlockGrid grid{7.0f * (type == LegacyType::kIq4Xs ? 3.0f : 1.0f), 0.0f};
      const int expected = grid.NearestLevel(x[j], format->Levels());
      ASSERT_EQ(ggml_legacy::BlockCode(type, ref.data() + j / ggml_legacy::BlockElems(type) * ggml_legacy::BlockBytes(type),
                                       static_cast<int>(j % ggml_legacy::BlockElems(type))),
                expected);
    }
    testing::ForEachSimdTarget([&](const SimdTarget&) {
      std::vector<uint8_t> simd = blocks;
      kernels::GgmlLegacyEncodeRow(type, x.data(), cols, simd.data());
      ASSERT_EQ(simd, ref);
    });
  }
}

}  // namespace
}  // namespace shrink
