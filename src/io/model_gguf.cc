// Model reader and writer for GGUF files: tensors, ggml block types, and llama.* metadata.
#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <vector>

#include "shrink/formats/quant_format.h"
#include "shrink/io/gguf.h"
#include "src/io/model_formats.h"

namespace shrink::detail {
namespace {

constexpr const char* kAlignmentKey = "general.alignment";

// Returns the integer at `key`, or `fallback` when absent; throws kCorruptData if not an integer.
int64_t IntMeta(const GgufReader& reader, const std::string& key, int64_t fallback) {
  const GgufValue* v = reader.FindMeta(key);
  if (v == nullptr) return fallback;
  if (!v->IsInteger()) Fail(ErrorCode::kCorruptData, reader.file()->path(), ": metadata ", key, " is not an integer");
  return v->AsInt();
}

std::optional<ModelConfig> ReadConfig(const GgufReader& reader) {
  const GgufValue* arch = reader.FindMeta("general.architecture");
  if (arch == nullptr || arch->type() != GgufType::kString || arch->AsString() != "llama") return std::nullopt;
  const std::string p = "llama.";
  ModelConfig c;
  c.dim = IntMeta(reader, p + "embedding_length", 0);
  c.hidden_dim = IntMeta(reader, p + "feed_forward_length", 0);
  c.n_layers = IntMeta(reader, p + "block_count", 0);
  c.n_heads = IntMeta(reader, p + "attention.head_count", 0);
  c.n_kv_heads = IntMeta(reader, p + "attention.head_count_kv", c.n_heads);
  c.seq_len = IntMeta(reader, p + "context_length", 0);
  if (const GgufValue* eps = reader.FindMeta(p + "attention.layer_norm_rms_epsilon")) c.norm_eps = eps->AsDouble();
  if (const GgufValue* theta = reader.FindMeta(p + "rope.freq_base")) c.rope_theta = theta->AsDouble();
  const GgufTensorInfo* embd = reader.Find(kTokenEmbeddingName);
  c.vocab_size = embd != nullptr && embd->shape.rank() == 2 ? embd->shape.dim(0) : 0;
  c.tied_embeddings = reader.Find(kOutputName) == nullptr;
  if (c.dim <= 0 || c.n_layers <= 0 || c.n_heads <= 0 || c.n_kv_heads <= 0 || c.dim % c.n_heads != 0 ||
      c.n_heads % c.n_kv_heads != 0) {
    Fail(ErrorCode::kCorruptData, reader.file()->path(), ": llama metadata is inconsistent (embedding_length ", c.dim,
         ", block_count ", c.n_layers, ", head_count ", c.n_heads, ", head_count_kv ", c.n_kv_heads, ")");
  }
  return c;
}

// Returns the llama.* key-value pairs that describe `c`, in llama.cpp's usual order.
std::vector<std::pair<std::string, GgufValue>> ConfigMeta(const ModelConfig& c) {
  const std::string p = c.architecture + ".";
  auto u32 = [](int64_t v) { return GgufValue::U32(static_cast<uint32_t>(v)); };
  std::vector<std::pair<std::string, GgufValue>> kv = {
      {p + "context_length", u32(c.seq_len)},
      {p + "embedding_length", u32(c.dim)},
      {p + "feed_forward_length", u32(c.hidden_dim)},
      {p + "attention.head_count", u32(c.n_heads)},
      {p + "attention.head_count_kv", u32(c.n_kv_heads)},
      {p + "block_count", u32(c.n_layers)},
      {p + "rope.dimension_count", u32(c.head_dim())},
      {p + "attention.layer_norm_rms_epsilon", GgufValue::F32(static_cast<float>(c.norm_eps))},
  };
  if (c.rope_theta != 10000.0) kv.emplace_back(p + "rope.freq_base", GgufValue::F32(static_cast<float>(c.rope_theta)));
  return kv;
}

// Returns the shrink format name of a ggml block type ("q4_K" -> "q4_k") when shrink decodes it.
std::optional<std::string> QuantFormatOfGgmlType(const GgmlTypeInfo& type) {
  std::string name = type.name;
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  if (!IsQuantFormat(name)) return std::nullopt;
  return name;
}

// Returns the ggml type that stores tensors of quantized format `format` as they are, if any.
const GgmlTypeInfo* GgmlTypeOfQuantFormat(const std::string& format) {
  constexpr uint32_t kMaxGgmlTypeId = 64;
  for (uint32_t id = 0; id < kMaxGgmlTypeId; ++id) {
    const GgmlTypeInfo* type = FindGgmlType(id);
    if (type != nullptr && QuantFormatOfGgmlType(*type) == format) return type;
  }
  return nullptr;
}

// Returns a ggml-typed matrix of `num_bytes` at `data` as a compressed tensor of `format`: its
// blocks are the format's single "blocks" section, row by row.
CompressedTensor GgmlBlocksTensor(const std::string& format, const Shape& shape, const uint8_t* data,
                                  uint64_t num_bytes) {
  CompressedTensor ct(format, shape);
  uint8_t* blocks = ct.AddSection("blocks", DType::kU8, Shape{shape.rows(), static_cast<int64_t>(num_bytes) / shape.rows()});
  std::copy(data, data + num_bytes, blocks);
  return ct;
}

}  // namespace

Model LoadGgufModel(std::shared_ptr<const MappedFile> file) {
  const GgufReader reader = GgufReader::FromMapped(file);
  Model model;
  for (const GgufTensorInfo& t : reader.tensors()) {
    const GgmlTypeInfo* type = FindGgmlType(t.ggml_type);  // the reader validated the id
    Model::Entry entry;
    entry.info.name = t.name;
    entry.info.shape = t.shape;
    entry.info.format = type->name;
    entry.info.dtype = type->dtype;
    entry.info.num_bytes = t.num_bytes;
    entry.stored = reader.Bytes(t);
    if (!type->dtype) entry.ggml_type = t.ggml_type;
    const std::optional<std::string> format = type->dtype ? std::nullopt : QuantFormatOfGgmlType(*type);
    if (format && t.shape.rank() == 2 && t.shape.rows() > 0) {
      entry.info.compressed = true;
      entry.info.format = *format;
      entry.load_compressed = [format = *format, shape = t.shape, data = entry.stored, bytes = t.num_bytes] {
        return GgmlBlocksTensor(format, shape, data, bytes);
      };
    }
    model.AddEntry(std::move(entry));
  }
  if (auto config = ReadConfig(reader)) model.set_config(*config);
  std::vector<std::pair<std::string, GgufValue>> meta = reader.metadata();
  meta.erase(std::remove_if(meta.begin(), meta.end(), [](const auto& kv) { return kv.first == kAlignmentKey; }),
             meta.end());
  model.set_gguf_metadata(std::move(meta));
  model.KeepAlive(std::move(file));
  return model;
}

void SaveGgufModel(const Model& model, const std::string& path) {
  GgufWriter writer;
  std::vector<std::pair<std::string, GgufValue>> meta = model.gguf_metadata();
  auto upsert = [&meta](const std::string& key, const GgufValue& value) {
    for (auto& kv : meta) {
      if (kv.first == key) {
        kv.second = value;
        return;
      }
    }
    meta.emplace_back(key, value);
  };
  if (meta.empty() && model.config()) {
    meta.emplace_back("general.architecture", GgufValue::String(model.config()->architecture));
    meta.emplace_back("general.name", GgufValue::String(model.config()->architecture));
  }
  if (model.config()) {
    for (const auto& [key, value] : ConfigMeta(*model.config())) upsert(key, value);
  }
  for (const auto& [key, value] : meta) writer.AddMeta(key, value);

  std::vector<CompressedTensor> compressed;  // kept alive until the file is written
  compressed.reserve(model.entries().size());
  for (const Model::Entry& e : model.entries()) {
    if (e.info.compressed) {
      const GgmlTypeInfo* type = GgmlTypeOfQuantFormat(e.info.format);
      if (type == nullptr) {
        Fail(ErrorCode::kUnsupported, "tensor '", e.info.name, "' is compressed as ", e.info.format,
             ", which has no GGUF type; write .safetensors, quantize to a ggml format (q4_0, q4_k, ...), or "
             "decompress first");
      }
      compressed.push_back(e.load_compressed());
      if (compressed.back().FindSection("input_scale") != nullptr) {
        Fail(ErrorCode::kUnsupported, "tensor '", e.info.name, "' (", e.info.format,
             ") has a per-input-channel input_scale (AWQ), which GGUF cannot hold; fold the scales into the "
             "preceding norm or layer (QuantizeModel folds them where the model allows) or write .safetensors");
      }
      const CompressedSection* blocks = compressed.back().FindSection("blocks");
      if (blocks == nullptr || compressed.back().sections().size() != 1) {
        Fail(ErrorCode::kCorruptData, "tensor '", e.info.name, "' (", e.info.format, ") lacks its blocks section");
      }
      writer.AddTensor(e.info.name, type->id, e.info.shape, blocks->bytes.data(), blocks->bytes.size());
      continue;
    }
    if (!e.info.dtype) {
      writer.AddTensor(e.info.name, e.ggml_type, e.info.shape, e.stored, e.info.num_bytes);
      continue;
    }
    const std::optional<uint32_t> type = GgmlTypeForDType(*e.info.dtype);
    if (!type) {
      Fail(ErrorCode::kUnsupported, "tensor '", e.info.name, "' has dtype ", e.info.format,
           ", which GGUF cannot store; convert it to f32, f16 or bf16 first");
    }
    writer.AddTensor(e.info.name, *type, e.info.shape, e.stored, e.info.num_bytes);
  }
  writer.Write(path);
}

}  // namespace shrink::detail
