// Parses and validates safetensors headers (nlohmann/json) and writes safetensors files.
#include "shrink/io/safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "shrink/core/convert.h"
#include "shrink/core/error.h"
#include "shrink/io/atomic_file.h"

namespace shrink {
namespace {

using Json = nlohmann::json;

constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // the reference implementation's limit
constexpr int kMaxJsonDepth = 8;  // a valid header needs 3 (root, entry, shape)
constexpr const char* kMetadataKey = "__metadata__";

// Pairs each supported dtype with its safetensors spelling.
struct DTypeName {
  DType dtype;
  const char* name;
};
constexpr DTypeName kDTypeNames[] = {
    {DType::kF32, "F32"},       {DType::kF16, "F16"},         {DType::kBF16, "BF16"},
    {DType::kF8E4M3, "F8_E4M3"}, {DType::kF8E5M2, "F8_E5M2"}, {DType::kI8, "I8"},
    {DType::kU8, "U8"},         {DType::kI16, "I16"},         {DType::kU16, "U16"},
    {DType::kI32, "I32"},       {DType::kI64, "I64"},         {DType::kF64, "F64"},
};
// Names the safetensors format defines but shrink cannot hold in a Tensor.
constexpr const char* kUnsupportedDTypeNames[] = {"BOOL", "U32",     "U64",
                                                  "C64",  "F8_E8M0", "F6_E2M3", "F6_E3M2",
                                                  "F4"};

const char* SafetensorsDTypeName(DType dtype) {
  for (const DTypeName& entry : kDTypeNames) {
    if (entry.dtype == dtype) return entry.name;
  }
  return "?";
}

// Returns the type of a JSON value in words, for error messages.
const char* JsonTypeName(const Json& value) {
  if (value.is_number_integer()) return "an integer";
  if (value.is_number_float()) return "a floating-point number";
  if (value.is_string()) return "a string";
  if (value.is_array()) return "an array";
  if (value.is_object()) return "an object";
  if (value.is_boolean()) return "a boolean";
  if (value.is_null()) return "null";
  return "an unknown JSON value";
}

// Throws kCorruptData with a message that starts with the file's path.
template <typename... Parts>
[[noreturn]] void Corrupt(const std::string& path, const Parts&... parts) {
  Fail(ErrorCode::kCorruptData, "safetensors file '", path, "': ", parts...);
}

// Returns the value of a JSON non-negative integer, or false when it is anything else.
bool GetUnsigned(const Json& value, uint64_t* out) {
  if (value.is_number_unsigned()) {
    *out = value.get<uint64_t>();
    return true;
  }
  if (value.is_number_integer()) {
    const auto v = value.get<int64_t>();
    if (v < 0) return false;
    *out = static_cast<uint64_t>(v);
    return true;
  }
  return false;
}

// Parses the JSON header text, rejecting deep nesting and duplicate keys while parsing.
Json ParseHeaderJson(const std::string& path, const char* begin, const char* end) {
  // keys_by_depth[d] holds the keys seen so far in the object open at depth d - 1.
  std::vector<std::set<std::string>> keys_by_depth(kMaxJsonDepth + 2);
  auto callback = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start) {
      if (depth >= kMaxJsonDepth) {
        Corrupt(path, "JSON header nests deeper than ", kMaxJsonDepth, " levels");
      }
      if (event == Json::parse_event_t::object_start) {
        keys_by_depth[static_cast<size_t>(depth) + 1].clear();
      }
    } else if (event == Json::parse_event_t::key && depth >= 0 && depth <= kMaxJsonDepth) {
      auto& keys = keys_by_depth[static_cast<size_t>(depth)];
      const auto& key = parsed.get_ref<const std::string&>();
      if (!keys.insert(key).second) Corrupt(path, "JSON header has the key '", key, "' twice");
    }
    return true;
  };
  try {
    return Json::parse(begin, end, callback, /*allow_exceptions=*/true);
  } catch (const Json::exception& e) {
    Corrupt(path, "header is not valid JSON: ", e.what());
  }
}

