// QuantFormat: the interface every quantized weight format implements (integer grids, nf4, fp8,
// mxfp4, nvfp4 and the ggml block types), so that every quantizer method can target every format.
//
// A format stores each row of a rows x cols weight independently, as one slice of every section
// it declares (a section is a [rows, row_elements] array of one dtype; ggml types have a single
// "blocks" section). Within a row, weights are fit in blocks of BlockSize() (the scale search
// of q4_k sees 256 weights, the group of an integer grid its group), and every sub-block of
// SubBlockSize() weights decodes on an affine map of one level table:
//     w = scale * Levels().values[level] + bias        (before the tensor scale)
// Quantizers use this in two steps, which is what lets GPTQ target any format: FitBlock
// chooses a block's header (and so each sub-block's affine) from the weights it sees, then
// each weight picks its nearest level, and PutLevels stores the chosen levels of a whole row.
// Formats with a per-tensor scale (nvfp4, fp8 per tensor) multiply everything by it and store
// it in a "tensor_scale" section of one f32.
#ifndef SHRINK_FORMATS_QUANT_FORMAT_H_
#define SHRINK_FORMATS_QUANT_FORMAT_H_

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "shrink/core/dtype.h"
#include "shrink/options.h"

namespace shrink {

// The levels codes decode to before a sub-block's affine map, ascending.
struct LevelTable {
  std::vector<float> values;  // ascending
  bool uniform = false;       // values are consecutive integers: nearest = round and clamp

  int size() const { return static_cast<int>(values.size()); }
  // Returns the index of the level nearest to `t` (ties to the lower level; NaN to 0).
  int Nearest(float t) const {
    if (uniform) {
      const float k = std::nearbyint(t - values.front());
      if (!(k > 0.0f)) return 0;
      return k >= static_cast<float>(size() - 1) ? size() - 1 : static_cast<int>(k);
    }
    int lo = 0, hi = size() - 1;  // binary search for the first level above t
    if (!(t > values[0])) return 0;
    if (t >= values[static_cast<size_t>(hi)]) return hi;
    while (hi - lo > 1) {
      const int mid = (lo + hi) / 2;
      (values[static_cast<size_t>(mid)] <= t ? lo : hi) = mid;
    }
    return t - values[static_cast<size_t>(lo)] <= values[static_cast<size_t>(hi)] - t ? lo : hi;
  }
};

// One sub-block's decoding map: w = scale * level_value + bias.
struct SubBlockGrid {
  float scale = 0.0f;
  float bias = 0.0f;

  // Returns the level index nearest to `w` (any index when the scale is 0).
  int NearestLevel(float w, const LevelTable& levels) const {
    return scale == 0.0f ? 0 : levels.Nearest((w - bias) / scale);
  }
  float Decode(int level, const LevelTable& levels) const {
    return scale * levels.values[static_cast<size_t>(level)] + bias;
  }
};

// Declares one section of a format: name, dtype and elements per row (0: a tensor-level section
// of `tensor_elements`).
struct FormatSection {
  std::string name;
  DType dtype = DType::kU8;
  int64_t row_elements = 0;
  int64_t tensor_elements = 0;

  size_t row_bytes() const { return static_cast<size_t>(row_elements) * DTypeSize(dtype); }
};

// The most sections any format has.
constexpr int kMaxFormatSections = 4;

// Points at one row's slice of every section, in the order of QuantFormat::Sections.
template <typename Byte>
struct BasicRowRef {
  std::array<Byte*, kMaxFormatSections> section{};
};
using RowRef = BasicRowRef<uint8_t>;
using ConstRowRef = BasicRowRef<const uint8_t>;

// Points into the sections of a quantized tensor, row by row. Built by BindQuantRows (writable,
// right after NewQuantTensor) or ValidateQuantRows (read-only, after checking every section and
// row); see formats/quant_tensor.h.
template <typename Byte>
class BasicQuantRows {
 public:
  BasicQuantRows(int64_t rows, int64_t cols, float tensor_scale, const std::array<Byte*, kMaxFormatSections>& base,
                 const std::array<size_t, kMaxFormatSections>& row_bytes)
      : rows_(rows), cols_(cols), tensor_scale_(tensor_scale), base_(base), row_bytes_(row_bytes) {}
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  float tensor_scale() const { return tensor_scale_; }
  BasicRowRef<Byte> Row(int64_t i) const {
    BasicRowRef<Byte> ref;
    for (int s = 0; s < kMaxFormatSections; ++s) {
      if (base_[s]) ref.section[s] = base_[s] + static_cast<size_t>(i) * row_bytes_[s];
    }
    return ref;
  }

 private:
  int64_t rows_, cols_;
  float tensor_scale_;
  std::array<Byte*, kMaxFormatSections> base_;
  std::array<size_t, kMaxFormatSections> row_bytes_;
};
using QuantRows = BasicQuantRows<uint8_t>;
using ConstQuantRows = BasicQuantRows<const uint8_t>;

// What a format may need to know about the whole tensor while fitting a block.
struct TensorContext {
  float min = 0.0f;           // of all weights (0 unless the format UsesTensorRange)
  float max = 0.0f;
  float tensor_scale = 1.0f;  // QuantFormat::TensorScale of the tensor (1 for most formats)
};

// A quantized weight format; see the file comment. Implementations are immutable and
// thread-safe.
class QuantFormat {
 public:
  virtual ~QuantFormat() = default;

