// Dynamic dispatch of the ggml legacy and iq4 row kernels, and their scalar Ref twins.
#include "src/kernels/formats/ggml_legacy.h"

#include <type_traits>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/kernels/formats/ggml_legacy.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "src/kernels/formats/ggml_iq4-inl.h"
#include "src/kernels/formats/ggml_legacy-inl.h"

// Per-target entry points: one switch on the type per row, then the type's template kernel.
HWY_BEFORE_NAMESPACE();
namespace shrink {
namespace kernels {
namespace HWY_NAMESPACE {

// Returns visit(t) with t a std::integral_constant holding the runtime `type`.
template <class Visit>
HWY_INLINE auto VisitLegacyType(LegacyType type, Visit&& visit) {
  using T = LegacyType;
  switch (type) {
    case T::kQ4_0: return visit(std::integral_constant<T, T::kQ4_0>());
    case T::kQ4_1: return visit(std::integral_constant<T, T::kQ4_1>());
    case T::kQ5_0: return visit(std::integral_constant<T, T::kQ5_0>());
    case T::kQ5_1: return visit(std::integral_constant<T, T::kQ5_1>());
    case T::kQ8_0: return visit(std::integral_constant<T, T::kQ8_0>());
    case T::kIq4Nl: return visit(std::integral_constant<T, T::kIq4Nl>());
    case T::kIq4Xs: break;
  }
  return visit(std::integral_constant<T, T::kIq4Xs>());
}

// The SCALAR target has no byte shuffles for the iq4 level table: it runs the Ref kernels.
#define SHRINK_GGML_IQ4_SIMD (HWY_TARGET != HWY_SCALAR)

void GgmlLegacyQuantizeRow(LegacyType type, const float* x, int64_t cols, uint8_t* blocks) {
  VisitLegacyType(type, [&](auto t) {
    if constexpr (!ggml_legacy::IsIq4(t)) {
      QuantizeLinearRow<decltype(t)::value>(x, cols, blocks);
    } else {
#if SHRINK_GGML_IQ4_SIMD
      QuantizeIq4Row<decltype(t)::value>(x, cols, blocks);
#else
      GgmlLegacyQuantizeRowRef(type, x, cols, blocks);
#endif
    }
  });
}

void GgmlLegacyEncodeRow(LegacyType type, const float* x, int64_t cols, uint8_t* blocks) {
  VisitLegacyType(type, [&](auto t) {
    if constexpr (!ggml_legacy::IsIq4(t)) {
      EncodeLinearRow<decltype(t)::value>(x, cols, blocks);
    } else {
#if SHRINK_GGML_IQ4_SIMD
      EncodeIq4Row<decltype(t)::value>(x, cols, blocks);
#else
      GgmlLegacyEncodeRowRef(type, x, cols, blocks);
#endif
    }
  });
}

void GgmlLegacyDequantizeRow(LegacyType type, const uint8_t* blocks, int64_t cols, float* out) {
  VisitLegacyType(type, [&](auto t) {
    if constexpr (!ggml_legacy::IsIq4(t)) {
      DequantizeLinearRow<decltype(t)::value>(blocks, cols, out);
    } else {
#if SHRINK_GGML_IQ4_SIMD
      DequantizeIq4Row<decltype(t)::value>(blocks, cols, out);
#else
      GgmlLegacyDequantizeRowRef(type, blocks, cols, out);
#endif
    }
  });
}

float GgmlLegacyDotRow(LegacyType type, const uint8_t* blocks, int64_t cols, const float* x) {
  return VisitLegacyType(type, [&](auto t) -> float {
    if constexpr (!ggml_legacy::IsIq4(t)) {
      return DotLinearRow<decltype(t)::value>(blocks, cols, x);
    } else {
#if SHRINK_GGML_IQ4_SIMD
      return DotIq4Row<decltype(t)::value>(blocks, cols, x);
#else
      return GgmlLegacyDotRowRef(type, blocks, cols, x);
#endif
    }
  });
}

#undef SHRINK_GGML_IQ4_SIMD

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace shrink
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "src/formats/ggml_iq4_fit.h"
#include "src/formats/ggml_legacy_fit.h"

namespace shrink::kernels {
HWY_EXPORT(GgmlLegacyQuantizeRow);
HWY_EXPORT(GgmlLegacyEncodeRow);
HWY_EXPORT(GgmlLegacyDequantizeRow);
HWY_EXPORT(GgmlLegacyDotRow);

namespace {

using ggml_legacy::BlockBytes;
using ggml_legacy::BlockElems;
using ggml_legacy::LegacyType;

// Writes the nearest codes of one block's weights `x` under its stored header.
void EncodeBlockRef(LegacyType type, const float* x, uint8_t* block) {
  uint8_t codes[ggml_legacy::kIq4XsBlock];
  for (int j = 0; j < BlockElems(type); ++j) {
    const ggml_legacy::SubBlockMap map = ggml_legacy::SubBlockMapOf(type, block, j / ggml_legacy::kSubBlock);
    codes[j] = static_cast<uint8_t>(ggml_legacy::NearestCode(type, map, x[j]));
  }
  ggml_legacy::PutBlockCodes(type, codes, block);
}

}  // namespace

void GgmlLegacyQuantizeRow(LegacyType type, const float* x, int64_t cols, uint8_t* blocks) noexcept {
  HWY_DYNAMIC_DISPATCH(GgmlLegacyQuantizeRow)(type, x, cols, blocks);
}

void GgmlLegacyEncodeRow(LegacyType type, const float* x, int64_t cols, uint8_t* blocks) noexcept {
  HWY_DYNAMIC_DISPATCH(GgmlLegacyEncodeRow)(type, x, cols, blocks);
}

void GgmlLegacyDequantizeRow(LegacyType type, const uint8_t* blocks, int64_t cols, float* out) noexcept {
  HWY_DYNAMIC_DISPATCH(GgmlLegacyDequantizeRow)(type, blocks, cols, out);
}

float GgmlLegacyDotRow(LegacyType type, const uint8_t* blocks, int64_t cols, const float* x) noexcept {
  return HWY_DYNAMIC_DISPATCH(GgmlLegacyDotRow)(type, blocks, cols, x);
}

void GgmlLegacyQuantizeRowRef(LegacyType type, const float* x, int64_t cols, uint8_t* blocks) noexcept {
  for (int64_t begin = 0; begin < cols; begin += BlockElems(type), x += BlockElems(type), blocks += BlockBytes(type)) {
    if (ggml_legacy::IsIq4(type)) {
      ggml_legacy::FitIq4Fast(type, x, blocks);
    } else {
      ggml_legacy::FitLinearFast(type, x, blocks);
    }
    EncodeBlockRef(type, x, blocks);
  }
}

void GgmlLegacyEncodeRowRef(LegacyType type, const float* x, int64_t cols, uint8_t* blocks) noexcept {
  for (int64_t begin = 0; begin < cols; begin += BlockElems(type), x += BlockElems(type), blocks += BlockBytes(type)) {
    EncodeBlockRef(type, x, blocks);
  }
}

void GgmlLegacyDequantizeRowRef(LegacyType type, const uint8_t* blocks, int64_t cols, float* out) noexcept {
  for (int64_t j = 0; j < cols; ++j) {
    const uint8_t* block = blocks + (j / BlockElems(type)) * BlockBytes(type);
    out[j] = ggml_legacy::DecodeWeightRef(type, block, static_cast<int>(j % BlockElems(type)));
  }
}

float GgmlLegacyDotRowRef(LegacyType type, const uint8_t* blocks, int64_t cols, const float* x) noexcept {
  double total = 0.0;
  for (int64_t j = 0; j < cols; ++j) {
    const uint8_t* block = blocks + (j / BlockElems(type)) * BlockBytes(type);
    total += static_cast<double>(ggml_legacy::DecodeWeightRef(type, block, static_cast<int>(j % BlockElems(type)))) * x[j];
  }
  return static_cast<float>(total);
}

}  // namespace shrink::kernels
#endif  // HWY_ONCE
