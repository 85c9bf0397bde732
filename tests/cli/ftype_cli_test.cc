// End-to-end tests of `shrink quantize --ftype`: llama-quantize's per-tensor types and file size on the real
// model, and the flags and methods --ftype excludes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "shrink/io/model.h"
#include "testing/test_util.h"
#include "testing/tool_runner.h"

namespace shrink {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

using testing::RunResult;
using testing::Shrink;

const std::string kModel = testing::SharedPath("models/stories260K/stories260K-ffnpad192-f32.gguf");

// The size of llama-quantize's Q4_K_M file of kModel: measured with llama.cpp's llama-quantize (commit
// c392e509), `llama-quantize stories260K-ffnpad192-f32.gguf out.gguf Q4_K_M`. shrink's file differs
// only in GGUF metadata (it wrote 254048 bytes when this test was written).
constexpr uint64_t kLlamaQuantizeQ4KMBytes = 254112;

TEST(FtypeCliTest, Q4KMWritesLlamaQuantizesTypesAndSize) {
  SHRINK_REQUIRE_FILE(kModel);
  testing::ScratchDir dir;
  const std::string out = dir.File("q4_k_m.gguf");
  const RunResult r = Shrink("quantize --json --model " + kModel + " --out " + out + " --ftype Q4_K_M", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json j = Json::parse(r.out);
  EXPECT_EQ(j["ftype"], "Q4_K_M");
  EXPECT_TRUE(j["kept"].empty()) << j["kept"].dump();
  EXPECT_EQ(j["totals"]["quantized"], 2 + 5 * 7);  // output, token_embd and 7 matrices per block

  // llama-quantize's choices for this model (rows of 64 and 192 weights take the k-quants' fallbacks):
  // q8_0 for output.weight; for attn_v and ffn_down q6_k -> q8_0 in the use_more_bits layers 2 and 4 of 5,
  // else q4_k -> q5_0; q4_k -> q5_0 for every other matrix, the token embedding included; norms stay f32.
  const Model model = Model::Load(out);
  int checked = 0;
  for (const ModelTensorInfo& t : model.Tensors()) {
    std::string expected = t.shape.rank() < 2 ? "f32" : "q5_0";
    if (t.name == kOutputName) expected = "q8_0";
    for (int64_t layer : {2, 4}) {
      for (LlamaTensor kind : {LlamaTensor::kAttnV, LlamaTensor::kFfnDown}) {
        if (t.name == LlamaTensorName(layer, kind)) expected = "q8_0";
      }
    }
    EXPECT_EQ(t.format, expected) << t.name;
    ++checked;
  }
  EXPECT_EQ(checked, 48);
  const auto bytes = static_cast<double>(std::filesystem::file_size(out));
  EXPECT_NEAR(bytes / static_cast<double>(kLlamaQuantizeQ4KMBytes), 1.0, 0.01) << bytes;
}

TEST(FtypeCliTest, EveryFileTypeIsWithinOnePercentOfLlamaQuantizesSize) {
  SHRINK_REQUIRE_FILE(kModel);
  // Sizes of llama-quantize's files of kModel, measured with llama.cpp's llama-quantize (commit c392e509).
  const std::map<std::string, uint64_t> llama_quantize_bytes = {
      {"Q4_0", 208544},   {"Q4_1", 225952},   {"Q5_0", 243360},   {"Q5_1", 260768},
      {"Q8_0", 347808},   {"Q2_K", 208544},   {"Q3_K_S", 208544}, {"Q3_K_M", 220320},
      {"Q3_K_L", 225824}, {"Q4_K_S", 243872}, {"Q4_K_M", 254112}, {"Q5_K_S", 260768},
      {"Q5_K_M", 269728}, {"Q6_K", 347808},   {"IQ4_NL", 208544}, {"IQ4_XS", 208544},
  };
  testing::ScratchDir dir;
  for (const auto& [ftype, expected] : llama_quantize_bytes) {
    const std::string out = dir.File(ftype + ".gguf");
    const RunResult r = Shrink("quantize --model " + kModel + " --out " + out + " --ftype " + ftype, dir);
    ASSERT_EQ(r.exit_code, 0) << ftype << ": " << r.err;
    const auto bytes = static_cast<double>(std::filesystem::file_size(out));
    EXPECT_NEAR(bytes / static_cast<double>(expected), 1.0, 0.01) << ftype << ": " << bytes;
  }
}

TEST(FtypeCliTest, FtypeExcludesFormatFlagsAndNamesTheValidTypes) {
  testing::ScratchDir dir;
  const std::string base = "quantize --model " + kModel + " --out " + dir.File("x.gguf") + " --ftype Q4_K_M ";
  for (const char* flag : {"--format q4_0", "--bits 4", "--group 32", "--output-tensor-type q8_0",
                           "--token-embedding-type q8_0"}) {
    const RunResult r = Shrink(base + flag, dir);
    EXPECT_EQ(r.exit_code, 1) << flag;
    EXPECT_THAT(r.err, HasSubstr(std::string(flag).substr(0, std::string(flag).find(' ')))) << flag;
  }
  RunResult r = Shrink("quantize --model " + kModel + " --out " + dir.File("x.gguf") + " --ftype Q4_K_X", dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("Q4_K_X"));
  EXPECT_THAT(r.err, HasSubstr("Q4_K_M"));
  r = Shrink(base + "--method spqr", dir);  // spqr has no ggml format to choose
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("spqr"));
  EXPECT_FALSE(std::filesystem::exists(dir.File("x.gguf")));
}

}  // namespace
}  // namespace shrink
