// AwqQuantizer: output error below round-to-nearest's on inputs with salient channels, the
// input_scale section (decode, MatVec, validation), bad input, and on the real model: folding
// into the RMSNorms keeps the function, perplexity at or below rtn's, GGUF output.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "shrink/formats/quant_tensor.h"
#include "shrink/model/calibration.h"
#include "shrink/model/eval.h"
#include "shrink/quant/awq.h"
#include "shrink/quant/quantize_model.h"
#include "shrink/quant/rtn.h"
#include "shrink/registry.h"
#include "src/quant/input_scale_fold.h"
#include "testing/real_model.h"
#include "testing/test_util.h"

namespace shrink {
namespace {

const std::string& kModel = testing::kRealModel;
const std::string& kTokens = testing::kEvalTokens;

// Returns statistics of `tokens` inputs with `n` correlated channels (a random mixing of
// n / 4 factors) of which every 16th has a 30x larger magnitude: AWQ's salient channels.
CalibrationStats SalientStats(int64_t n, int64_t tokens, uint32_t seed) {
  const Tensor factors = testing::RandomMatrix(tokens, n / 4, seed);
  const Tensor mixing = testing::RandomMatrix(n / 4, n, seed + 1);
  Tensor x(DType::kF32, Shape{tokens, n});
  Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(x.data<float>(), tokens, n) =
      AsEigen(factors.View<float>()) * AsEigen(mixing.View<float>());
  for (int64_t t = 0; t < tokens; ++t) {
    for (int64_t j = 0; j < n; j += 16) x.data<float>()[t * n + j] *= 30.0f;
  }
  CalibrationStats stats(n);
  stats.Accumulate(x.View<float>());
  return stats;
}

double OutputError(const WeightCompressor& q, const Tensor& w, const CalibrationStats& stats) {
  Tensor back(DType::kF32, w.shape());
  q.Decompress(q.Compress(w.View<float>(), &stats), back.View<float>());
  return LayerOutputError(stats, w.View<float>(), back.View<float>());
}

TEST(AwqTest, OutputErrorIsBelowRoundToNearestWithSalientChannels) {
  const CalibrationStats stats = SalientStats(256, 2048, 3);
  const Tensor w = testing::RandomMatrix(96, 256, 5, 0.05f);
  const std::vector<Options> formats = {
      {{"format", "int"}, {"bits", "4"}, {"group", "32"}},
      {{"format", "int"}, {"bits", "3"}, {"group", "128"}, {"sym", "true"}},
      {{"format", "q4_0"}},
      {{"format", "q4_k"}},
      {{"format", "nf4"}},
  };
  for (const Options& options : formats) {
    SCOPED_TRACE(options.ToString());
    const double rtn = OutputError(RtnQuantizer(options), w, stats);
    Options no_clip = options;
    no_clip.Set("auto_clip", "false");
    no_clip.Set("search_rows", "96");
    const double scaled = OutputError(AwqQuantizer(no_clip), w, stats);
    const double awq = OutputError(AwqQuantizer(options), w, stats);
    std::printf("%s: output error rtn %.4g, awq without clip %.4g, awq %.4g\n", options.ToString().c_str(), rtn,
                scaled, awq);
    // α = 0 is plain rtn, so the exact search cannot do worse; here it does much better.
    EXPECT_LT(scaled, 0.8 * rtn);
    EXPECT_LT(awq, 0.8 * rtn);
    EXPECT_LE(awq, scaled * 1.02);  // clipping on the block-diagonal of H does not hurt
  }
}

TEST(AwqTest, StoresInputScaleThatDecodeAndMatVecApply) {
  const CalibrationStats stats = SalientStats(128, 1024, 7);
  const Tensor w = testing::RandomMatrix(40, 128, 9);
  const AwqQuantizer awq(Options{{"format", "q4_0"}});
  const CompressedTensor ct = awq.Compress(w.View<float>(), &stats);
  EXPECT_EQ(ct.num_bytes(), awq.EstimateBytes(w.shape()));
  const float* input_scale = InputScaleOf(ct);
  ASSERT_NE(input_scale, nullptr);
  // Salient channels are scaled up (input_scale = 1/s below the others).
  EXPECT_LT(input_scale[0], input_scale[1]);
  Tensor back(DType::kF32, w.shape());
  awq.Decompress(ct, back.View<float>());
  // Without the section, the decode is Q(W·diag(s)): column j times input_scale[j] gives back.
  CompressedTensor bare(ct.format(), ct.shape());
  for (const auto& [key, value] : ct.metadata()) bare.SetMeta(key, value);
  for (const CompressedSection& s : ct.sections()) {
    if (s.name != "input_scale") bare.AddSection(s);
  }
  Tensor raw(DType::kF32, w.shape());
  DequantizeTensor(bare, raw.View<float>());
  for (int64_t i = 0; i < 40; ++i) {
    for (int64_t j = 0; j < 128; ++j) {
      ASSERT_FLOAT_EQ(back.data<float>()[i * 128 + j], raw.data<float>()[i * 128 + j] * input_scale[j]);
    }
  }
  const Tensor x = testing::RandomMatrix(1, 128, 11);
  std::vector<float> y(40);
  awq.MatVec(ct, x.data<float>(), y.data());
  for (int64_t i = 0; i < 40; ++i) {
    double expected = 0;
    for (int64_t j = 0; j < 128; ++j) expected += double{back.data<float>()[i * 128 + j]} * x.data<float>()[j];
    EXPECT_NEAR(y[static_cast<size_t>(i)], expected, 1e-4 * (1 + std::fabs(expected)));
  }
}

TEST(AwqTest, RejectsMissingOrMismatchedStatisticsAndBadInputScales) {
  const Tensor w = testing::RandomMatrix(8, 64, 1);
  const AwqQuantizer awq(Options{{"format", "q4_0"}});
  EXPECT_EQ(testing::CatchError([&] { awq.Compress(w.View<float>(), nullptr); }).code(), ErrorCode::kInvalidArgument);
  const CalibrationStats wrong = SalientStats(128, 64, 1);
  const Error mismatch = testing::CatchError([&] { awq.Compress(w.View<float>(), &wrong); });
  EXPECT_EQ(mismatch.code(), ErrorCode::kShapeMismatch);
  EXPECT_NE(std::string(mismatch.what()).find("128"), std::string::npos) << mismatch.what();
  const CalibrationStats empty(64);
  EXPECT_EQ(testing::CatchError([&] { awq.Compress(w.View<float>(), &empty); }).code(), ErrorCode::kInvalidArgument);
  EXPECT_THROW(AwqQuantizer(Options{{"max_shrink", "2"}}), Error);

  const CalibrationStats good = SalientStats(64, 256, 2);
  CompressedTensor ct = awq.Compress(w.View<float>(), &good);
  EXPECT_EQ(testing::CatchError([&] { AttachInputScale(ct, std::vector<float>(64, 1.0f)); }).code(),
            ErrorCode::kInvalidArgument);  // already has one
  for (CompressedSection& s : ct.mutable_sections()) {
    if (s.name == "input_scale") {
      const float bad = -1.0f;
      std::memcpy(s.bytes.data() + 4 * 5, &bad, sizeof(bad));
    }
  }
  Tensor back(DType::kF32, w.shape());
  const Error corrupt = testing::CatchError([&] { awq.Decompress(ct, back.View<float>()); });
  EXPECT_EQ(corrupt.code(), ErrorCode::kCorruptData);
  EXPECT_NE(std::string(corrupt.what()).find("input_scale[5]"), std::string::npos) << corrupt.what();
  CompressedTensor plain = RtnQuantizer(Options{{"format", "q4_0"}}).Compress(w.View<float>(), nullptr);
  EXPECT_EQ(testing::CatchError([&] { AttachInputScale(plain, std::vector<float>(63, 1.0f)); }).code(),
            ErrorCode::kInvalidArgument);
}

// Returns the logits of the first 64 evaluation tokens.
RowMatrixF Logits(const Model& model) {
  static const std::vector<int32_t> tokens = ReadTokensU16(kTokens);
  const LlamaModel llama(model);
  LlamaState state = llama.NewState();
  RowMatrixF logits;
  llama.Forward(state, std::vector<int32_t>(tokens.begin(), tokens.begin() + 64), 64, logits);
  return logits;
}

TEST(AwqModelTest, FoldingScalesIntoNormsKeepsTheFunction) {
  SHRINK_REQUIRE_FILE(kModel);
  SHRINK_REQUIRE_FILE(kTokens);
  const Model original = Model::Load(kModel);
  Model folded = Model::Load(kModel);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> spread(0.25f, 4.0f);
  const int64_t dim = original.config()->dim;
  for (int64_t layer = 0; layer < original.config()->n_layers; ++layer) {
    std::vector<float> s(static_cast<size_t>(dim));
    for (float& v : s) v = spread(rng);
    FoldInputScales(folded, layer, LlamaTensor::kAttnNorm, {LlamaTensor::kAttnQ, LlamaTensor::kAttnK, LlamaTensor::kAttnV},
                    s);
    for (float& v : s) v = spread(rng);
    FoldInputScales(folded, layer, LlamaTensor::kFfnNorm, {LlamaTensor::kFfnGate, LlamaTensor::kFfnUp}, s);
  }
  const RowMatrixF a = Logits(original), b = Logits(folded);
  // The stored tensors did change (norm and weights), the logits did not.
  EXPECT_GT(std::fabs(original.ReadF32("blk.0.attn_norm.weight").data<float>()[0] -
                      folded.ReadF32("blk.0.attn_norm.weight").data<float>()[0]), 1e-6);
  EXPECT_GT(std::fabs(original.ReadF32("blk.0.ffn_up.weight").data<float>()[0] -
                      folded.ReadF32("blk.0.ffn_up.weight").data<float>()[0]), 1e-6);
  EXPECT_LT((a - b).cwiseAbs().maxCoeff(), 1e-3f * (1.0f + a.cwiseAbs().maxCoeff()));
  const Error bad = testing::CatchError([&] {
    FoldInputScales(folded, 0, LlamaTensor::kFfnNorm, {LlamaTensor::kFfnDown}, std::vector<float>(64, 1.0f));
  });
  EXPECT_EQ(bad.code(), ErrorCode::kShapeMismatch) << bad.what();  // ffn_down reads the FFN width
}

// A slice of llama.cpp's protocol (200 chunks), to keep the suite fast.
double Perplexity(const Model& model) { return testing::RealPerplexity(model, 30); }

// Quantizes a copy of the model with `method` (true-sequential calibration on 2048 tokens,
// classifier in q8_0).
Model Quantized(const std::string& method, const Options& options) {
  QuantizeModelOptions qm;
  qm.calibration.count = 2048;
  qm.format_for_tensor = [](const ModelTensorInfo& t) { return t.name == kOutputName ? "q8_0" : ""; };
  return testing::QuantizedRealModel(method, options, qm);
}

// Returns the model quantized by awq into q4_0 (computed once: two tests read it).
const Model& AwqQ40() {
  static const Model model = Quantized("awq", Options{{"format", "q4_0"}});
  return model;
}

TEST(AwqModelTest, FoldedAwqPerplexityIsAtMostRoundToNearests) {
  SHRINK_REQUIRE_FILE(kModel);
  SHRINK_REQUIRE_FILE(kTokens);
  const double f32 = Perplexity(Model::Load(kModel));
  for (const Options& options : {Options{{"format", "q4_0"}}, Options{{"format", "int"}, {"bits", "4"}, {"group", "32"}}}) {
    SCOPED_TRACE(options.ToString());
    Model int_model;
    if (options.Has("group")) int_model = Quantized("awq", options);
    const Model& awq = options.Has("group") ? int_model : AwqQ40();
    // q/k/v and gate/up carry no input_scale (folded into the norms); o and down keep theirs.
    EXPECT_EQ(InputScaleOf(awq.ReadCompressed("blk.2.attn_k.weight")), nullptr);
    EXPECT_EQ(InputScaleOf(awq.ReadCompressed("blk.2.ffn_up.weight")), nullptr);
    EXPECT_NE(InputScaleOf(awq.ReadCompressed("blk.2.attn_output.weight")), nullptr);
    const double awq_ppl = Perplexity(awq);
    const double rtn_ppl = Perplexity(Quantized("rtn", options));
    std::printf("%s: f32 %.4f rtn %.4f awq %.4f\n", options.ToString().c_str(), f32, rtn_ppl, awq_ppl);
    EXPECT_LE(awq_ppl, rtn_ppl);
    EXPECT_LT(awq_ppl, f32 * 1.1);
  }
}

TEST(AwqModelTest, FoldedTensorsWriteToGgufAndTheOthersNameTheFold) {
  SHRINK_REQUIRE_FILE(kModel);
  SHRINK_REQUIRE_FILE(kTokens);
  testing::ScratchDir dir;
  const Error e = testing::CatchError([&] { AwqQ40().Save(dir.File("awq.gguf")); });
  EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
  EXPECT_NE(std::string(e.what()).find("attn_output"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("fold"), std::string::npos) << e.what();
  // With the two tensors that keep an input_scale stored decoded, the folded q4_0 tensors and
  // norms go to GGUF as plain ggml blocks and read back to the same model.
  Model model = Model::Load(kModel);
  for (const ModelTensorInfo& t : AwqQ40().Tensors()) {
    const bool scaled = t.compressed && InputScaleOf(AwqQ40().ReadCompressed(t.name)) != nullptr;
    if (t.compressed && !scaled) {
      model.SetCompressed(t.name, AwqQ40().ReadCompressed(t.name));
    } else {
      model.SetTensor(t.name, AwqQ40().ReadF32(t.name));
    }
  }
  model.Save(dir.File("awq.gguf"));
  const Model back = Model::Load(dir.File("awq.gguf"));
  EXPECT_EQ(back.Info("blk.1.attn_q.weight").format, "q4_0");
  EXPECT_EQ(back.Info("blk.1.ffn_gate.weight").format, "q4_0");
  EXPECT_EQ((Logits(back) - Logits(AwqQ40())).cwiseAbs().maxCoeff(), 0.0f);
}

}  // namespace
}  // namespace shrink
