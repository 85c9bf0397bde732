// CompressedTensor: a compressor's output, as a format name, logical shape, named byte
// sections and metadata; io/compressed_io.h stores it as ordinary safetensors entries.
#ifndef SHRINK_COMPRESSED_TENSOR_H_
#define SHRINK_COMPRESSED_TENSOR_H_

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "shrink/core/dtype.h"
#include "shrink/core/error.h"
#include "shrink/core/shape.h"

namespace shrink {

// Is one named array of a compressed tensor (codes, scales, zeros, indices, U, V...).
// `dtype` and `shape` describe how the bytes are stored in a file; bytes.size() must equal
// shape.num_elements() * DTypeSize(dtype).
struct CompressedSection {
  std::string name;
  DType dtype = DType::kU8;
  Shape shape;
  std::vector<uint8_t> bytes;
};

// Holds one compressed weight: which format made it, the logical (decompressed) shape,
// its sections in a fixed order and string metadata (the options needed to decode it).
class CompressedTensor {
 public:
  CompressedTensor() = default;
  CompressedTensor(std::string format, Shape shape) : format_(std::move(format)), shape_(shape) {}

  const std::string& format() const { return format_; }
  const Shape& shape() const { return shape_; }
  const std::vector<CompressedSection>& sections() const { return sections_; }
  std::vector<CompressedSection>& mutable_sections() { return sections_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  // Appends a zero-filled section of `dtype` and `shape` and returns its bytes; throws
  // kInvalidArgument if a section of that name exists.
  uint8_t* AddSection(const std::string& name, DType dtype, const Shape& shape) {
    if (FindSection(name)) Fail(ErrorCode::kInvalidArgument, "section '", name, "' added twice");
    CompressedSection section;
    section.name = name;
    section.dtype = dtype;
    section.shape = shape;
    section.bytes.assign(static_cast<size_t>(shape.num_elements()) * DTypeSize(dtype), 0);
    sections_.push_back(std::move(section));
    return sections_.back().bytes.data();
  }
  // Appends a section that already holds its bytes (validated by Validate callers).
  void AddSection(CompressedSection section) { sections_.push_back(std::move(section)); }

  // Returns the section called `name`, or nullptr.
  const CompressedSection* FindSection(const std::string& name) const {
    for (const auto& s : sections_) {
      if (s.name == name) return &s;
    }
    return nullptr;
  }
  // Returns the section called `name`, checking its dtype and byte count; throws
  // kCorruptData naming the section when it is missing or its size is not `num_bytes`.
  const CompressedSection& Section(const std::string& name, DType dtype, size_t num_bytes) const {
    const CompressedSection* s = FindSection(name);
    if (s == nullptr) Fail(ErrorCode::kCorruptData, format_, " tensor has no '", name, "' section");
    if (s->dtype != dtype || s->bytes.size() != num_bytes) {
      Fail(ErrorCode::kCorruptData, format_, " section '", name, "' is ", s->bytes.size(), " bytes of ",
           DTypeName(s->dtype), ", expected ", num_bytes, " bytes of ", DTypeName(dtype));
    }
    return *s;
  }

  void SetMeta(const std::string& key, const std::string& value) { metadata_[key] = value; }
  // Returns metadata `key`; throws kCorruptData if absent.
  const std::string& Meta(const std::string& key) const {
    auto it = metadata_.find(key);
    if (it == metadata_.end()) Fail(ErrorCode::kCorruptData, format_, " tensor lacks metadata '", key, "'");
    return it->second;
  }

  // Returns metadata `key` as an integer in [min, max]; throws kCorruptData otherwise.
  int64_t MetaInt(const std::string& key, int64_t min, int64_t max) const {
    const std::string& text = Meta(key);
    int64_t value = 0;
    size_t used = 0;
    try {
      value = std::stoll(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != text.size() || value < min || value > max) {
      Fail(ErrorCode::kCorruptData, format_, " metadata '", key, "' = '", text, "' is not an integer in [", min,
           ", ", max, "]");
    }
    return value;
  }

  // Returns the total bytes of all sections (what the tensor costs in a file, sans names).
  size_t num_bytes() const {
    size_t n = 0;
    for (const auto& s : sections_) n += s.bytes.size();
    return n;
  }
  // Returns stored bits per logical element.
  double bits_per_weight() const {
    const auto n = shape_.num_elements();
    return n == 0 ? 0.0 : 8.0 * static_cast<double>(num_bytes()) / static_cast<double>(n);
  }

 private:
  std::string format_;
  Shape shape_;
  std::vector<CompressedSection> sections_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace shrink

#endif  // SHRINK_COMPRESSED_TENSOR_H_
