// Reads (lazily, via mmap) and writes (atomically) GGUF files, ggml's model format.
#ifndef SHRINK_IO_GGUF_H_
#define SHRINK_IO_GGUF_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shrink/core/dtype.h"
#include "shrink/core/shape.h"
#include "shrink/core/tensor.h"
#include "shrink/io/mapped_file.h"

namespace shrink {

struct GgufCodec;  // the reader's and writer's access to a value's bits (defined in gguf.cc)

// Is the type tag of a GGUF metadata value (the numbers are the file's encoding).
enum class GgufType : uint32_t {
  kU8 = 0,
  kI8 = 1,
  kU16 = 2,
  kI16 = 3,
  kU32 = 4,
  kI32 = 5,
  kF32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kU64 = 10,
  kI64 = 11,
  kF64 = 12,
};

// Returns the lower-case name of `type` ("u32", "string", "array", ...; "?" if invalid).
const char* GgufTypeName(GgufType type);

// Holds one metadata value: a scalar, a string, or an array of items that all have one
// element type (arrays of arrays are rejected). Scalars keep their exact bits, so a value
// read from a file is written back unchanged. Copies share strings and array items.
class GgufValue {
 public:
  // Makes a u32 zero.
  GgufValue() = default;

  // Each makes a scalar of the named type.
  static GgufValue U8(uint8_t value);
  static GgufValue I8(int8_t value);
  static GgufValue U16(uint16_t value);
  static GgufValue I16(int16_t value);
  static GgufValue U32(uint32_t value);
  static GgufValue I32(int32_t value);
  static GgufValue U64(uint64_t value);
  static GgufValue I64(int64_t value);
  static GgufValue F32(float value);
  static GgufValue F64(double value);
  static GgufValue Bool(bool value);
  // Makes a string value (GGUF strings are UTF-8 by convention; bytes are kept as given).
  static GgufValue String(std::string value);
  // Makes an array of `items`, each of type `element_type`; throws kInvalidArgument when
  // `element_type` is kArray or an item has another type.
  static GgufValue Array(GgufType element_type, std::vector<GgufValue> items);

  // Returns the type of this value.
  GgufType type() const { return type_; }
  // Returns the element type of an array (for a non-array: its own type).
  GgufType array_type() const { return type_ == GgufType::kArray ? array_type_ : type_; }
  // Returns true for the eight integer types (not bool).
  bool IsInteger() const;
  // Returns true for f32 and f64.
  bool IsFloat() const { return type_ == GgufType::kF32 || type_ == GgufType::kF64; }
  // Returns an integer value as int64; throws kInvalidArgument if this is not an integer
  // type or the value (a u64 above INT64_MAX) does not fit.
  int64_t AsInt() const;
  // Returns an integer value as uint64; throws kInvalidArgument if this is not an integer
  // type or the value is negative.
  uint64_t AsUInt() const;
  // Returns an integer or floating-point value as double; throws kInvalidArgument otherwise.
  double AsDouble() const;
  // Returns a bool value; throws kInvalidArgument for other types.
  bool AsBool() const;
  // Returns a string value; throws kInvalidArgument for other types.
  const std::string& AsString() const;
  // Returns the items of an array; throws kInvalidArgument for other types.
  const std::vector<GgufValue>& items() const;
  // Returns a one-line rendering for `shrink inspect`: numbers as written, strings quoted and
  // escaped (cut after 256 bytes with a note of the full length), arrays as
  // "[a, b, ... (N items)]" showing at most `max_items` items.
  std::string ToString(size_t max_items = 8) const;

  // Returns true when both values have the same type and the same bits or items.
  friend bool operator==(const GgufValue& a, const GgufValue& b);
  friend bool operator!=(const GgufValue& a, const GgufValue& b) { return !(a == b); }

 private:
  friend struct GgufCodec;
  GgufValue(GgufType type, uint64_t bits) : type_(type), bits_(bits) {}

