// Dispatches the dtype conversions of convert.h to the best compiled SIMD target.
#include "shrink/core/convert.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/kernels/core/convert.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "src/kernels/core/convert-inl.h"

#if HWY_ONCE

#include <cmath>
#include <cstring>
#include <limits>

namespace shrink {

HWY_EXPORT(ConvertF16ToF32);
HWY_EXPORT(ConvertF32ToF16);
HWY_EXPORT(ConvertBF16ToF32);
HWY_EXPORT(ConvertF32ToBF16);
HWY_EXPORT(ConvertF8E4M3ToF32);
HWY_EXPORT(ConvertF32ToF8E4M3);
HWY_EXPORT(ConvertF8E5M2ToF32);
HWY_EXPORT(ConvertF32ToF8E5M2);

void ConvertF16ToF32(const uint16_t* in, float* out, size_t count) noexcept {
  HWY_DYNAMIC_DISPATCH(ConvertF16ToF32)(in, out, count);
}
void ConvertF32ToF16(const float* in, uint16_t* out, size_t count) noexcept {
  HWY_DYNAMIC_DISPATCH(ConvertF32ToF16)(in, out, count);
}
void ConvertBF16ToF32(const uint16_t* in, float* out, size_t count) noexcept {
  HWY_DYNAMIC_DISPATCH(ConvertBF16ToF32)(in, out, count);
}
void ConvertF32ToBF16(const float* in, uint16_t* out, size_t count) noexcept {
  HWY_DYNAMIC_DISPATCH(ConvertF32ToBF16)(in, out, count);
}
void ConvertF8E4M3ToF32(const uint8_t* in, float* out, size_t count) noexcept {
  HWY_DYNAMIC_DISPATCH(ConvertF8E4M3ToF32)(in, out, count);
}
void ConvertF32ToF8E4M3(const float* in, uint8_t* out, size_t count) noexcept {
  HWY_DYNAMIC_DISPATCH(ConvertF32ToF8E4M3)(in, out, count);
}
void ConvertF8E5M2ToF32(const uint8_t* in, float* out, size_t count) noexcept {
  HWY_DYNAMIC_DISPATCH(ConvertF8E5M2ToF32)(in, out, count);
}
void ConvertF32ToF8E5M2(const float* in, uint8_t* out, size_t count) noexcept {
  HWY_DYNAMIC_DISPATCH(ConvertF32ToF8E5M2)(in, out, count);
}

namespace {

// Converts `count` integers of type T to the nearest floats.
template <typename T>
void IntegersToF32(const void* in, float* out, size_t count) noexcept {
  const auto* src = static_cast<const T*>(in);
  for (size_t i = 0; i < count; ++i) out[i] = static_cast<float>(src[i]);
}

// Returns `x` rounded to the nearest T (ties to even), saturated to T's range; NaN gives 0.
template <typename T>
T F32ToInteger(float x) noexcept {
  if (std::isnan(x)) return 0;
  // Both limits of every integer type up to 64 bits are powers of two (or one less), so the
  // exclusive upper bound 2^digits and the lower bound are exact floats.
  constexpr float kUpper = static_cast<float>(std::numeric_limits<T>::max()) + 1.0f;
  constexpr float kLower = static_cast<float>(std::numeric_limits<T>::min());
  const float rounded = std::nearbyint(x);  // default rounding mode: to nearest, ties to even
  if (rounded >= kUpper) return std::numeric_limits<T>::max();
  if (rounded <= kLower) return std::numeric_limits<T>::min();
  return static_cast<T>(rounded);
}

// Converts `count` floats to integers of type T (see F32ToInteger).
template <typename T>
void F32ToIntegers(const float* in, void* out, size_t count) noexcept {
  auto* dst = static_cast<T*>(out);
  for (size_t i = 0; i < count; ++i) dst[i] = F32ToInteger<T>(in[i]);
}

}  // namespace

void ConvertToF32(DType from, const void* in, float* out, size_t count) noexcept {
  switch (from) {
    case DType::kF32:
      if (count != 0) std::memcpy(out, in, count * sizeof(float));
      return;
    case DType::kF16:
      return ConvertF16ToF32(static_cast<const uint16_t*>(in), out, count);
    case DType::kBF16:
      return ConvertBF16ToF32(static_cast<const uint16_t*>(in), out, count);
    case DType::kF8E4M3:
      return ConvertF8E4M3ToF32(static_cast<const uint8_t*>(in), out, count);
    case DType::kF8E5M2:
      return ConvertF8E5M2ToF32(static_cast<const uint8_t*>(in), out, count);
    case DType::kI8:
      return IntegersToF32<int8_t>(in, out, count);
    case DType::kU8:
      return IntegersToF32<uint8_t>(in, out, count);
    case DType::kI16:
      return IntegersToF32<int16_t>(in, out, count);
    case DType::kU16:
      return IntegersToF32<uint16_t>(in, out, count);
    case DType::kI32:
      return IntegersToF32<int32_t>(in, out, count);
    case DType::kI64:
      return IntegersToF32<int64_t>(in, out, count);
    case DType::kF64:
      return IntegersToF32<double>(in, out, count);  // rounds to nearest like the integers
  }
}

void ConvertFromF32(DType to, const float* in, void* out, size_t count) noexcept {
  switch (to) {
    case DType::kF32:
      if (count != 0) std::memcpy(out, in, count * sizeof(float));
      return;
    case DType::kF16:
      return ConvertF32ToF16(in, static_cast<uint16_t*>(out), count);
    case DType::kBF16:
      return ConvertF32ToBF16(in, static_cast<uint16_t*>(out), count);
    case DType::kF8E4M3:
      return ConvertF32ToF8E4M3(in, static_cast<uint8_t*>(out), count);
    case DType::kF8E5M2:
      return ConvertF32ToF8E5M2(in, static_cast<uint8_t*>(out), count);
    case DType::kI8:
      return F32ToIntegers<int8_t>(in, out, count);
    case DType::kU8:
      return F32ToIntegers<uint8_t>(in, out, count);
    case DType::kI16:
      return F32ToIntegers<int16_t>(in, out, count);
    case DType::kU16:
      return F32ToIntegers<uint16_t>(in, out, count);
    case DType::kI32:
      return F32ToIntegers<int32_t>(in, out, count);
    case DType::kI64:
      return F32ToIntegers<int64_t>(in, out, count);
    case DType::kF64:
      for (size_t i = 0; i < count; ++i) static_cast<double*>(out)[i] = in[i];  // exact
      return;
  }
}

}  // namespace shrink

#endif  // HWY_ONCE
