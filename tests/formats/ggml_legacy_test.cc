// Tests of the ggml legacy formats q4_0 q4_1 q5_0 q5_1 q8_0 and of iq4_nl, iq4_xs through the shared
// paths: kernels against Ref on every target, the generic quantizer path, exact level decoding,
// errors no worse than llama.cpp's on the same data, importance, validation, layout, ggml's decoded
// golden blocks and a 4096 x 4096 tensor. (iq4-specific properties: ggml_iq4_test.cc.)
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "shrink/core/tensor.h"
#include "shrink/formats/quant_format.h"
#include "shrink/formats/quant_tensor.h"
#include "src/formats/ggml_legacy_blocks.h"
#include "src/kernels/formats/ggml_legacy.h"
#include "testing/ggml_random_blocks.h"
#include "testing/test_util.h"

namespace shrink {
namespace {

using ::testing::HasSubstr;
using ggml_legacy::LegacyType;

// Names every type of the family with its enum and the relative RMS error it must stay below
// on N(0, 1) weights without importance (measured 0.0859 0.0782 0.0427 0.0378 0.00535 0.0737
// 0.0745 on 4096 x 4096; llama.cpp's reference quantizers: 0.0859 0.0782 0.0427 0.0379 0.00535
// 0.0787 0.0767).
struct TypeCase {
  const char* name;
  LegacyType type;
  double gaussian_error_bound;
};
constexpr TypeCase kTypes[] = {{"q4_0", LegacyType::kQ4_0, 0.0865},   {"q4_1", LegacyType::kQ4_1, 0.0787},
                               {"q5_0", LegacyType::kQ5_0, 0.0430},   {"q5_1", LegacyType::kQ5_1, 0.0381},
                               {"q8_0", LegacyType::kQ8_0, 0.00540},  {"iq4_nl", LegacyType::kIq4Nl, 0.0742},
                               {"iq4_xs", LegacyType::kIq4Xs, 0.0750}};

const TypeCase& CaseOf(const std::string& name) {
  for (const TypeCase& c : kTypes) {
    if (name == c.name) return c;
  }
  ADD_FAILURE() << "unknown type " << name;
  return kTypes[0];
}

// Returns rows x cols N(0, 1) values (as testing::RandomMatrix) in a vector.
std::vector<float> Gaussian(int64_t rows, int64_t cols, uint32_t seed) {
  const Tensor t = testing::RandomMatrix(rows, cols, seed);
  return std::vector<float>(t.data<float>(), t.data<float>() + rows * cols);
}

// Returns rows x cols Student-t values with 3 degrees of freedom (heavy tails).
std::vector<float> StudentT3(int64_t rows, int64_t cols, uint32_t seed) {
  const Tensor t = testing::HeavyTailedMatrix(rows, cols, seed);
  return std::vector<float>(t.data<float>(), t.data<float>() + rows * cols);
}

// Returns an importance vector like llama.cpp's imatrix: the mean x^2 over 256 random activation
// vectors whose channels have scales in [0.2, 2], and about 1% of channels 20 to 50 times larger.
std::vector<float> ActivationImportance(int64_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::uniform_real_distribution<float> u(0.2f, 2.0f);
  std::vector<float> scale(static_cast<size_t>(cols)), imp(static_cast<size_t>(cols), 0.0f);
  for (float& s : scale) s = u(rng);
  for (int64_t k = 0; k < cols / 100 + 1; ++k) scale[rng() % cols] = 20.0f + 0.3f * static_cast<float>(rng() % 100);
  const int tokens = 256;
  for (int t = 0; t < tokens; ++t) {
    for (int64_t c = 0; c < cols; ++c) {
      const float a = g(rng) * scale[static_cast<size_t>(c)];
      imp[static_cast<size_t>(c)] += a * a / tokens;
    }
  }
  return imp;
}

// Returns sqrt(sum w (a - b)^2 / sum w a^2) over rows of `cols`, w = importance[col] or 1.
double WeightedRelativeError(const std::vector<float>& a, const std::vector<float>& b, const float* importance,
                             int64_t cols) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double w = importance ? importance[i % static_cast<size_t>(cols)] : 1.0;
    const double d = static_cast<double>(a[i]) - b[i];
    num += w * d * d;
    den += w * static_cast<double>(a[i]) * a[i];
  }
  return std::sqrt(num / den);
}

// Returns a row of `cols` weights (a multiple of 256) whose 32-weight runs are the cases encoders
// get wrong: zeros, constants, one spike, +-equal extremes, values on rounding ties of the fast
// grid, denormal-scale, tiny and huge magnitudes; then Gaussian runs.
std::vector<float> EdgeRow(int64_t cols, uint32_t seed) {
  std::vector<float> x = Gaussian(1, cols, seed);
  const auto run = [&](int r) { return x.data() + 32 * r; };
  const int runs = static_cast<int>(cols / 32);
  for (int r = 0; r < runs; ++r) {
    float* p = run(r);
    switch (r % 12) {
      case 0: std::fill(p, p + 32, 0.0f); break;
      case 1: std::fill(p, p + 32, 0.7f); break;
      case 2: std::fill(p, p + 32, -1.3f); break;
      case 3:
        std::fill(p, p + 32, 0.0f);
        p[5] = -2.5f;
        break;
      case 4:
        p[0] = 3.0f;
        p[1] = -3.0f;
        break;
      case 5:  // ties of q4_0's grid d = 7, where x * (1 / d) misses most exact ties x / d
        for (int j = 0; j < 32; ++j) p[j] = 7.0f * (static_cast<float>(j % 16) - 7.5f);
        p[31] = -56.0f;
        break;
      case 6: for (int j = 0; j < 32; ++j) p[j] *= 1e-6f; break;
      case 7: for (int j = 0; j < 32; ++j) p[j] *= 1e-30f; break;
      case 8: for (int j = 0; j < 32; ++j) p[j] *= 1e6f; break;
      case 9: for (int j = 0; j < 32; ++j) p[j] *= 1e30f; break;
      case 10: for (int j = 0; j < 32; ++j) p[j] = 100.0f + 0.01f * p[j]; break;  // offset far from 0
      default: break;
    }
  }
  return x;
}

// Returns the decoded values (Ref) of a row.
std::vector<float> DecodeRef(LegacyType type, const std::vector<uint8_t>& row, int64_t cols) {
  std::vector<float> out(static_cast<size_t>(cols));
  kernels::GgmlLegacyDequantizeRowRef(type, row.data(), cols, out.data());
  return out;
}

class GgmlLegacyFormatTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::string name() const { return GetParam(); }
  LegacyType type() const { return CaseOf(GetParam()).type; }
  int64_t block() const { return ggml_legacy::BlockElems(type()); }
  size_t RowBytes(int64_t cols) const { return static_cast<size_t>(cols / block() * ggml_legacy::BlockBytes(type())); }
  std::unique_ptr<QuantFormat> format() const { return MakeQuantFormat(name(), {}); }
};

