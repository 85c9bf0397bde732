// Model reader and writer for safetensors: plain tensors, shrink's compressed tensors (one
// entry per section, described in __metadata__) and the architecture config.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "shrink/io/safetensors.h"
#include "src/io/gguf_json.h"
#include "src/io/model_hf.h"
#include "src/io/model_formats.h"

namespace shrink::detail {
namespace {

using Json = nlohmann::json;

constexpr const char* kConfigKey = "shrink.config";
constexpr const char* kCompressedPrefix = "shrink.compressed.";
constexpr const char* kGgufKey = "shrink.gguf";  // GGUF key-values carried through safetensors

// Returns the safetensors entry name of `section` of compressed tensor `tensor`:
// "blk.0.attn_q.weight" + "packed" -> "blk.0.attn_q.weight_packed" (compressed-tensors' naming).
std::string SectionEntryName(const std::string& tensor, const std::string& section) {
  return tensor + "_" + section;
}


// Parses `text` as JSON or throws kCorruptData naming `what` and `path`.
Json ParseJson(const std::string& text, const std::string& what, const std::string& path) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    Fail(ErrorCode::kCorruptData, path, ": metadata ", what, " is not a JSON object");
  }
  return j;
}

// Returns j[key] as T or throws kCorruptData naming the key.
template <typename T>
T Field(const Json& j, const char* key, const std::string& what, const std::string& path) {
  auto it = j.find(key);
  if (it == j.end()) Fail(ErrorCode::kCorruptData, path, ": ", what, " lacks '", key, "'");
  try {
    return it->get<T>();
  } catch (const std::exception&) {
    Fail(ErrorCode::kCorruptData, path, ": ", what, " field '", key, "' has the wrong type");
  }
}

ModelConfig ConfigFromJson(const std::string& text, const std::string& path) {
  const Json j = ParseJson(text, kConfigKey, path);
  ModelConfig c;
  c.architecture = Field<std::string>(j, "architecture", kConfigKey, path);
  c.dim = Field<int64_t>(j, "dim", kConfigKey, path);
  c.hidden_dim = Field<int64_t>(j, "hidden_dim", kConfigKey, path);
  c.n_layers = Field<int64_t>(j, "n_layers", kConfigKey, path);
  c.n_heads = Field<int64_t>(j, "n_heads", kConfigKey, path);
  c.n_kv_heads = Field<int64_t>(j, "n_kv_heads", kConfigKey, path);
  c.vocab_size = Field<int64_t>(j, "vocab_size", kConfigKey, path);
  c.seq_len = Field<int64_t>(j, "seq_len", kConfigKey, path);
  c.norm_eps = Field<double>(j, "norm_eps", kConfigKey, path);
  c.rope_theta = Field<double>(j, "rope_theta", kConfigKey, path);
  c.tied_embeddings = Field<bool>(j, "tied_embeddings", kConfigKey, path);
  if (c.dim <= 0 || c.n_heads <= 0 || c.n_kv_heads <= 0 || c.n_layers <= 0 || c.dim % c.n_heads != 0 ||
      c.n_heads % c.n_kv_heads != 0) {
    Fail(ErrorCode::kCorruptData, path, ": ", kConfigKey, " has inconsistent dimensions");
  }
  return c;
}

// Describes a compressed tensor stored in a safetensors file (from its metadata entry).
struct StoredCompressed {
  std::string name;
  std::string format;
  Shape shape;
  std::vector<const SafetensorsEntry*> sections;  // in section order
  std::vector<std::string> section_names;
  std::map<std::string, std::string> meta;
};

StoredCompressed ParseCompressed(const std::string& name, const std::string& text,
                                 const SafetensorsReader& reader) {
  const std::string& path = reader.file()->path();
  const std::string what = "compressed tensor '" + name + "'";
  const Json j = ParseJson(text, what, path);
  StoredCompressed sc;
  sc.name = name;
  sc.format = Field<std::string>(j, "format", what, path);
  try {
    const auto dims = Field<std::vector<int64_t>>(j, "shape", what, path);
    sc.shape = Shape(dims.begin(), dims.end());
  } catch (const Error& e) {
    Fail(ErrorCode::kCorruptData, path, ": ", what, " has a bad shape: ", e.message());
  }
  for (const auto& section : Field<std::vector<std::string>>(j, "sections", what, path)) {
    const SafetensorsEntry* entry = reader.Find(SectionEntryName(name, section));
    if (entry == nullptr) {
      Fail(ErrorCode::kCorruptData, path, ": ", what, " lists section '", section, "' but the file has no entry '",
           SectionEntryName(name, section), "'");
    }
    sc.sections.push_back(entry);
    sc.section_names.push_back(section);
  }
  sc.meta = Field<std::map<std::string, std::string>>(j, "meta", what, path);
  return sc;
}

}  // namespace

