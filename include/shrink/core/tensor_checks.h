// Checks on weights entering a compressor: rank and finiteness, with errors that locate the problem.
#ifndef SHRINK_CORE_TENSOR_CHECKS_H_
#define SHRINK_CORE_TENSOR_CHECKS_H_

#include <cmath>
#include <cstdint>

#include "shrink/core/error.h"
#include "shrink/core/tensor_view.h"

namespace shrink {

// Counts the NaN and infinite elements of a 2-D view and reports the first one's position.
struct NonFiniteCount {
  int64_t count = 0;
  int64_t first_row = -1;
  int64_t first_col = -1;
};

// Returns how many elements of 2-D `view` are NaN or infinite, and where the first is.
inline NonFiniteCount CountNonFinite(TensorView<const float> view) {
  NonFiniteCount result;
  for (int64_t i = 0; i < view.rows(); ++i) {
    const float* row = view.row_data(i);
    const int64_t stride = view.stride(1);
    int64_t bad = 0;  // a branch-free count first: rows are almost always clean
    for (int64_t j = 0; j < view.cols(); ++j) bad += std::isfinite(row[j * stride]) ? 0 : 1;
    if (bad == 0) continue;
    for (int64_t j = 0; j < view.cols(); ++j) {
      if (!std::isfinite(view(i, j))) {
        if (result.count++ == 0) {
          result.first_row = i;
          result.first_col = j;
        }
      }
    }
  }
  return result;
}

// Throws kInvalidArgument unless `weight` is a non-empty 2-D view of finite values; `method`
// names the caller in the message.
inline void RequireFiniteMatrix(TensorView<const float> weight, const char* method) {
  if (weight.rank() != 2 || weight.rows() == 0 || weight.cols() == 0) {
    Fail(ErrorCode::kInvalidArgument, method, " needs a non-empty 2-D weight, got shape ",
         weight.shape().ToString());
  }
  const NonFiniteCount bad = CountNonFinite(weight);
  if (bad.count > 0) {
    Fail(ErrorCode::kInvalidArgument, method, ": weight has ", bad.count, " non-finite value(s), first at (",
         bad.first_row, ", ", bad.first_col, ")");
  }
}

}  // namespace shrink

#endif  // SHRINK_CORE_TENSOR_CHECKS_H_
