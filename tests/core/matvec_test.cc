// Tests of the f32 dot kernel against its Ref twin on every target, and of the dense MatVec.
#include "shrink/core/matvec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "src/kernels/core/dot.h"
#include "testing/test_util.h"

namespace shrink {
namespace {

TEST(DotTest, MatchesRefOnEveryTargetOddLengthsAndOffsets) {
  const Tensor a = testing::RandomMatrix(1, 5000, 1), b = testing::RandomMatrix(1, 5000, 2);
  testing::ForEachSimdTarget([&](const SimdTarget&) {
    for (int64_t count : {0, 1, 3, 15, 16, 17, 63, 64, 65, 127, 1000, 4097}) {
      for (int offset : {0, 1, 3}) {
        const float* pa = a.data<float>() + offset;
        const float* pb = b.data<float>() + offset;
        const float ref = kernels::DotF32Ref(pa, pb, count);
        ASSERT_NEAR(kernels::DotF32(pa, pb, count), ref, 1e-5f * (1.0f + std::sqrt(static_cast<float>(count))))
            << count << " elements at offset " << offset;
      }
    }
  });
}

TEST(MatVecTest, MatchesRowDotsAndRejectsStridedRows) {
  const Tensor w = testing::RandomMatrix(97, 131, 3), x = testing::RandomMatrix(1, 131, 4);
  std::vector<float> y(97);
  MatVecF32(w.View<float>(), x.data<float>(), y.data());
  for (int64_t i = 0; i < 97; ++i) {
    ASSERT_NEAR(y[i], kernels::DotF32Ref(w.data<float>() + i * 131, x.data<float>(), 131), 1e-4f) << i;
  }
  EXPECT_THROW(MatVecF32(w.View<float>().Transposed(), x.data<float>(), y.data()), Error);
}

}  // namespace
}  // namespace shrink
