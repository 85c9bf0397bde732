// The sparse formats end to end: exact round trips, MatVec against the dense product, quantized
// value errors, exact sizes and bits per weight, bad specs and masks, a 4096x4096 tensor.
#include "shrink/formats/sparse_tensor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "shrink/core/float_codec.h"
#include "shrink/formats/quant_tensor.h"
#include "testing/test_util.h"

namespace shrink {
namespace {

using ::testing::HasSubstr;

// Returns a rows x cols keep mask keeping each weight with probability 1 - sparsity; row 0
// keeps nothing and row 1 everything when there are more than 2 rows.
std::vector<uint8_t> RandomMask(int64_t rows, int64_t cols, double sparsity, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<uint8_t> mask(static_cast<size_t>(rows * cols));
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      const bool keep = rows > 2 && i < 2 ? i == 1 : uniform(rng) >= sparsity;
      mask[static_cast<size_t>(i * cols + j)] = keep ? 1 : 0;
    }
  }
  return mask;
}

// Returns a keep mask with n random weights of every group of m.
std::vector<uint8_t> RandomNmMask(int64_t rows, int64_t cols, int n, int m, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> mask(static_cast<size_t>(rows * cols), 0);
  std::vector<int> order(static_cast<size_t>(m));
  for (int64_t g = 0; g < rows * cols / m; ++g) {
    for (int i = 0; i < m; ++i) order[static_cast<size_t>(i)] = i;
    std::shuffle(order.begin(), order.end(), rng);
    for (int i = 0; i < n; ++i) mask[static_cast<size_t>(g * m + order[static_cast<size_t>(i)])] = 1;
  }
  return mask;
}

SparseSpec Spec(const std::string& layout, const std::string& values = "f32", int n = 2, int m = 4) {
  SparseSpec spec;
  spec.layout = layout;
  spec.value_format = values;
  spec.n = n;
  spec.m = m;
  return spec;
}

Tensor Densify(const CompressedTensor& ct) {
  Tensor out(DType::kF32, ct.shape());
  DensifyTensor(ct, out.View<float>());
  return out;
}

// Returns `w` with pruned weights zeroed, each kept one passed through `round`.
template <typename Round>
std::vector<float> Expected(const Tensor& w, const std::vector<uint8_t>& mask, Round round) {
  std::vector<float> out(static_cast<size_t>(w.num_elements()));
  for (size_t i = 0; i < out.size(); ++i) out[i] = mask[i] ? round(w.data<float>()[i]) : 0.0f;
  return out;
}

std::vector<float> AsVector(const Tensor& t) { return {t.data<float>(), t.data<float>() + t.num_elements()}; }

// Checks SparseMatVec against the double-precision product of the densified matrix.
void ExpectMatVecMatchesDense(const CompressedTensor& ct, uint32_t seed) {
  const Tensor dense = Densify(ct);
  const int64_t rows = ct.shape().rows(), cols = ct.shape().cols();
  const Tensor x = testing::RandomMatrix(1, cols, seed);
  std::vector<float> y(static_cast<size_t>(rows));
  SparseMatVec(ct, x.data<float>(), y.data());
  for (int64_t i = 0; i < rows; ++i) {
    double exact = 0.0, magnitude = 0.0;
    for (int64_t j = 0; j < cols; ++j) {
      exact += double{dense.data<float>()[i * cols + j]} * x.data<float>()[j];
      magnitude += std::fabs(double{dense.data<float>()[i * cols + j]} * x.data<float>()[j]);
    }
    ASSERT_NEAR(y[static_cast<size_t>(i)], exact, 1e-5 * magnitude + 1e-30) << ct.format() << " row " << i;
  }
}

TEST(SparseTensorTest, CsrAndBitmaskRoundTripExactlyAtEverySparsity) {
  const Tensor w = testing::RandomMatrix(37, 301, 1);
  for (const std::string layout : {"csr", "bitmask"}) {
    for (const double sparsity : {0.0, 0.5, 0.7, 0.9, 0.99, 1.0}) {
      const std::vector<uint8_t> mask = RandomMask(37, 301, sparsity, 2);
      const CompressedTensor ct = SparsifyTensor(w.View<float>(), mask.data(), Spec(layout), "w");
      EXPECT_EQ(ct.format(), layout);
      EXPECT_EQ(AsVector(Densify(ct)), Expected(w, mask, [](float v) { return v; })) << layout << " " << sparsity;
      ExpectMatVecMatchesDense(ct, 3);
    }
  }
}

