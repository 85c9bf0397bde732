// Tests of the rtn quantizer: kernels against Ref on every target, error bounds, format checks.
#include "shrink/quant/rtn.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "shrink/core/eigen.h"
#include "shrink/core/threads.h"
#include "shrink/registry.h"
#include "src/kernels/quant/int_grid.h"
#include "testing/test_util.h"

namespace shrink {
namespace {

using ::testing::HasSubstr;
using testing::RandomMatrix;
using testing::RelativeRmsError;

Tensor RoundTrip(const RtnQuantizer& q, const Tensor& w, CompressedTensor* out = nullptr) {
  CompressedTensor ct = q.Compress(w.View<float>(), nullptr);
  Tensor back(DType::kF32, w.shape());
  q.Decompress(ct, back.View<float>());
  if (out) *out = std::move(ct);
  return back;
}

TEST(IntGridKernelTest, QuantizeDequantizeMatchRefOnEveryTarget) {
  const Tensor w = RandomMatrix(1, 4099, 7);
  const float* x = w.data<float>();
  testing::ForEachSimdTarget([&](const SimdTarget&) {
    for (int bits = 2; bits <= 8; ++bits) {
      for (bool sym : {false, true}) {
        for (int64_t cols : {1, 3, 17, 31, 64, 131, 4099}) {
          for (int64_t group : {int64_t{32}, int64_t{64}, int64_t{128}, cols}) {
            IntGridSpec spec{bits, sym, DType::kF16};
            const int64_t groups = (cols + group - 1) / group;
            std::vector<IntGridParams> p(groups), p_ref(groups);
            std::vector<uint8_t> c(cols), c_ref(cols);
            kernels::IntGridQuantizeRow(x + 1, cols, group, spec, p.data(), c.data());  // unaligned
            kernels::IntGridQuantizeRowRef(x + 1, cols, group, spec, p_ref.data(), c_ref.data());
            ASSERT_EQ(c, c_ref) << "bits " << bits << " cols " << cols << " group " << group;
            for (int64_t g = 0; g < groups; ++g) {
              ASSERT_EQ(p[g].scale, p_ref[g].scale);
              ASSERT_EQ(p[g].zero, p_ref[g].zero);
            }
            std::vector<float> d(cols), d_ref(cols);
            kernels::IntGridDequantizeRow(c.data(), cols, group, p.data(), d.data());
            kernels::IntGridDequantizeRowRef(c.data(), cols, group, p.data(), d_ref.data());
            ASSERT_EQ(d, d_ref);
            const float dot = kernels::IntGridDotRow(c.data(), cols, group, p.data(), x);
            const float dot_ref = kernels::IntGridDotRowRef(c.data(), cols, group, p.data(), x);
            ASSERT_NEAR(dot, dot_ref, 1e-4f * (1.0f + std::fabs(dot_ref)) * std::sqrt(static_cast<float>(cols)));
          }
        }
      }
    }
  });
}

TEST(IntGridKernelTest, PackUnpackMatchRefAndRoundTripOnEveryTarget) {
  testing::ForEachSimdTarget([&](const SimdTarget&) {
    for (int bits = 2; bits <= 8; ++bits) {
      for (int64_t count : {1, 2, 7, 8, 9, 63, 64, 65, 127, 128, 129, 255, 256, 257, 1001, 4099}) {
        std::vector<uint8_t> codes(count);
        for (int64_t j = 0; j < count; ++j) codes[j] = static_cast<uint8_t>((j * 37 + 11) & ((1 << bits) - 1));
        std::vector<uint8_t> packed(PackedRowBytes(count, bits) + 1, 0xAA), packed_ref(packed);
        kernels::PackCodes(codes.data(), count, bits, packed.data());
        PackCodesRef(codes.data(), count, bits, packed_ref.data());
        ASSERT_EQ(packed, packed_ref) << bits << " bits, " << count << " codes";
        EXPECT_EQ(packed.back(), 0xAA) << "wrote past the packed row";
        std::vector<uint8_t> back(count + 1, 0xEE), back_ref(count);
        kernels::UnpackCodes(packed.data(), count, bits, back.data());
        UnpackCodesRef(packed.data(), count, bits, back_ref.data());
        EXPECT_EQ(back.back(), 0xEE) << "wrote past the codes";
        back.pop_back();
        ASSERT_EQ(back, codes) << bits << " bits, " << count << " codes";
        ASSERT_EQ(back_ref, codes);
      }
    }
  });
  // 4-bit codes pack two per byte, low nibble first (compressed-tensors' int32 packing).
  const uint8_t codes[4] = {1, 2, 3, 4};
  uint8_t packed[2];
  PackCodesRef(codes, 4, 4, packed);
  EXPECT_EQ(packed[0], 0x21);
  EXPECT_EQ(packed[1], 0x43);
}

TEST(RtnQuantizerTest, ErrorWithinOneStepOfEveryGroup) {
  const Tensor w = RandomMatrix(64, 300, 3);
  for (int bits : {2, 3, 4, 8}) {
    for (bool sym : {false, true}) {
      RtnQuantizer q(Options{{"bits", std::to_string(bits)}, {"group", "64"}, {"sym", sym ? "true" : "false"}});
      CompressedTensor ct;
      const Tensor back = RoundTrip(q, w, &ct);
      const auto* scales = reinterpret_cast<const uint16_t*>(ct.FindSection("scale")->bytes.data());
      for (int64_t i = 0; i < 64; ++i) {
        for (int64_t j = 0; j < 300; ++j) {
          const float step = std::fabs(F16ToF32Ref(scales[i * 5 + j / 64]));
          const float err = std::fabs(w.data<float>()[i * 300 + j] - back.data<float>()[i * 300 + j]);
          // Inside the grid the error is half a step; at the edges one step: symmetric grids clip
          // the side opposite the largest magnitude, asymmetric ones round the zero point.
          ASSERT_LE(err, step * 1.001f + 1e-6f) << "bits " << bits << " at " << i << "," << j;
        }
      }
    }
  }
}

TEST(RtnQuantizerTest, ErrorFallsWithBitsAndSmallerGroups) {
  const Tensor w = RandomMatrix(256, 1024, 5);
  double previous = 1.0;
  for (int bits = 2; bits <= 8; ++bits) {
    const Tensor back = RoundTrip(RtnQuantizer(Options{{"bits", std::to_string(bits)}}), w);
    const double err = RelativeRmsError(w.data<float>(), back.data<float>(), w.num_elements());
    EXPECT_LT(err, previous * 0.6) << bits << " bits";
    // A uniform grid over a Gaussian group's range: step/sqrt(12) relative to sigma = 1.
    EXPECT_LT(err, 6.0 / ((1 << bits) - 1) / std::sqrt(12.0)) << bits << " bits";
    previous = err;
  }
  double per_channel = 0, g128 = 0, g32 = 0;
  for (auto [group, out] : {std::pair{"0", &per_channel}, std::pair{"128", &g128}, std::pair{"32", &g32}}) {
    const Tensor back = RoundTrip(RtnQuantizer(Options{{"bits", "4"}, {"group", group}}), w);
    *out = RelativeRmsError(w.data<float>(), back.data<float>(), w.num_elements());
  }
  EXPECT_LT(g128, per_channel);
  EXPECT_LT(g32, g128);
  // 8-bit per-channel is the near-lossless baseline.
  const Tensor back8 = RoundTrip(RtnQuantizer(Options{{"bits", "8"}, {"group", "0"}}), w);
  EXPECT_LT(RelativeRmsError(w.data<float>(), back8.data<float>(), w.num_elements()), 0.01);
}

TEST(RtnQuantizerTest, MatVecMatchesDecompressedProduct) {
  const Tensor w = RandomMatrix(97, 131, 9);
  const Tensor x = RandomMatrix(1, 131, 10);
  for (const char* sym : {"false", "true"}) {
    RtnQuantizer q(Options{{"bits", "3"}, {"group", "32"}, {"sym", sym}});
    CompressedTensor ct;
    const Tensor back = RoundTrip(q, w, &ct);
    std::vector<float> y(97);
    q.MatVec(ct, x.data<float>(), y.data());
    const Eigen::VectorXf expected = AsEigen(back.View<float>()) * AsEigen(x.View<float>()).transpose();
    for (int i = 0; i < 97; ++i) ASSERT_NEAR(y[i], expected[i], 1e-4 * (1 + std::fabs(expected[i])));
  }
}

TEST(RtnQuantizerTest, StridedViewsGiveTheSameCodes) {
  const Tensor w = RandomMatrix(40, 70, 11);
  const TensorView<const float> transposed_twice = w.View<float>().Transposed().Transposed();
  Tensor wt(DType::kF32, Shape{70, 40});
  for (int i = 0; i < 40; ++i)
    for (int j = 0; j < 70; ++j) wt.data<float>()[j * 40 + i] = w.data<float>()[i * 70 + j];
  RtnQuantizer q;
  const CompressedTensor a = q.Compress(w.View<float>(), nullptr);
  const CompressedTensor b = q.Compress(wt.View<float>().Transposed(), nullptr);  // column stride 40
  EXPECT_EQ(a.FindSection("packed")->bytes, b.FindSection("packed")->bytes);
  Tensor out(DType::kF32, Shape{70, 40});
  q.Decompress(a, out.View<float>().Transposed());
  const Tensor back = RoundTrip(q, w);
  for (int i = 0; i < 40; ++i)
    for (int j = 0; j < 70; ++j) ASSERT_EQ(out.data<float>()[j * 40 + i], back.data<float>()[i * 70 + j]);
  EXPECT_EQ(transposed_twice.stride(1), 1);
}

TEST(RtnQuantizerTest, ZeroRowsDecodeExactlyAndConstantRowsToScalePrecision) {
  Tensor w(DType::kF32, Shape{3, 50});
  for (int j = 0; j < 50; ++j) {
    w.data<float>()[50 + j] = 0.5f;
    w.data<float>()[100 + j] = -2.0f;
  }
  for (const char* sym : {"false", "true"}) {
    const Tensor back = RoundTrip(RtnQuantizer(Options{{"sym", sym}, {"bits", "2"}}), w);
    for (int i = 0; i < 50; ++i) ASSERT_EQ(back.data<float>()[i], 0.0f) << i;
    // The only error left is the f16 rounding of the scale (11 significant bits).
    for (int i = 50; i < 150; ++i) ASSERT_NEAR(back.data<float>()[i], w.data<float>()[i], 1e-3 * std::fabs(w.data<float>()[i])) << i;
  }
}

TEST(RtnQuantizerTest, RejectsBadOptionsWithNamedErrors) {
  auto message = [](const Options& o) {
    const Error e = testing::CatchError([&] { RtnQuantizer q(o); });
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    return std::string(e.what());
  };
  EXPECT_THAT(message({{"bits", "9"}}), HasSubstr("'bits' = 9 is outside [2, 8]"));
  EXPECT_THAT(message({{"bits", "four"}}), HasSubstr("not an integer"));
  EXPECT_THAT(message({{"group", "-2"}}), HasSubstr("'group'"));
  EXPECT_THAT(message({{"format", "q9_z"}}), HasSubstr("'format' = 'q9_z' is not one of int|nf4"));
  EXPECT_THAT(message({{"sym", "maybe"}}), HasSubstr("not a boolean"));
  EXPECT_THAT(message({{"scale_dtype", "f8"}}), HasSubstr("f16|f32"));
  EXPECT_THAT(message({{"colour", "red"}}), HasSubstr("unknown option 'colour'"));
}

TEST(RtnQuantizerTest, RejectsNonFiniteWeightsNamingCountAndPlace) {
  Tensor w = RandomMatrix(4, 8, 1);
  w.data<float>()[13] = std::numeric_limits<float>::quiet_NaN();
  w.data<float>()[20] = std::numeric_limits<float>::infinity();
  const Error e = testing::CatchError([&] { RtnQuantizer().Compress(w.View<float>(), nullptr); });
  EXPECT_THAT(e.what(), HasSubstr("2 non-finite value(s), first at (1, 5)"));
}

TEST(RtnQuantizerTest, RejectsCorruptCompressedTensors) {
  const Tensor w = RandomMatrix(8, 40, 2);
  RtnQuantizer q;
  const CompressedTensor good = q.Compress(w.View<float>(), nullptr);
  Tensor out(DType::kF32, w.shape());
  auto expect_corrupt = [&](CompressedTensor ct, const char* what) {
    const Error e = testing::CatchError([&] { q.Decompress(ct, out.View<float>()); });
    EXPECT_EQ(e.code(), ErrorCode::kCorruptData) << e.what();
    EXPECT_THAT(e.what(), HasSubstr(what));
  };
  CompressedTensor ct = good;
  ct.SetMeta("bits", "12");
  expect_corrupt(ct, "'bits'");
  ct = good;
  ct.SetMeta("group", "-7");
  expect_corrupt(ct, "'group'");
  ct = good;
  ct.mutable_sections()[0].bytes.pop_back();
  expect_corrupt(ct, "'packed'");
  ct = good;
  ct.mutable_sections().pop_back();
  expect_corrupt(ct, "'zero_point'");
  ct = good;
  ct.mutable_sections()[1].bytes[1] = 0x7C;  // f16 scale 0 -> +inf
  ct.mutable_sections()[1].bytes[0] = 0x00;
  expect_corrupt(ct, "non-finite scale");
  Tensor wrong(DType::kF32, Shape{8, 41});
  EXPECT_THROW(q.Decompress(good, wrong.View<float>()), Error);
}

TEST(RtnQuantizerTest, F16ScalesOverflowIsAnErrorAndF32ScalesWork) {
  Tensor w = RandomMatrix(2, 32, 4, 1e6f);
  EXPECT_THROW(RtnQuantizer().Compress(w.View<float>(), nullptr), Error);
  const Tensor back = RoundTrip(RtnQuantizer(Options{{"scale_dtype", "f32"}, {"bits", "8"}}), w);
  EXPECT_LT(RelativeRmsError(w.data<float>(), back.data<float>(), w.num_elements()), 0.02);
}

}  // namespace
}  // namespace shrink
