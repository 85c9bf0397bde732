// Corrupt sparse tensors: every broken section, offset, index and scale is a kCorruptData error
// naming what is wrong, and random byte damage never crashes or reads out of bounds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "shrink/formats/sparse_tensor.h"
#include "testing/test_util.h"

namespace shrink {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kRows = 6;
constexpr int64_t kCols = 44;  // not a multiple of 8: the bitmask rows have padding bits

// Returns a small valid tensor of `layout` ("nm" is n:m) with `values`; every row keeps the first
// n weights of each m.
CompressedTensor MakeTensor(const std::string& layout, const std::string& values = "f32", int n = 2, int m = 4,
                            int64_t cols = kCols) {
  const Tensor w = testing::RandomMatrix(kRows, cols, 1);
  std::vector<uint8_t> mask(static_cast<size_t>(kRows * cols));
  for (int64_t i = 0; i < kRows * cols; ++i) mask[static_cast<size_t>(i)] = (i % cols % m) < n ? 1 : 0;
  SparseSpec spec;
  spec.layout = layout;
  spec.value_format = values;
  spec.n = n;
  spec.m = m;
  return SparsifyTensor(w.View<float>(), mask.data(), spec, "w");
}

CompressedSection& SectionNamed(CompressedTensor& t, const std::string& name) {
  for (CompressedSection& s : t.mutable_sections()) {
    if (s.name == name) return s;
  }
  ADD_FAILURE() << "no section " << name;
  return t.mutable_sections().front();
}

template <typename T>
void Put(CompressedTensor& t, const std::string& section, int64_t index, T value) {
  std::memcpy(SectionNamed(t, section).bytes.data() + index * static_cast<int64_t>(sizeof(T)), &value, sizeof(T));
}

template <typename T>
T Get(CompressedTensor& t, const std::string& section, int64_t index) {
  T value;
  std::memcpy(&value, SectionNamed(t, section).bytes.data() + index * static_cast<int64_t>(sizeof(T)), sizeof(T));
  return value;
}

// Expects validation (and so MatVec and DensifyTensor) to fail with kCorruptData mentioning `text`.
void ExpectCorrupt(const CompressedTensor& t, const std::string& text) {
  const Error e = testing::CatchError([&] { ValidateSparse(t); });
  EXPECT_EQ(e.code(), ErrorCode::kCorruptData) << e.what();
  EXPECT_THAT(e.what(), HasSubstr(text));
  std::vector<float> x(kCols, 1.0f), y(kRows);
  EXPECT_EQ(testing::CatchError([&] { SparseMatVec(t, x.data(), y.data()); }).code(), ErrorCode::kCorruptData);
  Tensor out(DType::kF32, Shape{kRows, kCols});
  EXPECT_EQ(testing::CatchError([&] { DensifyTensor(t, out.View<float>()); }).code(), ErrorCode::kCorruptData);
}

TEST(SparseCorruptTest, CsrRowPointersAndColumnIndices) {
  CompressedTensor t = MakeTensor("csr");
  Put<int32_t>(t, "row_ptr", 0, 1);
  ExpectCorrupt(t, "row_ptr[0] = 1, expected 0");

  t = MakeTensor("csr");
  Put<int32_t>(t, "row_ptr", 3, Get<int32_t>(t, "row_ptr", 2) - 1);
  ExpectCorrupt(t, "row_ptr[3]");

  t = MakeTensor("csr");
  Put<int32_t>(t, "row_ptr", kRows, Get<int32_t>(t, "row_ptr", kRows) + 1);  // no longer nnz
  ExpectCorrupt(t, "'col_idx'");

  t = MakeTensor("csr");
  Put<int32_t>(t, "row_ptr", 2, Get<int32_t>(t, "row_ptr", 1) + kCols + 1);  // a row longer than cols
  ExpectCorrupt(t, "row 1 would keep");

  t = MakeTensor("csr");
  Put<uint16_t>(t, "col_idx", 5, static_cast<uint16_t>(kCols));
  ExpectCorrupt(t, "col_idx[5] = 44 is outside [0, 44)");

  t = MakeTensor("csr");
  const auto a = Get<uint16_t>(t, "col_idx", 3);
  Put<uint16_t>(t, "col_idx", 3, Get<uint16_t>(t, "col_idx", 4));
  Put<uint16_t>(t, "col_idx", 4, a);
  ExpectCorrupt(t, "column indices must strictly increase within a row");

  t = MakeTensor("csr");
  SectionNamed(t, "row_ptr").dtype = DType::kF32;
  ExpectCorrupt(t, "'row_ptr' has dtype f32, expected i32 or i64");

  t = MakeTensor("csr");
  t.mutable_sections().erase(t.mutable_sections().begin() + 1);
  ExpectCorrupt(t, "no 'col_idx' section");
}

TEST(SparseCorruptTest, ValuesAndScales) {
  CompressedTensor t = MakeTensor("csr");
  SectionNamed(t, "values").bytes.pop_back();
  ExpectCorrupt(t, "'values'");

  t = MakeTensor("bitmask");
  SectionNamed(t, "values").dtype = DType::kF16;
  ExpectCorrupt(t, "'values'");

  for (const std::string layout : {"csr", "bitmask", "nm"}) {
    t = MakeTensor(layout, "int8");
    Put<float>(t, "scale", 2, NAN);
    ExpectCorrupt(t, "row 2 has scale nan");
    t = MakeTensor(layout, "int8");
    Put<float>(t, "scale", 4, -1.0f);
    ExpectCorrupt(t, "row 4 has scale -1");
  }

  t = MakeTensor("csr");
  t.SetMeta("values", "q4_0");
  ExpectCorrupt(t, "value format 'q4_0' is none of f32, f16, bf16 or int8");
}

TEST(SparseCorruptTest, BitmaskPopcountsAndPadding) {
  CompressedTensor t = MakeTensor("bitmask");
  SectionNamed(t, "mask").bytes[6 * 2 + 1] ^= 0x01;  // row 2 (6 bytes per row) gains or loses a bit
  ExpectCorrupt(t, "bitmask row 2 has");

  t = MakeTensor("bitmask");
  SectionNamed(t, "mask").bytes[6 * 3 + 5] |= 0x80;  // column 47 of row 3: padding
  ExpectCorrupt(t, "bitmask row 3 has mask bits set past column 43");

  t = MakeTensor("bitmask");
  Put<int32_t>(t, "row_offset", kRows, Get<int32_t>(t, "row_offset", kRows) - 1);
  ExpectCorrupt(t, "bitmask row 5 has");
}

TEST(SparseCorruptTest, NmIndicesAndMetadata) {
  CompressedTensor t = MakeTensor("nm");
  SectionNamed(t, "indices").bytes[6 * 1 + 1] = 0x55;  // row 1 (6 bytes), groups 2 and 3: index 1 twice
  ExpectCorrupt(t, "nm row 1 group 2: index 1 after 1");

  t = MakeTensor("nm", "f32", 1, 3, 45);  // 2-bit indices can say 3, which is not below m = 3
  SectionNamed(t, "indices").bytes[0] = 0x03;
  ExpectCorrupt(t, "below m = 3");

  t = MakeTensor("nm");
  t.SetMeta("n", "4");
  ExpectCorrupt(t, "expected n < m");

  t = MakeTensor("nm");
  t.SetMeta("m", "four");
  ExpectCorrupt(t, "metadata 'm' = 'four'");

  t = MakeTensor("nm");
  t.SetMeta("m", "8");  // 44 columns are not whole groups of 8
  ExpectCorrupt(t, "not a multiple of m = 8");

  t = MakeTensor("nm", "q8_0", 2, 4, 64);  // 32 kept per row: one q8_0 block
  ASSERT_NE(t.FindSection("values.blocks"), nullptr);
  SectionNamed(t, "values.blocks").bytes.resize(3);
  ExpectCorrupt(t, "'values.blocks'");

  t = MakeTensor("nm", "int", 2, 4, 64);
  t.SetMeta("values.bits", "99");
  ExpectCorrupt(t, "bad value format settings");
}

TEST(SparseCorruptTest, ShapeAndNameAreChecked) {
  CompressedTensor t("csr", Shape{kRows * kCols});
  ExpectCorrupt(t, "expected a non-empty 2-D shape");
  const Error e = testing::CatchError([] { ValidateSparse(CompressedTensor("q4_0", Shape{2, 32})); });
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
}

TEST(SparseCorruptTest, RandomDamageIsDetectedOrHarmless) {
  // A damaged value is still a value; a damaged index or offset must be caught. Either way
  // nothing may crash or read out of bounds (run under the sanitizers).
  std::mt19937 rng(7);
  const std::pair<std::string, std::string> kinds[] = {{"csr", "f32"}, {"csr", "int8"}, {"bitmask", "f16"},
                                                       {"nm", "bf16"}, {"nm", "int8"},  {"nm", "q8_0"}};
  for (const auto& [layout, values] : kinds) {
    const CompressedTensor good = MakeTensor(layout, values, 2, 4, 64);
    std::vector<float> x(64, 1.0f), y(kRows);
    Tensor out(DType::kF32, good.shape());
    for (int trial = 0; trial < 300; ++trial) {
      CompressedTensor t = good;
      std::vector<CompressedSection>& sections = t.mutable_sections();
      CompressedSection& s = sections[std::uniform_int_distribution<size_t>(0, sections.size() - 1)(rng)];
      if (s.bytes.empty()) continue;
      s.bytes[std::uniform_int_distribution<size_t>(0, s.bytes.size() - 1)(rng)] ^=
          static_cast<uint8_t>(1u << std::uniform_int_distribution<int>(0, 7)(rng));
      try {
        SparseMatVec(t, x.data(), y.data());
        DensifyTensor(t, out.View<float>());
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kCorruptData) << e.what();
      }
    }
  }
}

}  // namespace
}  // namespace shrink
