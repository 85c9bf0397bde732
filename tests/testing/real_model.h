// The real test model and its evaluation tokens, for tests that quantize it and measure
// perplexity with llama.cpp's protocol.
#ifndef SHRINK_TESTS_TESTING_REAL_MODEL_H_
#define SHRINK_TESTS_TESTING_REAL_MODEL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "shrink/io/model.h"
#include "shrink/model/eval.h"
#include "shrink/model/llama.h"
#include "shrink/quant/quantize_model.h"
#include "shrink/registry.h"
#include "testing/test_util.h"

namespace shrink::testing {

// stories260K with its FFN padded to 192, so that every row divides by 32.
inline const std::string kRealModel = SharedPath("models/stories260K/stories260K-ffnpad192-f32.gguf");
inline const std::string kEvalTokens = SharedPath("data/tinystories/tinystories_val.tok512.u16");

// Returns the evaluation token stream (read once).
inline const std::vector<int32_t>& EvalTokens() {
  static const std::vector<int32_t> tokens = ReadTokensU16(kEvalTokens);
  return tokens;
}

// Returns the perplexity of `model` over the first `chunks` chunks of 256 evaluation tokens.
inline double RealPerplexity(const Model& model, int64_t chunks) {
  EvalOptions options;
  options.num_chunks = chunks;
  return Evaluate(LlamaModel(model), nullptr, EvalTokens(), options).perplexity;
}

// Returns the real model quantized by registry method `method` with `options`; `quantize` says
// which tensors and formats (its calibration tokens are set to the evaluation stream, from
// its default first token on, disjoint from the evaluated range).
inline Model QuantizedRealModel(const std::string& method, const Options& options, QuantizeModelOptions quantize) {
  Model model = Model::Load(kRealModel);
  const auto q = Registry::Global().CreateAs<WeightCompressor>(method, options);
  quantize.calibration.tokens = &EvalTokens();
  QuantizeModel(model, *q, quantize);
  return model;
}

}  // namespace shrink::testing

#endif  // SHRINK_TESTS_TESTING_REAL_MODEL_H_
