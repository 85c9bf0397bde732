// SpqrRounder: outlier-aware group fits, quantized statistics, column rounding with exact
// outliers, and the final packing into the "spqr" sections.
#include "src/quant/spqr_rounder.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "shrink/core/error.h"
#include "shrink/core/float_codec.h"
#include "src/core/parallel.h"

namespace shrink {

SpqrRounder::SpqrRounder(const InverseHessianFactor& factor, const SpqrLayout& layout, float tau)
    : factor_(factor),
      layout_(layout),
      tau_(tau),
      d_(static_cast<size_t>(layout.cols)),
      codes_(static_cast<size_t>(layout.rows * layout.cols)),
      scale_codes_(static_cast<size_t>(layout.groups * layout.rows)),
      zero_codes_(static_cast<size_t>(layout.groups * layout.rows)),
      stats_(static_cast<size_t>(layout.groups * layout.stat_groups * 4)),
      grid_(static_cast<size_t>(layout.rows)),
      outliers_(static_cast<size_t>(layout.rows)) {
  const float* u = factor.u.data<float>();
  for (int64_t k = 0; k < layout.cols; ++k) d_[static_cast<size_t>(k)] = u[k * layout.cols + k];
}

void SpqrRounder::QuantizeStats(const float* v, int64_t n, uint8_t* codes, uint16_t* step_min, float* decoded) const {
  const int max_code = (1 << layout_.settings.stat_bits) - 1;
  const float lo = *std::min_element(v, v + n), hi = *std::max_element(v, v + n);
  step_min[0] = F32ToF16Ref((hi - lo) / static_cast<float>(max_code));
  step_min[1] = F32ToF16Ref(lo);
  const float step = F16ToF32Ref(step_min[0]), min = F16ToF32Ref(step_min[1]);
  for (int64_t i = 0; i < n; ++i) {
    const float t = step > 0.0f ? std::nearbyint((v[i] - min) / step) : 0.0f;
    const int code = t > 0.0f ? static_cast<int>(std::min(t, static_cast<float>(max_code))) : 0;
    codes[i] = static_cast<uint8_t>(code);
    decoded[i] = min + step * static_cast<float>(code);
  }
}

void SpqrRounder::FitGroup(int64_t k, const float* wt, int64_t r0, int64_t r1) {
  const int64_t rows = layout_.rows, g = k / layout_.settings.group;
  const int64_t n = std::min(layout_.settings.group, layout_.cols - k);
  const int max_code = (1 << layout_.settings.bits) - 1;
  const size_t capacity = static_cast<size_t>(layout_.settings.outlier_capacity);
  const bool outliers = capacity > 0;
  std::vector<float> x(static_cast<size_t>(n)), reduction(static_cast<size_t>(n));
  std::vector<int64_t> likely;
  std::vector<bool> excluded;
  std::vector<float> scale(static_cast<size_t>(r1 - r0)), zero(static_cast<size_t>(r1 - r0));
  for (int64_t r = r0; r < r1; ++r) {
    for (int64_t j = 0; j < n; ++j) x[static_cast<size_t>(j)] = wt[(k + j) * rows + r];
    if (outliers) {
      // Fit without the likely outliers the row still has slots for (largest error drop first),
      // each replaced by the mean of the others; a weight left in is one the grid must cover.
      LeaveOneOutReduction(x.data(), d_.data() + k, n, max_code, reduction.data());
      likely.clear();
      for (int64_t j = 0; j < n; ++j) {
        if (reduction[static_cast<size_t>(j)] > tau_) likely.push_back(j);
      }
      const size_t slots = capacity - std::min(capacity, outliers_[static_cast<size_t>(r)].size());
      std::stable_sort(likely.begin(), likely.end(), [&](int64_t a, int64_t b) {
        return reduction[static_cast<size_t>(a)] > reduction[static_cast<size_t>(b)];
      });
      likely.resize(std::min(likely.size(), slots));
      excluded.assign(static_cast<size_t>(n), false);
      for (int64_t j : likely) excluded[static_cast<size_t>(j)] = true;
      float sum = 0.0f;
      int64_t kept = 0;
      for (int64_t j = 0; j < n; ++j) {
        if (!excluded[static_cast<size_t>(j)]) {
          sum += x[static_cast<size_t>(j)];
          ++kept;
        }
      }
      const float mean = kept > 0 ? sum / static_cast<float>(kept) : 0.0f;
      for (int64_t j : likely) x[static_cast<size_t>(j)] = mean;
    }
    const SpqrGrid grid = FitMinMaxGrid(x.data(), n, max_code);
    scale[static_cast<size_t>(r - r0)] = grid.scale;
    zero[static_cast<size_t>(r - r0)] = grid.zero;
  }
  float decoded_scale[kSpqrStatGroup], decoded_zero[kSpqrStatGroup];
  for (int64_t a = r0; a < r1; a += kSpqrStatGroup) {
    const int64_t m = std::min(kSpqrStatGroup, r1 - a);
    uint16_t* stats = stats_.data() + (g * layout_.stat_groups + a / kSpqrStatGroup) * 4;
    QuantizeStats(scale.data() + (a - r0), m, scale_codes_.data() + g * rows + a, stats, decoded_scale);
    QuantizeStats(zero.data() + (a - r0), m, zero_codes_.data() + g * rows + a, stats + 2, decoded_zero);
    for (int64_t r = a; r < a + m; ++r) {
      grid_[static_cast<size_t>(r)] = SpqrGrid{decoded_scale[r - a], decoded_zero[r - a], max_code};
    }
  }
}

void SpqrRounder::Round(int64_t k, const float* wt, int64_t rows, const float* w, float* q, int64_t r0, int64_t r1) {
  if (r0 % kSpqrStatGroup != 0 || (r1 % kSpqrStatGroup != 0 && r1 != rows)) {
    Fail(ErrorCode::kInternal, "spqr: rows [", r0, ", ", r1, ") split a statistic group of ", kSpqrStatGroup,
         " rows; the error-feedback loop must hand out row ranges aligned to it");
  }
  if (k % layout_.settings.group == 0) FitGroup(k, wt, r0, r1);
  const float d = d_[static_cast<size_t>(k)];
  const size_t capacity = static_cast<size_t>(layout_.settings.outlier_capacity);
  for (int64_t r = r0; r < r1; ++r) {
    const SpqrGrid& grid = grid_[static_cast<size_t>(r)];
    int code = grid.Code(w[r]);
    float value = grid.Decode(code);
    auto& row_outliers = outliers_[static_cast<size_t>(r)];
    const float e = (w[r] - value) / d;
    if (row_outliers.size() < capacity && e * e > tau_) {  // kept exactly; the code beneath is 0
      const uint16_t h = F32ToF16Ref(w[r]);
      row_outliers.emplace_back(k, h);
      value = F16ToF32Ref(h);
      code = 0;
    }
    codes_[static_cast<size_t>(r * layout_.cols + k)] = static_cast<uint8_t>(code);
    q[r - r0] = value;
  }
}

void SpqrRounder::Finish(CompressedTensor& out) const {
  const SpqrLayout& l = layout_;
  for (CompressedSection& s : l.Sections()) out.AddSection(s.name, s.dtype, s.shape);
  auto bytes = [&](const char* name) -> uint8_t* {
    for (CompressedSection& s : out.mutable_sections()) {
      if (s.name == name) return s.bytes.data();
    }
    Fail(ErrorCode::kInternal, "spqr: section '", name, "' was not laid out");
  };
  uint8_t* codes = bytes("codes");
  ParallelFor(l.rows, [&](int64_t r) {
    PackBits(codes_.data() + r * l.cols, l.cols, l.settings.bits, codes + r * l.code_bytes);
  });
  uint8_t* scale_codes = bytes("scale_codes");
  uint8_t* zero_codes = bytes("zero_codes");
  for (int64_t g = 0; g < l.groups; ++g) {
    PackBits(scale_codes_.data() + g * l.rows, l.rows, l.settings.stat_bits, scale_codes + g * l.stat_code_bytes);
    PackBits(zero_codes_.data() + g * l.rows, l.rows, l.settings.stat_bits, zero_codes + g * l.stat_code_bytes);
  }
  std::memcpy(bytes("stats"), stats_.data(), stats_.size() * sizeof(uint16_t));
  int64_t used = 0;
  if (l.settings.outlier_capacity > 0) {
    uint8_t* counts = bytes("outlier_counts");
    uint8_t* cols = bytes("outlier_cols");
    uint8_t* values = bytes("outlier_values");
    for (int64_t r = 0; r < l.rows; ++r) {
      const auto& row = outliers_[static_cast<size_t>(r)];
      StoreIndex(counts, l.index_dtype, r, static_cast<int64_t>(row.size()));
      for (size_t i = 0; i < row.size(); ++i) {
        const int64_t slot = r * l.settings.outlier_capacity + static_cast<int64_t>(i);
        StoreIndex(cols, l.index_dtype, slot, factor_.order[static_cast<size_t>(row[i].first)]);
        std::memcpy(values + slot * 2, &row[i].second, 2);
      }
      used += static_cast<int64_t>(row.size());
    }
  }
  if (l.settings.permuted) {
    uint8_t* perm = bytes("perm");
    for (int64_t k = 0; k < l.cols; ++k) StoreIndex(perm, l.index_dtype, k, factor_.order[static_cast<size_t>(k)]);
  }
  out.SetMeta("bits", std::to_string(l.settings.bits));
  out.SetMeta("stat_bits", std::to_string(l.settings.stat_bits));
  out.SetMeta("group", std::to_string(l.settings.group));
  out.SetMeta("outlier_capacity", std::to_string(l.settings.outlier_capacity));
  out.SetMeta("permuted", l.settings.permuted ? "1" : "0");
  out.SetMeta("outliers", std::to_string(used));
}

}  // namespace shrink
