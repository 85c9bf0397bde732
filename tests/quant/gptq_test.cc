// GPTQ: lower layer output error than round-to-nearest on correlated inputs for several target
// formats, exactly RTN when the Hessian is the identity, act-order, and its error messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "shrink/formats/quant_tensor.h"
#include "shrink/quant/gptq.h"
#include "shrink/quant/rtn.h"
#include "testing/calibration_inputs.h"
#include "testing/test_util.h"

namespace shrink {
namespace {

using ::testing::HasSubstr;

using testing::CorrelatedInputs;
using testing::StatsOf;

Tensor Decoded(const WeightCompressor& q, const CompressedTensor& ct) {
  Tensor out(DType::kF32, ct.shape());
  q.Decompress(ct, out.View<float>());
  return out;
}

double OutputError(const WeightCompressor& q, const Tensor& w, const CalibrationStats& stats) {
  const Tensor back = Decoded(q, q.Compress(w.View<float>(), &stats));
  return LayerOutputError(stats, w.View<float>(), back.View<float>());
}

TEST(GptqTest, BeatsRoundToNearestOnOutputErrorForEveryTestedFormat) {
  const Tensor w = testing::RandomMatrix(128, 256, 1);
  const CalibrationStats stats = StatsOf(CorrelatedInputs(1024, 256, 2));
  for (const Options& format : {Options{{"bits", "4"}, {"group", "128"}}, Options{{"bits", "3"}, {"group", "64"}, {"sym", "true"}},
                                Options{{"bits", "8"}, {"group", "0"}}, Options{{"bits", "2"}, {"group", "32"}},
                                Options{{"bits", "4"}, {"group", "-1"}, {"sym", "true"}}}) {
    SCOPED_TRACE(format.ToString());
    const double rtn = OutputError(RtnQuantizer(format), w, stats);
    const double gptq = OutputError(GptqQuantizer(format), w, stats);
    Options ordered = format;
    ordered.Set("act_order", "true");
    const double gptq_act = OutputError(GptqQuantizer(ordered), w, stats);
    EXPECT_LT(gptq, 0.7 * rtn);
    EXPECT_LT(gptq_act, 0.7 * rtn);
  }
}

TEST(GptqTest, TargetsBlockAndFloatFormats) {
  // Super-blocks of 256 (q4_k), 64-weight absmax blocks (nf4) and per-tensor scales (nvfp4).
  const Tensor w = testing::RandomMatrix(64, 512, 8);
  const CalibrationStats stats = StatsOf(CorrelatedInputs(2048, 512, 9));
  for (const char* format : {"q4_k", "q3_k", "nf4", "nvfp4", "q4_0", "iq4_nl", "fp8_e4m3"}) {
    SCOPED_TRACE(format);
    const Options options{{"format", format}};
    const double rtn = OutputError(RtnQuantizer(options), w, stats);
    EXPECT_LT(OutputError(GptqQuantizer(options), w, stats), 0.8 * rtn);
  }
}

TEST(GptqTest, EqualsRoundToNearestWhenTheHessianIsTheIdentity) {
  // With H = I there is no correlation to exploit: U = I and no error is fed forward.
  const int64_t n = 96;
  Tensor x(DType::kF32, Shape{n, n});
  for (int64_t i = 0; i < n; ++i) x.data<float>()[i * n + i] = 1.0f;
  const CalibrationStats stats = StatsOf(x);
  const Tensor w = testing::RandomMatrix(40, n, 3);
  const Options format{{"bits", "4"}, {"group", "32"}, {"sym", "true"}, {"damp", "0"}};
  const RtnQuantizer rtn(Options{{"bits", "4"}, {"group", "32"}, {"sym", "true"}});
  const GptqQuantizer gptq(format);
  const Tensor a = Decoded(rtn, rtn.Compress(w.View<float>(), nullptr));
  const Tensor b = Decoded(gptq, gptq.Compress(w.View<float>(), &stats));
  for (int64_t i = 0; i < w.num_elements(); ++i) {
    ASSERT_NEAR(a.data<float>()[i], b.data<float>()[i], 1e-6f) << i;
  }
}

TEST(GptqTest, DeadChannelsAreZeroedAndSingularHessiansAreDampedOrReported) {
  Tensor x = CorrelatedInputs(512, 64, 4);
  for (int64_t t = 0; t < 512; ++t) x.data<float>()[t * 64 + 10] = 0.0f;  // channel 10 never fires
  const CalibrationStats stats = StatsOf(x);
  const Tensor w = testing::RandomMatrix(16, 64, 5);
  const GptqQuantizer gptq(Options{{"bits", "4"}, {"group", "32"}});
  const Tensor back = Decoded(gptq, gptq.Compress(w.View<float>(), &stats));
  for (int64_t r = 0; r < 16; ++r) EXPECT_NEAR(back.data<float>()[r * 64 + 10], 0.0f, 0.2f);

  // Two identical channels make XᵀX singular: without damping GPTQ says what to do.
  Tensor dup = CorrelatedInputs(512, 64, 6);
  for (int64_t t = 0; t < 512; ++t) dup.data<float>()[t * 64 + 5] = dup.data<float>()[t * 64 + 4];
  const CalibrationStats singular = StatsOf(dup);
  const Error e = testing::CatchError(
      [&] { GptqQuantizer(Options{{"damp", "0"}}).Compress(w.View<float>(), &singular); });
  EXPECT_THAT(e.what(), HasSubstr("not positive definite with damp=0"));
  EXPECT_THAT(e.what(), HasSubstr("raise damp"));
  EXPECT_NO_THROW(GptqQuantizer().Compress(w.View<float>(), &singular));
}

TEST(GptqTest, RejectsMissingOrMismatchedStatistics) {
  const Tensor w = testing::RandomMatrix(8, 64, 7);
  const Error missing = testing::CatchError([&] { GptqQuantizer().Compress(w.View<float>(), nullptr); });
  EXPECT_THAT(missing.what(), HasSubstr("gptq needs calibration statistics"));
  const CalibrationStats other(32);
  const Error mismatch = testing::CatchError([&] { GptqQuantizer().Compress(w.View<float>(), &other); });
  EXPECT_EQ(mismatch.code(), ErrorCode::kShapeMismatch);
  EXPECT_THAT(mismatch.what(), HasSubstr("32 input channels, the weight has 64"));
  const Error bad = testing::CatchError([] { GptqQuantizer(Options{{"damp", "-1"}}); });
  EXPECT_THAT(bad.what(), HasSubstr("'damp' = -1 is outside"));
}

}  // namespace
}  // namespace shrink
