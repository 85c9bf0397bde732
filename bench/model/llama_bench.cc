// Measures the Llama harness on the real stories260K model: a batched 256-token forward pass
// (one evaluation chunk) and single-token decoding with a KV cache; tokens per second.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>
#include <vector>

#include "shrink/core/simd.h"
#include "shrink/core/threads.h"
#include "shrink/io/model.h"
#include "shrink/model/eval.h"
#include "shrink/model/llama.h"

namespace shrink {
namespace {

const char* const kModelPath = SHRINK_SHARED_DIR "/models/stories260K/stories260K.bin";
const char* const kTokensPath = SHRINK_SHARED_DIR "/data/tinystories/tinystories_val.tok512.u16";

// Returns the model and token stream, or null when ../shared is absent.
const LlamaModel* Stories() {
  static const std::unique_ptr<LlamaModel> model =
      std::filesystem::exists(kModelPath) ? std::make_unique<LlamaModel>(Model::Load(kModelPath)) : nullptr;
  return model.get();
}
const std::vector<int32_t>& Tokens() {
  static const std::vector<int32_t> tokens =
      std::filesystem::exists(kTokensPath) ? ReadTokensU16(kTokensPath) : std::vector<int32_t>(4096, 1);
  return tokens;
}

// Runs one chunk of 256 tokens (BOS first) with logits for the scored half, as evaluation does.
void BM_Forward(benchmark::State& state) {
  const LlamaModel* model = Stories();
  if (model == nullptr) return state.SkipWithError("../shared/models/stories260K is absent");
  std::vector<int32_t> chunk(Tokens().begin(), Tokens().begin() + 256);
  chunk[0] = 1;
  RowMatrixF logits;
  for (auto _ : state) {
    LlamaState s = model->NewState();
    model->Forward(s, chunk, 128, logits);
    benchmark::DoNotOptimize(logits.data());
  }
  state.SetItemsProcessed(state.iterations() * 256);
  state.SetLabel(CurrentSimdTarget().name);
}

// Decodes 256 tokens one at a time after BOS, each attending over the growing cache.
void BM_Decode(benchmark::State& state) {
  const LlamaModel* model = Stories();
  if (model == nullptr) return state.SkipWithError("../shared/models/stories260K is absent");
  RowMatrixF logits;
  for (auto _ : state) {
    LlamaState s = model->NewState();
    for (int i = 0; i < 256; ++i) model->Forward(s, {Tokens()[static_cast<size_t>(i)]}, 1, logits);
    benchmark::DoNotOptimize(logits.data());
  }
  state.SetItemsProcessed(state.iterations() * 256);
  state.SetLabel(CurrentSimdTarget().name);
}

BENCHMARK(BM_Forward)->Name("BM_Forward/stories260K")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Decode)->Name("BM_Decode/stories260K")->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace shrink
