// `shrink calibrate`: runs a model over calibration tokens and saves the per-layer input
// statistics (Gram matrix, mean |x|, mean x², max |x|) that compressors read.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "shrink/io/model.h"
#include "shrink/model/calibration.h"
#include "tools/shrink/commands.h"
#include "tools/shrink/token_input.h"

namespace shrink::cli {
namespace {

int RunCalibrate(const ParsedArgs& args) {
  const std::string model_path = args.Require("model");
  const std::string out = args.Require("out");
  if (ModelFileFormatFromExtension(out) != ModelFileFormat::kSafetensors) throw UsageError("--out must be a .safetensors file");
  const LlamaModel model(Model::Load(model_path));
  const std::vector<int32_t> tokens = LoadTokenInput(args, model_path, model.config().vocab_size);
  const int64_t first = args.GetInt("first-token", kDefaultCalibrationFirstToken, 0, int64_t{1} << 40);
  const int64_t count = args.GetInt("count", 8192, 1, int64_t{1} << 40);
  CalibrationOptions options;
  options.context = args.GetInt("ctx", 256, 1, 1 << 20);
  const CalibrationSet set = Calibrate(model, tokens, first, count, options);
  set.Save(out);
  if (args.Has("json")) {
    nlohmann::json sites = nlohmann::json::object();
    for (const auto& [name, s] : set.sites()) sites[name] = {{"channels", s.num_channels()}, {"tokens", s.token_count()}};
    fmt::print("{}\n", nlohmann::json{{"output", out}, {"first_token", first}, {"count", count}, {"sites", sites}}.dump(2));
    return 0;
  }
  fmt::print("calibrated {} sites on tokens [{}, {}) of the stream; wrote {}\n", set.sites().size(), first, first + count,
             out);
  return 0;
}

}  // namespace

Command CalibrateCommand() {
  std::vector<FlagSpec> flags = {
      {"model", "M", "model to run (.bin, .safetensors, .gguf)"},
      {"out", "OUT", "statistics file to write (.safetensors)"},
      {"count", "N", "calibration tokens (default 8192)"},
      {"first-token", "K", "first calibration token (default 51200: right after the default eval range)"},
      {"ctx", "N", "tokens per sequence, each starting with BOS (default 256)"}};
  return {{"calibrate", "",
           "Run a model over calibration tokens and save, for every linear layer's input, the Gram matrix XᵀX (f64), "
           "mean |x|, mean x², max |x| and the token count. Memory does not grow with --count.",
           WithTokenInputFlags(std::move(flags)), 0, 0},
          RunCalibrate};
}

}  // namespace shrink::cli
