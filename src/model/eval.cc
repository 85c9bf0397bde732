// Evaluate: chunked perplexity with KL divergence and top-1 agreement, chunks in parallel.
#include "shrink/model/eval.h"

#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstring>

#include "shrink/io/mapped_file.h"

namespace shrink {
namespace {

constexpr int32_t kBosToken = 1;

// Accumulates the scores of one chunk (or of all).
struct Totals {
  double nll = 0, kld = 0;
  int64_t top1 = 0, count = 0;
};

// Returns log softmax of `row` (double precision).
Eigen::VectorXd LogSoftmax(const Eigen::Ref<const Eigen::RowVectorXf>& row) {
  const Eigen::VectorXd z = row.transpose().cast<double>();
  const double max = z.maxCoeff();
  const double log_sum = std::log((z.array() - max).exp().sum()) + max;
  return z.array() - log_sum;
}

}  // namespace

std::vector<int32_t> ReadTokensU16(const std::string& path) {
  const auto file = MappedFile::Open(path);
  if (file->size() % 2 != 0) Fail(ErrorCode::kCorruptData, path, ": ", file->size(), " bytes is not a whole number of u16 tokens");
  std::vector<int32_t> tokens(file->size() / 2);
  for (size_t i = 0; i < tokens.size(); ++i) {
    uint16_t t;
    std::memcpy(&t, file->data() + 2 * i, 2);
    tokens[i] = t;
  }
  return tokens;
}

EvalResult Evaluate(const LlamaModel& model, const LlamaModel* reference, const std::vector<int32_t>& tokens,
                    const EvalOptions& options) {
  const int64_t ctx = options.context;
  if (ctx < 2) Fail(ErrorCode::kInvalidArgument, "evaluation context ", ctx, " is below 2 tokens");
  const int64_t available = static_cast<int64_t>(tokens.size()) / ctx - options.first_chunk;
  const int64_t chunks = options.num_chunks < 0 ? available : std::min(options.num_chunks, available);
  if (options.first_chunk < 0 || chunks <= 0) {
    Fail(ErrorCode::kInvalidArgument, "the token stream (", tokens.size(), " tokens) holds no whole chunk of ", ctx,
         " tokens from chunk ", options.first_chunk);
  }
  const int64_t vocab = model.config().vocab_size;
  // Checked before the parallel loop: an exception must not leave an OpenMP region.
  RequireTokenRange(tokens, options.first_chunk * ctx, chunks * ctx, vocab, "evaluation");
  if (reference && reference->config().vocab_size != vocab) {
    Fail(ErrorCode::kInvalidArgument, "the reference's vocabulary (", reference->config().vocab_size,
         ") differs from the model's (", vocab, ")");
  }
  const int64_t first = ctx / 2;  // scored logits: [first, ctx - 1)
  const auto start_time = std::chrono::steady_clock::now();
  std::vector<Totals> per_chunk(static_cast<size_t>(chunks));  // summed in order: deterministic
  int64_t done = 0;
#pragma omp parallel
  {
    RowMatrixF logits, ref_logits;
#pragma omp for schedule(dynamic, 1)
    for (int64_t chunk = 0; chunk < chunks; ++chunk) {
      Totals& mine = per_chunk[static_cast<size_t>(chunk)];
      const auto begin = tokens.begin() + (options.first_chunk + chunk) * ctx;
      std::vector<int32_t> input(begin, begin + ctx);
      input[0] = kBosToken;
      LlamaState state = model.NewState();
      model.Forward(state, input, ctx - first, logits);
      if (reference) {
        LlamaState ref_state = reference->NewState();
        reference->Forward(ref_state, input, ctx - first, ref_logits);
      }
      for (int64_t j = first; j < ctx - 1; ++j) {
        const int64_t row = j - first;
        const Eigen::VectorXd logp = LogSoftmax(logits.row(row));
        mine.nll -= logp[begin[j + 1]];
        if (reference) {
          const Eigen::VectorXd ref_logp = LogSoftmax(ref_logits.row(row));
          mine.kld += (ref_logp.array().exp() * (ref_logp - logp).array()).sum();
          Eigen::Index a, b;
          logits.row(row).maxCoeff(&a);
          ref_logits.row(row).maxCoeff(&b);
          mine.top1 += a == b ? 1 : 0;
        }
        ++mine.count;
      }
#pragma omp critical(shrink_eval_progress)
      {
        ++done;
        if (options.progress && omp_get_thread_num() == 0) options.progress(done, chunks);
      }
    }
  }
  Totals totals;
  for (const Totals& t : per_chunk) {
    totals.nll += t.nll;
    totals.kld += t.kld;
    totals.top1 += t.top1;
    totals.count += t.count;
  }
  EvalResult r;
  r.chunks = chunks;
  r.tokens_scored = totals.count;
  r.mean_nll = totals.nll / static_cast<double>(totals.count);
  r.perplexity = std::exp(r.mean_nll);
  if (reference) {
    r.kl_divergence = totals.kld / static_cast<double>(totals.count);
    r.top1_agreement = static_cast<double>(totals.top1) / static_cast<double>(totals.count);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
  r.tokens_per_second = static_cast<double>(chunks * ctx) / r.seconds;
  return r;
}

}  // namespace shrink
