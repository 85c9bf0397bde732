// Folds input scales (AWQ, SmoothQuant): weights W·diag(s) after an RMSNorm whose weight is divided by s.
#include "src/quant/input_scale_fold.h"

#include <cmath>
#include <string>

#include "shrink/core/error.h"

namespace shrink {

void FoldInputScales(Model& model, int64_t layer, LlamaTensor norm, const std::vector<LlamaTensor>& group,
                     const std::vector<float>& s) {
  const int64_t n = static_cast<int64_t>(s.size());
  for (size_t j = 0; j < s.size(); ++j) {
    if (!std::isfinite(s[j]) || !(s[j] > 0.0f)) {
      Fail(ErrorCode::kInvalidArgument, "input scale fold: scale ", j, " is ", s[j], ", expected a finite value > 0");
    }
  }
  const std::string norm_name = LlamaTensorName(layer, norm);
  Tensor gamma = model.ReadF32(norm_name);
  if (gamma.num_elements() != n) {
    Fail(ErrorCode::kShapeMismatch, "input scale fold: '", norm_name, "' has ", gamma.num_elements(), " values, the scales ",
         n);
  }
  for (const LlamaTensor kind : group) {  // check every shape before changing anything
    const std::string name = LlamaTensorName(layer, kind);
    const Shape& shape = model.Info(name).shape;
    if (shape.rank() != 2 || shape.cols() != n) {
      Fail(ErrorCode::kShapeMismatch, "input scale fold: '", name, "' ", shape.ToString(), " does not have ", n,
           " input channels");
    }
  }
  for (const LlamaTensor kind : group) {
    const std::string name = LlamaTensorName(layer, kind);
    Tensor w = model.ReadF32(name);
    float* p = w.data<float>();
    for (int64_t r = 0; r < w.shape().rows(); ++r) {
      for (int64_t j = 0; j < n; ++j) p[r * n + j] *= s[static_cast<size_t>(j)];
    }
    model.SetTensor(name, std::move(w));
  }
  float* g = gamma.data<float>();
  for (int64_t j = 0; j < n; ++j) g[j] /= s[static_cast<size_t>(j)];
  model.SetTensor(norm_name, std::move(gamma));
}

}  // namespace shrink
