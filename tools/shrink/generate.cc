// `shrink generate`: continues a prompt with the model (greedy at temperature 0), for a quick look.
#include <fmt/format.h>

#include <cmath>
#include <random>

#include "shrink/io/model.h"
#include "shrink/model/llama.h"
#include "tools/shrink/commands.h"
#include "tools/shrink/token_input.h"

namespace shrink::cli {
namespace {

int RunGenerate(const ParsedArgs& args) {
  const std::string model_path = args.Require("model");
  const LlamaModel model(Model::Load(model_path));
  const Tokenizer tokenizer = LoadTokenizer(args, model_path, model.config().vocab_size);
  const int64_t steps = args.GetInt("n", 64, 1, 1 << 20);
  const double temperature = std::stod(args.Get("temperature", "0"));
  if (!(temperature >= 0)) throw UsageError("--temperature must be >= 0");
  std::mt19937 rng(static_cast<uint32_t>(args.GetInt("seed", 42, 0, 1LL << 31)));

  std::vector<int32_t> prompt = tokenizer.Encode(args.Get("prompt"), /*bos=*/true, /*eos=*/false);
  LlamaState state = model.NewState();
  RowMatrixF logits;
  model.Forward(state, prompt, 1, logits);
  std::string text = tokenizer.DecodeAll(prompt);
  int32_t previous = prompt.back();
  for (int64_t i = 0; i < steps && state.position < model.config().seq_len; ++i) {
    Eigen::Index next = 0;
    if (temperature == 0) {
      logits.row(0).maxCoeff(&next);
    } else {
      const Eigen::ArrayXf z = (logits.row(0).array() - logits.row(0).maxCoeff()) / static_cast<float>(temperature);
      const Eigen::ArrayXf p = z.exp();
      std::discrete_distribution<int> pick(p.data(), p.data() + p.size());
      next = pick(rng);
    }
    const auto token = static_cast<int32_t>(next);
    if (token == Tokenizer::kBos || token == Tokenizer::kEos) break;
    text += tokenizer.Decode(previous, token);
    previous = token;
    model.Forward(state, {token}, 1, logits);
  }
  fmt::print("{}\n", text);
  return 0;
}

}  // namespace

Command GenerateCommand() {
  return {{"generate", "",
           "Continue a prompt (greedy with --temperature 0, the default) and print the text.",
           {{"model", "M", "model to run"},
            {"prompt", "TEXT", "prompt (default: empty, i.e. start from BOS)"},
            {"n", "N", "tokens to generate (default 64)"},
            {"temperature", "T", "sampling temperature; 0 = greedy (default 0)"},
            {"seed", "S", "random seed for sampling (default 42)"},
            {"tokenizer", "FILE.bin", "llama2.c tokenizer (default: tok<vocab>.bin or tokenizer.bin beside the model)"}},
           0, 0},
          RunGenerate};
}

}  // namespace shrink::cli
