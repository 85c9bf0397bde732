// Measures rtn quantize, dequantize and fused MatVec on 4096x4096, single thread, against a
// dense SIMD f32 MatVec; bytes are counted as 4 per weight (the f32 data the result stands for).
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "shrink/core/matvec.h"
#include "shrink/core/simd.h"
#include "shrink/core/tensor.h"
#include "shrink/core/threads.h"
#include "shrink/quant/rtn.h"

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

RtnQuantizer MakeRtn(int bits) { return RtnQuantizer(Options{{"bits", std::to_string(bits)}, {"group", "128"}}); }

void BM_Quantize_Rtn(benchmark::State& state) {
  SetNumThreads(1);
  const RtnQuantizer rtn = MakeRtn(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(rtn.Compress(Weights().View<float>(), nullptr));
  Finish(state);
}

void BM_Dequantize_Rtn(benchmark::State& state) {
  SetNumThreads(1);
  const RtnQuantizer rtn = MakeRtn(static_cast<int>(state.range(0)));
  const CompressedTensor ct = rtn.Compress(Weights().View<float>(), nullptr);
  Tensor out(DType::kF32, Weights().shape());
  for (auto _ : state) {
    rtn.Decompress(ct, out.View<float>());
    benchmark::ClobberMemory();
  }
  Finish(state);
}

void BM_MatVec_Rtn(benchmark::State& state) {
  SetNumThreads(1);
  const RtnQuantizer rtn = MakeRtn(static_cast<int>(state.range(0)));
  const CompressedTensor ct = rtn.Compress(Weights().View<float>(), nullptr);
  std::vector<float> x(kCols, 0.5f), y(kRows);
  for (auto _ : state) {
    rtn.MatVec(ct, x.data(), y.data());
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

BENCHMARK(BM_Quantize_Rtn)->Name("BM_Quantize/rtn")->ArgName("bits")->Arg(4)->Arg(8)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Dequantize_Rtn)->Name("BM_Dequantize/rtn")->ArgName("bits")->Arg(4)->Arg(8)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MatVec_Rtn)->Name("BM_MatVec/rtn")->ArgName("bits")->Arg(4)->Arg(8)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MatVec_F32)->Name("BM_MatVec/f32")->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace shrink
