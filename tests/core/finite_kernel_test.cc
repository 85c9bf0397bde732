// The finiteness kernel: SIMD equal to Ref for NaN and infinities at every position of short
// and long rows, and extreme finite values accepted.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <vector>

#include "src/kernels/core/finite.h"

namespace shrink {
namespace {

TEST(FiniteKernelTest, FindsEveryNonFiniteValueAtEveryPosition) {
  for (const int64_t n : {1, 3, 8, 17, 64, 70}) {
    std::vector<float> x(static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j) x[static_cast<size_t>(j)] = j % 2 ? FLT_MAX : -FLT_TRUE_MIN * static_cast<float>(j);
    EXPECT_TRUE(kernels::AllFinite(x.data(), n));
    EXPECT_TRUE(kernels::AllFiniteRef(x.data(), n));
    for (const float bad : {NAN, INFINITY, -INFINITY}) {
      for (int64_t j = 0; j < n; ++j) {
        std::vector<float> y = x;
        y[static_cast<size_t>(j)] = bad;
        EXPECT_FALSE(kernels::AllFinite(y.data(), n)) << n << " " << j;
        EXPECT_FALSE(kernels::AllFiniteRef(y.data(), n));
      }
    }
  }
}

}  // namespace
}  // namespace shrink