TEST(SparseTensorTest, NmRoundTripsExactlyForEveryGroupShape) {
  const int shapes[][2] = {{2, 4}, {4, 8}, {1, 4}, {3, 8}, {1, 2}, {8, 16}, {5, 7}};
  for (const auto& nm : shapes) {
    const int64_t cols = 25 * nm[1];
    const Tensor w = testing::RandomMatrix(13, cols, 4);
    const std::vector<uint8_t> mask = RandomNmMask(13, cols, nm[0], nm[1], 5);
    const CompressedTensor ct = SparsifyTensor(w.View<float>(), mask.data(), Spec("nm", "f32", nm[0], nm[1]), "w");
    EXPECT_EQ(ct.Meta("n"), std::to_string(nm[0]));
    EXPECT_EQ(AsVector(Densify(ct)), Expected(w, mask, [](float v) { return v; })) << nm[0] << ":" << nm[1];
    ExpectMatVecMatchesDense(ct, 6);
  }
}

TEST(SparseTensorTest, HalfPrecisionValuesRoundOnceToNearestEven) {
  const Tensor w = testing::RandomMatrix(9, 64, 7);
  const std::vector<uint8_t> nm_mask = RandomNmMask(9, 64, 2, 4, 8);
  const std::vector<uint8_t> mask = RandomMask(9, 64, 0.6, 9);
  for (const std::string layout : {"csr", "bitmask", "nm"}) {
    const std::vector<uint8_t>& keep = layout == "nm" ? nm_mask : mask;
    const CompressedTensor f16 = SparsifyTensor(w.View<float>(), keep.data(), Spec(layout, "f16"), "w");
    EXPECT_EQ(AsVector(Densify(f16)), Expected(w, keep, [](float v) { return F16ToF32Ref(F32ToF16Ref(v)); }));
    const CompressedTensor bf16 = SparsifyTensor(w.View<float>(), keep.data(), Spec(layout, "bf16"), "w");
    EXPECT_EQ(AsVector(Densify(bf16)), Expected(w, keep, [](float v) { return BF16ToF32Ref(F32ToBF16Ref(v)); }));
    ExpectMatVecMatchesDense(f16, 10);
    ExpectMatVecMatchesDense(bf16, 11);
  }
  Tensor big = testing::RandomMatrix(2, 4, 12);
  big.data<float>()[5] = 1e6f;
  const std::vector<uint8_t> all(8, 1);
  const Error e = testing::CatchError([&] { SparsifyTensor(big.View<float>(), all.data(), Spec("csr", "f16"), "wq"); });
  EXPECT_THAT(e.what(), HasSubstr("wq: kept weight 1e+06 of row 1 overflows f16"));
}

TEST(SparseTensorTest, Int8ValuesStayWithinHalfAStepOfTheirRowScale) {
  const Tensor w = testing::RandomMatrix(24, 512, 13);
  const std::vector<uint8_t> nm_mask = RandomNmMask(24, 512, 2, 4, 14);
  const std::vector<uint8_t> mask = RandomMask(24, 512, 0.8, 15);
  for (const std::string layout : {"csr", "bitmask", "nm"}) {
    const std::vector<uint8_t>& keep = layout == "nm" ? nm_mask : mask;
    const CompressedTensor ct = SparsifyTensor(w.View<float>(), keep.data(), Spec(layout, "int8"), "w");
    const auto* scales = reinterpret_cast<const float*>(ct.FindSection("scale")->bytes.data());
    const std::vector<float> back = AsVector(Densify(ct));
    const std::vector<float> exact = Expected(w, keep, [](float v) { return v; });
    for (size_t i = 0; i < back.size(); ++i) {
      ASSERT_LE(std::fabs(back[i] - exact[i]), 0.5f * scales[i / 512] * 1.0001f) << layout << " " << i;
    }
    // Rounding to 255 levels of max|w| per row: about 0.9% relative rms for Gaussian rows.
    EXPECT_LT(testing::RelativeRmsError(exact.data(), back.data(), static_cast<int64_t>(exact.size())), 0.012);
    ExpectMatVecMatchesDense(ct, 16);
  }
}

