// Measures quantize, dequantize and fused MatVec of every quantized weight format on 4096x4096,
// single thread, against a dense SIMD f32 MatVec; bytes are counted as 4 per weight (the f32
// data the result stands for), the unit of llama.cpp's test-quantize-perf.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "shrink/core/matvec.h"
#include "shrink/core/simd.h"
#include "shrink/core/tensor.h"
#include "shrink/core/threads.h"
#include "shrink/formats/quant_tensor.h"

namespace shrink {
namespace {

constexpr int64_t kRows = 4096;
constexpr int64_t kCols = 4096;

const Tensor& Weights() {
  static const Tensor w = [] {
    Tensor t(DType::kF32, Shape{kRows, kCols});
    std::mt19937 rng(1);
    std::normal_distribution<float> dist(0.0f, 0.02f);
    for (int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] = dist(rng);
    return t;
  }();
  return w;
}

// Reports 4 bytes per weight per iteration and the SIMD target, single-threaded.
void Finish(benchmark::State& state) {
  state.SetBytesProcessed(state.iterations() * kRows * kCols * static_cast<int64_t>(sizeof(float)));
  state.SetLabel(CurrentSimdTarget().name);
  SetNumThreads(0);
}

void Quantize(benchmark::State& state, const QuantFormat* format) {
  SetNumThreads(1);
  for (auto _ : state) benchmark::DoNotOptimize(QuantizeTensor(*format, Weights().View<float>(), nullptr, "bench"));
  Finish(state);
}

void Dequantize(benchmark::State& state, const QuantFormat* format) {
  SetNumThreads(1);
  const CompressedTensor ct = QuantizeTensor(*format, Weights().View<float>(), nullptr, "bench");
  Tensor out(DType::kF32, Weights().shape());
  for (auto _ : state) {
    DequantizeTensor(ct, out.View<float>());
    benchmark::ClobberMemory();
  }
  Finish(state);
}

void MatVec(benchmark::State& state, const QuantFormat* format) {
  SetNumThreads(1);
  const CompressedTensor ct = QuantizeTensor(*format, Weights().View<float>(), nullptr, "bench");
  std::vector<float> x(kCols, 0.5f), y(kRows);
  for (auto _ : state) {
    QuantMatVec(ct, x.data(), y.data());
    benchmark::DoNotOptimize(y.data());
  }
  Finish(state);
}

void BM_MatVec_F32(benchmark::State& state) {
  SetNumThreads(1);
  std::vector<float> x(kCols, 0.5f), y(kRows);
  for (auto _ : state) {
    MatVecF32(Weights().View<float>(), x.data(), y.data());
    benchmark::DoNotOptimize(y.data());
  }
  Finish(state);
}
BENCHMARK(BM_MatVec_F32)->Name("BM_MatVec/f32")->Unit(benchmark::kMillisecond);

// Registers the three benchmarks of every format with its default settings (int: 4-bit, group 128).
const bool kRegistered = [] {
  for (const std::string& name : QuantFormatNames()) {
    // Formats live for the whole run, as the registered benchmarks do.
    const QuantFormat* format = MakeQuantFormat(name, {}).release();
    const std::string label = name == "int" ? "int4_g128" : name;
    benchmark::RegisterBenchmark(("BM_Quantize/" + label).c_str(), Quantize, format)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("BM_Dequantize/" + label).c_str(), Dequantize, format)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("BM_MatVec/" + label).c_str(), MatVec, format)->Unit(benchmark::kMillisecond);
  }
  return true;
}();

}  // namespace
}  // namespace shrink
