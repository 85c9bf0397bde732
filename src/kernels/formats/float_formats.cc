// Dynamic dispatch of the float-like format row kernels, their scalar Ref twins and codebooks.
#include "src/kernels/formats/float_formats.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/kernels/formats/float_formats.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "src/kernels/formats/float_formats-inl.h"

#if HWY_ONCE
#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include "shrink/formats/quant_format.h"

namespace shrink {
namespace {

// Returns a key that orders floats as numbers (-0 just below +0), for bisection over floats.
uint32_t OrderedKey(float f) {
  const uint32_t u = F32Bits(f);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}
float FromOrderedKey(uint32_t key) { return F32FromBits((key & 0x80000000u) ? (key & 0x7FFFFFFFu) : ~key); }

// The weighted squared error of one block at multiplier m and its least-squares sums (xv, vv),
// each summed in weight order from 0; Quantize4BitRow documents each term.
struct BlockFit {
  float error = 0.0f;
  float xv = 0.0f;
  float vv = 0.0f;
};
BlockFit FitAt(const float* x, const float* importance, int64_t n, const Codebook4& cb, float m) {
  BlockFit fit;
  for (int64_t j = 0; j < n; ++j) {
    const float w = importance ? importance[j] : 1.0f;
    const float v = cb.level_value[static_cast<size_t>(LevelOf4Ref(cb, x[j], m))];
    const float diff = x[j] - v * m;
    fit.error += w * (diff * diff);
    fit.xv += (w * x[j]) * v;
    fit.vv += (w * v) * v;
  }
  return fit;
}

// Returns the least-squares scale of `fit`, or `fallback` when it is not finite and > 0.
BlockScale RefitBlockScale(const BlockFit& fit, const BlockScale& fallback) {
  const float s = fit.vv > 0.0f ? fit.xv / fit.vv : 0.0f;
  return s > 0.0f && std::isfinite(s) ? F32BlockScale(s) : fallback;
}

// Returns the first of the candidates with the least error at x (see Quantize4BitRow).
BlockScale ChooseBlockScaleRef(const float* x, const float* importance, const Quant4Spec& spec, float tensor_scale) {
  float amax = 0.0f;
  for (int64_t j = 0; j < spec.block; ++j) amax = std::max(amax, std::fabs(x[j]));
  const BlockScale first = SpecBlockScale(spec.scale_code, amax, tensor_scale);
  BlockScale candidates[4] = {first};
  int count = 1;
  switch (spec.scale_code) {
    case BlockScaleCode::kF32: {
      const BlockScale probe = F32BlockScale(kNf4ProbeFraction * amax);
      candidates[count++] = probe;
      for (const BlockScale& at : {first, probe}) {
        candidates[count++] = RefitBlockScale(FitAt(x, importance, spec.block, *spec.codebook, at.multiplier), first);
      }
      break;
    }
    case BlockScaleCode::kE8M0:
      if (first.stored < 254) candidates[count++] = E8M0BlockScale(static_cast<int>(first.stored) - 126);
      break;
    case BlockScaleCode::kE4M3:
      if (first.stored < F8E4M3Format::kMaxCode) candidates[count++] = E4M3BlockScale(first.stored + 1, tensor_scale);
      if (first.stored > 0) candidates[count++] = E4M3BlockScale(first.stored - 1, tensor_scale);
      break;
  }
  BlockScale best = first;
  float best_error = FitAt(x, importance, spec.block, *spec.codebook, first.multiplier).error;
  for (int k = 1; k < count; ++k) {
    const float error = FitAt(x, importance, spec.block, *spec.codebook, candidates[k].multiplier).error;
    if (error < best_error) {
      best = candidates[k];
      best_error = error;
    }
  }
  return best;
}

template <class Fmt>
void QuantizeFp8Ref(const float* x, int64_t n, float scale, uint8_t* codes) {
  for (int64_t j = 0; j < n; ++j) codes[j] = Fp8EncodeRef<Fmt>(x[j], scale);
}
template <class Fmt>
void DequantizeFp8Ref(const uint8_t* codes, int64_t n, float scale, float* out) {
  for (int64_t j = 0; j < n; ++j) out[j] = DecodeSmallFloatRef<Fmt>(codes[j]) * scale;
}

}  // namespace

Codebook4 MakeCodebook4(const std::array<float, 16>& code_value) {
  std::vector<std::pair<float, uint8_t>> levels;  // (value, code), -0 dropped
  for (int c = 0; c < 16; ++c) {
    const float v = code_value[static_cast<size_t>(c)];
    if (!(v == 0.0f && std::signbit(v))) levels.emplace_back(v, static_cast<uint8_t>(c));
  }
  std::sort(levels.begin(), levels.end());
  Codebook4 cb;
  cb.num_levels = static_cast<int>(levels.size());
  cb.code_value = code_value;
  LevelTable table;
  for (size_t i = 0; i < 16; ++i) {
    const auto& level = levels[std::min(i, levels.size() - 1)];
    cb.level_value[i] = level.first;
    cb.level_code[i] = level.second;
    if (i < levels.size()) table.values.push_back(level.first);
  }
  // threshold[k]: the least float that LevelTable::Nearest puts above level k, by bisection
  // over the floats between levels k and k+1 (Nearest is monotone in t).
  cb.threshold.fill(std::numeric_limits<float>::quiet_NaN());
  for (int k = 0; k + 1 < cb.num_levels; ++k) {
    uint32_t below = OrderedKey(cb.level_value[static_cast<size_t>(k)]);
    uint32_t above = OrderedKey(cb.level_value[static_cast<size_t>(k + 1)]);
    while (above - below > 1) {
      const uint32_t mid = below + (above - below) / 2;
      (table.Nearest(FromOrderedKey(mid)) > k ? above : below) = mid;
    }
    cb.threshold[static_cast<size_t>(k)] = FromOrderedKey(above);
  }
  return cb;
}

HWY_EXPORT(Quantize4BitRow);
HWY_EXPORT(Fit4BitBlock);
HWY_EXPORT(Dequantize4BitRow);
HWY_EXPORT(Dot4BitRow);
HWY_EXPORT(QuantizeFp8Row);
HWY_EXPORT(DequantizeFp8Row);
HWY_EXPORT(DotFp8Row);
HWY_EXPORT(AbsMax);

namespace kernels {

void Quantize4BitRow(const float* x, const float* importance, int64_t cols, const Quant4Spec& spec,
                     float tensor_scale, uint8_t* packed, uint8_t* scales) noexcept {
  HWY_DYNAMIC_DISPATCH(Quantize4BitRow)(x, importance, cols, spec, tensor_scale, packed, scales);
}

void Quantize4BitRowRef(const float* x, const float* importance, int64_t cols, const Quant4Spec& spec,
                        float tensor_scale, uint8_t* packed, uint8_t* scales) noexcept {
  const Codebook4& cb = *spec.codebook;
  for (int64_t at = 0; at < cols; at += spec.block) {
    const BlockScale scale = ChooseBlockScaleRef(x + at, importance ? importance + at : nullptr, spec, tensor_scale);
    StoreBlockScale(spec.scale_code, scales, at / spec.block, scale.stored);
    for (int64_t j = at; j < at + spec.block; j += 2) {
      const auto code = [&](int64_t i) {
        return static_cast<uint8_t>(cb.level_code[static_cast<size_t>(LevelOf4Ref(cb, x[i], scale.multiplier))]);
      };
      packed[j / 2] = PackNibblesRef(code(j), code(j + 1), spec.high_nibble_first);
    }
  }
}

float Fit4BitBlock(const float* x, const float* importance, int64_t block_index, const Quant4Spec& spec,
                   float tensor_scale, uint8_t* scales) noexcept {
  return HWY_DYNAMIC_DISPATCH(Fit4BitBlock)(x, importance, block_index, spec, tensor_scale, scales);
}

float Fit4BitBlockRef(const float* x, const float* importance, int64_t block_index, const Quant4Spec& spec,
                      float tensor_scale, uint8_t* scales) noexcept {
  const BlockScale scale = ChooseBlockScaleRef(x, importance, spec, tensor_scale);
  StoreBlockScale(spec.scale_code, scales, block_index, scale.stored);
  return scale.multiplier;
}

void Dequantize4BitRow(const uint8_t* packed, const uint8_t* scales, int64_t cols, const Quant4Spec& spec,
                       float tensor_scale, float* out) noexcept {
  HWY_DYNAMIC_DISPATCH(Dequantize4BitRow)(packed, scales, cols, spec, tensor_scale, out);
}

void Dequantize4BitRowRef(const uint8_t* packed, const uint8_t* scales, int64_t cols, const Quant4Spec& spec,
                          float tensor_scale, float* out) noexcept {
  for (int64_t j = 0; j < cols; ++j) {
    const float m = BlockMultiplier(spec.scale_code, scales, j / spec.block, tensor_scale);
    out[j] = spec.codebook->code_value[NibbleRef(packed, j, spec.high_nibble_first)] * m;
  }
}

float Dot4BitRow(const uint8_t* packed, const uint8_t* scales, int64_t cols, const Quant4Spec& spec,
                 float tensor_scale, const float* x) noexcept {
  return HWY_DYNAMIC_DISPATCH(Dot4BitRow)(packed, scales, cols, spec, tensor_scale, x);
}

float Dot4BitRowRef(const uint8_t* packed, const uint8_t* scales, int64_t cols, const Quant4Spec& spec,
                    float tensor_scale, const float* x) noexcept {
  double total = 0.0;
  for (int64_t j = 0; j < cols; ++j) {
    const float m = BlockMultiplier(spec.scale_code, scales, j / spec.block, tensor_scale);
    total += static_cast<double>(spec.codebook->code_value[NibbleRef(packed, j, spec.high_nibble_first)] * m) * x[j];
  }
  return static_cast<float>(total);
}

void QuantizeFp8Row(DType dtype, const float* x, int64_t n, float scale, uint8_t* codes) noexcept {
  HWY_DYNAMIC_DISPATCH(QuantizeFp8Row)(dtype, x, n, scale, codes);
}

void QuantizeFp8RowRef(DType dtype, const float* x, int64_t n, float scale, uint8_t* codes) noexcept {
  if (dtype == DType::kF8E4M3) return QuantizeFp8Ref<F8E4M3Format>(x, n, scale, codes);
  QuantizeFp8Ref<F8E5M2Format>(x, n, scale, codes);
}

void DequantizeFp8Row(DType dtype, const uint8_t* codes, int64_t n, float scale, float* out) noexcept {
  HWY_DYNAMIC_DISPATCH(DequantizeFp8Row)(dtype, codes, n, scale, out);
}

void DequantizeFp8RowRef(DType dtype, const uint8_t* codes, int64_t n, float scale, float* out) noexcept {
  if (dtype == DType::kF8E4M3) return DequantizeFp8Ref<F8E4M3Format>(codes, n, scale, out);
  DequantizeFp8Ref<F8E5M2Format>(codes, n, scale, out);
}

float DotFp8Row(DType dtype, const uint8_t* codes, int64_t n, float scale, const float* x) noexcept {
  return HWY_DYNAMIC_DISPATCH(DotFp8Row)(dtype, codes, n, scale, x);
}

float DotFp8RowRef(DType dtype, const uint8_t* codes, int64_t n, float scale, const float* x) noexcept {
  double total = 0.0;
  for (int64_t j = 0; j < n; ++j) {
    const float w = dtype == DType::kF8E4M3 ? F8E4M3ToF32Ref(codes[j]) : F8E5M2ToF32Ref(codes[j]);
    total += static_cast<double>(w * scale) * x[j];
  }
  return static_cast<float>(total);
}

float AbsMax(const float* x, int64_t n) noexcept { return HWY_DYNAMIC_DISPATCH(AbsMax)(x, n); }

}  // namespace kernels
}  // namespace shrink
#endif  // HWY_ONCE
