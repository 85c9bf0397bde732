// Calibration passes (plain and true-sequential) and the statistics file format.
#include "shrink/model/calibration.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "shrink/io/safetensors.h"
#include "src/linalg/dense.h"

namespace shrink {
namespace {

const char* SiteSuffix(LinearInput where) {
  switch (where) {
    case LinearInput::kAttnIn: return "attn_in";
    case LinearInput::kAttnOut: return "attn_out";
    case LinearInput::kFfnIn: return "ffn_in";
    case LinearInput::kFfnDown: return "ffn_down_in";
  }
  return "?";
}

}  // namespace

void AccumulateInputs(CalibrationStats& stats, TensorView<const float> x) {
  const int64_t n = stats.num_channels();
  if (x.rank() != 2 || x.cols() != n) {
    Fail(ErrorCode::kShapeMismatch, "calibration input ", x.shape().ToString(), " does not have ", n, " channels");
  }
  Tensor rows(DType::kF32, x.shape());  // dense row-major copy for the kernels
  Tensor gram(DType::kF32, Shape{n, n});
  auto xm = AsEigen(rows.View<float>());
  xm = AsEigen(x);
  linalg::GramAccumulate(rows.data<float>(), x.rows(), n, gram.data<float>());
  Eigen::VectorXd sum_abs = Eigen::VectorXd::Zero(n), sum_sq = Eigen::VectorXd::Zero(n);
  Eigen::VectorXf max_abs = Eigen::VectorXf::Zero(n);
  for (int64_t t = 0; t < x.rows(); ++t) {
    const float* row = rows.data<float>() + t * n;
    for (int64_t j = 0; j < n; ++j) {
      const double v = row[j];
      sum_abs(j) += std::abs(v);
      sum_sq(j) += v * v;
      max_abs(j) = std::max(max_abs(j), std::abs(row[j]));
    }
  }
  stats.AccumulateParts(gram.data<float>(), sum_abs, sum_sq, max_abs, x.rows());
}

namespace {

// Accumulates the inputs of every linear layer (of one block, or all) into a CalibrationSet.
class StatsObserver : public ForwardObserver {
 public:
  StatsObserver(CalibrationSet& set, int64_t only_layer) : set_(set), only_layer_(only_layer) {}
  void OnLinearInput(int64_t layer, LinearInput where, const RowMatrixF& x) override {
    if (only_layer_ >= 0 && layer != only_layer_) return;
    auto [it, added] = set_.sites().try_emplace(CalibrationSiteName(layer, where), x.cols());
    AccumulateInputs(it->second, TensorView<const float>(x.data(), Shape{x.rows(), x.cols()}));
  }