  GgufType type_ = GgufType::kU32;
  GgufType array_type_ = GgufType::kU8;
  uint64_t bits_ = 0;  // scalars: the value's bits, zero-extended (signed ints sign-extended)
  std::shared_ptr<const std::string> string_;
  std::shared_ptr<const std::vector<GgufValue>> items_;
};

// Describes one ggml tensor type: its id in GGUF files, its name ("f32", "q4_0", ...), how
// many elements one block holds and how many bytes one block takes, and the DType it
// stores elements as, for the unblocked types (nullopt for quantized types and f64).
struct GgmlTypeInfo {
  uint32_t id;
  const char* name;
  int64_t block_size;  // elements per block
  size_t type_size;    // bytes per block
  std::optional<DType> dtype;
};

// Returns the facts about ggml type `id`, or nullptr if shrink does not know it.
const GgmlTypeInfo* FindGgmlType(uint32_t id);
// Returns the facts about the ggml type called `name` (as ggml spells it, e.g. "q4_K"), or
// nullptr if unknown.
const GgmlTypeInfo* FindGgmlTypeByName(std::string_view name);
// Returns the ggml type that stores `dtype` unchanged (F32=0 F16=1 BF16=30 I8=24 I16=25
// I32=26 I64=27), or nullopt for dtypes ggml has no type for.
std::optional<uint32_t> GgmlTypeForDType(DType dtype);

// Describes one tensor of a GGUF file.
struct GgufTensorInfo {
  std::string name;
  Shape shape;  // row-major, outermost first: ggml's ne reversed (ne = [cols, rows] -> {rows, cols})
  uint32_t ggml_type = 0;
  uint64_t offset = 0;     // absolute byte offset of the tensor's data in the file
  uint64_t num_bytes = 0;  // bytes of data (whole blocks)
};

// Reads a GGUF file (versions 2 and 3, little-endian). Open() maps the file and validates
// all metadata and tensor infos (counts, lengths, types, shapes, alignment, bounds, overlaps,
// duplicates) before anything is allocated from them, but reads no tensor data. Metadata
// arrays may hold at most 2^22 items in total (about 4M; real vocabularies need under 1M),
// which bounds the memory a hostile file can make the reader allocate. Copies share the
// mapping.
class GgufReader {
 public:
  // Maps and validates the file at `path`; throws kNotFound, kIo, or kCorruptData naming
  // the file, the key or tensor, and the bad value.
  static GgufReader Open(const std::string& path);
  // Validates an already mapped file (same errors as Open).
  static GgufReader FromMapped(std::shared_ptr<const MappedFile> file);

  // Returns the file's format version (2 or 3).
  uint32_t version() const { return version_; }
  // Returns the data alignment in bytes (general.alignment, default 32).
  uint64_t alignment() const { return alignment_; }
  // Returns the metadata key-value pairs in file order.
  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return metadata_; }
  // Returns the value of metadata `key`, or nullptr if absent.
  const GgufValue* FindMeta(const std::string& key) const;
  // Returns the tensors in file order (the order of the tensor infos).
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  // Returns the tensor called `name`, or nullptr if absent.
  const GgufTensorInfo* Find(const std::string& name) const;
  // Returns a pointer to the first byte of `info`'s data inside the mapping (no copy;
  // valid while file() lives). `info` must come from this reader.
  const uint8_t* Bytes(const GgufTensorInfo& info) const;
  // Returns tensor `name` converted to f32. Works for f32, f16, bf16, f64 and the integer
  // types; throws kNotFound if absent and kUnsupported, naming the type, for quantized
  // block types.
  Tensor ReadF32(const std::string& name) const;
  // Returns the mapping the tensors point into.
  const std::shared_ptr<const MappedFile>& file() const { return file_; }

 private:
  GgufReader() = default;

  std::shared_ptr<const MappedFile> file_;
  uint32_t version_ = 3;
  uint64_t alignment_ = 32;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::map<std::string, size_t> meta_index_;
  std::vector<GgufTensorInfo> tensors_;
  std::map<std::string, size_t> tensor_index_;
};

// Collects metadata and tensors and writes them as one GGUF v3 file: key-value pairs in
// insertion order, tensor infos in insertion order, then each tensor's data at the next
// multiple of the alignment, zero-padded between tensors and after the last one.
class GgufWriter {
 public:
  // Sets the data alignment in bytes (default 32); throws kInvalidArgument unless it is a
  // power of two that fits in u32. A value other than 32 is also written as the u32 key
  // general.alignment (appended after the other keys unless that key was added already).
  void SetAlignment(uint64_t alignment);
  // Appends metadata `key` = `value`, keeping insertion order; throws kInvalidArgument for an
  // empty or duplicate key. Adding general.alignment (a u32 power of two) also sets the
  // alignment and keeps the key at this position.
  void AddMeta(const std::string& key, GgufValue value);
  // Adds a tensor of ggml type `ggml_type` and row-major `shape` (rank 1 to 4, written as
  // ggml's ne, i.e. reversed) whose `num_bytes` bytes start at `data`; `data` is borrowed
  // and must stay valid until Write returns. Throws kInvalidArgument for an unknown type, an
  // empty, duplicate or longer than 63-byte name, or a bad rank or zero dimension, and
  // kShapeMismatch when the last dimension is not a multiple of the type's block size or
  // `num_bytes` differs from the size the shape needs.
  void AddTensor(const std::string& name, uint32_t ggml_type, const Shape& shape, const void* data,
                 size_t num_bytes);
  // Writes the file to `path` through an AtomicFileWriter (nothing is left at `path` if it
  // fails); throws kIo on write errors.
  void Write(const std::string& path) const;

 private:
  struct Pending {
    std::string name;
    uint32_t ggml_type;
    Shape shape;
    const void* data;
    uint64_t num_bytes;
  };
  uint64_t alignment_ = 32;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::vector<Pending> tensors_;
};

}  // namespace shrink

#endif  // SHRINK_IO_GGUF_H_
