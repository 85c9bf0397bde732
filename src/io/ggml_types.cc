// The table of ggml tensor types: ids, names, block sizes and bytes per block.
#include <cstdint>
#include <optional>
#include <string_view>

#include "shrink/io/gguf.h"

namespace shrink {
namespace {

// Lists every ggml type shrink knows, by id (ids 4, 5 and 31-33 were retired by ggml).
constexpr GgmlTypeInfo kGgmlTypes[] = {
    {0, "f32", 1, 4, DType::kF32},
    {1, "f16", 1, 2, DType::kF16},
    {2, "q4_0", 32, 18, std::nullopt},
    {3, "q4_1", 32, 20, std::nullopt},
    {6, "q5_0", 32, 22, std::nullopt},
    {7, "q5_1", 32, 24, std::nullopt},
    {8, "q8_0", 32, 34, std::nullopt},
    {9, "q8_1", 32, 36, std::nullopt},
    {10, "q2_K", 256, 84, std::nullopt},
    {11, "q3_K", 256, 110, std::nullopt},
    {12, "q4_K", 256, 144, std::nullopt},
    {13, "q5_K", 256, 176, std::nullopt},
    {14, "q6_K", 256, 210, std::nullopt},
    {15, "q8_K", 256, 292, std::nullopt},
    {16, "iq2_xxs", 256, 66, std::nullopt},
    {17, "iq2_xs", 256, 74, std::nullopt},
    {18, "iq3_xxs", 256, 98, std::nullopt},
    {19, "iq1_s", 256, 50, std::nullopt},
    {20, "iq4_nl", 32, 18, std::nullopt},
    {21, "iq3_s", 256, 110, std::nullopt},
    {22, "iq2_s", 256, 82, std::nullopt},
    {23, "iq4_xs", 256, 136, std::nullopt},
    {24, "i8", 1, 1, DType::kI8},
    {25, "i16", 1, 2, DType::kI16},
    {26, "i32", 1, 4, DType::kI32},
    {27, "i64", 1, 8, DType::kI64},
    {28, "f64", 1, 8, DType::kF64},
    {29, "iq1_m", 256, 56, std::nullopt},
    {30, "bf16", 1, 2, DType::kBF16},
    {34, "tq1_0", 256, 54, std::nullopt},
    {35, "tq2_0", 256, 66, std::nullopt},
};

}  // namespace

const GgmlTypeInfo* FindGgmlType(uint32_t id) {
  for (const GgmlTypeInfo& info : kGgmlTypes) {
    if (info.id == id) return &info;
  }
  return nullptr;
}

const GgmlTypeInfo* FindGgmlTypeByName(std::string_view name) {
  for (const GgmlTypeInfo& info : kGgmlTypes) {
    if (name == info.name) return &info;
  }
  return nullptr;
}

std::optional<uint32_t> GgmlTypeForDType(DType dtype) {
  switch (dtype) {
    case DType::kF32: return 0;
    case DType::kF16: return 1;
    case DType::kBF16: return 30;
    case DType::kI8: return 24;
    case DType::kI16: return 25;
    case DType::kI32: return 26;
    case DType::kI64: return 27;
    case DType::kF64: return 28;
    default: return std::nullopt;
  }
}

}  // namespace shrink
