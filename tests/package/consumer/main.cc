// A downstream program built against the installed shrink: quantizes a matrix through the
// registry and checks the round trip.
#include <cmath>
#include <cstdio>

#include "shrink/shrink.h"

int main() {
  shrink::Tensor w(shrink::DType::kF32, shrink::Shape{64, 256});
  float* p = w.data<float>();
  for (int64_t i = 0; i < w.num_elements(); ++i) p[i] = std::sin(0.37f * static_cast<float>(i));
  auto rtn = shrink::Registry::Global().CreateAs<shrink::WeightCompressor>("rtn", shrink::Options{{"bits", "8"}});
  const shrink::CompressedTensor ct = rtn->Compress(w.View<float>(), nullptr);
  shrink::Tensor back(shrink::DType::kF32, w.shape());
  rtn->Decompress(ct, back.View<float>());
  double err = 0;
  for (int64_t i = 0; i < w.num_elements(); ++i) err = std::fmax(err, std::fabs(p[i] - back.data<float>()[i]));
  std::printf("shrink %s: rtn 8-bit max error %.5f, %zu bytes\n", shrink::Version(), err, ct.num_bytes());
  return err < 0.01 && ct.num_bytes() == rtn->EstimateBytes(w.shape()) ? 0 : 1;
}
