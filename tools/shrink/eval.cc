// `shrink eval`: perplexity (llama.cpp's protocol), KL divergence and top-1 agreement against a
// reference model, on a token file or text.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "shrink/io/model.h"
#include "shrink/model/eval.h"
#include "tools/shrink/commands.h"
#include "tools/shrink/progress.h"
#include "tools/shrink/token_input.h"

namespace shrink::cli {
namespace {

int RunEval(const ParsedArgs& args) {
  const std::string model_path = args.Require("model");
  EvalOptions options;
  options.context = args.GetInt("ctx", 256, 2, 1 << 20);
  options.num_chunks = args.GetInt("chunks", 200, 0, int64_t{1} << 40);
  if (options.num_chunks == 0) options.num_chunks = -1;  // every whole chunk
  options.first_chunk = args.GetInt("first-chunk", 0, 0, int64_t{1} << 40);
  LlamaOptions model_options;
  if (args.Has("int8-activations")) model_options.compressed_product = CompressedProduct::kMatVecInt8;
  const LlamaModel model(Model::Load(model_path), model_options);
  const std::vector<int32_t> tokens = LoadTokenInput(args, model_path, model.config().vocab_size);
  std::unique_ptr<LlamaModel> reference;
  if (args.Has("ref")) reference = std::make_unique<LlamaModel>(Model::Load(args.Get("ref")));
  EvalResult r;
  {
    const int64_t whole_chunks = static_cast<int64_t>(tokens.size()) / options.context - options.first_chunk;
    Progress progress("evaluating", options.num_chunks < 0 ? whole_chunks : std::min(options.num_chunks, whole_chunks));
    options.progress = [&progress](int64_t done, int64_t /*total*/) { progress.Update(done); };
    r = Evaluate(model, reference.get(), tokens, options);
  }
  if (args.Has("json")) {
    nlohmann::json j = {{"model", model_path},
                        {"ppl", r.perplexity},
                        {"nll", r.mean_nll},
                        {"kld", reference ? nlohmann::json(r.kl_divergence) : nlohmann::json(nullptr)},
                        {"top1", reference ? nlohmann::json(r.top1_agreement) : nlohmann::json(nullptr)},
                        {"tokens", r.tokens_scored},
                        {"chunks", r.chunks},
                        {"ctx", options.context},
                        {"int8_activations", args.Has("int8-activations")},
                        {"seconds", r.seconds},
                        {"tokens_per_second", r.tokens_per_second}};
    fmt::print("{}\n", j.dump(2));
    return 0;
  }
  fmt::print("model: {}\n", model_path);
  fmt::print("perplexity: {:.4f} over {} scored tokens ({} chunks of {})\n", r.perplexity, r.tokens_scored, r.chunks,
             options.context);
  if (reference) {
    fmt::print("vs {}: mean KL divergence {:.6f}, top-1 agreement {:.4f}\n", args.Get("ref"), r.kl_divergence,
               r.top1_agreement);
  }
  fmt::print("speed: {:.0f} tokens/s ({:.2f} s)\n", r.tokens_per_second, r.seconds);
  return 0;
}

}  // namespace

Command EvalCommand() {
  std::vector<FlagSpec> flags = {
      {"model", "M", "model to evaluate (.bin, .safetensors, .gguf; compressed tensors allowed)"},
      {"ref", "R", "reference model for KL divergence and top-1 agreement"},
      {"ctx", "N", "tokens per chunk (default 256)"},
      {"chunks", "N", "evaluate at most N chunks (default 200, llama.cpp's reference protocol; 0: all)"},
      {"first-chunk", "K", "skip the first K chunks (default 0)"},
      {"int8-activations", "",
       "multiply compressed weights with their int8 MatVec: inputs rounded to int8 per 32 values, integer dot "
       "products (llama.cpp's arithmetic for the ggml block types)"}};
  return {{"eval", "",
           "Evaluate a Llama-family model: perplexity with llama.cpp's protocol (chunks of --ctx tokens, BOS first, "
           "second half scored), and with --ref the mean KL divergence from the reference and top-1 agreement.",
           WithTokenInputFlags(std::move(flags)), 0, 0},
          RunEval};
}

}  // namespace shrink::cli
