// Measures the dtype conversion kernels on a 4096x4096 tensor against memcpy of the same f32 data.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <random>

#include "shrink/core/convert.h"
#include "shrink/core/dtype.h"
#include "shrink/core/shape.h"
#include "shrink/core/simd.h"
#include "shrink/core/tensor.h"

namespace shrink {
namespace {

constexpr int64_t kRows = 4096;
constexpr int64_t kCols = 4096;

// Returns a kRows x kCols tensor of `dtype` holding N(0, 1) weights (encoded for small floats).
Tensor MakeWeights(DType dtype) {
  Tensor f32(DType::kF32, Shape{kRows, kCols});
  std::mt19937 rng(42);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  float* values = f32.data<float>();
  const auto count = static_cast<size_t>(f32.num_elements());
  for (size_t i = 0; i < count; ++i) values[i] = dist(rng);
  if (dtype == DType::kF32) return f32;
  Tensor out(dtype, f32.shape());
  ConvertFromF32(dtype, values, out.bytes(), count);
  return out;
}

// Copies a kRows x kCols f32 tensor; bytes processed count the read and the write.
void BM_Memcpy(benchmark::State& state) {
  const Tensor in = MakeWeights(DType::kF32);
  Tensor out(DType::kF32, in.shape());
  for (auto _ : state) {
    std::memcpy(out.bytes(), in.bytes(), in.num_bytes());
    benchmark::DoNotOptimize(out.bytes());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(2 * in.num_bytes()));
  state.SetLabel(CurrentSimdTarget().name);
}
BENCHMARK(BM_Memcpy)->Unit(benchmark::kMillisecond);

// Converts a kRows x kCols tensor from `from` to `to` (one side is f32); bytes processed are
// input plus output bytes.
void BM_Convert(benchmark::State& state, DType from, DType to) {
  const Tensor in = MakeWeights(from);
  Tensor out(to, in.shape());
  const auto count = static_cast<size_t>(in.num_elements());
  for (auto _ : state) {
    if (from == DType::kF32) {
      ConvertFromF32(to, reinterpret_cast<const float*>(in.bytes()), out.bytes(), count);
    } else {
      ConvertToF32(from, in.bytes(), reinterpret_cast<float*>(out.bytes()), count);
    }
    benchmark::DoNotOptimize(out.bytes());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(in.num_bytes() + out.num_bytes()));
  state.SetLabel(CurrentSimdTarget().name);
}
BENCHMARK_CAPTURE(BM_Convert, f16_f32, DType::kF16, DType::kF32)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Convert, f32_f16, DType::kF32, DType::kF16)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Convert, bf16_f32, DType::kBF16, DType::kF32)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Convert, f32_bf16, DType::kF32, DType::kBF16)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Convert, f8e4m3_f32, DType::kF8E4M3, DType::kF32)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Convert, f32_f8e4m3, DType::kF32, DType::kF8E4M3)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Convert, f8e5m2_f32, DType::kF8E5M2, DType::kF32)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Convert, f32_f8e5m2, DType::kF32, DType::kF8E5M2)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace shrink
