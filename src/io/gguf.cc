// Parses and validates GGUF files (metadata, tensor infos, bounds) and writes GGUF v3.
#include "shrink/io/gguf.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <numeric>
#include <utility>

#include "shrink/core/convert.h"
#include "shrink/core/error.h"
#include "shrink/io/atomic_file.h"

namespace shrink {

// Gives the reader and writer access to the exact bits of scalar values.
struct GgufCodec {
  static GgufValue Make(GgufType type, uint64_t bits) { return GgufValue(type, bits); }
  static uint64_t Bits(const GgufValue& value) { return value.bits_; }
};

namespace {

constexpr uint64_t kDefaultAlignment = 32;
constexpr uint32_t kMaxDims = 4;                    // GGML_MAX_DIMS
constexpr size_t kMaxTensorNameBytes = 63;          // GGML_MAX_NAME - 1 (room for the NUL)
constexpr uint64_t kMaxMetadataItems = uint64_t{1} << 22;  // array items per file, in total
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;         // empty key, type, one-byte value
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;  // empty name, n_dims, 1 dim, type, offset
constexpr size_t kMaxStringChars = 256;             // ToString cuts longer strings
constexpr char kAlignmentKey[] = "general.alignment";

// Returns the size in bytes of a scalar of `type` (0 for strings, arrays and unknown tags).
uint64_t ScalarSize(GgufType type) {
  switch (type) {
    case GgufType::kU8:
    case GgufType::kI8:
    case GgufType::kBool: return 1;
    case GgufType::kU16:
    case GgufType::kI16: return 2;
    case GgufType::kU32:
    case GgufType::kI32:
    case GgufType::kF32: return 4;
    case GgufType::kU64:
    case GgufType::kI64:
    case GgufType::kF64: return 8;
    case GgufType::kString:
    case GgufType::kArray: return 0;
  }
  return 0;
}

bool IsValidType(uint32_t tag) { return tag <= static_cast<uint32_t>(GgufType::kF64); }

bool IsSigned(GgufType type) {
  return type == GgufType::kI8 || type == GgufType::kI16 || type == GgufType::kI32 ||
         type == GgufType::kI64;
}

bool IsPowerOfTwo(uint64_t x) { return x != 0 && (x & (x - 1)) == 0; }

// Rounds `offset` up to a multiple of the power of two `alignment` (no overflow for the
// file-bounded offsets this is used with).
uint64_t AlignUp(uint64_t offset, uint64_t alignment) {
  return (offset + alignment - 1) & ~(alignment - 1);
}

float FloatFromBits(uint64_t bits) {
  const auto b = static_cast<uint32_t>(bits);
  float f;
  std::memcpy(&f, &b, sizeof(f));
  return f;
}

double DoubleFromBits(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, sizeof(d));
  return d;
}

// Prints `value` with the fewest significant digits that read back to the same value.
template <typename T>
std::string ShortestFloat(T value, int max_digits) {
  char text[64];
  for (int digits = 1; digits <= max_digits; ++digits) {
    std::snprintf(text, sizeof(text), "%.*g", digits, static_cast<double>(value));
    if (static_cast<T>(std::strtod(text, nullptr)) == value) break;
  }
  return text;
}

// Appends `text` in double quotes with quotes, backslashes and control bytes escaped,
// cut after kMaxStringChars bytes.
void AppendQuoted(const std::string& text, std::string* out) {
  *out += '"';
  const size_t shown = std::min(text.size(), kMaxStringChars);
  for (size_t i = 0; i < shown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      *out += '\\';
      *out += static_cast<char>(c);
    } else if (c == '\n') {
      *out += "\\n";
    } else if (c == '\t') {
      *out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02x", c);
      *out += hex;
    } else {
      *out += static_cast<char>(c);
    }
  }
  *out += '"';
  if (shown < text.size()) *out += StrCat("... (", text.size(), " bytes)");
}

