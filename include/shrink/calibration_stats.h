// CalibrationStats: what one streaming pass over calibration tokens records per linear layer.
#ifndef SHRINK_CALIBRATION_STATS_H_
#define SHRINK_CALIBRATION_STATS_H_

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "shrink/core/eigen.h"
#include "shrink/core/error.h"
#include "shrink/core/memory.h"
#include "shrink/core/tensor_view.h"

namespace shrink {

// Accumulates, over the inputs X (tokens x channels) of one linear layer, the Gram matrix
// XᵀX (double), per-channel sums of |x| and x², per-channel max |x| and the token count.
// GPTQ, SparseGPT, AWQ, Wanda, SVD-LLM and EoRA all work from these, so calibration is one
// pass. Memory is O(channels²), independent of the token count.
class CalibrationStats {
 public:
  CalibrationStats() = default;
  // Starts empty statistics for inputs with `num_channels` channels.
  explicit CalibrationStats(int64_t num_channels)
      : gram_(num_channels, num_channels),
        sum_abs_(Eigen::VectorXd::Zero(num_channels)),
        sum_sq_(Eigen::VectorXd::Zero(num_channels)),
        max_abs_(Eigen::VectorXf::Zero(num_channels)) {
    AdviseHugePages(gram_.data(), static_cast<size_t>(gram_.size()) * sizeof(double));
    gram_.setZero();
  }

  int64_t num_channels() const { return gram_.rows(); }
  int64_t token_count() const { return token_count_; }

  // Adds the rows of `x` (tokens x channels); throws kShapeMismatch on a channel mismatch.
  void Accumulate(TensorView<const float> x) {
    if (x.rank() != 2 || x.cols() != num_channels()) {
      Fail(ErrorCode::kShapeMismatch, "calibration input ", x.shape().ToString(), " does not have ",
           num_channels(), " channels");
    }
    const Eigen::MatrixXd xd = AsEigen(x).template cast<double>();
    gram_.selfadjointView<Eigen::Lower>().rankUpdate(xd.transpose());
    gram_.triangularView<Eigen::StrictlyUpper>() = gram_.transpose();
    sum_abs_ += xd.cwiseAbs().colwise().sum().transpose();
    sum_sq_ += xd.cwiseAbs2().colwise().sum().transpose();
    max_abs_ = max_abs_.cwiseMax(AsEigen(x).cwiseAbs().colwise().maxCoeff().transpose());
    token_count_ += x.rows();
  }
  // Adds the statistics of `other` (same channel count) as if its tokens were accumulated here.
  void Merge(const CalibrationStats& other) {
    if (other.num_channels() != num_channels()) {
      Fail(ErrorCode::kShapeMismatch, "cannot merge statistics of ", other.num_channels(), " and ",
           num_channels(), " channels");
    }
    gram_ += other.gram_;
    sum_abs_ += other.sum_abs_;
    sum_sq_ += other.sum_sq_;
    max_abs_ = max_abs_.cwiseMax(other.max_abs_);
    token_count_ += other.token_count_;
  }

  // Returns XᵀX (channels x channels, symmetric).
  const Eigen::MatrixXd& gram() const { return gram_; }
  // Returns per-channel mean |x| (zeros before any token).
  Eigen::VectorXd MeanAbs() const { return sum_abs_ / std::max<double>(1.0, static_cast<double>(token_count_)); }
  // Returns per-channel mean x².
  Eigen::VectorXd MeanSquare() const { return sum_sq_ / std::max<double>(1.0, static_cast<double>(token_count_)); }
  // Returns per-channel max |x|.
  const Eigen::VectorXf& MaxAbs() const { return max_abs_; }

  // Adds the statistics of `tokens` inputs given as parts: `gram` (XᵀX, num_channels² floats,
  // either order: it is symmetric) and the per-channel sums and maxima of those inputs.
  void AccumulateParts(const float* gram, const Eigen::VectorXd& sum_abs, const Eigen::VectorXd& sum_sq,
                       const Eigen::VectorXf& max_abs, int64_t tokens) {
    const auto n = num_channels();
    if (sum_abs.size() != n || sum_sq.size() != n || max_abs.size() != n || tokens < 0) {
      Fail(ErrorCode::kShapeMismatch, "calibration statistics parts disagree in size");
    }
    gram_ += Eigen::Map<const Eigen::MatrixXf>(gram, n, n).template cast<double>();
    sum_abs_ += sum_abs;
    sum_sq_ += sum_sq;
    max_abs_ = max_abs_.cwiseMax(max_abs);
    token_count_ += tokens;
  }

  // Rebuilds statistics from stored parts (used by readers); throws kShapeMismatch if the
  // parts disagree in size.
  static CalibrationStats FromParts(Eigen::MatrixXd gram, Eigen::VectorXd sum_abs, Eigen::VectorXd sum_sq,
                                    Eigen::VectorXf max_abs, int64_t token_count) {
    const auto n = gram.rows();
    if (gram.cols() != n || sum_abs.size() != n || sum_sq.size() != n || max_abs.size() != n || token_count < 0) {
      Fail(ErrorCode::kShapeMismatch, "calibration statistics parts disagree in size");
    }
    CalibrationStats s;
    s.gram_ = std::move(gram);
    s.sum_abs_ = std::move(sum_abs);
    s.sum_sq_ = std::move(sum_sq);
    s.max_abs_ = std::move(max_abs);
    s.token_count_ = token_count;
    return s;
  }
  const Eigen::VectorXd& sum_abs() const { return sum_abs_; }
  const Eigen::VectorXd& sum_sq() const { return sum_sq_; }

 private:
  Eigen::MatrixXd gram_;
  Eigen::VectorXd sum_abs_;
  Eigen::VectorXd sum_sq_;
  Eigen::VectorXf max_abs_;
  int64_t token_count_ = 0;
};

// Returns the layer's mean squared output error over the calibration tokens,
// tr((W - Ŵ) XᵀX (W - Ŵ)ᵀ) / tokens: the objective GPTQ, AWQ and SparseGPT minimise.
inline double LayerOutputError(const CalibrationStats& stats, TensorView<const float> weight,
                               TensorView<const float> approx) {
  if (weight.shape() != approx.shape() || weight.rank() != 2 || weight.cols() != stats.num_channels()) {
    Fail(ErrorCode::kShapeMismatch, "output error of ", weight.shape().ToString(), " vs ", approx.shape().ToString(),
         " with statistics of ", stats.num_channels(), " channels");
  }
  const Eigen::MatrixXd delta = (AsEigen(weight) - AsEigen(approx)).template cast<double>();
  const double tokens = std::max<double>(1.0, static_cast<double>(stats.token_count()));
  return (delta * stats.gram()).cwiseProduct(delta).sum() / tokens;
}

}  // namespace shrink

#endif  // SHRINK_CALIBRATION_STATS_H_
