// Perplexity, KL divergence and top-1 agreement of a model on a token stream, with
// llama.cpp's perplexity protocol.
#ifndef SHRINK_MODEL_EVAL_H_
#define SHRINK_MODEL_EVAL_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "shrink/model/llama.h"

namespace shrink {

// Configures Evaluate. The defaults are llama.cpp's perplexity protocol: non-overlapping
// chunks of `context` tokens, the first token of each chunk replaced by BOS, only the second
// half of each chunk scored (logits at positions [context/2, context-1) predicting the next
// token).
struct EvalOptions {
  int64_t context = 256;
  int64_t first_chunk = 0;   // skip this many chunks from the start of the stream
  int64_t num_chunks = -1;   // -1: every whole chunk after first_chunk
  // Called after each chunk with (chunks done, chunks total); may be empty.
  std::function<void(int64_t, int64_t)> progress;
};

// Reports one evaluation.
struct EvalResult {
  double perplexity = 0;       // exp(mean negative log-likelihood)
  double mean_nll = 0;
  double kl_divergence = -1;   // mean KL(reference || model) per scored token; -1 without a reference
  double top1_agreement = -1;  // fraction of scored tokens whose argmax matches the reference's
  int64_t tokens_scored = 0;
  int64_t chunks = 0;
  double seconds = 0;
  double tokens_per_second = 0;  // all tokens processed (both halves of every chunk) per second
};

// Evaluates `model` on `tokens` (and compares with `reference` when not null); chunks run in
// parallel on NumThreads() threads. Throws kInvalidArgument when the stream holds no whole
// chunk in the asked range, or a context below 2.
EvalResult Evaluate(const LlamaModel& model, const LlamaModel* reference, const std::vector<int32_t>& tokens,
                    const EvalOptions& options = {});

// Reads a token file of little-endian uint16 ids (the .u16 format of the evaluation data).
std::vector<int32_t> ReadTokensU16(const std::string& path);

}  // namespace shrink

#endif  // SHRINK_MODEL_EVAL_H_
