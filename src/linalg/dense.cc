// Chooses the dense kernel variant for this CPU once, and forwards dense.h's calls to it.
#include "src/linalg/dense.h"

#include "src/linalg/dense_variant.h"

namespace shrink::linalg {
namespace {

enum class Backend { kBaseline, kAvx2, kAvx512 };

Backend Detect() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("fma")) {
    return Backend::kAvx512;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Backend::kAvx2;
#endif
  return Backend::kBaseline;
}

Backend Current() {
  static const Backend backend = Detect();
  return backend;
}

}  // namespace

// Calls `fn` of the namespace of the variant in use with the given arguments.
#define SHRINK_DENSE_DISPATCH(fn, ...)                                   \
  switch (Current()) {                                                   \
    case Backend::kAvx512: return avx512::fn(__VA_ARGS__);              \
    case Backend::kAvx2: return avx2::fn(__VA_ARGS__);                  \
    case Backend::kBaseline: break;                                      \
  }                                                                      \
  return baseline::fn(__VA_ARGS__)

void GramAccumulate(const float* x, int64_t tokens, int64_t n, float* g) {
  SHRINK_DENSE_DISPATCH(GramAccumulate, x, tokens, n, g);
}

bool CholeskyLower(float* a, int64_t n) { SHRINK_DENSE_DISPATCH(CholeskyLower, a, n); }

void InvertLower(float* l, int64_t n) { SHRINK_DENSE_DISPATCH(InvertLower, l, n); }

void Gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  SHRINK_DENSE_DISPATCH(Gemm, transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

const char* DenseBackendName() {
  switch (Current()) {
    case Backend::kAvx512: return "avx512";
    case Backend::kAvx2: return "avx2";
    case Backend::kBaseline: break;
  }
  return "baseline";
}

}  // namespace shrink::linalg
