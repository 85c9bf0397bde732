// Reads (lazily, via mmap) and writes (atomically) safetensors files.
#ifndef SHRINK_IO_SAFETENSORS_H_
#define SHRINK_IO_SAFETENSORS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "shrink/core/dtype.h"
#include "shrink/core/shape.h"
#include "shrink/core/tensor.h"
#include "shrink/io/mapped_file.h"

namespace shrink {

// Describes one tensor of a safetensors file.
struct SafetensorsEntry {
  std::string name;
  DType dtype = DType::kF32;
  Shape shape;
  uint64_t offset = 0;     // absolute byte offset of the first element in the file
  uint64_t num_bytes = 0;  // number of elements * DTypeSize(dtype)
};

// Reads a safetensors file (https://github.com/huggingface/safetensors): an 8-byte
// little-endian header length N, N bytes of JSON, then the data buffer. Open() maps the file
// and validates the whole header (JSON, dtypes, shapes, offsets, full coverage of the
// buffer without holes or overlaps) but reads no tensor data; tensors are copied or viewed
// on demand. The JSON header is limited to 100 MB and a nesting depth of 8. Copies share
// the mapping.
class SafetensorsReader {
 public:
  // Maps and validates the file at `path`; throws kNotFound, kIo, or kCorruptData with a
  // message naming the file, the entry and the bad value.
  static SafetensorsReader Open(const std::string& path);
  // Validates an already mapped file (same errors as Open).
  static SafetensorsReader FromMapped(std::shared_ptr<const MappedFile> file);

  // Returns the tensors in file order (sorted by offset).
  const std::vector<SafetensorsEntry>& entries() const { return entries_; }
  // Returns the entry called `name`, or nullptr if there is none.
  const SafetensorsEntry* Find(const std::string& name) const;
  // Returns the string -> string map stored under "__metadata__" (empty if absent).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // Returns a pointer to the first byte of `entry` inside the mapping (no copy; valid while
  // file() lives). `entry` must come from this reader. The bytes may be unaligned.
  const uint8_t* Bytes(const SafetensorsEntry& entry) const;
  // Returns an owning copy of tensor `name` in its stored dtype; throws kNotFound if absent.
  Tensor Read(const std::string& name) const;
  // Returns tensor `name` converted to f32 (any stored dtype, integers included); throws
  // kNotFound if absent.
  Tensor ReadF32(const std::string& name) const;
  // Returns the mapping the entries point into.
  const std::shared_ptr<const MappedFile>& file() const { return file_; }

 private:
  SafetensorsReader() = default;
  const SafetensorsEntry& Get(const std::string& name) const;

  std::shared_ptr<const MappedFile> file_;
  std::vector<SafetensorsEntry> entries_;
  std::map<std::string, size_t> index_;  // name -> position in entries_
  std::map<std::string, std::string> metadata_;
};

// Collects tensors and metadata and writes them as one safetensors file. The header lists
// "__metadata__" first and then the tensors in the order added; the data of each tensor
// follows the previous one without gaps, and the header is padded with spaces so the data
// buffer starts at a multiple of 8 bytes.
class SafetensorsWriter {
 public:
  // Sets metadata `key` to `value` (replacing an earlier value).
  void SetMetadata(const std::string& key, const std::string& value);
  // Adds a tensor whose num_elements * DTypeSize(dtype) bytes start at `data`; `data` is
  // borrowed (not copied) and must stay valid until Write returns. Throws kInvalidArgument
  // for an empty name, "__metadata__", a duplicate name, or a null `data` with elements.
  void Add(const std::string& name, DType dtype, const Shape& shape, const void* data);
  // Adds `tensor` (borrowed like the overload above; it must outlive Write).
  void Add(const std::string& name, const Tensor& tensor);
  // Writes the file to `path` through an AtomicFileWriter (nothing is left at `path` if it
  // fails); throws kIo on write errors.
  void Write(const std::string& path) const;

 private:
  struct Pending {
    std::string name;
    DType dtype;
    Shape shape;
    const void* data;
    uint64_t num_bytes;
  };
  std::vector<Pending> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace shrink

#endif  // SHRINK_IO_SAFETENSORS_H_
