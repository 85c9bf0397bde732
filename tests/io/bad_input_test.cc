// Tests that broken safetensors and GGUF files are rejected with a shrink::Error naming the problem.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "io/file_builders.h"
#include "shrink/io/gguf.h"
#include "shrink/io/safetensors.h"
#include "testing/test_util.h"

namespace shrink {
namespace {

using ::testing::HasSubstr;
using testing::BuildGguf;
using testing::ByteWriter;
using testing::GgufFileSpec;
using testing::GgufKv;
using testing::GgufKvString;
using testing::GgufKvU32;
using testing::SafetensorsBytes;
using testing::ScratchDir;
using testing::ValidGgufSpec;
using testing::WriteBytes;

// Writes `bytes` to a scratch file, opens it with Reader, and checks that it throws a
// shrink::Error with `code` whose message contains `word` and the file's name.
template <typename Reader>
void ExpectRejected(const std::vector<uint8_t>& bytes, ErrorCode code, const std::string& word) {
  ScratchDir dir;
  const std::string path = dir.File("broken.bin");
  WriteBytes(path, bytes);
  try {
    Reader::Open(path);
    ADD_FAILURE() << "expected a shrink::Error containing '" << word << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_THAT(e.message(), HasSubstr(word));
    EXPECT_THAT(e.message(), HasSubstr("broken.bin"));
  }
}

void ExpectBadSafetensors(const std::vector<uint8_t>& bytes, const std::string& word,
                          ErrorCode code = ErrorCode::kCorruptData) {
  ExpectRejected<SafetensorsReader>(bytes, code, word);
}

void ExpectBadGguf(const GgufFileSpec& spec, const std::string& word, ErrorCode code = ErrorCode::kCorruptData) {
  ExpectRejected<GgufReader>(BuildGguf(spec), code, word);
}

// Returns a safetensors file with one F32 tensor "w" of `shape_json` at `offsets_json` and
// `data_bytes` bytes of data.
std::vector<uint8_t> OneTensor(const std::string& shape_json, const std::string& offsets_json, size_t data_bytes,
                               const std::string& dtype = "F32") {
  return SafetensorsBytes(R"({"w":{"dtype":")" + dtype + R"(","shape":)" + shape_json +
                              R"(,"data_offsets":)" + offsets_json + "}}",
                          std::vector<uint8_t>(data_bytes, 0));
}

// Returns a valid safetensors file with metadata and three tensors (written by the writer).
std::vector<uint8_t> ValidSafetensors() {
  ScratchDir dir;
  const float a[] = {1, 2, 3, 4, 5, 6};
  const int8_t b[] = {1, -1, 2};
  const uint16_t c[] = {1, 2};
  SafetensorsWriter writer;
  writer.SetMetadata("format", "pt");
  writer.Add("a", DType::kF32, Shape{2, 3}, a);
  writer.Add("b", DType::kI8, Shape{3}, b);
  writer.Add("c", DType::kBF16, Shape{1, 2}, c);
  writer.Write(dir.File("valid.safetensors"));
  return testing::ReadBytes(dir.File("valid.safetensors"));
}

// --- safetensors

TEST(SafetensorsReaderTest, Open_FileShorterThanTheLength_IsRejected) {
  ExpectBadSafetensors({}, "shorter");
  ExpectBadSafetensors({1, 0, 0}, "shorter");
}

TEST(SafetensorsReaderTest, Open_TruncatedInTheHeader_IsRejected) {
  std::vector<uint8_t> bytes = OneTensor("[2]", "[0,8]", 8);
  bytes.resize(20);
  ExpectBadSafetensors(bytes, "header length");
}

TEST(SafetensorsReaderTest, Open_TruncatedInTheData_IsRejected) {
  std::vector<uint8_t> bytes = OneTensor("[2]", "[0,8]", 8);
  bytes.pop_back();
  ExpectBadSafetensors(bytes, "past the end of the data buffer");
}

TEST(SafetensorsReaderTest, Open_HugeHeaderLength_IsRejected) {
  ByteWriter w;
  w.U64(uint64_t{1} << 63).Raw("{}", 2);
  ExpectBadSafetensors(w.bytes(), "header length 9223372036854775808");
}

TEST(SafetensorsReaderTest, Open_HeaderLengthOverTheLimit_IsRejectedWithoutParsing) {
  // A sparse file big enough to hold the claimed header, so only the 100 MB limit applies.
  ScratchDir dir;
  const std::string path = dir.File("huge.safetensors");
  ByteWriter w;
  w.U64(150'000'000).Raw("{", 1);
  WriteBytes(path, w.bytes());
  std::filesystem::resize_file(path, 8 + 150'000'000);
  try {
    SafetensorsReader::Open(path);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruptData);
    EXPECT_THAT(e.message(), HasSubstr("exceeds the limit"));
  }
}

TEST(SafetensorsReaderTest, Open_InvalidJson_IsRejected) {
  ExpectBadSafetensors(SafetensorsBytes(R"({"w": {"dtype": "F32",)", {}), "not valid JSON");
  ExpectBadSafetensors(SafetensorsBytes("", {}), "not valid JSON");
  ExpectBadSafetensors(SafetensorsBytes("{\"\xff\xfe\":1}", {}), "not valid JSON");  // not UTF-8
}

TEST(SafetensorsReaderTest, Open_JsonNotAnObject_IsRejected) {
  ExpectBadSafetensors(SafetensorsBytes("[1, 2]", {}), "expected a JSON object");
  ExpectBadSafetensors(SafetensorsBytes("42", {}), "expected a JSON object");
}

TEST(SafetensorsReaderTest, Open_DeepNesting_IsRejectedWithoutRecursing) {
  ExpectBadSafetensors(SafetensorsBytes(std::string(10000, '[') + std::string(10000, ']'), {}), "nests deeper");
  std::string objects;
  for (int i = 0; i < 5000; ++i) objects += "{\"a\":";
  objects += "1" + std::string(5000, '}');
  ExpectBadSafetensors(SafetensorsBytes(objects, {}), "nests deeper");
}

TEST(SafetensorsReaderTest, Open_EntryNotAnObject_IsRejected) {
  ExpectBadSafetensors(SafetensorsBytes(R"({"w": [1, 2]})", {}), "expected an object");
}

TEST(SafetensorsReaderTest, Open_MissingOrMistypedField_IsRejected) {
  ExpectBadSafetensors(SafetensorsBytes(R"({"w":{"shape":[1],"data_offsets":[0,4]}})", std::vector<uint8_t>(4)),
                       "no \"dtype\"");
  ExpectBadSafetensors(SafetensorsBytes(R"({"w":{"dtype":7,"shape":[1],"data_offsets":[0,4]}})", std::vector<uint8_t>(4)),
                       "expected a string");
  ExpectBadSafetensors(SafetensorsBytes(R"({"w":{"dtype":"F32","data_offsets":[0,4]}})", std::vector<uint8_t>(4)),
                       "no \"shape\"");
  ExpectBadSafetensors(SafetensorsBytes(R"({"w":{"dtype":"F32","shape":[1]}})", std::vector<uint8_t>(4)),
                       "no \"data_offsets\"");
  ExpectBadSafetensors(OneTensor("[1]", "[0]", 4), "data_offsets");
  ExpectBadSafetensors(OneTensor("[1]", "\"0-4\"", 4), "data_offsets");
  ExpectBadSafetensors(OneTensor("{}", "[0,4]", 4), "expected an array");
}

TEST(SafetensorsReaderTest, Open_UnknownDType_IsRejectedNamingIt) {
  ExpectBadSafetensors(OneTensor("[1]", "[0,4]", 4, "Q17"), "unknown dtype 'Q17'");
}

TEST(SafetensorsReaderTest, Open_DTypeShrinkDoesNotSupport_IsUnsupported) {
  ExpectBadSafetensors(OneTensor("[1]", "[0,8]", 8, "U64"), "U64", ErrorCode::kUnsupported);
}

TEST(SafetensorsReaderTest, Open_NegativeOrFractionalDim_IsRejected) {
  ExpectBadSafetensors(OneTensor("[-1]", "[0,0]", 0), "non-negative integer");
  ExpectBadSafetensors(OneTensor("[2.5]", "[0,10]", 10), "non-negative integer");
  ExpectBadSafetensors(OneTensor("[\"2\"]", "[0,8]", 8), "non-negative integer");
}

TEST(SafetensorsReaderTest, Open_ElementCountOverflow_IsRejected) {
  ExpectBadSafetensors(OneTensor("[4294967296, 4294967296]", "[0,4]", 4), "overflows");
  ExpectBadSafetensors(OneTensor("[18446744073709551615, 0]", "[0,0]", 0), "overflows");
  ExpectBadSafetensors(OneTensor("[1,1,1,1,1,1,1,1,1]", "[0,4]", 4), "rank 9");
}

TEST(SafetensorsReaderTest, Open_ShapeAndByteCountMismatch_IsRejected) {
  ExpectBadSafetensors(OneTensor("[2, 2]", "[0,12]", 12), "needs 16 bytes");
}

TEST(SafetensorsReaderTest, Open_EndBeforeBegin_IsRejected) {
  ExpectBadSafetensors(OneTensor("[0]", "[8,4]", 8), "before its begin");
}

TEST(SafetensorsReaderTest, Open_OffsetsPastTheEnd_IsRejected) {
  ExpectBadSafetensors(OneTensor("[2]", "[0,8]", 4), "past the end of the data buffer");
  ExpectBadSafetensors(OneTensor("[2]", "[18446744073709551608,18446744073709551615]", 4), "spanning");
  ExpectBadSafetensors(OneTensor("[1]", "[18446744073709551612,18446744073709551616]", 4), "data_offsets");
}

TEST(SafetensorsReaderTest, Open_OverlappingOffsets_IsRejected) {
  ExpectBadSafetensors(SafetensorsBytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                        R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                        std::vector<uint8_t>(12)),
                       "overlaps");
}

