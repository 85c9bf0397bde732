// Dense f32 linear algebra for the heavy steps of calibrated methods (Gram matrices, Cholesky,
// triangular inverses, matrix products), run by an Eigen build compiled for the best
// instruction set this CPU has (AVX-512, AVX2+FMA or the baseline), chosen once at run time.
// All matrices are row-major with the given leading dimension (elements between rows).
#ifndef SHRINK_SRC_LINALG_DENSE_H_
#define SHRINK_SRC_LINALG_DENSE_H_

#include <cstdint>

namespace shrink::linalg {

// g (n x n) += xᵀ x for x (tokens x n); fills both triangles.
void GramAccumulate(const float* x, int64_t tokens, int64_t n, float* g);
// Overwrites the lower triangle of a (n x n, symmetric) with its Cholesky factor L (a = L Lᵀ),
// zeroing the strict upper triangle. Returns false when a is not positive definite.
bool CholeskyLower(float* a, int64_t n);
// Overwrites the lower-triangular l (n x n) with its inverse (lower-triangular).
void InvertLower(float* l, int64_t n);
// c (m x n, ldc) = beta * c + alpha * a (m x k, lda) * b (k x n, ldb); a and b may be used
// transposed (then a is k x m, b is n x k as stored).
void Gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
// Returns the instruction set of the Eigen build in use: "avx512", "avx2" or "baseline".
const char* DenseBackendName();

}  // namespace shrink::linalg

#endif  // SHRINK_SRC_LINALG_DENSE_H_
