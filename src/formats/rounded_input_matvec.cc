// The finiteness check of a MatVec input that is about to be rounded to int8.
#include "src/formats/rounded_input_matvec.h"

#include <algorithm>
#include <cmath>

#include "shrink/core/error.h"
#include "src/kernels/core/finite.h"

namespace shrink {

void RequireFiniteInput(const std::string& format, const float* x, int64_t n) {
  if (kernels::AllFinite(x, n)) return;
  const int64_t j = std::find_if(x, x + n, [](float v) { return !std::isfinite(v); }) - x;  // error path only
  Fail(ErrorCode::kInvalidArgument, format, " MatVec: input x[", j, "] = ", x[j], " is not finite");
}

}  // namespace shrink
