// Synthetic layer inputs for calibrated methods: correlated channels of unequal scale, and
// their calibration statistics.
#ifndef SHRINK_TESTS_TESTING_CALIBRATION_INPUTS_H_
#define SHRINK_TESTS_TESTING_CALIBRATION_INPUTS_H_

#include <cstdint>

#include "shrink/calibration_stats.h"
#include "testing/test_util.h"

namespace shrink::testing {

// Returns inputs (tokens x n) whose channels are correlated (each mixes its predecessor) and
// whose scales vary over two orders of magnitude, as real activations do.
inline Tensor CorrelatedInputs(int64_t tokens, int64_t n, uint32_t seed) {
  Tensor x = RandomMatrix(tokens, n, seed);
  float* p = x.data<float>();
  for (int64_t t = 0; t < tokens; ++t) {
    for (int64_t j = 1; j < n; ++j) p[t * n + j] += 0.8f * p[t * n + j - 1];
    for (int64_t j = 0; j < n; ++j) p[t * n + j] *= 0.1f + static_cast<float>((j * 37) % 100) / 10.0f;
  }
  return x;
}

// Returns the calibration statistics of inputs `x`.
inline CalibrationStats StatsOf(const Tensor& x) {
  CalibrationStats stats(x.shape().cols());
  stats.Accumulate(x.View<float>());
  return stats;
}

}  // namespace shrink::testing

#endif  // SHRINK_TESTS_TESTING_CALIBRATION_INPUTS_H_
