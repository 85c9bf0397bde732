// Declares the dense kernels of one instruction-set variant of src/linalg/dense_variant.inc.
#ifndef SHRINK_SRC_LINALG_DENSE_VARIANT_H_
#define SHRINK_SRC_LINALG_DENSE_VARIANT_H_

#include <cstdint>

// Declares, in namespace shrink::linalg::<ns>, the variant's entry points (see dense.h).
#define SHRINK_DECLARE_DENSE_VARIANT(ns)                                                                  \
  namespace shrink::linalg::ns {                                                                        \
  void GramAccumulate(const float* x, int64_t tokens, int64_t n, float* g);                             \
  bool CholeskyLower(float* a, int64_t n);                                                              \
  void InvertLower(float* l, int64_t n);                                                                \
  void Gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, \
            int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);               \
  }

SHRINK_DECLARE_DENSE_VARIANT(baseline)
SHRINK_DECLARE_DENSE_VARIANT(avx2)
SHRINK_DECLARE_DENSE_VARIANT(avx512)

#endif  // SHRINK_SRC_LINALG_DENSE_VARIANT_H_