// Validates one tensor entry of the header and returns it with its offset relative to the
// data buffer.
SafetensorsEntry ParseEntry(const std::string& path, const std::string& name, const Json& value,
                            uint64_t data_size) {
  if (!value.is_object()) Corrupt(path, "tensor '", name, "' is ", JsonTypeName(value), ", expected an object");
  SafetensorsEntry entry;
  entry.name = name;

  const auto dtype_it = value.find("dtype");
  if (dtype_it == value.end()) Corrupt(path, "tensor '", name, "' has no \"dtype\"");
  if (!dtype_it->is_string()) {
    Corrupt(path, "tensor '", name, "' has a \"dtype\" that is ", JsonTypeName(*dtype_it), ", expected a string");
  }
  const auto& dtype_name = dtype_it->get_ref<const std::string&>();
  bool found = false;
  for (const DTypeName& known : kDTypeNames) {
    if (dtype_name == known.name) {
      entry.dtype = known.dtype;
      found = true;
    }
  }
  if (!found) {
    for (const char* unsupported : kUnsupportedDTypeNames) {
      if (dtype_name == unsupported) {
        Fail(ErrorCode::kUnsupported, "safetensors file '", path, "': tensor '", name, "' has dtype ",
             dtype_name, ", which shrink does not support (supported: F32 F16 BF16 F8_E4M3 F8_E5M2 "
             "I8 U8 I16 U16 I32 I64)");
      }
    }
    Corrupt(path, "tensor '", name, "' has an unknown dtype '", dtype_name,
            "' (expected one of F32 F16 BF16 F8_E4M3 F8_E5M2 I8 U8 I16 U16 I32 I64)");
  }

  const auto shape_it = value.find("shape");
  if (shape_it == value.end()) Corrupt(path, "tensor '", name, "' has no \"shape\"");
  if (!shape_it->is_array()) {
    Corrupt(path, "tensor '", name, "' has a \"shape\" that is ", JsonTypeName(*shape_it), ", expected an array");
  }
  if (shape_it->size() > static_cast<size_t>(Shape::kMaxRank)) {
    Corrupt(path, "tensor '", name, "' has a shape of rank ", shape_it->size(), ", more than the ",
            Shape::kMaxRank, " dimensions shrink supports");
  }
  std::vector<int64_t> dims;
  uint64_t num_elements = 1;
  bool overflow = false;
  for (size_t i = 0; i < shape_it->size(); ++i) {
    const Json& dim_json = (*shape_it)[i];
    uint64_t dim = 0;
    if (!GetUnsigned(dim_json, &dim)) {
      Corrupt(path, "tensor '", name, "' has shape dimension ", i, " = ", dim_json.dump(),
              ", expected a non-negative integer");
    }
    if (dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) overflow = true;
    if (dim != 0 && num_elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / dim) {
      overflow = true;
    }
    if (!overflow) num_elements *= dim;
    dims.push_back(static_cast<int64_t>(dim));
  }
  // A zero dimension anywhere makes the count 0 even if other dimensions are huge; shrink's
  // Shape still refuses an overflowing product, so reject those too.
  if (overflow) {
    Corrupt(path, "tensor '", name, "' has shape ", shape_it->dump(), " whose element count overflows 64 bits");
  }
  entry.shape = Shape(dims.begin(), dims.end());
  const uint64_t dtype_size = DTypeSize(entry.dtype);
  if (num_elements > std::numeric_limits<uint64_t>::max() / dtype_size) {
    Corrupt(path, "tensor '", name, "' has shape ", shape_it->dump(), " whose byte size overflows 64 bits");
  }
  const uint64_t expected_bytes = num_elements * dtype_size;

  const auto offsets_it = value.find("data_offsets");
  if (offsets_it == value.end()) Corrupt(path, "tensor '", name, "' has no \"data_offsets\"");
  uint64_t begin = 0;
  uint64_t end = 0;
  if (!offsets_it->is_array() || offsets_it->size() != 2 || !GetUnsigned((*offsets_it)[0], &begin) ||
      !GetUnsigned((*offsets_it)[1], &end)) {
    Corrupt(path, "tensor '", name, "' has \"data_offsets\" ", offsets_it->dump(),
            ", expected an array of two non-negative integers [begin, end]");
  }
  if (end < begin) {
    Corrupt(path, "tensor '", name, "' has data_offsets [", begin, ", ", end, "] whose end is before its begin");
  }
  if (end - begin != expected_bytes) {
    Corrupt(path, "tensor '", name, "' has data_offsets [", begin, ", ", end, "] spanning ", end - begin,
            " bytes, but shape ", entry.shape.ToString(), " of ", dtype_name, " needs ", expected_bytes,
            " bytes");
  }
  if (end > data_size) {
    Corrupt(path, "tensor '", name, "' has data_offsets [", begin, ", ", end,
            "] whose end is past the end of the data buffer (", data_size, " bytes)");
  }
  entry.offset = begin;
  entry.num_bytes = expected_bytes;
  return entry;
}

}  // namespace

