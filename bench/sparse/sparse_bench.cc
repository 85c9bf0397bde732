// Measures MatVec of the sparse formats (csr and bitmask at 50-95% sparsity, 2:4 with f32, f16,
// int8 and q8_0 values) and of a dense f16 baseline on 4096x4096, single thread. Bytes are
// counted as 4 per weight of the dense matrix, the unit of BM_MatVec/f32 (format_bench.cc), so
// bytes_per_second compare directly with it in the same run.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_matrix.h"
#include "shrink/core/convert.h"
#include "shrink/core/threads.h"
#include "shrink/formats/sparse_tensor.h"
#include "src/kernels/core/dot.h"

namespace shrink {
namespace {

using bench::BenchWeights;
using bench::FinishMatrixBench;
using bench::kCols;
using bench::kRows;

// Returns a keep mask pruning each weight with probability `percent` / 100 (unstructured, as
// magnitude pruning of Gaussian weights leaves it), or, for percent < 0, keeping 2 of every 4.
std::vector<uint8_t> KeepMask(int percent) {
  std::mt19937 rng(2);
  std::vector<uint8_t> mask(static_cast<size_t>(kRows * kCols), 0);
  if (percent >= 0) {
    std::uniform_int_distribution<int> dist(0, 99);
    for (uint8_t& keep : mask) keep = dist(rng) >= percent ? 1 : 0;
    return mask;
  }
  std::uniform_int_distribution<int> pair(0, 5);
  static constexpr int kPairs[6][2] = {{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}};
  for (size_t g = 0; g < mask.size() / 4; ++g) {
    const int p = pair(rng);
    mask[4 * g + static_cast<size_t>(kPairs[p][0])] = 1;
    mask[4 * g + static_cast<size_t>(kPairs[p][1])] = 1;
  }
  return mask;
}

// Times SparseMatVec on a view validated once, as an inference engine runs it.
void SparseMatVecBench(benchmark::State& state, SparseSpec spec, int percent) {
  SetNumThreads(1);
  const std::vector<uint8_t> mask = KeepMask(percent);
  const CompressedTensor ct = SparsifyTensor(BenchWeights().View<float>(), mask.data(), spec, "bench");
  const SparseView view = ValidateSparse(ct);
  std::vector<float> x(kCols, 0.5f), y(kRows);
  for (auto _ : state) {
    SparseMatVec(view, x.data(), y.data());
    benchmark::DoNotOptimize(y.data());
  }
  FinishMatrixBench(state);
  // In the label rather than a counter: csv output needs the same counters in every benchmark.
  char bits[32];
  std::snprintf(bits, sizeof(bits), " %.2f bits/weight", ct.bits_per_weight());
  state.SetLabel(std::string(CurrentSimdTarget().name) + bits);
}

// The dense f16 baseline: each row is widened to f32 with the library's conversion kernel into
// an L1-resident buffer, then dotted with x.
void BM_MatVec_F16(benchmark::State& state) {
  SetNumThreads(1);
  std::vector<uint16_t> w(static_cast<size_t>(kRows * kCols));
  ConvertF32ToF16(BenchWeights().data<float>(), w.data(), w.size());
  std::vector<float> x(kCols, 0.5f), y(kRows), row(kCols);
  for (auto _ : state) {
    for (int64_t i = 0; i < kRows; ++i) {
      ConvertF16ToF32(w.data() + i * kCols, row.data(), kCols);
      y[static_cast<size_t>(i)] = kernels::DotF32(row.data(), x.data(), kCols);
    }
    benchmark::DoNotOptimize(y.data());
  }
  FinishMatrixBench(state);
}
BENCHMARK(BM_MatVec_F16)->Name("BM_MatVec/f16")->Unit(benchmark::kMillisecond);

const bool kRegistered = [] {
  for (const std::string layout : {"csr", "bitmask"}) {
    for (const int percent : {50, 70, 80, 90, 95}) {
      SparseSpec spec;
      spec.layout = layout;
      benchmark::RegisterBenchmark(("BM_MatVec/" + layout + "/" + std::to_string(percent)).c_str(), SparseMatVecBench,
                                   spec, percent)
          ->Unit(benchmark::kMillisecond);
    }
  }
  for (const std::string values : {"f32", "f16", "int8", "q8_0"}) {
    SparseSpec spec;
    spec.layout = "nm";
    spec.value_format = values;
    benchmark::RegisterBenchmark(("BM_MatVec/2:4/" + values).c_str(), SparseMatVecBench, spec, -1)
        ->Unit(benchmark::kMillisecond);
  }
  return true;
}();

}  // namespace
}  // namespace shrink
