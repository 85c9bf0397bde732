// SpQR on the real model: perplexity against GPTQ at the nearest bits per weight not below
// SpQR's own (stories260K with its FFN padded to 192; tokens from 51200 on calibrate).
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "shrink/model/eval.h"
#include "shrink/quant/gptq.h"
#include "shrink/quant/quantize_model.h"
#include "shrink/registry.h"
#include "testing/test_util.h"

namespace shrink {
namespace {

const std::string kModel = testing::SharedPath("models/stories260K/stories260K-ffnpad192-f32.gguf");
const std::string kTokens = testing::SharedPath("data/tinystories/tinystories_val.tok512.u16");

struct ModelResult {
  double perplexity;
  double bits_per_weight;     // over the calibrated linear layers the method itself compressed
  std::vector<Shape> shapes;  // of those layers
};

// Quantizes the model's linear layers with `method` (true-sequential calibration); the
// classifier and the embedding stay f32, so only the compared methods differ.
ModelResult QuantizedModel(const std::string& method, const Options& options) {
  static const std::vector<int32_t> tokens = ReadTokensU16(kTokens);
  Model model = Model::Load(kModel);
  const auto q = Registry::Global().CreateAs<WeightCompressor>(method, options);
  QuantizeModelOptions qo;
  qo.calibration.tokens = &tokens;
  const QuantizeModelReport report = QuantizeModel(model, *q, qo);
  ModelResult result{0.0, 0.0, {}};
  double bits = 0.0, weights = 0.0;
  for (const QuantizedTensorReport& t : report.tensors) {
    if (t.method != method) continue;
    bits += t.bits_per_weight * static_cast<double>(t.shape.num_elements());
    weights += static_cast<double>(t.shape.num_elements());
    result.shapes.push_back(t.shape);
  }
  EvalOptions eval;
  eval.num_chunks = 200;
  result.perplexity = Evaluate(LlamaModel(model), nullptr, tokens, eval).perplexity;
  result.bits_per_weight = bits / weights;
  return result;
}

// Returns the bits per weight `q` stores the layers of `shapes` in (from EstimateBytes).
double BitsPerWeight(const WeightCompressor& q, const std::vector<Shape>& shapes) {
  double bytes = 0.0, weights = 0.0;
  for (const Shape& shape : shapes) {
    bytes += static_cast<double>(q.EstimateBytes(shape));
    weights += static_cast<double>(shape.num_elements());
  }
  return 8.0 * bytes / weights;
}

// On this model's 64- and 192-wide rows a row's outlier reserve (its count and at least one
// slot) costs 0.4-0.75 bits per weight, and outliers did not lower perplexity here (measured:
// 4-bit groups of 32 give 4.237 with outliers at 4.98 bpw, 4.229 without at 4.31 bpw), so the
// model comparison uses SpQR's quantized statistics and small groups without outliers; the
// outliers are tested on synthetic layers above.
TEST(SpqrTest, RealModelPerplexityBeatsGptqAtTheNearestBitsNotBelow) {
  SHRINK_REQUIRE_FILE(kModel);
  SHRINK_REQUIRE_FILE(kTokens);
  const ModelResult spqr = QuantizedModel("spqr", Options{{"bits", "4"}, {"group", "32"}, {"max_outliers", "0"}});
  // GPTQ int4 asymmetric (f16 scales and zeros) at the group whose size is nearest not below.
  std::string nearest_group;
  double nearest_bits = 1e9;
  for (const char* group : {"16", "32", "64"}) {
    const double bits = BitsPerWeight(GptqQuantizer(Options{{"bits", "4"}, {"group", group}}), spqr.shapes);
    if (bits >= spqr.bits_per_weight && bits < nearest_bits) {
      nearest_bits = bits;
      nearest_group = group;
    }
  }
  ASSERT_FALSE(nearest_group.empty());
  const ModelResult gptq = QuantizedModel("gptq", Options{{"bits", "4"}, {"group", nearest_group}});
  EXPECT_DOUBLE_EQ(gptq.bits_per_weight, nearest_bits);
  std::printf("spqr %.3f bpw ppl %.4f; gptq group %s %.3f bpw ppl %.4f\n", spqr.bits_per_weight, spqr.perplexity,
              nearest_group.c_str(), gptq.bits_per_weight, gptq.perplexity);
  EXPECT_LT(spqr.perplexity, gptq.perplexity - 0.05);
  EXPECT_LT(spqr.perplexity, 3.9173 + 0.35);
}

}  // namespace
}  // namespace shrink