TEST(SparseTensorTest, NmValuesInAQuantFormatDecodeAsThatFormatDecodesThem) {
  const int64_t rows = 16, cols = 256;
  const Tensor w = testing::RandomMatrix(rows, cols, 17);
  const std::vector<uint8_t> mask = RandomNmMask(rows, cols, 2, 4, 18);
  struct Case {
    std::string format;
    std::map<std::string, std::string> settings;
    double bound;  // relative rms error of the kept values
  };
  // 4-bit asymmetric groups of 32: step ≈ range/15 ≈ 4.3σ/15, rms step/sqrt(12) ≈ 0.08σ (+ clipping).
  // q8_0: step max|w|/127 per 32, rms ≈ 0.006σ.
  const Case cases[] = {{"int", {{"bits", "4"}, {"group", "32"}}, 0.11}, {"q8_0", {}, 0.01}};
  for (const Case& c : cases) {
    SparseSpec spec = Spec("nm", c.format);
    spec.value_settings = c.settings;
    const CompressedTensor ct = SparsifyTensor(w.View<float>(), mask.data(), spec, "w");
    EXPECT_EQ(ct.Meta("values"), c.format);
    ASSERT_NE(ct.FindSection("indices"), nullptr);
    // The compacted kept values, quantized by the format on its own, decode to the same floats.
    Tensor compact(DType::kF32, Shape{rows, cols / 2});
    for (int64_t i = 0, t = 0; i < rows * cols; ++i) {
      if (mask[static_cast<size_t>(i)]) compact.data<float>()[t++] = w.data<float>()[i];
    }
    const auto format = MakeQuantFormat(c.format, c.settings);
    Tensor compact_back(DType::kF32, compact.shape());
    DequantizeTensor(QuantizeTensor(*format, compact.View<float>(), nullptr, "c"), compact_back.View<float>());
    const std::vector<float> back = AsVector(Densify(ct));
    std::vector<float> expected(back.size(), 0.0f);
    for (int64_t i = 0, t = 0; i < rows * cols; ++i) {
      if (mask[static_cast<size_t>(i)]) expected[static_cast<size_t>(i)] = compact_back.data<float>()[t++];
    }
    EXPECT_EQ(back, expected) << c.format;
    EXPECT_LT(testing::RelativeRmsError(compact.data<float>(), compact_back.data<float>(), compact.num_elements()),
              c.bound)
        << c.format;
    EXPECT_EQ(SparseTensorBytes(spec, w.shape(), 0), ct.num_bytes()) << c.format;
    ExpectMatVecMatchesDense(ct, 19);
  }
}

TEST(SparseTensorTest, BytesAndBitsPerWeightAreExact) {
  const Tensor w = testing::RandomMatrix(10, 100, 20);
  std::vector<uint8_t> mask(1000, 0);
  for (int i = 0; i < 250; ++i) mask[static_cast<size_t>(i * 4)] = 1;
  // csr f32: 11 i32 row pointers + 250 u16 columns + 250 f32 values.
  const CompressedTensor csr = SparsifyTensor(w.View<float>(), mask.data(), Spec("csr"), "w");
  EXPECT_EQ(csr.num_bytes(), 11u * 4 + 250 * 2 + 250 * 4);
  // bitmask int8: 10 rows of 13 mask bytes + 11 i32 offsets + 250 codes + 10 f32 scales.
  const CompressedTensor bitmask = SparsifyTensor(w.View<float>(), mask.data(), Spec("bitmask", "int8"), "w");
  EXPECT_EQ(bitmask.num_bytes(), 10u * 13 + 11 * 4 + 250 + 10 * 4);
  for (const std::string values : {"f32", "f16", "bf16", "int8"}) {
    for (const std::string layout : {"csr", "bitmask"}) {
      const CompressedTensor ct = SparsifyTensor(w.View<float>(), mask.data(), Spec(layout, values), "w");
      EXPECT_EQ(SparseTensorBytes(Spec(layout, values), w.shape(), 250), ct.num_bytes()) << layout << " " << values;
    }
  }
  // 2:4 f16 is exactly 9 bits per weight: 16 value bits + 2 index bits per kept weight.
  const Tensor w2 = testing::RandomMatrix(8, 64, 21);
  const std::vector<uint8_t> nm_mask = RandomNmMask(8, 64, 2, 4, 22);
  const CompressedTensor nm = SparsifyTensor(w2.View<float>(), nm_mask.data(), Spec("nm", "f16"), "w");
  EXPECT_EQ(nm.num_bytes(), 8u * (32 * 2 + 8));
  EXPECT_EQ(SparseTensorBytes(Spec("nm", "f16"), w2.shape(), 0), nm.num_bytes());
  const SparseInfo info = GetSparseInfo(nm);
  EXPECT_EQ(info.layout, "nm");
  EXPECT_EQ(info.value_format, "f16");
  EXPECT_EQ(info.nnz, 256);
  EXPECT_DOUBLE_EQ(info.sparsity, 0.5);
  EXPECT_DOUBLE_EQ(info.bits_per_weight, 9.0);
  EXPECT_DOUBLE_EQ(info.index_bits_per_weight, 1.0);
  // 4:8 with 3-bit indices: 8 groups x 4 x 3 bits = 12 bytes per row of 64.
  const std::vector<uint8_t> mask48 = RandomNmMask(8, 64, 4, 8, 23);
  const CompressedTensor nm48 = SparsifyTensor(w2.View<float>(), mask48.data(), Spec("nm", "int8", 4, 8), "w");
  EXPECT_EQ(nm48.num_bytes(), 8u * (32 + 12 + 4));
  EXPECT_EQ(SparseTensorBytes(Spec("nm", "int8", 4, 8), w2.shape(), 0), nm48.num_bytes());
  EXPECT_DOUBLE_EQ(GetSparseInfo(csr).sparsity, 0.75);
}

