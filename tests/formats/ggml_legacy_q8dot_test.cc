// Tests of the integer dot kernels of ggml's legacy and iq4 types against int8-rounded inputs:
// the Ref's definition, the SIMD kernel against the Ref on every target, special blocks.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "shrink/core/simd.h"
#include "src/formats/ggml_legacy_blocks.h"
#include "src/kernels/formats/ggml_legacy.h"
#include "src/kernels/formats/ggml_legacy_q8dot.h"
#include "src/kernels/formats/q8_activations.h"
#include "testing/ggml_random_blocks.h"
#include "testing/test_util.h"

namespace shrink {
namespace {

using ggml_legacy::LegacyType;

constexpr LegacyType kTypes[] = {LegacyType::kQ4_0, LegacyType::kQ4_1, LegacyType::kQ5_0, LegacyType::kQ5_1,
                                 LegacyType::kQ8_0, LegacyType::kIq4Nl, LegacyType::kIq4Xs};
constexpr const char* kNames[] = {"q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "iq4_nl", "iq4_xs"};

// Returns the number of blocks of the row lengths tested: 1 to 100 runs of 32 weights, so the
// kernels' chunks (8, 16 or 32 runs) are whole, partial and both.
std::vector<int64_t> BlockCounts(LegacyType type) {
  if (type == LegacyType::kIq4Xs) return {1, 2, 3, 4, 5, 8, 13};
  return {1, 2, 3, 5, 8, 9, 15, 16, 17, 31, 32, 33, 47, 64, 100};
}

// Returns `cols` N(0, 1) inputs; kind 1 makes them heavy-tailed with an all-zero block (which
// rounds to scale 0) and a block of one huge value among tiny ones.
std::vector<float> Inputs(int64_t cols, int kind, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> gauss(0.0f, 1.0f);
  std::student_t_distribution<float> heavy(2.0f);
  std::vector<float> x(static_cast<size_t>(cols));
  for (float& v : x) v = kind == 0 ? gauss(rng) : heavy(rng);
  if (kind == 1) {
    for (int64_t j = 0; j < cols; ++j) {
      if (j / 32 % 4 == 1) x[j] = 0.0f;
      if (j / 32 % 4 == 2) x[j] = j % 32 == 7 ? 1e6f : 1e-3f * x[j];
    }
  }
  return x;
}

// The decoded row and the rounded inputs of one case, with the Ref's definition evaluated here.
struct DotCase {
  std::vector<float> weights;  // as ggml decodes them
  kernels::Q8Activations inputs;
  double magnitude = 0.0;  // sum_j |w_j * xq_j|
  double exact = 0.0;      // sum_j w_j * xq_j in double
};

// Fills `c` from blocks of `type` (a row of `cols` weights) and float inputs x.
void MakeCase(LegacyType type, const std::vector<uint8_t>& blocks, const std::vector<float>& x, DotCase& c) {
  const int64_t cols = static_cast<int64_t>(x.size());
  c.weights.resize(x.size());
  kernels::GgmlLegacyDequantizeRowRef(type, blocks.data(), cols, c.weights.data());
  c.inputs.Assign(x.data(), cols);
  const kernels::Q8Input in = c.inputs.view();
  c.magnitude = c.exact = 0.0;
  for (int64_t j = 0; j < cols; ++j) {
    const double product = static_cast<double>(c.weights[j]) * (static_cast<double>(in.scale[j / 32]) * in.codes[j]);
    c.exact += product;
    c.magnitude += std::fabs(product);
  }
}

// Expects the SIMD kernel within 1e-5 of sum |w_j xq_j| of the Ref on every target, and the Ref
// equal to the double sum of decoded weights times rounded inputs.
void ExpectDotsMatch(LegacyType type, const std::vector<uint8_t>& blocks, const std::vector<float>& x) {
  DotCase c;
  MakeCase(type, blocks, x, c);
  const int64_t cols = static_cast<int64_t>(x.size());
  const kernels::Q8Input in = c.inputs.view();
  const float ref = kernels::GgmlLegacyDotQ8RowRef(type, blocks.data(), cols, in);
  ASSERT_EQ(ref, static_cast<float>(c.exact));
  testing::ForEachSimdTarget([&](const SimdTarget&) {
    const float dot = kernels::GgmlLegacyDotQ8Row(type, blocks.data(), cols, in);
    ASSERT_LE(std::fabs(static_cast<double>(dot) - ref), 1e-5 * c.magnitude + 1e-30)
        << "dot " << dot << ", ref " << ref << ", sum of |products| " << c.magnitude;
  });
}

class GgmlLegacyQ8DotTest : public ::testing::TestWithParam<int> {
 protected:
  LegacyType type() const { return kTypes[GetParam()]; }
  int64_t block() const { return ggml_legacy::BlockElems(type()); }
};

TEST_P(GgmlLegacyQ8DotTest, SimdMatchesRefOnEveryTargetForRandomBlocks) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    for (int64_t blocks : BlockCounts(type())) {
      for (int kind : {0, 1}) {
        SCOPED_TRACE(::testing::Message() << "seed " << seed << ", " << blocks << " blocks, inputs " << kind);
        const std::vector<uint8_t> row = testing::RandomLegacyBlocks(type(), blocks, seed * 1000 + static_cast<uint32_t>(blocks));
        ExpectDotsMatch(type(), row, Inputs(blocks * block(), kind, seed + 7));
      }
    }
  }
}

TEST_P(GgmlLegacyQ8DotTest, SimdMatchesRefOnEveryTargetForSpecialBlocks) {
  const int64_t blocks = 40;
  std::vector<uint8_t> row = testing::RandomLegacyBlocks(type(), blocks, 11);
  const int bytes = ggml_legacy::BlockBytes(type());
  const int after_header = ggml_legacy::HasMin(type()) ? 4 : 2;  // d (and m) stay finite
  for (int64_t b = 0; b < blocks; ++b) {
    uint8_t* block = row.data() + b * bytes;
    const int code_begin = ggml_legacy::CodesOffset(type());
    switch (b % 5) {
      case 0:  // all-zero scale (q4_1, q5_1 keep m: every weight is m)
        std::memset(block, 0, 2);
        break;
      case 1:  // extreme codes: every code bit clear
        std::memset(block + after_header, 0, static_cast<size_t>(bytes - after_header));
        ggml_legacy::StoreF16(block, 0.5f);
        break;
      case 2:  // extreme codes: every code bit set (q8_0: all -1; iq4_xs: ls = 63)
        std::memset(block + after_header, 0xFF, static_cast<size_t>(bytes - after_header));
        break;
      case 3:  // code bytes alternating 0x7F and 0x80 (q8_0: 127, -128), the most negative scale
        for (int i = code_begin; i < bytes; ++i) block[i] = static_cast<uint8_t>(i % 2 ? 0x7F : 0x80);
        ggml_legacy::StoreF16(block, -65504.0f);
        break;
      default:  // the smallest subnormal scale
        block[0] = 1;
        block[1] = 0;
        break;
    }
  }
  for (int kind : {0, 1}) {
    SCOPED_TRACE(::testing::Message() << "inputs " << kind);
    ExpectDotsMatch(type(), row, Inputs(blocks * block(), kind, 12));
  }
}

std::string TypeName(const ::testing::TestParamInfo<int>& info) { return kNames[info.param]; }

INSTANTIATE_TEST_SUITE_P(AllTypes, GgmlLegacyQ8DotTest, ::testing::Range(0, 7), TypeName);

TEST(GgmlLegacyQ8DotZeroTest, SimdIsExactlyZeroForWeightsAtLevelZeroOnEveryTarget) {
  // The linear types decode level 0 to 0 exactly (q4_0 code 8, q5_0 code 16, q8_0 code 0, q4_1
  // and q5_1 code 0 with m = 0): the integer sums are 0 whatever the scales and inputs.
  const int64_t blocks = 37;
  for (LegacyType type : {LegacyType::kQ4_0, LegacyType::kQ4_1, LegacyType::kQ5_0, LegacyType::kQ5_1,
                          LegacyType::kQ8_0}) {
    SCOPED_TRACE(kNames[static_cast<int>(type)]);
    std::vector<uint8_t> row = testing::RandomLegacyBlocks(type, blocks, 13);
    const std::vector<uint8_t> zero_codes(ggml_legacy::kSubBlock,
                                          static_cast<uint8_t>(-ggml_legacy::LinearFirstLevel(type)));
    for (int64_t b = 0; b < blocks; ++b) {
      uint8_t* block = row.data() + b * ggml_legacy::BlockBytes(type);
      if (ggml_legacy::HasMin(type)) std::memset(block + 2, 0, 2);
      ggml_legacy::PutBlockCodes(type, zero_codes.data(), block);
    }
    const std::vector<float> x = Inputs(blocks * ggml_legacy::kSubBlock, 0, 14);
    kernels::Q8Activations inputs;
    inputs.Assign(x.data(), static_cast<int64_t>(x.size()));
    testing::ForEachSimdTarget([&](const SimdTarget&) {
      EXPECT_EQ(kernels::GgmlLegacyDotQ8Row(type, row.data(), static_cast<int64_t>(x.size()), inputs.view()), 0.0f);
    });
  }
}

}  // namespace
}  // namespace shrink
