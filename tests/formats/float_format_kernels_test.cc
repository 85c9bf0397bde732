// Tests of the float-like format kernels: codebook search, and SIMD against Ref on every target.
#include "src/kernels/formats/float_formats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <vector>

#include "shrink/core/float_codec.h"
#include "shrink/formats/quant_format.h"
#include "src/formats/fp4_formats.h"
#include "src/formats/nf4_format.h"
#include "testing/test_util.h"

namespace shrink {
namespace {

// Returns `cols` weights that visit every case a kernel treats differently, 16 at a time:
// Gaussian, heavy-tailed, zero, tiny (subnormal scales), huge, exact E2M1 ties, constant,
// and one outlier among small values.
std::vector<float> TrickyRow(int64_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::student_t_distribution<float> heavy(3.0f);
  std::uniform_int_distribution<int> quarter(-24, 24);
  std::vector<float> x(static_cast<size_t>(cols));
  for (int64_t j = 0; j < cols; ++j) {
    float& v = x[static_cast<size_t>(j)];
    switch ((j / 16) % 8) {
      case 0: v = normal(rng); break;
      case 1: v = heavy(rng); break;
      case 2: v = 0.0f; break;
      case 3: v = normal(rng) * 1e-39f; break;
      case 4: v = normal(rng) * 1e30f; break;
      case 5: v = j % 16 == 0 ? 6.0f : 0.25f * static_cast<float>(quarter(rng)); break;
      case 6: v = 0.7f; break;
      default: v = j % 16 == 3 ? 100.0f : 0.01f * normal(rng); break;
    }
  }
  return x;
}

// Returns `n` importance weights: log-normal, with some zeros.
std::vector<float> RandomImportance(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.5f);
  std::vector<float> w(static_cast<size_t>(n));
  for (auto& v : w) v = std::exp(normal(rng));
  for (size_t j = 5; j < w.size(); j += 37) w[j] = 0.0f;
  return w;
}

// Returns the 4-bit block formats.
std::vector<std::unique_ptr<QuantFormat>> Block4Formats() {
  std::vector<std::unique_ptr<QuantFormat>> formats;
  for (const char* name : {"nf4", "mxfp4", "nvfp4"}) formats.push_back(MakeQuantFormat(name, {}));
  return formats;
}

TEST(Codebook4Test, BinarySearchEqualsLevelTableNearestEverywhere) {
  for (const auto& values : {Nf4CodeValues(), E2M1CodeValues()}) {
    const Codebook4 cb = MakeCodebook4(values);
    LevelTable table;
    table.values.assign(cb.level_value.begin(), cb.level_value.begin() + cb.num_levels);
    std::vector<float> probes = {0.0f, -0.0f, std::numeric_limits<float>::infinity(),
                                 -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN(),
                                 std::numeric_limits<float>::denorm_min(), -1e-30f};
    for (int k = 0; k < cb.num_levels; ++k) {
      probes.push_back(cb.level_value[k]);
      if (k + 1 < cb.num_levels) {
        const float t = cb.threshold[k];
        probes.push_back(t);
        probes.push_back(std::nextafter(t, -INFINITY));
        probes.push_back(std::nextafter(t, INFINITY));
        probes.push_back(0.5f * (cb.level_value[k] + cb.level_value[k + 1]));  // the rounded midpoint
      }
    }
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> uniform(-8.0f, 8.0f);
    for (int i = 0; i < 200000; ++i) probes.push_back(uniform(rng));
    for (float t : probes) ASSERT_EQ(NearestLevel4Ref(cb, t), table.Nearest(t)) << "t = " << t;
    // Ties go to the lower level: the exact E2M1 midpoints.
    if (cb.num_levels == 15) {
      EXPECT_EQ(cb.level_value[NearestLevel4Ref(cb, 0.25f)], 0.0f);
      EXPECT_EQ(cb.level_value[NearestLevel4Ref(cb, 5.0f)], 4.0f);
      EXPECT_EQ(cb.level_value[NearestLevel4Ref(cb, -5.0f)], -6.0f);
    }
  }
}

TEST(Codebook4Test, E2M1LevelsAndCodes) {
  const Codebook4 cb = MakeCodebook4(E2M1CodeValues());
  ASSERT_EQ(cb.num_levels, 15);
  const float expected[15] = {-6, -4, -3, -2, -1.5f, -1, -0.5f, 0, 0.5f, 1, 1.5f, 2, 3, 4, 6};
  for (int i = 0; i < 15; ++i) {
    EXPECT_EQ(cb.level_value[i], expected[i]);
    EXPECT_EQ(cb.level_code[i], i < 7 ? 15 - i : i - 7) << i;
    EXPECT_EQ(cb.code_value[cb.level_code[i]], expected[i]);
  }
  EXPECT_TRUE(std::signbit(cb.code_value[8]));  // code 8 is -0
}

TEST(Float4KernelTest, QuantizeDequantizeDotMatchRefOnEveryTarget) {
  const auto formats = Block4Formats();
  testing::ForEachSimdTarget([&](const SimdTarget&) {
    for (const auto& format : formats) {
      const Quant4Spec& spec = static_cast<const Block4Format&>(*format).spec();
      for (int64_t blocks : {1, 2, 3, 5, 8, 17, 64}) {
        const int64_t cols = blocks * spec.block;
        const std::vector<float> x = TrickyRow(cols + 1, static_cast<uint32_t>(cols));
        const std::vector<float> importance = RandomImportance(cols, 3);
        const size_t scale_bytes = static_cast<size_t>(blocks) * BlockScaleBytes(spec.scale_code);
        for (const float* w : {static_cast<const float*>(nullptr), importance.data()}) {
          SCOPED_TRACE(format->Name() + " cols " + std::to_string(cols) + (w ? " weighted" : ""));
          const float tensor_scale = 0.37f;
          std::vector<uint8_t> packed(cols / 2 + 1, 0xAA), packed_ref(packed);
          std::vector<uint8_t> scales(scale_bytes + 1, 0xAA), scales_ref(scales);
          kernels::Quantize4BitRow(x.data() + 1, w, cols, spec, tensor_scale, packed.data(), scales.data());
          kernels::Quantize4BitRowRef(x.data() + 1, w, cols, spec, tensor_scale, packed_ref.data(), scales_ref.data());
          ASSERT_EQ(packed, packed_ref);
          ASSERT_EQ(scales, scales_ref);
          EXPECT_EQ(packed.back(), 0xAA) << "wrote past the row";
          EXPECT_EQ(scales.back(), 0xAA) << "wrote past the scales";
          for (int64_t b = 0; b < blocks; ++b) {
            std::vector<uint8_t> one(scale_bytes), one_ref(scale_bytes);
            const float* xb = x.data() + 1 + b * spec.block;
            const float* wb = w ? w + b * spec.block : nullptr;
            const float m = kernels::Fit4BitBlock(xb, wb, b, spec, tensor_scale, one.data());
            const float m_ref = kernels::Fit4BitBlockRef(xb, wb, b, spec, tensor_scale, one_ref.data());
            ASSERT_EQ(one, one_ref) << "block " << b;
            ASSERT_EQ(F32Bits(m), F32Bits(m_ref));
            ASSERT_EQ(F32Bits(m), F32Bits(BlockMultiplier(spec.scale_code, scales.data(), b, tensor_scale)));
          }
          std::vector<float> out(cols), out_ref(cols);
          kernels::Dequantize4BitRow(packed.data(), scales.data(), cols, spec, tensor_scale, out.data());
          kernels::Dequantize4BitRowRef(packed.data(), scales.data(), cols, spec, tensor_scale, out_ref.data());
          ASSERT_EQ(0, std::memcmp(out.data(), out_ref.data(), out.size() * sizeof(float)));
          const Tensor v = testing::RandomMatrix(1, cols, 99);
          const float* vx = v.data<float>();
          double magnitude = 0.0;
          for (int64_t j = 0; j < cols; ++j) magnitude += std::fabs(static_cast<double>(out_ref[j]) * vx[j]);
          const float dot = kernels::Dot4BitRow(packed.data(), scales.data(), cols, spec, tensor_scale, vx);
          const float dot_ref = kernels::Dot4BitRowRef(packed.data(), scales.data(), cols, spec, tensor_scale, vx);
          ASSERT_LE(std::fabs(static_cast<double>(dot) - dot_ref), 1e-5 * magnitude + 1e-30) << dot << " " << dot_ref;
        }
      }
    }
  });
}

TEST(Fp8KernelTest, QuantizeDequantizeDotMatchRefOnEveryTarget) {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 100.0f);
  std::vector<float> x(4100);
  for (auto& v : x) v = normal(rng);
  // Exact ties of both formats, subnormals, saturation and signed zeros.
  const float special[] = {1.0625f, 1.1875f, 1.125f, 1.375f, 0.0f, -0.0f, 1e-3f, -1e-4f, 1e-8f, 447.9f,
                           448.0f,  464.0f,  500.0f, -1e6f, 57344.0f, 61440.0f, 1e9f, 0.015625f * 1.0625f};
  std::memcpy(x.data() + 7, special, sizeof(special));
  testing::ForEachSimdTarget([&](const SimdTarget&) {
    for (DType dtype : {DType::kF8E4M3, DType::kF8E5M2}) {
      for (int64_t n : {1, 3, 15, 16, 17, 31, 100, 4099}) {
        for (float scale : {1.0f, 0.37f, 1e-3f}) {
          SCOPED_TRACE(std::string(DTypeName(dtype)) + " n " + std::to_string(n) + " scale " + std::to_string(scale));
          std::vector<uint8_t> codes(n + 1, 0xAA), codes_ref(n + 1, 0xAA);
          kernels::QuantizeFp8Row(dtype, x.data() + 1, n, scale, codes.data());
          kernels::QuantizeFp8RowRef(dtype, x.data() + 1, n, scale, codes_ref.data());
          ASSERT_EQ(codes, codes_ref);
          for (int64_t j = 0; j < n; ++j) ASSERT_NE(codes[j], 0x80) << "-0 stored";
          std::vector<float> out(n), out_ref(n);
          kernels::DequantizeFp8Row(dtype, codes.data(), n, scale, out.data());
          kernels::DequantizeFp8RowRef(dtype, codes.data(), n, scale, out_ref.data());
          ASSERT_EQ(0, std::memcmp(out.data(), out_ref.data(), out.size() * sizeof(float)));
          double magnitude = 0.0;
          for (int64_t j = 0; j < n; ++j) magnitude += std::fabs(static_cast<double>(out_ref[j]) * x[j]);
          const float dot = kernels::DotFp8Row(dtype, codes.data(), n, scale, x.data());
          const float dot_ref = kernels::DotFp8RowRef(dtype, codes.data(), n, scale, x.data());
          ASSERT_LE(std::fabs(static_cast<double>(dot) - dot_ref), 1e-5 * magnitude + 1e-30);
        }
      }
    }
  });
}

TEST(Fp8KernelTest, AbsMaxIsExactOnEveryTarget) {
  const Tensor w = testing::RandomMatrix(1, 1001, 8);
  testing::ForEachSimdTarget([&](const SimdTarget&) {
    for (int64_t n : {1, 2, 15, 16, 17, 64, 1000}) {
      float expected = 0.0f;
      for (int64_t j = 0; j < n; ++j) expected = std::max(expected, std::fabs(w.data<float>()[1 + j]));
      ASSERT_EQ(kernels::AbsMax(w.data<float>() + 1, n), expected) << n;
    }
  });
}

}  // namespace
}  // namespace shrink
