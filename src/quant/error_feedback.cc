// RunErrorFeedback: the lazy-batch GPTQ loop, parallel over row ranges inside a block and a
// dense matrix product between blocks.
#include "src/quant/error_feedback.h"

#include <algorithm>

#include "src/core/parallel.h"
#include "src/linalg/dense.h"

namespace shrink {
namespace {

// Rows each task handles inside a block.
constexpr int64_t kRowChunk = 64;

}  // namespace

Tensor ProcessingOrderCopy(const InverseHessianFactor& factor, TensorView<const float> weight) {
  const int64_t n = weight.cols(), m = weight.rows();
  Tensor wt(DType::kF32, Shape{n, m});
  float* w = wt.data<float>();
  ParallelFor(n, [&](int64_t k) {
    const int64_t c = factor.order[static_cast<size_t>(k)];
    const bool dead = factor.dead[static_cast<size_t>(c)];
    for (int64_t r = 0; r < m; ++r) w[k * m + r] = dead ? 0.0f : weight(r, c);
  });
  return wt;
}

void RunErrorFeedback(const InverseHessianFactor& factor, float* wt, int64_t rows, int64_t block,
                      ColumnRounder& rounder) {
  const int64_t n = factor.n;
  const float* u = factor.u.data<float>();
  Tensor errors(DType::kF32, Shape{block, rows});  // the block's scaled errors
  const int64_t chunks = (rows + kRowChunk - 1) / kRowChunk;
  for (int64_t begin = 0; begin < n; begin += block) {
    const int64_t end = std::min(n, begin + block);
    ParallelFor(chunks, [&](int64_t chunk) {
      const int64_t r0 = chunk * kRowChunk, r1 = std::min(rows, r0 + kRowChunk);
      float q[kRowChunk];
      for (int64_t k = begin; k < end; ++k) {
        float* w = wt + k * rows;
        rounder.Round(k, wt, rows, w, q, r0, r1);
        const float inv_diag = 1.0f / u[k * n + k];
        float* err = errors.data<float>() + (k - begin) * rows;
        for (int64_t r = r0; r < r1; ++r) {
          err[r] = (w[r] - q[r - r0]) * inv_diag;
          w[r] = q[r - r0];
        }
        for (int64_t j = k + 1; j < end; ++j) {
          const float ukj = u[k * n + j];
          float* wj = wt + j * rows;
          for (int64_t r = r0; r < r1; ++r) wj[r] -= ukj * err[r];
        }
      }
    });
    if (end < n) {
      // W[:, end:] -= Err · U[begin:end, end:], i.e. wt[end:, :] -= U[begin:end, end:]ᵀ · errors.
      linalg::Gemm(/*transpose_a=*/true, /*transpose_b=*/false, n - end, rows, end - begin, -1.0f,
                   u + begin * n + end, n, errors.data<float>(), rows, 1.0f, wt + end * rows, rows);
    }
  }
}

}  // namespace shrink