TEST_P(GgmlLegacyFormatTest, KernelsMatchRefOnEveryTarget) {
  const LegacyType t = type();
  const int64_t lengths[] = {block(), 3 * block(), 4096 + 3 * block()};
  const std::vector<std::vector<float>> rows = {Gaussian(1, 4096 + 8 * block() + 1, 21),
                                                StudentT3(1, 4096 + 8 * block() + 1, 22),
                                                EdgeRow(4096 + 8 * block(), 23)};
  testing::ForEachSimdTarget([&](const SimdTarget&) {
    for (size_t set = 0; set < rows.size(); ++set) {
      for (int64_t cols : lengths) {
        SCOPED_TRACE(::testing::Message() << "data set " << set << ", cols " << cols);
        const float* x = rows[set].data() + (set == 2 ? 0 : 1);  // unaligned rows too
        std::vector<uint8_t> simd(RowBytes(cols)), ref(RowBytes(cols));
        kernels::GgmlLegacyQuantizeRow(t, x, cols, simd.data());
        kernels::GgmlLegacyQuantizeRowRef(t, x, cols, ref.data());
        ASSERT_EQ(simd, ref);
        // Codes for stored headers that do not fit these weights (scaled by 1.7: many clamp).
        std::vector<float> other(x, x + cols);
        for (float& v : other) v *= 1.7f;
        kernels::GgmlLegacyEncodeRow(t, other.data(), cols, simd.data());
        kernels::GgmlLegacyEncodeRowRef(t, other.data(), cols, ref.data());
        ASSERT_EQ(simd, ref);
        // Decoding, of these blocks and of random bytes with finite headers, is bitwise equal.
        for (const std::vector<uint8_t>& blocks : {ref, testing::RandomLegacyBlocks(t, cols / block(), 24)}) {
          std::vector<float> out(static_cast<size_t>(cols)), out_ref = DecodeRef(t, blocks, cols);
          kernels::GgmlLegacyDequantizeRow(t, blocks.data(), cols, out.data());
          ASSERT_EQ(std::memcmp(out.data(), out_ref.data(), out.size() * sizeof(float)), 0);
          // The fused dot product with N(0, 1) activations is within 1e-5 of the sum of |products|
          // (f32 lanes against the Ref's double sum of exact products).
          const float* a = rows[0].data() + 1;
          double magnitude = 0.0;
          for (int64_t j = 0; j < cols; ++j) magnitude += std::fabs(static_cast<double>(out_ref[j]) * a[j]);
          const float dot = kernels::GgmlLegacyDotRow(t, blocks.data(), cols, a);
          const float dot_ref = kernels::GgmlLegacyDotRowRef(t, blocks.data(), cols, a);
          ASSERT_LE(std::fabs(dot - dot_ref), 1e-5 * magnitude + 1e-30);
        }
      }
    }
  });
}

TEST_P(GgmlLegacyFormatTest, QuantizeRowEqualsTheGenericPathOnEveryTarget) {
  const auto f = format();
  const int64_t cols = 2048;
  const std::vector<float> x = EdgeRow(cols, 31), importance = ActivationImportance(cols, 32);
  const TensorContext ctx;
  testing::ForEachSimdTarget([&](const SimdTarget&) {
    for (const float* imp : {static_cast<const float*>(nullptr), importance.data()}) {
      SCOPED_TRACE(imp ? "with importance" : "without importance");
      std::vector<uint8_t> fast(RowBytes(cols)), generic(RowBytes(cols));
      RowRef row_fast, row_generic;
      row_fast.section[0] = fast.data();
      row_generic.section[0] = generic.data();
      f->QuantizeRow(x.data(), imp, cols, ctx, row_fast);
      f->QuantFormat::QuantizeRow(x.data(), imp, cols, ctx, row_generic);  // FitBlock, NearestLevel, PutLevels
      ASSERT_EQ(fast, generic);
    }
  });
}

// GPTQ fits a block, picks any level for each weight and stores the row: every stored level must
// decode to exactly grid.Decode(level). It does bit for bit up to the sign of zero (Decode adds a
// +0 bias where ggml's symmetric decoders only multiply): both compute level * scale (+ m) with the
// same f32 operations, and for iq4_xs the grid scale is the decoder's d * (ls - 32).
TEST_P(GgmlLegacyFormatTest, StoredLevelsDecodeExactlyToTheirGrids) {
  const auto f = format();
  const int64_t cols = 1024;
  const std::vector<float> x = Gaussian(1, cols, 41), importance = ActivationImportance(cols, 42);
  const LevelTable& levels = f->Levels();
  std::mt19937 rng(43);
  const TensorContext ctx;
  for (const float* imp : {static_cast<const float*>(nullptr), importance.data()}) {
    std::vector<uint8_t> bytes(RowBytes(cols));
    RowRef row;
    row.section[0] = bytes.data();
    std::vector<SubBlockGrid> grids(static_cast<size_t>(cols / 32));
    for (int64_t begin = 0; begin < cols; begin += block()) {
      f->FitBlock(x.data() + begin, imp ? imp + begin : nullptr, block(), begin, ctx, row, grids.data() + begin / 32);
    }
    std::vector<uint8_t> chosen(static_cast<size_t>(cols));
    for (uint8_t& level : chosen) level = static_cast<uint8_t>(rng() % static_cast<uint32_t>(levels.size()));
    f->PutLevels(chosen.data(), cols, row);
    std::vector<float> decoded(static_cast<size_t>(cols));
    ConstRowRef crow;
    crow.section[0] = bytes.data();
    f->DequantizeRowRef(crow, cols, 1.0f, decoded.data());
    for (int64_t j = 0; j < cols; ++j) {
      ASSERT_EQ(decoded[j], grids[j / 32].Decode(chosen[j], levels)) << "weight " << j;
    }
  }
}

// llama.cpp's errors on exactly these data (quantize_row_X_ref, and quantize_X with the importance
// as imatrix, measured with libggml-base on the values these generators draw with libstdc++);
// shrink's must not be larger. Gaussian and Student-t(3) 64 x 4096; importance weights the
// second and fourth.
struct GgmlErrors {
  const char* name;
  double gaussian, gaussian_weighted, heavy, heavy_weighted;
};
constexpr GgmlErrors kGgmlErrors[] = {
    {"q4_0", 0.0862046, 0.0433191, 0.1268448, 0.0888685},  {"q4_1", 0.0785012, 0.0226569, 0.0995609, 0.0302841},
    {"q5_0", 0.0428398, 0.0209253, 0.0646627, 0.0435142},  {"q5_1", 0.0379139, 0.0109685, 0.0482566, 0.0149757},
    {"q8_0", 0.0053750, 0.0054674, 0.0082643, 0.0086425},  {"iq4_nl", 0.0788245, 0.0307376, 0.1010453, 0.0491899},
    {"iq4_xs", 0.0769435, 0.0329751, 0.1016533, 0.0543502}};

