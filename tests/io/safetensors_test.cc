// Tests MappedFile, AtomicFileWriter and safetensors reading and writing on valid files.
#include "shrink/io/safetensors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "shrink/core/float_codec.h"
#include "shrink/io/atomic_file.h"
#include "shrink/io/mapped_file.h"
#include "testing/test_util.h"
#include "io/file_builders.h"

namespace shrink {
namespace {

using ::testing::HasSubstr;
using testing::ReadBytes;
using testing::ScratchDir;
using testing::WriteBytes;

// Returns the names of the files in `dir`.
std::vector<std::string> ListDir(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  return names;
}

// Returns a tensor of `dtype` and `shape` filled with random bytes from `seed`.
Tensor RandomBytesTensor(DType dtype, const Shape& shape, uint32_t seed) {
  Tensor t(dtype, shape);
  std::mt19937 rng(seed);
  auto* p = reinterpret_cast<uint8_t*>(t.bytes());
  for (size_t i = 0; i < t.num_bytes(); ++i) p[i] = static_cast<uint8_t>(rng());
  return t;
}

TEST(MappedFileTest, Open_MapsTheWholeFile) {
  ScratchDir dir;
  WriteBytes(dir.File("f"), {1, 2, 3, 4, 5});
  const auto file = MappedFile::Open(dir.File("f"));
  ASSERT_EQ(file->size(), 5u);
  EXPECT_EQ(file->path(), dir.File("f"));
  EXPECT_EQ(std::vector<uint8_t>(file->data(), file->data() + 5), (std::vector<uint8_t>{1, 2, 3, 4, 5}));
}

TEST(MappedFileTest, Open_EmptyFile_HasSizeZero) {
  ScratchDir dir;
  WriteBytes(dir.File("empty"), {});
  const auto file = MappedFile::Open(dir.File("empty"));
  EXPECT_EQ(file->size(), 0u);
}

TEST(MappedFileTest, Open_MissingFile_ThrowsNotFoundNamingThePath) {
  ScratchDir dir;
  try {
    MappedFile::Open(dir.File("missing.bin"));
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_THAT(e.message(), HasSubstr("missing.bin"));
  }
}

TEST(MappedFileTest, Open_Directory_ThrowsIo) {
  ScratchDir dir;
  try {
    MappedFile::Open(dir.path().string());
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
    EXPECT_THAT(e.message(), HasSubstr("directory"));
  }
}

TEST(MappedFileTest, Open_Fifo_ThrowsIoWithoutBlocking) {
  ScratchDir dir;
  const std::string path = dir.File("fifo");
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  try {
    MappedFile::Open(path);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
    EXPECT_THAT(e.message(), HasSubstr("not a regular file"));
  }
}

TEST(AtomicFileWriterTest, Commit_ReplacesTheDestination) {
  ScratchDir dir;
  const std::string path = dir.File("out.bin");
  WriteBytes(path, {9, 9, 9});
  AtomicFileWriter writer(path);
  const uint8_t bytes[] = {1, 2, 3};
  writer.Write(bytes, 3);
  writer.WriteZeros(5000);
  EXPECT_EQ(writer.offset(), 5003u);
  EXPECT_EQ(ReadBytes(path), (std::vector<uint8_t>{9, 9, 9}));  // untouched before Commit
  writer.Commit();
  const auto written = ReadBytes(path);
  ASSERT_EQ(written.size(), 5003u);
  EXPECT_EQ(written[0], 1);
  EXPECT_EQ(written[2], 3);
  EXPECT_EQ(written[5002], 0);
  EXPECT_EQ(ListDir(dir.path()), std::vector<std::string>{"out.bin"});  // no temporary left
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(st.st_mode & S_IRUSR);
  EXPECT_TRUE(st.st_mode & S_IWUSR);
}

TEST(AtomicFileWriterTest, ExceptionBeforeCommit_LeavesNoFileAndKeepsTheDestination) {
  ScratchDir dir;
  const std::string fresh = dir.File("fresh.bin");
  const std::string existing = dir.File("existing.bin");
  WriteBytes(existing, {7, 7});
  for (const std::string& path : {fresh, existing}) {
    try {
      AtomicFileWriter writer(path);
      std::vector<uint8_t> big(3 << 20, 0xab);  // more than the writer's buffer, so bytes hit the disk
      writer.Write(big.data(), big.size());
      throw std::runtime_error("simulated failure");
    } catch (const std::runtime_error&) {
    }
  }
  EXPECT_FALSE(std::filesystem::exists(fresh));
  EXPECT_EQ(ReadBytes(existing), (std::vector<uint8_t>{7, 7}));
  EXPECT_EQ(ListDir(dir.path()), std::vector<std::string>{"existing.bin"});
}

TEST(AtomicFileWriterTest, MissingDirectory_ThrowsIoNamingThePath) {
  ScratchDir dir;
  try {
    AtomicFileWriter writer(dir.File("no/such/dir/out.bin"));
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
    EXPECT_THAT(e.message(), HasSubstr("no/such/dir/out.bin"));
  }
}

TEST(SafetensorsWriterTest, RoundTrip_PreservesEveryDType) {
  ScratchDir dir;
  const std::string path = dir.File("all.safetensors");
  std::vector<Tensor> tensors;
  std::vector<std::string> names;
  SafetensorsWriter writer;
  uint32_t seed = 1;
  for (DType dtype : kAllDTypes) {
    names.push_back(std::string("t_") + DTypeName(dtype));
    tensors.push_back(RandomBytesTensor(dtype, Shape{3, 5}, seed++));
    writer.Add(names.back(), tensors.back());
  }
  writer.SetMetadata("format", "pt");
  writer.SetMetadata("note", "ünïcode \"quoted\"\n");
  writer.Write(path);

  const SafetensorsReader reader = SafetensorsReader::Open(path);
  ASSERT_EQ(reader.entries().size(), tensors.size());
  EXPECT_EQ(reader.metadata().size(), 2u);
  EXPECT_EQ(reader.metadata().at("format"), "pt");
  EXPECT_EQ(reader.metadata().at("note"), "ünïcode \"quoted\"\n");
  for (size_t i = 0; i < tensors.size(); ++i) {
    // Entries come back in file order, which is the order added.
    EXPECT_EQ(reader.entries()[i].name, names[i]);
    const Tensor read = reader.Read(names[i]);
    EXPECT_EQ(read.dtype(), tensors[i].dtype()) << names[i];
    EXPECT_EQ(read.shape(), tensors[i].shape()) << names[i];
    ASSERT_EQ(read.num_bytes(), tensors[i].num_bytes());
    EXPECT_EQ(std::memcmp(read.bytes(), tensors[i].bytes(), read.num_bytes()), 0) << names[i];
  }
}

TEST(SafetensorsWriterTest, Write_PadsTheHeaderToAMultipleOfEightWithSpaces) {
  ScratchDir dir;
  for (int name_length = 1; name_length <= 9; ++name_length) {
    const std::string path = dir.File("pad.safetensors");
    const float value = 1.5f;
    SafetensorsWriter writer;
    writer.Add(std::string(static_cast<size_t>(name_length), 'x'), DType::kF32, Shape{1}, &value);
    writer.Write(path);
    const auto bytes = ReadBytes(path);
    uint64_t header_size = 0;
    for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | bytes[static_cast<size_t>(i)];
    EXPECT_EQ((8 + header_size) % 8, 0u);
    EXPECT_EQ(bytes.size(), 8 + header_size + 4);
    EXPECT_EQ(bytes[8], static_cast<uint8_t>('{'));
    const SafetensorsReader reader = SafetensorsReader::Open(path);
    EXPECT_EQ(reader.entries()[0].offset % 8, 0u);
  }
}

TEST(SafetensorsWriterTest, RoundTrip_EmptyAndScalarTensors) {
  ScratchDir dir;
  const std::string path = dir.File("edge.safetensors");
  const int32_t scalar = -7;
  SafetensorsWriter writer;
  writer.Add("empty", DType::kF32, Shape{0, 4}, nullptr);
  writer.Add("scalar", DType::kI32, Shape{}, &scalar);
  writer.Write(path);
  const SafetensorsReader reader = SafetensorsReader::Open(path);
  ASSERT_NE(reader.Find("empty"), nullptr);
  EXPECT_EQ(reader.Find("empty")->shape, (Shape{0, 4}));
  EXPECT_EQ(reader.Read("empty").num_elements(), 0);
  const Tensor s = reader.ReadF32("scalar");
  EXPECT_EQ(s.shape().rank(), 0);
  EXPECT_EQ(s.data<float>()[0], -7.0f);
}

TEST(SafetensorsWriterTest, Add_RejectsBadNames) {
  const float x = 0;
  SafetensorsWriter writer;
  writer.Add("a", DType::kF32, Shape{1}, &x);
  for (const std::string name : {"a", "", "__metadata__"}) {
    try {
      writer.Add(name, DType::kF32, Shape{1}, &x);
      FAIL() << "expected an Error for '" << name << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    }
  }
}

TEST(SafetensorsWriterTest, Write_IntoMissingDirectory_ThrowsIoAndLeavesNothing) {
  ScratchDir dir;
  const float x = 0;
  SafetensorsWriter writer;
  writer.Add("a", DType::kF32, Shape{1}, &x);
  try {
    writer.Write(dir.File("missing/out.safetensors"));
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
  }
  EXPECT_TRUE(ListDir(dir.path()).empty());
}

TEST(SafetensorsReaderTest, Bytes_PointIntoTheMappingWithoutCopying) {
  ScratchDir dir;
  const std::string path = dir.File("lazy.safetensors");
  const Tensor a = testing::RandomMatrix(4, 8, 1);
  const Tensor b = testing::RandomMatrix(2, 3, 2);
  SafetensorsWriter writer;
  writer.Add("a", a);
  writer.Add("b", b);
  writer.Write(path);

  std::shared_ptr<const MappedFile> file;
  const SafetensorsEntry* entry_b = nullptr;
  const uint8_t* bytes_b = nullptr;
  {
    const SafetensorsReader reader = SafetensorsReader::Open(path);
    file = reader.file();
    entry_b = reader.Find("b");
    ASSERT_NE(entry_b, nullptr);
    EXPECT_EQ(reader.Find("c"), nullptr);
    bytes_b = reader.Bytes(*entry_b);
    EXPECT_EQ(bytes_b, file->data() + entry_b->offset);
    EXPECT_GE(bytes_b, file->data());
    EXPECT_LE(bytes_b + entry_b->num_bytes, file->data() + file->size());
    EXPECT_EQ(entry_b->num_bytes, 2u * 3u * 4u);
  }
  // The mapping outlives the reader while someone holds it.
  EXPECT_EQ(std::memcmp(bytes_b, b.bytes(), b.num_bytes()), 0);

  // Rewriting the path (rename over it) does not disturb an open reader's view.
  const SafetensorsReader reader = SafetensorsReader::Open(path);
  const Tensor z = testing::RandomMatrix(1, 1, 3);
  SafetensorsWriter other;
  other.Add("z", z);
  other.Write(path);
  const Tensor again = reader.ReadF32("a");
  EXPECT_EQ(std::memcmp(again.bytes(), a.bytes(), a.num_bytes()), 0);
  EXPECT_NE(SafetensorsReader::Open(path).Find("z"), nullptr);
}

TEST(SafetensorsReaderTest, ReadF32_ConvertsEveryDType) {
  ScratchDir dir;
  const std::string path = dir.File("convert.safetensors");
  const uint16_t f16[] = {F32ToF16Ref(1.5f), F32ToF16Ref(-2.0f)};
  const uint16_t bf16[] = {0x3fc0, 0xc000};  // 1.5, -2
  const uint8_t e4m3[] = {F32ToF8E4M3Ref(1.5f), F32ToF8E4M3Ref(-2.0f)};
  const uint8_t e5m2[] = {F32ToF8E5M2Ref(1.5f), F32ToF8E5M2Ref(-2.0f)};
  const int8_t i8[] = {-128, 127};
  const uint8_t u8[] = {0, 255};
  const int16_t i16[] = {-300, 300};
  const uint16_t u16[] = {0, 65535};
  const int32_t i32[] = {-100000, 123456};
  const int64_t i64[] = {-(int64_t{1} << 40), 42};
  const float f32[] = {1.5f, -2.0f};
  SafetensorsWriter writer;
  writer.Add("f32", DType::kF32, Shape{2}, f32);
  writer.Add("f16", DType::kF16, Shape{2}, f16);
  writer.Add("bf16", DType::kBF16, Shape{2}, bf16);
  writer.Add("e4m3", DType::kF8E4M3, Shape{2}, e4m3);
  writer.Add("e5m2", DType::kF8E5M2, Shape{2}, e5m2);
  writer.Add("i8", DType::kI8, Shape{2}, i8);
  writer.Add("u8", DType::kU8, Shape{2}, u8);
  writer.Add("i16", DType::kI16, Shape{2}, i16);
  writer.Add("u16", DType::kU16, Shape{2}, u16);
  writer.Add("i32", DType::kI32, Shape{2}, i32);
  writer.Add("i64", DType::kI64, Shape{1, 2}, i64);
  writer.Write(path);

  const SafetensorsReader reader = SafetensorsReader::Open(path);
  const auto values = [&](const std::string& name) {
    const Tensor t = reader.ReadF32(name);
    EXPECT_EQ(t.dtype(), DType::kF32);
    return std::vector<float>(t.data<float>(), t.data<float>() + t.num_elements());
  };
  for (const char* name : {"f32", "f16", "bf16", "e4m3", "e5m2"}) {
    EXPECT_EQ(values(name), (std::vector<float>{1.5f, -2.0f})) << name;
  }
  EXPECT_EQ(values("i8"), (std::vector<float>{-128.0f, 127.0f}));
  EXPECT_EQ(values("u8"), (std::vector<float>{0.0f, 255.0f}));
  EXPECT_EQ(values("i16"), (std::vector<float>{-300.0f, 300.0f}));
  EXPECT_EQ(values("u16"), (std::vector<float>{0.0f, 65535.0f}));
  EXPECT_EQ(values("i32"), (std::vector<float>{-100000.0f, 123456.0f}));
  EXPECT_EQ(values("i64"), (std::vector<float>{-1099511627776.0f, 42.0f}));
  EXPECT_EQ(reader.ReadF32("i64").shape(), (Shape{1, 2}));
}

TEST(SafetensorsReaderTest, Read_MissingTensor_ThrowsNotFound) {
  ScratchDir dir;
  const std::string path = dir.File("one.safetensors");
  const Tensor a = testing::RandomMatrix(1, 2, 1);
  SafetensorsWriter writer;
  writer.Add("a", a);
  writer.Write(path);
  const SafetensorsReader reader = SafetensorsReader::Open(path);
  for (int f32 = 0; f32 < 2; ++f32) {
    try {
      if (f32) {
        reader.ReadF32("nope");
      } else {
        reader.Read("nope");
      }
      FAIL() << "expected an Error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kNotFound);
      EXPECT_THAT(e.message(), HasSubstr("nope"));
    }
  }
}

TEST(SafetensorsReaderTest, Open_AcceptsAHandWrittenHeaderInAnyKeyOrder) {
  // Like a file from the Python library: sorted keys, metadata last, offsets not in key order.
  ScratchDir dir;
  const std::string path = dir.File("hand.safetensors");
  const std::string header =
      R"({"b":{"shape":[2],"dtype":"I16","data_offsets":[0,4]},)"
      R"( "a":{"data_offsets":[4,12],"dtype":"F32","shape":[1,2],"extra":true},)"
      R"( "__metadata__":{"format":"pt"}}   )";
  std::vector<uint8_t> data = {1, 0, 2, 0};
  testing::ByteWriter floats;
  floats.F32(3.0f).F32(4.0f);
  data.insert(data.end(), floats.bytes().begin(), floats.bytes().end());
  WriteBytes(path, testing::SafetensorsBytes(header, data));
  const SafetensorsReader reader = SafetensorsReader::Open(path);
  ASSERT_EQ(reader.entries().size(), 2u);
  EXPECT_EQ(reader.entries()[0].name, "b");  // file order, not key order
  EXPECT_EQ(reader.entries()[1].name, "a");
  EXPECT_EQ(reader.entries()[0].offset, 8 + header.size());
  EXPECT_EQ(reader.metadata().at("format"), "pt");
  const Tensor a = reader.ReadF32("a");
  EXPECT_EQ(a.shape(), (Shape{1, 2}));
  EXPECT_EQ(a.data<float>()[1], 4.0f);
  const Tensor b = reader.Read("b");
  EXPECT_EQ(b.data<int16_t>()[1], 2);
}

TEST(SafetensorsReaderTest, Open_AcceptsAnEmptyFileWithoutTensors) {
  ScratchDir dir;
  const std::string path = dir.File("none.safetensors");
  SafetensorsWriter().Write(path);
  const SafetensorsReader reader = SafetensorsReader::Open(path);
  EXPECT_TRUE(reader.entries().empty());
  EXPECT_TRUE(reader.metadata().empty());
}

}  // namespace
}  // namespace shrink