  // Returns the format's name ("q4_k"), which with Meta() recreates it (MakeQuantFormat).
  virtual std::string Name() const = 0;
  // Returns the settings that are not implied by the name (an integer grid's group size...).
  virtual std::map<std::string, std::string> Meta() const { return {}; }
  // Returns "" when rows of `cols` weights fit this format, else what is wrong and what would work.
  virtual std::string CheckCols(int64_t cols) const = 0;
  // Returns the weights fit together / sharing one affine map, for rows of `cols` weights.
  virtual int64_t BlockSize(int64_t cols) const = 0;
  virtual int64_t SubBlockSize(int64_t cols) const = 0;
  // Returns the sections for rows of `cols` weights.
  virtual std::vector<FormatSection> Sections(int64_t cols) const = 0;
  virtual const LevelTable& Levels() const = 0;
  // Returns the exact average bits per weight for rows of `cols` weights (tensor-level sections
  // not counted).
  double BitsPerWeight(int64_t cols) const;

  // Returns the tensor scale for a tensor whose largest magnitude is `absmax` (1 = none).
  virtual bool UsesTensorScale() const { return false; }
  // Returns true when FitBlock reads the tensor's range (TensorContext min and max); formats
  // with a tensor scale need its largest magnitude.
  virtual bool UsesTensorRange() const { return UsesTensorScale(); }
  virtual float TensorScale(float absmax) const { return 1.0f; }

  // Chooses the header of the block of `n` weights `x` that starts at column `begin` of a row
  // (n < BlockSize only for an integer grid's last group), writing it into `row` and the
  // affine map of each of its sub-blocks into `grids`, in weight units (the tensor scale folded
  // in). `importance` (n non-negative weights, or null for all ones) weighs each weight's
  // squared error in the scale search.
  virtual void FitBlock(const float* x, const float* importance, int64_t n, int64_t begin,
                        const TensorContext& ctx, RowRef row, SubBlockGrid* grids) const = 0;
  // Stores one level index per weight of a row of `cols` weights whose blocks were all fit.
  virtual void PutLevels(const uint8_t* levels, int64_t cols, RowRef row) const = 0;

  // Quantizes a row: FitBlock, nearest level, PutLevels. Formats override it with SIMD kernels
  // that write the same bytes as their scalar encoder; those may break exact ties between two
  // levels differently from Nearest (fp8 rounds ties to even), at equal error.
  virtual void QuantizeRow(const float* x, const float* importance, int64_t cols, const TensorContext& ctx,
                           RowRef row) const;
  // Decodes a row (tensor scale applied). DequantizeRow is the SIMD kernel, DequantizeRowRef
  // its scalar twin; both give the same floats.
  virtual void DequantizeRow(ConstRowRef row, int64_t cols, float tensor_scale, float* out) const = 0;
  virtual void DequantizeRowRef(ConstRowRef row, int64_t cols, float tensor_scale, float* out) const = 0;
  // Returns the dot product of the decoded row with `x` (the default decodes into `scratch`,
  // cols floats).
  virtual float DotRow(ConstRowRef row, int64_t cols, float tensor_scale, const float* x, float* scratch) const;
  // Returns true when MatVec rounds its input as well as using quantized weights (w8a8): the
  // decoded weight then does not reproduce the product, so runners must call MatVec.
  virtual bool QuantizesActivations() const { return false; }
  // Computes y = W x over validated `rows` (x: cols floats, y: rows floats). The default runs
  // DotRow on every row, multithreaded; formats that quantize activations round x once here.
  virtual void MatVec(const ConstQuantRows& rows, const float* x, float* y) const;
  // Computes y = W x with x rounded to int8 per 32 values and integer dot kernels (see
  // WeightCompressor::MatVecInt8); the ggml block formats have such kernels, the default runs
  // MatVec.
  virtual void MatVecInt8(const ConstQuantRows& rows, const float* x, float* y) const { MatVec(rows, x, y); }
  // Throws kCorruptData when a row's stored fields cannot be decoded (a non-finite scale...);
  // named by `row_index`. Called on every row before any is decoded, except by the MatVec of
  // formats whose CorruptRowsGiveNonFiniteProducts (then on the rows whose result is not finite).
  virtual void ValidateRow(ConstRowRef row, int64_t cols, int64_t row_index) const {}
  // Returns true when every row ValidateRow rejects makes DotRow and MatVecInt8 non-finite for
  // any finite input (the ggml types: their only invalid fields are non-finite scales, and a
  // non-finite scale spreads to the product); MatVec then validates only the rows whose result
  // is not finite, instead of reading every row twice.
  virtual bool CorruptRowsGiveNonFiniteProducts() const { return false; }
};

// Lists the format names MakeQuantFormat accepts.
const std::vector<std::string>& QuantFormatNames();
// Returns true when `name` is a quantized weight format.
bool IsQuantFormat(const std::string& name);

// Creates a format from its name and settings: for "int", bits (2..8), group (-1 = per tensor,
// 0 = per output channel, else weights per group), sym, scale_dtype (f16|f32), clip (MSE-optimal
// clipping search); for "fp8_e4m3"/"fp8_e5m2", group -1 (per tensor) or 0 (per channel).
// Settings a format does not use are ignored. Throws kInvalidArgument for an unknown name or
// bad settings.
std::unique_ptr<QuantFormat> MakeQuantFormat(const std::string& name, const std::map<std::string, std::string>& settings);

// Returns the option specs shared by every quantizer method for choosing its target format
// (format, bits, group, sym, scale_dtype, clip).
std::vector<OptionSpec> QuantFormatSpecs();

}  // namespace shrink

#endif  // SHRINK_FORMATS_QUANT_FORMAT_H_
