// Model: format detection, tensor lookup, lazy reads, edits and save dispatch.
#include "shrink/io/model.h"

#include <cstring>
#include <filesystem>

#include "shrink/core/convert.h"
#include "shrink/registry.h"
#include "src/io/model_formats.h"

namespace shrink {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool SameFile(const std::string& a, const std::string& b) {
  std::error_code ec;
  return std::filesystem::exists(a, ec) && std::filesystem::exists(b, ec) && std::filesystem::equivalent(a, b, ec);
}

// Throws kInvalidArgument when `output` is the file a model was loaded from.
void RefuseToOverwrite(const std::string& source, const std::string& output) {
  if (!source.empty() && SameFile(output, source)) {
    Fail(ErrorCode::kInvalidArgument, "refusing to overwrite the input file '", output, "'; choose another output");
  }
}

}  // namespace

const char* ModelFileFormatName(ModelFileFormat format) {
  switch (format) {
    case ModelFileFormat::kLlama2c: return "llama2c";
    case ModelFileFormat::kSafetensors: return "safetensors";
    case ModelFileFormat::kGguf: return "gguf";
  }
  return "?";
}

ModelFileFormat ModelFileFormatFromExtension(const std::string& path) {
  if (EndsWith(path, ".safetensors")) return ModelFileFormat::kSafetensors;
  if (EndsWith(path, ".gguf")) return ModelFileFormat::kGguf;
  if (EndsWith(path, ".bin")) return ModelFileFormat::kLlama2c;
  Fail(ErrorCode::kInvalidArgument, "cannot tell the format of '", path,
       "' from its extension (expected .safetensors, .gguf or .bin for llama2.c)");
}

ModelFileFormat DetectModelFileFormat(const std::string& path) {
  auto file = MappedFile::Open(path);
  const uint8_t* p = file->data();
  if (file->size() >= 4 && std::memcmp(p, "GGUF", 4) == 0) return ModelFileFormat::kGguf;
  if (file->size() >= 9) {
    uint64_t header_len = 0;
    std::memcpy(&header_len, p, 8);
    if (p[8] == '{' && header_len <= file->size() - 8) return ModelFileFormat::kSafetensors;
  }
  if (EndsWith(path, ".bin")) return ModelFileFormat::kLlama2c;
  Fail(ErrorCode::kUnsupported, path, ": not a GGUF or safetensors file, and not a llama2.c checkpoint (.bin)");
}

Model Model::Load(const std::string& path) {
  const ModelFileFormat format = DetectModelFileFormat(path);
  auto file = MappedFile::Open(path);
  Model model;
  switch (format) {
    case ModelFileFormat::kLlama2c: model = detail::LoadLlama2cModel(file); break;
    case ModelFileFormat::kSafetensors: model = detail::LoadSafetensorsModel(file); break;
    case ModelFileFormat::kGguf: model = detail::LoadGgufModel(file); break;
  }
  model.set_source(format, path);
  return model;
}

void Model::AddEntry(Entry entry) {
  if (FindEntry(entry.info.name) != nullptr) {
    Fail(ErrorCode::kCorruptData, "tensor '", entry.info.name, "' appears twice");
  }
  entries_.push_back(std::move(entry));
}

std::vector<ModelTensorInfo> Model::Tensors() const {
  std::vector<ModelTensorInfo> infos;
  infos.reserve(entries_.size());
  for (const auto& e : entries_) infos.push_back(e.info);
  return infos;
}

const ModelTensorInfo* Model::Find(const std::string& name) const {
  for (const auto& e : entries_) {
    if (e.info.name == name) return &e.info;
  }
  return nullptr;
}

const ModelTensorInfo& Model::Info(const std::string& name) const { return Get(name).info; }

Model::Entry* Model::FindEntry(const std::string& name) {
  for (auto& e : entries_) {
    if (e.info.name == name) return &e;
  }
  return nullptr;
}