// Throws kCorruptData with a message that starts with the file's path.
template <typename... Parts>
[[noreturn]] void Corrupt(const std::string& path, const Parts&... parts) {
  Fail(ErrorCode::kCorruptData, "GGUF file '", path, "': ", parts...);
}

// Names a field being read, for error messages; the text is only built when one is thrown.
struct Field {
  const char* name;               // "value", "n_dims", ...
  const char* kind = nullptr;     // "metadata key", "tensor", or none for header fields
  const std::string* subject = nullptr;  // the key or tensor name, if known
  uint64_t index = 0;             // the kv or tensor number otherwise

  std::string Describe() const {
    if (kind == nullptr) return name;
    if (subject != nullptr) return StrCat(name, " of ", kind, " '", *subject, "'");
    return StrCat(name, " of ", kind, " ", index);
  }
};

// Reads little-endian fields from the mapping, checking every length against the end.
class Cursor {
 public:
  Cursor(const std::string& path, const uint8_t* data, uint64_t size)
      : path_(path), data_(data), size_(size) {}

  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }

  // Throws unless `num_bytes` more bytes exist for `field`.
  void Need(uint64_t num_bytes, const Field& field, const char* suffix = "") const {
    if (num_bytes > remaining()) {
      Corrupt(path_, field.Describe(), suffix, " at offset ", pos_, " needs ", num_bytes,
              " bytes but the file ends after ", remaining(), " (truncated file?)");
    }
  }
  // Returns the next `num_bytes` (1 to 8) bytes as a little-endian unsigned integer.
  uint64_t ReadUInt(uint64_t num_bytes, const Field& field, const char* suffix = "") {
    Need(num_bytes, field, suffix);
    uint64_t value = 0;
    for (uint64_t i = num_bytes; i-- > 0;) value = (value << 8) | data_[pos_ + i];
    pos_ += num_bytes;
    return value;
  }
  uint32_t U32(const Field& field) { return static_cast<uint32_t>(ReadUInt(4, field)); }
  uint64_t U64(const Field& field) { return ReadUInt(8, field); }
  // Returns a GGUF string (u64 length, then bytes); the length is checked before any copy.
  std::string String(const Field& field) {
    const uint64_t length = ReadUInt(8, field, " length");
    if (length > remaining()) {
      Corrupt(path_, field.Describe(), " has string length ", length, " at offset ", pos_ - 8,
              ", past the end of the file (", remaining(), " bytes remain)");
    }
    std::string text(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(length));
    pos_ += length;
    return text;
  }

 private:
  const std::string& path_;
  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
};

// Reads one metadata value of type `tag` for `key`; `items_left` is the file's remaining
// budget of array items.
GgufValue ReadValue(Cursor& in, const std::string& path, const std::string& key, uint32_t tag,
                    uint64_t* items_left) {
  if (!IsValidType(tag)) {
    Corrupt(path, "metadata key '", key, "' has unknown value type ", tag, " (expected 0 to 12)");
  }
  const auto type = static_cast<GgufType>(tag);
  const Field value_field{"value", "metadata key", &key};
  if (type == GgufType::kString) return GgufValue::String(in.String(value_field));
  if (type != GgufType::kArray) {
    uint64_t bits = in.ReadUInt(ScalarSize(type), value_field);
    if (type == GgufType::kBool && bits > 1) {
      Corrupt(path, "metadata key '", key, "' has bool value ", bits, ", expected 0 or 1");
    }
    if (IsSigned(type) && ScalarSize(type) < 8) {  // sign-extend to 64 bits
      const unsigned shift = 64 - 8 * static_cast<unsigned>(ScalarSize(type));
      bits = static_cast<uint64_t>(static_cast<int64_t>(bits << shift) >> shift);
    }
    return GgufCodec::Make(type, bits);
  }
  const uint32_t element_tag = in.U32({"array element type", "metadata key", &key});
  if (element_tag == static_cast<uint32_t>(GgufType::kArray)) {
    Corrupt(path, "metadata key '", key, "' is a nested array (arrays of arrays are not supported)");
  }
  if (!IsValidType(element_tag)) {
    Corrupt(path, "metadata key '", key, "' is an array of unknown value type ", element_tag,
            " (expected 0 to 12)");
  }
  const auto element_type = static_cast<GgufType>(element_tag);
  const uint64_t count = in.U64({"array count", "metadata key", &key});
  const uint64_t min_item_bytes = element_type == GgufType::kString ? 8 : ScalarSize(element_type);
  if (count > in.remaining() / min_item_bytes) {
    Corrupt(path, "metadata key '", key, "' has array count ", count, " of ", GgufTypeName(element_type),
            ", which runs past the end of the file (", in.remaining(), " bytes remain)");
  }
  if (count > *items_left) {
    Corrupt(path, "metadata key '", key, "' has array count ", count,
            ", beyond the limit of ", kMaxMetadataItems, " array items per file");
  }
  *items_left -= count;
  std::vector<GgufValue> items;
  items.reserve(static_cast<size_t>(count));
  for (uint64_t i = 0; i < count; ++i) {
    items.push_back(ReadValue(in, path, key, element_tag, items_left));
  }
  return GgufValue::Array(element_type, std::move(items));
}

