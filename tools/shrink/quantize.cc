// `shrink quantize`: compresses every 2-D weight of a model with a quantizer and reports what
// the file gained (bytes) and lost (reconstruction error per tensor).
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <optional>
#include <set>
#include <nlohmann/json.hpp>

#include "shrink/core/metrics.h"
#include "shrink/io/model.h"
#include "shrink/model/calibration.h"
#include "shrink/model/eval.h"
#include "shrink/quant/format_quantizer.h"
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

// Returns true for the tensors quantize compresses: plain 2-D float weights, not the token
// embedding unless asked.
bool Selected(const ModelTensorInfo& t, bool embeddings) {
  if (t.compressed || !t.dtype || !IsFloat(*t.dtype) || t.shape.rank() != 2) return false;
  return embeddings || t.name != kTokenEmbeddingName;
}

// Quantizes tensors one at a time into the model and keeps the report.
class TensorQuantizer {
 public:
  TensorQuantizer(const WeightCompressor& method, bool skip_incompatible)
      : method_(method), skip_incompatible_(skip_incompatible) {
    if (method.NeedsCalibration()) {
      // Tensors outside the calibrated sites (the classifier, the embedding) are rounded to
      // nearest in the same format.
      Options rtn_options;
      for (const OptionSpec& spec : QuantFormatSpecs()) rtn_options.Set(spec.name, method.options().values().at(spec.name));
      fallback_ = Registry::Global().CreateAs<WeightCompressor>("rtn", rtn_options);
    }
  }

  // Quantizes tensor `t` of `model` with `stats` (may be null) and replaces it in the model.
  void Quantize(Model& model, const ModelTensorInfo& t, const CalibrationStats* stats) {
    const auto* format_method = dynamic_cast<const FormatQuantizer*>(&method_);
    if (format_method != nullptr) {
      const std::string problem = format_method->format().CheckCols(t.shape.cols());
      if (!problem.empty() && skip_incompatible_) {
        kept_.push_back({{"name", t.name}, {"reason", problem}});
        return;
      }
      if (!problem.empty()) {
        throw Error(ErrorCode::kInvalidArgument,
                    fmt::format("tensor '{}' {}: {}; or pass --skip-incompatible to keep such tensors unquantized",
                                t.name, t.shape.ToString(), problem));
      }
    }
    const WeightCompressor& used = stats == nullptr && fallback_ ? *fallback_ : method_;
    const Tensor weight = model.ReadF32(t.name);
    CompressedTensor ct;
    try {
      ct = used.Compress(weight.View<float>(), stats);
    } catch (const Error& e) {
      throw Error(e.code(), fmt::format("tensor '{}': {}", t.name, e.message()));
    }
    Tensor back(DType::kF32, weight.shape());
    used.Decompress(ct, back.View<float>());
    const double err = RelativeRmsError(weight.data<float>(), back.data<float>(), weight.num_elements());
    error_sum_ += err;
    if (err >= error_max_) {
      error_max_ = err;
      worst_ = t.name;
    }
    per_tensor_.push_back({{"name", t.name},
                           {"shape", ShapeDims(t.shape)},
                           {"method", used.Name()},
                           {"bytes_before", t.num_bytes},
                           {"bytes_after", ct.num_bytes()},
                           {"bits_per_weight", ct.bits_per_weight()},
                           {"rel_rms_error", err}});
    model.SetCompressed(t.name, std::move(ct));
  }

  int64_t quantized() const { return static_cast<int64_t>(per_tensor_.size()); }
  const Json& per_tensor() const { return per_tensor_; }
  const Json& kept() const { return kept_; }
  double mean_error() const { return quantized() == 0 ? 0.0 : error_sum_ / static_cast<double>(quantized()); }
  double max_error() const { return error_max_; }
  const std::string& worst() const { return worst_; }

 private:
  const WeightCompressor& method_;
  std::unique_ptr<WeightCompressor> fallback_;
  bool skip_incompatible_;
  Json per_tensor_ = Json::array();
  Json kept_ = Json::array();
  double error_sum_ = 0, error_max_ = 0;
  std::string worst_;
};

