// Loading token streams and tokenizers for the shrink tool.
#include "tools/shrink/token_input.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "shrink/model/eval.h"

namespace shrink::cli {

std::vector<FlagSpec> WithTokenInputFlags(std::vector<FlagSpec> flags) {
  flags.push_back({"tokens", "FILE.u16", "token stream, little-endian uint16"});
  flags.push_back({"text", "FILE.txt", "text, tokenized with the model's tokenizer"});
  flags.push_back(
      {"tokenizer", "FILE.bin", "llama2.c tokenizer (default: tok<vocab>.bin or tokenizer.bin beside the model)"});
  return flags;
}

Tokenizer LoadTokenizer(const ParsedArgs& args, const std::string& model_path, int64_t vocab_size) {
  TokenizerOptions options;
  options.remove_extra_whitespaces = true;  // SentencePiece's default normalisation
  if (args.Has("tokenizer")) return Tokenizer::Load(args.Get("tokenizer"), vocab_size, options);
  const std::filesystem::path dir = std::filesystem::path(model_path).parent_path();
  for (const std::string& name : {fmt::format("tok{}.bin", vocab_size), std::string("tokenizer.bin")}) {
    if (std::filesystem::exists(dir / name)) return Tokenizer::Load((dir / name).string(), vocab_size, options);
  }
  throw UsageError(fmt::format("no tokenizer beside {}; give --tokenizer FILE.bin", model_path));
}

std::vector<int32_t> LoadTokenInput(const ParsedArgs& args, const std::string& model_path, int64_t vocab_size) {
  if (args.Has("tokens") == args.Has("text")) throw UsageError("give exactly one of --tokens FILE.u16 and --text FILE.txt");
  if (args.Has("tokens")) return ReadTokensU16(args.Get("tokens"));
  std::ifstream in(args.Get("text"), std::ios::binary);
  if (!in) throw Error(ErrorCode::kNotFound, fmt::format("cannot read text file '{}'", args.Get("text")));
  std::ostringstream text;
  text << in.rdbuf();
  return LoadTokenizer(args, model_path, vocab_size).Encode(text.str(), /*bos=*/true, /*eos=*/false);
}

}  // namespace shrink::cli
