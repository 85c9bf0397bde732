// Calibration: one streaming pass of a model over calibration tokens that records, at every
// place a linear layer reads its input, the CalibrationStats compressors need.
#ifndef SHRINK_MODEL_CALIBRATION_H_
#define SHRINK_MODEL_CALIBRATION_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "shrink/calibration_stats.h"
#include "shrink/io/model.h"
#include "shrink/model/llama.h"

namespace shrink {

// Returns the name of a calibration site: "blk.3.attn_in", "blk.3.attn_out", "blk.3.ffn_in",
// "blk.3.ffn_down_in".
std::string CalibrationSiteName(int64_t layer, LinearInput where);
// Returns the site a Llama linear weight reads from ("blk.3.attn_k.weight" -> "blk.3.attn_in"),
// or nullopt for tensors that are not per-layer linear weights.
std::optional<std::string> CalibrationSiteOf(const std::string& weight_name);

// Holds statistics per site; the weights that share an input share its statistics.
class CalibrationSet {
 public:
  std::map<std::string, CalibrationStats>& sites() { return sites_; }
  const std::map<std::string, CalibrationStats>& sites() const { return sites_; }
  // Returns the statistics of the input of weight `weight_name`, or nullptr.
  const CalibrationStats* ForWeight(const std::string& weight_name) const;
  // Adds `other`'s statistics site by site.
  void Merge(const CalibrationSet& other);

  // Writes one safetensors file: per site "<site>.gram" (f64, n x n), "<site>.sum_abs",
  // "<site>.sum_sq" (f64, n), "<site>.max_abs" (f32, n) and "<site>.tokens" (i64, 1).
  void Save(const std::string& path) const;
  // Reads a file written by Save; throws kCorruptData naming a missing or mis-sized entry.
  static CalibrationSet Load(const std::string& path);

 private:
  std::map<std::string, CalibrationStats> sites_;
};

// Configures Calibrate.
struct CalibrationOptions {
  int64_t context = 256;   // tokens per sequence; each sequence starts with BOS like evaluation
  int64_t only_layer = -1; // record only this block's sites (-1: all blocks)
};

// The default calibration range starts after the default evaluation range (the first 200
// chunks of 256 tokens, llama.cpp's protocol), so the two never overlap unless asked to.
inline constexpr int64_t kDefaultCalibrationFirstToken = 200 * 256;

// Runs `model` over tokens [first_token, first_token + count) in sequences of
// options.context tokens (a shorter last one included) and returns the statistics at every
// site. Memory does not depend on `count`. Throws kInvalidArgument for a range outside `tokens`
// or a token outside the vocabulary.
// Adds the rows of `x` (tokens x channels) to `stats`, as CalibrationStats::Accumulate does, with
// XᵀX computed by the library's multithreaded dense kernels (f32 products within a call,
// accumulated in f64 across calls). Throws kShapeMismatch on a channel mismatch.
void AccumulateInputs(CalibrationStats& stats, TensorView<const float> x);

CalibrationSet Calibrate(const LlamaModel& model, const std::vector<int32_t>& tokens, int64_t first_token,
                         int64_t count, const CalibrationOptions& options = {});

// Compresses a model block by block with statistics collected "true-sequentially": the
// statistics of block l come from a model whose blocks < l are already compressed. For each
// block, `compress_block(layer, stats, model)` replaces that block's weights in `model`.
void CalibrateSequentially(Model& model, const std::vector<int32_t>& tokens, int64_t first_token, int64_t count,
                           const CalibrationOptions& options,
                           const std::function<void(int64_t layer, const CalibrationSet& stats, Model& model)>&
                               compress_block);

}  // namespace shrink

#endif  // SHRINK_MODEL_CALIBRATION_H_
