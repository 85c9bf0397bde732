// Dynamic dispatch of the integer dot kernels of ggml's legacy and iq4 block types, and their
// scalar Ref twin.
#include "src/kernels/formats/ggml_legacy_q8dot.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/kernels/formats/ggml_legacy_q8dot.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "src/kernels/formats/ggml_legacy_q8dot-inl.h"

// Per-target entry point: one switch on the type per row, then the type's template kernel.
HWY_BEFORE_NAMESPACE();
namespace shrink {
namespace kernels {
namespace HWY_NAMESPACE {

float GgmlLegacyDotQ8Row(LegacyType type, const uint8_t* blocks, int64_t cols, const Q8Input& x) {
#if HWY_TARGET == HWY_SCALAR  // no byte shuffles for the iq4 levels: the Ref serves every type
  return GgmlLegacyDotQ8RowRef(type, blocks, cols, x);
#else
  switch (type) {
    case LegacyType::kQ4_0: return DotQ8Row<LegacyType::kQ4_0>(blocks, cols, x);
    case LegacyType::kQ4_1: return DotQ8Row<LegacyType::kQ4_1>(blocks, cols, x);
    case LegacyType::kQ5_0: return DotQ8Row<LegacyType::kQ5_0>(blocks, cols, x);
    case LegacyType::kQ5_1: return DotQ8Row<LegacyType::kQ5_1>(blocks, cols, x);
    case LegacyType::kQ8_0: return DotQ8Row<LegacyType::kQ8_0>(blocks, cols, x);
    case LegacyType::kIq4Nl: return DotQ8Row<LegacyType::kIq4Nl>(blocks, cols, x);
    case LegacyType::kIq4Xs: break;
  }
  return DotQ8Row<LegacyType::kIq4Xs>(blocks, cols, x);
#endif
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace shrink
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace shrink::kernels {
HWY_EXPORT(GgmlLegacyDotQ8Row);

float GgmlLegacyDotQ8Row(ggml_legacy::LegacyType type, const uint8_t* blocks, int64_t cols,
                         const Q8Input& x) noexcept {
  return HWY_DYNAMIC_DISPATCH(GgmlLegacyDotQ8Row)(type, blocks, cols, x);
}

float GgmlLegacyDotQ8RowRef(ggml_legacy::LegacyType type, const uint8_t* blocks, int64_t cols,
                            const Q8Input& x) noexcept {
  const int elems = ggml_legacy::BlockElems(type);
  double total = 0.0;
  for (int64_t j = 0; j < cols; ++j) {
    const uint8_t* block = blocks + (j / elems) * ggml_legacy::BlockBytes(type);
    const double w = ggml_legacy::DecodeWeightRef(type, block, static_cast<int>(j % elems));
    total += w * (static_cast<double>(x.scale[j / kQ8ActivationBlock]) * x.codes[j]);
  }
  return static_cast<float>(total);
}

}  // namespace shrink::kernels
#endif  // HWY_ONCE
