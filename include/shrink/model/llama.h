// LlamaModel: a Llama-family decoder (RMSNorm, RoPE, grouped-query attention, SwiGLU) that
// runs plain or compressed weights, for evaluation, calibration and KV capture.
#ifndef SHRINK_MODEL_LLAMA_H_
#define SHRINK_MODEL_LLAMA_H_

#include <Eigen/Core>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "shrink/compressor.h"
#include "shrink/io/model.h"
#include "shrink/io/model_config.h"

namespace shrink {

using RowMatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Names the four places where a Llama block feeds a linear layer; the layers that share a
// place share their calibration statistics.
enum class LinearInput {
  kAttnIn,    // normalised block input: attn_q, attn_k, attn_v
  kAttnOut,   // attention output: attn_output
  kFfnIn,     // normalised residual: ffn_gate, ffn_up
  kFfnDown,   // silu(gate) * up: ffn_down
};

// Returns the input place of a per-layer linear tensor kind (kAttnQ -> kAttnIn, ...).
LinearInput LinearInputOf(LlamaTensor tensor);

// Receives activations during a forward pass (calibration, KV capture). Calls come from the
// thread running the pass; rows are the pass's tokens.
class ForwardObserver {
 public:
  virtual ~ForwardObserver() = default;
  // Sees the input of the linear layers at `where` in block `layer` (tokens x in_features).
  virtual void OnLinearInput(int64_t layer, LinearInput where, const RowMatrixF& x) {}
  // Sees post-RoPE queries, keys and values of block `layer` (tokens x heads*head_dim).
  virtual void OnAttentionInputs(int64_t layer, const RowMatrixF& q, const RowMatrixF& k, const RowMatrixF& v) {}
  // Sees the residual stream entering block `layer` and leaving it (tokens x dim).
  virtual void OnBlock(int64_t layer, const RowMatrixF& in, const RowMatrixF& out) {}
};

// Throws kInvalidArgument unless [first, first + count) lies inside `tokens` (naming `what`,
// e.g. "calibration") and every token there is in [0, vocab_size).
void RequireTokenRange(const std::vector<int32_t>& tokens, int64_t first, int64_t count, int64_t vocab_size,
                       const char* what);

// How a linear layer multiplies by a compressed weight.
enum class CompressedProduct {
  kDecompress,  // decompress once at load, dense products
  kMatVec,      // keep it compressed, the method's fused MatVec
  kMatVecInt8,  // keep it compressed, MatVecInt8 (inputs rounded to int8 per 32, llama.cpp's arithmetic)
};

// Holds one linear layer's weight, dense or compressed. Compressed weights are either
// decompressed once at load or kept compressed and multiplied with the method's fused MatVec.
class LinearWeight {
 public:
  LinearWeight() = default;
  // Loads tensor `name` of `model`; a compressed tensor is kept compressed when `product` asks
  // for a fused MatVec and its method has one. Tensors whose MatVec rounds its input (w8a8)
  // always stay compressed: decompressing them would skip the activation rounding.
  LinearWeight(const Model& model, const std::string& name, CompressedProduct product);

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  // Returns true when products run on the compressed form.
  bool fused() const { return method_ != nullptr; }
  // Computes y = x Wᵀ for tokens x (T x cols) into y (T x rows).
  void Apply(const RowMatrixF& x, RowMatrixF& y) const;
  // Returns the dense weight (rows x cols); throws kInvalidArgument when fused.
  const RowMatrixF& dense() const;

 private:
  int64_t rows_ = 0, cols_ = 0;
  RowMatrixF dense_;
  std::shared_ptr<const WeightCompressor> method_;
  std::shared_ptr<const CompressedTensor> compressed_;
  bool int8_input_ = false;
};

// Holds the per-sequence state of a forward pass: one KV cache per block and the position.
struct LlamaState {
  std::vector<std::unique_ptr<KvCacheCompressor>> caches;
  int64_t position = 0;
};

// Options for loading a LlamaModel.
struct LlamaOptions {
  CompressedProduct compressed_product = CompressedProduct::kDecompress;
  std::string kv_cache = "full"; // registry name of the KV cache every block uses
  Options kv_cache_options;
};

// Runs a Llama-family model. Immutable after construction: any number of threads may run
// Forward with their own LlamaState.
class LlamaModel {
 public:
  // Loads weights from `model` (any format; config required); throws kInvalidArgument when the
  // config is missing or not "llama", kNotFound naming a missing tensor, kShapeMismatch for a
  // tensor whose shape disagrees with the config.
  explicit LlamaModel(const Model& model, const LlamaOptions& options = {});

  const ModelConfig& config() const { return config_; }

  // Returns a fresh state (empty caches at position 0).
  LlamaState NewState() const;
  // Runs `tokens` at positions state.position.. (appending to the caches), advances the
  // position, and writes logits for the last `num_logits` tokens into `logits`
  // (num_logits x vocab). Throws kInvalidArgument for a token outside the vocabulary.
  void Forward(LlamaState& state, const std::vector<int32_t>& tokens, int64_t num_logits, RowMatrixF& logits,
               ForwardObserver* observer = nullptr) const;

 private:
  struct Block {
    Eigen::VectorXf attn_norm, ffn_norm;
    LinearWeight wq, wk, wv, wo, gate, down, up;
  };
  void RmsNorm(const RowMatrixF& x, const Eigen::VectorXf& weight, RowMatrixF& out) const;
  void Rope(RowMatrixF& x, int64_t heads, int64_t first_position) const;

  ModelConfig config_;
  LlamaOptions options_;
  RowMatrixF token_embedding_;
  std::vector<Block> blocks_;
  Eigen::VectorXf output_norm_;
  LinearWeight output_;  // the classifier; shares token_embedding_ when tied
  std::vector<float> rope_inv_freq_;  // head_dim/2 rotation frequencies
};

}  // namespace shrink

#endif  // SHRINK_MODEL_LLAMA_H_
