// SpQR's min-max grid fit and its leave-one-out outlier test.
#include "src/quant/spqr_grid.h"

#include <limits>

namespace shrink {
namespace {

SpqrGrid GridOfRange(float lo, float hi, int max_code) {
  SpqrGrid g;
  g.max_code = max_code;
  lo = std::min(lo, 0.0f);
  hi = std::max(hi, 0.0f);
  g.scale = (hi - lo) / static_cast<float>(max_code);
  g.zero = g.scale > 0.0f ? -lo / g.scale : 0.0f;
  return g;
}

float GroupError(const float* x, const float* d, int64_t n, int64_t skip, const SpqrGrid& g) {
  float sum = 0.0f;
  for (int64_t j = 0; j < n; ++j) {
    if (j == skip) continue;
    const float e = (g.Decode(g.Code(x[j])) - x[j]) / d[j];
    sum += e * e;
  }
  return sum;
}

}  // namespace

SpqrGrid FitMinMaxGrid(const float* x, int64_t n, int max_code) {
  float lo = 0.0f, hi = 0.0f;
  for (int64_t j = 0; j < n; ++j) {
    lo = std::min(lo, x[j]);
    hi = std::max(hi, x[j]);
  }
  return GridOfRange(lo, hi, max_code);
}

void LeaveOneOutReduction(const float* x, const float* d, int64_t n, int max_code, float* reduction) {
  // The two smallest and two largest weights give every leave-one-out range in O(1).
  constexpr float kInf = std::numeric_limits<float>::infinity();
  float lo1 = kInf, lo2 = kInf, hi1 = -kInf, hi2 = -kInf;
  int64_t lo_at = -1, hi_at = -1;
  for (int64_t j = 0; j < n; ++j) {
    if (x[j] < lo1) {
      lo2 = lo1;
      lo1 = x[j];
      lo_at = j;
    } else if (x[j] < lo2) {
      lo2 = x[j];
    }
    if (x[j] > hi1) {
      hi2 = hi1;
      hi1 = x[j];
      hi_at = j;
    } else if (x[j] > hi2) {
      hi2 = x[j];
    }
  }
  const float base = GroupError(x, d, n, -1, GridOfRange(lo1, hi1, max_code));
  for (int64_t i = 0; i < n; ++i) {
    const float lo = i == lo_at ? lo2 : lo1, hi = i == hi_at ? hi2 : hi1;
    // n == 1 leaves nothing: the range is empty (±inf), and the grid of 0 alone is exact.
    const SpqrGrid g = GridOfRange(std::isfinite(lo) ? lo : 0.0f, std::isfinite(hi) ? hi : 0.0f, max_code);
    reduction[i] = base - GroupError(x, d, n, i, g);
  }
}

}  // namespace shrink
