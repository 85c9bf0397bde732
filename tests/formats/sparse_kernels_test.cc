// The sparse row kernels (csr, bitmask, n:m): SIMD equal to the scalar Ref on every compiled target,
// on lengths that are not multiples of the vector length and rows keeping 0, 1 or all weights.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "shrink/core/float_codec.h"
#include "shrink/formats/sparse_tensor.h"
#include "src/kernels/sparse/sparse_rows.h"
#include "testing/test_util.h"

namespace shrink {
namespace {

constexpr DType kValueDTypes[] = {DType::kF32, DType::kF16, DType::kBF16, DType::kI8};

// Returns `count` random kept values stored as `dtype` (i8: codes in [-127, 127]).
std::vector<uint8_t> RandomValues(DType dtype, int64_t count, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<uint8_t> bytes(static_cast<size_t>(count) * DTypeSize(dtype) + 1);  // +1: never empty
  for (int64_t k = 0; k < count; ++k) {
    const float v = normal(rng);
    switch (dtype) {
      case DType::kF16: reinterpret_cast<uint16_t*>(bytes.data())[k] = F32ToF16Ref(v); break;
      case DType::kBF16: reinterpret_cast<uint16_t*>(bytes.data())[k] = F32ToBF16Ref(v); break;
      case DType::kI8:
        reinterpret_cast<int8_t*>(bytes.data())[k] = static_cast<int8_t>(std::lround(v * 40.0f) % 127);
        break;
      default: reinterpret_cast<float*>(bytes.data())[k] = v;
    }
  }
  return bytes;
}

std::vector<float> RandomInputs(int64_t cols, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(cols));
  for (float& v : x) v = normal(rng);
  return x;
}

// Returns the tolerance of an f32-lane sum against the double Ref: a few ulps of sum |v x|.
float Tolerance(DType dtype, const void* values, int64_t count, const std::vector<float>& x_at) {
  double magnitude = 0.0;
  for (int64_t k = 0; k < count; ++k) {
    magnitude += std::fabs(kernels::SparseValueRef(dtype, values, k) * x_at[static_cast<size_t>(k)]);
  }
  return static_cast<float>(4e-7 * magnitude * std::sqrt(static_cast<double>(count) + 1.0)) + 1e-30f;
}

// Returns the sorted columns a row of `cols` keeps: none, one, all, or each with probability p.
std::vector<int32_t> RandomColumns(int64_t cols, int pattern, std::mt19937& rng) {
  std::vector<int32_t> kept;
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  const float p = pattern == 3 ? 0.5f : 0.1f;
  for (int64_t j = 0; j < cols; ++j) {
    const bool keep = pattern == 0 ? false : pattern == 1 ? j == cols / 2 : pattern == 2 ? true : uniform(rng) < p;
    if (keep) kept.push_back(static_cast<int32_t>(j));
  }
  return kept;
}

TEST(SparseKernelsTest, CsrSimdEqualsRef) {
  std::mt19937 rng(1);
  testing::ForEachSimdTarget([&](const SimdTarget&) {
    for (const int64_t cols : {1, 7, 17, 33, 100, 1001}) {
      for (int pattern = 0; pattern < 5; ++pattern) {
        const std::vector<int32_t> kept = RandomColumns(cols, pattern, rng);
        const auto nnz = static_cast<int64_t>(kept.size());
        const std::vector<uint16_t> kept16(kept.begin(), kept.end());
        const std::vector<float> x = RandomInputs(cols, rng);
        std::vector<float> x_at;
        for (int32_t c : kept) x_at.push_back(x[static_cast<size_t>(c)]);
        for (DType dtype : kValueDTypes) {
          const std::vector<uint8_t> values = RandomValues(dtype, nnz, rng);
          const float tolerance = Tolerance(dtype, values.data(), nnz, x_at);
          const float ref = kernels::CsrDotRef(dtype, values.data(), DType::kI32, kept.data(), nnz, x.data());
          EXPECT_NEAR(kernels::CsrDot(dtype, values.data(), DType::kI32, kept.data(), nnz, x.data()), ref, tolerance)
              << DTypeName(dtype) << " cols " << cols << " nnz " << nnz;
          EXPECT_NEAR(kernels::CsrDot(dtype, values.data(), DType::kU16, kept16.data(), nnz, x.data()), ref, tolerance)
              << DTypeName(dtype) << " cols " << cols << " nnz " << nnz;
          if (nnz == 0) {
            EXPECT_EQ(ref, 0.0f);
          }
        }
      }
    }
  });
}

TEST(SparseKernelsTest, BitmaskSimdEqualsRef) {
  std::mt19937 rng(2);
  testing::ForEachSimdTarget([&](const SimdTarget&) {
    for (const int64_t cols : {1, 7, 8, 17, 33, 100, 1001}) {
      for (int pattern = 0; pattern < 5; ++pattern) {
        const std::vector<int32_t> kept = RandomColumns(cols, pattern, rng);
        const auto nnz = static_cast<int64_t>(kept.size());
        std::vector<uint8_t> mask(static_cast<size_t>((cols + 7) / 8));
        for (int32_t c : kept) mask[static_cast<size_t>(c >> 3)] |= static_cast<uint8_t>(1u << (c & 7));
        const std::vector<float> x = RandomInputs(cols, rng);
        std::vector<float> x_at;
        for (int32_t c : kept) x_at.push_back(x[static_cast<size_t>(c)]);
        for (DType dtype : kValueDTypes) {
          const std::vector<uint8_t> values = RandomValues(dtype, nnz, rng);
          const float ref = kernels::BitmaskDotRef(dtype, values.data(), nnz, mask.data(), cols, x.data());
          // The csr Ref over the same kept columns is the same sum.
          EXPECT_EQ(ref, kernels::CsrDotRef(dtype, values.data(), DType::kI32, kept.data(), nnz, x.data()));
          EXPECT_NEAR(kernels::BitmaskDot(dtype, values.data(), nnz, mask.data(), cols, x.data()), ref,
                      Tolerance(dtype, values.data(), nnz, x_at))
              << DTypeName(dtype) << " cols " << cols << " nnz " << nnz;
        }
      }
    }
  });
}

// Returns packed n:m indices of `groups` random groups (n distinct increasing indices each) and
// the columns they select.
std::vector<uint8_t> RandomNmIndices(int64_t groups, const kernels::NmGroups& g, std::mt19937& rng,
                                     std::vector<int32_t>& columns) {
  const int64_t kept = groups * g.n;
  std::vector<uint8_t> bytes(static_cast<size_t>((kept * g.index_bits + 7) / 8));
  columns.clear();
  std::vector<int> order(static_cast<size_t>(g.m));
  for (int64_t group = 0; group < groups; ++group) {
    for (int i = 0; i < g.m; ++i) order[static_cast<size_t>(i)] = i;
    std::shuffle(order.begin(), order.end(), rng);
    std::sort(order.begin(), order.begin() + g.n);
    for (int i = 0; i < g.n; ++i) {
      const int64_t t = group * g.n + i;
      const int index = order[static_cast<size_t>(i)];
      for (int b = 0; b < g.index_bits; ++b) {
        const int64_t bit = t * g.index_bits + b;
        if ((index >> b) & 1) bytes[static_cast<size_t>(bit >> 3)] |= static_cast<uint8_t>(1u << (bit & 7));
      }
      columns.push_back(static_cast<int32_t>(group * g.m + index));
    }
  }
  return bytes;
}

TEST(SparseKernelsTest, NmSimdEqualsRefForEveryGroupShape) {
  std::mt19937 rng(3);
  const kernels::NmGroups shapes[] = {{2, 4, 2}, {4, 8, 3}, {1, 4, 2}, {3, 8, 3}, {1, 2, 1}, {8, 16, 4}, {2, 16, 4}};
  testing::ForEachSimdTarget([&](const SimdTarget&) {
    for (const kernels::NmGroups& g : shapes) {
      for (const int64_t groups : {1, 3, 5, 17, 63, 250}) {
        std::vector<int32_t> columns;
        std::vector<uint8_t> indices = RandomNmIndices(groups, g, rng, columns);
        const int64_t kept = groups * g.n, row_bytes = static_cast<int64_t>(indices.size());
        const std::vector<float> x = RandomInputs(groups * g.m, rng);
        std::vector<float> x_at;
        for (int32_t c : columns) x_at.push_back(x[static_cast<size_t>(c)]);
        // Exactly the row's bytes readable (the last row of a tensor), then room to spare.
        std::vector<uint8_t> padded = indices;
        padded.resize(indices.size() + 32, 0xFF);
        for (const int64_t readable : {row_bytes, row_bytes + 32}) {
          const uint8_t* bytes = readable == row_bytes ? indices.data() : padded.data();
          std::vector<float> gathered(static_cast<size_t>(kept)), gathered_ref(static_cast<size_t>(kept));
          kernels::NmGatherInputs(bytes, readable, kept, g, x.data(), gathered.data());
          kernels::NmGatherInputsRef(bytes, readable, kept, g, x.data(), gathered_ref.data());
          EXPECT_EQ(gathered, gathered_ref) << g.n << ":" << g.m << " groups " << groups;
          EXPECT_EQ(gathered, x_at);
          for (DType dtype : kValueDTypes) {
            const std::vector<uint8_t> values = RandomValues(dtype, kept, rng);
            const float ref = kernels::NmDotRef(dtype, values.data(), bytes, readable, kept, g, x.data());
            EXPECT_EQ(ref, kernels::CsrDotRef(dtype, values.data(), DType::kI32, columns.data(), kept, x.data()));
            EXPECT_NEAR(kernels::NmDot(dtype, values.data(), bytes, readable, kept, g, x.data()), ref,
                        Tolerance(dtype, values.data(), kept, x_at))
                << DTypeName(dtype) << " " << g.n << ":" << g.m << " groups " << groups << " readable " << readable;
          }
        }
      }
    }
  });
}

TEST(SparseKernelsTest, NmIndexBitsAreCeilLog2) {
  EXPECT_EQ(NmIndexBits(2), 1);
  EXPECT_EQ(NmIndexBits(3), 2);
  EXPECT_EQ(NmIndexBits(4), 2);
  EXPECT_EQ(NmIndexBits(5), 3);
  EXPECT_EQ(NmIndexBits(8), 3);
  EXPECT_EQ(NmIndexBits(9), 4);
  EXPECT_EQ(NmIndexBits(16), 4);
}

}  // namespace
}  // namespace shrink
