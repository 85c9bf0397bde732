// SpqrQuantizer::Decompress: validates every section of an "spqr" tensor, then decodes it.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "shrink/core/float_codec.h"
#include "shrink/quant/spqr.h"
#include "src/core/parallel.h"
#include "src/quant/spqr_layout.h"

namespace shrink {
namespace {

// Returns the layout a tensor's metadata and shape declare (throws kCorruptData when invalid).
SpqrLayout DeclaredLayout(const CompressedTensor& t) {
  const Shape& shape = t.shape();
  if (shape.rank() != 2 || shape.rows() <= 0 || shape.cols() <= 0) {
    Fail(ErrorCode::kCorruptData, "spqr tensor has shape ", shape.ToString(), ", expected a non-empty 2-D shape");
  }
  SpqrSettings s;
  s.bits = static_cast<int>(t.MetaInt("bits", 2, 8));
  s.stat_bits = static_cast<int>(t.MetaInt("stat_bits", 2, 8));
  s.group = t.MetaInt("group", 2, 1024);
  s.outlier_capacity = t.MetaInt("outlier_capacity", 0, shape.cols());
  s.permuted = t.MetaInt("permuted", 0, 1) == 1;
  return SpqrLayout(shape.rows(), shape.cols(), s);
}

// Checks the sections against `layout` and returns their bytes in layout order.
std::vector<const uint8_t*> CheckedSections(const CompressedTensor& t, const SpqrLayout& layout) {
  const std::vector<CompressedSection> declared = layout.Sections();
  if (t.sections().size() != declared.size()) {
    Fail(ErrorCode::kCorruptData, "spqr tensor has ", t.sections().size(), " sections, its metadata declares ",
         declared.size());
  }
  std::vector<const uint8_t*> bytes;
  for (const CompressedSection& d : declared) {
    const size_t size = static_cast<size_t>(d.shape.num_elements()) * DTypeSize(d.dtype);
    bytes.push_back(t.Section(d.name, d.dtype, size).bytes.data());
  }
  return bytes;
}

void CheckFiniteF16(const uint8_t* p, int64_t n, const char* what) {
  for (int64_t i = 0; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, p + i * 2, 2);
    if (!std::isfinite(F16ToF32Ref(h))) Fail(ErrorCode::kCorruptData, "spqr ", what, " value ", i, " is not finite");
  }
}

void CheckOutliers(const SpqrLayout& l, const uint8_t* counts, const uint8_t* cols, const uint8_t* values) {
  const int64_t capacity = l.settings.outlier_capacity;
  for (int64_t r = 0; r < l.rows; ++r) {
    const int64_t count = LoadIndex(counts, l.index_dtype, r);
    if (count < 0 || count > capacity) {
      Fail(ErrorCode::kCorruptData, "spqr row ", r, " claims ", count, " outliers, its capacity is ", capacity);
    }
    for (int64_t i = 0; i < count; ++i) {
      const int64_t c = LoadIndex(cols, l.index_dtype, r * capacity + i);
      if (c < 0 || c >= l.cols) {
        Fail(ErrorCode::kCorruptData, "spqr row ", r, " outlier ", i, " has column ", c, ", expected [0, ", l.cols,
             ")");
      }
    }
  }
  CheckFiniteF16(values, l.rows * capacity, "outlier");
}

// Returns the processing order stored in `perm`, checked to be a permutation of the columns.
std::vector<int64_t> CheckedOrder(const SpqrLayout& l, const uint8_t* perm) {
  std::vector<int64_t> order(static_cast<size_t>(l.cols));
  std::vector<bool> seen(static_cast<size_t>(l.cols), false);
  for (int64_t k = 0; k < l.cols; ++k) {
    const int64_t c = perm ? LoadIndex(perm, l.index_dtype, k) : k;
    if (c < 0 || c >= l.cols || seen[static_cast<size_t>(c)]) {
      Fail(ErrorCode::kCorruptData, "spqr column order entry ", k, " = ", c, " is not a permutation of [0, ",
           l.cols, ")");
    }
    seen[static_cast<size_t>(c)] = true;
    order[static_cast<size_t>(k)] = c;
  }
  return order;
}

}  // namespace

void SpqrQuantizer::Decompress(const CompressedTensor& compressed, TensorView<float> out) const {
  if (compressed.format() != "spqr") {
    Fail(ErrorCode::kInvalidArgument, "spqr cannot decode a '", compressed.format(),
         "' tensor; create its decoder with Registry::CreateDecoder");
  }
  const SpqrLayout l = DeclaredLayout(compressed);
  if (out.shape() != compressed.shape()) {
    Fail(ErrorCode::kShapeMismatch, "spqr: output ", out.shape().ToString(), " for a tensor of ",
         compressed.shape().ToString());
  }
  const std::vector<const uint8_t*> s = CheckedSections(compressed, l);
  const uint8_t *codes = s[0], *scale_codes = s[1], *zero_codes = s[2], *stats = s[3];
  CheckFiniteF16(stats, l.groups * l.stat_groups * 4, "statistic");
  const bool has_outliers = l.settings.outlier_capacity > 0;
  if (has_outliers) CheckOutliers(l, s[4], s[5], s[6]);
  const std::vector<int64_t> order = CheckedOrder(l, l.settings.permuted ? s.back() : nullptr);

  ParallelFor(l.rows, [&](int64_t r) {
    const uint8_t* row_codes = codes + r * l.code_bytes;
    for (int64_t g = 0; g < l.groups; ++g) {
      uint16_t h[4];
      std::memcpy(h, stats + ((g * l.stat_groups + r / kSpqrStatGroup) * 4) * 2, sizeof(h));
      const float scale = F16ToF32Ref(h[1]) + F16ToF32Ref(h[0]) * static_cast<float>(UnpackBits(
                                                   scale_codes + g * l.stat_code_bytes, r, l.settings.stat_bits));
      const float zero = F16ToF32Ref(h[3]) + F16ToF32Ref(h[2]) * static_cast<float>(UnpackBits(
                                                  zero_codes + g * l.stat_code_bytes, r, l.settings.stat_bits));
      const int64_t end = std::min(l.cols, (g + 1) * l.settings.group);
      for (int64_t k = g * l.settings.group; k < end; ++k) {
        const float q = static_cast<float>(UnpackBits(row_codes, k, l.settings.bits));
        out(r, order[static_cast<size_t>(k)]) = scale * (q - zero);
      }
    }
    if (!has_outliers) return;
    const int64_t capacity = l.settings.outlier_capacity;
    for (int64_t i = 0, count = LoadIndex(s[4], l.index_dtype, r); i < count; ++i) {
      uint16_t h;
      std::memcpy(&h, s[6] + (r * capacity + i) * 2, 2);
      out(r, LoadIndex(s[5], l.index_dtype, r * capacity + i)) = F16ToF32Ref(h);
    }
  });
}

}  // namespace shrink
