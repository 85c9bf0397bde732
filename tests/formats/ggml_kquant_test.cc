// Tests of the ggml k-quant formats: layout, error bounds against ggml's encoders, importance,
// GPTQ consistency, corrupt data, bad shapes and a 4096 x 4096 tensor.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "shrink/core/float_codec.h"
#include "shrink/formats/quant_format.h"
#include "shrink/formats/quant_tensor.h"
#include "src/formats/ggml_kquant_layout.h"
#include "testing/format_round_trip.h"
#include "testing/test_util.h"

namespace shrink {
namespace {

using ::testing::HasSubstr;
using kquant::kSuperBlock;
using testing::RandomMatrix;

// One k-quant with the numbers the tests hold it to.
struct KQuantCase {
  const char* name;
  int block_bytes;
  int sub_size;
  double bits_per_weight;
  float level_min, level_max;
  // The relative RMS error of ggml (llama.cpp at c392e50) on the data of ErrorIsAtMostGgmls:
  // quantize_qX_K without an importance vector, and importance-weighted with it.
  double ggml_gaussian, ggml_heavy, ggml_gaussian_weighted, ggml_heavy_weighted;
};

constexpr KQuantCase kCases[] = {
    {"q2_k", 84, 16, 2.625, 0, 3, 0.296484, 0.352578, 0.127279, 0.169065},
    {"q3_k", 110, 16, 3.4375, -4, 3, 0.151218, 0.191260, 0.084531, 0.129756},
    {"q4_k", 144, 32, 4.5, 0, 15, 0.071543, 0.092059, 0.033709, 0.046078},
    {"q5_k", 176, 32, 5.5, 0, 31, 0.036151, 0.046783, 0.018967, 0.028100},
    {"q6_k", 210, 16, 6.5625, -32, 31, 0.017756, 0.025505, 0.010138, 0.018437},
};

using testing::HeavyTailedMatrix;

// Returns per-column importances in [0.5, 1.5) with every 97th column 400 times larger (a few
// large activation channels, as an imatrix has).
std::vector<float> Importance(int64_t cols) {
  std::vector<float> imp(static_cast<size_t>(cols));
  for (int64_t c = 0; c < cols; ++c) {
    imp[c] = (0.5f + static_cast<float>(c * 37 % 101) / 101.0f) * (c % 97 == 0 ? 400.0f : 1.0f);
  }
  return imp;
}

// Returns sqrt(sum w (a - b)^2 / sum w a^2) over rows of `cols`, w the column's importance.
double WeightedRelativeError(const Tensor& a, const Tensor& b, const std::vector<float>& imp) {
  const int64_t cols = a.shape().cols();
  double num = 0.0, den = 0.0;
  for (int64_t i = 0; i < a.num_elements(); ++i) {
    const double w = imp[i % cols], x = a.data<float>()[i], d = x - b.data<float>()[i];
    num += w * d * d;
    den += w * x * x;
  }
  return std::sqrt(num / den);
}

using testing::FormatRoundTrip;

TEST(GgmlKQuantFormatTest, DescribesGgmlLayout) {
  for (const KQuantCase& c : kCases) {
    SCOPED_TRACE(c.name);
    const auto format = MakeQuantFormat(c.name, {});
    EXPECT_EQ(format->Name(), c.name);
    EXPECT_EQ(format->BlockSize(4096), 256);
    EXPECT_EQ(format->SubBlockSize(4096), c.sub_size);
    const std::vector<FormatSection> sections = format->Sections(4096);
    ASSERT_EQ(sections.size(), 1u);
    EXPECT_EQ(sections[0].name, "blocks");
    EXPECT_EQ(sections[0].dtype, DType::kU8);
    EXPECT_EQ(sections[0].row_elements, 16 * c.block_bytes);
    EXPECT_EQ(format->BitsPerWeight(4096), c.bits_per_weight);
    EXPECT_EQ(format->BitsPerWeight(256), c.bits_per_weight);
    const LevelTable& levels = format->Levels();
    EXPECT_TRUE(levels.uniform);
    EXPECT_EQ(levels.values.front(), c.level_min);
    EXPECT_EQ(levels.values.back(), c.level_max);
    EXPECT_EQ(levels.size(), static_cast<int>(c.level_max - c.level_min) + 1);
    EXPECT_FALSE(format->UsesTensorScale());
  }
}

TEST(GgmlKQuantFormatTest, RejectsRowsThatAreNotWholeSuperBlocks) {
  for (const KQuantCase& c : kCases) {
    const auto format = MakeQuantFormat(c.name, {});
    EXPECT_EQ(format->CheckCols(256), "");
    EXPECT_EQ(format->CheckCols(11008 + 256 - 11008 % 256), "");
    const std::string problem = format->CheckCols(100);
    EXPECT_THAT(problem, HasSubstr(std::string(c.name) + " needs rows whose length is a multiple of 256"));
    EXPECT_THAT(problem, HasSubstr("(this row has 100)"));
    EXPECT_THAT(problem, HasSubstr("q4_0"));
    EXPECT_THAT(problem, HasSubstr("higher precision"));
    EXPECT_NE(format->CheckCols(0), "");
    EXPECT_NE(format->CheckCols(300), "");
    const Tensor w = RandomMatrix(4, 100, 1);
    const Error e = testing::CatchError([&] { QuantizeTensor(*format, w.View<float>(), nullptr, "layers.0.w"); });
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(e.message(), HasSubstr("layers.0.w"));
    EXPECT_THAT(e.message(), HasSubstr("(this row has 100)"));
  }
}

// The encoder must be at least as accurate as ggml's on the same data: the plain error without
// an importance vector, the importance-weighted error with one (what the importance asks for).
TEST(GgmlKQuantFormatTest, ErrorIsAtMostGgmls) {
  const Tensor gaussian = RandomMatrix(64, 4096, 11);
  const Tensor heavy = HeavyTailedMatrix(64, 4096, 12);
  const std::vector<float> imp = Importance(4096);
  for (const KQuantCase& c : kCases) {
    SCOPED_TRACE(c.name);
    const auto format = MakeQuantFormat(c.name, {});
    const Tensor g = FormatRoundTrip(*format, gaussian, nullptr), h = FormatRoundTrip(*format, heavy, nullptr);
    EXPECT_LE(RelativeRmsError(gaussian.data<float>(), g.data<float>(), gaussian.num_elements()), c.ggml_gaussian);
    EXPECT_LE(RelativeRmsError(heavy.data<float>(), h.data<float>(), heavy.num_elements()), c.ggml_heavy);
    const Tensor gw = FormatRoundTrip(*format, gaussian, imp.data()), hw = FormatRoundTrip(*format, heavy, imp.data());
    EXPECT_LE(WeightedRelativeError(gaussian, gw, imp), c.ggml_gaussian_weighted);
    EXPECT_LE(WeightedRelativeError(heavy, hw, imp), c.ggml_heavy_weighted);
  }
}

TEST(GgmlKQuantFormatTest, ImportanceLowersTheWeightedError) {
  const Tensor heavy = HeavyTailedMatrix(32, 2048, 13);
  const std::vector<float> imp = Importance(2048);
  for (const KQuantCase& c : kCases) {
    const auto format = MakeQuantFormat(c.name, {});
    const double plain = WeightedRelativeError(heavy, FormatRoundTrip(*format, heavy, nullptr), imp);
    const double weighted = WeightedRelativeError(heavy, FormatRoundTrip(*format, heavy, imp.data()), imp);
    EXPECT_LT(weighted, 0.95 * plain) << c.name;
  }
}

// GPTQ fits a block, picks levels itself and stores them: the decoded value of every stored level
// must be grid.Decode(level) exactly. It is bit-exact: both compute (d * sc) * value and then
// subtract dmin * m (Decode adds bias = -(dmin * m), the same IEEE operation).
TEST(GgmlKQuantFormatTest, FitBlockAndPutLevelsDecodeToTheGridsExactly) {
  const int64_t cols = 3 * kSuperBlock;
  const Tensor w = HeavyTailedMatrix(4, cols, 14);
  const std::vector<float> imp = Importance(cols);
  std::mt19937 rng(15);
  for (const KQuantCase& c : kCases) {
    SCOPED_TRACE(c.name);
    const auto format = MakeQuantFormat(c.name, {});
    const LevelTable& levels = format->Levels();
    std::uniform_int_distribution<int> pick(0, levels.size() - 1);
    for (int64_t r = 0; r < w.shape().rows(); ++r) {
      const float* x = w.data<float>() + r * cols;
      std::vector<uint8_t> bytes(format->Sections(cols)[0].row_bytes());
      RowRef row;
      row.section[0] = bytes.data();
      std::vector<SubBlockGrid> grids(cols / c.sub_size);
      for (int64_t begin = 0; begin < cols; begin += kSuperBlock) {
        format->FitBlock(x + begin, r % 2 ? imp.data() + begin : nullptr, kSuperBlock, begin, TensorContext(), row,
                         grids.data() + begin / c.sub_size);
      }
      std::vector<uint8_t> chosen(cols);
      for (uint8_t& l : chosen) l = static_cast<uint8_t>(pick(rng));
      format->PutLevels(chosen.data(), cols, row);
      ConstRowRef read;
      read.section[0] = bytes.data();
      std::vector<float> ref(cols), simd(cols);
      format->DequantizeRowRef(read, cols, 1.0f, ref.data());
      format->DequantizeRow(read, cols, 1.0f, simd.data());
      for (int64_t j = 0; j < cols; ++j) {
        const float expected = grids[j / c.sub_size].Decode(chosen[j], levels);
        ASSERT_EQ(ref[j], expected) << "row " << r << " column " << j;
        ASSERT_EQ(simd[j], expected) << "row " << r << " column " << j;
      }
    }
  }
}

TEST(GgmlKQuantFormatTest, RejectsNonFiniteSuperBlockScales) {
  const Tensor w = RandomMatrix(4, 512, 16);
  for (const KQuantCase& c : kCases) {
    const auto format = MakeQuantFormat(c.name, {});
    const kquant::KQuantSpec* spec = nullptr;
    for (const kquant::KQuantSpec& s : kquant::kSpecs) {
      if (std::string(s.name) == c.name) spec = &s;
    }
    ASSERT_NE(spec, nullptr);
    for (int field : {spec->d_offset, spec->dmin_offset}) {
      if (field < 0) continue;
      for (uint16_t bad : {uint16_t{0x7C00}, uint16_t{0xFE00}}) {  // +inf, NaN
        CompressedTensor ct = QuantizeTensor(*format, w.View<float>(), nullptr, "w");
        uint8_t* bytes = ct.mutable_sections()[0].bytes.data();
        std::memcpy(bytes + 2 * 2 * c.block_bytes + c.block_bytes + field, &bad, sizeof(bad));  // row 2, block 1
        Tensor out(DType::kF32, w.shape());
        const Error e = testing::CatchError([&] { DequantizeTensor(ct, out.View<float>()); });
        EXPECT_EQ(e.code(), ErrorCode::kCorruptData) << c.name;
        EXPECT_THAT(e.message(), HasSubstr("row 2 super-block 1")) << c.name;
        EXPECT_THAT(e.message(), HasSubstr(field == spec->d_offset ? "non-finite d " : "non-finite dmin ")) << c.name;
      }
    }
  }
}

TEST(GgmlKQuantFormatTest, HandlesZeroConstantTinyAndHugeRows) {
  const int64_t cols = 2 * kSuperBlock;
  Tensor w(DType::kF32, Shape{6, cols});
  float* x = w.data<float>();
  for (int64_t j = 0; j < cols; ++j) {
    x[0 * cols + j] = 0.0f;
    x[1 * cols + j] = -0.75f;
    x[2 * cols + j] = 0.125f;
    x[3 * cols + j] = 1e-30f * static_cast<float>(j % 7);
    x[4 * cols + j] = 3e20f * static_cast<float>(j % 5 - 2);
    x[5 * cols + j] = j == 77 ? 50.0f : 0.01f * static_cast<float>(j % 3);
  }
  for (const KQuantCase& c : kCases) {
    SCOPED_TRACE(c.name);
    const auto format = MakeQuantFormat(c.name, {});
    const Tensor back = FormatRoundTrip(*format, w, nullptr);
    const float* y = back.data<float>();
    for (int64_t i = 0; i < w.num_elements(); ++i) ASSERT_TRUE(std::isfinite(y[i])) << i;
    for (int64_t j = 0; j < cols; ++j) {
      ASSERT_EQ(y[j], 0.0f);
      ASSERT_NEAR(y[cols + j], -0.75f, 1e-3f);  // constants are exact up to the f16 scale
      ASSERT_NEAR(y[2 * cols + j], 0.125f, 1e-3f);
      ASSERT_LE(std::fabs(y[3 * cols + j]), 1e-29f);
    }
    EXPECT_NEAR(y[5 * cols + 77], 50.0f, 2.0f);
  }
}

// A 4096 x 4096 weight through the tensor drivers: round trip, fused MatVec against the decoded
// weight, within about a second per format in Release.
TEST(GgmlKQuantFormatTest, QuantizesAndMultiplies4096x4096) {
  const Tensor w = RandomMatrix(4096, 4096, 17, 0.02f);
  const Tensor x = RandomMatrix(1, 4096, 18);
  for (const KQuantCase& c : kCases) {
    SCOPED_TRACE(c.name);
    const auto format = MakeQuantFormat(c.name, {});
    const auto start = std::chrono::steady_clock::now();
    CompressedTensor ct;
    const Tensor back = FormatRoundTrip(*format, w, nullptr, &ct);
    EXPECT_EQ(ct.sections()[0].bytes.size(), 4096u * 16u * static_cast<size_t>(c.block_bytes));
    EXPECT_LE(RelativeRmsError(w.data<float>(), back.data<float>(), w.num_elements()), c.ggml_gaussian);
    std::vector<float> y(4096);
    QuantMatVec(ct, x.data<float>(), y.data());
    for (int64_t r = 0; r < 4096; r += 97) {
      double expected = 0.0, magnitude = 0.0;
      for (int64_t j = 0; j < 4096; ++j) {
        expected += static_cast<double>(back.data<float>()[r * 4096 + j]) * x.data<float>()[j];
        magnitude += std::fabs(static_cast<double>(back.data<float>()[r * 4096 + j]) * x.data<float>()[j]);
      }
      ASSERT_NEAR(y[r], expected, 1e-5 * magnitude) << "row " << r;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_LT(seconds, 10.0);
  }
}

}  // namespace
}  // namespace shrink