TEST(SafetensorsReaderTest, Open_HoleBetweenTensors_IsRejected) {
  ExpectBadSafetensors(SafetensorsBytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                        R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                                        std::vector<uint8_t>(12)),
                       "gap of 4 bytes");
  ExpectBadSafetensors(OneTensor("[1]", "[4,8]", 8), "gap of 4 bytes at the start");
}

TEST(SafetensorsReaderTest, Open_BufferNotFullyCovered_IsRejected) {
  ExpectBadSafetensors(OneTensor("[1]", "[0,4]", 10), "not covered");
}

TEST(SafetensorsReaderTest, Open_MetadataNotStrings_IsRejected) {
  ExpectBadSafetensors(SafetensorsBytes(R"({"__metadata__":{"epoch":3}})", {}), "expected a string");
  ExpectBadSafetensors(SafetensorsBytes(R"({"__metadata__":["x"]})", {}), "__metadata__");
}

TEST(SafetensorsReaderTest, Open_DuplicateKey_IsRejected) {
  ExpectBadSafetensors(SafetensorsBytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                        R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                        std::vector<uint8_t>(8)),
                       "twice");
}

TEST(SafetensorsReaderTest, Open_TruncatedAtEveryLength_ThrowsErrorOrSucceedsOnlyWhenComplete) {
  const std::vector<uint8_t> valid = ValidSafetensors();
  ScratchDir dir;
  const std::string path = dir.File("cut.safetensors");
  WriteBytes(path, valid);
  int errors = 0;
  for (size_t length = valid.size() + 1; length-- > 0;) {
    std::filesystem::resize_file(path, length);
    try {
      const SafetensorsReader reader = SafetensorsReader::Open(path);
      EXPECT_EQ(length, valid.size()) << "a truncated file was accepted";
      EXPECT_EQ(reader.ReadF32("a").data<float>()[5], 6.0f);
    } catch (const Error& e) {
      EXPECT_LT(length, valid.size()) << e.what();
      ++errors;
    }
    // Any other exception escapes and fails the test.
  }
  EXPECT_EQ(static_cast<size_t>(errors), valid.size());
}

