// Tests dtype names, sizes, classification and parsing (shrink, safetensors and long names).
#include "shrink/core/dtype.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <iterator>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "shrink/core/error.h"

namespace shrink {
namespace {

static_assert(DTypeSize(DType::kF32) == 4 && DTypeSize(DType::kBF16) == 2,
              "usable at compile time");
static_assert(DTypeOf<float>::value == DType::kF32);
static_assert(DTypeOf<int8_t>::value == DType::kI8);
static_assert(DTypeOf<uint8_t>::value == DType::kU8);
static_assert(DTypeOf<int16_t>::value == DType::kI16);
static_assert(DTypeOf<uint16_t>::value == DType::kU16);
static_assert(DTypeOf<int32_t>::value == DType::kI32);
static_assert(DTypeOf<int64_t>::value == DType::kI64);

TEST(DTypeTest, NamesSizesAndKinds) {
  struct Expected {
    DType dtype;
    const char* name;
    size_t size;
    bool is_float;
  };
  const Expected kExpected[] = {
      {DType::kF32, "f32", 4, true},        {DType::kF16, "f16", 2, true},
      {DType::kBF16, "bf16", 2, true},      {DType::kF8E4M3, "f8_e4m3", 1, true},
      {DType::kF8E5M2, "f8_e5m2", 1, true}, {DType::kI8, "i8", 1, false},
      {DType::kU8, "u8", 1, false},         {DType::kI16, "i16", 2, false},
      {DType::kU16, "u16", 2, false},       {DType::kI32, "i32", 4, false},
      {DType::kI64, "i64", 8, false},       {DType::kF64, "f64", 8, true},
  };
  ASSERT_EQ(std::size(kAllDTypes), std::size(kExpected));
  for (size_t i = 0; i < std::size(kExpected); ++i) {
    const Expected& e = kExpected[i];
    EXPECT_EQ(kAllDTypes[i], e.dtype);
    EXPECT_STREQ(DTypeName(e.dtype), e.name);
    EXPECT_EQ(DTypeSize(e.dtype), e.size) << e.name;
    EXPECT_EQ(IsFloat(e.dtype), e.is_float) << e.name;
  }
}

TEST(DTypeTest, EveryNameParsesBackInAnyCase) {
  std::set<std::string> names;
  for (DType dtype : kAllDTypes) {
    const std::string name = DTypeName(dtype);
    EXPECT_TRUE(names.insert(name).second) << "duplicate name " << name;
    EXPECT_EQ(TryParseDType(name), dtype) << name;
    std::string upper = name;
    for (char& c : upper) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    EXPECT_EQ(ParseDType(upper), dtype) << upper;
  }
}

TEST(DTypeTest, ParsesSafetensorsAndLongNames) {
  const std::vector<std::pair<std::string, DType>> kNames = {
      {"F32", DType::kF32},
      {"F16", DType::kF16},
      {"BF16", DType::kBF16},
      {"F8_E4M3", DType::kF8E4M3},
      {"F8_E5M2", DType::kF8E5M2},
      {"I8", DType::kI8},
      {"U8", DType::kU8},
      {"I16", DType::kI16},
      {"U16", DType::kU16},
      {"I32", DType::kI32},
      {"I64", DType::kI64},
      {"float32", DType::kF32},
      {"float", DType::kF32},
      {"float16", DType::kF16},
      {"half", DType::kF16},
      {"BFloat16", DType::kBF16},
      {"f8_e4m3fn", DType::kF8E4M3},
      {"float8_e4m3fn", DType::kF8E4M3},
      {"E4M3", DType::kF8E4M3},
      {"float8_e5m2", DType::kF8E5M2},
      {"e5m2", DType::kF8E5M2},
      {"int8", DType::kI8},
      {"uint8", DType::kU8},
      {"int16", DType::kI16},
      {"uint16", DType::kU16},
      {"int32", DType::kI32},
      {"INT64", DType::kI64},
  };
  for (const auto& [name, dtype] : kNames) {
    EXPECT_EQ(TryParseDType(name), dtype) << name;
    EXPECT_EQ(ParseDType(name), dtype) << name;
  }
}

TEST(DTypeTest, RejectsUnknownNames) {
  for (const char* name : {"", "BOOL", "float8", "f8", " f32", "f32 ", "fp16", "int4",
                           "u32", "uint32", "e4m3fnuz", "float8_e4m3fnuz"}) {
    EXPECT_FALSE(TryParseDType(name).has_value()) << "'" << name << "'";
    try {
      ParseDType(name);
      ADD_FAILURE() << "no error for '" << name << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      EXPECT_NE(e.message().find(std::string("'") + name + "'"), std::string::npos) << e.what();
      EXPECT_NE(e.message().find("f8_e4m3"), std::string::npos) << "should list valid names";
    }
  }
}

}  // namespace
}  // namespace shrink
