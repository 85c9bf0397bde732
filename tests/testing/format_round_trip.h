// Quantizes a test tensor in a QuantFormat and decodes it back, the round trip format tests share.
#ifndef SHRINK_TESTS_TESTING_FORMAT_ROUND_TRIP_H_
#define SHRINK_TESTS_TESTING_FORMAT_ROUND_TRIP_H_

#include <utility>

#include "shrink/formats/quant_tensor.h"
#include "testing/test_util.h"

namespace shrink::testing {

// Quantizes `w` in `format` (with per-column `importance`, or null) through QuantizeTensor and
// returns the decoded tensor; the compressed form goes to `compressed` when given.
inline Tensor FormatRoundTrip(const QuantFormat& format, const Tensor& w, const float* importance = nullptr,
                              CompressedTensor* compressed = nullptr) {
  CompressedTensor ct = QuantizeTensor(format, w.View<float>(), importance, "w");
  Tensor back(DType::kF32, w.shape());
  DequantizeTensor(ct, back.View<float>());
  if (compressed) *compressed = std::move(ct);
  return back;
}

}  // namespace shrink::testing

#endif  // SHRINK_TESTS_TESTING_FORMAT_ROUND_TRIP_H_