TEST(SafetensorsReaderTest, Open_RandomlyCorruptedFiles_ThrowErrorOrReadCleanly) {
  const std::vector<uint8_t> valid = ValidSafetensors();
  ScratchDir dir;
  const std::string path = dir.File("fuzz.safetensors");
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 1000; ++trial) {
    std::vector<uint8_t> bytes = valid;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) {
      // Mostly in the length and header, where parsing happens.
      const size_t limit = rng() % 4 ? std::min<size_t>(bytes.size(), 8 + 160) : bytes.size();
      bytes[rng() % limit] = static_cast<uint8_t>(rng());
    }
    WriteBytes(path, bytes);
    try {
      const SafetensorsReader reader = SafetensorsReader::Open(path);
      for (const SafetensorsEntry& entry : reader.entries()) reader.ReadF32(entry.name);
    } catch (const Error&) {
    }
  }
}

// --- GGUF

TEST(GgufReaderTest, Open_BadMagic_IsRejected) {
  GgufFileSpec spec = ValidGgufSpec();
  spec.magic = "GGML";
  ExpectBadGguf(spec, "magic");
  ExpectRejected<GgufReader>({'G', 'G'}, ErrorCode::kCorruptData, "magic");
  ExpectRejected<GgufReader>({}, ErrorCode::kCorruptData, "magic");
}