// Returns the relative error of `w` (rows x 4096) after QuantizeTensor and DequantizeTensor,
// weighted by `importance` when given (and quantized with it).
double RoundTripError(const QuantFormat& f, const std::vector<float>& w, const float* importance) {
  const int64_t cols = 4096, rows = static_cast<int64_t>(w.size()) / cols;
  Tensor out(DType::kF32, Shape{rows, cols});
  DequantizeTensor(QuantizeTensor(f, TensorView<const float>(w.data(), Shape{rows, cols}), importance, "w"),
                   out.View<float>());
  return WeightedRelativeError(w, std::vector<float>(out.data<float>(), out.data<float>() + w.size()), importance,
                               cols);
}

TEST_P(GgmlLegacyFormatTest, ErrorsAreNoLargerThanLlamaCpps) {
  const auto f = format();
  const GgmlErrors* ggml = nullptr;
  for (const GgmlErrors& e : kGgmlErrors) {
    if (name() == e.name) ggml = &e;
  }
  ASSERT_NE(ggml, nullptr);
  const std::vector<float> gaussian = Gaussian(64, 4096, 11), heavy = StudentT3(64, 4096, 12);
  const std::vector<float> importance = ActivationImportance(4096, 13);
  EXPECT_LE(RoundTripError(*f, gaussian, nullptr), ggml->gaussian);
  EXPECT_LE(RoundTripError(*f, heavy, nullptr), ggml->heavy);
  EXPECT_LE(RoundTripError(*f, gaussian, importance.data()), ggml->gaussian_weighted);
  EXPECT_LE(RoundTripError(*f, heavy, importance.data()), ggml->heavy_weighted);
}

TEST_P(GgmlLegacyFormatTest, ImportanceLowersTheWeightedError) {
  const auto f = format();
  const std::vector<float> w = Gaussian(32, 4096, 51), importance = ActivationImportance(4096, 52);
  const int64_t cols = 4096, rows = 32;
  Tensor plain(DType::kF32, Shape{rows, cols});
  DequantizeTensor(QuantizeTensor(*f, TensorView<const float>(w.data(), Shape{rows, cols}), nullptr, "w"),
                   plain.View<float>());
  const double without = WeightedRelativeError(
      w, std::vector<float>(plain.data<float>(), plain.data<float>() + w.size()), importance.data(), cols);
  const double with = RoundTripError(*f, w, importance.data());
  // The weighted search measures the weighted error of its candidates, the fast header among
  // them, so it cannot lose; on these importances it wins by a wide margin.
  EXPECT_LT(with, 0.95 * without) << "with " << with << ", without " << without;
}

// The weighted search includes the fast header among its measured candidates: per block, its
// weighted error with nearest codes is never above the fast header's.
TEST_P(GgmlLegacyFormatTest, WeightedSearchNeverLosesToTheFastHeaderInAnyBlock) {
  const auto f = format();
  const int64_t cols = 4096;
  const std::vector<float> importance = ActivationImportance(cols, 56);
  const LevelTable& levels = f->Levels();
  const TensorContext ctx;
  std::vector<uint8_t> bytes(RowBytes(cols));
  RowRef row;
  row.section[0] = bytes.data();
  std::vector<SubBlockGrid> grids(static_cast<size_t>(block() / 32));
  // Returns the weighted squared error of the block at `begin` under grids[] with nearest codes.
  const auto block_error = [&](const float* x, int64_t begin) {
    double err = 0.0;
    for (int64_t j = 0; j < block(); ++j) {
      const SubBlockGrid& g = grids[static_cast<size_t>(j / 32)];
      const double e = x[begin + j] - g.Decode(g.NearestLevel(x[begin + j], levels), levels);
      err += importance[static_cast<size_t>(begin + j)] * e * e;
    }
    return err;
  };
  for (const std::vector<float>& x : {Gaussian(1, cols, 57), StudentT3(1, cols, 58), EdgeRow(cols, 59)}) {
    for (int64_t begin = 0; begin < cols; begin += block()) {
      f->FitBlock(x.data() + begin, nullptr, block(), begin, ctx, row, grids.data());
      const double fast = block_error(x.data(), begin);
      f->FitBlock(x.data() + begin, importance.data() + begin, block(), begin, ctx, row, grids.data());
      ASSERT_LE(block_error(x.data(), begin), fast) << "block at " << begin;
    }
  }
}

TEST_P(GgmlLegacyFormatTest, SectionsAndBitsPerWeightMatchGgml) {
  const auto f = format();
  const int64_t cols = 4096;
  const std::vector<FormatSection> sections = f->Sections(cols);
  ASSERT_EQ(sections.size(), 1u);
  EXPECT_EQ(sections[0].name, "blocks");
  EXPECT_EQ(sections[0].dtype, DType::kU8);
  EXPECT_EQ(sections[0].row_bytes(), RowBytes(cols));
  const double bits = 8.0 * ggml_legacy::BlockBytes(type()) / static_cast<double>(block());
  EXPECT_EQ(f->BitsPerWeight(cols), bits);
  EXPECT_EQ(f->Name(), name());
  EXPECT_EQ(f->BlockSize(cols), block());
  EXPECT_EQ(f->SubBlockSize(cols), 32);
  EXPECT_TRUE(f->Meta().empty());
  EXPECT_FALSE(f->UsesTensorScale());
  const LevelTable& levels = f->Levels();
  EXPECT_EQ(levels.uniform, !ggml_legacy::IsIq4(type()));
  for (int code = 0; code < levels.size(); ++code) {
    EXPECT_EQ(levels.values[static_cast<size_t>(code)], ggml_legacy::LevelValue(type(), code));
  }
}

TEST_P(GgmlLegacyFormatTest, RowsThatDoNotDivideIntoBlocksAreRejectedWithAlternatives) {
  const auto f = format();
  EXPECT_EQ(f->CheckCols(2 * block()), "");
  const std::vector<float> w = Gaussian(3, 100, 61);
  const Error e = testing::CatchError([&] { QuantizeTensor(*f, TensorView<const float>(w.data(), Shape{3, 100}), nullptr, "blk.0.ffn_down"); });
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(e.message(), HasSubstr("blk.0.ffn_down"));
  EXPECT_THAT(e.message(), HasSubstr(name() + " needs rows whose length is a multiple of " + std::to_string(block()) +
                                     " (this row has 100)"));
  EXPECT_THAT(e.message(), HasSubstr("pad the rows"));
  EXPECT_THAT(e.message(), HasSubstr("higher precision"));
  if (type() == LegacyType::kIq4Xs) {
    EXPECT_THAT(f->CheckCols(96), HasSubstr("such as iq4_nl"));
  }
}

