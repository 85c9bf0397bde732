// Element types of stored tensors: names, sizes, parsing and printing.
#ifndef SHRINK_CORE_DTYPE_H_
#define SHRINK_CORE_DTYPE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "shrink/core/error.h"

namespace shrink {

// Is the element type of a stored (uncompressed) tensor.
enum class DType : uint8_t {
  kF32,
  kF16,
  kBF16,
  kF8E4M3,  // OCP float8 e4m3fn: bias 7, no infinities, max 448, NaN = S.1111.111
  kF8E5M2,  // OCP float8 e5m2: bias 15, IEEE-like with infinities, max 57344
  kI8,
  kU8,
  kI16,
  kU16,
  kI32,
  kI64,
  kF64,  // IEEE binary64 (calibration statistics keep their Gram matrices in it)
};

inline constexpr DType kAllDTypes[] = {DType::kF32,    DType::kF16, DType::kBF16,
                                       DType::kF8E4M3, DType::kF8E5M2, DType::kI8,
                                       DType::kU8,     DType::kI16, DType::kU16,
                                       DType::kI32,    DType::kI64, DType::kF64};

// Returns the size of one element of `dtype` in bytes.
constexpr size_t DTypeSize(DType dtype) {
  switch (dtype) {
    case DType::kF32: return 4;
    case DType::kF16: return 2;
    case DType::kBF16: return 2;
    case DType::kF8E4M3: return 1;
    case DType::kF8E5M2: return 1;
    case DType::kI8: return 1;
    case DType::kU8: return 1;
    case DType::kI16: return 2;
    case DType::kU16: return 2;
    case DType::kI32: return 4;
    case DType::kI64: return 8;
    case DType::kF64: return 8;
  }
  return 0;
}

// Returns true for the floating-point types (f32, f16, bf16, both f8, f64).
constexpr bool IsFloat(DType dtype) {
  return dtype == DType::kF32 || dtype == DType::kF16 || dtype == DType::kBF16 ||
         dtype == DType::kF8E4M3 || dtype == DType::kF8E5M2 || dtype == DType::kF64;
}

// Returns the short name of `dtype`: "f32", "f16", "bf16", "f8_e4m3", "f8_e5m2", "i8", ...
constexpr const char* DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "f32";
    case DType::kF16: return "f16";
    case DType::kBF16: return "bf16";
    case DType::kF8E4M3: return "f8_e4m3";
    case DType::kF8E5M2: return "f8_e5m2";
    case DType::kI8: return "i8";
    case DType::kU8: return "u8";
    case DType::kI16: return "i16";
    case DType::kU16: return "u16";
    case DType::kI32: return "i32";
    case DType::kI64: return "i64";
    case DType::kF64: return "f64";
  }
  return "?";
}

// Returns the dtype named `name`, accepting shrink's names ("f16"), safetensors' names
// ("F16", "F8_E4M3") and long names ("float16", "bfloat16"); nullopt if unknown.
inline std::optional<DType> TryParseDType(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  for (DType dtype : kAllDTypes) {
    if (lower == DTypeName(dtype)) return dtype;
  }
  if (lower == "float32" || lower == "float") return DType::kF32;
  if (lower == "float16" || lower == "half") return DType::kF16;
  if (lower == "bfloat16") return DType::kBF16;
  if (lower == "f8_e4m3fn" || lower == "float8_e4m3fn" || lower == "e4m3") return DType::kF8E4M3;
  if (lower == "float8_e5m2" || lower == "e5m2") return DType::kF8E5M2;
  if (lower == "int8") return DType::kI8;
  if (lower == "uint8") return DType::kU8;
  if (lower == "int16") return DType::kI16;
  if (lower == "uint16") return DType::kU16;
  if (lower == "int32") return DType::kI32;
  if (lower == "int64") return DType::kI64;
  if (lower == "float64" || lower == "double") return DType::kF64;
  return std::nullopt;
}

// Returns the dtype named `name` (see TryParseDType); throws kInvalidArgument if unknown.
inline DType ParseDType(std::string_view name) {
  if (auto dtype = TryParseDType(name)) return *dtype;
  Fail(ErrorCode::kInvalidArgument, "unknown dtype '", name,
       "' (expected one of f32 f16 bf16 f8_e4m3 f8_e5m2 i8 u8 i16 u16 i32 i64 f64)");
}

// Maps a C++ element type to its DType (float -> kF32, int8_t -> kI8, ...).
template <typename T>
struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::kF32; };
template <> struct DTypeOf<int8_t> { static constexpr DType value = DType::kI8; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::kU8; };
template <> struct DTypeOf<int16_t> { static constexpr DType value = DType::kI16; };
template <> struct DTypeOf<uint16_t> { static constexpr DType value = DType::kU16; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::kI32; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::kI64; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::kF64; };

}  // namespace shrink

#endif  // SHRINK_CORE_DTYPE_H_
