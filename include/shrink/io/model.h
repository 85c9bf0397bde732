// Model: the named tensors and architecture of one model file (llama2.c, safetensors or GGUF),
// read lazily, editable tensor by tensor, and savable to any of the three.
#ifndef SHRINK_IO_MODEL_H_
#define SHRINK_IO_MODEL_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "shrink/compressed_tensor.h"
#include "shrink/core/dtype.h"
#include "shrink/core/shape.h"
#include "shrink/core/tensor.h"
#include "shrink/io/gguf.h"
#include "shrink/io/model_config.h"

namespace shrink {

// Names the on-disk formats a Model reads and writes.
enum class ModelFileFormat { kLlama2c, kSafetensors, kGguf };

// Returns "llama2c", "safetensors" or "gguf".
const char* ModelFileFormatName(ModelFileFormat format);
// Returns the format of the file at `path` from its first bytes (GGUF magic, safetensors
// header) or, for llama2.c checkpoints which have no magic, a .bin extension; throws
// kUnsupported when it is none of them and kNotFound when the file is missing.
ModelFileFormat DetectModelFileFormat(const std::string& path);
// Returns the format implied by the extension of `path` (.bin, .safetensors, .gguf); throws
// kInvalidArgument for any other extension.
ModelFileFormat ModelFileFormatFromExtension(const std::string& path);

// Describes one tensor of a model.
struct ModelTensorInfo {
  std::string name;
  Shape shape;                  // logical shape, outermost first
  std::string format;           // dtype name ("f32", "bf16"), ggml type ("q4_0") or method ("rtn")
  bool compressed = false;      // true for shrink CompressedTensors
  std::optional<DType> dtype;   // set for plain stored tensors
  uint64_t num_bytes = 0;       // bytes the tensor occupies in its current form

  // Returns stored bits per logical element.
  double bits_per_weight() const {
    const auto n = shape.num_elements();
    return n == 0 ? 0.0 : 8.0 * static_cast<double>(num_bytes) / static_cast<double>(n);
  }
};

// Holds a model: tensors in file order plus the architecture config when the file has one.
// Loading maps the file and reads nothing else until a tensor is asked for. Edits
// (SetTensor, SetCompressed) replace tensors in memory; the source file is never written.
class Model {
 public:
  Model() = default;
  Model(Model&&) noexcept = default;
  Model& operator=(Model&&) noexcept = default;

  // Opens the model file at `path` (format detected from its content); validates the whole
  // structure and throws kCorruptData / kUnsupported / kNotFound with the file's name.
  static Model Load(const std::string& path);

  ModelFileFormat source_format() const { return source_format_; }
  const std::string& source_path() const { return source_path_; }
  const std::optional<ModelConfig>& config() const { return config_; }
  void set_config(const ModelConfig& config) { config_ = config; }

  // Returns the tensors in order.
  std::vector<ModelTensorInfo> Tensors() const;
  // Returns the info of `name`, or nullptr.
  const ModelTensorInfo* Find(const std::string& name) const;
  // Returns the info of `name`; throws kNotFound naming it.
  const ModelTensorInfo& Info(const std::string& name) const;

  // Returns tensor `name` as f32: converted, or decompressed through the registry for
  // compressed tensors. Throws kNotFound, or kUnsupported for ggml block types shrink cannot
  // decode yet.
  Tensor ReadF32(const std::string& name) const;
  // Returns the compressed form of `name`; throws kInvalidArgument if it is not compressed.
  CompressedTensor ReadCompressed(const std::string& name) const;
  // Returns the stored elements of a plain tensor (no conversion), or its raw ggml blocks as
  // a u8 tensor; throws kInvalidArgument for compressed tensors.
  Tensor ReadStored(const std::string& name) const;

  // Adds or replaces tensor `name` with `tensor` (kept in its dtype).
  void SetTensor(const std::string& name, Tensor tensor);
  // Adds or replaces tensor `name` with a compressed form.
  void SetCompressed(const std::string& name, CompressedTensor compressed);
  // Removes tensor `name` (no-op when absent).
  void Remove(const std::string& name);

  // Writes the model to `path` in the format its extension names (.bin, .safetensors, .gguf),
  // atomically (a temporary file renamed on success). Throws kInvalidArgument when `path` is
  // the file this model was loaded from, and kUnsupported when a tensor cannot be stored in
  // that format (e.g. rtn tensors in GGUF), naming the tensor.
  void Save(const std::string& path) const;
  void SaveSafetensors(const std::string& path) const;
  void SaveGguf(const std::string& path) const;
  void SaveLlama2c(const std::string& path) const;

  // Is how a tensor's bytes are held; public so the per-format readers in src/ can build models.
  struct Entry {
    ModelTensorInfo info;
    const uint8_t* stored = nullptr;  // plain elements or ggml blocks (mapped or in `owned`)
    uint32_t ggml_type = 0xFFFFFFFFu; // set for ggml block types without a DType
    Tensor owned;                     // backs `stored` after SetTensor
    std::function<CompressedTensor()> load_compressed;  // set for compressed tensors
  };
  // Appends an entry (used by the readers); throws kCorruptData for a duplicate name.
  void AddEntry(Entry entry);
  // Keeps `resource` (e.g. the mapped file) alive as long as the model.
  void KeepAlive(std::shared_ptr<const void> resource) { keep_alive_.push_back(std::move(resource)); }
  // Returns the string metadata carried through safetensors files (shrink's own keys excluded).
  const std::map<std::string, std::string>& string_metadata() const { return string_metadata_; }
  void set_string_metadata(std::map<std::string, std::string> metadata) { string_metadata_ = std::move(metadata); }
  // Returns the GGUF key-value pairs of a model loaded from GGUF, carried through to GGUF output.
  const std::vector<std::pair<std::string, GgufValue>>& gguf_metadata() const { return gguf_metadata_; }
  void set_gguf_metadata(std::vector<std::pair<std::string, GgufValue>> metadata) {
    gguf_metadata_ = std::move(metadata);
  }
  void set_source(ModelFileFormat format, std::string path) {
    source_format_ = format;
    source_path_ = std::move(path);
  }
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  const Entry& Get(const std::string& name) const;
  Entry* FindEntry(const std::string& name);
  // Replaces the entry of the same name, or appends it (keeping file order for new names).
  void Put(Entry entry);

  ModelFileFormat source_format_ = ModelFileFormat::kSafetensors;
  std::string source_path_;
  std::optional<ModelConfig> config_;
  std::vector<Entry> entries_;
  std::map<std::string, std::string> string_metadata_;
  std::vector<std::pair<std::string, GgufValue>> gguf_metadata_;
  std::vector<std::shared_ptr<const void>> keep_alive_;
};

}  // namespace shrink

#endif  // SHRINK_IO_MODEL_H_
