// `shrink quantize`: compresses every 2-D weight of a model with a quantizer and reports what
// the file gained (bytes) and lost (reconstruction error per tensor).
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <optional>
#include <nlohmann/json.hpp>

#include "shrink/core/metrics.h"
#include "shrink/io/model.h"
#include "shrink/model/calibration.h"
#include "shrink/model/eval.h"
#include "shrink/registry.h"
#include "tools/shrink/commands.h"
#include "tools/shrink/format_util.h"
#include "tools/shrink/progress.h"

namespace shrink::cli {
namespace {

using Json = nlohmann::json;

// Returns the method options: --options first, then the dedicated flags override them.
Options MethodOptions(const ParsedArgs& args) {
  Options options = Options::Parse(args.Get("options"));
  if (args.Has("bits")) options.Set("bits", args.Get("bits"));
  if (args.Has("group")) options.Set("group", args.Get("group"));
  if (args.Has("sym")) options.Set("sym", "true");
  return options;
}

// Returns the statistics of --calib FILE, or computed on the fly from --calib-tokens FILE.u16
// (--calib-count tokens from --calib-first-token), or nothing.
std::optional<CalibrationSet> LoadCalibration(const ParsedArgs& args, const Model& model) {
  if (args.Has("calib") && args.Has("calib-tokens")) throw UsageError("give at most one of --calib and --calib-tokens");
  if (args.Has("calib")) return CalibrationSet::Load(args.Get("calib"));
  if (!args.Has("calib-tokens")) return std::nullopt;
  const std::vector<int32_t> tokens = ReadTokensU16(args.Get("calib-tokens"));
  return Calibrate(LlamaModel(model), tokens,
                   args.GetInt("calib-first-token", kDefaultCalibrationFirstToken, 0, int64_t{1} << 40),
                   args.GetInt("calib-count", 8192, 1, int64_t{1} << 40));
}

// Returns true for the tensors quantize compresses: plain 2-D float weights, not the token
// embedding unless asked.
bool Selected(const ModelTensorInfo& t, bool embeddings) {
  if (t.compressed || !t.dtype || !IsFloat(*t.dtype) || t.shape.rank() != 2) return false;
  return embeddings || t.name != kTokenEmbeddingName;
}

int RunQuantize(const ParsedArgs& args) {
  const std::string in = args.Require("model");
  const std::string out = args.Require("out");
  const std::string method_name = args.Get("method", "rtn");
  if (ModelFileFormatFromExtension(out) != ModelFileFormat::kSafetensors) {
    throw UsageError(fmt::format("--out must be a .safetensors file: {} tensors have no GGUF or llama2.c type",
                                 method_name));
  }
  const auto method = Registry::Global().CreateAs<WeightCompressor>(method_name, MethodOptions(args));
  Model model = Model::Load(in);
  std::optional<CalibrationSet> calibration;
  if ((args.Has("calib") || args.Has("calib-tokens")) && !method->NeedsCalibration()) {
    fmt::print(stderr, "note: {} uses no calibration statistics; ignoring --calib/--calib-tokens\n", method_name);
  } else {
    calibration = LoadCalibration(args, model);
  }
  const bool embeddings = args.Has("embeddings");

  Json per_tensor = Json::array();
  uint64_t bytes_before = 0, bytes_after = 0;
  double error_sum = 0, error_max = 0;
  std::string worst;
  int64_t quantized = 0;
  const auto tensors = model.Tensors();
  {
    Progress progress("quantizing", static_cast<int64_t>(tensors.size()));
    for (const ModelTensorInfo& t : tensors) {
      bytes_before += t.num_bytes;
      progress.Advance();
      if (!Selected(t, embeddings)) {
        bytes_after += t.num_bytes;
        continue;
      }
      const Tensor weight = model.ReadF32(t.name);
      CompressedTensor ct;
      try {
        ct = method->Compress(weight.View<float>(), calibration ? calibration->ForWeight(t.name) : nullptr);
      } catch (const Error& e) {
        throw Error(e.code(), fmt::format("tensor '{}': {}", t.name, e.message()));
      }
      Tensor back(DType::kF32, weight.shape());
      method->Decompress(ct, back.View<float>());
      const double err = RelativeRmsError(weight.data<float>(), back.data<float>(), weight.num_elements());
      error_sum += err;
      if (err >= error_max) {
        error_max = err;
        worst = t.name;
      }
      bytes_after += ct.num_bytes();
      per_tensor.push_back({{"name", t.name},
                            {"shape", ShapeDims(t.shape)},
                            {"bytes_before", t.num_bytes},
                            {"bytes_after", ct.num_bytes()},
                            {"bits_per_weight", ct.bits_per_weight()},
                            {"rel_rms_error", err}});
      model.SetCompressed(t.name, std::move(ct));
      ++quantized;
    }
  }
  if (quantized == 0) throw Error(ErrorCode::kInvalidArgument, fmt::format("{} has no 2-D float weights to quantize", in));
  model.Save(out);
  const uint64_t file_before = std::filesystem::file_size(in), file_after = std::filesystem::file_size(out);
  const double mean_error = error_sum / static_cast<double>(quantized);
  if (args.Has("json")) {
    const Json j = {{"input", in},
                    {"output", out},
                    {"method", method->Describe()},
                    {"tensors", per_tensor},
                    {"totals",
                     {{"quantized", quantized},
                      {"tensor_bytes_before", bytes_before},
                      {"tensor_bytes_after", bytes_after},
                      {"file_bytes_before", file_before},
                      {"file_bytes_after", file_after},
                      {"size_ratio", static_cast<double>(file_after) / static_cast<double>(file_before)},
                      {"mean_rel_rms_error", mean_error},
                      {"max_rel_rms_error", error_max},
                      {"max_error_tensor", worst}}}};
    fmt::print("{}\n", j.dump(2));
    return 0;
  }
  fmt::print("{:<34} {:<14} {:>10} {:>10} {:>8} {:>10}\n", "tensor", "shape", "before", "after", "bits/w", "rel.err");
  for (const auto& t : per_tensor) {
    fmt::print("{:<34} {:<14} {:>10} {:>10} {:>8.3f} {:>9.3f}%\n", t["name"].get<std::string>(),
               Shape(t["shape"].begin(), t["shape"].end()).ToString(), FormatBytes(t["bytes_before"].get<uint64_t>()),
               FormatBytes(t["bytes_after"].get<uint64_t>()), t["bits_per_weight"].get<double>(),
               100.0 * t["rel_rms_error"].get<double>());
  }
  fmt::print("\nmethod: {}\n", method->Describe());
  fmt::print("quantized {} of {} tensors{}\n", quantized, tensors.size(),
             embeddings ? "" : " (token embedding kept; --embeddings to include it)");
  fmt::print("gained: {} -> {} on disk ({:.1f}% of the input, {:.2f}x smaller)\n", FormatBytes(file_before),
             FormatBytes(file_after), 100.0 * static_cast<double>(file_after) / static_cast<double>(file_before),
             static_cast<double>(file_before) / static_cast<double>(file_after));
  fmt::print("lost: mean relative RMS error {:.3f}% per tensor, worst {:.3f}% ({})\n", 100.0 * mean_error,
             100.0 * error_max, worst);
  fmt::print("wrote {}\n", out);
  return 0;
}

}  // namespace

Command QuantizeCommand() {
  return {{"quantize", "",
           "Quantize every 2-D weight (not norms; not the token embedding unless --embeddings) and write a "
           "compressed .safetensors; prints size before/after and reconstruction error per tensor.",
           {{"model", "IN", "input model (.bin llama2.c, .safetensors, .gguf)"},
            {"out", "OUT", "output .safetensors file"},
            {"method", "NAME", "quantization method (default rtn; see 'shrink info')"},
            {"bits", "B", "bits per weight code (rtn: 2..8, default 4)"},
            {"group", "G", "weights per scale along a row, 0 = per channel (rtn default 128)"},
            {"sym", "", "symmetric grid"},
            {"options", "K=V,...", "further method options, e.g. scale_dtype=f32"},
            {"embeddings", "", "also quantize the token embedding"},
            {"calib", "STATS", "calibration statistics from 'shrink calibrate'"},
            {"calib-tokens", "FILE.u16", "calibrate on the fly from this token stream"},
            {"calib-count", "N", "tokens to calibrate on (default 8192)"},
            {"calib-first-token", "K", "first calibration token (default 51200, after the default eval range)"}},
           0, 0},
          RunQuantize};
}

}  // namespace shrink::cli
