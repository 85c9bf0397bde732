// The 4096x4096 Gaussian weight matrix the single-thread kernel benchmarks share, and their
// reporting: 4 bytes per weight (the f32 data a result stands for) and the SIMD target.
#ifndef SHRINK_BENCH_BENCH_MATRIX_H_
#define SHRINK_BENCH_BENCH_MATRIX_H_

#include <benchmark/benchmark.h>

#include <random>

#include "shrink/core/simd.h"
#include "shrink/core/tensor.h"
#include "shrink/core/threads.h"

namespace shrink::bench {

constexpr int64_t kRows = 4096;
constexpr int64_t kCols = 4096;

// Returns the weights: N(0, 0.02^2), seed 1, built once.
inline const Tensor& BenchWeights() {
  static const Tensor w = [] {
    Tensor t(DType::kF32, Shape{kRows, kCols});
    std::mt19937 rng(1);
    std::normal_distribution<float> dist(0.0f, 0.02f);
    for (int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] = dist(rng);
    return t;
  }();
  return w;
}

// Reports 4 bytes per weight per iteration and the SIMD target, and restores the default thread
// count (benchmarks run single-threaded with SetNumThreads(1)).
inline void FinishMatrixBench(benchmark::State& state) {
  state.SetBytesProcessed(state.iterations() * kRows * kCols * static_cast<int64_t>(sizeof(float)));
  state.SetLabel(CurrentSimdTarget().name);
  SetNumThreads(0);
}

}  // namespace shrink::bench

#endif  // SHRINK_BENCH_BENCH_MATRIX_H_
