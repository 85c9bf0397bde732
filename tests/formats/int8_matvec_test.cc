// MatVecInt8 of the ggml block formats: the input rounded to int8 per 32 values exactly as
// Q8Activations defines it, the product equal to the decoded weights times the rounded input, a
// small error against the exact MatVec, and a clear error for a non-finite input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "shrink/formats/quant_tensor.h"
#include "src/kernels/formats/q8_activations.h"
#include "testing/test_util.h"

namespace shrink {
namespace {

using ::testing::HasSubstr;

const char* const kInt8Formats[] = {"q4_0",   "q4_1", "q5_0", "q5_1", "q8_0", "iq4_nl",
                                    "iq4_xs", "q2_k", "q3_k", "q4_k", "q5_k", "q6_k"};

TEST(Q8ActivationsTest, RoundsEachBlockOf32ToItsOwnScaleAndSumsCodesPer16) {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(96);
  for (float& v : x) v = normal(rng);
  for (int j = 32; j < 64; ++j) x[j] *= 1e-3f;  // a quiet block keeps its own resolution
  for (int j = 64; j < 96; ++j) x[j] = 0.0f;    // an all-zero block
  kernels::Q8Activations q;
  q.Assign(x.data(), 96);
  const kernels::Q8Input in = q.view();
  for (int b = 0; b < 3; ++b) {
    float amax = 0.0f;
    for (int j = 32 * b; j < 32 * b + 32; ++j) amax = std::max(amax, std::fabs(x[j]));
    EXPECT_FLOAT_EQ(in.scale[b], amax / 127.0f) << b;
    for (int j = 32 * b; j < 32 * b + 32; ++j) {
      EXPECT_LE(std::fabs(in.scale[b] * in.codes[j] - x[j]), 0.5f * in.scale[b] * (1 + 1e-6f)) << j;
    }
  }
  for (int k = 0; k < 6; ++k) {
    int sum = 0;
    for (int j = 16 * k; j < 16 * k + 16; ++j) sum += in.codes[j];
    EXPECT_EQ(in.sums[k], sum) << k;
  }
  EXPECT_EQ(in.sums[4], 0);
}

// For every ggml format: y = W_decoded (x rounded) up to f32 rounding, and within a few tenths of
// a percent of the exact product.
TEST(MatVecInt8Test, EqualsDecodedWeightsTimesRoundedInputForEveryGgmlFormat) {
  constexpr int64_t kRowsN = 64, kColsN = 512;
  const Tensor w = testing::RandomMatrix(kRowsN, kColsN, 7, 0.02f);
  std::vector<float> x(kColsN);
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float& v : x) v = normal(rng);
  x[100] = 40.0f;  // an outlier coarsens its own block only
  kernels::Q8Activations rounded;
  rounded.Assign(x.data(), kColsN);
  std::vector<float> xq(kColsN);
  for (int64_t j = 0; j < kColsN; ++j) xq[j] = rounded.view().scale[j / 32] * rounded.view().codes[j];
  for (const char* name : kInt8Formats) {
    SCOPED_TRACE(name);
    const CompressedTensor ct = QuantizeTensor(*MakeQuantFormat(name, {}), w.View<float>(), nullptr, "w");
    Tensor decoded(DType::kF32, w.shape());
    DequantizeTensor(ct, decoded.View<float>());
    std::vector<float> y_int8(kRowsN), y_exact(kRowsN);
    QuantMatVecInt8(ct, x.data(), y_int8.data());
    QuantMatVec(ct, x.data(), y_exact.data());
    double err2 = 0.0, ref2 = 0.0;
    for (int64_t i = 0; i < kRowsN; ++i) {
      double want = 0.0, magnitude = 0.0;
      for (int64_t j = 0; j < kColsN; ++j) {
        const double p = static_cast<double>(decoded.data<float>()[i * kColsN + j]) * xq[j];
        want += p;
        magnitude += std::fabs(p);
      }
      EXPECT_NEAR(y_int8[i], want, 1e-5 * magnitude + 1e-30) << "row " << i;
      err2 += (y_int8[i] - y_exact[i]) * (y_int8[i] - y_exact[i]);
      ref2 += static_cast<double>(y_exact[i]) * y_exact[i];
    }
    // Rounding noise is scale / sqrt(12) per input: 0.5% of |x| in the Gaussian blocks, 1.1% of
    // the product overall with the outlier's coarse block.
    EXPECT_LT(std::sqrt(err2 / ref2), 0.015);
  }
}

TEST(MatVecInt8Test, NonGgmlFormatsComputeTheExactMatVec) {
  const Tensor w = testing::RandomMatrix(16, 128, 9, 0.02f);
  const CompressedTensor ct = QuantizeTensor(*MakeQuantFormat("nf4", {}), w.View<float>(), nullptr, "w");
  std::vector<float> x(128, 0.3f), a(16), b(16);
  QuantMatVec(ct, x.data(), a.data());
  QuantMatVecInt8(ct, x.data(), b.data());
  EXPECT_EQ(a, b);
}

TEST(MatVecInt8Test, NonFiniteInputIsAnErrorNamingFormatAndIndex) {
  const Tensor w = testing::RandomMatrix(4, 256, 11, 0.02f);
  for (const char* name : {"q4_0", "q4_k"}) {
    const CompressedTensor ct = QuantizeTensor(*MakeQuantFormat(name, {}), w.View<float>(), nullptr, "w");
    std::vector<float> x(256, 1.0f), y(4);
    x[77] = std::numeric_limits<float>::quiet_NaN();
    try {
      QuantMatVecInt8(ct, x.data(), y.data());
      ADD_FAILURE() << name << ": no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      EXPECT_THAT(e.what(), HasSubstr(name));
      EXPECT_THAT(e.what(), HasSubstr("x[77]"));
    }
  }
}

// MatVec of the ggml types validates a row only when its product is not finite: a corrupt
// scale must still be reported, for both products, whatever the input.
TEST(MatVecInt8Test, CorruptScalesAreReportedByBothProducts) {
  const Tensor w = testing::RandomMatrix(8, 512, 13, 0.02f);
  const uint16_t kInf = 0x7C00, kNan = 0x7E00;
  struct Case {
    const char* format;
    int64_t row;
    size_t byte_in_row;  // the f16 field to corrupt: q4_0's d, q4_k's dmin
    uint16_t bits;
  };
  for (const Case& c : {Case{"q4_0", 3, 18 * 5, kInf}, Case{"q4_k", 6, 144 + 2, kNan}}) {
    SCOPED_TRACE(c.format);
    CompressedTensor ct = QuantizeTensor(*MakeQuantFormat(c.format, {}), w.View<float>(), nullptr, "w");
    std::vector<uint8_t>& bytes = ct.mutable_sections()[0].bytes;
    std::memcpy(bytes.data() + c.row * (bytes.size() / 8) + c.byte_in_row, &c.bits, sizeof(c.bits));
    for (const bool int8 : {false, true}) {
      std::vector<float> x(512, 0.0f), y(8);  // even a zero input
      try {
        int8 ? QuantMatVecInt8(ct, x.data(), y.data()) : QuantMatVec(ct, x.data(), y.data());
        ADD_FAILURE() << "a corrupt scale was accepted, int8 " << int8;
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kCorruptData);
        EXPECT_THAT(e.what(), HasSubstr("row " + std::to_string(c.row)));
      }
    }
  }
}

}  // namespace
}  // namespace shrink
