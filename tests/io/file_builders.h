// Test helpers that craft safetensors and GGUF files byte by byte (valid and broken).
#ifndef SHRINK_TESTS_IO_FILE_BUILDERS_H_
#define SHRINK_TESTS_IO_FILE_BUILDERS_H_

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace shrink::testing {

// Appends little-endian fields to a byte vector.
class ByteWriter {
 public:
  ByteWriter& U8(uint8_t v) { return UInt(v, 1); }
  ByteWriter& U16(uint16_t v) { return UInt(v, 2); }
  ByteWriter& U32(uint32_t v) { return UInt(v, 4); }
  ByteWriter& U64(uint64_t v) { return UInt(v, 8); }
  ByteWriter& F32(float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, sizeof(bits));
    return U32(bits);
  }
  // Appends a GGUF string: u64 length, then the bytes.
  ByteWriter& Str(const std::string& s) {
    U64(s.size());
    return Raw(s.data(), s.size());
  }
  ByteWriter& Raw(const void* data, size_t n) {
    const auto* p = static_cast<const uint8_t*>(data);
    bytes_.insert(bytes_.end(), p, p + n);
    return *this;
  }
  ByteWriter& Raw(const std::vector<uint8_t>& data) { return Raw(data.data(), data.size()); }
  ByteWriter& Zeros(size_t n) {
    bytes_.insert(bytes_.end(), n, 0);
    return *this;
  }
  // Appends zeros up to the next multiple of `alignment`.
  ByteWriter& PadTo(uint64_t alignment) { return Zeros((alignment - bytes_.size() % alignment) % alignment); }
  const std::vector<uint8_t>& bytes() const { return bytes_; }
  size_t size() const { return bytes_.size(); }

 private:
  ByteWriter& UInt(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) bytes_.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  std::vector<uint8_t> bytes_;
};

// Returns a safetensors file: u64 length of `header_json`, the header, then `data`.
inline std::vector<uint8_t> SafetensorsBytes(const std::string& header_json, const std::vector<uint8_t>& data) {
  ByteWriter w;
  w.U64(header_json.size()).Raw(header_json.data(), header_json.size()).Raw(data);
  return w.bytes();
}

// Returns one encoded GGUF key-value pair with a raw payload after the type tag.
inline std::vector<uint8_t> GgufKv(const std::string& key, uint32_t type, const std::vector<uint8_t>& payload) {
  ByteWriter w;
  w.Str(key).U32(type).Raw(payload);
  return w.bytes();
}
inline std::vector<uint8_t> GgufKvU32(const std::string& key, uint32_t value) {
  return GgufKv(key, 4, ByteWriter().U32(value).bytes());
}
inline std::vector<uint8_t> GgufKvString(const std::string& key, const std::string& value) {
  return GgufKv(key, 8, ByteWriter().Str(value).bytes());
}

// Describes one tensor info of a crafted GGUF file (ne in ggml order, fastest first).
struct GgufTensorSpec {
  std::string name;
  std::vector<uint64_t> ne;
  uint32_t type = 0;
  uint64_t offset = 0;
};

// Describes a crafted GGUF file; every field can be set to something broken.
struct GgufFileSpec {
  std::string magic = "GGUF";
  uint32_t version = 3;
  std::optional<uint64_t> tensor_count;  // defaults to tensors.size()
  std::optional<uint64_t> kv_count;      // defaults to kvs.size()
  std::vector<std::vector<uint8_t>> kvs;
  std::vector<GgufTensorSpec> tensors;
  uint64_t alignment = 32;      // padding before the data section
  std::vector<uint8_t> data;    // the data section
};

// Returns the bytes of the file `spec` describes.
inline std::vector<uint8_t> BuildGguf(const GgufFileSpec& spec) {
  ByteWriter w;
  w.Raw(spec.magic.data(), spec.magic.size()).U32(spec.version);
  w.U64(spec.tensor_count.value_or(spec.tensors.size())).U64(spec.kv_count.value_or(spec.kvs.size()));
  for (const auto& kv : spec.kvs) w.Raw(kv);
  for (const GgufTensorSpec& t : spec.tensors) {
    w.Str(t.name).U32(static_cast<uint32_t>(t.ne.size()));
    for (uint64_t d : t.ne) w.U64(d);
    w.U32(t.type).U64(t.offset);
  }
  w.PadTo(spec.alignment).Raw(spec.data);
  return w.bytes();
}

// Returns a small valid GGUF description: three kvs (string, u32, string array) and two f32
// tensors "a" (ne [8, 2]) and "b" (ne [32]) whose data ends exactly at the end of the file.
inline GgufFileSpec ValidGgufSpec() {
  GgufFileSpec spec;
  spec.kvs.push_back(GgufKvString("general.architecture", "llama"));
  spec.kvs.push_back(GgufKvU32("llama.block_count", 5));
  spec.kvs.push_back(GgufKv("tokenizer.ggml.tokens", 9, ByteWriter().U32(8).U64(2).Str("<s>").Str("</s>").bytes()));
  spec.tensors.push_back({"a", {8, 2}, 0, 0});
  spec.tensors.push_back({"b", {32}, 0, 64});
  ByteWriter data;
  for (int i = 0; i < 16 + 32; ++i) data.F32(static_cast<float>(i) * 0.5f);
  spec.data = data.bytes();
  return spec;
}

}  // namespace shrink::testing

#endif  // SHRINK_TESTS_IO_FILE_BUILDERS_H_
