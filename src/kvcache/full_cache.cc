// FullKvCache: storage and exact grouped-query softmax attention.
#include "shrink/kvcache/full_cache.h"

#include <algorithm>
#include <cmath>

#include "src/kernels/core/dot.h"

namespace shrink {

FullKvCache::FullKvCache(const Options& options) { options_ = OptionReader("full", options, Specs()).Resolved(); }

void FullKvCache::Reset(const KvCacheShape& shape) {
  if (shape.num_kv_heads <= 0 || shape.head_dim <= 0 || shape.num_query_heads <= 0 ||
      shape.num_query_heads % shape.num_kv_heads != 0) {
    Fail(ErrorCode::kInvalidArgument, "full: KV cache shape needs positive heads with query heads (",
         shape.num_query_heads, ") a multiple of KV heads (", shape.num_kv_heads, ")");
  }
  shape_ = shape;
  num_tokens_ = 0;
  keys_.clear();
  values_.clear();
}

void FullKvCache::Append(TensorView<const float> k, TensorView<const float> v,
                         const TensorView<const float>* /*attention*/) {
  const int64_t width = int64_t{shape_.num_kv_heads} * shape_.head_dim;
  if (k.rank() != 2 || k.cols() != width || v.shape() != k.shape()) {
    Fail(ErrorCode::kShapeMismatch, "full: K ", k.shape().ToString(), " and V ", v.shape().ToString(),
         " must both be tokens x ", width);
  }
  for (int64_t t = 0; t < k.rows(); ++t) {
    for (int64_t j = 0; j < width; ++j) {
      keys_.push_back(k(t, j));
      values_.push_back(v(t, j));
    }
  }
  num_tokens_ += k.rows();
}

void FullKvCache::Attend(TensorView<const float> q, TensorView<float> out) const {
  const int64_t hd = shape_.head_dim, width = int64_t{shape_.num_kv_heads} * hd;
  if (q.rank() != 2 || q.rows() != shape_.num_query_heads || q.cols() != hd || out.shape() != q.shape() ||
      !q.has_contiguous_rows() || !out.has_contiguous_rows()) {
    Fail(ErrorCode::kShapeMismatch, "full: q ", q.shape().ToString(), " and out ", out.shape().ToString(),
         " must both be contiguous ", shape_.num_query_heads, " x ", hd);
  }
  if (num_tokens_ == 0) Fail(ErrorCode::kInvalidArgument, "full: Attend on an empty cache");
  const int group = shape_.num_query_heads / shape_.num_kv_heads;
  const float inv_sqrt = 1.0f / std::sqrt(static_cast<float>(hd));
  scores_.resize(static_cast<size_t>(num_tokens_));
  for (int h = 0; h < shape_.num_query_heads; ++h) {
    const int64_t kv_offset = (h / group) * hd;
    const float* qh = q.row_data(h);
    float max_score = -INFINITY;
    for (int64_t t = 0; t < num_tokens_; ++t) {
      const float s = kernels::DotF32(qh, keys_.data() + t * width + kv_offset, hd) * inv_sqrt;
      scores_[static_cast<size_t>(t)] = s;
      max_score = std::max(max_score, s);
    }
    float sum = 0.0f;
    for (int64_t t = 0; t < num_tokens_; ++t) {
      const float e = std::exp(scores_[static_cast<size_t>(t)] - max_score);
      scores_[static_cast<size_t>(t)] = e;
      sum += e;
    }
    float* oh = out.row_data(h);
    std::fill(oh, oh + hd, 0.0f);
    for (int64_t t = 0; t < num_tokens_; ++t) {
      const float p = scores_[static_cast<size_t>(t)] / sum;
      const float* vt = values_.data() + t * width + kv_offset;
      for (int64_t j = 0; j < hd; ++j) oh[j] += p * vt[j];
    }
  }
}

}  // namespace shrink
