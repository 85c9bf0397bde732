// Tests of the Llama harness on the real model: llama.cpp's reference perplexity, KL/top-1
// against a reference, batched versus token-by-token decoding, fused compressed weights with
// exact and int8-rounded inputs.
#include "shrink/model/llama.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "shrink/kvcache/full_cache.h"
#include "shrink/model/eval.h"
#include "shrink/model/tokenizer.h"
#include "shrink/quant/rtn.h"
#include "testing/real_model.h"
#include "testing/test_util.h"

namespace shrink {
namespace {

using ::testing::HasSubstr;

const std::string kBin = testing::SharedPath("models/stories260K/stories260K.bin");
const std::string kGguf = testing::SharedPath("models/stories260K/stories260K-f32.gguf");
const std::string kTokens = testing::SharedPath("data/tinystories/tinystories_val.tok512.u16");

// Returns `path` with every matrix but the token embedding quantized by rtn with `options`.
Model Quantized(const std::string& path, const Options& options) {
  Model m = Model::Load(path);
  const RtnQuantizer rtn(options);
  for (const auto& t : m.Tensors()) {
    if (t.shape.rank() == 2 && t.name != kTokenEmbeddingName) {
      m.SetCompressed(t.name, rtn.Compress(m.ReadF32(t.name).View<float>(), nullptr));
    }
  }
  return m;
}

TEST(LlamaEvalTest, PerplexityMatchesLlamaCppOn200Chunks) {
  SHRINK_REQUIRE_FILE(kTokens);
  const auto tokens = ReadTokensU16(kTokens);
  ASSERT_EQ(tokens.size(), 393013u);
  EvalOptions options;
  options.num_chunks = 200;
  for (const std::string& path : {kBin, kGguf}) {
    SHRINK_REQUIRE_FILE(path);
    const EvalResult r = Evaluate(LlamaModel(Model::Load(path)), nullptr, tokens, options);
    EXPECT_NEAR(r.perplexity, 3.9173, 0.0005) << path;  // llama.cpp and PyTorch both give 3.9173
    EXPECT_EQ(r.tokens_scored, 200 * 127);
    EXPECT_EQ(r.chunks, 200);
  }
}

TEST(LlamaEvalTest, SelfReferenceHasZeroKlAndFullAgreementAndQuantizationDoesNot) {
  SHRINK_REQUIRE_FILE(kBin);
  SHRINK_REQUIRE_FILE(kTokens);
  const auto tokens = ReadTokensU16(kTokens);
  EvalOptions options;
  options.num_chunks = 20;
  options.first_chunk = 300;
  const LlamaModel f32(Model::Load(kBin));
  const EvalResult self = Evaluate(f32, &f32, tokens, options);
  EXPECT_EQ(self.kl_divergence, 0.0);
  EXPECT_EQ(self.top1_agreement, 1.0);
  const LlamaModel q3(Quantized(kBin, Options{{"bits", "3"}, {"group", "32"}}));
  const EvalResult r = Evaluate(q3, &f32, tokens, options);
  EXPECT_GT(r.kl_divergence, 0.01);
  EXPECT_LT(r.top1_agreement, 1.0);
  EXPECT_GT(r.perplexity, self.perplexity);
  // Same stream, same model: evaluation is deterministic whatever the thread schedule.
  EXPECT_EQ(Evaluate(q3, &f32, tokens, options).perplexity, r.perplexity);
}

TEST(LlamaEvalTest, FusedCompressedWeightsGiveTheDecompressedResult) {
  SHRINK_REQUIRE_FILE(kBin);
  SHRINK_REQUIRE_FILE(kTokens);
  const auto tokens = ReadTokensU16(kTokens);
  const Model q = Quantized(kBin, Options{{"bits", "4"}, {"group", "32"}});
  LlamaOptions fused_options;
  fused_options.compressed_product = CompressedProduct::kMatVec;
  const LlamaModel decompressed(q), fused(q, fused_options);
  EvalOptions options;
  options.num_chunks = 4;
  const EvalResult a = Evaluate(decompressed, nullptr, tokens, options);
  const EvalResult b = Evaluate(fused, &decompressed, tokens, options);
  EXPECT_NEAR(a.perplexity, b.perplexity, 1e-4 * a.perplexity);
  EXPECT_LT(b.kl_divergence, 1e-8);
}

TEST(LlamaEvalTest, Int8ActivationsStayCloseToTheExactProduct) {
  SHRINK_REQUIRE_FILE(testing::kRealModel);  // FFN rows padded to 192: every row divides by 32
  SHRINK_REQUIRE_FILE(kTokens);
  const auto tokens = ReadTokensU16(kTokens);
  const Model q = Quantized(testing::kRealModel, Options{{"format", "q4_0"}});
  LlamaOptions exact_options, int8_options;
  exact_options.compressed_product = CompressedProduct::kMatVec;
  int8_options.compressed_product = CompressedProduct::kMatVecInt8;
  const LlamaModel exact(q, exact_options), int8(q, int8_options);
  EvalOptions options;
  options.num_chunks = 8;
  const EvalResult a = Evaluate(exact, nullptr, tokens, options);
  const EvalResult b = Evaluate(int8, &exact, tokens, options);
  // Rounding every activation to int8 per 32 values moves the model a little, never far.
  EXPECT_GT(b.kl_divergence, 1e-7);
  EXPECT_LT(b.kl_divergence, 2e-3);
  EXPECT_NEAR(b.perplexity, a.perplexity, 0.01 * a.perplexity);
}

TEST(LlamaModelTest, BatchedPromptEqualsTokenByTokenDecoding) {
  SHRINK_REQUIRE_FILE(kBin);
  const LlamaModel model(Model::Load(kBin));
  const std::vector<int32_t> prompt = {1, 403, 407, 261, 378, 11, 391, 274, 261, 300, 415, 286};
  LlamaState batched = model.NewState();
  RowMatrixF all;
  model.Forward(batched, prompt, static_cast<int64_t>(prompt.size()), all);
  LlamaState stepwise = model.NewState();
  RowMatrixF one;
  for (size_t t = 0; t < prompt.size(); ++t) {
    model.Forward(stepwise, {prompt[t]}, 1, one);
    ASSERT_LT((one.row(0) - all.row(static_cast<Eigen::Index>(t))).cwiseAbs().maxCoeff(), 1e-4f) << "token " << t;
  }
  EXPECT_EQ(batched.position, 12);
  EXPECT_EQ(stepwise.caches[0]->NumTokens(), 12);
}

TEST(LlamaModelTest, GreedyDecodingFromBosBeginsTheDocumentedStory) {
  SHRINK_REQUIRE_FILE(kBin);
  const std::string tok = testing::SharedPath("models/stories260K/tok512.bin");
  SHRINK_REQUIRE_FILE(tok);
  const LlamaModel model(Model::Load(kBin));
  const Tokenizer tokenizer = Tokenizer::Load(tok, 512);
  LlamaState state = model.NewState();
  std::vector<int32_t> sequence = {Tokenizer::kBos};
  RowMatrixF logits;
  for (int i = 0; i < 45; ++i) {
    model.Forward(state, {sequence.back()}, 1, logits);
    Eigen::Index best;
    logits.row(0).maxCoeff(&best);
    sequence.push_back(static_cast<int32_t>(best));
  }
  const std::string expected =
      "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she "
      "saw a big, red ball.";
  EXPECT_EQ(tokenizer.DecodeAll(sequence).substr(0, expected.size()), expected);
}

TEST(LlamaModelTest, RejectsBadTokensAndModelsWithoutConfig) {
  SHRINK_REQUIRE_FILE(kBin);
  const LlamaModel model(Model::Load(kBin));
  LlamaState state = model.NewState();
  RowMatrixF logits;
  const Error e = testing::CatchError([&] { model.Forward(state, {1, 512}, 1, logits); });
  EXPECT_THAT(e.what(), HasSubstr("token 512 at index 1 is outside the vocabulary of 512"));
  Model no_config;
  no_config.SetTensor("w", testing::RandomMatrix(2, 2, 1));
  EXPECT_EQ(testing::CatchError([&] { LlamaModel m(no_config); }).code(), ErrorCode::kInvalidArgument);
  const std::vector<int32_t> tokens(100, 1);
  EvalOptions options;
  EXPECT_THAT(testing::CatchError([&] { Evaluate(model, nullptr, tokens, options); }).what(), HasSubstr("no whole chunk"));
}

TEST(FullKvCacheTest, AttendIsSoftmaxAttentionWithGroupedHeads) {
  FullKvCache cache;
  cache.Reset({/*num_kv_heads=*/2, /*num_query_heads=*/4, /*head_dim=*/3});
  const Tensor k = testing::RandomMatrix(5, 6, 1), v = testing::RandomMatrix(5, 6, 2), q = testing::RandomMatrix(4, 3, 3);
  cache.Append(k.View<float>(), v.View<float>(), nullptr);
  EXPECT_EQ(cache.NumTokens(), 5);
  EXPECT_EQ(cache.MemoryBytes(), 2u * 5 * 6 * sizeof(float));
  Tensor out(DType::kF32, Shape{4, 3});
  cache.Attend(q.View<float>(), out.View<float>());
  for (int h = 0; h < 4; ++h) {
    const int g = h / 2;  // query heads 0,1 read KV head 0; 2,3 read KV head 1
    std::vector<double> w(5);
    double sum = 0;
    for (int t = 0; t < 5; ++t) {
      double s = 0;
      for (int j = 0; j < 3; ++j) s += double{q.data<float>()[h * 3 + j]} * k.data<float>()[t * 6 + g * 3 + j];
      w[t] = std::exp(s / std::sqrt(3.0));
      sum += w[t];
    }
    for (int j = 0; j < 3; ++j) {
      double expected = 0;
      for (int t = 0; t < 5; ++t) expected += w[t] / sum * v.data<float>()[t * 6 + g * 3 + j];
      EXPECT_NEAR(out.data<float>()[h * 3 + j], expected, 1e-5) << "head " << h;
    }
  }
  EXPECT_THROW(cache.Reset({3, 4, 2}), Error);  // 4 query heads do not split over 3 KV heads
}

}  // namespace
}  // namespace shrink
