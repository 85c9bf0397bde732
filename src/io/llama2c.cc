// llama2.c checkpoint layout and header validation.
#include "shrink/io/llama2c.h"

#include <cstring>

#include "shrink/core/error.h"

namespace shrink {
namespace {
constexpr uint64_t kHeaderBytes = 7 * sizeof(int32_t);
// Per-field upper bounds, far above any real model, that keep all size arithmetic in 64 bits.
constexpr int64_t kFieldMax[7] = {int64_t{1} << 17, int64_t{1} << 19, 4096, 4096, 4096, int64_t{1} << 24,
                                  int64_t{1} << 24};
}  // namespace

std::vector<Llama2cTensor> Llama2cLayout(const ModelConfig& c) {
  std::vector<Llama2cTensor> tensors;
  uint64_t offset = kHeaderBytes;
  auto add = [&](const std::string& name, const Shape& shape) {
    tensors.push_back({name, shape, offset});
    offset += static_cast<uint64_t>(shape.num_elements()) * sizeof(float);
  };
  // llama2.c stores each kind of tensor for all layers contiguously, in this order.
  auto add_layers = [&](LlamaTensor kind, const Shape& shape) {
    for (int64_t l = 0; l < c.n_layers; ++l) add(LlamaTensorName(l, kind), shape);
  };
  const int64_t q_dim = c.head_dim() * c.n_heads;
  add(kTokenEmbeddingName, Shape{c.vocab_size, c.dim});
  add_layers(LlamaTensor::kAttnNorm, Shape{c.dim});
  add_layers(LlamaTensor::kAttnQ, Shape{q_dim, c.dim});
  add_layers(LlamaTensor::kAttnK, Shape{c.kv_dim(), c.dim});
  add_layers(LlamaTensor::kAttnV, Shape{c.kv_dim(), c.dim});
  add_layers(LlamaTensor::kAttnOutput, Shape{c.dim, q_dim});
  add_layers(LlamaTensor::kFfnNorm, Shape{c.dim});
  add_layers(LlamaTensor::kFfnGate, Shape{c.hidden_dim, c.dim});
  add_layers(LlamaTensor::kFfnDown, Shape{c.dim, c.hidden_dim});
  add_layers(LlamaTensor::kFfnUp, Shape{c.hidden_dim, c.dim});
  add(kOutputNormName, Shape{c.dim});
  // Skip the legacy RoPE tables freq_cis_real and freq_cis_imag (seq_len * head_dim / 2 each).
  offset += static_cast<uint64_t>(c.seq_len * c.head_dim()) * sizeof(float);
  if (!c.tied_embeddings) add(kOutputName, Shape{c.vocab_size, c.dim});
  return tensors;
}

uint64_t Llama2cFileBytes(const ModelConfig& config) {
  const auto layout = Llama2cLayout(config);
  const Llama2cTensor& last = layout.back();
  uint64_t end = last.offset + static_cast<uint64_t>(last.shape.num_elements()) * sizeof(float);
  if (config.tied_embeddings) end += static_cast<uint64_t>(config.seq_len * config.head_dim()) * sizeof(float);
  return end;
}

ModelConfig ReadLlama2cConfig(const MappedFile& file) {
  if (file.size() < kHeaderBytes) {
    Fail(ErrorCode::kCorruptData, file.path(), ": ", file.size(), " bytes is too short for a llama2.c header (28 bytes)");
  }
  int32_t h[7];
  std::memcpy(h, file.data(), sizeof(h));
  const char* names[7] = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
  for (int i = 0; i < 7; ++i) {
    const int64_t v = i == 5 ? (h[i] < 0 ? -int64_t{h[i]} : h[i]) : h[i];
    if (v <= 0 || v > kFieldMax[i]) {
      Fail(ErrorCode::kCorruptData, file.path(), ": llama2.c header field ", names[i], " = ", h[i],
           " is outside [1, ", kFieldMax[i], "]");
    }
  }
  ModelConfig c;
  c.dim = h[0];
  c.hidden_dim = h[1];
  c.n_layers = h[2];
  c.n_heads = h[3];
  c.n_kv_heads = h[4];
  c.tied_embeddings = h[5] > 0;  // a negative vocab size marks an unshared classifier
  c.vocab_size = h[5] < 0 ? -int64_t{h[5]} : h[5];
  c.seq_len = h[6];
  if (c.dim % c.n_heads != 0 || c.n_heads % c.n_kv_heads != 0 || c.head_dim() % 2 != 0) {
    Fail(ErrorCode::kCorruptData, file.path(), ": llama2.c header has dim ", c.dim, ", ", c.n_heads, " heads and ",
         c.n_kv_heads, " kv heads, which do not divide evenly into even-sized heads");
  }
  // With the field bounds above, the size arithmetic below cannot overflow 64 bits.
  const uint64_t expected = Llama2cFileBytes(c);
  if (file.size() != expected) {
    Fail(ErrorCode::kCorruptData, file.path(), ": llama2.c file is ", file.size(), " bytes but its header implies ",
         expected, " bytes");
  }
  return c;
}

}  // namespace shrink