// Writes `value` (num_bytes bytes, little-endian).
void WriteUInt(AtomicFileWriter& out, uint64_t value, size_t num_bytes) {
  uint8_t bytes[8];
  for (size_t i = 0; i < num_bytes; ++i) bytes[i] = static_cast<uint8_t>(value >> (8 * i));
  out.Write(bytes, num_bytes);
}

void WriteString(AtomicFileWriter& out, const std::string& text) {
  WriteUInt(out, text.size(), 8);
  out.Write(text.data(), text.size());
}

// Writes a value's payload (without its type tag).
void WriteValue(AtomicFileWriter& out, const GgufValue& value) {
  switch (value.type()) {
    case GgufType::kString: WriteString(out, value.AsString()); return;
    case GgufType::kArray:
      WriteUInt(out, static_cast<uint32_t>(value.array_type()), 4);
      WriteUInt(out, value.items().size(), 8);
      for (const GgufValue& item : value.items()) WriteValue(out, item);
      return;
    default:
      WriteUInt(out, GgufCodec::Bits(value), static_cast<size_t>(ScalarSize(value.type())));
  }
}

}  // namespace

const char* GgufTypeName(GgufType type) {
  switch (type) {
    case GgufType::kU8: return "u8";
    case GgufType::kI8: return "i8";
    case GgufType::kU16: return "u16";
    case GgufType::kI16: return "i16";
    case GgufType::kU32: return "u32";
    case GgufType::kI32: return "i32";
    case GgufType::kF32: return "f32";
    case GgufType::kBool: return "bool";
    case GgufType::kString: return "string";
    case GgufType::kArray: return "array";
    case GgufType::kU64: return "u64";
    case GgufType::kI64: return "i64";
    case GgufType::kF64: return "f64";
  }
  return "?";
}

// --- GgufValue

GgufValue GgufValue::U8(uint8_t value) { return GgufValue(GgufType::kU8, value); }
GgufValue GgufValue::I8(int8_t value) {
  return GgufValue(GgufType::kI8, static_cast<uint64_t>(static_cast<int64_t>(value)));
}
GgufValue GgufValue::U16(uint16_t value) { return GgufValue(GgufType::kU16, value); }
GgufValue GgufValue::I16(int16_t value) {
  return GgufValue(GgufType::kI16, static_cast<uint64_t>(static_cast<int64_t>(value)));
}
GgufValue GgufValue::U32(uint32_t value) { return GgufValue(GgufType::kU32, value); }
GgufValue GgufValue::I32(int32_t value) {
  return GgufValue(GgufType::kI32, static_cast<uint64_t>(static_cast<int64_t>(value)));
}
GgufValue GgufValue::U64(uint64_t value) { return GgufValue(GgufType::kU64, value); }
GgufValue GgufValue::I64(int64_t value) { return GgufValue(GgufType::kI64, static_cast<uint64_t>(value)); }
GgufValue GgufValue::F32(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return GgufValue(GgufType::kF32, bits);
}
GgufValue GgufValue::F64(double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return GgufValue(GgufType::kF64, bits);
}
GgufValue GgufValue::Bool(bool value) { return GgufValue(GgufType::kBool, value ? 1 : 0); }

