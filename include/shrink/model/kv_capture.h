// KV capture: the post-RoPE queries, keys and values a model computes on a real sequence,
// saved so KV-cache compressors can be tested on real caches.
#ifndef SHRINK_MODEL_KV_CAPTURE_H_
#define SHRINK_MODEL_KV_CAPTURE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "shrink/core/tensor.h"
#include "shrink/model/llama.h"

namespace shrink {

// Holds one block's captured attention inputs, head-major: q is [n_heads, tokens, head_dim],
// k and v are [n_kv_heads, tokens, head_dim].
struct CapturedLayer {
  Tensor q, k, v;
};

// Runs `model` over tokens [first_token, first_token + count) as one sequence (the first token
// replaced by BOS) and returns every block's post-RoPE q, k, v. Throws kInvalidArgument for a
// range outside `tokens`.
std::vector<CapturedLayer> CaptureKv(const LlamaModel& model, const std::vector<int32_t>& tokens, int64_t first_token,
                                     int64_t count);

// Writes captured layers to a safetensors file as "blk.<l>.q", "blk.<l>.k", "blk.<l>.v" (f32).
void SaveCapturedKv(const std::vector<CapturedLayer>& layers, const std::string& path);

}  // namespace shrink

#endif  // SHRINK_MODEL_KV_CAPTURE_H_
