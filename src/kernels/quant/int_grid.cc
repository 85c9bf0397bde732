// Dynamic dispatch of the integer grid row kernels, and their scalar Ref twins.
#include "src/kernels/quant/int_grid.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/kernels/quant/int_grid.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "src/kernels/quant/int_grid-inl.h"

#if HWY_ONCE
#include <algorithm>

namespace shrink {
HWY_EXPORT(IntGridQuantizeRow);
HWY_EXPORT(IntGridDequantizeRow);
HWY_EXPORT(IntGridDotRow);
HWY_EXPORT(PackCodes);
HWY_EXPORT(UnpackCodes);

namespace kernels {

void IntGridQuantizeRow(const float* row, int64_t cols, int64_t group_size, const IntGridSpec& spec,
                        IntGridParams* params, uint8_t* codes) noexcept {
  HWY_DYNAMIC_DISPATCH(IntGridQuantizeRow)(row, cols, group_size, spec, params, codes);
}

void IntGridDequantizeRow(const uint8_t* codes, int64_t cols, int64_t group_size,
                          const IntGridParams* params, float* out) noexcept {
  HWY_DYNAMIC_DISPATCH(IntGridDequantizeRow)(codes, cols, group_size, params, out);
}

float IntGridDotRow(const uint8_t* codes, int64_t cols, int64_t group_size, const IntGridParams* params,
                    const float* x) noexcept {
  return HWY_DYNAMIC_DISPATCH(IntGridDotRow)(codes, cols, group_size, params, x);
}

void PackCodes(const uint8_t* codes, int64_t count, int bits, uint8_t* out) noexcept {
  HWY_DYNAMIC_DISPATCH(PackCodes)(codes, count, bits, out);
}

void UnpackCodes(const uint8_t* in, int64_t count, int bits, uint8_t* codes) noexcept {
  HWY_DYNAMIC_DISPATCH(UnpackCodes)(in, count, bits, codes);
}

void IntGridQuantizeRowRef(const float* row, int64_t cols, int64_t group_size, const IntGridSpec& spec,
                           IntGridParams* params, uint8_t* codes) noexcept {
  for (int64_t g = 0, begin = 0; begin < cols; ++g, begin += group_size) {
    const int64_t n = std::min(group_size, cols - begin);
    float lo = row[begin], hi = row[begin];
    for (int64_t j = 1; j < n; ++j) {
      lo = std::min(lo, row[begin + j]);
      hi = std::max(hi, row[begin + j]);
    }
    params[g] = IntGridParamsFromRange(lo, hi, spec);
    const float inv = IntGridInvScale(params[g].scale);
    for (int64_t j = 0; j < n; ++j) {
      codes[begin + j] = IntGridEncodeRef(row[begin + j], inv, params[g].zero, spec.max_code());
    }
  }
}

void IntGridDequantizeRowRef(const uint8_t* codes, int64_t cols, int64_t group_size,
                             const IntGridParams* params, float* out) noexcept {
  for (int64_t j = 0; j < cols; ++j) out[j] = IntGridDecodeRef(codes[j], params[j / group_size]);
}

float IntGridDotRowRef(const uint8_t* codes, int64_t cols, int64_t group_size,
                       const IntGridParams* params, const float* x) noexcept {
  double total = 0.0;
  for (int64_t j = 0; j < cols; ++j) {
    total += static_cast<double>(IntGridDecodeRef(codes[j], params[j / group_size])) * x[j];
  }
  return static_cast<float>(total);
}

}  // namespace kernels
}  // namespace shrink
#endif  // HWY_ONCE