TEST(GgufReaderTest, Open_UnsupportedVersion_IsRejected) {
  for (uint32_t version : {1u, 99u, 0x03000000u}) {
    GgufFileSpec spec = ValidGgufSpec();
    spec.version = version;
    ExpectBadGguf(spec, "unsupported version " + std::to_string(version), ErrorCode::kUnsupported);
  }
}

TEST(GgufReaderTest, Open_HugeTensorCount_IsRejectedBeforeAllocating) {
  GgufFileSpec spec = ValidGgufSpec();
  spec.tensor_count = uint64_t{1} << 60;
  ExpectBadGguf(spec, "tensor count 1152921504606846976");
  spec.tensor_count = 1000;  // more than the remaining bytes can describe
  ExpectBadGguf(spec, "tensor count 1000");
}

TEST(GgufReaderTest, Open_HugeKvCount_IsRejectedBeforeAllocating) {
  GgufFileSpec spec = ValidGgufSpec();
  spec.kv_count = ~uint64_t{0};
  ExpectBadGguf(spec, "kv count");
}

TEST(GgufReaderTest, Open_StringLengthPastTheEnd_IsRejected) {
  GgufFileSpec spec;
  spec.kvs.push_back(ByteWriter().U64(100).Raw("abc", 3).bytes());  // key claims 100 bytes
  ExpectBadGguf(spec, "string length 100");
}

TEST(GgufReaderTest, Open_HugeStringLength_IsRejected) {
  GgufFileSpec spec = ValidGgufSpec();
  spec.kvs[0] = GgufKv("general.architecture", 8, ByteWriter().U64(uint64_t{1} << 50).Raw("llama", 5).bytes());
  ExpectBadGguf(spec, "string length 1125899906842624");
}

TEST(GgufReaderTest, Open_UnknownValueType_IsRejected) {
  GgufFileSpec spec = ValidGgufSpec();
  spec.kvs.push_back(GgufKv("weird", 13, ByteWriter().U32(0).bytes()));
  ExpectBadGguf(spec, "unknown value type 13");
  spec.kvs.back() = GgufKv("weird", 9, ByteWriter().U32(77).U64(0).bytes());
  ExpectBadGguf(spec, "unknown value type 77");
}

TEST(GgufReaderTest, Open_NestedArray_IsRejected) {
  GgufFileSpec spec = ValidGgufSpec();
  spec.kvs.push_back(GgufKv("nested", 9, ByteWriter().U32(9).U64(1).U32(0).U64(1).U8(1).bytes()));
  ExpectBadGguf(spec, "nested array");
}

TEST(GgufReaderTest, Open_HugeArrayCount_IsRejectedBeforeAllocating) {
  GgufFileSpec spec = ValidGgufSpec();
  spec.kvs.push_back(GgufKv("big", 9, ByteWriter().U32(0).U64(uint64_t{1} << 62).bytes()));
  ExpectBadGguf(spec, "array count 4611686018427387904");
  spec.kvs.back() = GgufKv("strings", 9, ByteWriter().U32(8).U64(100000).bytes());
  ExpectBadGguf(spec, "array count 100000");
}

