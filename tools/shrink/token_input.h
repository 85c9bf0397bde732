// Token input shared by the commands that run a model: --tokens FILE.u16 or --text FILE.txt.
#ifndef SHRINK_TOOLS_SHRINK_TOKEN_INPUT_H_
#define SHRINK_TOOLS_SHRINK_TOKEN_INPUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "shrink/model/tokenizer.h"
#include "tools/shrink/args.h"

namespace shrink::cli {

// Returns `flags` followed by the flags LoadTokenInput reads: --tokens, --text, --tokenizer.
std::vector<FlagSpec> WithTokenInputFlags(std::vector<FlagSpec> flags);

// Returns the tokenizer named by --tokenizer, else tok<vocab>.bin or tokenizer.bin beside the
// model file; throws UsageError when there is none.
Tokenizer LoadTokenizer(const ParsedArgs& args, const std::string& model_path, int64_t vocab_size);

// Returns the token stream of --tokens (little-endian u16) or of --text (tokenized like
// SentencePiece: whitespace runs collapsed, dummy prefix, BOS first); exactly one must be given.
std::vector<int32_t> LoadTokenInput(const ParsedArgs& args, const std::string& model_path, int64_t vocab_size);

}  // namespace shrink::cli

#endif  // SHRINK_TOOLS_SHRINK_TOKEN_INPUT_H_
