// `shrink capture-kv`: saves the post-RoPE q, k, v of every layer for a real sequence.
#include <fmt/format.h>

#include "shrink/io/model.h"
#include "shrink/model/kv_capture.h"
#include "tools/shrink/commands.h"
#include "tools/shrink/token_input.h"

namespace shrink::cli {
namespace {

int RunCaptureKv(const ParsedArgs& args) {
  const std::string model_path = args.Require("model");
  const std::string out = args.Require("out");
  if (ModelFileFormatFromExtension(out) != ModelFileFormat::kSafetensors) throw UsageError("--out must be a .safetensors file");
  const LlamaModel model(Model::Load(model_path));
  const std::vector<int32_t> tokens = LoadTokenInput(args, model_path, model.config().vocab_size);
  const int64_t first = args.GetInt("first-token", 0, 0, int64_t{1} << 40);
  const int64_t count = args.GetInt("count", 256, 1, 1 << 20);
  SaveCapturedKv(CaptureKv(model, tokens, first, count), out);
  fmt::print("captured q, k, v of {} layers over tokens [{}, {}); wrote {}\n", model.config().n_layers, first,
             first + count, out);
  return 0;
}

}  // namespace

Command CaptureKvCommand() {
  std::vector<FlagSpec> flags = {{"model", "M", "model to run"},
                                 {"out", "OUT", "file to write (.safetensors)"},
                                 {"first-token", "K", "first token of the sequence (default 0)"},
                                 {"count", "N", "tokens in the sequence (default 256)"}};
  return {{"capture-kv", "",
           "Run a model over one real sequence and save every layer's post-RoPE q [heads, tokens, head_dim] and k, v "
           "[kv_heads, tokens, head_dim] as blk.<l>.q/k/v, for testing KV-cache compressors on real caches.",
           WithTokenInputFlags(std::move(flags)), 0, 0},
          RunCaptureKv};
}

}  // namespace shrink::cli
