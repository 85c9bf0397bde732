// The Compressor interfaces every method implements: weights, merging, KV cache, lossless.
#ifndef SHRINK_COMPRESSOR_H_
#define SHRINK_COMPRESSOR_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "shrink/calibration_stats.h"
#include "shrink/compressed_tensor.h"
#include "shrink/core/dtype.h"
#include "shrink/core/error.h"
#include "shrink/core/shape.h"
#include "shrink/core/tensor_view.h"
#include "shrink/options.h"

namespace shrink {

// Names the six families of methods.
enum class Family { kQuantizer, kPruner, kLowRank, kMerger, kKvCache, kLossless };

// Returns "quantizer", "pruner", "low-rank", "merger", "kv-cache" or "lossless".
inline const char* FamilyName(Family family) {
  switch (family) {
    case Family::kQuantizer: return "quantizer";
    case Family::kPruner: return "pruner";
    case Family::kLowRank: return "low-rank";
    case Family::kMerger: return "merger";
    case Family::kKvCache: return "kv-cache";
    case Family::kLossless: return "lossless";
  }
  return "?";
}

// Is the root of every method: a name, a family and its resolved, validated options.
class Compressor {
 public:
  virtual ~Compressor() = default;
  // Returns the registry name ("rtn").
  virtual std::string Name() const = 0;
  virtual Family family() const = 0;
  // Returns every option with its value in effect (defaults filled in).
  virtual const Options& options() const = 0;
  // Returns "rtn(bits=4,group=128,sym=false)".
  std::string Describe() const { return Name() + "(" + options().ToString() + ")"; }
};

// Compresses one weight matrix at a time: quantizers, pruners and low-rank methods.
// Weights are 2-D views (out_features x in_features, the layout of y = W x); a compressor
// sees rows as output channels and columns as input channels (what calibration describes).
class WeightCompressor : public Compressor {
 public:
  // Compresses `weight`; `stats` describes the layer's inputs (in_features channels) and may
  // be null for methods that need none (those that need it throw kInvalidArgument).
  // Throws kInvalidArgument for a non-finite weight or a shape the method cannot take.
  virtual CompressedTensor Compress(TensorView<const float> weight, const CalibrationStats* stats) const = 0;
  // Writes the decompressed weight into `out` (shape == compressed.shape()). Validates the
  // compressed tensor first: throws kCorruptData or kShapeMismatch, never reads out of bounds.
  virtual void Decompress(const CompressedTensor& compressed, TensorView<float> out) const = 0;
  // Returns true when Compress needs calibration statistics (false: it ignores them).
  virtual bool NeedsCalibration() const { return false; }
  // Returns the exact number of section bytes Compress produces for a weight of `shape`.
  virtual size_t EstimateBytes(const Shape& shape) const = 0;
  // Returns true when MatVec works on the compressed form directly.
  virtual bool HasMatVec() const { return false; }
  // Returns true when MatVec of `compressed` rounds its input too (w8a8 quantizes activations):
  // the decompressed weight alone does not reproduce the product, so runners must use MatVec.
  virtual bool MatVecRoundsInput(const CompressedTensor& compressed) const { return false; }
  // Computes y = W x from the compressed form (x: in_features, y: out_features). The default
  // throws kUnsupported; callers check HasMatVec() or decompress once.
  virtual void MatVec(const CompressedTensor& compressed, const float* x, float* y) const {
    Fail(ErrorCode::kUnsupported, Name(), " has no fused MatVec");
  }
  // Computes y = W x like MatVec, with x first rounded to int8 per 32 values (scale max|x| / 127
  // per block) and the products formed by integer dot kernels where the compressed format has
  // them: the arithmetic of llama.cpp's quantized MatVec (its q8_0 / q8_K activations), faster
  // than MatVec, at the cost of the input's rounding error. Formats without integer kernels
  // compute MatVec.
  virtual void MatVecInt8(const CompressedTensor& compressed, const float* x, float* y) const {
    MatVec(compressed, x, y);
  }
};

// Merges several fine-tuned models into one, tensor by tensor, so a merge streams.
class Merger : public Compressor {
 public:
  // Writes the merge of `models` (same shape each) into `out`. `base` is the common
  // pre-trained tensor for task-vector methods and may be null for methods that need none.
  virtual void Merge(const TensorView<const float>* base, const std::vector<TensorView<const float>>& models,
                     TensorView<float> out) const = 0;
};

// Describes the per-layer shape of a KV cache.
struct KvCacheShape {
  int num_kv_heads = 0;
  int num_query_heads = 0;  // multiple of num_kv_heads (grouped-query attention)
  int head_dim = 0;
};

// Holds and compresses one layer's KV cache; stateful, one instance per layer.
class KvCacheCompressor : public Compressor {
 public:
  // Empties the cache and sets its shape.
  virtual void Reset(const KvCacheShape& shape) = 0;
  // Appends `k` and `v` (tokens x num_kv_heads*head_dim, post-RoPE). `attention` may hold the
  // new tokens' attention weights over the cache (query heads x cached tokens) or be null.
  virtual void Append(TensorView<const float> k, TensorView<const float> v,
                      const TensorView<const float>* attention) = 0;
  // Shrinks the cache to at most `budget_tokens` tokens (methods without eviction ignore it).
  virtual void Compact(int64_t budget_tokens) = 0;
  // Computes attention of `q` (num_query_heads x head_dim) over the cache into `out` (same
  // shape), softmax(q kᵀ / sqrt(head_dim)) v per head, on the compressed cache.
  virtual void Attend(TensorView<const float> q, TensorView<float> out) const = 0;
  // Returns the tokens held now.
  virtual int64_t NumTokens() const = 0;
  // Returns the bytes the cache occupies now.
  virtual size_t MemoryBytes() const = 0;
};

// Codes stored bytes losslessly (any dtype): Decode(Encode(x)) returns x bit for bit.
class LosslessCoder : public Compressor {
 public:
  // Encodes the raw elements `bytes` of a tensor of `dtype` and `shape`. `base`, when not
  // null, is a tensor of the same dtype and shape to code against (delta coding).
  virtual CompressedTensor Encode(DType dtype, const Shape& shape, const uint8_t* bytes,
                                  const uint8_t* base) const = 0;
  // Decodes into `out` (shape.num_elements() * DTypeSize(dtype) bytes); `base` as in Encode.
  virtual void Decode(const CompressedTensor& encoded, uint8_t* out, const uint8_t* base) const = 0;
};

}  // namespace shrink

#endif  // SHRINK_COMPRESSOR_H_