GgufValue GgufValue::String(std::string value) {
  GgufValue result(GgufType::kString, 0);
  result.string_ = std::make_shared<const std::string>(std::move(value));
  return result;
}

GgufValue GgufValue::Array(GgufType element_type, std::vector<GgufValue> items) {
  if (!IsValidType(static_cast<uint32_t>(element_type))) {
    Fail(ErrorCode::kInvalidArgument, "GGUF array has an invalid element type ",
         static_cast<uint32_t>(element_type));
  }
  if (element_type == GgufType::kArray) {
    Fail(ErrorCode::kInvalidArgument, "GGUF arrays of arrays are not supported");
  }
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].type() != element_type) {
      Fail(ErrorCode::kInvalidArgument, "GGUF array of ", GgufTypeName(element_type), " has item ", i,
           " of type ", GgufTypeName(items[i].type()));
    }
  }
  GgufValue result(GgufType::kArray, 0);
  result.array_type_ = element_type;
  result.items_ = std::make_shared<const std::vector<GgufValue>>(std::move(items));
  return result;
}

bool GgufValue::IsInteger() const {
  switch (type_) {
    case GgufType::kU8:
    case GgufType::kI8:
    case GgufType::kU16:
    case GgufType::kI16:
    case GgufType::kU32:
    case GgufType::kI32:
    case GgufType::kU64:
    case GgufType::kI64: return true;
    default: return false;
  }
}

int64_t GgufValue::AsInt() const {
  if (!IsInteger()) Fail(ErrorCode::kInvalidArgument, "GGUF value of type ", GgufTypeName(type_), " is not an integer");
  if (type_ == GgufType::kU64 && bits_ > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    Fail(ErrorCode::kInvalidArgument, "GGUF u64 value ", bits_, " does not fit in int64");
  }
  return static_cast<int64_t>(bits_);
}

uint64_t GgufValue::AsUInt() const {
  if (!IsInteger()) Fail(ErrorCode::kInvalidArgument, "GGUF value of type ", GgufTypeName(type_), " is not an integer");
  if (IsSigned(type_) && static_cast<int64_t>(bits_) < 0) {
    Fail(ErrorCode::kInvalidArgument, "GGUF ", GgufTypeName(type_), " value ", static_cast<int64_t>(bits_),
         " is negative, expected an unsigned value");
  }
  return bits_;
}

double GgufValue::AsDouble() const {
  if (type_ == GgufType::kF32) return FloatFromBits(bits_);
  if (type_ == GgufType::kF64) return DoubleFromBits(bits_);
  if (!IsInteger()) Fail(ErrorCode::kInvalidArgument, "GGUF value of type ", GgufTypeName(type_), " is not a number");
  return IsSigned(type_) ? static_cast<double>(static_cast<int64_t>(bits_)) : static_cast<double>(bits_);
}

bool GgufValue::AsBool() const {
  if (type_ != GgufType::kBool) Fail(ErrorCode::kInvalidArgument, "GGUF value of type ", GgufTypeName(type_), " is not a bool");
  return bits_ != 0;
}

const std::string& GgufValue::AsString() const {
  if (type_ != GgufType::kString) {
    Fail(ErrorCode::kInvalidArgument, "GGUF value of type ", GgufTypeName(type_), " is not a string");
  }
  return *string_;
}

