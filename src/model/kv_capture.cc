// KV capture: an observer that copies post-RoPE q, k, v into head-major tensors.
#include "shrink/model/kv_capture.h"

#include "shrink/io/safetensors.h"

namespace shrink {
namespace {

// Copies a tokens x (heads*head_dim) matrix into a [heads, tokens, head_dim] tensor.
Tensor HeadMajor(const RowMatrixF& m, int64_t heads, int64_t head_dim) {
  const int64_t tokens = m.rows();
  Tensor out(DType::kF32, Shape{heads, tokens, head_dim});
  float* p = out.data<float>();
  for (int64_t h = 0; h < heads; ++h) {
    for (int64_t t = 0; t < tokens; ++t) {
      for (int64_t j = 0; j < head_dim; ++j) p[(h * tokens + t) * head_dim + j] = m(t, h * head_dim + j);
    }
  }
  return out;
}

class CaptureObserver : public ForwardObserver {
 public:
  CaptureObserver(const ModelConfig& config, std::vector<CapturedLayer>& layers) : config_(config), layers_(layers) {}
  void OnAttentionInputs(int64_t layer, const RowMatrixF& q, const RowMatrixF& k, const RowMatrixF& v) override {
    CapturedLayer& out = layers_[static_cast<size_t>(layer)];
    out.q = HeadMajor(q, config_.n_heads, config_.head_dim());
    out.k = HeadMajor(k, config_.n_kv_heads, config_.head_dim());
    out.v = HeadMajor(v, config_.n_kv_heads, config_.head_dim());
  }

 private:
  const ModelConfig& config_;
  std::vector<CapturedLayer>& layers_;
};

}  // namespace

std::vector<CapturedLayer> CaptureKv(const LlamaModel& model, const std::vector<int32_t>& tokens, int64_t first_token,
                                     int64_t count) {
  RequireTokenRange(tokens, first_token, count, model.config().vocab_size, "capture");
  std::vector<CapturedLayer> layers(static_cast<size_t>(model.config().n_layers));
  CaptureObserver observer(model.config(), layers);
  std::vector<int32_t> input(tokens.begin() + first_token, tokens.begin() + first_token + count);
  input[0] = 1;  // BOS
  LlamaState state = model.NewState();
  RowMatrixF logits;
  model.Forward(state, input, 0, logits, &observer);
  return layers;
}

void SaveCapturedKv(const std::vector<CapturedLayer>& layers, const std::string& path) {
  SafetensorsWriter writer;
  for (size_t l = 0; l < layers.size(); ++l) {
    const std::string prefix = "blk." + std::to_string(l) + ".";
    writer.Add(prefix + "q", layers[l].q);
    writer.Add(prefix + "k", layers[l].k);
    writer.Add(prefix + "v", layers[l].v);
  }
  writer.SetMetadata("shrink.kv_capture", "post-RoPE q [n_heads, tokens, head_dim], k and v [n_kv_heads, tokens, head_dim]");
  writer.Write(path);
}

}  // namespace shrink
