// Measures quantize, dequantize and fused MatVec (f32 input; int8 input too for the ggml block
// types) of every quantized weight format on 4096x4096, single thread, against a dense SIMD f32
// MatVec; bytes are counted as 4 per weight (the f32 data the result stands for), the unit of
// llama.cpp's test-quantize-perf.
#include <benchmark/benchmark.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "bench/bench_matrix.h"
#include "shrink/core/matvec.h"
#include "shrink/core/threads.h"
#include "shrink/formats/quant_tensor.h"

namespace shrink {
namespace {

using bench::BenchWeights;
using bench::FinishMatrixBench;
using bench::kCols;
using bench::kRows;

void Quantize(benchmark::State& state, const QuantFormat* format) {
  SetNumThreads(1);
  const Tensor& w = BenchWeights();  // built before the timing starts
  for (auto _ : state) benchmark::DoNotOptimize(QuantizeTensor(*format, w.View<float>(), nullptr, "bench"));
  FinishMatrixBench(state);
}

void Dequantize(benchmark::State& state, const QuantFormat* format) {
  SetNumThreads(1);
  const CompressedTensor ct = QuantizeTensor(*format, BenchWeights().View<float>(), nullptr, "bench");
  Tensor out(DType::kF32, BenchWeights().shape());
  for (auto _ : state) {
    DequantizeTensor(ct, out.View<float>());
    benchmark::ClobberMemory();
  }
  FinishMatrixBench(state);
}

// Measures `product` (QuantMatVec or QuantMatVecInt8) on a random input.
void MatVec(benchmark::State& state, const QuantFormat* format,
            void (*product)(const CompressedTensor&, const float*, float*)) {
  SetNumThreads(1);
  const CompressedTensor ct = QuantizeTensor(*format, BenchWeights().View<float>(), nullptr, "bench");
  std::vector<float> x(kCols), y(kRows);
  std::mt19937 rng(2);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (float& v : x) v = dist(rng);
  for (auto _ : state) {
    product(ct, x.data(), y.data());
    benchmark::DoNotOptimize(y.data());
  }
  FinishMatrixBench(state);
}

void BM_MatVec_F32(benchmark::State& state) {
  SetNumThreads(1);
  const Tensor& w = BenchWeights();
  std::vector<float> x(kCols, 0.5f), y(kRows);
  for (auto _ : state) {
    MatVecF32(w.View<float>(), x.data(), y.data());
    benchmark::DoNotOptimize(y.data());
  }
  FinishMatrixBench(state);
}
BENCHMARK(BM_MatVec_F32)->Name("BM_MatVec/f32")->Unit(benchmark::kMillisecond);

// The formats whose MatVecInt8 has integer dot kernels (the ggml block types).
const std::set<std::string> kInt8Kernels = {"q4_0",   "q4_1",   "q5_0", "q5_1", "q8_0", "iq4_nl",
                                            "iq4_xs", "q2_k",   "q3_k", "q4_k", "q5_k", "q6_k"};

// Registers the benchmarks of every format with its default settings (int: 4-bit, group 128).
const bool kRegistered = [] {
  for (const std::string& name : QuantFormatNames()) {
    // Formats live for the whole run, as the registered benchmarks do.
    const QuantFormat* format = MakeQuantFormat(name, {}).release();
    const std::string label = name == "int" ? "int4_g128" : name;
    benchmark::RegisterBenchmark(("BM_Quantize/" + label).c_str(), Quantize, format)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("BM_Dequantize/" + label).c_str(), Dequantize, format)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("BM_MatVec/" + label).c_str(), MatVec, format, &QuantMatVec)
        ->Unit(benchmark::kMillisecond);
    if (kInt8Kernels.count(name)) {
      benchmark::RegisterBenchmark(("BM_MatVecInt8/" + label).c_str(), MatVec, format, &QuantMatVecInt8)
          ->Unit(benchmark::kMillisecond);
    }
  }
  return true;
}();

}  // namespace
}  // namespace shrink
