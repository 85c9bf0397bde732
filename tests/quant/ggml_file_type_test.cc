// GgmlFileType: llama-quantize's per-tensor types on LLM-sized Llama configs (known choices of llama.cpp),
// the fallbacks for rows that do not divide by 256, names, and llama-quantize's exact table on the real model.
#include "shrink/quant/ggml_file_type.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "shrink/io/model.h"
#include "testing/test_util.h"

namespace shrink {
namespace {

using ::testing::HasSubstr;
using T = LlamaTensor;

// Returns a Llama-3-8B-like config: 32 layers of width 4096, FFN 14336, 32 heads.
ModelConfig Llama8B(int64_t n_kv_heads) {
  ModelConfig c;
  c.dim = 4096;
  c.hidden_dim = 14336;
  c.n_layers = 32;
  c.n_heads = 32;
  c.n_kv_heads = n_kv_heads;
  c.vocab_size = 128256;
  c.tied_embeddings = false;
  return c;
}

// Returns the shape of tensor `kind` in a block of `c` (rows = outputs, cols = inputs).
Shape ShapeOf(const ModelConfig& c, T kind) {
  switch (kind) {
    case T::kAttnNorm:
    case T::kFfnNorm: return Shape{c.dim};
    case T::kAttnQ:
    case T::kAttnOutput: return Shape{c.dim, c.dim};
    case T::kAttnK:
    case T::kAttnV: return Shape{c.kv_dim(), c.dim};
    case T::kFfnGate:
    case T::kFfnUp: return Shape{c.hidden_dim, c.dim};
    case T::kFfnDown: return Shape{c.dim, c.hidden_dim};
  }
  return Shape{};
}

// Returns the format llama-quantize gives tensor `kind` of block `layer`.
std::string TypeOf(GgmlFileType ft, const ModelConfig& c, int64_t layer, T kind, bool imatrix = false) {
  const GgmlTensorType t = GgmlTypeForTensor(ft, c, LlamaTensorName(layer, kind), ShapeOf(c, kind), imatrix);
  EXPECT_EQ(t.format.empty(), !t.keep_reason.empty()) << LlamaTensorName(layer, kind);
  return t.format;
}

// Returns the formats of tensor `kind` in every block, space-separated.
std::string TypesByLayer(GgmlFileType ft, const ModelConfig& c, T kind, bool imatrix = false) {
  std::string s;
  for (int64_t layer = 0; layer < c.n_layers; ++layer) s += (layer ? " " : "") + TypeOf(ft, c, layer, kind, imatrix);
  return s;
}

// Returns `n` space-separated copies of `format`, with the layers in `others` set to `other`.
std::string Layers(int64_t n, const std::string& format, const std::vector<int64_t>& others = {},
                   const std::string& other = "") {
  std::vector<std::string> v(static_cast<size_t>(n), format);
  for (int64_t i : others) v[static_cast<size_t>(i)] = other;
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? " " : "") + v[i];
  return s;
}

std::string OutputType(GgmlFileType ft, const ModelConfig& c) {
  return GgmlTypeForTensor(ft, c, kOutputName, Shape{c.vocab_size, c.dim}).format;
}
std::string EmbeddingType(GgmlFileType ft, const ModelConfig& c) {
  return GgmlTypeForTensor(ft, c, kTokenEmbeddingName, Shape{c.vocab_size, c.dim}).format;
}

// llama.cpp's use_more_bits for 32 layers: layers 0-3, 28-31 and every third from 6 to 27.
const std::vector<int64_t> kMoreBits32 = {0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31};

TEST(GgmlFileTypeTest, Q4KMGivesHalfOfAttnVAndFfnDownQ6K) {
  for (int64_t kv_heads : {8, 32}) {
    const ModelConfig c = Llama8B(kv_heads);
    const GgmlFileType ft = GgmlFileType::kQ4_K_M;
    EXPECT_EQ(TypesByLayer(ft, c, T::kAttnV), Layers(32, "q4_k", kMoreBits32, "q6_k")) << kv_heads;
    EXPECT_EQ(TypesByLayer(ft, c, T::kFfnDown), Layers(32, "q4_k", kMoreBits32, "q6_k"));
    for (T kind : {T::kAttnQ, T::kAttnK, T::kAttnOutput, T::kFfnGate, T::kFfnUp}) {
      EXPECT_EQ(TypesByLayer(ft, c, kind), Layers(32, "q4_k")) << LlamaTensorName(0, kind);
    }
    EXPECT_EQ(OutputType(ft, c), "q6_k");
    EXPECT_EQ(EmbeddingType(ft, c), "q4_k");
  }
}

TEST(GgmlFileTypeTest, Q3KMRaisesTheFirstLayersAndAttnOutput) {
  const ModelConfig c = Llama8B(8);
  const GgmlFileType ft = GgmlFileType::kQ3_K_M;
  EXPECT_EQ(TypesByLayer(ft, c, T::kAttnV), Layers(32, "q4_k", {0, 1}, "q5_k"));
  EXPECT_EQ(TypesByLayer(ft, c, T::kFfnDown), Layers(32, "q4_k", {0, 1}, "q5_k"));  // the first 32/16 layers
  EXPECT_EQ(TypesByLayer(ft, c, T::kAttnOutput), Layers(32, "q4_k"));
  EXPECT_EQ(TypesByLayer(ft, c, T::kAttnQ), Layers(32, "q3_k"));
  EXPECT_EQ(TypesByLayer(ft, c, T::kFfnUp), Layers(32, "q3_k"));
  EXPECT_EQ(OutputType(ft, c), "q6_k");
  EXPECT_EQ(EmbeddingType(ft, c), "q3_k");
}

TEST(GgmlFileTypeTest, Q5KSIsUniformExceptTheOutput) {
  const ModelConfig c = Llama8B(8);
  for (T kind : kLlamaLinearTensors) {
    EXPECT_EQ(TypesByLayer(GgmlFileType::kQ5_K_S, c, kind), Layers(32, "q5_k")) << LlamaTensorName(0, kind);
  }
  EXPECT_EQ(OutputType(GgmlFileType::kQ5_K_S, c), "q6_k");
  EXPECT_EQ(EmbeddingType(GgmlFileType::kQ5_K_S, c), "q5_k");
}

TEST(GgmlFileTypeTest, Q2KAttnVDependsOnGroupedQueryAttention) {
  const GgmlFileType ft = GgmlFileType::kQ2_K;
  EXPECT_EQ(TypesByLayer(ft, Llama8B(8), T::kAttnV), Layers(32, "q4_k"));   // n_gqa 4
  EXPECT_EQ(TypesByLayer(ft, Llama8B(32), T::kAttnV), Layers(32, "q3_k"));  // n_gqa 1
  EXPECT_EQ(TypesByLayer(ft, Llama8B(8), T::kFfnDown), Layers(32, "q3_k"));
  EXPECT_EQ(TypesByLayer(ft, Llama8B(8), T::kAttnOutput), Layers(32, "q3_k"));
  EXPECT_EQ(TypesByLayer(ft, Llama8B(8), T::kAttnK), Layers(32, "q2_k"));
  EXPECT_EQ(TypesByLayer(ft, Llama8B(8), T::kFfnGate), Layers(32, "q2_k"));
  EXPECT_EQ(OutputType(ft, Llama8B(8)), "q6_k");
  EXPECT_EQ(EmbeddingType(ft, Llama8B(8)), "q2_k");
}

TEST(GgmlFileTypeTest, Q6KAndQ8_0AreUniform) {
  const ModelConfig c = Llama8B(8);
  for (T kind : kLlamaLinearTensors) {
    EXPECT_EQ(TypesByLayer(GgmlFileType::kQ6_K, c, kind), Layers(32, "q6_k"));
    EXPECT_EQ(TypesByLayer(GgmlFileType::kQ8_0, c, kind), Layers(32, "q8_0"));
  }
  EXPECT_EQ(OutputType(GgmlFileType::kQ6_K, c), "q6_k");
  EXPECT_EQ(OutputType(GgmlFileType::kQ8_0, c), "q8_0");  // never lowered to q6_k
  EXPECT_EQ(EmbeddingType(GgmlFileType::kQ8_0, c), "q8_0");
}

TEST(GgmlFileTypeTest, Iq4XsRaisesAttnVWithGqaAndTheFirstEighthOfFfnDown) {
  const GgmlFileType ft = GgmlFileType::kIQ4_XS;
  EXPECT_EQ(TypesByLayer(ft, Llama8B(8), T::kAttnV), Layers(32, "q5_k"));
  EXPECT_EQ(TypesByLayer(ft, Llama8B(32), T::kAttnV), Layers(32, "iq4_xs"));
  EXPECT_EQ(TypesByLayer(ft, Llama8B(8), T::kFfnDown), Layers(32, "iq4_xs", {0, 1, 2, 3}, "q5_k"));
  // With an importance matrix (calibration statistics) llama-quantize does not raise ffn_down.
  EXPECT_EQ(TypesByLayer(ft, Llama8B(8), T::kFfnDown, /*imatrix=*/true), Layers(32, "iq4_xs"));
  EXPECT_EQ(TypesByLayer(ft, Llama8B(8), T::kAttnQ), Layers(32, "iq4_xs"));
  EXPECT_EQ(OutputType(ft, Llama8B(8)), "q6_k");
  EXPECT_EQ(EmbeddingType(ft, Llama8B(8)), "iq4_xs");
}

TEST(GgmlFileTypeTest, Q4_0IsUniformButTheOutputGetsQ6K) {
  const ModelConfig c = Llama8B(8);
  for (T kind : kLlamaLinearTensors) EXPECT_EQ(TypesByLayer(GgmlFileType::kQ4_0, c, kind), Layers(32, "q4_0"));
  EXPECT_EQ(OutputType(GgmlFileType::kQ4_0, c), "q6_k");
  EXPECT_EQ(EmbeddingType(GgmlFileType::kQ4_0, c), "q4_0");
  // With an importance matrix, the first eighth of ffn_down gets q4_1 (q5_1 for Q5_0).
  EXPECT_EQ(TypesByLayer(GgmlFileType::kQ4_0, c, T::kFfnDown, true), Layers(32, "q4_0", {0, 1, 2, 3}, "q4_1"));
  EXPECT_EQ(TypesByLayer(GgmlFileType::kQ5_0, c, T::kFfnDown, true), Layers(32, "q5_0", {0, 1, 2, 3}, "q5_1"));
}

TEST(GgmlFileTypeTest, Q4KSAndQ3KLAndQ5KM) {
  const ModelConfig c = Llama8B(8);
  EXPECT_EQ(TypesByLayer(GgmlFileType::kQ4_K_S, c, T::kAttnV), Layers(32, "q4_k", {0, 1, 2, 3}, "q5_k"));
  EXPECT_EQ(TypesByLayer(GgmlFileType::kQ4_K_S, c, T::kFfnDown), Layers(32, "q4_k", {0, 1, 2, 3}, "q5_k"));
  EXPECT_EQ(TypesByLayer(GgmlFileType::kQ3_K_L, c, T::kAttnV), Layers(32, "q5_k"));
  EXPECT_EQ(TypesByLayer(GgmlFileType::kQ3_K_L, c, T::kAttnOutput), Layers(32, "q5_k"));
  EXPECT_EQ(TypesByLayer(GgmlFileType::kQ3_K_L, c, T::kFfnDown), Layers(32, "q5_k"));
  EXPECT_EQ(TypesByLayer(GgmlFileType::kQ3_K_S, c, T::kAttnV), Layers(32, "q3_k"));
  EXPECT_EQ(TypesByLayer(GgmlFileType::kQ5_K_M, c, T::kAttnV), Layers(32, "q5_k", kMoreBits32, "q6_k"));
  EXPECT_EQ(TypesByLayer(GgmlFileType::kQ5_K_M, c, T::kFfnDown), Layers(32, "q5_k", kMoreBits32, "q6_k"));
}

TEST(GgmlFileTypeTest, FusedQkvFollowsItsOwnRule) {
  const ModelConfig c = Llama8B(8);
  const Shape qkv{c.dim + 2 * c.kv_dim(), c.dim};
  EXPECT_EQ(GgmlTypeForTensor(GgmlFileType::kQ4_K_M, c, "blk.3.attn_qkv.weight", qkv).format, "q5_k");
  EXPECT_EQ(GgmlTypeForTensor(GgmlFileType::kQ5_K_M, c, "blk.3.attn_qkv.weight", qkv).format, "q6_k");
  EXPECT_EQ(GgmlTypeForTensor(GgmlFileType::kQ3_K_M, c, "blk.3.attn_qkv.weight", qkv).format, "q4_k");
  EXPECT_EQ(GgmlTypeForTensor(GgmlFileType::kQ4_K_S, c, "blk.3.attn_qkv.weight", qkv).format, "q4_k");
}

TEST(GgmlFileTypeTest, Llama70BRaisesAttnV) {
  ModelConfig c = Llama8B(8);
  c.n_layers = 80;
  c.dim = 8192;
  c.n_heads = 64;
  // Layer 11 is not a use_more_bits layer of 80 (10 + 1): q4_k, raised to q5_k for llama.cpp's "70B".
  EXPECT_EQ(TypeOf(GgmlFileType::kQ4_K_M, c, 11, T::kAttnV), "q5_k");
  EXPECT_EQ(TypeOf(GgmlFileType::kQ3_K_S, c, 11, T::kAttnV), "q5_k");
  EXPECT_EQ(TypeOf(GgmlFileType::kQ4_K_M, c, 11, T::kFfnDown), "q4_k");
  c.n_kv_heads = c.n_heads;  // 80 layers without GQA is llama.cpp's "65B": no raise
  EXPECT_EQ(TypeOf(GgmlFileType::kQ4_K_M, c, 11, T::kAttnV), "q4_k");
}

// A stories260K-like config: rows of 64 and 192 weights, which divide by 32 but not by 256.
ModelConfig Narrow() {
  ModelConfig c;
  c.dim = 64;
  c.hidden_dim = 192;
  c.n_layers = 5;
  c.n_heads = 8;
  c.n_kv_heads = 4;
  c.vocab_size = 512;
  c.tied_embeddings = false;
  return c;
}

TEST(GgmlFileTypeTest, RowsThatDoNotDivideBy256FallBack) {
  const ModelConfig c = Narrow();
  // Q4_K_M: q4_k -> q5_0, q6_k (use_more_bits layers 2 and 4 of 5) -> q8_0, also for 192-wide ffn_down.
  EXPECT_EQ(TypesByLayer(GgmlFileType::kQ4_K_M, c, T::kAttnQ), Layers(5, "q5_0"));
  EXPECT_EQ(TypesByLayer(GgmlFileType::kQ4_K_M, c, T::kAttnV), Layers(5, "q5_0", {2, 4}, "q8_0"));
  EXPECT_EQ(TypesByLayer(GgmlFileType::kQ4_K_M, c, T::kFfnDown), Layers(5, "q5_0", {2, 4}, "q8_0"));
  EXPECT_EQ(TypesByLayer(GgmlFileType::kQ5_K_S, c, T::kFfnDown), Layers(5, "q5_1"));  // q5_k -> q5_1
  EXPECT_EQ(TypesByLayer(GgmlFileType::kQ2_K, c, T::kFfnDown), Layers(5, "iq4_nl"));  // q3_k -> iq4_nl
  EXPECT_EQ(TypesByLayer(GgmlFileType::kQ2_K, c, T::kAttnK), Layers(5, "iq4_nl"));    // q2_k -> iq4_nl
  EXPECT_EQ(TypesByLayer(GgmlFileType::kIQ4_XS, c, T::kFfnUp), Layers(5, "iq4_nl"));  // iq4_xs -> iq4_nl
  EXPECT_EQ(TypesByLayer(GgmlFileType::kQ6_K, c, T::kFfnGate), Layers(5, "q8_0"));    // q6_k -> q8_0
  // The output takes q8_0 directly when its rows do not divide by the default type's block.
  EXPECT_EQ(OutputType(GgmlFileType::kQ4_K_M, c), "q8_0");
  EXPECT_EQ(OutputType(GgmlFileType::kQ4_0, c), "q8_0");  // q6_k by the rule, then its fallback
  EXPECT_EQ(EmbeddingType(GgmlFileType::kQ4_K_M, c), "q5_0");
  // A classifier shared with the token embedding takes the output's rule.
  ModelConfig tied = c;
  tied.tied_embeddings = true;
  EXPECT_EQ(EmbeddingType(GgmlFileType::kQ4_K_M, tied), "q8_0");
  EXPECT_EQ(EmbeddingType(GgmlFileType::kQ8_0, tied), "q8_0");
}

TEST(GgmlFileTypeTest, RowsThatDivideByNeitherAreKeptAsLlamaQuantizeWritesF16) {
  const ModelConfig c = Narrow();
  const GgmlTensorType t = GgmlTypeForTensor(GgmlFileType::kQ4_K_M, c, "blk.0.attn_q.weight", Shape{64, 48});
  EXPECT_EQ(t.format, "");
  EXPECT_THAT(t.keep_reason, HasSubstr("f16"));
  EXPECT_THAT(t.keep_reason, HasSubstr("48"));
  // Legacy types have no fallback: llama-quantize refuses the tensor, and so does shrink.
  try {
    GgmlTypeForTensor(GgmlFileType::kQ4_0, c, "blk.0.attn_q.weight", Shape{64, 48});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(e.message(), HasSubstr("blk.0.attn_q.weight"));
    EXPECT_THAT(e.message(), HasSubstr("32"));
  }
}

TEST(GgmlFileTypeTest, NormsAndVectorsAreNotQuantized) {
  const ModelConfig c = Llama8B(8);
  for (const std::string& name : {LlamaTensorName(0, T::kAttnNorm), std::string(kOutputNormName)}) {
    const GgmlTensorType t = GgmlTypeForTensor(GgmlFileType::kQ4_K_M, c, name, Shape{c.dim});
    EXPECT_EQ(t.format, "") << name;
    EXPECT_FALSE(t.keep_reason.empty()) << name;
  }
  EXPECT_EQ(GgmlTypeForTensor(GgmlFileType::kQ4_K_M, c, "blk.0.ffn_gate_inp.weight", Shape{8, c.dim}).format, "");
}

TEST(GgmlFileTypeTest, LayerComesFromTheName) {
  const ModelConfig c = Llama8B(8);
  EXPECT_THROW(GgmlTypeForTensor(GgmlFileType::kQ4_K_M, c, "attn_v.weight", ShapeOf(c, T::kAttnV)), Error);
  EXPECT_THROW(GgmlTypeForTensor(GgmlFileType::kQ4_K_M, c, "blk.32.ffn_down.weight", ShapeOf(c, T::kFfnDown)),
               Error);
  EXPECT_THROW(GgmlTypeForTensor(GgmlFileType::kQ4_K_M, c, "blk.x.attn_v.weight", ShapeOf(c, T::kAttnV)), Error);
}

TEST(GgmlFileTypeTest, NamesParseInAnyCaseAndUnknownNamesListTheValidOnes) {
  EXPECT_EQ(GgmlFileTypes().size(), 16u);
  for (GgmlFileType ft : GgmlFileTypes()) {
    const std::string name = GgmlFileTypeName(ft);
    EXPECT_EQ(ParseGgmlFileType(name), ft);
    std::string lower = name;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    EXPECT_EQ(ParseGgmlFileType(lower), ft);
  }
  EXPECT_EQ(ParseGgmlFileType("Q4_k_M"), GgmlFileType::kQ4_K_M);
  try {
    ParseGgmlFileType("Q4_K_X");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(e.message(), HasSubstr("'Q4_K_X'"));
    for (const char* valid : {"Q4_0", "Q3_K_S", "Q4_K_M", "Q6_K", "IQ4_NL", "IQ4_XS"}) {
      EXPECT_THAT(e.message(), HasSubstr(valid));
    }
  }
}

// What llama-quantize wrote for stories260K-ffnpad192-f32.gguf (5 layers; rows of 64 and 192 weights,
// so no k-quant fits and every tensor takes its fallback), measured with llama.cpp's llama-quantize
// (commit c392e509), `llama-quantize IN OUT TYPE`, reading the tensor types from the output's GGUF header.
// Per-layer columns list layers 0-4, or hold one type for all five.
struct GoldenRow {
  const char* file_type;
  uint64_t file_bytes;  // size of llama-quantize's output file
  const char* output;
  const char* token_embd;
  std::map<T, const char*> layers;
};

const std::vector<GoldenRow>& Golden() {
  static const std::vector<GoldenRow> rows = {
      {"Q4_0", 208544, "q8_0", "q4_0", {}},
      {"Q4_1", 225952, "q8_0", "q4_1", {}},
      {"Q5_0", 243360, "q8_0", "q5_0", {}},
      {"Q5_1", 260768, "q8_0", "q5_1", {}},
      {"Q8_0", 347808, "q8_0", "q8_0", {}},
      {"Q2_K", 208544, "q8_0", "iq4_nl", {}},
      {"Q3_K_S", 208544, "q8_0", "iq4_nl", {}},
      {"Q3_K_M",
       220320,
       "q8_0",
       "iq4_nl",
       {{T::kAttnV, "q5_1 q5_1 q5_0 q5_0 q5_0"}, {T::kAttnOutput, "q5_0"}, {T::kFfnDown, "q5_0"}}},
      {"Q3_K_L", 225824, "q8_0", "iq4_nl", {{T::kAttnV, "q5_1"}, {T::kAttnOutput, "q5_1"}, {T::kFfnDown, "q5_1"}}},
      {"Q4_K_S", 243872, "q8_0", "q5_0", {{T::kAttnV, "q5_1 q5_1 q5_1 q5_1 q5_0"}}},
      {"Q4_K_M",
       254112,
       "q8_0",
       "q5_0",
       {{T::kAttnV, "q5_0 q5_0 q8_0 q5_0 q8_0"}, {T::kFfnDown, "q5_0 q5_0 q8_0 q5_0 q8_0"}}},
      {"Q5_K_S", 260768, "q8_0", "q5_1", {}},
      {"Q5_K_M",
       269728,
       "q8_0",
       "q5_1",
       {{T::kAttnV, "q5_1 q5_1 q8_0 q5_1 q8_0"}, {T::kFfnDown, "q5_1 q5_1 q8_0 q5_1 q8_0"}}},
      {"Q6_K", 347808, "q8_0", "q8_0", {}},
      {"IQ4_NL", 208544, "q8_0", "iq4_nl", {}},
      {"IQ4_XS", 208544, "q8_0", "iq4_nl", {}},
  };
  return rows;
}

// Returns the golden type of tensor `t` of a `n_layers`-block model in `row` ("" for the tensors
// llama-quantize leaves as they are).
std::string GoldenType(const GoldenRow& row, const ModelTensorInfo& t, int64_t n_layers) {
  if (t.shape.rank() < 2) return "";
  if (t.name == kOutputName) return row.output;
  if (t.name == kTokenEmbeddingName) return row.token_embd;
  for (int64_t layer = 0; layer < n_layers; ++layer) {
    for (T kind : kLlamaLinearTensors) {
      if (LlamaTensorName(layer, kind) != t.name) continue;
      const auto it = row.layers.find(kind);
      // Tensors without a column take the default type's fallback, as the token embedding does.
      std::istringstream types(it == row.layers.end() ? row.token_embd : it->second);
      std::vector<std::string> list;
      for (std::string s; types >> s;) list.push_back(s);
      return list.size() == 1 ? list[0] : list.at(static_cast<size_t>(layer));
    }
  }
  ADD_FAILURE() << "no golden type for " << t.name;
  return "";
}

TEST(GgmlFileTypeTest, RealModelMatchesLlamaQuantizeExactly) {
  const std::string path = testing::SharedPath("models/stories260K/stories260K-ffnpad192-f32.gguf");
  SHRINK_REQUIRE_FILE(path);
  const Model model = Model::Load(path);
  ASSERT_TRUE(model.config().has_value());
  ASSERT_EQ(Golden().size(), GgmlFileTypes().size());
  for (const GoldenRow& row : Golden()) {
    const GgmlFileType ft = ParseGgmlFileType(row.file_type);
    int quantized = 0;
    for (const ModelTensorInfo& t : model.Tensors()) {
      const GgmlTensorType got = GgmlTypeForTensor(ft, *model.config(), t.name, t.shape);
      EXPECT_EQ(got.format, GoldenType(row, t, model.config()->n_layers)) << row.file_type << " " << t.name;
      quantized += got.format.empty() ? 0 : 1;
    }
    EXPECT_EQ(quantized, 2 + 5 * 7) << row.file_type;  // output, token_embd and 7 matrices per block
  }
}

}  // namespace
}  // namespace shrink