Model LoadSafetensorsModel(std::shared_ptr<const MappedFile> file) {
  auto reader = std::make_shared<const SafetensorsReader>(SafetensorsReader::FromMapped(file));
  const std::string& path = file->path();
  Model model;
  std::map<std::string, std::string> passthrough;
  std::map<const SafetensorsEntry*, StoredCompressed> compressed_by_first_section;
  std::set<const SafetensorsEntry*> consumed;
  for (const auto& [key, value] : reader->metadata()) {
    if (key == kConfigKey) {
      model.set_config(ConfigFromJson(value, path));
    } else if (key == kGgufKey) {
      model.set_gguf_metadata(GgufMetadataFromJson(value, path));
    } else if (key.rfind(kCompressedPrefix, 0) == 0) {
      StoredCompressed sc = ParseCompressed(key.substr(std::string(kCompressedPrefix).size()), value, *reader);
      if (sc.sections.empty()) Fail(ErrorCode::kCorruptData, path, ": compressed tensor '", sc.name, "' has no sections");
      for (const SafetensorsEntry* s : sc.sections) {
        if (!consumed.insert(s).second) {
          Fail(ErrorCode::kCorruptData, path, ": entry '", s->name, "' is claimed by two compressed tensors");
        }
      }
      const SafetensorsEntry* first = *std::min_element(
          sc.sections.begin(), sc.sections.end(), [](auto* a, auto* b) { return a->offset < b->offset; });
      compressed_by_first_section.emplace(first, std::move(sc));
    } else {
      passthrough[key] = value;
    }
  }
  for (const SafetensorsEntry& e : reader->entries()) {  // file order
    auto it = compressed_by_first_section.find(&e);
    if (it != compressed_by_first_section.end()) {
      const StoredCompressed& sc = it->second;
      Model::Entry entry;
      entry.info.name = sc.name;
      entry.info.shape = sc.shape;
      entry.info.format = sc.format;
      entry.info.compressed = true;
      for (const SafetensorsEntry* s : sc.sections) entry.info.num_bytes += s->num_bytes;
      entry.load_compressed = [reader, sc] {
        CompressedTensor ct(sc.format, sc.shape);
        for (size_t i = 0; i < sc.sections.size(); ++i) {
          const SafetensorsEntry* s = sc.sections[i];
          const uint8_t* bytes = reader->Bytes(*s);
          ct.AddSection({sc.section_names[i], s->dtype, s->shape, std::vector<uint8_t>(bytes, bytes + s->num_bytes)});
        }
        for (const auto& [k, v] : sc.meta) ct.SetMeta(k, v);
        return ct;
      };
      model.AddEntry(std::move(entry));
      continue;
    }
    if (consumed.count(&e)) continue;
    Model::Entry entry;
    entry.info.name = e.name;
    entry.info.shape = e.shape;
    entry.info.format = DTypeName(e.dtype);
    entry.info.dtype = e.dtype;
    entry.info.num_bytes = e.num_bytes;
    entry.stored = reader->Bytes(e);
    model.AddEntry(std::move(entry));
  }
  model.set_string_metadata(std::move(passthrough));
  model.KeepAlive(reader);
  AdoptHuggingFaceLlama(model, path);
  return model;
}

void SaveSafetensorsModel(const Model& model, const std::string& path) {
  SafetensorsWriter writer;
  for (const auto& [key, value] : model.string_metadata()) writer.SetMetadata(key, value);
  if (model.config()) writer.SetMetadata(kConfigKey, shrink::ModelConfigToJson(*model.config()));
  if (!model.gguf_metadata().empty()) writer.SetMetadata(kGgufKey, GgufMetadataToJson(model.gguf_metadata()));
  std::vector<CompressedTensor> compressed;  // owns section bytes until Write
  compressed.reserve(model.entries().size());
  for (const Model::Entry& e : model.entries()) {
    if (e.info.compressed) {
      compressed.push_back(e.load_compressed());
      const CompressedTensor& ct = compressed.back();
      Json sections = Json::array();
      for (const CompressedSection& s : ct.sections()) {
        writer.Add(SectionEntryName(e.info.name, s.name), s.dtype, s.shape, s.bytes.data());
        sections.push_back(s.name);
      }
      const Json desc = {{"format", ct.format()},
                         {"shape", std::vector<int64_t>(ct.shape().begin(), ct.shape().end())},
                         {"sections", sections},
                         {"meta", ct.metadata()}};
      writer.SetMetadata(kCompressedPrefix + e.info.name, desc.dump());
      continue;
    }
    if (!e.info.dtype) {
      Fail(ErrorCode::kUnsupported, "tensor '", e.info.name, "' holds ggml ", e.info.format,
           " blocks, which safetensors cannot store; decompress it first");
    }
    writer.Add(e.info.name, *e.info.dtype, e.info.shape, e.stored);
  }
  writer.Write(path);
}

}  // namespace shrink::detail

namespace shrink {

std::string ModelConfigToJson(const ModelConfig& c) {
  return nlohmann::json{{"architecture", c.architecture}, {"dim", c.dim},           {"hidden_dim", c.hidden_dim},
              {"n_layers", c.n_layers},         {"n_heads", c.n_heads},   {"n_kv_heads", c.n_kv_heads},
              {"vocab_size", c.vocab_size},     {"seq_len", c.seq_len},   {"norm_eps", c.norm_eps},
              {"rope_theta", c.rope_theta},     {"tied_embeddings", c.tied_embeddings}}
      .dump();
}

}  // namespace shrink
