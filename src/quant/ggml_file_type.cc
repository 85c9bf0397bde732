// GgmlFileType: llama-quantize's per-tensor type choice for each file type (rules in the header).
#include "shrink/quant/ggml_file_type.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>

#include "shrink/core/error.h"

namespace shrink {
namespace {

using Type = GgmlFileType;

struct FileTypeEntry {
  Type type;
  const char* name;
  const char* default_format;
};

const FileTypeEntry kFileTypes[] = {
    {Type::kQ4_0, "Q4_0", "q4_0"},       {Type::kQ4_1, "Q4_1", "q4_1"},       {Type::kQ5_0, "Q5_0", "q5_0"},
    {Type::kQ5_1, "Q5_1", "q5_1"},       {Type::kQ8_0, "Q8_0", "q8_0"},       {Type::kQ2_K, "Q2_K", "q2_k"},
    {Type::kQ3_K_S, "Q3_K_S", "q3_k"},   {Type::kQ3_K_M, "Q3_K_M", "q3_k"},   {Type::kQ3_K_L, "Q3_K_L", "q3_k"},
    {Type::kQ4_K_S, "Q4_K_S", "q4_k"},   {Type::kQ4_K_M, "Q4_K_M", "q4_k"},   {Type::kQ5_K_S, "Q5_K_S", "q5_k"},
    {Type::kQ5_K_M, "Q5_K_M", "q5_k"},   {Type::kQ6_K, "Q6_K", "q6_k"},       {Type::kIQ4_NL, "IQ4_NL", "iq4_nl"},
    {Type::kIQ4_XS, "IQ4_XS", "iq4_xs"},
};

const FileTypeEntry& EntryOf(Type type) {
  for (const FileTypeEntry& e : kFileTypes) {
    if (e.type == type) return e;
  }
  Fail(ErrorCode::kInvalidArgument, "unknown GgmlFileType ", static_cast<int>(type));
}

// Returns the weights per block of ggml type `format` (rows must divide by it).
int64_t BlockSize(const std::string& format) {
  return format == "q2_k" || format == "q3_k" || format == "q4_k" || format == "q5_k" || format == "q6_k" ||
                 format == "iq4_xs"
             ? 256
             : 32;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool Contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

// Returns true for the tensors llama-quantize quantizes at all (llama_model_quantize_impl's name tests).
bool Quantizable(const std::string& name, const Shape& shape) {
  if (!EndsWith(name, "weight") || shape.rank() < 2 || Contains(name, "_norm.weight")) return false;
  for (const char* excluded : {"ffn_gate_inp.weight", "ssm_conv1d.weight", "time_mix_first.weight",
                               "time_mix_w1.weight", "time_mix_w2.weight", "time_mix_decay_w1.weight",
                               "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight", "attn_rel_b.weight"}) {
    if (Contains(name, excluded)) return false;
  }
  return name != "position_embd.weight" && name != "token_types.weight";
}

// Returns the layer of "blk.<layer>.*" tensor `name`; llama-quantize's running count of attn_v and
// ffn_down tensors equals it (see the header).
int64_t LayerOf(const std::string& name, const ModelConfig& config) {
  const std::string prefix = "blk.";
  if (name.compare(0, prefix.size(), prefix) == 0) {
    const char* digits = name.c_str() + prefix.size();
    char* end = nullptr;
    const long long layer = std::strtoll(digits, &end, 10);
    if (end != digits && *end == '.' && std::isdigit(static_cast<unsigned char>(*digits)) && layer < config.n_layers) {
      return layer;
    }
  }
  Fail(ErrorCode::kInvalidArgument, "tensor '", name, "': llama-quantize's type depends on its layer, and the name ",
       "has none in [0, ", config.n_layers, ") (expected blk.<layer>.*, as LlamaTensorName)");
}

// Returns llama.cpp's use_more_bits: the first and last eighth of the layers and every third between.
bool UseMoreBits(int64_t layer, int64_t n_layers) {
  return layer < n_layers / 8 || layer >= 7 * n_layers / 8 || (layer - n_layers / 8) % 3 == 2;
}

// Returns the type llama_tensor_get_type picks before checking that rows divide by its block.
std::string ChooseType(Type ft, const ModelConfig& config, const std::string& name, int64_t cols, bool imatrix) {
  const std::string default_format = EntryOf(ft).default_format;
  const int64_t n_layers = config.n_layers;
  const int64_t n_gqa = config.n_kv_heads > 0 ? config.n_heads / config.n_kv_heads : 0;
  if (name == kOutputName || (config.tied_embeddings && name == kTokenEmbeddingName)) {
    if (cols % BlockSize(default_format) != 0) return "q8_0";
    return default_format == "q8_0" ? default_format : "q6_k";
  }
  if (name == kTokenEmbeddingName) return default_format;
  if (Contains(name, "attn_v.weight")) {
    const int64_t layer = LayerOf(name, config);
    std::string type = default_format;
    if (ft == Type::kQ2_K) {
      type = n_gqa >= 4 ? "q4_k" : "q3_k";
    } else if (ft == Type::kQ3_K_M) {
      type = layer < 2 ? "q5_k" : "q4_k";
    } else if (ft == Type::kQ3_K_L) {
      type = "q5_k";
    } else if ((ft == Type::kIQ4_NL || ft == Type::kIQ4_XS) && n_gqa >= 4) {
      type = "q5_k";
    } else if ((ft == Type::kQ4_K_M || ft == Type::kQ5_K_M) && UseMoreBits(layer, n_layers)) {
      type = "q6_k";
    } else if (ft == Type::kQ4_K_S && layer < 4) {
      type = "q5_k";
    }
    // llama.cpp's "70B" (80 layers, grouped-query attention): attn_v is n_gqa times smaller than attn_q,
    // so more bits in it cost little.
    const bool llama_70b = n_layers == 80 && config.n_heads != config.n_kv_heads;
    if (llama_70b && (type == "q3_k" || type == "q4_k")) type = "q5_k";
    return type;
  }
  if (Contains(name, "ffn_down")) {
    const int64_t layer = LayerOf(name, config);
    const bool first_eighth = layer < n_layers / 8;
    if (ft == Type::kQ2_K) return "q3_k";
    if (ft == Type::kQ3_K_M) return layer < n_layers / 16 ? "q5_k" : "q4_k";
    if (ft == Type::kQ3_K_L) return "q5_k";
    if (ft == Type::kQ4_K_M) return UseMoreBits(layer, n_layers) ? "q6_k" : default_format;
    if (first_eighth && (ft == Type::kIQ4_NL || ft == Type::kIQ4_XS) && !imatrix) return "q5_k";
    if (ft == Type::kQ5_K_M && UseMoreBits(layer, n_layers)) return "q6_k";
    if (ft == Type::kQ4_K_S && first_eighth) return "q5_k";
    if (first_eighth && imatrix && ft == Type::kQ4_0) return "q4_1";
    if (first_eighth && imatrix && ft == Type::kQ5_0) return "q5_1";
    return default_format;
  }
  if (Contains(name, "attn_output.weight")) {
    if (ft == Type::kQ2_K) return "q3_k";
    if (ft == Type::kQ3_K_M) return "q4_k";
    if (ft == Type::kQ3_K_L) return "q5_k";
    return default_format;
  }
  if (Contains(name, "attn_qkv.weight")) {
    if (ft == Type::kQ3_K_M || ft == Type::kQ3_K_L) return "q4_k";
    if (ft == Type::kQ4_K_M) return "q5_k";
    if (ft == Type::kQ5_K_M) return "q6_k";
  }
  return default_format;
}

// Returns the type llama-quantize falls back to when rows do not divide by `format`'s block, or "" when
// it has none (it refuses the tensor).
std::string FallbackOf(const std::string& format) {
  if (format == "q2_k" || format == "q3_k" || format == "iq4_xs") return "iq4_nl";
  if (format == "q4_k") return "q5_0";
  if (format == "q5_k") return "q5_1";
  if (format == "q6_k") return "q8_0";
  return "";
}

}  // namespace

const std::vector<GgmlFileType>& GgmlFileTypes() {
  static const std::vector<GgmlFileType> types = [] {
    std::vector<GgmlFileType> list;
    for (const FileTypeEntry& e : kFileTypes) list.push_back(e.type);
    return list;
  }();
  return types;
}

std::string GgmlFileTypeName(GgmlFileType type) { return EntryOf(type).name; }

GgmlFileType ParseGgmlFileType(const std::string& name) {
  std::string upper = name;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  std::string valid;
  for (const FileTypeEntry& e : kFileTypes) {
    if (upper == e.name) return e.type;
    valid += valid.empty() ? e.name : std::string(", ") + e.name;
  }
  Fail(ErrorCode::kInvalidArgument, "unknown llama-quantize file type '", name, "'; valid (any case): ", valid);
}

GgmlTensorType GgmlTypeForTensor(GgmlFileType type, const ModelConfig& config, const std::string& name,
                                 const Shape& shape, bool imatrix) {
  if (!Quantizable(name, shape)) {
    return {"", "llama-quantize does not quantize it (not a matrix, a norm, or excluded by name)"};
  }
  const int64_t cols = shape.cols();
  const std::string chosen = ChooseType(type, config, name, cols, imatrix);
  if (cols % BlockSize(chosen) == 0) return {chosen, ""};
  const std::string fallback = FallbackOf(chosen);
  if (fallback.empty()) {
    Fail(ErrorCode::kInvalidArgument, "tensor '", name, "' ", shape.ToString(), ": rows of ", cols,
         " weights do not divide by ", BlockSize(chosen), ", which ", chosen, " (file type ", GgmlFileTypeName(type),
         ") needs and llama-quantize has no fallback for; pad the rows to a multiple of ", BlockSize(chosen),
         " or choose a k-quant file type (Q4_K_M, ...), which keeps such tensors unquantized");
  }
  if (cols % BlockSize(fallback) == 0) return {fallback, ""};
  return {"", StrCat("llama-quantize writes it as f16: rows of ", cols, " weights divide neither by ",
                     BlockSize(chosen), " (", chosen, ") nor by ", BlockSize(fallback), " (its fallback ", fallback,
                     "); shrink has no f16 storage here, so it stays as it is")};
}

}  // namespace shrink