TEST(GgufReaderTest, Open_TooManyArrayItems_IsRejectedBeforeAllocating) {
  // A sparse file long enough for 2^22 + 1 one-byte items: only the per-file item limit applies.
  ScratchDir dir;
  const std::string path = dir.File("many.gguf");
  GgufFileSpec spec;
  spec.kvs.push_back(GgufKv("big", 9, ByteWriter().U32(0).U64((uint64_t{1} << 22) + 1).bytes()));
  WriteBytes(path, BuildGguf(spec));
  std::filesystem::resize_file(path, (uint64_t{1} << 22) + 4096);
  try {
    GgufReader::Open(path);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruptData);
    EXPECT_THAT(e.message(), HasSubstr("beyond the limit"));
  }
}

TEST(GgufReaderTest, Open_BadBoolValue_IsRejected) {
  GgufFileSpec spec = ValidGgufSpec();
  spec.kvs.push_back(GgufKv("flag", 7, ByteWriter().U8(2).bytes()));
  ExpectBadGguf(spec, "bool value 2");
}

TEST(GgufReaderTest, Open_DuplicateKey_IsRejected) {
  GgufFileSpec spec = ValidGgufSpec();
  spec.kvs.push_back(GgufKvU32("llama.block_count", 6));
  ExpectBadGguf(spec, "duplicate metadata key 'llama.block_count'");
}

TEST(GgufReaderTest, Open_BadAlignment_IsRejected) {
  for (uint32_t alignment : {0u, 3u, 48u}) {
    GgufFileSpec spec = ValidGgufSpec();
    spec.kvs.push_back(GgufKvU32("general.alignment", alignment));
    ExpectBadGguf(spec, "general.alignment is " + std::to_string(alignment) + ", expected a non-zero power of two");
  }
  GgufFileSpec spec = ValidGgufSpec();
  spec.kvs.push_back(GgufKv("general.alignment", 10, ByteWriter().U64(32).bytes()));
  ExpectBadGguf(spec, "expected u32");
}

TEST(GgufReaderTest, Open_BadDimensionCount_IsRejected) {
  GgufFileSpec spec = ValidGgufSpec();
  spec.tensors[0].ne = {};
  ExpectBadGguf(spec, "n_dims 0");
  spec.tensors[0].ne = {16, 1, 1, 1, 1};
  ExpectBadGguf(spec, "n_dims 5");
}

TEST(GgufReaderTest, Open_ZeroOrHugeDimension_IsRejected) {
  GgufFileSpec spec = ValidGgufSpec();
  spec.tensors[0].ne = {16, 0};
  ExpectBadGguf(spec, "zero dimension");
  spec.tensors[0].ne = {uint64_t{1} << 63, 1};
  ExpectBadGguf(spec, "overflow");
  spec.tensors[0].ne = {uint64_t{1} << 32, uint64_t{1} << 32};
  ExpectBadGguf(spec, "overflow");
  spec.tensors[0].ne = {uint64_t{1} << 61};  // fits int64 but not in bytes of the file
  ExpectBadGguf(spec, "past the end");
}

TEST(GgufReaderTest, Open_UnknownGgmlType_IsRejectedNamingTheId) {
  GgufFileSpec spec = ValidGgufSpec();
  spec.tensors[1].type = 99;
  ExpectBadGguf(spec, "unknown ggml type 99");
  spec.tensors[1].type = 4;  // q4_2, retired by ggml
  ExpectBadGguf(spec, "unknown ggml type 4");
}

TEST(GgufReaderTest, Open_FirstDimNotDivisibleByBlockSize_IsRejected) {
  GgufFileSpec spec = ValidGgufSpec();
  spec.tensors[1].type = 2;  // q4_0: blocks of 32
  spec.tensors[1].ne = {33};
  ExpectBadGguf(spec, "not divisible by the block size 32");
}

