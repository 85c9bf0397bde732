// Walks the registry: every weight compressor round-trips real shapes within its stated bound,
// matches EstimateBytes, and is deterministic across runs and thread counts.
#include <cstring>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "shrink/core/threads.h"
#include "shrink/registry.h"
#include "testing/test_util.h"

namespace shrink {
namespace {

std::vector<std::string> WeightCompressorNames() {
  std::vector<std::string> names;
  for (const RegistryEntry* e : Registry::Global().List()) {
    auto c = e->factory(Options{});
    if (dynamic_cast<WeightCompressor*>(c.get())) names.push_back(e->name);
  }
  return names;
}

class WeightConformanceTest : public ::testing::TestWithParam<std::string> {};

// Returns statistics of `n` channels with unequal scales and neighbouring channels correlated
// (a banded XᵀX of 1000 tokens), for methods that need calibration.
CalibrationStats BandedStats(int64_t n) {
  const double tokens = 1000.0;
  Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(n, n);
  Eigen::VectorXd sum_sq(n);
  for (int64_t j = 0; j < n; ++j) {
    const double scale = 0.2 + static_cast<double>((j * 37) % 50) / 10.0;
    gram(j, j) = tokens * scale * scale;
    sum_sq(j) = gram(j, j);
  }
  for (int64_t j = 1; j < n; ++j) gram(j, j - 1) = gram(j - 1, j) = 0.45 * std::sqrt(gram(j, j) * gram(j - 1, j - 1));
  const Eigen::VectorXd sum_abs = sum_sq.cwiseSqrt() * std::sqrt(tokens);
  return CalibrationStats::FromParts(gram, sum_abs, sum_sq, sum_abs.cast<float>() / 100.0f, 1000);
}

void ExpectSameSections(const CompressedTensor& a, const CompressedTensor& b) {
  ASSERT_EQ(a.sections().size(), b.sections().size());
  for (size_t s = 0; s < a.sections().size(); ++s) {
    EXPECT_EQ(a.sections()[s].name, b.sections()[s].name);
    EXPECT_TRUE(a.sections()[s].bytes == b.sections()[s].bytes) << "section " << a.sections()[s].name;
  }
  EXPECT_EQ(a.metadata(), b.metadata());
}

TEST_P(WeightConformanceTest, RoundTripsSizesAndIsDeterministic) {
  const RegistryEntry& entry = Registry::Global().Find(GetParam());
  ASSERT_GT(entry.conformance_max_rel_rms, 0.0) << "entry states no error bound";
  auto compressor = Registry::Global().CreateAs<WeightCompressor>(GetParam());
  for (const Shape& shape : {Shape{4096, 4096}, Shape{97, 131}}) {
    SCOPED_TRACE(shape.ToString());
    const Tensor w = testing::RandomMatrix(shape[0], shape[1], 42);
    const CalibrationStats banded = BandedStats(shape[1]);
    const CalibrationStats* stats = compressor->NeedsCalibration() ? &banded : nullptr;
    SetNumThreads(1);
    const CompressedTensor one = compressor->Compress(w.View<float>(), stats);
    SetNumThreads(2);
    const CompressedTensor two = compressor->Compress(w.View<float>(), stats);
    const CompressedTensor again = compressor->Compress(w.View<float>(), stats);
    SetNumThreads(0);
    ExpectSameSections(one, two);
    ExpectSameSections(two, again);
    // Whatever format the method writes, the registry finds its decoder (as Model does).
    Tensor decoded(DType::kF32, shape);
    Registry::Global().CreateDecoder(one.format())->Decompress(one, decoded.View<float>());
    EXPECT_EQ(one.shape(), shape);
    EXPECT_EQ(one.num_bytes(), compressor->EstimateBytes(shape));

    Tensor back(DType::kF32, shape);
    compressor->Decompress(one, back.View<float>());
    const double err = testing::RelativeRmsError(w.data<float>(), back.data<float>(), w.num_elements());
    EXPECT_LE(err, entry.conformance_max_rel_rms);
    EXPECT_GT(err, 0.0) << "a lossy method returned the input unchanged";
    EXPECT_EQ(std::memcmp(back.data<float>(), decoded.data<float>(), back.num_bytes()), 0);

    if (compressor->HasMatVec()) {
      const Tensor x = testing::RandomMatrix(1, shape[1], 7);
      std::vector<float> y(static_cast<size_t>(shape[0]));
      compressor->MatVec(one, x.data<float>(), y.data());
      const bool rounds_input = compressor->MatVecRoundsInput(one);
      double err2 = 0.0, norm2 = 0.0;
      for (int64_t i = 0; i < shape[0]; i += std::max<int64_t>(1, shape[0] / 64)) {
        double expected = 0;
        for (int64_t j = 0; j < shape[1]; ++j) expected += double{back.data<float>()[i * shape[1] + j]} * x.data<float>()[j];
        err2 += (y[static_cast<size_t>(i)] - expected) * (y[static_cast<size_t>(i)] - expected);
        norm2 += expected * expected;
        if (!rounds_input) ASSERT_NEAR(y[static_cast<size_t>(i)], expected, 1e-3 * (1 + std::fabs(expected))) << "row " << i;
      }
      // A MatVec that rounds its input (w8a8; checked exactly in its format test) is the same
      // product up to that rounding: here x ignores the calibrated channel ranges, so the int8
      // step is coarse for the smoothed channels.
      if (rounds_input) EXPECT_LT(std::sqrt(err2 / norm2), 0.1);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, WeightConformanceTest, ::testing::ValuesIn(WeightCompressorNames()),
                         [](const auto& info) { return info.param; });

TEST(RegistryTest, UnknownNamesAndWrongFamiliesAreClearErrors) {
  const Error e = testing::CatchError([] { Registry::Global().Create("nonexistent"); });
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_NE(std::string(e.what()).find("rtn"), std::string::npos) << "should list known names";
  EXPECT_THROW(Registry::Global().CreateAs<Merger>("rtn"), Error);
  EXPECT_THROW(Registry::Global().Create("rtn", Options{{"bits", "1"}}), Error);
}

TEST(RegistryTest, UsersCanRegisterTheirOwnMethods) {
  Registry registry;
  RegisterBuiltins(registry);
  RegistryEntry entry = registry.Find("rtn");
  entry.name = "my-rtn";
  registry.Register(entry);
  EXPECT_EQ(registry.Create("my-rtn")->Name(), "rtn");
  EXPECT_THROW(registry.Register(entry), Error);  // duplicate name
}

}  // namespace
}  // namespace shrink
