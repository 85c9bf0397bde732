// ModelConfig: the architecture hyper-parameters of a Llama-family model, and tensor names.
#ifndef SHRINK_IO_MODEL_CONFIG_H_
#define SHRINK_IO_MODEL_CONFIG_H_

#include <cstdint>
#include <string>

namespace shrink {

// Describes a Llama-family decoder (the architecture llama2.c, GGUF "llama" and HF
// LlamaForCausalLM share). Tensor names follow GGUF's convention (see LlamaTensorName).
struct ModelConfig {
  std::string architecture = "llama";
  int64_t dim = 0;           // embedding width
  int64_t hidden_dim = 0;    // FFN width
  int64_t n_layers = 0;
  int64_t n_heads = 0;
  int64_t n_kv_heads = 0;
  int64_t vocab_size = 0;
  int64_t seq_len = 0;       // trained context length
  double norm_eps = 1e-5;    // RMSNorm epsilon
  double rope_theta = 10000.0;
  bool tied_embeddings = true;  // the classifier reuses token_embd.weight

  int64_t head_dim() const { return n_heads > 0 ? dim / n_heads : 0; }
  int64_t kv_dim() const { return head_dim() * n_kv_heads; }
};

// Returns `config` as a JSON object (the form safetensors files keep it in, "shrink.config").
std::string ModelConfigToJson(const ModelConfig& config);

// Names the per-layer tensors of a Llama block in GGUF's convention.
enum class LlamaTensor { kAttnNorm, kAttnQ, kAttnK, kAttnV, kAttnOutput, kFfnNorm, kFfnGate, kFfnDown, kFfnUp };

// Lists the per-layer tensors that are linear layers (matrices), in block order.
inline constexpr LlamaTensor kLlamaLinearTensors[] = {LlamaTensor::kAttnQ,      LlamaTensor::kAttnK,
                                                      LlamaTensor::kAttnV,      LlamaTensor::kAttnOutput,
                                                      LlamaTensor::kFfnGate,    LlamaTensor::kFfnDown,
                                                      LlamaTensor::kFfnUp};

// Returns "blk.<layer>.attn_q.weight" and so on.
inline std::string LlamaTensorName(int64_t layer, LlamaTensor tensor) {
  const char* suffix = "";
  switch (tensor) {
    case LlamaTensor::kAttnNorm: suffix = "attn_norm"; break;
    case LlamaTensor::kAttnQ: suffix = "attn_q"; break;
    case LlamaTensor::kAttnK: suffix = "attn_k"; break;
    case LlamaTensor::kAttnV: suffix = "attn_v"; break;
    case LlamaTensor::kAttnOutput: suffix = "attn_output"; break;
    case LlamaTensor::kFfnNorm: suffix = "ffn_norm"; break;
    case LlamaTensor::kFfnGate: suffix = "ffn_gate"; break;
    case LlamaTensor::kFfnDown: suffix = "ffn_down"; break;
    case LlamaTensor::kFfnUp: suffix = "ffn_up"; break;
  }
  return "blk." + std::to_string(layer) + "." + suffix + ".weight";
}

inline constexpr const char* kTokenEmbeddingName = "token_embd.weight";
inline constexpr const char* kOutputNormName = "output_norm.weight";
inline constexpr const char* kOutputName = "output.weight";

}  // namespace shrink

#endif  // SHRINK_IO_MODEL_CONFIG_H_
