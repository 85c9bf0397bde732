// Tests of Model: the real llama2.c and GGUF files agree, and conversions between the three
// formats (and compressed safetensors) preserve every tensor exactly.
#include "shrink/io/model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <limits>

#include "shrink/core/convert.h"
#include "shrink/io/safetensors.h"
#include "shrink/quant/rtn.h"
#include "shrink/registry.h"
#include "testing/test_util.h"

namespace shrink {
namespace {

using ::testing::HasSubstr;
using testing::SharedPath;

const std::string kBin = SharedPath("models/stories260K/stories260K.bin");
const std::string kGguf = SharedPath("models/stories260K/stories260K-f32.gguf");

// Asserts that every tensor of `a` exists in `b` with the same shape and bit-identical values.
void ExpectSameTensors(const Model& a, const Model& b) {
  for (const ModelTensorInfo& t : a.Tensors()) {
    SCOPED_TRACE(t.name);
    const ModelTensorInfo* other = b.Find(t.name);
    ASSERT_NE(other, nullptr);
    ASSERT_EQ(other->shape, t.shape);
    const Tensor x = a.ReadF32(t.name), y = b.ReadF32(t.name);
    ASSERT_EQ(std::memcmp(x.bytes(), y.bytes(), x.num_bytes()), 0);
  }
}

TEST(ModelTest, Llama2cCheckpointHasTheDocumentedArchitecture) {
  SHRINK_REQUIRE_FILE(kBin);
  const Model m = Model::Load(kBin);
  EXPECT_EQ(m.source_format(), ModelFileFormat::kLlama2c);
  ASSERT_TRUE(m.config());
  const ModelConfig& c = *m.config();
  EXPECT_EQ(c.dim, 64);
  EXPECT_EQ(c.hidden_dim, 172);
  EXPECT_EQ(c.n_layers, 5);
  EXPECT_EQ(c.n_heads, 8);
  EXPECT_EQ(c.n_kv_heads, 4);
  EXPECT_EQ(c.vocab_size, 512);
  EXPECT_EQ(c.seq_len, 512);
  EXPECT_TRUE(c.tied_embeddings);
  EXPECT_EQ(m.Tensors().size(), 1u + 5 * 9 + 1);
  EXPECT_EQ(m.Info("blk.0.attn_k.weight").shape, (Shape{32, 64}));
  EXPECT_EQ(m.Info("blk.0.ffn_down.weight").shape, (Shape{64, 172}));
}

TEST(ModelTest, Llama2cAndLlamaCppGgufHoldTheSameTensors) {
  SHRINK_REQUIRE_FILE(kBin);
  SHRINK_REQUIRE_FILE(kGguf);
  const Model bin = Model::Load(kBin);
  const Model gguf = Model::Load(kGguf);
  ExpectSameTensors(bin, gguf);
  // llama.cpp's converter stores the tied classifier as a copy of the embedding.
  const Tensor embd = bin.ReadF32(kTokenEmbeddingName), out = gguf.ReadF32(kOutputName);
  EXPECT_EQ(std::memcmp(embd.bytes(), out.bytes(), embd.num_bytes()), 0);
  EXPECT_EQ(gguf.Tensors().size(), bin.Tensors().size() + 1);
  ASSERT_TRUE(gguf.config());
  EXPECT_EQ(gguf.config()->n_kv_heads, 4);
  EXPECT_NEAR(gguf.config()->norm_eps, 1e-5, 1e-9);
}

TEST(ModelTest, ConvertingBetweenAllFormatsPreservesEveryValue) {
  SHRINK_REQUIRE_FILE(kBin);
  testing::ScratchDir dir;
  const Model bin = Model::Load(kBin);
  bin.Save(dir.File("m.gguf"));
  bin.Save(dir.File("m.safetensors"));
  const Model gguf = Model::Load(dir.File("m.gguf"));
  const Model st = Model::Load(dir.File("m.safetensors"));
  ExpectSameTensors(bin, gguf);
  ExpectSameTensors(bin, st);
  ASSERT_TRUE(st.config());
  EXPECT_EQ(st.config()->hidden_dim, 172);
  EXPECT_TRUE(st.config()->tied_embeddings);
  st.Save(dir.File("back.bin"));
  const Model back = Model::Load(dir.File("back.bin"));
  ExpectSameTensors(bin, back);
  EXPECT_EQ(std::filesystem::file_size(dir.File("back.bin")), std::filesystem::file_size(kBin));
  // The GGUF written from llama2.c reloads with the same architecture.
  ASSERT_TRUE(gguf.config());
  EXPECT_EQ(gguf.config()->n_layers, 5);
  EXPECT_EQ(gguf.config()->seq_len, 512);
}

TEST(ModelTest, GgufThroughModelIsByteIdentical) {
  SHRINK_REQUIRE_FILE(kGguf);
  testing::ScratchDir dir;
  Model::Load(kGguf).Save(dir.File("copy.gguf"));
  EXPECT_TRUE(testing::ReadBytes(dir.File("copy.gguf")) == testing::ReadBytes(kGguf));
}

TEST(ModelTest, GgufMetadataSurvivesATripThroughSafetensors) {
  SHRINK_REQUIRE_FILE(kGguf);
  testing::ScratchDir dir;
  Model::Load(kGguf).Save(dir.File("m.safetensors"));
  Model::Load(dir.File("m.safetensors")).Save(dir.File("back.gguf"));
  // Tokenizer, architecture and every tensor come back: the file is the original, byte for byte.
  EXPECT_TRUE(testing::ReadBytes(dir.File("back.gguf")) == testing::ReadBytes(kGguf));
}

TEST(ModelTest, CompressedTensorsRoundTripThroughSafetensors) {
  SHRINK_REQUIRE_FILE(kBin);
  testing::ScratchDir dir;
  Model m = Model::Load(kBin);
  auto rtn = Registry::Global().CreateAs<WeightCompressor>("rtn", Options{{"bits", "3"}, {"group", "32"}});
  const std::string name = "blk.2.ffn_gate.weight";
  const Tensor w = m.ReadF32(name);
  CompressedTensor ct = rtn->Compress(w.View<float>(), nullptr);
  Tensor expected(DType::kF32, w.shape());
  rtn->Decompress(ct, expected.View<float>());
  m.SetCompressed(name, std::move(ct));
  m.Save(dir.File("q.safetensors"));

  const Model q = Model::Load(dir.File("q.safetensors"));
  const ModelTensorInfo& info = q.Info(name);
  EXPECT_TRUE(info.compressed);
  EXPECT_EQ(info.format, "int");
  EXPECT_EQ(info.shape, (Shape{172, 64}));
  EXPECT_NEAR(info.bits_per_weight(), 3.0 + 24.0 / 32.0, 1e-9);
  const Tensor got = q.ReadF32(name);
  EXPECT_EQ(std::memcmp(got.bytes(), expected.bytes(), got.num_bytes()), 0);
  // Sections use compressed-tensors' names next to the tensor's own name.
  const SafetensorsReader raw = SafetensorsReader::Open(dir.File("q.safetensors"));
  EXPECT_NE(raw.Find(name + "_packed"), nullptr);
  EXPECT_NE(raw.Find(name + "_scale"), nullptr);
  EXPECT_NE(raw.Find(name + "_zero_point"), nullptr);
  EXPECT_EQ(raw.Find(name), nullptr);
  // Decompressing on save gives back plain tensors.
  Model plain = Model::Load(dir.File("q.safetensors"));
  plain.SetTensor(name, plain.ReadF32(name));
  plain.Save(dir.File("plain.safetensors"));
  EXPECT_FALSE(Model::Load(dir.File("plain.safetensors")).Info(name).compressed);
  // GGUF cannot hold int-grid tensors: a clear error, and no file left behind.
  const Error e = testing::CatchError([&] { q.Save(dir.File("q.gguf")); });
  EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
  EXPECT_THAT(e.what(), HasSubstr(name));
  EXPECT_FALSE(std::filesystem::exists(dir.File("q.gguf")));
}

TEST(ModelTest, BrokenCompressedMetadataIsReportedNotTrusted) {
  testing::ScratchDir dir;
  const Tensor w = testing::RandomMatrix(8, 32, 1);
  auto write = [&](const std::string& desc, bool with_section) {
    const CompressedTensor ct = RtnQuantizer(Options{{"group", "32"}}).Compress(w.View<float>(), nullptr);
    SafetensorsWriter writer;
    for (const auto& s : ct.sections()) {
      if (with_section || s.name != "scale") writer.Add("w_" + s.name, s.dtype, s.shape, s.bytes.data());
    }
    writer.SetMetadata("shrink.compressed.w", desc);
    writer.Write(dir.File("c.safetensors"));
  };
  const std::string good =
      R"({"format":"int","shape":[8,32],"sections":["packed","scale","zero_point"],"meta":{"bits":"4","group":"32","sym":"false","scale_dtype":"f16"}})";
  write(good, true);
  EXPECT_NO_THROW(Model::Load(dir.File("c.safetensors")).ReadF32("w"));
  auto expect_error = [&](const std::string& desc, bool with_section, const char* what) {
    write(desc, with_section);
    const Error e = testing::CatchError([&] { Model::Load(dir.File("c.safetensors")).ReadF32("w"); });
    EXPECT_EQ(e.code(), ErrorCode::kCorruptData) << e.what();
    EXPECT_THAT(e.what(), HasSubstr(what));
  };
  expect_error("{not json", true, "not a JSON object");
  expect_error(good, false, "no entry 'w_scale'");
  expect_error(R"({"format":"int","shape":[8,-32],"sections":[],"meta":{}})", true, "bad shape");
  expect_error(R"({"format":"int","shape":[8,32],"sections":["packed"],"meta":{"bits":"12"}})", true, "metadata");
  std::string wrong_shape = good;
  wrong_shape.replace(wrong_shape.find("[8,32]"), 6, "[8,33]");
  expect_error(wrong_shape, true, "section");
}

// Writes stories260K as a Hugging Face checkpoint: HF names, rotate-half q/k rows, config.json.
void WriteHuggingFaceCopy(const Model& m, const testing::ScratchDir& dir) {
  const ModelConfig& c = *m.config();
  Model hf;
  const std::map<std::string, std::string> suffix = {
      {"attn_norm", "input_layernorm"}, {"attn_q", "self_attn.q_proj"}, {"attn_k", "self_attn.k_proj"},
      {"attn_v", "self_attn.v_proj"},   {"attn_output", "self_attn.o_proj"}, {"ffn_norm", "post_attention_layernorm"},
      {"ffn_gate", "mlp.gate_proj"},    {"ffn_down", "mlp.down_proj"},       {"ffn_up", "mlp.up_proj"}};
  for (const auto& t : m.Tensors()) {
    Tensor data = m.ReadF32(t.name);
    std::string name;
    if (t.name == kTokenEmbeddingName) name = "model.embed_tokens.weight";
    else if (t.name == kOutputNormName) name = "model.norm.weight";
    else {
      const size_t a = t.name.find('.', 4), b = t.name.rfind('.');
      const std::string kind = t.name.substr(a + 1, b - a - 1);
      name = "model.layers." + t.name.substr(4, a - 4) + "." + suffix.at(kind) + ".weight";
      if (kind == "attn_q" || kind == "attn_k") {  // interleaved -> rotate-half, as HF's export does
        const int64_t heads = kind == "attn_q" ? c.n_heads : c.n_kv_heads, hd = c.head_dim();
        Tensor out(DType::kF32, data.shape());
        for (int64_t h = 0; h < heads; ++h)
          for (int64_t i = 0; i < hd / 2; ++i)
            for (int64_t half = 0; half < 2; ++half)
              std::memcpy(out.data<float>() + (h * hd + half * hd / 2 + i) * c.dim,
                          data.data<float>() + (h * hd + 2 * i + half) * c.dim, c.dim * sizeof(float));
        data = std::move(out);
      }
    }
    hf.SetTensor(name, std::move(data));
  }
  hf.Save(dir.File("model.safetensors"));
  std::ofstream(dir.File("config.json"))
      << R"({"architectures":["LlamaForCausalLM"],"model_type":"llama","hidden_size":64,"intermediate_size":172,)"
      << R"("num_hidden_layers":5,"num_attention_heads":8,"num_key_value_heads":4,"vocab_size":512,)"
      << R"("max_position_embeddings":512,"rms_norm_eps":1e-05,"tie_word_embeddings":true})";
}

TEST(ModelTest, HuggingFaceCheckpointsLoadWithGgufNamesAndInterleavedRope) {
  SHRINK_REQUIRE_FILE(kBin);
  testing::ScratchDir dir;
  const Model bin = Model::Load(kBin);
  WriteHuggingFaceCopy(bin, dir);
  const Model hf = Model::Load(dir.File("model.safetensors"));
  ASSERT_TRUE(hf.config());
  EXPECT_EQ(hf.config()->n_kv_heads, 4);
  EXPECT_TRUE(hf.config()->tied_embeddings);
  ExpectSameTensors(bin, hf);  // q and k rows are back in llama2.c's interleaved order
  EXPECT_EQ(hf.Tensors().size(), bin.Tensors().size());
}

TEST(ModelTest, RefusesToOverwriteItsInput) {
  testing::ScratchDir dir;
  Model m;
  m.SetTensor("a", testing::RandomMatrix(2, 2, 1));
  m.Save(dir.File("in.safetensors"));
  const auto before = testing::ReadBytes(dir.File("in.safetensors"));
  const Model loaded = Model::Load(dir.File("in.safetensors"));
  EXPECT_THROW(loaded.Save(dir.File("in.safetensors")), Error);
  EXPECT_EQ(testing::ReadBytes(dir.File("in.safetensors")), before);
}

TEST(ModelTest, NonFiniteValuesStayInTheirOwnElements) {
  testing::ScratchDir dir;
  Tensor w = testing::RandomMatrix(4, 37, 2);
  w.data<float>()[40] = std::numeric_limits<float>::quiet_NaN();
  w.data<float>()[41] = std::numeric_limits<float>::infinity();
  Model m;
  m.SetTensor("w", w.Clone());
  m.Save(dir.File("nan.safetensors"));
  const Tensor f32 = Model::Load(dir.File("nan.safetensors")).ReadF32("w");
  Tensor f16(DType::kF16, w.shape());
  ConvertFromF32(DType::kF16, f32.data<float>(), f16.bytes(), static_cast<size_t>(w.num_elements()));
  Tensor back(DType::kF32, w.shape());
  ConvertToF32(DType::kF16, f16.bytes(), back.data<float>(), static_cast<size_t>(w.num_elements()));
  for (int64_t i = 0; i < w.num_elements(); ++i) {
    if (i == 40) {
      EXPECT_TRUE(std::isnan(back.data<float>()[i]));
    } else if (i == 41) {
      EXPECT_TRUE(std::isinf(back.data<float>()[i]));
    } else {
      ASSERT_TRUE(std::isfinite(back.data<float>()[i])) << i;
      ASSERT_NEAR(back.data<float>()[i], w.data<float>()[i], 1e-3 * std::fabs(w.data<float>()[i]));
    }
  }
}

TEST(ModelTest, DetectsFormatsAndRejectsUnknownFiles) {
  testing::ScratchDir dir;
  testing::WriteBytes(dir.File("x.txt"), {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'});
  EXPECT_EQ(testing::CatchError([&] { Model::Load(dir.File("x.txt")); }).code(), ErrorCode::kUnsupported);
  const Error missing = testing::CatchError([&] { Model::Load(dir.File("missing.gguf")); });
  EXPECT_EQ(missing.code(), ErrorCode::kNotFound);
  EXPECT_THAT(missing.what(), HasSubstr("missing.gguf"));
  testing::WriteBytes(dir.File("short.bin"), {1, 2, 3});
  EXPECT_THROW(Model::Load(dir.File("short.bin")), Error);
  EXPECT_THROW(Model().Save(dir.File("out.onnx")), Error);
}

TEST(ModelTest, Llama2cHeaderValidationNamesTheField) {
  SHRINK_REQUIRE_FILE(kBin);
  testing::ScratchDir dir;
  const auto good = testing::ReadBytes(kBin);
  auto expect_error = [&](std::vector<uint8_t> bytes, const char* what) {
    testing::WriteBytes(dir.File("m.bin"), bytes);
    const Error e = testing::CatchError([&] { Model::Load(dir.File("m.bin")); });
    EXPECT_EQ(e.code(), ErrorCode::kCorruptData);
    EXPECT_THAT(e.what(), HasSubstr(what));
  };
  auto with_field = [&](int field, int32_t value) {
    auto bytes = good;
    std::memcpy(bytes.data() + 4 * field, &value, 4);
    return bytes;
  };
  expect_error(with_field(0, 0), "dim = 0");
  expect_error(with_field(2, -5), "n_layers = -5");
  expect_error(with_field(3, 7), "do not divide");
  expect_error(with_field(1, 1 << 30), "hidden_dim");
  expect_error(with_field(5, -512), "bytes but its header implies");  // untied needs a classifier
  expect_error(std::vector<uint8_t>(good.begin(), good.end() - 4), "bytes but its header implies");
  expect_error(std::vector<uint8_t>(good.begin(), good.begin() + 20), "too short");
}

}  // namespace
}  // namespace shrink
