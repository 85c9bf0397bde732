// Measures GPTQ on a 4096x4096 layer (Hessian from 2048 tokens, 4-bit, group 128, 2 threads),
// with and without computing the Gram matrix, and the Gram matrix XᵀX of 2048 x 4096 alone.
#include <benchmark/benchmark.h>

#include <random>

#include "shrink/core/tensor.h"
#include "shrink/core/threads.h"
#include "shrink/model/calibration.h"
#include "shrink/quant/gptq.h"
#include "src/linalg/dense.h"

namespace shrink {
namespace {

constexpr int64_t kRows = 4096, kCols = 4096, kTokens = 2048;

Tensor Gaussian(int64_t rows, int64_t cols, uint32_t seed, float stddev) {
  Tensor t(DType::kF32, Shape{rows, cols});
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, stddev);
  for (int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

const Tensor& Inputs() {
  static const Tensor x = Gaussian(kTokens, kCols, 2, 1.0f);
  return x;
}

CalibrationStats StatsOfInputs() {
  CalibrationStats stats(kCols);
  AccumulateInputs(stats, Inputs().View<float>());
  return stats;
}

void BM_Gram(benchmark::State& state) {
  SetNumThreads(2);
  for (auto _ : state) benchmark::DoNotOptimize(StatsOfInputs());
  state.SetLabel(linalg::DenseBackendName());
  SetNumThreads(0);
}
BENCHMARK(BM_Gram)->Name("BM_Gram/4096x2048")->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Gptq(benchmark::State& state) {
  const bool with_gram = state.range(0) != 0;
  SetNumThreads(2);
  const Tensor w = Gaussian(kRows, kCols, 1, 0.02f);
  const GptqQuantizer gptq(Options{{"bits", "4"}, {"group", "128"}});
  const CalibrationStats precomputed = StatsOfInputs();
  for (auto _ : state) {
    if (with_gram) {
      const CalibrationStats stats = StatsOfInputs();
      benchmark::DoNotOptimize(gptq.Compress(w.View<float>(), &stats));
    } else {
      benchmark::DoNotOptimize(gptq.Compress(w.View<float>(), &precomputed));
    }
  }
  state.SetLabel(linalg::DenseBackendName());
  SetNumThreads(0);
}
BENCHMARK(BM_Gptq)->Name("BM_Gptq/4096x4096")->ArgName("with_gram")->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace shrink
