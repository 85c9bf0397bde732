// One instruction-set variant of the dense kernels of dense.h, compiled once per variant with
// that variant's flags; Eigen's namespace is renamed per variant (-DEigen=...) so the
// variants' template instances never merge. Uses raw pointers only, no shared templates.
//
// Work is split into fixed tiles of kTile rows or columns that OpenMP threads take in any
// order, with single-threaded Eigen inside each tile: a tile's arithmetic does not depend on
// the number of threads, so results are bit-identical for every thread count.
#include <omp.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cstdint>

#include "src/linalg/dense_variant.h"

namespace shrink::linalg::SHRINK_DENSE_NS {
namespace {

using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatMap = Eigen::Map<RowMajor, 0, Eigen::OuterStride<>>;
using ConstMatMap = Eigen::Map<const RowMajor, 0, Eigen::OuterStride<>>;

// Rows or columns per parallel tile; also the Cholesky panel width and the size below which
// a triangular inverse is solved directly.
constexpr int64_t kTile = 128;

int64_t NumTiles(int64_t n) { return (n + kTile - 1) / kTile; }

MatMap Block(float* base, int64_t ld, int64_t row, int64_t col, int64_t rows, int64_t cols) {
  return MatMap(base + row * ld + col, rows, cols, Eigen::OuterStride<>(ld));
}

// Inverts the lower-triangular n x n block at `l` (leading dimension ld) in place:
// [A 0; B C]⁻¹ = [A⁻¹ 0; -C⁻¹ B A⁻¹ C⁻¹], which costs n³/3 multiply-adds instead of the n³/2
// of solving against the identity.
void InvertLowerBlock(float* l, int64_t n, int64_t ld) {
  if (n <= kTile) {
    MatMap m = Block(l, ld, 0, 0, n, n);
    RowMajor inv = RowMajor::Identity(n, n);
    m.triangularView<Eigen::Lower>().solveInPlace(inv);
    m = inv.triangularView<Eigen::Lower>();
    return;
  }
  const int64_t h = NumTiles(n) / 2 * kTile;
  InvertLowerBlock(l, h, ld);
  InvertLowerBlock(l + h * ld + h, n - h, ld);
  const MatMap a = Block(l, ld, 0, 0, h, h);
  const MatMap c = Block(l, ld, h, h, n - h, n - h);
  RowMajor cb(n - h, h);
#pragma omp parallel for schedule(dynamic)
  for (int64_t t = 0; t < NumTiles(h); ++t) {  // C⁻¹ B, by column tiles
    const int64_t j = t * kTile, w = std::min(kTile, h - j);
    cb.middleCols(j, w).noalias() = c.triangularView<Eigen::Lower>() * Block(l, ld, h, j, n - h, w);
  }
#pragma omp parallel for schedule(dynamic)
  for (int64_t t = 0; t < NumTiles(n - h); ++t) {  // -(C⁻¹ B) A⁻¹, by row tiles
    const int64_t i = t * kTile, w = std::min(kTile, n - h - i);
    Block(l, ld, h + i, 0, w, h).noalias() = -(cb.middleRows(i, w) * a.triangularView<Eigen::Lower>());
  }
}

}  // namespace

void GramAccumulate(const float* x, int64_t tokens, int64_t n, float* g) {
  const ConstMatMap xm(x, tokens, n, Eigen::OuterStride<>(n));
#pragma omp parallel for schedule(dynamic)
  for (int64_t t = 0; t < NumTiles(n); ++t) {  // rows [i, i+w) of the lower triangle
    const int64_t i = t * kTile, w = std::min(kTile, n - i);
    Block(g, n, i, 0, w, i + w).noalias() += xm.middleCols(i, w).transpose() * xm.leftCols(i + w);
  }
  MatMap gm(g, n, n, Eigen::OuterStride<>(n));
  gm.triangularView<Eigen::StrictlyUpper>() = gm.transpose();
}

bool CholeskyLower(float* a, int64_t n) {
  // Right-looking blocked Cholesky on panels of kTile columns.
  for (int64_t k = 0; k < n; k += kTile) {
    const int64_t b = std::min(kTile, n - k), below = n - k - b;
    MatMap l11 = Block(a, n, k, k, b, b);
    Eigen::LLT<Eigen::Ref<RowMajor, 0, Eigen::OuterStride<>>, Eigen::Lower> llt(l11);
    if (llt.info() != Eigen::Success) return false;
    const int64_t tiles = NumTiles(below);
#pragma omp parallel for schedule(dynamic)
    for (int64_t t = 0; t < tiles; ++t) {  // L21 = A21 L11⁻ᵀ
      const int64_t i = k + b + t * kTile, w = std::min(kTile, n - i);
      MatMap a21 = Block(a, n, i, k, w, b);
      l11.transpose().triangularView<Eigen::Upper>().solveInPlace<Eigen::OnTheRight>(a21);
    }
#pragma omp parallel for schedule(dynamic)
    for (int64_t t = 0; t < tiles; ++t) {  // A22 -= L21 L21ᵀ, lower part by row tiles
      const int64_t i = k + b + t * kTile, w = std::min(kTile, n - i);
      const int64_t width = i + w - (k + b);
      Block(a, n, i, k + b, w, width).noalias() -= Block(a, n, i, k, w, b) * Block(a, n, k + b, k, width, b).transpose();
    }
  }
  MatMap(a, n, n, Eigen::OuterStride<>(n)).triangularView<Eigen::StrictlyUpper>().setZero();
  return true;
}

void InvertLower(float* l, int64_t n) { InvertLowerBlock(l, n, n); }

void Gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  const ConstMatMap am(a, transpose_a ? k : m, transpose_a ? m : k, Eigen::OuterStride<>(lda));
  const ConstMatMap bm(b, transpose_b ? n : k, transpose_b ? k : n, Eigen::OuterStride<>(ldb));
#pragma omp parallel for schedule(dynamic)
  for (int64_t t = 0; t < NumTiles(n); ++t) {  // column tiles of c
    const int64_t j = t * kTile, w = std::min(kTile, n - j);
    MatMap ct = Block(c, ldc, 0, j, m, w);
    if (beta == 0.0f) {
      ct.setZero();
    } else if (beta != 1.0f) {
      ct *= beta;
    }
    if (transpose_a && transpose_b) {
      ct.noalias() += alpha * am.transpose() * bm.middleRows(j, w).transpose();
    } else if (transpose_a) {
      ct.noalias() += alpha * am.transpose() * bm.middleCols(j, w);
    } else if (transpose_b) {
      ct.noalias() += alpha * am * bm.middleRows(j, w).transpose();
    } else {
      ct.noalias() += alpha * am * bm.middleCols(j, w);
    }
  }
}

}  // namespace shrink::linalg::SHRINK_DENSE_NS