const std::vector<GgufValue>& GgufValue::items() const {
  if (type_ != GgufType::kArray) {
    Fail(ErrorCode::kInvalidArgument, "GGUF value of type ", GgufTypeName(type_), " is not an array");
  }
  return *items_;
}

std::string GgufValue::ToString(size_t max_items) const {
  switch (type_) {
    case GgufType::kBool: return bits_ ? "true" : "false";
    case GgufType::kF32: return ShortestFloat(FloatFromBits(bits_), 9);
    case GgufType::kF64: return ShortestFloat(DoubleFromBits(bits_), 17);
    case GgufType::kString: {
      std::string out;
      AppendQuoted(*string_, &out);
      return out;
    }
    case GgufType::kArray: {
      std::string out = "[";
      const size_t shown = std::min(items_->size(), max_items);
      for (size_t i = 0; i < shown; ++i) {
        if (i) out += ", ";
        out += (*items_)[i].ToString(max_items);
      }
      if (shown < items_->size()) out += StrCat(shown ? ", " : "", "... (", items_->size(), " items)");
      return out + "]";
    }
    default:
      return IsSigned(type_) ? std::to_string(static_cast<int64_t>(bits_)) : std::to_string(bits_);
  }
}

bool operator==(const GgufValue& a, const GgufValue& b) {
  if (a.type_ != b.type_) return false;
  if (a.type_ == GgufType::kString) return *a.string_ == *b.string_;
  if (a.type_ == GgufType::kArray) return a.array_type_ == b.array_type_ && *a.items_ == *b.items_;
  return a.bits_ == b.bits_;
}

// --- GgufReader

GgufReader GgufReader::Open(const std::string& path) { return FromMapped(MappedFile::Open(path)); }

