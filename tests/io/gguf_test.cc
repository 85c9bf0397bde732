// Tests GGUF values, the ggml type table, and GGUF reading and writing on valid files.
#include "shrink/io/gguf.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include "shrink/core/float_codec.h"
#include "testing/test_util.h"
#include "io/file_builders.h"

namespace shrink {
namespace {

using ::testing::HasSubstr;
using testing::CatchError;
using testing::ReadBytes;
using testing::ScratchDir;
using testing::WriteBytes;

TEST(GgufValueTest, Scalars_ReturnTheirValues) {
  EXPECT_EQ(GgufValue::U8(200).AsInt(), 200);
  EXPECT_EQ(GgufValue::I8(-5).AsInt(), -5);
  EXPECT_EQ(GgufValue::U16(65535).AsUInt(), 65535u);
  EXPECT_EQ(GgufValue::I16(-300).AsInt(), -300);
  EXPECT_EQ(GgufValue::U32(4294967295u).AsInt(), 4294967295);
  EXPECT_EQ(GgufValue::I32(-7).AsDouble(), -7.0);
  EXPECT_EQ(GgufValue::U64(uint64_t{1} << 63).AsUInt(), uint64_t{1} << 63);
  EXPECT_EQ(GgufValue::I64(std::numeric_limits<int64_t>::min()).AsInt(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(GgufValue::F32(0.25f).AsDouble(), 0.25);
  EXPECT_EQ(GgufValue::F64(1e300).AsDouble(), 1e300);
  EXPECT_TRUE(GgufValue::Bool(true).AsBool());
  EXPECT_EQ(GgufValue::String("hi").AsString(), "hi");
  EXPECT_TRUE(GgufValue::U8(1).IsInteger());
  EXPECT_FALSE(GgufValue::Bool(true).IsInteger());
  EXPECT_FALSE(GgufValue::F32(1).IsInteger());
  EXPECT_EQ(GgufValue::I16(1).type(), GgufType::kI16);
}

TEST(GgufValueTest, Accessors_ThrowInvalidArgumentForTheWrongTypeOrRange) {
  EXPECT_EQ(CatchError([] { GgufValue::U64(uint64_t{1} << 63).AsInt(); }).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CatchError([] { GgufValue::I32(-1).AsUInt(); }).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CatchError([] { GgufValue::F32(1).AsInt(); }).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CatchError([] { GgufValue::String("1").AsInt(); }).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CatchError([] { GgufValue::String("1").AsDouble(); }).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CatchError([] { GgufValue::U8(1).AsBool(); }).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CatchError([] { GgufValue::U8(1).AsString(); }).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CatchError([] { GgufValue::U8(1).items(); }).code(), ErrorCode::kInvalidArgument);
}

TEST(GgufValueTest, Array_RejectsNestingAndMixedItems) {
  const GgufValue inner = GgufValue::Array(GgufType::kU8, {GgufValue::U8(1)});
  EXPECT_EQ(CatchError([&] { GgufValue::Array(GgufType::kArray, {inner}); }).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CatchError([] { GgufValue::Array(GgufType::kU8, {GgufValue::U8(1), GgufValue::I8(1)}); }).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(inner.type(), GgufType::kArray);
  EXPECT_EQ(inner.array_type(), GgufType::kU8);
  EXPECT_EQ(inner.items().size(), 1u);
}

TEST(GgufValueTest, ToString_PrintsValuesForInspect) {
  EXPECT_EQ(GgufValue::U32(128).ToString(), "128");
  EXPECT_EQ(GgufValue::I8(-3).ToString(), "-3");
  EXPECT_EQ(GgufValue::F32(1e-5f).ToString(), "1e-05");
  EXPECT_EQ(GgufValue::F32(0.1f).ToString(), "0.1");
  EXPECT_EQ(GgufValue::F64(0.1).ToString(), "0.1");
  EXPECT_EQ(GgufValue::Bool(false).ToString(), "false");
  EXPECT_EQ(GgufValue::String("a\"b\n").ToString(), "\"a\\\"b\\n\"");
  EXPECT_THAT(GgufValue::String(std::string(1000, 'x')).ToString(), HasSubstr("... (1000 bytes)"));
  std::vector<GgufValue> items;
  for (int i = 0; i < 10; ++i) items.push_back(GgufValue::I32(i));
  const GgufValue array = GgufValue::Array(GgufType::kI32, items);
  EXPECT_EQ(array.ToString(3), "[0, 1, 2, ... (10 items)]");
  EXPECT_EQ(array.ToString(10), "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]");
  EXPECT_EQ(GgufValue::Array(GgufType::kString, {GgufValue::String("<s>")}).ToString(), "[\"<s>\"]");
  EXPECT_EQ(GgufValue::Array(GgufType::kU8, {}).ToString(), "[]");
}

TEST(GgmlTypeTest, Table_HasGgmlsBlockSizes) {
  const GgmlTypeInfo* q4_0 = FindGgmlType(2);
  ASSERT_NE(q4_0, nullptr);
  EXPECT_STREQ(q4_0->name, "q4_0");
  EXPECT_EQ(q4_0->block_size, 32);
  EXPECT_EQ(q4_0->type_size, 18u);
  EXPECT_FALSE(q4_0->dtype.has_value());
  const GgmlTypeInfo* q6_k = FindGgmlTypeByName("q6_K");
  ASSERT_NE(q6_k, nullptr);
  EXPECT_EQ(q6_k->id, 14u);
  EXPECT_EQ(q6_k->type_size, 210u);
  EXPECT_EQ(FindGgmlType(30)->dtype, DType::kBF16);
  EXPECT_EQ(FindGgmlType(4), nullptr);
  EXPECT_EQ(FindGgmlType(36), nullptr);
  EXPECT_EQ(FindGgmlTypeByName("q4_2"), nullptr);
  EXPECT_EQ(GgmlTypeForDType(DType::kF32), 0u);
  EXPECT_EQ(GgmlTypeForDType(DType::kF16), 1u);
  EXPECT_EQ(GgmlTypeForDType(DType::kBF16), 30u);
  EXPECT_EQ(GgmlTypeForDType(DType::kI64), 27u);
  EXPECT_EQ(GgmlTypeForDType(DType::kU8), std::nullopt);
  EXPECT_EQ(GgmlTypeForDType(DType::kF8E4M3), std::nullopt);
  for (DType dtype : kAllDTypes) {
    if (auto id = GgmlTypeForDType(dtype)) {
      EXPECT_EQ(FindGgmlType(*id)->dtype, dtype);
    }
  }
}

TEST(GgufWriterTest, RoundTrip_PreservesEveryValueTypeAndTensor) {
  ScratchDir dir;
  const std::string path = dir.File("all.gguf");
  std::vector<std::pair<std::string, GgufValue>> meta = {
      {"u8", GgufValue::U8(250)},
      {"i8", GgufValue::I8(-100)},
      {"u16", GgufValue::U16(60000)},
      {"i16", GgufValue::I16(-30000)},
      {"u32", GgufValue::U32(4000000000u)},
      {"i32", GgufValue::I32(-2000000000)},
      {"f32", GgufValue::F32(-0.0f)},
      {"bool", GgufValue::Bool(true)},
      {"string", GgufValue::String("héllo")},
      {"u64", GgufValue::U64(~uint64_t{0})},
      {"i64", GgufValue::I64(-(int64_t{1} << 62))},
      {"f64", GgufValue::F64(std::nan(""))},
      {"strings", GgufValue::Array(GgufType::kString, {GgufValue::String(""), GgufValue::String("x")})},
      {"floats", GgufValue::Array(GgufType::kF32, {GgufValue::F32(1.0f), GgufValue::F32(2.5f)})},
      {"bools", GgufValue::Array(GgufType::kBool, {GgufValue::Bool(false)})},
      {"empty", GgufValue::Array(GgufType::kI64, {})},
  };
  const Tensor f32 = testing::RandomMatrix(3, 5, 1);
  const uint16_t f16[] = {F32ToF16Ref(0.5f), F32ToF16Ref(-1.0f), F32ToF16Ref(3.0f), F32ToF16Ref(8.0f)};
  const int8_t i8[] = {-1, 2, -3};
  const double f64[] = {1.25, -2.5};
  std::vector<uint8_t> q4_0(2 * 3 * 18);
  for (size_t i = 0; i < q4_0.size(); ++i) q4_0[i] = static_cast<uint8_t>(i * 7);

  GgufWriter writer;
  for (const auto& [key, value] : meta) writer.AddMeta(key, value);
  writer.AddTensor("f32", 0, f32.shape(), f32.bytes(), f32.num_bytes());
  writer.AddTensor("f16", 1, Shape{2, 2}, f16, sizeof(f16));
  writer.AddTensor("i8", 24, Shape{1, 1, 3}, i8, sizeof(i8));
  writer.AddTensor("q4_0", 2, Shape{3, 64}, q4_0.data(), q4_0.size());
  writer.AddTensor("f64", 28, Shape{2}, f64, sizeof(f64));
  writer.Write(path);

  const GgufReader reader = GgufReader::Open(path);
  EXPECT_EQ(reader.version(), 3u);
  EXPECT_EQ(reader.alignment(), 32u);
  ASSERT_EQ(reader.metadata().size(), meta.size());
  for (size_t i = 0; i < meta.size(); ++i) {
    EXPECT_EQ(reader.metadata()[i].first, meta[i].first);
    EXPECT_TRUE(reader.metadata()[i].second == meta[i].second) << meta[i].first;
  }
  EXPECT_EQ(reader.FindMeta("u32")->AsUInt(), 4000000000u);
  EXPECT_EQ(reader.FindMeta("nope"), nullptr);
  EXPECT_TRUE(std::isnan(reader.FindMeta("f64")->AsDouble()));
  EXPECT_TRUE(std::signbit(reader.FindMeta("f32")->AsDouble()));
  EXPECT_EQ(reader.FindMeta("string")->AsString(), "héllo");

  ASSERT_EQ(reader.tensors().size(), 5u);
  EXPECT_EQ(reader.tensors()[0].name, "f32");
  EXPECT_EQ(reader.tensors()[3].name, "q4_0");
  for (const GgufTensorInfo& info : reader.tensors()) {
    EXPECT_EQ(info.offset % 32, 0u) << info.name;
  }
  const GgufTensorInfo* info = reader.Find("i8");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->shape, (Shape{1, 1, 3}));
  EXPECT_EQ(info->ggml_type, 24u);
  EXPECT_EQ(info->num_bytes, 3u);
  EXPECT_EQ(reader.Find("q4_0")->shape, (Shape{3, 64}));
  EXPECT_EQ(reader.Find("q4_0")->num_bytes, q4_0.size());
  EXPECT_EQ(std::memcmp(reader.Bytes(*reader.Find("q4_0")), q4_0.data(), q4_0.size()), 0);

  const Tensor f32_read = reader.ReadF32("f32");
  EXPECT_EQ(f32_read.shape(), f32.shape());
  EXPECT_EQ(std::memcmp(f32_read.bytes(), f32.bytes(), f32.num_bytes()), 0);
  const Tensor f16_read = reader.ReadF32("f16");
  EXPECT_EQ(std::vector<float>(f16_read.data<float>(), f16_read.data<float>() + 4),
            (std::vector<float>{0.5f, -1.0f, 3.0f, 8.0f}));
  EXPECT_EQ(reader.ReadF32("i8").data<float>()[2], -3.0f);
  EXPECT_EQ(reader.ReadF32("f64").data<float>()[1], -2.5f);
  const Error quantized = CatchError([&] { reader.ReadF32("q4_0"); });
  EXPECT_EQ(quantized.code(), ErrorCode::kUnsupported);
  EXPECT_THAT(quantized.message(), HasSubstr("q4_0"));
  EXPECT_EQ(CatchError([&] { reader.ReadF32("missing"); }).code(), ErrorCode::kNotFound);
}

TEST(GgufWriterTest, Write_MatchesTheSpecByteForByte) {
  ScratchDir dir;
  const std::string path = dir.File("small.gguf");
  const float a[] = {1, 2, 3};
  GgufWriter writer;
  writer.AddMeta("general.architecture", GgufValue::String("llama"));
  writer.AddMeta("n", GgufValue::Array(GgufType::kU16, {GgufValue::U16(7)}));
  writer.AddTensor("a", 0, Shape{1, 3}, a, sizeof(a));
  writer.AddTensor("b", 0, Shape{3}, a, sizeof(a));
  writer.Write(path);

  testing::ByteWriter expected;
  expected.Raw("GGUF", 4).U32(3).U64(2).U64(2);
  expected.Raw(testing::GgufKvString("general.architecture", "llama"));
  expected.Raw(testing::GgufKv("n", 9, testing::ByteWriter().U32(2).U64(1).U16(7).bytes()));
  expected.Str("a").U32(2).U64(3).U64(1).U32(0).U64(0);
  expected.Str("b").U32(1).U64(3).U32(0).U64(32);
  expected.PadTo(32).F32(1).F32(2).F32(3).PadTo(32).F32(1).F32(2).F32(3).PadTo(32);
  EXPECT_EQ(ReadBytes(path), expected.bytes());
}

TEST(GgufWriterTest, SetAlignment_WritesGeneralAlignmentAndAlignsTensors) {
  ScratchDir dir;
  const std::string path = dir.File("aligned.gguf");
  const float a[] = {1, 2, 3};
  GgufWriter writer;
  writer.AddMeta("x", GgufValue::U8(1));
  writer.SetAlignment(256);
  writer.AddTensor("a", 0, Shape{3}, a, sizeof(a));
  writer.AddTensor("b", 0, Shape{3}, a, sizeof(a));
  writer.Write(path);
  const GgufReader reader = GgufReader::Open(path);
  EXPECT_EQ(reader.alignment(), 256u);
  ASSERT_EQ(reader.metadata().size(), 2u);
  EXPECT_EQ(reader.metadata()[1].first, "general.alignment");
  EXPECT_EQ(reader.metadata()[1].second.type(), GgufType::kU32);
  EXPECT_EQ(reader.metadata()[1].second.AsUInt(), 256u);
  EXPECT_EQ(reader.Find("a")->offset % 256, 0u);
  EXPECT_EQ(reader.Find("b")->offset - reader.Find("a")->offset, 256u);
  EXPECT_EQ(ReadBytes(path).size() % 256, 0u);

  GgufWriter default_alignment;
  default_alignment.SetAlignment(32);
  default_alignment.Write(path);
  EXPECT_TRUE(GgufReader::Open(path).metadata().empty());
  EXPECT_EQ(CatchError([] { GgufWriter().SetAlignment(0); }).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CatchError([] { GgufWriter().SetAlignment(48); }).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CatchError([] { GgufWriter().AddMeta("general.alignment", GgufValue::U64(64)); }).code(),
            ErrorCode::kInvalidArgument);
}

TEST(GgufWriterTest, AddMetaAndAddTensor_RejectBadInput) {
  const uint8_t data[64] = {};
  GgufWriter writer;
  writer.AddMeta("k", GgufValue::U8(1));
  EXPECT_EQ(CatchError([&] { writer.AddMeta("k", GgufValue::U8(2)); }).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CatchError([&] { writer.AddMeta("", GgufValue::U8(2)); }).code(), ErrorCode::kInvalidArgument);
  writer.AddTensor("t", 0, Shape{4}, data, 16);
  EXPECT_EQ(CatchError([&] { writer.AddTensor("t", 0, Shape{4}, data, 16); }).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CatchError([&] { writer.AddTensor(std::string(64, 'n'), 0, Shape{4}, data, 16); }).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(CatchError([&] { writer.AddTensor("u", 99, Shape{4}, data, 16); }).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CatchError([&] { writer.AddTensor("u", 0, Shape{4}, data, 12); }).code(), ErrorCode::kShapeMismatch);
  EXPECT_EQ(CatchError([&] { writer.AddTensor("u", 2, Shape{2, 16}, data, 18); }).code(), ErrorCode::kShapeMismatch);
  EXPECT_EQ(CatchError([&] { writer.AddTensor("u", 0, Shape{1, 1, 1, 1, 1}, data, 4); }).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(CatchError([&] { writer.AddTensor("u", 0, Shape{0, 4}, data, 0); }).code(), ErrorCode::kInvalidArgument);
  writer.AddTensor("q", 2, Shape{2, 32}, data, 36);  // two q4_0 blocks
}

TEST(GgufReaderTest, Open_ReadsAVersion2File) {
  ScratchDir dir;
  testing::GgufFileSpec spec = testing::ValidGgufSpec();
  spec.version = 2;
  WriteBytes(dir.File("v2.gguf"), testing::BuildGguf(spec));
  const GgufReader reader = GgufReader::Open(dir.File("v2.gguf"));
  EXPECT_EQ(reader.version(), 2u);
  EXPECT_EQ(reader.Find("a")->shape, (Shape{2, 8}));
  EXPECT_EQ(reader.ReadF32("b").data<float>()[0], 8.0f);  // element 16 of the data * 0.5
}

// Rewrites `path` through GgufWriter with the same kvs, tensors and alignment and checks that
// the copy is byte-identical.
void ExpectByteIdenticalRewrite(const std::string& path) {
  ScratchDir dir;
  const std::string copy = dir.File("copy.gguf");
  const GgufReader reader = GgufReader::Open(path);
  GgufWriter writer;
  writer.SetAlignment(reader.alignment());
  for (const auto& [key, value] : reader.metadata()) writer.AddMeta(key, value);
  for (const GgufTensorInfo& info : reader.tensors()) {
    writer.AddTensor(info.name, info.ggml_type, info.shape, reader.Bytes(info), info.num_bytes);
  }
  writer.Write(copy);
  const std::vector<uint8_t> original = ReadBytes(path);
  const std::vector<uint8_t> rewritten = ReadBytes(copy);
  ASSERT_EQ(rewritten.size(), original.size());
  const auto mismatch = std::mismatch(original.begin(), original.end(), rewritten.begin());
  EXPECT_TRUE(mismatch.first == original.end())
      << "first difference at byte " << (mismatch.first - original.begin());
}

// The real stories260K model converted by llama.cpp: metadata, tensors, and a byte-identical
// rewrite through GgufWriter.
class StoriesGgufTest : public ::testing::Test {
 protected:
  const std::string path_ = testing::SharedPath("models/stories260K/stories260K-f32.gguf");
};

TEST_F(StoriesGgufTest, Open_ListsMetadataAndTensors) {
  SHRINK_REQUIRE_FILE(path_);
  const GgufReader reader = GgufReader::Open(path_);
  std::cout << path_ << ": GGUF v" << reader.version() << ", alignment " << reader.alignment() << "\n";
  for (const auto& [key, value] : reader.metadata()) {
    std::cout << "  " << key << " (" << GgufTypeName(value.type()) << ") = " << value.ToString(4) << "\n";
  }
  for (const GgufTensorInfo& info : reader.tensors()) {
    std::cout << "  " << info.name << " " << FindGgmlType(info.ggml_type)->name << " " << info.shape.ToString()
              << " @" << info.offset << " (" << info.num_bytes << " bytes)\n";
  }
  EXPECT_EQ(reader.version(), 3u);
  EXPECT_EQ(reader.alignment(), 32u);
  EXPECT_EQ(reader.metadata().size(), 19u);
  EXPECT_EQ(reader.FindMeta("general.architecture")->AsString(), "llama");
  EXPECT_EQ(reader.FindMeta("llama.block_count")->AsInt(), 5);
  EXPECT_EQ(reader.FindMeta("llama.embedding_length")->AsInt(), 64);
  EXPECT_FLOAT_EQ(static_cast<float>(reader.FindMeta("llama.attention.layer_norm_rms_epsilon")->AsDouble()), 1e-5f);
  const GgufValue* tokens = reader.FindMeta("tokenizer.ggml.tokens");
  ASSERT_NE(tokens, nullptr);
  EXPECT_EQ(tokens->array_type(), GgufType::kString);
  ASSERT_EQ(tokens->items().size(), 512u);
  EXPECT_EQ(tokens->items()[1].AsString(), "<s>");
  EXPECT_EQ(reader.tensors().size(), 48u);
  const GgufTensorInfo* embedding = reader.Find("token_embd.weight");
  ASSERT_NE(embedding, nullptr);
  EXPECT_EQ(embedding->shape, (Shape{512, 64}));
  EXPECT_EQ(embedding->ggml_type, 0u);
  EXPECT_EQ(reader.Find("blk.0.ffn_down.weight")->shape, (Shape{64, 172}));
  EXPECT_EQ(reader.Find("output_norm.weight")->shape, (Shape{64}));
  const GgufTensorInfo& last = reader.tensors().back();
  EXPECT_EQ(last.offset + last.num_bytes, reader.file()->size());

  const Tensor weights = reader.ReadF32("token_embd.weight");
  EXPECT_EQ(std::memcmp(weights.bytes(), reader.Bytes(*embedding), embedding->num_bytes), 0);
  double sum_squares = 0;
  for (int64_t i = 0; i < weights.num_elements(); ++i) sum_squares += weights.data<float>()[i] * weights.data<float>()[i];
  EXPECT_GT(sum_squares, 0.0);  // real trained weights, not zeros
  EXPECT_TRUE(std::isfinite(sum_squares));
}

TEST_F(StoriesGgufTest, Rewrite_IsByteIdenticalToTheOriginal) {
  SHRINK_REQUIRE_FILE(path_);
  for (const std::string& path : {path_, testing::SharedPath("models/stories260K/stories260K-ffnpad192-f32.gguf")}) {
    SCOPED_TRACE(path);
    if (!std::filesystem::exists(path)) continue;  // the padded variant is optional
    ExpectByteIdenticalRewrite(path);
  }
}

}  // namespace
}  // namespace shrink