// Quantizes every selected tensor. Statistics come from --calib (computed once, elsewhere) or
// from --calib-tokens, collected block by block on the partly quantized model ("true
// sequential") unless --no-sequential asks for one pass over the original model.
void QuantizeModel(const ParsedArgs& args, Model& model, const WeightCompressor& method, TensorQuantizer& quantizer) {
  const bool embeddings = args.Has("embeddings");
  if (args.Has("calib") && args.Has("calib-tokens")) throw UsageError("give at most one of --calib and --calib-tokens");
  if (method.NeedsCalibration() && !args.Has("calib") && !args.Has("calib-tokens")) {
    throw UsageError(fmt::format("{} needs calibration: give --calib STATS or --calib-tokens FILE.u16", method.Name()));
  }
  std::optional<CalibrationSet> calibration;
  if (args.Has("calib")) calibration = CalibrationSet::Load(args.Get("calib"));
  const auto tensors = model.Tensors();
  Progress progress("quantizing", static_cast<int64_t>(tensors.size()));
  std::set<std::string> done;
  auto quantize = [&](Model& m, const ModelTensorInfo& t, const CalibrationSet* set) {
    progress.Advance();
    done.insert(t.name);
    if (Selected(t, embeddings)) quantizer.Quantize(m, t, set ? set->ForWeight(t.name) : nullptr);
  };
  if (args.Has("calib-tokens")) {
    const std::vector<int32_t> tokens = ReadTokensU16(args.Get("calib-tokens"));
    const int64_t first = args.GetInt("calib-first-token", kDefaultCalibrationFirstToken, 0, int64_t{1} << 40);
    const int64_t count = args.GetInt("calib-count", 8192, 1, int64_t{1} << 40);
    if (args.Has("no-sequential")) {
      calibration = Calibrate(LlamaModel(model), tokens, first, count);
    } else {
      CalibrateSequentially(model, tokens, first, count, {}, [&](int64_t layer, const CalibrationSet& set, Model& m) {
        for (LlamaTensor kind : kLlamaLinearTensors) quantize(m, m.Info(LlamaTensorName(layer, kind)), &set);
      });
    }
  }
  for (const ModelTensorInfo& t : tensors) {
    if (done.count(t.name) == 0) quantize(model, t, calibration ? &*calibration : nullptr);
  }
}

int RunQuantize(const ParsedArgs& args) {
  const std::string in = args.Require("model");
  const std::string out = args.Require("out");
  const std::string method_name = args.Get("method", "rtn");
  const ModelFileFormat out_format = ModelFileFormatFromExtension(out);
  if (out_format != ModelFileFormat::kSafetensors && out_format != ModelFileFormat::kGguf) {
    throw UsageError("--out must be a .safetensors or .gguf file");
  }
  const auto method = Registry::Global().CreateAs<WeightCompressor>(method_name, MethodOptions(args));
  Model model = Model::Load(in);
  const uint64_t tensor_bytes_before = [&] {
    uint64_t sum = 0;
    for (const ModelTensorInfo& t : model.Tensors()) sum += t.num_bytes;
    return sum;
  }();
  TensorQuantizer quantizer(*method, args.Has("skip-incompatible"));
  QuantizeModel(args, model, *method, quantizer);
  if (quantizer.quantized() == 0) {
    throw Error(ErrorCode::kInvalidArgument, fmt::format("{} has no 2-D float weights to quantize", in));
  }
  uint64_t tensor_bytes_after = 0;
  for (const ModelTensorInfo& t : model.Tensors()) tensor_bytes_after += t.num_bytes;
  model.Save(out);
  const uint64_t file_before = std::filesystem::file_size(in), file_after = std::filesystem::file_size(out);
  if (args.Has("json")) {
    const Json j = {{"input", in},
                    {"output", out},
                    {"method", method->Describe()},
                    {"tensors", quantizer.per_tensor()},
                    {"kept", quantizer.kept()},
                    {"totals",
                     {{"quantized", quantizer.quantized()},
                      {"tensor_bytes_before", tensor_bytes_before},
                      {"tensor_bytes_after", tensor_bytes_after},
                      {"file_bytes_before", file_before},
                      {"file_bytes_after", file_after},
                      {"size_ratio", static_cast<double>(file_after) / static_cast<double>(file_before)},
                      {"mean_rel_rms_error", quantizer.mean_error()},
                      {"max_rel_rms_error", quantizer.max_error()},
                      {"max_error_tensor", quantizer.worst()}}}};
    fmt::print("{}\n", j.dump(2));
    return 0;
  }
  fmt::print("{:<34} {:<14} {:>6} {:>10} {:>10} {:>8} {:>10}\n", "tensor", "shape", "method", "before", "after",
             "bits/w", "rel.err");
  for (const auto& t : quantizer.per_tensor()) {
    fmt::print("{:<34} {:<14} {:>6} {:>10} {:>10} {:>8.3f} {:>9.3f}%\n", t["name"].get<std::string>(),
               Shape(t["shape"].begin(), t["shape"].end()).ToString(), t["method"].get<std::string>(),
               FormatBytes(t["bytes_before"].get<uint64_t>()), FormatBytes(t["bytes_after"].get<uint64_t>()),
               t["bits_per_weight"].get<double>(), 100.0 * t["rel_rms_error"].get<double>());
  }
  for (const auto& k : quantizer.kept()) {
    fmt::print("kept unquantized: {} ({})\n", k["name"].get<std::string>(), k["reason"].get<std::string>());
  }
  fmt::print("\nmethod: {}\n", method->Describe());
  fmt::print("quantized {} of {} tensors{}\n", quantizer.quantized(), model.Tensors().size(),
             args.Has("embeddings") ? "" : " (token embedding kept; --embeddings to include it)");
  fmt::print("gained: {} -> {} on disk ({:.1f}% of the input, {:.2f}x smaller)\n", FormatBytes(file_before),
             FormatBytes(file_after), 100.0 * static_cast<double>(file_after) / static_cast<double>(file_before),
             static_cast<double>(file_before) / static_cast<double>(file_after));
  fmt::print("lost: mean relative RMS error {:.3f}% per tensor, worst {:.3f}% ({})\n", 100.0 * quantizer.mean_error(),
             100.0 * quantizer.max_error(), quantizer.worst());
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
