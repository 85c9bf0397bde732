// Error measures shared by the tool's reports, the tests and the benchmarks.
#ifndef SHRINK_CORE_METRICS_H_
#define SHRINK_CORE_METRICS_H_

#include <cmath>
#include <cstdint>

namespace shrink {

// Returns ||reference - approx|| / ||reference|| over `count` elements (the absolute norm of the
// difference when the reference is all zeros), accumulated in double.
inline double RelativeRmsError(const float* reference, const float* approx, int64_t count) {
  double num = 0, den = 0;
  for (int64_t i = 0; i < count; ++i) {
    const double d = static_cast<double>(reference[i]) - approx[i];
    num += d * d;
    den += static_cast<double>(reference[i]) * reference[i];
  }
  return den == 0 ? std::sqrt(num) : std::sqrt(num / den);
}

}  // namespace shrink

#endif  // SHRINK_CORE_METRICS_H_
