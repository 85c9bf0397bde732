// The w8a8 format and its int8 kernels: SIMD equal to Ref, the integer MatVec equal to its
// definition, round-trip and product errors within bounds, bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "shrink/formats/quant_tensor.h"
#include "src/kernels/formats/int8_rows.h"
#include "testing/format_round_trip.h"
#include "testing/test_util.h"

namespace shrink {
namespace {

using ::testing::HasSubstr;

TEST(Int8RowKernelsTest, SimdEqualsRefIncludingTiesAndTails) {
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (const int64_t n : {1, 7, 16, 33, 64, 4101}) {
    std::vector<float> x(static_cast<size_t>(n));
    for (float& v : x) v = normal(rng);
    // Exact ties: with max|x| = 127 the codes are x itself, so k + 0.5 rounds to the even neighbour.
    x[0] = 127.0f;
    for (int64_t j = 1; j < n; ++j) x[static_cast<size_t>(j)] = j % 3 == 0 ? static_cast<float>(j % 50) + 0.5f : x[j];
    std::vector<int8_t> simd(static_cast<size_t>(n)), ref(static_cast<size_t>(n));
    const float s_simd = kernels::QuantizeInt8Row(x.data(), n, simd.data());
    const float s_ref = kernels::QuantizeInt8RowRef(x.data(), n, ref.data());
    EXPECT_EQ(s_simd, s_ref);
    EXPECT_EQ(simd, ref) << n;
    if (n > 3) EXPECT_EQ(ref[3], 4);  // 3.5 -> 4 (even)
    std::vector<float> out(static_cast<size_t>(n)), out_ref(static_cast<size_t>(n));
    kernels::DequantizeInt8Row(simd.data(), n, 0.37f, out.data());
    kernels::DequantizeInt8RowRef(simd.data(), n, 0.37f, out_ref.data());
    EXPECT_EQ(out, out_ref);
  }
  std::vector<float> zeros(40, 0.0f);
  std::vector<int8_t> codes(40, 5);
  EXPECT_EQ(kernels::QuantizeInt8Row(zeros.data(), 40, codes.data()), 0.0f);
  EXPECT_EQ(codes, std::vector<int8_t>(40, 0));
}

TEST(Int8RowKernelsTest, DotIsExactUpToTheLongestRow) {
  std::mt19937 rng(2);
  std::uniform_int_distribution<int> code(-128, 127);
  for (const int64_t n : {1, 15, 16, 31, 100, 4096, 4099}) {
    std::vector<int8_t> w(static_cast<size_t>(n));
    std::vector<int16_t> x(static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j) {
      w[static_cast<size_t>(j)] = static_cast<int8_t>(code(rng));
      x[static_cast<size_t>(j)] = static_cast<int16_t>(code(rng) / 2 * 2 - 1);  // within [-127, 127]
    }
    EXPECT_EQ(kernels::DotInt8(w.data(), x.data(), n), kernels::DotInt8Ref(w.data(), x.data(), n)) << n;
  }
  // The extreme: every product -128 * 127 over the longest row still fits int32.
  const int64_t n = kernels::kMaxInt8DotLength;
  const std::vector<int8_t> w(static_cast<size_t>(n), -128);
  const std::vector<int16_t> x(static_cast<size_t>(n), 127);
  EXPECT_EQ(kernels::DotInt8(w.data(), x.data(), n), int64_t{-128} * 127 * n);
}

TEST(W8A8FormatTest, RoundTripErrorAndBitsPerWeight) {
  const auto format = MakeQuantFormat("w8a8", {});
  EXPECT_TRUE(format->QuantizesActivations());
  EXPECT_NEAR(format->BitsPerWeight(4096), 8.0 + 32.0 / 4096, 1e-12);
  const Tensor w = testing::RandomMatrix(64, 4096, 3);
  const Tensor back = testing::FormatRoundTrip(*format, w);
  // Rounding error: max|w| ≈ 4σ, step 4σ/127, rms step/sqrt(12) ≈ 0.009σ (measured 0.0087).
  EXPECT_LT(testing::RelativeRmsError(w.data<float>(), back.data<float>(), w.num_elements()), 0.011);
}

TEST(W8A8FormatTest, MatVecIsTheIntegerProductOfRoundedWeightsAndInputs) {
  const auto format = MakeQuantFormat("w8a8", {});
  const int64_t rows = 48, cols = 1000;
  const Tensor w = testing::RandomMatrix(rows, cols, 4);
  const Tensor x = testing::RandomMatrix(1, cols, 5);
  const CompressedTensor ct = QuantizeTensor(*format, w.View<float>(), nullptr, "w");
  std::vector<float> y(rows);
  QuantMatVec(ct, x.data<float>(), y.data());
  // The definition: x rounded per call to int8, exact integer dot, both scales applied.
  std::vector<int8_t> qx(cols);
  const float sx = kernels::QuantizeInt8RowRef(x.data<float>(), cols, qx.data());
  const auto* codes = reinterpret_cast<const int8_t*>(ct.FindSection("codes")->bytes.data());
  const auto* scales = reinterpret_cast<const float*>(ct.FindSection("scale")->bytes.data());
  double exact_err = 0.0, exact_norm = 0.0;
  for (int64_t i = 0; i < rows; ++i) {
    int64_t dot = 0;
    for (int64_t j = 0; j < cols; ++j) dot += int64_t{codes[i * cols + j]} * qx[static_cast<size_t>(j)];
    EXPECT_FLOAT_EQ(y[static_cast<size_t>(i)], scales[i] * sx * static_cast<float>(dot)) << i;
    double exact = 0.0;
    for (int64_t j = 0; j < cols; ++j) exact += double{w.data<float>()[i * cols + j]} * x.data<float>()[j];
    exact_err += (y[static_cast<size_t>(i)] - exact) * (y[static_cast<size_t>(i)] - exact);
    exact_norm += exact * exact;
  }
  // Both operands rounded at about 1% relative rms each (measured 0.012).
  EXPECT_LT(std::sqrt(exact_err / exact_norm), 0.02);
}

TEST(W8A8FormatTest, FittedLevelsDecodeToTheGridValues) {
  // GPTQ's path: FitBlock on the row, any levels, PutLevels; decoding gives grid.Decode(level).
  const auto format = MakeQuantFormat("w8a8", {});
  const Tensor w = testing::RandomMatrix(1, 300, 6);
  CompressedTensor ct = NewQuantTensor(*format, w.shape(), "w");
  const QuantRows rows = BindQuantRows(*format, ct, 1.0f);
  SubBlockGrid grid;
  format->FitBlock(w.data<float>(), nullptr, 300, 0, TensorContext{}, rows.Row(0), &grid);
  std::vector<uint8_t> levels(300);
  for (int64_t j = 0; j < 300; ++j) levels[static_cast<size_t>(j)] = static_cast<uint8_t>((j * 7) % 255);
  format->PutLevels(levels.data(), 300, rows.Row(0));
  Tensor back(DType::kF32, w.shape());
  DequantizeTensor(ct, back.View<float>());
  for (int64_t j = 0; j < 300; ++j) {
    EXPECT_EQ(back.data<float>()[j], grid.Decode(levels[static_cast<size_t>(j)], format->Levels())) << j;
  }
}

TEST(W8A8FormatTest, BadInputIsAClearError) {
  const auto format = MakeQuantFormat("w8a8", {});
  EXPECT_THAT(format->CheckCols(kernels::kMaxInt8DotLength + 1), HasSubstr("at most 131072"));
  const Tensor w = testing::RandomMatrix(4, 64, 7);
  CompressedTensor ct = QuantizeTensor(*format, w.View<float>(), nullptr, "w");
  std::vector<float> x(64, 1.0f), y(4);
  x[9] = NAN;
  try {
    QuantMatVec(ct, x.data(), y.data());
    FAIL() << "a NaN input was accepted";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("x[9]"));
  }
  const float bad = -1.0f;
  std::memcpy(ct.mutable_sections()[1].bytes.data() + 2 * sizeof(float), &bad, sizeof(float));
  Tensor back(DType::kF32, w.shape());
  try {
    DequantizeTensor(ct, back.View<float>());
    FAIL() << "a negative scale was decoded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruptData);
    EXPECT_THAT(e.what(), HasSubstr("row 2"));
  }
}

}  // namespace
}  // namespace shrink
