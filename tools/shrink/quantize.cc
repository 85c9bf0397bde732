// `shrink quantize`: compresses every 2-D weight of a model with a quantizer and reports what
// the file gained (bytes) and lost (reconstruction error per tensor).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <nlohmann/json.hpp>

#include "shrink/io/model.h"
#include "shrink/model/calibration.h"
#include "shrink/model/eval.h"
#include "shrink/quant/ggml_file_type.h"
#include "shrink/quant/quantize_model.h"
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
  for (const char* flag : {"format", "bits", "group"}) {
    if (args.Has(flag)) options.Set(flag, args.Get(flag));
  }
  if (args.Has("sym")) options.Set("sym", "true");
  return options;
}

// Returns the calibration QuantizeModel uses: --calib (loaded into `loaded`), or --calib-tokens
// (read into `tokens`), or none.
ModelCalibration CalibrationOf(const ParsedArgs& args, std::optional<CalibrationSet>& loaded,
                               std::vector<int32_t>& tokens) {
  if (args.Has("calib") && args.Has("calib-tokens")) throw UsageError("give at most one of --calib and --calib-tokens");
  ModelCalibration c;
  if (args.Has("calib")) {
    loaded = CalibrationSet::Load(args.Get("calib"));
    c.precomputed = &*loaded;
  }
  if (args.Has("calib-tokens")) {
    tokens = ReadTokensU16(args.Get("calib-tokens"));
    c.tokens = &tokens;
    c.first_token = args.GetInt("calib-first-token", kDefaultCalibrationFirstToken, 0, int64_t{1} << 40);
    c.count = args.GetInt("calib-count", 8192, 1, int64_t{1} << 40);
    c.sequential = !args.Has("no-sequential");
  }
  return c;
}

// Returns the file type of --ftype; throws UsageError when a flag that also chooses formats is given, or
// when `method_name` has no ggml format to choose (spqr stores its own).
GgmlFileType FileTypeOf(const ParsedArgs& args, const std::string& method_name) {
  for (const char* flag : {"format", "bits", "group", "output-tensor-type", "token-embedding-type"}) {
    if (args.Has(flag)) {
      throw UsageError(fmt::format("--ftype chooses every tensor's format; give either --ftype or --{}", flag));
    }
  }
  const std::vector<OptionSpec>& specs = Registry::Global().Find(method_name).specs;
  if (std::none_of(specs.begin(), specs.end(), [](const OptionSpec& spec) { return spec.name == "format"; })) {
    throw UsageError(fmt::format("--ftype needs a method that writes ggml types (rtn, gptq, awq); {} stores its "
                                 "own format",
                                 method_name));
  }
  return ParseGgmlFileType(args.Get("ftype"));
}

// Makes `options` choose each tensor's format as llama-quantize does for `file_type`: the token embedding
// is quantized too, and tensors llama-quantize would store as f16 are kept. Calibration plays the role of
// llama-quantize's --imatrix in its choices.
void UseFileType(GgmlFileType file_type, const Model& model, QuantizeModelOptions& options) {
  if (!model.config()) {
    throw UsageError("--ftype needs a Llama-family model with an architecture config (.bin, .gguf, or a "
                     "safetensors file with one)");
  }
  const ModelConfig config = *model.config();
  const bool imatrix = options.calibration.precomputed != nullptr || options.calibration.tokens != nullptr;
  options.embeddings = true;
  options.format_for_tensor = [file_type, config, imatrix](const ModelTensorInfo& t) {
    return GgmlTypeForTensor(file_type, config, t.name, t.shape, imatrix).format;
  };
  options.keep_reason = [file_type, config, imatrix](const ModelTensorInfo& t) {
    return GgmlTypeForTensor(file_type, config, t.name, t.shape, imatrix).keep_reason;
  };
}

Json TensorsJson(const QuantizeModelReport& report) {
  Json tensors = Json::array();
  for (const QuantizedTensorReport& t : report.tensors) {
    tensors.push_back({{"name", t.name},
                       {"shape", ShapeDims(t.shape)},
                       {"method", t.method},
                       {"format", t.format},
                       {"bytes_before", t.bytes_before},
                       {"bytes_after", t.bytes_after},
                       {"bits_per_weight", t.bits_per_weight},
                       {"rel_rms_error", t.rel_rms_error}});
  }
  return tensors;
}