TEST_P(GgmlLegacyFormatTest, CorruptRowsAreRejectedNamingRowAndBlock) {
  const auto f = format();
  const int64_t rows = 4, cols = 4 * block();
  const std::vector<float> w = Gaussian(rows, cols, 71);
  const CompressedTensor good = QuantizeTensor(*f, TensorView<const float>(w.data(), Shape{rows, cols}), nullptr, "w");
  std::vector<float> y(static_cast<size_t>(rows));
  QuantMatVec(good, w.data(), y.data());  // valid blocks pass validation
  const std::vector<std::pair<int, uint16_t>> corruptions = {{0, 0x7C00}, {0, 0xFE00}, {2, 0x7E01}};
  for (const auto& [offset, bits] : corruptions) {
    if (offset == 2 && !ggml_legacy::HasMin(type())) continue;
    CompressedTensor bad = good;
    uint8_t* block3 = bad.mutable_sections()[0].bytes.data() + 2 * RowBytes(cols) + 3 * ggml_legacy::BlockBytes(type());
    std::memcpy(block3 + offset, &bits, sizeof(bits));
    Tensor out(DType::kF32, Shape{rows, cols});
    const Error e = testing::CatchError([&] { DequantizeTensor(bad, out.View<float>()); });
    EXPECT_EQ(e.code(), ErrorCode::kCorruptData);
    EXPECT_THAT(e.message(), HasSubstr("row 2 block 3"));
    EXPECT_THAT(e.message(), HasSubstr(offset == 0 ? "scale d" : "minimum m"));
    EXPECT_EQ(testing::CatchError([&] { QuantMatVec(bad, w.data(), y.data()); }).code(), ErrorCode::kCorruptData);
  }
}

TEST_P(GgmlLegacyFormatTest, ExtremeWeightsStayFiniteAndZerosStayZero) {
  const auto f = format();
  const int64_t cols = 4 * block();
  std::vector<float> w = Gaussian(3, cols, 81);
  for (int64_t j = 0; j < cols; ++j) {
    w[static_cast<size_t>(j)] = 0.0f;                       // row 0: zeros
    w[static_cast<size_t>(cols + j)] *= 1e37f;              // row 1: beyond f16 range: scales saturate
    w[static_cast<size_t>(2 * cols + j)] *= 1e-12f;         // row 2: below it: scales underflow
  }
  Tensor out(DType::kF32, Shape{3, cols});
  DequantizeTensor(QuantizeTensor(*f, TensorView<const float>(w.data(), Shape{3, cols}), nullptr, "w"), out.View<float>());
  for (int64_t j = 0; j < cols; ++j) {
    EXPECT_EQ(out.data<float>()[j], 0.0f);
    EXPECT_TRUE(std::isfinite(out.data<float>()[cols + j]));
    EXPECT_LE(std::fabs(out.data<float>()[2 * cols + j]), 1e-7f);
  }
}