GgufReader GgufReader::FromMapped(std::shared_ptr<const MappedFile> file) {
  if (file == nullptr) Fail(ErrorCode::kInvalidArgument, "GgufReader::FromMapped got a null file");
  const std::string& path = file->path();
  const uint64_t file_size = file->size();
  const uint8_t* base = file->data();
  Cursor in(path, base, file_size);

  if (file_size < 4 || std::memcmp(base, "GGUF", 4) != 0) {
    std::string found;
    for (uint64_t i = 0; i < std::min<uint64_t>(file_size, 4); ++i) {
      char hex[4];
      std::snprintf(hex, sizeof(hex), "%02x", base[i]);
      found += hex;
    }
    Corrupt(path, "bad magic: expected \"GGUF\" (47475546), found ", found.empty() ? "nothing" : found);
  }
  in.U32({"magic"});
  GgufReader reader;
  reader.version_ = in.U32({"version"});
  if (reader.version_ != 2 && reader.version_ != 3) {
    Fail(ErrorCode::kUnsupported, "GGUF file '", path, "': unsupported version ", reader.version_,
         " (shrink reads versions 2 and 3",
         (reader.version_ & 0xffff) == 0 ? "; this may be a big-endian file" : "", ")");
  }
  const uint64_t tensor_count = in.U64({"tensor count"});
  const uint64_t kv_count = in.U64({"metadata kv count"});
  if (tensor_count > in.remaining() / kMinTensorInfoBytes) {
    Corrupt(path, "tensor count ", tensor_count, " cannot fit in the remaining ", in.remaining(),
            " bytes (each tensor info takes at least ", kMinTensorInfoBytes, ")");
  }
  if (kv_count > (in.remaining() - tensor_count * kMinTensorInfoBytes) / kMinKvBytes) {
    Corrupt(path, "metadata kv count ", kv_count, " cannot fit in the remaining ", in.remaining(),
            " bytes (each kv takes at least ", kMinKvBytes, ")");
  }

  uint64_t items_left = kMaxMetadataItems;
  reader.metadata_.reserve(static_cast<size_t>(kv_count));
  for (uint64_t i = 0; i < kv_count; ++i) {
    std::string key = in.String({"key", "metadata kv", nullptr, i});
    const uint32_t tag = in.U32({"value type", "metadata key", &key});
    GgufValue value = ReadValue(in, path, key, tag, &items_left);
    if (!reader.meta_index_.emplace(key, reader.metadata_.size()).second) {
      Corrupt(path, "duplicate metadata key '", key, "'");
    }
    if (key == kAlignmentKey) {
      if (value.type() != GgufType::kU32) {
        Corrupt(path, kAlignmentKey, " has type ", GgufTypeName(value.type()), ", expected u32");
      }
      if (!IsPowerOfTwo(value.AsUInt())) {
        Corrupt(path, kAlignmentKey, " is ", value.AsUInt(), ", expected a non-zero power of two");
      }
      reader.alignment_ = value.AsUInt();
    }
    reader.metadata_.emplace_back(std::move(key), std::move(value));
  }

  reader.tensors_.reserve(static_cast<size_t>(tensor_count));
  for (uint64_t i = 0; i < tensor_count; ++i) {
    GgufTensorInfo info;
    info.name = in.String({"name", "tensor", nullptr, i});
    const std::string& name = info.name;
    const auto what = [&] { return "tensor '" + name + "'"; };
    if (!reader.tensor_index_.emplace(info.name, reader.tensors_.size()).second) {
      Corrupt(path, "duplicate tensor name '", info.name, "'");
    }
    const uint32_t num_dims = in.U32({"n_dims", "tensor", &name});
    if (num_dims == 0 || num_dims > kMaxDims) {
      Corrupt(path, what(), " has n_dims ", num_dims, ", expected 1 to ", kMaxDims);
    }
    int64_t ne[kMaxDims] = {};
    uint64_t num_elements = 1;
    for (uint32_t d = 0; d < num_dims; ++d) {
      const uint64_t dim = in.U64({"dimension", "tensor", &name});
      if (dim == 0) Corrupt(path, what(), " has a zero dimension ne[", d, "]");
      if (dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
          num_elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / dim) {
        Corrupt(path, what(), " has dimension ne[", d, "] = ", dim, " that makes its element count overflow");
      }
      num_elements *= dim;
      ne[d] = static_cast<int64_t>(dim);
    }
    info.ggml_type = in.U32({"ggml type", "tensor", &name});
    const GgmlTypeInfo* type = FindGgmlType(info.ggml_type);
    if (type == nullptr) Corrupt(path, what(), " has unknown ggml type ", info.ggml_type);
    if (ne[0] % type->block_size != 0) {
      Corrupt(path, what(), " has first dimension ne[0] = ", ne[0], " that is not divisible by the block size ",
              type->block_size, " of ", type->name);
    }
    const uint64_t num_blocks = num_elements / static_cast<uint64_t>(type->block_size);
    if (num_blocks > std::numeric_limits<uint64_t>::max() / type->type_size) {
      Corrupt(path, what(), " has a byte size that overflows 64 bits");
    }
    info.num_bytes = num_blocks * type->type_size;
    info.offset = in.U64({"data offset", "tensor", &name});
    if (info.offset % reader.alignment_ != 0) {
      Corrupt(path, what(), " has data offset ", info.offset, " that is not a multiple of the alignment ",
              reader.alignment_);
    }
    std::reverse(ne, ne + num_dims);
    info.shape = Shape(ne, ne + num_dims);
    reader.tensors_.push_back(std::move(info));
  }

  // Tensor offsets are relative to the data section, which starts at the next aligned offset.
  const uint64_t data_start = AlignUp(in.pos(), reader.alignment_);
  for (const GgufTensorInfo& info : reader.tensors_) {
    if (data_start > file_size || info.offset > file_size - data_start ||
        info.num_bytes > file_size - data_start - info.offset) {
      Corrupt(path, "tensor '", info.name, "' data (", info.num_bytes, " bytes at data offset ", info.offset,
              ", data section at ", data_start, ") runs past the end of the file (", file_size, " bytes)");
    }
  }
  std::vector<size_t> order(reader.tensors_.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return reader.tensors_[a].offset < reader.tensors_[b].offset;
  });
  for (size_t i = 1; i < order.size(); ++i) {
    const GgufTensorInfo& prev = reader.tensors_[order[i - 1]];
    const GgufTensorInfo& cur = reader.tensors_[order[i]];
    if (cur.offset < prev.offset + prev.num_bytes) {
      Corrupt(path, "tensor '", cur.name, "' (data [", cur.offset, ", ", cur.offset + cur.num_bytes,
              ")) overlaps tensor '", prev.name, "' (data [", prev.offset, ", ", prev.offset + prev.num_bytes, "))");
    }
  }
  for (GgufTensorInfo& info : reader.tensors_) info.offset += data_start;
  reader.file_ = std::move(file);
  return reader;
}

