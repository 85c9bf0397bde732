// Hugging Face Llama checkpoints: config.json, tensor names and the q/k RoPE row order.
#include "src/io/model_hf.h"

#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

namespace shrink::detail {
namespace {

using Json = nlohmann::json;

// Maps the per-layer suffix of an HF name to its GGUF tensor kind.
const std::map<std::string, LlamaTensor>& HfLayerNames() {
  static const std::map<std::string, LlamaTensor> names = {
      {"input_layernorm.weight", LlamaTensor::kAttnNorm},
      {"self_attn.q_proj.weight", LlamaTensor::kAttnQ},
      {"self_attn.k_proj.weight", LlamaTensor::kAttnK},
      {"self_attn.v_proj.weight", LlamaTensor::kAttnV},
      {"self_attn.o_proj.weight", LlamaTensor::kAttnOutput},
      {"post_attention_layernorm.weight", LlamaTensor::kFfnNorm},
      {"mlp.gate_proj.weight", LlamaTensor::kFfnGate},
      {"mlp.down_proj.weight", LlamaTensor::kFfnDown},
      {"mlp.up_proj.weight", LlamaTensor::kFfnUp},
  };
  return names;
}

// Returns the GGUF name of HF tensor `name` (and its kind for per-layer tensors), or "".
std::string GgufName(const std::string& name, LlamaTensor* kind) {
  if (name == "model.embed_tokens.weight") return kTokenEmbeddingName;
  if (name == "model.norm.weight") return kOutputNormName;
  if (name == "lm_head.weight") return kOutputName;
  const std::string prefix = "model.layers.";
  if (name.rfind(prefix, 0) != 0) return "";
  const size_t dot = name.find('.', prefix.size());
  if (dot == std::string::npos) return "";
  const std::string digits = name.substr(prefix.size(), dot - prefix.size());
  if (digits.empty() || digits.size() > 6 || digits.find_first_not_of("0123456789") != std::string::npos) return "";
  auto it = HfLayerNames().find(name.substr(dot + 1));
  if (it == HfLayerNames().end()) return "";
  *kind = it->second;
  return LlamaTensorName(std::stoll(digits), it->second);
}

int64_t JsonInt(const Json& j, const char* key, int64_t fallback, const std::string& path) {
  auto it = j.find(key);
  if (it == j.end()) return fallback;
  if (!it->is_number_integer()) Fail(ErrorCode::kCorruptData, path, ": '", key, "' is not an integer");
  return it->get<int64_t>();
}

}  // namespace

Tensor InterleaveRopeRows(const Tensor& hf, int64_t heads) {
  const int64_t rows = hf.shape().rows(), cols = hf.shape().cols();
  const int64_t head_dim = rows / heads;
  Tensor out(hf.dtype(), hf.shape());
  const size_t row_bytes = static_cast<size_t>(cols) * DTypeSize(hf.dtype());
  for (int64_t h = 0; h < heads; ++h) {
    for (int64_t i = 0; i < head_dim / 2; ++i) {
      for (int64_t half = 0; half < 2; ++half) {
        const int64_t src = h * head_dim + half * (head_dim / 2) + i;
        const int64_t dst = h * head_dim + 2 * i + half;
        std::memcpy(out.bytes() + dst * row_bytes, hf.bytes() + src * row_bytes, row_bytes);
      }
    }
  }
  return out;
}

bool AdoptHuggingFaceLlama(Model& model, const std::string& path) {
  const std::filesystem::path config_path = std::filesystem::path(path).parent_path() / "config.json";
  if (model.config() || !std::filesystem::exists(config_path)) return false;
  std::ifstream in(config_path);
  const Json j = Json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) Fail(ErrorCode::kCorruptData, config_path.string(), ": not a JSON object");
  if (j.value("model_type", std::string()) != "llama") return false;
  const std::string where = config_path.string();
  ModelConfig c;
  c.dim = JsonInt(j, "hidden_size", 0, where);
  c.hidden_dim = JsonInt(j, "intermediate_size", 0, where);
  c.n_layers = JsonInt(j, "num_hidden_layers", 0, where);
  c.n_heads = JsonInt(j, "num_attention_heads", 0, where);
  c.n_kv_heads = JsonInt(j, "num_key_value_heads", c.n_heads, where);
  c.vocab_size = JsonInt(j, "vocab_size", 0, where);
  c.seq_len = JsonInt(j, "max_position_embeddings", 2048, where);
  c.norm_eps = j.value("rms_norm_eps", 1e-6);
  c.rope_theta = j.value("rope_theta", 10000.0);
  if (c.dim <= 0 || c.n_heads <= 0 || c.n_kv_heads <= 0 || c.n_layers <= 0 || c.dim % c.n_heads != 0 ||
      c.n_heads % c.n_kv_heads != 0 || c.head_dim() % 2 != 0) {
    Fail(ErrorCode::kCorruptData, where, ": inconsistent Llama dimensions");
  }
  Model renamed;
  for (const Model::Entry& e : model.entries()) {
    LlamaTensor kind = LlamaTensor::kAttnNorm;
    const std::string name = GgufName(e.info.name, &kind);
    if (name.empty()) Fail(ErrorCode::kUnsupported, path, ": tensor '", e.info.name, "' is not part of a Llama model");
    const bool q = kind == LlamaTensor::kAttnQ && name.rfind("blk.", 0) == 0;
    const bool k = kind == LlamaTensor::kAttnK && name.rfind("blk.", 0) == 0;
    if ((q || k) && !e.info.compressed && e.info.dtype) {
      renamed.SetTensor(name, InterleaveRopeRows(model.ReadStored(e.info.name), q ? c.n_heads : c.n_kv_heads));
      continue;
    }
    if (q || k) Fail(ErrorCode::kUnsupported, path, ": tensor '", e.info.name, "' is compressed; its RoPE rows cannot be reordered");
    Model::Entry copy;  // a file-backed entry: it keeps pointing into the mapped file
    copy.info = e.info;
    copy.info.name = name;
    copy.stored = e.stored;
    copy.ggml_type = e.ggml_type;
    copy.load_compressed = e.load_compressed;
    renamed.AddEntry(std::move(copy));
  }
  c.tied_embeddings = renamed.Find(kOutputName) == nullptr;
  renamed.set_config(c);
  renamed.set_string_metadata(model.string_metadata());
  renamed.KeepAlive(std::make_shared<Model>(std::move(model)));  // keeps the mapping alive
  model = std::move(renamed);
  return true;
}

}  // namespace shrink::detail