SafetensorsReader SafetensorsReader::Open(const std::string& path) {
  return FromMapped(MappedFile::Open(path));
}

SafetensorsReader SafetensorsReader::FromMapped(std::shared_ptr<const MappedFile> file) {
  if (file == nullptr) Fail(ErrorCode::kInvalidArgument, "SafetensorsReader::FromMapped got a null file");
  const std::string& path = file->path();
  const uint64_t file_size = file->size();
  if (file_size < 8) {
    Corrupt(path, "the file is ", file_size, " bytes, shorter than the 8-byte header length");
  }
  const uint8_t* base = file->data();
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | base[i];
  if (header_size > file_size - 8) {
    Corrupt(path, "header length ", header_size, " runs past the end of the file (",
            file_size - 8, " bytes follow the length)");
  }
  if (header_size > kMaxHeaderBytes) {
    Corrupt(path, "header length ", header_size, " exceeds the limit of ", kMaxHeaderBytes, " bytes");
  }
  const uint64_t data_start = 8 + header_size;
  const uint64_t data_size = file_size - data_start;
  const char* text = reinterpret_cast<const char*>(base + 8);
  const Json header = ParseHeaderJson(path, text, text + header_size);
  if (!header.is_object()) Corrupt(path, "header is ", JsonTypeName(header), ", expected a JSON object");

  SafetensorsReader reader;
  reader.file_ = std::move(file);
  for (const auto& [key, value] : header.items()) {
    if (key == kMetadataKey) {
      if (!value.is_object()) {
        Corrupt(path, "\"", kMetadataKey, "\" is ", JsonTypeName(value), ", expected an object of strings");
      }
      for (const auto& [meta_key, meta_value] : value.items()) {
        if (!meta_value.is_string()) {
          Corrupt(path, "metadata value of '", meta_key, "' is ", JsonTypeName(meta_value),
                  ", expected a string");
        }
        reader.metadata_[meta_key] = meta_value.get<std::string>();
      }
      continue;
    }
    reader.entries_.push_back(ParseEntry(path, key, value, data_size));
  }

  // Sorts by (begin, end) and requires the entries to tile the buffer exactly.
  std::sort(reader.entries_.begin(), reader.entries_.end(),
            [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
              return a.offset != b.offset ? a.offset < b.offset : a.num_bytes < b.num_bytes;
            });
  uint64_t covered = 0;
  const SafetensorsEntry* previous = nullptr;
  for (const SafetensorsEntry& entry : reader.entries_) {
    if (entry.offset < covered) {
      Corrupt(path, "tensor '", entry.name, "' (bytes [", entry.offset, ", ", entry.offset + entry.num_bytes,
              ")) overlaps tensor '", previous->name, "' (bytes [", previous->offset, ", ", covered,
              ")) in the data buffer");
    }
    if (entry.offset > covered) {
      if (previous == nullptr) {
        Corrupt(path, "gap of ", entry.offset, " bytes at the start of the data buffer before tensor '",
                entry.name, "' (the data buffer must be fully covered)");
      }
      Corrupt(path, "gap of ", entry.offset - covered, " bytes between tensor '", previous->name,
              "' (ends at ", covered, ") and tensor '", entry.name, "' (begins at ", entry.offset,
              "); the data buffer must be fully covered");
    }
    covered = entry.offset + entry.num_bytes;
    previous = &entry;
  }
  if (covered != data_size) {
    Corrupt(path, "bytes [", covered, ", ", data_size, ") at the end of the data buffer are not covered by "
            "any tensor (the data buffer must be fully covered)");
  }
  for (size_t i = 0; i < reader.entries_.size(); ++i) {
    SafetensorsEntry& entry = reader.entries_[i];
    entry.offset += data_start;
    reader.index_.emplace(entry.name, i);
  }
  return reader;
}