// 4096 x 4096 through the tensor drivers (threads over rows), with the fused MatVec.
TEST_P(GgmlLegacyFormatTest, LargeTensorRoundTripsThroughTheTensorDrivers) {
  static const std::vector<float> w = Gaussian(4096, 4096, 91);
  const auto f = format();
  const TensorView<const float> view(w.data(), Shape{4096, 4096});
  const CompressedTensor q = QuantizeTensor(*f, view, nullptr, "w");
  EXPECT_EQ(q.num_bytes(), QuantTensorBytes(*f, Shape{4096, 4096}));
  Tensor out(DType::kF32, Shape{4096, 4096});
  DequantizeTensor(q, out.View<float>());
  const double err = RelativeRmsError(w.data(), out.data<float>(), out.num_elements());
  EXPECT_LT(err, CaseOf(name()).gaussian_error_bound);
  const std::vector<float> x = Gaussian(1, 4096, 92);
  std::vector<float> y(4096);
  QuantMatVec(q, x.data(), y.data());
  for (int64_t i = 0; i < 4096; i += 511) {
    double ref = 0.0, magnitude = 0.0;
    for (int64_t j = 0; j < 4096; ++j) {
      ref += static_cast<double>(out.data<float>()[i * 4096 + j]) * x[static_cast<size_t>(j)];
      magnitude += std::fabs(static_cast<double>(out.data<float>()[i * 4096 + j]) * x[static_cast<size_t>(j)]);
    }
    EXPECT_NEAR(y[static_cast<size_t>(i)], ref, 1e-5 * magnitude) << "row " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, GgmlLegacyFormatTest,
                         ::testing::Values("q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "iq4_nl", "iq4_xs"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// Two blocks per type and ggml's dequantize_row_* of them, as f32 bit patterns: ggml's reference
// quantization of a fixed input, then the same header with d negated and patterned code bytes
// (generated with libggml-base; data only).
struct GoldenBlocks {
  const char* name;
  std::vector<uint8_t> bytes;
  std::vector<uint32_t> decoded;
};

const std::vector<GoldenBlocks>& Goldens() {
  static const std::vector<GoldenBlocks> goldens = {
    {"q4_0",
     {0x72, 0x38, 0xa8, 0x89, 0x5a, 0x48, 0x65, 0x84, 0x95, 0x98, 0x89, 0x69, 0x48, 0x50, 0x84, 0x95,
      0xa8, 0x89, 0x72, 0xb8, 0xaf, 0xf8, 0x41, 0x8a, 0xd3, 0x1c, 0x65, 0xae, 0xf7, 0x40, 0x89, 0xd2,
      0x1b, 0x64, 0xad, 0xf6},
     {0x00000000, 0x3f0e4000, 0x3f8e4000, 0x00000000, 0xbfd56000, 0xc00e4000, 0xbfd56000, 0x00000000,
      0x3f0e4000, 0x3f0e4000, 0x00000000, 0xc08e4000, 0xc00e4000, 0xbfd56000, 0x00000000, 0x3f0e4000,
      0x3f8e4000, 0x00000000, 0xbfd56000, 0xc00e4000, 0xbf8e4000, 0x00000000, 0x3f0e4000, 0x3f0e4000,
      0x00000000, 0xbf8e4000, 0xc00e4000, 0xbfd56000, 0x00000000, 0x3f0e4000, 0x3f8e4000, 0x00000000,
      0xc078f000, 0x80000000, 0x4078f000, 0xbf8e4000, 0x4031d000, 0xc00e4000, 0x3fd56000, 0xc0556000,
      0x3f0e4000, 0x408e4000, 0xbf0e4000, 0x40556000, 0xbfd56000, 0x400e4000, 0xc031d000, 0x3f8e4000,
      0xbf8e4000, 0xc078f000, 0x400e4000, 0x80000000, 0xc031d000, 0x4078f000, 0x3f8e4000, 0xbf8e4000,
      0xc078f000, 0x400e4000, 0x80000000, 0xc031d000, 0x4078f000, 0x3f8e4000, 0xbf8e4000, 0xc078f000}},
    {"q4_1",
     {0xb8, 0x35, 0x72, 0xc4, 0xfd, 0xde, 0x8f, 0x6d, 0x98, 0xd6, 0xe8, 0xfc, 0xce, 0x9f, 0x6d, 0x80,
      0xc6, 0xe8, 0xfc, 0xde, 0xb8, 0xb5, 0x72, 0xc4, 0x41, 0x8a, 0xd3, 0x1c, 0x65, 0xae, 0xf7, 0x40,
      0x89, 0xd2, 0x1b, 0x64, 0xad, 0xf6, 0x3f, 0x88},
     {0x3e4e0000, 0x3f0f0000, 0x3f6a8000, 0x3e4e0000, 0xbfcb0000, 0xc0134000, 0xbfcb0000, 0xbe200000,
      0x3f0f0000, 0x3f6a8000, 0x3e4e0000, 0xc08e4000, 0xc0134000, 0xbfcb0000, 0xbe200000, 0x3f0f0000,
      0x3f6a8000, 0x3e4e0000, 0xbfcb0000, 0xc0134000, 0xbf9d4000, 0x3e4e0000, 0x3f0f0000, 0x3f6a8000,
      0xbe200000, 0xbf9d4000, 0xc0134000, 0xbfcb0000, 0xbe200000, 0x3f0f0000, 0x3f6a8000, 0x3e4e0000,
      0xc099b000, 0xc1005000, 0xc0b09000, 0xc10bc000, 0xc0c77000, 0xc1173000, 0xc0de5000, 0xc08e4000,
      0xc0f53000, 0xc0a52000, 0xc1060800, 0xc0bc0000, 0xc1117800, 0xc0d2e000, 0xc11ce800, 0xc0e9c000,
      0xc0bc0000, 0xc0e9c000, 0xc1117800, 0xc099b000, 0xc0d2e000, 0xc1005000, 0xc11ce800, 0xc0bc0000,
      0xc0e9c000, 0xc1117800, 0xc099b000, 0xc0d2e000, 0xc1005000, 0xc11ce800, 0xc0b09000, 0xc0e9c000}},
    {"q5_0",
     {0x72, 0x34, 0x8f, 0xc7, 0xe3, 0xf1, 0x30, 0x02, 0xb3, 0x70, 0xbb, 0x08, 0x2b, 0x30, 0x02, 0xb3,
      0x81, 0xb0, 0x08, 0x2a, 0x30, 0x03, 0x72, 0xb4, 0xaf, 0xf8, 0x41, 0x8a, 0xd3, 0x1c, 0x65, 0xae,
      0xf7, 0x40, 0x89, 0xd2, 0x1b, 0x64, 0xad, 0xf6, 0x3f, 0x88, 0xd1, 0x1a},
     {0x00000000, 0x3f0e4000, 0x3f556000, 0x00000000, 0xbfb1d000, 0xc00e4000, 0xbfb1d000, 0x00000000,
      0x3f0e4000, 0x3f556000, 0x3e8e4000, 0xc08e4000, 0xc00e4000, 0xbfd56000, 0x00000000, 0x3f556000,
      0x3f556000, 0x00000000, 0xbfb1d000, 0xc0200800, 0xbfb1d000, 0x00000000, 0x3f0e4000, 0x3f556000,
      0x00000000, 0xbfb1d000, 0xc00e4000, 0xbfb1d000, 0x00000000, 0x3f0e4000, 0x3f556000, 0x00000000,
      0xbf556000, 0xc0556000, 0xbfb1d000, 0xc078f000, 0x40200800, 0x80000000, 0x3ff8f000, 0xbf0e4000,
      0x3fb1d000, 0x40556000, 0x3f556000, 0xbfd56000, 0xc0855c00, 0xc00e4000, 0xbe8e4000, 0xc031d000,
      0xc0672800, 0x40855c00, 0x4031d000, 0x3fd56000, 0x3e8e4000, 0x40556000, 0xc00e4000, 0x3f556000,
      0x40855c00, 0xbfd56000, 0x3fd56000, 0xc0855c00, 0x40672800, 0x400e4000, 0x3f556000, 0xbe8e4000}},
    {"q5_1",
     {0x89, 0x31, 0x72, 0xc4, 0xdf, 0xe7, 0xf7, 0xfb, 0xfa, 0xad, 0x1f, 0xca, 0x21, 0xad, 0xd1, 0xea,
      0x9d, 0x2e, 0xdb, 0x20, 0xac, 0xd1, 0xf9, 0xae, 0x89, 0xb1, 0x72, 0xc4, 0x41, 0x8a, 0xd3, 0x1c,
      0x65, 0xae, 0xf7, 0x40, 0x89, 0xd2, 0x1b, 0x64, 0xad, 0xf6, 0x3f, 0x88, 0xd1, 0x1a, 0x63, 0xac},
     {0x3d550000, 0x3f122800, 0x3f6ab800, 0x3d550000, 0xbfc09c00, 0xc00c9600, 0xbfc09c00, 0x3d550000,
      0x3f122800, 0x3f3e7000, 0x3e666000, 0xc08e4000, 0xc017a800, 0xbfc09c00, 0xbdf7c000, 0x3f3e7000,
      0x3f6ab800, 0x3d550000, 0xbfc09c00, 0xc017a800, 0xbfaa7800, 0x3d550000, 0x3f122800, 0x3f3e7000,
      0xbdf7c000, 0xbfaa7800, 0xc00c9600, 0xbfaa7800, 0x3d550000, 0x3f122800, 0x3f6ab800, 0x3d550000,
      0xc1013e80, 0xc0dbbe00, 0xc0b4ff00, 0xc08e4000, 0xc0c01100, 0xc0995200, 0xc111d980, 0xc0a46400,
      0xc0d63500, 0xc1040300, 0xc0e14700, 0xc1098c00, 0xc093c900, 0xc0c59a00, 0xc09edb00, 0xc1149e00,
      0xc1040300, 0xc10f1500, 0xc0e14700, 0xc0a46400, 0xc1098c00, 0xc0d63500, 0xc0ec5900, 0xc1040300,
      0xc0c59a00, 0xc0e14700, 0xc0f76b00, 0xc1098c00, 0xc1176280, 0xc093c900, 0xc0af7600, 0xc0c59a00}},
    {"q8_0",
     {0x7b, 0x28, 0x03, 0x12, 0x19, 0x02, 0xd6, 0xc1, 0xd6, 0x00, 0x10, 0x15, 0x05, 0x81, 0xbe, 0xd4,
      0xfe, 0x14, 0x19, 0x02, 0xd6, 0xbb, 0xd9, 0x02, 0x11, 0x16, 0xfe, 0xda, 0xc0, 0xd8, 0x00, 0x0e,
      0x1a, 0x02, 0x7b, 0xa8, 0xaf, 0xf8, 0x41, 0x8a, 0xd3, 0x1c, 0x65, 0xae, 0xf7, 0x40, 0x89, 0xd2,
      0x1b, 0x64, 0xad, 0xf6, 0x3f, 0x88, 0xd1, 0x1a, 0x63, 0xac, 0xf5, 0x3e, 0x87, 0xd0, 0x19, 0x62,
      0xab, 0xf4, 0x3d, 0x86},
     {0x3dd71000, 0x3f214c00, 0x3f600600, 0x3d8f6000, 0xbfbc2e00, 0xc00d2280, 0xbfbc2e00, 0x00000000,
      0x3f0f6000, 0x3f3c2e00, 0x3e333800, 0xc08e4140, 0xc013db00, 0xbfc52400, 0xbd8f6000, 0x3f333800,
      0x3f600600, 0x3d8f6000, 0xbfbc2e00, 0xc01a9380, 0xbfaebd00, 0x3d8f6000, 0x3f185600, 0x3f452400,
      0xbd8f6000, 0xbfaa4200, 0xc00f6000, 0xbfb33800, 0x00000000, 0x3efae800, 0x3f68fc00, 0x3d8f6000,
      0x40357580, 0x3e8f6000, 0xc0119d80, 0x40842c80, 0x3fc99f00, 0xbf7ae800, 0xc0624380, 0x4037b300,
      0x3ea14c00, 0xc00f6000, 0x40854b40, 0x3fce1a00, 0xbf71f200, 0xc0600600, 0x4039f080, 0x3eb33800,
      0xc00d2280, 0x40866a00, 0x3fd29500, 0xbf68fc00, 0xc05dc880, 0x403c2e00, 0x3ec52400, 0xc00ae500,
      0x408788c0, 0x3fd71000, 0xbf600600, 0xc05b8b00, 0x403e6b80, 0x3ed71000, 0xc008a780, 0x4088a780}},
    {"iq4_nl",
     {0x7b, 0x28, 0xa8, 0x89, 0x5a, 0x38, 0x54, 0x83, 0x94, 0xa8, 0x89, 0x5a, 0x38, 0x50, 0x83, 0x94,
      0xa8, 0x8a, 0x7b, 0xa8, 0xaf, 0xf8, 0x41, 0x8a, 0xd3, 0x1c, 0x65, 0xae, 0xf7, 0x40, 0x89, 0xd2,
      0x1b, 0x64, 0xad, 0xf6},
     {0x3d0f6000, 0x3ee8fc00, 0x3f600600, 0x3d0f6000, 0xbfdb8b00, 0xc0119d80, 0xbfdb8b00, 0x3d0f6000,
      0x3ee8fc00, 0x3f600600, 0x3d0f6000, 0xc08e4140, 0xc0119d80, 0xbfdb8b00, 0x3d0f6000, 0x3f600600,
      0x3f600600, 0x3d0f6000, 0xbf9cd100, 0xc0119d80, 0xbf9cd100, 0x3d0f6000, 0x3ee8fc00, 0x3f600600,
      0x3d0f6000, 0xbf9cd100, 0xc0119d80, 0xbf9cd100, 0x3d0f6000, 0x3ee8fc00, 0x3f600600, 0x3d0f6000,
      0xc07d2580, 0xbd0f6000, 0x4068fc00, 0xbf600600, 0x40119d80, 0xbfed7700, 0x3f9cd100, 0xc0476180,
      0x3eb33800, 0x408e4140, 0xbee8fc00, 0x4039f080, 0xbfaa4200, 0x3fdb8b00, 0xc01a9380, 0x3f452400,
      0xbf600600, 0xc07d2580, 0x3fdb8b00, 0xbd0f6000, 0xc01a9380, 0x4068fc00, 0x3f452400, 0xbf600600,
      0xc07d2580, 0x3fdb8b00, 0xbd0f6000, 0xc01a9380, 0x4068fc00, 0x3f452400, 0xbf600600, 0xc07d2580}},
    {"iq4_xs",
     {0x82, 0x94, 0xd4, 0x55, 0x00, 0x20, 0x11, 0x22, 0xa8, 0x89, 0x5a, 0x38, 0x55, 0x83, 0x95, 0xa8,
      0x89, 0x5a, 0x38, 0x50, 0x83, 0x94, 0xa8, 0x8a, 0x22, 0x80, 0xb2, 0xc9, 0x8b, 0x2c, 0x08, 0x32,
      0x80, 0xb3, 0xb8, 0x7b, 0x2b, 0x08, 0x32, 0x80, 0x8a, 0x2c, 0x08, 0x32, 0x80, 0xb3, 0xb9, 0x7b,
      0x1b, 0x07, 0x41, 0x90, 0xb3, 0xb8, 0x6b, 0x2b, 0x7f, 0x5c, 0x58, 0x96, 0xe5, 0xf9, 0xce, 0x8f,
      0x5c, 0x57, 0x95, 0xe5, 0xf9, 0xbe, 0x7f, 0x5b, 0x1b, 0x06, 0x51, 0x90, 0xb4, 0xa8, 0x6b, 0x1b,
      0x06, 0x41, 0x80, 0xb4, 0xb9, 0x6b, 0x1b, 0x06, 0xb5, 0xb9, 0x5b, 0x0b, 0x05, 0x61, 0x90, 0xb5,
      0xa8, 0x6b, 0x1b, 0x06, 0x51, 0x80, 0xb5, 0xb9, 0x05, 0x50, 0x90, 0xb6, 0xa9, 0x4b, 0x0a, 0x04,
      0x61, 0x90, 0xb6, 0xa9, 0x5b, 0x0b, 0x05, 0x60, 0xb8, 0x4c, 0x0b, 0x04, 0x70, 0x90, 0xb7, 0xa9,
      0x4b, 0x0a, 0x14, 0x80, 0x90, 0xb7, 0x99, 0x4b, 0x82, 0x14, 0xd4, 0x55, 0x00, 0x20, 0x11, 0x22,
      0x65, 0xae, 0xf7, 0x40, 0x89, 0xd2, 0x1b, 0x64, 0xad, 0xf6, 0x3f, 0x88, 0xd1, 0x1a, 0x63, 0xac,
      0xf5, 0x3e, 0x87, 0xd0, 0x19, 0x62, 0xab, 0xf4, 0x3d, 0x86, 0xcf, 0x18, 0x61, 0xaa, 0xf3, 0x3c,
      0x85, 0xce, 0x17, 0x60, 0xa9, 0xf2, 0x3b, 0x84, 0xcd, 0x16, 0x5f, 0xa8, 0xf1, 0x3a, 0x83, 0xcc,
      0x15, 0x5e, 0xa7, 0xf0, 0x39, 0x82, 0xcb, 0x14, 0x5d, 0xa6, 0xef, 0x38, 0x81, 0xca, 0x13, 0x5c,
      0xa5, 0xee, 0x37, 0x80, 0xc9, 0x12, 0x5b, 0xa4, 0xed, 0x36, 0x7f, 0xc8, 0x11, 0x5a, 0xa3, 0xec,
      0x35, 0x7e, 0xc7, 0x10, 0x59, 0xa2, 0xeb, 0x34, 0x7d, 0xc6, 0x0f, 0x58, 0xa1, 0xea, 0x33, 0x7c,
      0xc5, 0x0e, 0x57, 0xa0, 0xe9, 0x32, 0x7b, 0xc4, 0x0d, 0x56, 0x9f, 0xe8, 0x31, 0x7a, 0xc3, 0x0c,
      0x55, 0x9e, 0xe7, 0x30, 0x79, 0xc2, 0x0b, 0x54, 0x9d, 0xe6, 0x2f, 0x78, 0xc1, 0x0a, 0x53, 0x9c},
     {0x3d104000, 0x3eea6800, 0x3f616400, 0x3d104000, 0xbf9dc600, 0xc0128100, 0xbf9dc600, 0x3d104000,
      0x3eea6800, 0x3f616400, 0x3d104000, 0xc08f1f80, 0xc0128100, 0xbfdce200, 0x3d104000, 0x3f616400,
      0x3f616400, 0x3d104000, 0xbf9dc600, 0xc0128100, 0xbf9dc600, 0x3d104000, 0x3eea6800, 0x3f616400,
      0x3d104000, 0xbf9dc600, 0xc0128100, 0xbf9dc600, 0x3d104000, 0x3eea6800, 0x3f616400, 0x3d104000,
      0xbfbb1300, 0xc00f1f80, 0xbfbb1300, 0x3e6a6800, 0x3f2b4c00, 0x3f6eea00, 0x3c904000, 0xbfbb1300,
      0xc00f1f80, 0xbf928100, 0x3c904000, 0x3f2b4c00, 0x3f2b4c00, 0x3c904000, 0xbfbb1300, 0xc00f1f80,
      0xbfbb1300, 0x3c904000, 0x3f2b4c00, 0x3f6eea00, 0x3c904000, 0xbfbb1300, 0xc00f1f80, 0xbf928100,
      0x3c904000, 0x3f2b4c00, 0x3f2b4c00, 0xbe345000, 0xbfbb1300, 0xc00f1f80, 0xbf928100, 0x3c904000,
      0x3ee16400, 0x3f6eea00, 0x3c904000, 0xbfbb1300, 0xc00f1f80, 0xbf928100, 0x3e6a6800, 0x3f2b4c00,
      0x3f2b4c00, 0xbe345000, 0xbfea6800, 0xc00f1f80, 0xbf928100, 0x3c904000, 0x3f2b4c00, 0x3f2b4c00,
      0x3c904000, 0xbfbb1300, 0xc00f1f80, 0xbf928100, 0x3c904000, 0x3f2b4c00, 0x3f2b4c00, 0xbe345000,
      0xbfea6800, 0xc00f1f80, 0xbf5ce200, 0x3e6a6800, 0x3f2b4c00, 0x3f2b4c00, 0xbec65800, 0xbfbb1300,
      0xc00f4390, 0xbf8663a0, 0xbca24800, 0x3edf2300, 0x3f317ec0, 0xbe83da80, 0xbfe1ac20, 0xc00f4390,
      0xbf8663a0, 0x3e4ada00, 0x3f317ec0, 0x3f317ec0, 0xbe83da80, 0xbfe1ac20, 0xc00f4390, 0xbf40b580,
      0x3e4ada00, 0x3f317ec0, 0x3f317ec0, 0xbe83da80, 0xbfe1ac20, 0xc00f4390, 0xbf8663a0, 0xbca24800,
      0x3f317ec0, 0x3f317ec0, 0xbe83da80, 0xbfe1ac20, 0xc00f4390, 0xbf40b580, 0x3e4ada00, 0x3f317ec0,
      0x3f209740, 0xbeb9f280, 0xbfdbc180, 0xc0062d88, 0xbf4f13e0, 0x3c873c00, 0x3f209740, 0x3f209740,
      0xbeb9f280, 0xbfdbc180, 0xc0062d88, 0xbf4f13e0, 0x3e5bc180, 0x3f209740, 0x3f209740, 0xbeb9f280,
      0xbfdbc180, 0xc0062d88, 0xbf13e9a0, 0x3e5bc180, 0x3f209740, 0x3ed34dc0, 0xbeb9f280, 0xbfdbc180,
      0xc0062d88, 0xbf4f13e0, 0x3c873c00, 0x3f209740, 0x3f209740, 0xbeb9f280, 0xbfdbc180, 0xc0062d88,
      0xbf13e9a0, 0x3e5bc180, 0x3f209740, 0x3f209740, 0xbf13e9a0, 0xbfdbc180, 0xc0062d88, 0xbf13e9a0,
      0x3c873c00, 0x3f209740, 0x3f209740, 0xbeb9f280, 0xbfdbc180, 0xc0062d88, 0xbf13e9a0, 0x3e5bc180,
      0x3f209740, 0x3f209740, 0xbf13e9a0, 0xc0062d88, 0xc0062d88, 0xbeb9f280, 0x3e5bc180, 0x3f209740,
      0x3ed34dc0, 0xbeb9f280, 0xbfdbc180, 0xc0062d88, 0xbf13e9a0, 0x3c873c00, 0x3f209740, 0x3f209740,
      0xbf0a0d40, 0xbffa7720, 0xbffa7720, 0xbead8d00, 0x3e4d1b00, 0x3f15e280, 0x3ec53780, 0xbf4145c0,
      0xbfcd1b00, 0xbffa7720, 0xbead8d00, 0x3e4d1b00, 0x3f15e280, 0x3f15e280, 0xbf0a0d40, 0xbffa7720,
      0xbffa7720, 0xbf0a0d40, 0x3e4d1b00, 0x3f15e280, 0x3ec53780, 0xbf4145c0, 0xbffa7720, 0xbffa7720,
      0xbead8d00, 0x3e4d1b00, 0x3f15e280, 0x3ec53780, 0xbf0a0d40, 0xbffa7720, 0xbffa7720, 0xbead8d00,
      0x3c7c7000, 0x3f510cc0, 0x3f15e280, 0xbf4145c0, 0xbffa7720, 0xbffa7720, 0xbe1dc600, 0x3e4d1b00,
      0x3f15e280, 0x3ec53780, 0xbf4145c0, 0xbffa7720, 0xbffa7720, 0xbe1dc600, 0x3e4d1b00, 0x3f15e280,
      0x3f15e280, 0xbf4145c0, 0xbffa7720, 0xbffa7720, 0xbe1dc600, 0x3e4d1b00, 0x3f15e280, 0x3ec53780,
      0xbf4145c0, 0xbffa7720, 0xbfcd1b00, 0x3c7c7000, 0x3e4d1b00, 0x3f15e280, 0x3e4d1b00, 0xbf4145c0,
      0x3f9dc600, 0xc0489900, 0x3eb45000, 0x408f1f80, 0xbeea6800, 0x403b1300, 0xbfab4c00, 0x3fdce200,
      0xc01b8500, 0x3f465800, 0xc07eb100, 0xbd104000, 0x406a6800, 0xbf616400, 0x40128100, 0xbfeeea00,
      0x3f465800, 0xbf616400, 0xc07eb100, 0x3fdce200, 0xbd104000, 0xc01b8500, 0x406a6800, 0x3f465800,
      0xbf616400, 0xc07eb100, 0x40128100, 0xbd104000, 0xc01b8500, 0x406a6800, 0x3f465800, 0xbf616400,
      0x3f1dc600, 0xbfc89900, 0x3e345000, 0x400f1f80, 0xbe6a6800, 0x3fbb1300, 0xbf2b4c00, 0x3f5ce200,
      0xbf9b8500, 0x3ec65800, 0xbffeb100, 0xbc904000, 0x3fea6800, 0xbee16400, 0x3f928100, 0xbf6eea00,
      0xbffeb100, 0x3f928100, 0xbc904000, 0xbf9b8500, 0x3fea6800, 0x3ec65800, 0xbee16400, 0xbffeb100,
      0x3f928100, 0xbc904000, 0xbf6eea00, 0x3fea6800, 0x3ec65800, 0xbee16400, 0xbffeb100, 0x3f928100,
      0x3f1dc600, 0xbfc89900, 0x3e345000, 0x400f1f80, 0xbe6a6800, 0x3fbb1300, 0xbf2b4c00, 0x3f5ce200,
      0xbf9b8500, 0x3ec65800, 0xbffeb100, 0xbc904000, 0x3fea6800, 0xbee16400, 0x3f928100, 0xbf6eea00,
      0xbc904000, 0xbf6eea00, 0x3fea6800, 0x3ec65800, 0xbee16400, 0xbffeb100, 0x3f928100, 0xbc904000,
      0xbf6eea00, 0x3fea6800, 0x3f1dc600, 0xbee16400, 0xbffeb100, 0x3f928100, 0xbc904000, 0xbf6eea00,
      0xbf317ec0, 0x3fe1ac20, 0xbe4ada00, 0xc0210370, 0x3e83da80, 0xbfd27560, 0x3f40b580, 0xbf787e40,
      0x3faef5a0, 0xbedf2300, 0x400f4390, 0x3ca24800, 0xc003da80, 0x3efd9080, 0xbfa4d120, 0x3f8663a0,
      0xc003da80, 0xbf317ec0, 0x3efd9080, 0x400f4390, 0xbfa4d120, 0x3ca24800, 0x3f8663a0, 0xc003da80,
      0xbf317ec0, 0x3efd9080, 0x3fe1ac20, 0xbfa4d120, 0x3ca24800, 0x3f8663a0, 0xc003da80, 0xbf317ec0,
      0x3f13e9a0, 0xbfbc0f70, 0x3e290b00, 0x40062d88, 0xbe5bc180, 0x3faf61d0, 0xbf209740, 0x3f4f13e0,
      0xbf91ccb0, 0x3eb9f280, 0xbfeec5f0, 0xbc873c00, 0x3fdbc180, 0xbed34dc0, 0x3f8958f0, 0xbf5ffb60,
      0xbed34dc0, 0xbfbc0f70, 0x3f8958f0, 0xbc873c00, 0xbf5ffb60, 0x3fdbc180, 0x3f13e9a0, 0xbed34dc0,
      0xbfbc0f70, 0x3f8958f0, 0x3e290b00, 0xbf5ffb60, 0x3fdbc180, 0x3f13e9a0, 0xbed34dc0, 0xbfbc0f70,
      0x3f13e9a0, 0xbfbc0f70, 0x3e290b00, 0x40062d88, 0xbe5bc180, 0x3faf61d0, 0xbf209740, 0x3f4f13e0,
      0xbf91ccb0, 0x3eb9f280, 0xbfeec5f0, 0xbc873c00, 0x3fdbc180, 0xbed34dc0, 0x3f8958f0, 0xbf5ffb60,
      0x3f8958f0, 0x3e290b00, 0xbf5ffb60, 0x3fdbc180, 0x3f13e9a0, 0xbed34dc0, 0xbfbc0f70, 0x3f8958f0,
      0x3e290b00, 0xbf5ffb60, 0x40062d88, 0x3f13e9a0, 0xbed34dc0, 0xbfbc0f70, 0x3f8958f0, 0x3e290b00,
      0x3f0a0d40, 0xbfaf85e0, 0x3e1dc600, 0x3ffa7720, 0xbe4d1b00, 0x3fa3b0a0, 0xbf15e280, 0x3f4145c0,
      0xbf881460, 0x3ead8d00, 0xbfdedae0, 0xbc7c7000, 0x3fcd1b00, 0xbec53780, 0x3f8030e0, 0xbf510cc0,
      0xbf510cc0, 0x3ffa7720, 0x3f0a0d40, 0xbec53780, 0xbfaf85e0, 0x3f8030e0, 0x3e1dc600, 0xbf510cc0,
      0x3ffa7720, 0x3f0a0d40, 0xbe4d1b00, 0xbfaf85e0, 0x3f8030e0, 0x3e1dc600, 0xbf510cc0, 0x3ffa7720,
      0x3f0a0d40, 0xbfaf85e0, 0x3e1dc600, 0x3ffa7720, 0xbe4d1b00, 0x3fa3b0a0, 0xbf15e280, 0x3f4145c0,
      0xbf881460, 0x3ead8d00, 0xbfdedae0, 0xbc7c7000, 0x3fcd1b00, 0xbec53780, 0x3f8030e0, 0xbf510cc0,
      0x3f0a0d40, 0xbe4d1b00, 0xbfaf85e0, 0x3f8030e0, 0x3e1dc600, 0xbf510cc0, 0x3ffa7720, 0x3f0a0d40,
      0xbe4d1b00, 0xbfaf85e0, 0x3fa3b0a0, 0x3e1dc600, 0xbf510cc0, 0x3ffa7720, 0x3f0a0d40, 0xbe4d1b00}},
  };
  return goldens;
}

TEST(GgmlLegacyGoldenTest, DecodesLikeGgmlOnEveryTarget) {
  testing::ForEachSimdTarget([&](const SimdTarget&) {
    for (const GoldenBlocks& g : Goldens()) {
      SCOPED_TRACE(g.name);
      const auto f = MakeQuantFormat(g.name, {});
      const int64_t cols = static_cast<int64_t>(g.decoded.size());
      ASSERT_EQ(g.bytes.size(), f->Sections(cols)[0].row_bytes());
      ConstRowRef row;
      row.section[0] = g.bytes.data();
      f->ValidateRow(row, cols, 0);
      std::vector<float> simd(static_cast<size_t>(cols)), ref(static_cast<size_t>(cols));
      f->DequantizeRow(row, cols, 1.0f, simd.data());
      f->DequantizeRowRef(row, cols, 1.0f, ref.data());
      for (int64_t j = 0; j < cols; ++j) {
        ASSERT_EQ(F32Bits(simd[j]), g.decoded[j]) << "weight " << j;
        ASSERT_EQ(F32Bits(ref[j]), g.decoded[j]) << "weight " << j;
      }
    }
  });
}

}  // namespace
}  // namespace shrink