const GgufValue* GgufReader::FindMeta(const std::string& key) const {
  const auto it = meta_index_.find(key);
  return it == meta_index_.end() ? nullptr : &metadata_[it->second].second;
}

const GgufTensorInfo* GgufReader::Find(const std::string& name) const {
  const auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

const uint8_t* GgufReader::Bytes(const GgufTensorInfo& info) const { return file_->data() + info.offset; }

Tensor GgufReader::ReadF32(const std::string& name) const {
  const GgufTensorInfo* info = Find(name);
  if (info == nullptr) Fail(ErrorCode::kNotFound, "tensor '", name, "' not found in GGUF file '", file_->path(), "'");
  const GgmlTypeInfo* type = FindGgmlType(info->ggml_type);  // validated when opened
  if (!type->dtype.has_value()) {
    Fail(ErrorCode::kUnsupported, "tensor '", name, "' in GGUF file '", file_->path(), "' has ggml type ",
         type->name, " (", type->id, "), which shrink cannot decode to f32 yet");
  }
  Tensor tensor(DType::kF32, info->shape);
  const auto count = static_cast<size_t>(info->shape.num_elements());
  float* out = tensor.data<float>();
  ConvertToF32(*type->dtype, Bytes(*info), out, count);
  return tensor;
}

// --- GgufWriter

void GgufWriter::SetAlignment(uint64_t alignment) {
  if (!IsPowerOfTwo(alignment) || alignment > std::numeric_limits<uint32_t>::max()) {
    Fail(ErrorCode::kInvalidArgument, "GGUF alignment ", alignment, " is not a power of two that fits in u32");
  }
  alignment_ = alignment;
  for (auto& [key, value] : metadata_) {
    if (key == kAlignmentKey) value = GgufValue::U32(static_cast<uint32_t>(alignment));
  }
}

void GgufWriter::AddMeta(const std::string& key, GgufValue value) {
  if (key.empty()) Fail(ErrorCode::kInvalidArgument, "GGUF metadata key is empty");
  for (const auto& entry : metadata_) {
    if (entry.first == key) Fail(ErrorCode::kInvalidArgument, "GGUF metadata key '", key, "' added twice");
  }
  if (key == kAlignmentKey) {
    if (value.type() != GgufType::kU32 || !IsPowerOfTwo(value.AsUInt())) {
      Fail(ErrorCode::kInvalidArgument, kAlignmentKey, " must be a u32 power of two, got ",
           GgufTypeName(value.type()), " ", value.ToString());
    }
    alignment_ = value.AsUInt();
  }
  metadata_.emplace_back(key, std::move(value));
}

void GgufWriter::AddTensor(const std::string& name, uint32_t ggml_type, const Shape& shape, const void* data,
                           size_t num_bytes) {
  if (name.empty()) Fail(ErrorCode::kInvalidArgument, "GGUF tensor name is empty");
  if (name.size() > kMaxTensorNameBytes) {
    Fail(ErrorCode::kInvalidArgument, "GGUF tensor name '", name, "' is ", name.size(),
         " bytes, ggml allows at most ", kMaxTensorNameBytes);
  }
  for (const Pending& pending : tensors_) {
    if (pending.name == name) Fail(ErrorCode::kInvalidArgument, "GGUF tensor '", name, "' added twice");
  }
  const GgmlTypeInfo* type = FindGgmlType(ggml_type);
  if (type == nullptr) Fail(ErrorCode::kInvalidArgument, "GGUF tensor '", name, "' has unknown ggml type ", ggml_type);
  if (shape.rank() < 1 || shape.rank() > static_cast<int>(kMaxDims)) {
    Fail(ErrorCode::kInvalidArgument, "GGUF tensor '", name, "' has shape ", shape.ToString(), " of rank ",
         shape.rank(), ", expected 1 to ", kMaxDims);
  }
  for (int64_t dim : shape) {
    if (dim == 0) Fail(ErrorCode::kInvalidArgument, "GGUF tensor '", name, "' has a zero dimension in ", shape.ToString());
  }
  if (shape.cols() % type->block_size != 0) {
    Fail(ErrorCode::kShapeMismatch, "GGUF tensor '", name, "' has last dimension ", shape.cols(),
         ", not a multiple of the block size ", type->block_size, " of ", type->name);
  }
  const auto num_blocks = static_cast<uint64_t>(shape.num_elements() / type->block_size);
  if (num_blocks > std::numeric_limits<uint64_t>::max() / type->type_size ||
      num_blocks * type->type_size != num_bytes) {
    Fail(ErrorCode::kShapeMismatch, "GGUF tensor '", name, "' of type ", type->name, " and shape ",
         shape.ToString(), " needs ", num_blocks, " blocks of ", type->type_size, " bytes, got ", num_bytes, " bytes");
  }
  if (data == nullptr) Fail(ErrorCode::kInvalidArgument, "GGUF tensor '", name, "' has no data");
  tensors_.push_back(Pending{name, ggml_type, shape, data, num_bytes});
}

void GgufWriter::Write(const std::string& path) const {
  bool has_alignment_key = false;
  for (const auto& entry : metadata_) has_alignment_key |= entry.first == kAlignmentKey;
  const bool append_alignment = alignment_ != kDefaultAlignment && !has_alignment_key;

  AtomicFileWriter out(path);
  out.Write("GGUF", 4);
  WriteUInt(out, 3, 4);
  WriteUInt(out, tensors_.size(), 8);
  WriteUInt(out, metadata_.size() + (append_alignment ? 1 : 0), 8);
  for (const auto& [key, value] : metadata_) {
    WriteString(out, key);
    WriteUInt(out, static_cast<uint32_t>(value.type()), 4);
    WriteValue(out, value);
  }
  if (append_alignment) {
    WriteString(out, kAlignmentKey);
    WriteUInt(out, static_cast<uint32_t>(GgufType::kU32), 4);
    WriteUInt(out, alignment_, 4);
  }
  uint64_t offset = 0;
  for (const Pending& pending : tensors_) {
    WriteString(out, pending.name);
    WriteUInt(out, static_cast<uint32_t>(pending.shape.rank()), 4);
    for (int d = pending.shape.rank() - 1; d >= 0; --d) WriteUInt(out, static_cast<uint64_t>(pending.shape.dim(d)), 8);
    WriteUInt(out, pending.ggml_type, 4);
    WriteUInt(out, offset, 8);
    offset = AlignUp(offset + pending.num_bytes, alignment_);
  }
  out.WriteZeros(static_cast<size_t>(AlignUp(out.offset(), alignment_) - out.offset()));
  for (const Pending& pending : tensors_) {
    out.Write(pending.data, pending.num_bytes);
    out.WriteZeros(static_cast<size_t>(AlignUp(pending.num_bytes, alignment_) - pending.num_bytes));
  }
  out.Commit();
}

}  // namespace shrink
