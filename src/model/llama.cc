// LlamaModel: weight loading and the batched forward pass (Eigen GEMMs, per-token attention
// through the KvCacheCompressor interface).
#include "shrink/model/llama.h"

#include <cmath>

#include "shrink/registry.h"

namespace shrink {
namespace {

// Returns a 1-D tensor of `model` as an Eigen vector of `size`; throws kShapeMismatch.
Eigen::VectorXf LoadVector(const Model& model, const std::string& name, int64_t size) {
  const Tensor t = model.ReadF32(name);
  if (t.num_elements() != size || t.shape().rank() != 1) {
    Fail(ErrorCode::kShapeMismatch, "tensor '", name, "' has shape ", t.shape().ToString(), ", expected [", size, "]");
  }
  return Eigen::Map<const Eigen::VectorXf>(t.data<float>(), size);
}

// Throws kShapeMismatch unless `w` is rows x cols.
void CheckShape(const LinearWeight& w, const std::string& name, int64_t rows, int64_t cols) {
  if (w.rows() != rows || w.cols() != cols) {
    Fail(ErrorCode::kShapeMismatch, "tensor '", name, "' is [", w.rows(), ", ", w.cols(), "], the config implies [",
         rows, ", ", cols, "]");
  }
}

}  // namespace

void RequireTokenRange(const std::vector<int32_t>& tokens, int64_t first, int64_t count, int64_t vocab_size,
                       const char* what) {
  if (first < 0 || count <= 0 || first > static_cast<int64_t>(tokens.size()) - count) {
    Fail(ErrorCode::kInvalidArgument, what, " range [", first, ", ", first + count, ") is outside the ", tokens.size(),
         "-token stream");
  }
  for (int64_t i = first; i < first + count; ++i) {
    const int32_t id = tokens[static_cast<size_t>(i)];
    if (id < 0 || id >= vocab_size) {
      Fail(ErrorCode::kInvalidArgument, "token ", id, " at index ", i, " is outside the vocabulary of ", vocab_size);
    }
  }
}

LinearInput LinearInputOf(LlamaTensor tensor) {
  switch (tensor) {
    case LlamaTensor::kAttnQ:
    case LlamaTensor::kAttnK:
    case LlamaTensor::kAttnV: return LinearInput::kAttnIn;
    case LlamaTensor::kAttnOutput: return LinearInput::kAttnOut;
    case LlamaTensor::kFfnDown: return LinearInput::kFfnDown;
    default: return LinearInput::kFfnIn;
  }
}

LinearWeight::LinearWeight(const Model& model, const std::string& name, CompressedProduct product) {
  const ModelTensorInfo& info = model.Info(name);
  if (info.shape.rank() != 2) {
    Fail(ErrorCode::kShapeMismatch, "tensor '", name, "' has shape ", info.shape.ToString(), ", expected a matrix");
  }
  rows_ = info.shape.dim(0);
  cols_ = info.shape.dim(1);
  if (info.compressed) {  // kept compressed when asked, or when only MatVec computes its product
    auto method = Registry::Global().CreateDecoder(info.format);
    if (method->HasMatVec()) {
      auto compressed = std::make_shared<const CompressedTensor>(model.ReadCompressed(name));
      if (product != CompressedProduct::kDecompress || method->MatVecRoundsInput(*compressed)) {
        compressed_ = std::move(compressed);
        method_ = std::move(method);
        int8_input_ = product == CompressedProduct::kMatVecInt8;
        return;
      }
    }
  }
  const Tensor t = model.ReadF32(name);
  dense_ = Eigen::Map<const RowMatrixF>(t.data<float>(), rows_, cols_);
}

void LinearWeight::Apply(const RowMatrixF& x, RowMatrixF& y) const {
  y.resize(x.rows(), rows_);
  if (!method_) {
    y.noalias() = x * dense_.transpose();
    return;
  }
  for (Eigen::Index t = 0; t < x.rows(); ++t) {
    if (int8_input_) {
      method_->MatVecInt8(*compressed_, x.row(t).data(), y.row(t).data());
    } else {
      method_->MatVec(*compressed_, x.row(t).data(), y.row(t).data());
    }
  }
}

const RowMatrixF& LinearWeight::dense() const {
  if (method_) Fail(ErrorCode::kInvalidArgument, "a fused compressed weight has no dense form");
  return dense_;
}

LlamaModel::LlamaModel(const Model& model, const LlamaOptions& options) : options_(options) {
  if (!model.config() || model.config()->architecture != "llama") {
    Fail(ErrorCode::kInvalidArgument, "model '", model.source_path(), "' has no Llama architecture config");
  }
  config_ = *model.config();
  const ModelConfig& c = config_;
  {
    const Tensor embd = model.ReadF32(kTokenEmbeddingName);
    if (embd.shape() != Shape{c.vocab_size, c.dim}) {
      Fail(ErrorCode::kShapeMismatch, "tensor '", kTokenEmbeddingName, "' has shape ", embd.shape().ToString(),
           ", the config implies [", c.vocab_size, ", ", c.dim, "]");
    }
    token_embedding_ = Eigen::Map<const RowMatrixF>(embd.data<float>(), c.vocab_size, c.dim);
  }
  const int64_t q_dim = c.head_dim() * c.n_heads;
  for (int64_t l = 0; l < c.n_layers; ++l) {
    Block b;
    auto linear = [&](LlamaTensor kind, int64_t rows, int64_t cols) {
      const std::string name = LlamaTensorName(l, kind);
      LinearWeight w(model, name, options.compressed_product);
      CheckShape(w, name, rows, cols);
      return w;
    };
    b.attn_norm = LoadVector(model, LlamaTensorName(l, LlamaTensor::kAttnNorm), c.dim);
    b.ffn_norm = LoadVector(model, LlamaTensorName(l, LlamaTensor::kFfnNorm), c.dim);
    b.wq = linear(LlamaTensor::kAttnQ, q_dim, c.dim);
    b.wk = linear(LlamaTensor::kAttnK, c.kv_dim(), c.dim);
    b.wv = linear(LlamaTensor::kAttnV, c.kv_dim(), c.dim);
    b.wo = linear(LlamaTensor::kAttnOutput, c.dim, q_dim);
    b.gate = linear(LlamaTensor::kFfnGate, c.hidden_dim, c.dim);
    b.down = linear(LlamaTensor::kFfnDown, c.dim, c.hidden_dim);
    b.up = linear(LlamaTensor::kFfnUp, c.hidden_dim, c.dim);
    blocks_.push_back(std::move(b));
  }
  output_norm_ = LoadVector(model, kOutputNormName, c.dim);
  if (model.Find(kOutputName) != nullptr) {
    output_ = LinearWeight(model, kOutputName, options.compressed_product);
    CheckShape(output_, kOutputName, c.vocab_size, c.dim);
  } else {
    output_ = LinearWeight(model, kTokenEmbeddingName, options.compressed_product);  // tied classifier
  }
  // llama2.c's interleaved RoPE: pair (2i, 2i+1) of each head turns at theta^(-2i/head_dim).
  const int64_t hd = c.head_dim();
  for (int64_t i = 0; i < hd / 2; ++i) {
    rope_inv_freq_.push_back(1.0f / std::pow(static_cast<float>(c.rope_theta),
                                             static_cast<float>(2 * i) / static_cast<float>(hd)));
  }
  NewState();  // validates the KV cache name and options now rather than at the first Forward
}

LlamaState LlamaModel::NewState() const {
  LlamaState state;
  const KvCacheShape shape{static_cast<int>(config_.n_kv_heads), static_cast<int>(config_.n_heads),
                           static_cast<int>(config_.head_dim())};
  for (int64_t l = 0; l < config_.n_layers; ++l) {
    state.caches.push_back(Registry::Global().CreateAs<KvCacheCompressor>(options_.kv_cache, options_.kv_cache_options));
    state.caches.back()->Reset(shape);
  }
  return state;
}

void LlamaModel::RmsNorm(const RowMatrixF& x, const Eigen::VectorXf& weight, RowMatrixF& out) const {
  out.resize(x.rows(), x.cols());
  const float eps = static_cast<float>(config_.norm_eps);
  for (Eigen::Index t = 0; t < x.rows(); ++t) {
    const float ms = x.row(t).squaredNorm() / static_cast<float>(x.cols());
    out.row(t) = x.row(t).cwiseProduct(weight.transpose()) * (1.0f / std::sqrt(ms + eps));
  }
}

void LlamaModel::Rope(RowMatrixF& x, int64_t heads, int64_t first_position) const {
  const int64_t hd = config_.head_dim();
  for (Eigen::Index t = 0; t < x.rows(); ++t) {
    const auto pos = static_cast<float>(first_position + t);
    for (int64_t i = 0; i < hd / 2; ++i) {
      const float angle = pos * rope_inv_freq_[static_cast<size_t>(i)];
      const float c = std::cos(angle), s = std::sin(angle);
      for (int64_t h = 0; h < heads; ++h) {
        float* p = x.row(t).data() + h * hd + 2 * i;
        const float a = p[0], b = p[1];
        p[0] = a * c - b * s;
        p[1] = a * s + b * c;
      }
    }
  }
}

void LlamaModel::Forward(LlamaState& state, const std::vector<int32_t>& tokens, int64_t num_logits,
                         RowMatrixF& logits, ForwardObserver* observer) const {
  const ModelConfig& c = config_;
  const auto n = static_cast<Eigen::Index>(tokens.size());
  if (num_logits < 0 || num_logits > n) {
    Fail(ErrorCode::kInvalidArgument, "asked for ", num_logits, " logits from ", n, " tokens");
  }
  if (n > 0) RequireTokenRange(tokens, 0, n, c.vocab_size, "forward");
  RowMatrixF x(n, c.dim);
  for (Eigen::Index t = 0; t < n; ++t) x.row(t) = token_embedding_.row(tokens[static_cast<size_t>(t)]);
  const int64_t hd = c.head_dim();
  RowMatrixF xn, q, k, v, attn(n, c.n_heads * hd), proj, gate, up, block_in;
  for (size_t l = 0; l < blocks_.size(); ++l) {
    const Block& b = blocks_[l];
    const auto layer = static_cast<int64_t>(l);
    if (observer) block_in = x;
    RmsNorm(x, b.attn_norm, xn);
    if (observer) observer->OnLinearInput(layer, LinearInput::kAttnIn, xn);
    b.wq.Apply(xn, q);
    b.wk.Apply(xn, k);
    b.wv.Apply(xn, v);
    Rope(q, c.n_heads, state.position);
    Rope(k, c.n_kv_heads, state.position);
    if (observer) observer->OnAttentionInputs(layer, q, k, v);
    KvCacheCompressor& cache = *state.caches[l];
    for (Eigen::Index t = 0; t < n; ++t) {  // token by token keeps attention causal
      cache.Append(TensorView<const float>(k.row(t).data(), Shape{1, c.kv_dim()}),
                   TensorView<const float>(v.row(t).data(), Shape{1, c.kv_dim()}), nullptr);
      cache.Attend(TensorView<const float>(q.row(t).data(), Shape{c.n_heads, hd}),
                   TensorView<float>(attn.row(t).data(), Shape{c.n_heads, hd}));
    }
    if (observer) observer->OnLinearInput(layer, LinearInput::kAttnOut, attn);
    b.wo.Apply(attn, proj);
    x += proj;
    RmsNorm(x, b.ffn_norm, xn);
    if (observer) observer->OnLinearInput(layer, LinearInput::kFfnIn, xn);
    b.gate.Apply(xn, gate);
    b.up.Apply(xn, up);
    gate = gate.array() / (1.0f + (-gate.array()).exp()) * up.array();  // silu(gate) * up
    if (observer) observer->OnLinearInput(layer, LinearInput::kFfnDown, gate);
    b.down.Apply(gate, proj);
    x += proj;
    if (observer) observer->OnBlock(layer, block_in, x);
  }
  state.position += n;
  if (num_logits == 0) {
    logits.resize(0, c.vocab_size);
    return;
  }
  const RowMatrixF last = x.bottomRows(num_logits);
  RmsNorm(last, output_norm_, xn);
  output_.Apply(xn, logits);
}

}  // namespace shrink