const Model::Entry& Model::Get(const std::string& name) const {
  for (const auto& e : entries_) {
    if (e.info.name == name) return e;
  }
  Fail(ErrorCode::kNotFound, "model has no tensor '", name, "'");
}

Tensor Model::ReadF32(const std::string& name) const {
  const Entry& e = Get(name);
  if (e.info.compressed) {
    const CompressedTensor ct = e.load_compressed();
    auto method = Registry::Global().CreateDecoder(ct.format());
    Tensor out(DType::kF32, ct.shape());
    method->Decompress(ct, out.View<float>());
    return out;
  }
  if (!e.info.dtype) {
    Fail(ErrorCode::kUnsupported, "tensor '", name, "' is stored as ggml type ", e.info.format,
         ", which shrink cannot decode yet");
  }
  Tensor out(DType::kF32, e.info.shape);
  ConvertToF32(*e.info.dtype, e.stored, out.data<float>(), static_cast<size_t>(e.info.shape.num_elements()));
  return out;
}

CompressedTensor Model::ReadCompressed(const std::string& name) const {
  const Entry& e = Get(name);
  if (!e.info.compressed) Fail(ErrorCode::kInvalidArgument, "tensor '", name, "' is not compressed");
  return e.load_compressed();
}

Tensor Model::ReadStored(const std::string& name) const {
  const Entry& e = Get(name);
  if (e.info.compressed) Fail(ErrorCode::kInvalidArgument, "tensor '", name, "' is compressed; use ReadCompressed");
  Tensor out = e.info.dtype ? Tensor(*e.info.dtype, e.info.shape)
                            : Tensor(DType::kU8, Shape{static_cast<int64_t>(e.info.num_bytes)});
  if (e.info.num_bytes) std::memcpy(out.bytes(), e.stored, e.info.num_bytes);
  return out;
}

void Model::Put(Entry entry) {
  if (Entry* existing = FindEntry(entry.info.name)) {
    *existing = std::move(entry);
  } else {
    entries_.push_back(std::move(entry));
  }
}

void Model::SetTensor(const std::string& name, Tensor tensor) {
  Entry entry;
  entry.info.name = name;
  entry.info.shape = tensor.shape();
  entry.info.format = DTypeName(tensor.dtype());
  entry.info.dtype = tensor.dtype();
  entry.info.num_bytes = tensor.num_bytes();
  entry.owned = std::move(tensor);
  entry.stored = reinterpret_cast<const uint8_t*>(entry.owned.bytes());
  Put(std::move(entry));
}

void Model::SetCompressed(const std::string& name, CompressedTensor compressed) {
  Entry entry;
  entry.info.name = name;
  entry.info.shape = compressed.shape();
  entry.info.format = compressed.format();
  entry.info.compressed = true;
  entry.info.num_bytes = compressed.num_bytes();
  auto shared = std::make_shared<const CompressedTensor>(std::move(compressed));
  entry.load_compressed = [shared] { return *shared; };
  Put(std::move(entry));
}

void Model::Remove(const std::string& name) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->info.name == name) {
      entries_.erase(it);
      return;
    }
  }
}

void Model::Save(const std::string& path) const {
  switch (ModelFileFormatFromExtension(path)) {
    case ModelFileFormat::kSafetensors: return SaveSafetensors(path);
    case ModelFileFormat::kGguf: return SaveGguf(path);
    case ModelFileFormat::kLlama2c: return SaveLlama2c(path);
  }
}

void Model::SaveSafetensors(const std::string& path) const {
  RefuseToOverwrite(source_path_, path);
  detail::SaveSafetensorsModel(*this, path);
}
void Model::SaveGguf(const std::string& path) const {
  RefuseToOverwrite(source_path_, path);
  detail::SaveGgufModel(*this, path);
}
void Model::SaveLlama2c(const std::string& path) const {
  RefuseToOverwrite(source_path_, path);
  detail::SaveLlama2cModel(*this, path);
}

}  // namespace shrink
