// AWQ's search for the per-input-channel scales s = mean|x|^α of a group of layers.
#ifndef SHRINK_SRC_QUANT_AWQ_SEARCH_H_
#define SHRINK_SRC_QUANT_AWQ_SEARCH_H_

#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "shrink/calibration_stats.h"
#include "shrink/quant/awq.h"

namespace shrink {

// Returns s_j = max(mean_abs_j^α, 1e-4) divided by sqrt(max s · min s) (the AWQ reference's
// normalisation, so that the scales straddle 1).
std::vector<float> AwqScalesForAlpha(const Eigen::VectorXd& mean_abs, double alpha);

// Returns the scales of the α in {k / n_grid : k < n_grid} with the least summed output error of
// `layers` (each rounded to nearest in its format), estimated on an evenly spaced sample of at
// most `search_rows` rows per layer; ties keep the smaller α. Throws kShapeMismatch when a
// layer's columns differ from the statistics' channels, kInvalidArgument for empty statistics.
std::vector<float> SearchAwqScales(const std::vector<ScaledLayer>& layers, const CalibrationStats& stats, int n_grid,
                                   int64_t search_rows);

}  // namespace shrink

#endif  // SHRINK_SRC_QUANT_AWQ_SEARCH_H_