 private:
  CalibrationSet& set_;
  int64_t only_layer_;
};

template <typename Vec>
void AddVector(SafetensorsWriter& writer, const std::string& name, DType dtype, const Vec& v) {
  writer.Add(name, dtype, Shape{static_cast<int64_t>(v.size())}, v.data());
}

// Returns entry `name` of `reader` as doubles, checking its dtype and element count.
template <typename T>
std::vector<T> ReadEntry(const SafetensorsReader& reader, const std::string& name, DType dtype, int64_t count) {
  const SafetensorsEntry* e = reader.Find(name);
  if (e == nullptr || e->dtype != dtype || e->shape.num_elements() != count) {
    Fail(ErrorCode::kCorruptData, reader.file()->path(), ": calibration entry '", name, "' is missing or not ", count,
         " values of ", DTypeName(dtype));
  }
  std::vector<T> out(static_cast<size_t>(count));
  if (count) std::memcpy(out.data(), reader.Bytes(*e), static_cast<size_t>(count) * sizeof(T));
  return out;
}

}  // namespace

std::string CalibrationSiteName(int64_t layer, LinearInput where) {
  return "blk." + std::to_string(layer) + "." + SiteSuffix(where);
}

std::optional<std::string> CalibrationSiteOf(const std::string& weight_name) {
  for (LlamaTensor kind : kLlamaLinearTensors) {
    const std::string suffix = LlamaTensorName(0, kind).substr(std::string("blk.0").size());  // ".attn_q.weight"
    if (weight_name.rfind("blk.", 0) != 0 || weight_name.size() <= suffix.size() ||
        weight_name.compare(weight_name.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    const std::string digits = weight_name.substr(4, weight_name.size() - suffix.size() - 4);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    return CalibrationSiteName(std::stoll(digits), LinearInputOf(kind));
  }
  return std::nullopt;
}

const CalibrationStats* CalibrationSet::ForWeight(const std::string& weight_name) const {
  const auto site = CalibrationSiteOf(weight_name);
  if (!site) return nullptr;
  auto it = sites_.find(*site);
  return it == sites_.end() ? nullptr : &it->second;
}

void CalibrationSet::Merge(const CalibrationSet& other) {
  for (const auto& [name, stats] : other.sites_) {
    auto [it, added] = sites_.try_emplace(name, stats);
    if (!added) it->second.Merge(stats);
  }
}

void CalibrationSet::Save(const std::string& path) const {
  SafetensorsWriter writer;
  std::vector<int64_t> counts;
  counts.reserve(sites_.size());  // Add borrows the data until Write
  for (const auto& [name, s] : sites_) {
    const int64_t n = s.num_channels();
    writer.Add(name + ".gram", DType::kF64, Shape{n, n}, s.gram().data());
    AddVector(writer, name + ".sum_abs", DType::kF64, s.sum_abs());
    AddVector(writer, name + ".sum_sq", DType::kF64, s.sum_sq());
    AddVector(writer, name + ".max_abs", DType::kF32, s.MaxAbs());
    counts.push_back(s.token_count());
    writer.Add(name + ".tokens", DType::kI64, Shape{1}, &counts.back());
  }
  writer.SetMetadata("shrink.calibration", "1");
  writer.Write(path);
}

CalibrationSet CalibrationSet::Load(const std::string& path) {
  const SafetensorsReader reader = SafetensorsReader::Open(path);
  CalibrationSet set;
  for (const SafetensorsEntry& e : reader.entries()) {
    const std::string suffix = ".gram";
    if (e.name.size() <= suffix.size() || e.name.compare(e.name.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    const std::string site = e.name.substr(0, e.name.size() - suffix.size());
    if (e.shape.rank() != 2 || e.shape.dim(0) != e.shape.dim(1)) {
      Fail(ErrorCode::kCorruptData, path, ": '", e.name, "' is not a square matrix");
    }
    const int64_t n = e.shape.dim(0);
    const auto gram = ReadEntry<double>(reader, e.name, DType::kF64, n * n);
    const auto sum_abs = ReadEntry<double>(reader, site + ".sum_abs", DType::kF64, n);
    const auto sum_sq = ReadEntry<double>(reader, site + ".sum_sq", DType::kF64, n);
    const auto max_abs = ReadEntry<float>(reader, site + ".max_abs", DType::kF32, n);
    const auto tokens = ReadEntry<int64_t>(reader, site + ".tokens", DType::kI64, 1);
    set.sites_.emplace(site, CalibrationStats::FromParts(
                                 Eigen::Map<const Eigen::MatrixXd>(gram.data(), n, n),
                                 Eigen::Map<const Eigen::VectorXd>(sum_abs.data(), n),
                                 Eigen::Map<const Eigen::VectorXd>(sum_sq.data(), n),
                                 Eigen::Map<const Eigen::VectorXf>(max_abs.data(), n), tokens[0]));
  }
  if (set.sites_.empty()) Fail(ErrorCode::kCorruptData, path, ": holds no calibration statistics");
  return set;
}

CalibrationSet Calibrate(const LlamaModel& model, const std::vector<int32_t>& tokens, int64_t first_token,
                         int64_t count, const CalibrationOptions& options) {
  RequireTokenRange(tokens, first_token, count, model.config().vocab_size, "calibration");
  if (options.context < 1) Fail(ErrorCode::kInvalidArgument, "calibration context must be positive");
  const int64_t sequences = (count + options.context - 1) / options.context;
  std::vector<CalibrationSet> per_thread(static_cast<size_t>(omp_get_max_threads()));
#pragma omp parallel
  {
    CalibrationSet& mine = per_thread[static_cast<size_t>(omp_get_thread_num())];
    StatsObserver observer(mine, options.only_layer);
    RowMatrixF logits;
#pragma omp for schedule(static)
    for (int64_t s = 0; s < sequences; ++s) {
      const int64_t begin = first_token + s * options.context;
      const int64_t end = std::min(first_token + count, begin + options.context);
      std::vector<int32_t> input(tokens.begin() + begin, tokens.begin() + end);
      input[0] = 1;  // BOS, as in evaluation
      LlamaState state = model.NewState();
      model.Forward(state, input, 0, logits, &observer);
    }
  }
  CalibrationSet result;
  for (const CalibrationSet& part : per_thread) result.Merge(part);
  return result;
}

void CalibrateSequentially(Model& model, const std::vector<int32_t>& tokens, int64_t first_token, int64_t count,
                           const CalibrationOptions& options,
                           const std::function<void(int64_t, const CalibrationSet&, Model&)>& compress_block) {
  if (!model.config()) Fail(ErrorCode::kInvalidArgument, "sequential calibration needs a model config");
  for (int64_t layer = 0; layer < model.config()->n_layers; ++layer) {
    CalibrationOptions layer_options = options;
    layer_options.only_layer = layer;
    // Rebuilt each block so that block `layer` sees the blocks before it compressed.
    const LlamaModel current(model);
    compress_block(layer, Calibrate(current, tokens, first_token, count, layer_options), model);
  }
}

}  // namespace shrink