const SafetensorsEntry* SafetensorsReader::Find(const std::string& name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

const SafetensorsEntry& SafetensorsReader::Get(const std::string& name) const {
  const SafetensorsEntry* entry = Find(name);
  if (entry == nullptr) {
    Fail(ErrorCode::kNotFound, "tensor '", name, "' not found in safetensors file '", file_->path(), "'");
  }
  return *entry;
}

const uint8_t* SafetensorsReader::Bytes(const SafetensorsEntry& entry) const {
  return file_->data() + entry.offset;
}

Tensor SafetensorsReader::Read(const std::string& name) const {
  const SafetensorsEntry& entry = Get(name);
  Tensor tensor(entry.dtype, entry.shape);
  if (entry.num_bytes != 0) std::memcpy(tensor.bytes(), Bytes(entry), entry.num_bytes);
  return tensor;
}

Tensor SafetensorsReader::ReadF32(const std::string& name) const {
  const SafetensorsEntry& entry = Get(name);
  Tensor tensor(DType::kF32, entry.shape);
  const auto count = static_cast<size_t>(entry.shape.num_elements());
  if (count != 0) ConvertToF32(entry.dtype, Bytes(entry), tensor.data<float>(), count);
  return tensor;
}

void SafetensorsWriter::SetMetadata(const std::string& key, const std::string& value) {
  metadata_[key] = value;
}

void SafetensorsWriter::Add(const std::string& name, DType dtype, const Shape& shape, const void* data) {
  if (name.empty()) Fail(ErrorCode::kInvalidArgument, "safetensors tensor name is empty");
  if (name == kMetadataKey) {
    Fail(ErrorCode::kInvalidArgument, "safetensors tensor name '", name, "' is reserved for metadata");
  }
  for (const Pending& pending : tensors_) {
    if (pending.name == name) Fail(ErrorCode::kInvalidArgument, "safetensors tensor '", name, "' added twice");
  }
  const auto count = static_cast<uint64_t>(shape.num_elements());
  if (count > std::numeric_limits<uint64_t>::max() / DTypeSize(dtype)) {
    Fail(ErrorCode::kInvalidArgument, "safetensors tensor '", name, "' of shape ", shape.ToString(),
         " is too large");
  }
  if (count != 0 && data == nullptr) {
    Fail(ErrorCode::kInvalidArgument, "safetensors tensor '", name, "' has ", count, " elements but no data");
  }
  tensors_.push_back(Pending{name, dtype, shape, data, count * DTypeSize(dtype)});
}

void SafetensorsWriter::Add(const std::string& name, const Tensor& tensor) {
  Add(name, tensor.dtype(), tensor.shape(), tensor.bytes());
}

void SafetensorsWriter::Write(const std::string& path) const {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata_.empty()) {
    nlohmann::ordered_json meta = nlohmann::ordered_json::object();
    for (const auto& [key, value] : metadata_) meta[key] = value;
    header[kMetadataKey] = std::move(meta);
  }
  uint64_t offset = 0;
  for (const Pending& pending : tensors_) {
    nlohmann::ordered_json entry = nlohmann::ordered_json::object();
    entry["dtype"] = SafetensorsDTypeName(pending.dtype);
    nlohmann::ordered_json shape = nlohmann::ordered_json::array();
    for (int64_t dim : pending.shape) shape.push_back(dim);
    entry["shape"] = std::move(shape);
    entry["data_offsets"] = {offset, offset + pending.num_bytes};
    header[pending.name] = std::move(entry);
    offset += pending.num_bytes;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::ordered_json::exception& e) {
    Fail(ErrorCode::kInvalidArgument, "cannot write safetensors file '", path,
         "': a tensor name or metadata string is not valid UTF-8 (", e.what(), ")");
  }
  text.append((8 - (8 + text.size()) % 8) % 8, ' ');
  uint8_t length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<uint8_t>(static_cast<uint64_t>(text.size()) >> (8 * i));

  AtomicFileWriter out(path);
  out.Write(length, sizeof(length));
  out.Write(text.data(), text.size());
  for (const Pending& pending : tensors_) out.Write(pending.data, pending.num_bytes);
  out.Commit();
}

}  // namespace shrink
