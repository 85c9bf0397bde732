// Model reader and writer for llama2.c checkpoints.
#include <cmath>
#include <cstring>
#include <vector>

#include "shrink/io/atomic_file.h"
#include "shrink/io/llama2c.h"
#include "src/io/model_formats.h"

namespace shrink::detail {

Model LoadLlama2cModel(std::shared_ptr<const MappedFile> file) {
  const ModelConfig config = ReadLlama2cConfig(*file);
  Model model;
  for (const Llama2cTensor& t : Llama2cLayout(config)) {
    Model::Entry entry;
    entry.info.name = t.name;
    entry.info.shape = t.shape;
    entry.info.format = DTypeName(DType::kF32);
    entry.info.dtype = DType::kF32;
    entry.info.num_bytes = static_cast<uint64_t>(t.shape.num_elements()) * sizeof(float);
    entry.stored = file->data() + t.offset;
    model.AddEntry(std::move(entry));
  }
  model.set_config(config);
  model.KeepAlive(std::move(file));
  return model;
}

void SaveLlama2cModel(const Model& model, const std::string& path) {
  if (!model.config() || model.config()->architecture != "llama") {
    Fail(ErrorCode::kUnsupported, "a llama2.c checkpoint needs a Llama model config, which this model lacks");
  }
  ModelConfig config = *model.config();
  config.tied_embeddings = model.Find(kOutputName) == nullptr;
  const auto layout = Llama2cLayout(config);
  // Check every tensor before writing a byte.
  for (const Llama2cTensor& t : layout) {
    const ModelTensorInfo& info = model.Info(t.name);
    if (info.shape != t.shape) {
      Fail(ErrorCode::kShapeMismatch, "tensor '", t.name, "' has shape ", info.shape.ToString(), " but the config implies ",
           t.shape.ToString());
    }
  }
  AtomicFileWriter out(path);
  const int32_t header[7] = {static_cast<int32_t>(config.dim),        static_cast<int32_t>(config.hidden_dim),
                             static_cast<int32_t>(config.n_layers),   static_cast<int32_t>(config.n_heads),
                             static_cast<int32_t>(config.n_kv_heads),
                             static_cast<int32_t>(config.tied_embeddings ? config.vocab_size : -config.vocab_size),
                             static_cast<int32_t>(config.seq_len)};
  out.Write(header, sizeof(header));
  for (const Llama2cTensor& t : layout) {
    if (t.name == kOutputName) break;  // the classifier follows the RoPE tables
    const Tensor data = model.ReadF32(t.name);
    out.Write(data.bytes(), data.num_bytes());
  }
  // The legacy RoPE tables (cos, then sin, seq_len x head_dim/2); readers recompute them.
  const int64_t half = config.head_dim() / 2;
  for (int table = 0; table < 2; ++table) {
    std::vector<float> values(static_cast<size_t>(config.seq_len * half));
    for (int64_t pos = 0; pos < config.seq_len; ++pos) {
      for (int64_t i = 0; i < half; ++i) {
        const double freq = std::pow(config.rope_theta, -2.0 * static_cast<double>(i) / static_cast<double>(config.head_dim()));
        const double angle = static_cast<double>(pos) * freq;
        values[static_cast<size_t>(pos * half + i)] = static_cast<float>(table == 0 ? std::cos(angle) : std::sin(angle));
      }
    }
    out.Write(values.data(), values.size() * sizeof(float));
  }
  if (!config.tied_embeddings) {
    const Tensor data = model.ReadF32(kOutputName);
    out.Write(data.bytes(), data.num_bytes());
  }
  out.Commit();
}

}  // namespace shrink::detail