int RunQuantize(const ParsedArgs& args) {
  const std::string in = args.Require("model");
  const std::string out = args.Require("out");
  const std::string method_name = args.Get("method", "rtn");
  const ModelFileFormat out_format = ModelFileFormatFromExtension(out);
  if (out_format != ModelFileFormat::kSafetensors && out_format != ModelFileFormat::kGguf) {
    throw UsageError("--out must be a .safetensors or .gguf file");
  }
  std::optional<GgmlFileType> file_type;
  if (args.Has("ftype")) file_type = FileTypeOf(args, method_name);
  const auto method = Registry::Global().CreateAs<WeightCompressor>(method_name, MethodOptions(args));
  if (method->NeedsCalibration() && !args.Has("calib") && !args.Has("calib-tokens")) {
    throw UsageError(fmt::format("{} needs calibration: give --calib STATS or --calib-tokens FILE.u16", method_name));
  }
  Model model = Model::Load(in);
  uint64_t tensor_bytes_before = 0;
  for (const ModelTensorInfo& t : model.Tensors()) tensor_bytes_before += t.num_bytes;
  std::optional<CalibrationSet> loaded;
  std::vector<int32_t> tokens;
  QuantizeModelOptions options;
  options.embeddings = args.Has("embeddings");
  options.skip_incompatible = args.Has("skip-incompatible");
  options.calibration = CalibrationOf(args, loaded, tokens);
  if (file_type) {
    UseFileType(*file_type, model, options);
  } else {
    const std::string output_type = args.Get("output-tensor-type"), embedding_type = args.Get("token-embedding-type");
    if (!embedding_type.empty()) options.embeddings = true;
    options.format_for_tensor = [output_type, embedding_type](const ModelTensorInfo& t) {
      if (t.name == kOutputName) return output_type;
      return t.name == kTokenEmbeddingName ? embedding_type : std::string();
    };
  }
  Progress progress("quantizing", static_cast<int64_t>(model.Tensors().size()));
  options.on_tensor = [&progress] { progress.Advance(); };
  const QuantizeModelReport report = QuantizeModel(model, *method, options);
  if (report.tensors.empty()) {
    throw Error(ErrorCode::kInvalidArgument, fmt::format("{} has no 2-D float weights to quantize", in));
  }
  double error_sum = 0, error_max = 0;
  std::string worst;
  for (const QuantizedTensorReport& t : report.tensors) {
    error_sum += t.rel_rms_error;
    if (t.rel_rms_error >= error_max) {
      error_max = t.rel_rms_error;
      worst = t.name;
    }
  }
  const double mean_error = error_sum / static_cast<double>(report.tensors.size());
  uint64_t tensor_bytes_after = 0;
  for (const ModelTensorInfo& t : model.Tensors()) tensor_bytes_after += t.num_bytes;
  model.Save(out);
  const uint64_t file_before = std::filesystem::file_size(in), file_after = std::filesystem::file_size(out);
  if (args.Has("json")) {
    Json j = {{"input", in},
                    {"output", out},
                    {"method", method->Describe()},
                    {"tensors", TensorsJson(report)},
                    {"kept", report.kept},
                    {"totals",
                     {{"quantized", report.tensors.size()},
                      {"tensor_bytes_before", tensor_bytes_before},
                      {"tensor_bytes_after", tensor_bytes_after},
                      {"file_bytes_before", file_before},
                      {"file_bytes_after", file_after},
                      {"size_ratio", static_cast<double>(file_after) / static_cast<double>(file_before)},
                      {"mean_rel_rms_error", mean_error},
                      {"max_rel_rms_error", error_max},
                      {"max_error_tensor", worst}}}};
    if (file_type) j["ftype"] = GgmlFileTypeName(*file_type);
    fmt::print("{}\n", j.dump(2));
    return 0;
  }
  fmt::print("{:<34} {:<14} {:>6} {:>10} {:>10} {:>8} {:>10}\n", "tensor", "shape", "method", "before", "after",
             "bits/w", "rel.err");
  for (const QuantizedTensorReport& t : report.tensors) {
    fmt::print("{:<34} {:<14} {:>6} {:>10} {:>10} {:>8.3f} {:>9.3f}%\n", t.name, t.shape.ToString(), t.method,
               FormatBytes(t.bytes_before), FormatBytes(t.bytes_after), t.bits_per_weight, 100.0 * t.rel_rms_error);
  }
  for (const auto& [name, reason] : report.kept) fmt::print("kept unquantized: {} ({})\n", name, reason);
  fmt::print("\nmethod: {}\n", method->Describe());
  if (file_type) {
    fmt::print("formats: llama-quantize file type {} (each tensor's format as llama-quantize chooses it)\n",
               GgmlFileTypeName(*file_type));
  }
  fmt::print("quantized {} of {} tensors{}\n", report.tensors.size(), model.Tensors().size(),
             options.embeddings ? "" : " (token embedding kept; --embeddings to include it)");
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
           "compressed .safetensors, or a .gguf when the format is a ggml type; prints size before/after and "
           "reconstruction error per tensor.",
           {{"model", "IN", "input model (.bin llama2.c, .safetensors, .gguf)"},
            {"out", "OUT", "output .safetensors or .gguf file"},
            {"method", "NAME", "quantization method: rtn (default), gptq, ... (see 'shrink info')"},
            {"format", "F", "target format: int (default), nf4, fp8_e4m3, mxfp4, q4_0, q4_k, ... (see 'shrink info')"},
            {"bits", "B", "bits per code of the int format (2..8, default 4)"},
            {"group", "G", "int/fp8: weights per scale along a row, 0 = per channel, -1 = per tensor (default 128)"},
            {"sym", "", "symmetric int grid"},
            {"ftype", "NAME",
             "llama-quantize file type: per-tensor ggml types as llama-quantize chooses them (Q4_K_M, Q3_K_S, "
             "Q8_0, IQ4_XS, ...; not with --format/--bits/--group/--output-tensor-type/--token-embedding-type)"},
            {"output-tensor-type", "F", "format of the classifier output.weight (as llama-quantize's flag)"},
            {"token-embedding-type", "F", "format of the token embedding (implies --embeddings)"},
            {"skip-incompatible", "", "keep tensors whose rows do not fit the format unquantized (and say which)"},
            {"no-sequential", "", "with --calib-tokens: calibrate once on the original model, not block by block"},
            {"options", "K=V,...", "further method options, e.g. scale_dtype=f32"},
            {"embeddings", "", "also quantize the token embedding"},
            {"calib", "STATS", "calibration statistics from 'shrink calibrate'"},
            {"calib-tokens", "FILE.u16", "calibrate on the fly from this token stream, block by block"},
            {"calib-count", "N", "tokens to calibrate on (default 8192)"},
            {"calib-first-token", "K", "first calibration token (default 51200, after the default eval range)"}},
           0, 0},
          RunQuantize};
}

}  // namespace shrink::cli
