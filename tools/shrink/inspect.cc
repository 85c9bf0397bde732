// `shrink inspect FILE`: format, architecture, metadata and every tensor with its size and bits.
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "shrink/io/model.h"
#include "tools/shrink/commands.h"
#include "tools/shrink/format_util.h"

namespace shrink::cli {
namespace {

using Json = nlohmann::json;

// Returns how many elements of a plain float tensor are NaN or infinite (0 for other kinds).
int64_t CountNonFiniteElements(const Model& model, const ModelTensorInfo& info) {
  if (info.compressed || !info.dtype || !IsFloat(*info.dtype)) return 0;
  const Tensor t = model.ReadF32(info.name);
  const float* p = t.data<float>();
  int64_t count = 0;
  for (int64_t i = 0; i < t.num_elements(); ++i) count += std::isfinite(p[i]) ? 0 : 1;
  return count;
}

// Returns a GGUF value as JSON: scalars as themselves, arrays as their summary text.
Json GgufValueJson(const GgufValue& v) {
  switch (v.type()) {
    case GgufType::kString: return v.AsString();
    case GgufType::kBool: return v.AsBool();
    case GgufType::kF32:
    case GgufType::kF64: return v.AsDouble();
    case GgufType::kArray: return v.ToString();
    default: return v.IsInteger() && v.type() == GgufType::kU64 ? Json(v.AsUInt()) : Json(v.AsInt());
  }
}

int RunInspect(const ParsedArgs& args) {
  const std::string path = args.positional()[0];
  const Model model = Model::Load(path);
  const uint64_t file_bytes = std::filesystem::file_size(path);
  Json tensors = Json::array();
  uint64_t total_bytes = 0;
  int64_t total_params = 0, total_nonfinite = 0;
  for (const ModelTensorInfo& t : model.Tensors()) {
    const int64_t nonfinite = CountNonFiniteElements(model, t);
    total_nonfinite += nonfinite;
    total_bytes += t.num_bytes;
    total_params += t.shape.num_elements();
    tensors.push_back({{"name", t.name},
                       {"format", t.format},
                       {"compressed", t.compressed},
                       {"shape", ShapeDims(t.shape)},
                       {"bytes", t.num_bytes},
                       {"bits_per_weight", t.bits_per_weight()},
                       {"nonfinite", nonfinite}});
  }
  const double bpw = total_params ? 8.0 * static_cast<double>(total_bytes) / static_cast<double>(total_params) : 0.0;
  if (args.Has("json")) {
    Json out = {{"file", path},
                {"format", ModelFileFormatName(model.source_format())},
                {"file_bytes", file_bytes},
                {"config", model.config() ? Json::parse(ModelConfigToJson(*model.config())) : Json(nullptr)},
                {"tensors", tensors},
                {"totals",
                 {{"tensors", tensors.size()},
                  {"parameters", total_params},
                  {"bytes", total_bytes},
                  {"bits_per_weight", bpw},
                  {"nonfinite", total_nonfinite}}}};
    Json meta = Json::object();
    for (const auto& [key, value] : model.gguf_metadata()) meta[key] = GgufValueJson(value);
    for (const auto& [key, value] : model.string_metadata()) meta[key] = value;
    out["metadata"] = meta;
    fmt::print("{}\n", out.dump(2));
    return 0;
  }
  fmt::print("file: {} ({}, {})\n", path, ModelFileFormatName(model.source_format()), FormatBytes(file_bytes));
  if (const auto& c = model.config()) {
    fmt::print("architecture: {} dim={} hidden={} layers={} heads={} kv_heads={} vocab={} seq_len={} tied={}\n",
               c->architecture, c->dim, c->hidden_dim, c->n_layers, c->n_heads, c->n_kv_heads, c->vocab_size,
               c->seq_len, c->tied_embeddings ? "yes" : "no");
  }
  if (!model.gguf_metadata().empty() || !model.string_metadata().empty()) fmt::print("metadata:\n");
  for (const auto& [key, value] : model.gguf_metadata()) fmt::print("  {} = {}\n", key, value.ToString());
  for (const auto& [key, value] : model.string_metadata()) fmt::print("  {} = {}\n", key, value);
  fmt::print("{:<34} {:<8} {:<14} {:>12} {:>10}\n", "tensor", "format", "shape", "bytes", "bits/w");
  for (const auto& t : tensors) {
    fmt::print("{:<34} {:<8} {:<14} {:>12} {:>10.3f}{}\n", t["name"].get<std::string>(),
               t["format"].get<std::string>(), Shape(t["shape"].begin(), t["shape"].end()).ToString(),
               t["bytes"].get<uint64_t>(), t["bits_per_weight"].get<double>(),
               t["nonfinite"].get<int64_t>() ? fmt::format("  ({} non-finite!)", t["nonfinite"].get<int64_t>()) : "");
  }
  fmt::print("total: {} tensors, {} parameters, {} ({:.3f} bits per weight)\n", tensors.size(), total_params,
             FormatBytes(total_bytes), bpw);
  if (total_nonfinite) fmt::print("warning: {} non-finite values (NaN or inf) in the tensors marked above\n", total_nonfinite);
  return 0;
}

}  // namespace

Command InspectCommand() {
  return {{"inspect", "FILE",
           "Show a model file's format, architecture, metadata and every tensor (dtype or compressed format, shape, "
           "bytes, bits per weight), with totals. Reads llama2.c .bin, .safetensors and .gguf.",
           {}, 1, 1},
          RunInspect};
}

}  // namespace shrink::cli