TEST(SparseTensorTest, BadSpecsAndMasksAreClearErrors) {
  const Tensor w = testing::RandomMatrix(3, 30, 24);
  const std::vector<uint8_t> mask(90, 1);
  Error e = testing::CatchError([&] { SparsifyTensor(w.View<float>(), mask.data(), Spec("nm"), "layers.0.wq"); });
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(e.what(), HasSubstr("layers.0.wq"));
  EXPECT_THAT(e.what(), HasSubstr("cols 30 is not a multiple of m = 4"));
  const Tensor w2 = testing::RandomMatrix(3, 32, 25);
  std::vector<uint8_t> nm_mask = RandomNmMask(3, 32, 2, 4, 26);
  nm_mask[static_cast<size_t>(32 + 9)] ^= 1;  // row 1, group 2
  e = testing::CatchError([&] { SparsifyTensor(w2.View<float>(), nm_mask.data(), Spec("nm"), "wk"); });
  EXPECT_THAT(e.what(), HasSubstr("wk: row 1 group 2 (columns 8..11) keeps"));
  e = testing::CatchError([&] { SparsifyTensor(w.View<float>(), mask.data(), Spec("coo"), "w"); });
  EXPECT_THAT(e.what(), HasSubstr("unknown sparse layout 'coo'"));
  e = testing::CatchError([&] { SparsifyTensor(w.View<float>(), mask.data(), Spec("csr", "q8_0"), "w"); });
  EXPECT_THAT(e.what(), HasSubstr("quantized value formats need layout nm"));
  e = testing::CatchError([&] { SparsifyTensor(w2.View<float>(), mask.data(), Spec("nm", "f32", 4, 4), "w"); });
  EXPECT_THAT(e.what(), HasSubstr("1 <= n < m <= 16"));
  e = testing::CatchError([&] { SparsifyTensor(w.View<float>(), nullptr, Spec("csr"), "w"); });
  EXPECT_THAT(e.what(), HasSubstr("keep_mask is null"));
  Tensor nan = testing::RandomMatrix(2, 8, 27);
  nan.data<float>()[3] = NAN;
  e = testing::CatchError([&] { SparsifyTensor(nan.View<float>(), mask.data(), Spec("csr"), "wv"); });
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  const CompressedTensor ct = SparsifyTensor(w.View<float>(), mask.data(), Spec("csr"), "w");
  Tensor wrong(DType::kF32, Shape{3, 31});
  e = testing::CatchError([&] { DensifyTensor(ct, wrong.View<float>()); });
  EXPECT_EQ(e.code(), ErrorCode::kShapeMismatch);
}

TEST(SparseTensorTest, LlmSizedTensorsWork) {
  const int64_t n = 4096;
  const Tensor w = testing::RandomMatrix(n, n, 28, 0.02f);
  const std::vector<uint8_t> nm_mask = RandomNmMask(n, n, 2, 4, 29);
  const std::vector<uint8_t> mask = RandomMask(n, n, 0.9, 30);
  for (const std::string layout : {"csr", "bitmask", "nm"}) {
    const std::vector<uint8_t>& keep = layout == "nm" ? nm_mask : mask;
    const CompressedTensor ct = SparsifyTensor(w.View<float>(), keep.data(), Spec(layout, "f16"), "w");
    EXPECT_EQ(SparseTensorBytes(Spec(layout, "f16"), w.shape(), GetSparseInfo(ct).nnz), ct.num_bytes());
    ExpectMatVecMatchesDense(ct, 31);
  }
}

}  // namespace
}  // namespace shrink
