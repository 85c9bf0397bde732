// End-to-end tests of the shrink tool: every subcommand, exit codes, JSON output, and the
// quantize acceptance numbers on the real model.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "shrink/io/model.h"
#include "testing/test_util.h"
#include "testing/tool_runner.h"

namespace shrink {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

using testing::RunResult;
using testing::Shrink;

const std::string kBin = testing::SharedPath("models/stories260K/stories260K.bin");
const std::string kGguf = testing::SharedPath("models/stories260K/stories260K-f32.gguf");

TEST(CliTest, InfoReportsVersionAndRuntimeSimdTarget) {
  testing::ScratchDir dir;
  const RunResult r = Shrink("info --json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json j = Json::parse(r.out);
  EXPECT_EQ(j["version"], "0.1.0");
  EXPECT_FALSE(j["simd_target"].get<std::string>().empty());
  std::vector<std::string> methods;
  for (const auto& m : j["methods"]) methods.push_back(m["name"]);
  EXPECT_THAT(methods, ::testing::IsSupersetOf({"rtn", "gptq"}));
}

TEST(CliTest, EveryCommandHasHelp) {
  testing::ScratchDir dir;
  for (const char* c : {"info", "inspect", "convert", "quantize", "eval", "generate", "calibrate", "capture-kv"}) {
    const RunResult r = Shrink(std::string(c) + " --help", dir);
    EXPECT_EQ(r.exit_code, 0) << c;
    EXPECT_THAT(r.out, HasSubstr("usage: shrink " + std::string(c)));
    EXPECT_THAT(r.out, HasSubstr("--threads"));
  }
  EXPECT_EQ(Shrink("--help", dir).exit_code, 0);
  EXPECT_EQ(Shrink("", dir).exit_code, 1);
}

TEST(CliTest, BadUsageAndBadFilesExitWithOneAndSayWhy) {
  testing::ScratchDir dir;
  RunResult r = Shrink("frobnicate", dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("unknown command 'frobnicate'"));
  r = Shrink("inspect --colour red x", dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("unknown flag --colour"));
  r = Shrink("inspect " + dir.File("absent.gguf"), dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("absent.gguf"));
  testing::WriteBytes(dir.File("junk.gguf"), {'G', 'G', 'U', 'F', 9, 0, 0, 0});
  r = Shrink("inspect " + dir.File("junk.gguf"), dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("version"));
  r = Shrink("quantize --model " + dir.File("junk.gguf"), dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("--out is required"));
  r = Shrink("quantize --model x.bin --out y.safetensors --method nonesuch", dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("no method named 'nonesuch'"));
  r = Shrink("quantize --model x.bin --out y.safetensors --bits 12", dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("'bits' = 12 is outside [2, 8]"));
  r = Shrink("info --threads zero", dir);
  EXPECT_EQ(r.exit_code, 1);
}

TEST(CliTest, InspectListsTheSameTensorsForLlama2cAndGguf) {
  SHRINK_REQUIRE_FILE(kBin);
  SHRINK_REQUIRE_FILE(kGguf);
  testing::ScratchDir dir;
  const RunResult a = Shrink("inspect --json " + kBin, dir);
  const RunResult b = Shrink("inspect --json " + kGguf, dir);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const Json ja = Json::parse(a.out), jb = Json::parse(b.out);
  EXPECT_EQ(ja["format"], "llama2c");
  EXPECT_EQ(jb["format"], "gguf");
  std::map<std::string, Json> gguf_tensors;
  for (const auto& t : jb["tensors"]) gguf_tensors[t["name"]] = t;
  for (const auto& t : ja["tensors"]) {
    ASSERT_TRUE(gguf_tensors.count(t["name"])) << t["name"];
    EXPECT_EQ(gguf_tensors[t["name"]]["shape"], t["shape"]);
    EXPECT_EQ(gguf_tensors[t["name"]]["bytes"], t["bytes"]);
  }
  EXPECT_EQ(ja["totals"]["parameters"], 260032);
  EXPECT_EQ(jb["metadata"]["general.architecture"], "llama");
  const RunResult text = Shrink("inspect " + kGguf, dir);
  EXPECT_THAT(text.out, HasSubstr("blk.4.ffn_down.weight"));
  EXPECT_THAT(text.out, HasSubstr("total: 48 tensors"));
}

TEST(CliTest, ConvertLlama2cToGgufAndBackPreservesValues) {
  SHRINK_REQUIRE_FILE(kBin);
  testing::ScratchDir dir;
  ASSERT_EQ(Shrink("convert " + kBin + " " + dir.File("m.gguf"), dir).exit_code, 0);
  ASSERT_EQ(Shrink("convert " + dir.File("m.gguf") + " " + dir.File("m.safetensors"), dir).exit_code, 0);
  const RunResult r = Shrink("convert --json " + dir.File("m.safetensors") + " " + dir.File("m.bin"), dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out)["output_format"], "llama2c");
  EXPECT_TRUE(testing::ReadBytes(dir.File("m.bin")).size() == std::filesystem::file_size(kBin));
  const Model a = Model::Load(kBin), b = Model::Load(dir.File("m.bin"));
  for (const auto& t : a.Tensors()) {
    const Tensor x = a.ReadF32(t.name), y = b.ReadF32(t.name);
    ASSERT_EQ(std::memcmp(x.bytes(), y.bytes(), x.num_bytes()), 0) << t.name;
  }
  // f16 cast halves the matrices; norms stay f32 as llama.cpp's kernels require.
  ASSERT_EQ(Shrink("convert --dtype f16 " + kBin + " " + dir.File("h.gguf"), dir).exit_code, 0);
  const Model h = Model::Load(dir.File("h.gguf"));
  EXPECT_EQ(h.Info("blk.0.attn_q.weight").format, "f16");
  EXPECT_EQ(h.Info("blk.0.attn_norm.weight").format, "f32");
}

TEST(CliTest, Rtn8BitPerChannelIsUnder30PercentWithUnderOnePercentError) {
  SHRINK_REQUIRE_FILE(kBin);
  testing::ScratchDir dir;
  const std::string out = dir.File("q8.safetensors");
  const RunResult r =
      Shrink("quantize --json --model " + kBin + " --out " + out + " --method rtn --bits 8 --group 0 --embeddings", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json j = Json::parse(r.out);
  EXPECT_LT(std::filesystem::file_size(out), 0.30 * std::filesystem::file_size(kBin));
  EXPECT_LT(j["totals"]["max_rel_rms_error"].get<double>(), 0.01);
  EXPECT_EQ(j["totals"]["quantized"], 36);  // 35 block matrices + the token embedding

  // Inspect shows the format and bits per weight; convert decompresses.
  const Json inspected = Json::parse(Shrink("inspect --json " + out, dir).out);
  for (const auto& t : inspected["tensors"]) {
    if (t["shape"].size() == 2) {
      EXPECT_EQ(t["format"], "int") << t["name"];
      EXPECT_NEAR(t["bits_per_weight"].get<double>(), 8.0 + 24.0 / t["shape"][1].get<double>(), 1e-9);
    }
  }
  ASSERT_EQ(Shrink("convert " + out + " " + dir.File("back.safetensors"), dir).exit_code, 0);
  const Model original = Model::Load(kBin), back = Model::Load(dir.File("back.safetensors"));
  for (const auto& t : original.Tensors()) {
    EXPECT_FALSE(back.Info(t.name).compressed);
    const Tensor x = original.ReadF32(t.name), y = back.ReadF32(t.name);
    EXPECT_LT(testing::RelativeRmsError(x.data<float>(), y.data<float>(), x.num_elements()), 0.01) << t.name;
  }
}

TEST(CliTest, QuantizeReportsNonFiniteWeightsAndWritesNothing) {
  testing::ScratchDir dir;
  Tensor bad = testing::RandomMatrix(16, 32, 3);
  bad.data<float>()[5 * 32 + 7] = std::numeric_limits<float>::quiet_NaN();
  Model m;
  m.SetTensor("good.weight", testing::RandomMatrix(16, 32, 4));
  m.SetTensor("bad.weight", std::move(bad));
  m.Save(dir.File("nan.safetensors"));
  const RunResult r = Shrink("quantize --model " + dir.File("nan.safetensors") + " --out " + dir.File("q.safetensors"), dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("tensor 'bad.weight'"));
  EXPECT_THAT(r.err, HasSubstr("1 non-finite value(s), first at (5, 7)"));
  EXPECT_FALSE(std::filesystem::exists(dir.File("q.safetensors")));
  const RunResult inspected = Shrink("inspect --json " + dir.File("nan.safetensors"), dir);
  const Json j = Json::parse(inspected.out);
  EXPECT_EQ(j["totals"]["nonfinite"], 1);
  for (const auto& t : j["tensors"]) EXPECT_EQ(t["nonfinite"], t["name"] == "bad.weight" ? 1 : 0);
}

const std::string kTokens = testing::SharedPath("data/tinystories/tinystories_val.tok512.u16");
const std::string kText = testing::SharedPath("data/tinystories/tinystories_val.txt");

TEST(CliTest, EvalReportsTheReferencePerplexityFromTokensAndFromText) {
  SHRINK_REQUIRE_FILE(kBin);
  SHRINK_REQUIRE_FILE(kTokens);
  SHRINK_REQUIRE_FILE(kText);
  testing::ScratchDir dir;
  const RunResult a = Shrink("eval --json --model " + kBin + " --tokens " + kTokens + " --ctx 256 --chunks 200", dir);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const Json j = Json::parse(a.out);
  EXPECT_NEAR(j["ppl"].get<double>(), 3.9173, 0.0005);
  EXPECT_EQ(j["tokens"], 25400);
  EXPECT_TRUE(j["kld"].is_null());
  for (const char* key : {"ppl", "kld", "top1", "tokens", "tokens_per_second"}) EXPECT_TRUE(j.contains(key)) << key;
  // The text tokenizes to the same stream, so the same number comes out.
  const RunResult b = Shrink("eval --json --model " + kBin + " --text " + kText + " --chunks 20 --ref " + kBin, dir);
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const Json jb = Json::parse(b.out);
  EXPECT_EQ(jb["kld"], 0.0);
  EXPECT_EQ(jb["top1"], 1.0);
  const Json jt = Json::parse(Shrink("eval --json --model " + kBin + " --tokens " + kTokens + " --chunks 20", dir).out);
  EXPECT_EQ(jb["ppl"], jt["ppl"]);
  EXPECT_EQ(Shrink("eval --model " + kBin, dir).exit_code, 1);  // no token input
}

TEST(CliTest, GptqCalibratesBlockByBlockAndBeatsRtnOnPerplexity) {
  SHRINK_REQUIRE_FILE(kBin);
  SHRINK_REQUIRE_FILE(kTokens);
  testing::ScratchDir dir;
  const std::string common = " --model " + kBin + " --bits 3 --group 32 --calib-tokens " + kTokens + " --calib-count 4096";
  const RunResult g = Shrink("quantize --json --method gptq --out " + dir.File("g.safetensors") + common, dir);
  ASSERT_EQ(g.exit_code, 0) << g.err;
  const Json report = Json::parse(g.out);
  for (const auto& t : report["tensors"]) {  // block weights use GPTQ, the classifier falls back to rtn
    EXPECT_EQ(t["method"], t["name"].get<std::string>().rfind("blk.", 0) == 0 ? "gptq" : "rtn") << t["name"];
  }
  const RunResult r = Shrink("quantize --method rtn --out " + dir.File("r.safetensors") + common, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto ppl = [&](const std::string& model) {
    const RunResult e = Shrink("eval --json --chunks 40 --model " + model + " --tokens " + kTokens, dir);
    EXPECT_EQ(e.exit_code, 0) << e.err;
    return Json::parse(e.out)["ppl"].get<double>();
  };
  EXPECT_LT(ppl(dir.File("g.safetensors")), 0.97 * ppl(dir.File("r.safetensors")));

  const RunResult missing = Shrink("quantize --method gptq --model " + kBin + " --out " + dir.File("x.safetensors"), dir);
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_THAT(missing.err, HasSubstr("gptq needs calibration: give --calib STATS or --calib-tokens"));
  EXPECT_FALSE(std::filesystem::exists(dir.File("x.safetensors")));
}

TEST(CliTest, EvalWithInt8ActivationsRoundsInputsOfGgmlWeights) {
  const std::string padded = testing::SharedPath("models/stories260K/stories260K-ffnpad192-f32.gguf");
  SHRINK_REQUIRE_FILE(padded);
  SHRINK_REQUIRE_FILE(kTokens);
  testing::ScratchDir dir;
  const std::string q = dir.File("q.gguf");
  const RunResult r = Shrink("quantize --method rtn --format q4_0 --model " + padded + " --out " + q, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto eval = [&](const std::string& extra) {
    const RunResult e = Shrink("eval --json --chunks 10 --model " + q + " --ref " + q + " --tokens " + kTokens + extra, dir);
    EXPECT_EQ(e.exit_code, 0) << e.err;
    return Json::parse(e.out);
  };
  const Json exact = eval(""), int8 = eval(" --int8-activations");
  EXPECT_FALSE(exact["int8_activations"].get<bool>());
  EXPECT_TRUE(int8["int8_activations"].get<bool>());
  EXPECT_EQ(exact["kld"].get<double>(), 0.0);
  EXPECT_GT(int8["kld"].get<double>(), 0.0);  // the reference runs exact products
  EXPECT_NEAR(int8["ppl"].get<double>(), exact["ppl"].get<double>(), 0.01 * exact["ppl"].get<double>());
}

TEST(CliTest, GenerateCalibrateAndCaptureKvRun) {
  SHRINK_REQUIRE_FILE(kBin);
  SHRINK_REQUIRE_FILE(kTokens);
  testing::ScratchDir dir;
  const RunResult g = Shrink("generate --model " + kBin + " -n 20", dir);
  ASSERT_EQ(g.exit_code, 0) << g.err;
  EXPECT_THAT(g.out, HasSubstr("Once upon a time, there was a little girl named Lily."));
  const RunResult c = Shrink("calibrate --json --model " + kBin + " --tokens " + kTokens + " --count 2048 --out " +
                                 dir.File("stats.safetensors"),
                             dir);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(Json::parse(c.out)["sites"]["blk.0.attn_in"]["tokens"], 2048);
  EXPECT_EQ(Json::parse(c.out)["first_token"], 51200);
  const RunResult q = Shrink("quantize --model " + kBin + " --out " + dir.File("q.safetensors") + " --calib " +
                                 dir.File("stats.safetensors"),
                             dir);
  EXPECT_EQ(q.exit_code, 0) << q.err;
  const RunResult k = Shrink("capture-kv --model " + kBin + " --tokens " + kTokens +
                                 " --first-token 4096 --count 128 --out " + dir.File("kv.safetensors"),
                             dir);
  ASSERT_EQ(k.exit_code, 0) << k.err;
  EXPECT_EQ(Model::Load(dir.File("kv.safetensors")).Info("blk.2.k").shape, (Shape{4, 128, 8}));
}

}  // namespace
}  // namespace shrink
