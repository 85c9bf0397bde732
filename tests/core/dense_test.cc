// The dense kernels of src/linalg: Gram, Cholesky, triangular inverse and products against
// plain double loops, and bit-identical results for 1 and 2 threads.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "shrink/core/threads.h"
#include "src/linalg/dense.h"
#include "testing/test_util.h"

namespace shrink {
namespace {

std::vector<float> Random(int64_t count, uint32_t seed) {
  const Tensor t = testing::RandomMatrix(1, count, seed);
  return std::vector<float>(t.data<float>(), t.data<float>() + count);
}

// Returns x (tokens x n) with correlated channels, so its Gram matrix is far from diagonal.
std::vector<float> Correlated(int64_t tokens, int64_t n, uint32_t seed) {
  std::vector<float> x = Random(tokens * n, seed);
  for (int64_t t = 0; t < tokens; ++t) {
    for (int64_t j = 1; j < n; ++j) x[t * n + j] += 0.7f * x[t * n + j - 1];
  }
  return x;
}

double MaxAbsDiff(const std::vector<double>& a, const std::vector<float>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

TEST(DenseTest, GramMatchesDoubleLoops) {
  const int64_t tokens = 300, n = 261;  // n spans two full tiles and a partial one
  const std::vector<float> x = Correlated(tokens, n, 1);
  std::vector<float> g(n * n, 1.0f);
  linalg::GramAccumulate(x.data(), tokens, n, g.data());
  std::vector<double> ref(n * n, 1.0);
  for (int64_t t = 0; t < tokens; ++t) {
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < n; ++j) ref[i * n + j] += double(x[t * n + i]) * x[t * n + j];
    }
  }
  EXPECT_LT(MaxAbsDiff(ref, g), 1e-3);
}

TEST(DenseTest, CholeskyAndInverseReconstruct) {
  const int64_t tokens = 600, n = 300;
  const std::vector<float> x = Correlated(tokens, n, 2);
  std::vector<float> h(n * n, 0.0f);
  linalg::GramAccumulate(x.data(), tokens, n, h.data());
  for (auto& v : h) v /= tokens;
  for (int64_t i = 0; i < n; ++i) h[i * n + i] += 0.01f;
  std::vector<float> l = h;
  ASSERT_TRUE(linalg::CholeskyLower(l.data(), n));
  std::vector<double> llt(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      for (int64_t k = 0; k <= std::min(i, j); ++k) llt[i * n + j] += double(l[i * n + k]) * l[j * n + k];
    }
    for (int64_t j = i + 1; j < n; ++j) ASSERT_EQ(l[i * n + j], 0.0f);
  }
  EXPECT_LT(MaxAbsDiff(llt, h), 1e-4);

  std::vector<float> inv = l;
  linalg::InvertLower(inv.data(), n);
  std::vector<double> identity(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i) identity[i * n + i] = 1.0;
  std::vector<float> product(n * n, 0.0f);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t k = 0; k < n; ++k) s += double(l[i * n + k]) * inv[k * n + j];
      product[i * n + j] = static_cast<float>(s);
    }
  }
  EXPECT_LT(MaxAbsDiff(identity, product), 1e-3);
}

TEST(DenseTest, CholeskyRejectsIndefiniteMatrices) {
  const int64_t n = 200;
  std::vector<float> a(n * n, 0.0f);
  for (int64_t i = 0; i < n; ++i) a[i * n + i] = i == 150 ? -1.0f : 1.0f;
  EXPECT_FALSE(linalg::CholeskyLower(a.data(), n));
}

TEST(DenseTest, GemmAllTranspositionsMatchLoopsAndThreadCounts) {
  const int64_t m = 70, n = 300, k = 45;
  const std::vector<float> a = Random(m * k, 3), b = Random(k * n, 4), c0 = Random(m * n, 5);
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      std::vector<double> ref(m * n);
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) {
          double s = 0;
          for (int64_t p = 0; p < k; ++p) s += double(ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
          ref[i * n + j] = 0.5 * c0[i * n + j] - 2.0 * s;
        }
      }
      std::vector<float> one = c0, two = c0;
      SetNumThreads(1);
      linalg::Gemm(ta, tb, m, n, k, -2.0f, a.data(), ta ? m : k, b.data(), tb ? k : n, 0.5f, one.data(), n);
      SetNumThreads(2);
      linalg::Gemm(ta, tb, m, n, k, -2.0f, a.data(), ta ? m : k, b.data(), tb ? k : n, 0.5f, two.data(), n);
      SetNumThreads(0);
      EXPECT_LT(MaxAbsDiff(ref, one), 1e-3) << ta << tb;
      EXPECT_EQ(one, two) << ta << tb;
    }
  }
}

TEST(DenseTest, FactorizationIsIdenticalForOneAndTwoThreads) {
  const int64_t tokens = 400, n = 390;
  const std::vector<float> x = Correlated(tokens, n, 6);
  std::vector<std::vector<float>> results;
  for (int threads : {1, 2}) {
    SetNumThreads(threads);
    std::vector<float> h(n * n, 0.0f);
    linalg::GramAccumulate(x.data(), tokens, n, h.data());
    for (int64_t i = 0; i < n; ++i) h[i * n + i] += 1.0f;
    EXPECT_TRUE(linalg::CholeskyLower(h.data(), n));
    linalg::InvertLower(h.data(), n);
    results.push_back(h);
  }
  SetNumThreads(0);
  EXPECT_EQ(results[0], results[1]);
}

}  // namespace
}  // namespace shrink
