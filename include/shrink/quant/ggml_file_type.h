// GgmlFileType: llama-quantize's file types (Q4_K_M, ...) and the ggml type each one gives every tensor of a model.
#ifndef SHRINK_QUANT_GGML_FILE_TYPE_H_
#define SHRINK_QUANT_GGML_FILE_TYPE_H_

#include <string>
#include <vector>

#include "shrink/core/shape.h"
#include "shrink/io/model_config.h"

namespace shrink {

// Names a file type of llama.cpp's llama-quantize (its llama_ftype "MOSTLY_*"): a default ggml type plus
// per-tensor exceptions, so that files shrink writes have the sizes and layouts of llama-quantize's.
enum class GgmlFileType {
  kQ4_0,
  kQ4_1,
  kQ5_0,
  kQ5_1,
  kQ8_0,
  kQ2_K,
  kQ3_K_S,
  kQ3_K_M,
  kQ3_K_L,
  kQ4_K_S,
  kQ4_K_M,
  kQ5_K_S,
  kQ5_K_M,
  kQ6_K,
  kIQ4_NL,
  kIQ4_XS,
};

// Lists every file type, in the order above.
const std::vector<GgmlFileType>& GgmlFileTypes();

// Returns llama-quantize's name of `type` ("Q4_K_M").
std::string GgmlFileTypeName(GgmlFileType type);

// Returns the file type named `name`, ignoring case ("q4_k_m" and "Q4_K_M" alike). Throws kInvalidArgument
// naming `name` and listing the valid names for any other string.
GgmlFileType ParseGgmlFileType(const std::string& name);

// Says how llama-quantize stores one tensor: `format` is a ggml type by the name MakeQuantFormat takes it
// ("q4_k", "q5_0", ...), or "" when the tensor is not quantized; `keep_reason` then says why.
struct GgmlTensorType {
  std::string format;
  std::string keep_reason;
};

// Returns the ggml type llama-quantize chooses, for file type `type`, for tensor `name` of shape `shape`
// (outermost first; a row holds shape.cols() weights, ggml's ne[0]) in a Llama model described by
// `config` (n_layers, n_heads, n_kv_heads; tied_embeddings says that the file has no output.weight).
// `imatrix` says that the weights are quantized with calibration statistics, as llama-quantize's
// --imatrix (it changes the first ffn_down layers of Q4_0, Q5_0, IQ4_NL and IQ4_XS).
//
// The rules are those of llama.cpp's llama_tensor_get_type and llama_model_quantize_impl for these file
// types, for Llama models without experts (n_expert 0), without --pure, --leave-output-tensor or type
// overrides:
//   - which tensors are quantized at all: names ending in "weight" of rank >= 2, except norms
//     ("_norm.weight") and the tensors llama-quantize excludes by name (ffn_gate_inp, position_embd,
//     token_types, ssm_conv1d, time_mix_*, attn_rel_b); the others are kept;
//   - the default type of each file type (Q3_K_* -> q3_k, Q4_K_* -> q4_k, ...);
//   - output.weight (and token_embd.weight when it doubles as the classifier): q8_0 when its rows do not
//     divide by the default type's block, else q6_k unless the default is q8_0; token_embd.weight
//     otherwise keeps the default type;
//   - attn_v: Q2_K q4_k when n_gqa >= 4 else q3_k; Q3_K_M q5_k in layers 0-1 else q4_k; Q3_K_L q5_k;
//     IQ4_NL/IQ4_XS q5_k when n_gqa >= 4; Q4_K_M/Q5_K_M q6_k in the use_more_bits layers (the first and
//     last eighth and every third layer between); Q4_K_S q5_k in layers 0-3; 80-layer Llamas with
//     grouped-query attention (llama.cpp's "70B") raise q3_k/q4_k to q5_k;
//   - ffn_down: Q2_K q3_k; Q3_K_M q5_k in the first sixteenth else q4_k; Q3_K_L q5_k; Q4_K_M/Q5_K_M q6_k
//     in the use_more_bits layers; Q4_K_S q5_k in the first eighth; IQ4_NL/IQ4_XS q5_k in the first
//     eighth without imatrix; Q4_0/Q5_0 q4_1/q5_1 in the first eighth with imatrix;
//   - attn_output: Q2_K q3_k, Q3_K_M q4_k, Q3_K_L q5_k; attn_qkv (fused): Q3_K_M/Q3_K_L q4_k, Q4_K_M q5_k,
//     Q5_K_M q6_k; attn_q, attn_k, ffn_gate, ffn_up keep the default for these file types;
//   - rows that do not divide by the chosen type's block fall back: q2_k/q3_k/iq4_xs -> iq4_nl,
//     q4_k -> q5_0, q5_k -> q5_1, q6_k -> q8_0; when the fallback does not divide either, llama-quantize
//     writes f16, which shrink cannot store: the tensor is kept as it is and keep_reason says so.
// llama-quantize counts attn_v and ffn_down tensors in file order to know their layer; as it visits tensors
// sorted by layer and a Llama block has one of each, that count is the layer index, which this function
// reads from the name instead ("blk.<layer>.", see LlamaTensorName), so it needs no state.
// Throws kInvalidArgument when an attn_v or ffn_down tensor has no layer in [0, config.n_layers) in its
// name, or when rows do not divide by 32 for a legacy type (llama-quantize refuses such tensors too).
GgmlTensorType GgmlTypeForTensor(GgmlFileType type, const ModelConfig& config, const std::string& name,
                                 const Shape& shape, bool imatrix = false);

}  // namespace shrink

#endif  // SHRINK_QUANT_GGML_FILE_TYPE_H_
