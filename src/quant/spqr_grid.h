// The scalar grids of SpQR: first-level min-max grids with a zero point, second-level grids
// for the statistics, and the leave-one-out outlier test of the reference implementation.
#ifndef SHRINK_SRC_QUANT_SPQR_GRID_H_
#define SHRINK_SRC_QUANT_SPQR_GRID_H_

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace shrink {

// A first-level grid: code q in [0, max_code] decodes to scale · (q − zero).
struct SpqrGrid {
  float scale = 0.0f;
  float zero = 0.0f;
  int max_code = 7;

  // Returns the nearest code of `w` (0 when the scale is 0).
  int Code(float w) const {
    if (scale == 0.0f) return 0;
    const float t = std::nearbyint(w / scale + zero);
    return t > 0.0f ? static_cast<int>(std::min(t, static_cast<float>(max_code))) : 0;
  }
  float Decode(int code) const { return scale * (static_cast<float>(code) - zero); }
};

// Returns the min-max grid of x[0..n) with 0 inside its range (as the reference quantizer, so
// the zero lies in [0, max_code]); an all-zero group gets scale 0.
SpqrGrid FitMinMaxGrid(const float* x, int64_t n, int max_code);

// Returns, for each of the n weights x of one row's group (d: their U_jj), the drop of the
// group's error Σ ((Q(x_j) − x_j) / d_j)² when that weight is left out of the min-max fit and not
// quantized (the reference's get_leave_one_out_error), into `reduction`.
void LeaveOneOutReduction(const float* x, const float* d, int64_t n, int max_code, float* reduction);

}  // namespace shrink

#endif  // SHRINK_SRC_QUANT_SPQR_GRID_H_