TEST(GgufReaderTest, Open_MisalignedOffset_IsRejected) {
  GgufFileSpec spec = ValidGgufSpec();
  spec.tensors[1].offset = 68;
  ExpectBadGguf(spec, "not a multiple of the alignment 32");
}

TEST(GgufReaderTest, Open_DataPastTheEnd_IsRejected) {
  GgufFileSpec spec = ValidGgufSpec();
  spec.tensors[1].offset = 96;
  ExpectBadGguf(spec, "past the end");
  spec.tensors[1].offset = ~uint64_t{0} & ~uint64_t{31};
  ExpectBadGguf(spec, "past the end");
}

TEST(GgufReaderTest, Open_OverlappingTensors_IsRejected) {
  GgufFileSpec spec = ValidGgufSpec();
  spec.tensors[1].offset = 32;
  spec.data.resize(spec.data.size() + 64);
  ExpectBadGguf(spec, "overlaps");
}

TEST(GgufReaderTest, Open_DuplicateTensorName_IsRejected) {
  GgufFileSpec spec = ValidGgufSpec();
  spec.tensors[1].name = "a";
  ExpectBadGguf(spec, "duplicate tensor name 'a'");
}

TEST(GgufReaderTest, Open_TruncatedAtEveryLength_ThrowsErrorOrSucceedsOnlyWhenComplete) {
  const std::vector<uint8_t> valid = BuildGguf(ValidGgufSpec());
  ScratchDir dir;
  const std::string path = dir.File("cut.gguf");
  WriteBytes(path, valid);
  int errors = 0;
  for (size_t length = valid.size() + 1; length-- > 0;) {
    std::filesystem::resize_file(path, length);
    try {
      const GgufReader reader = GgufReader::Open(path);
      EXPECT_EQ(length, valid.size()) << "a truncated file was accepted";
      EXPECT_EQ(reader.ReadF32("b").data<float>()[31], 23.5f);  // element 47 * 0.5
    } catch (const Error& e) {
      EXPECT_LT(length, valid.size()) << e.what();
      ++errors;
    }
  }
  EXPECT_EQ(static_cast<size_t>(errors), valid.size());
}

TEST(GgufReaderTest, Open_RealModelTruncatedInItsHeader_ThrowsError) {
  const std::string model = testing::SharedPath("models/stories260K/stories260K-f32.gguf");
  SHRINK_REQUIRE_FILE(model);
  const std::vector<uint8_t> valid = testing::ReadBytes(model);
  const auto data_start = static_cast<size_t>(GgufReader::Open(model).tensors().front().offset);  // 14176
  ASSERT_LT(data_start, valid.size());
  ScratchDir dir;
  const std::string path = dir.File("cut.gguf");
  WriteBytes(path, std::vector<uint8_t>(valid.begin(), valid.begin() + data_start + 1));
  // Every length in the first 512 and the last 256 bytes before the data, every 5th in
  // between (the crafted file above is cut at every length).
  for (size_t length = data_start + 1; length-- > 0;) {
    if (length > 512 && length + 256 < data_start && length % 5 != 0) continue;
    std::filesystem::resize_file(path, length);
    EXPECT_THROW(GgufReader::Open(path), Error) << length;
  }
}

TEST(GgufReaderTest, Open_RandomlyCorruptedFiles_ThrowErrorOrReadCleanly) {
  const std::vector<uint8_t> valid = BuildGguf(ValidGgufSpec());
  ScratchDir dir;
  const std::string path = dir.File("fuzz.gguf");
  std::mt19937 rng(5678);
  const size_t header_bytes = valid.size() - ValidGgufSpec().data.size();
  for (int trial = 0; trial < 2000; ++trial) {
    std::vector<uint8_t> bytes = valid;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) bytes[rng() % header_bytes] = static_cast<uint8_t>(rng());
    WriteBytes(path, bytes);
    try {
      const GgufReader reader = GgufReader::Open(path);
      for (const auto& kv : reader.metadata()) kv.second.ToString();
      for (const GgufTensorInfo& info : reader.tensors()) reader.ReadF32(info.name);
    } catch (const Error&) {
    }
  }
}

}  // namespace
}  // namespace shrink
