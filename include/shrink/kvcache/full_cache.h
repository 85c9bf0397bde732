// FullKvCache: the uncompressed KV cache, the default attention of the model harness and the
// reference every KV-cache compressor is measured against.
#ifndef SHRINK_KVCACHE_FULL_CACHE_H_
#define SHRINK_KVCACHE_FULL_CACHE_H_

#include <vector>

#include "shrink/compressor.h"

namespace shrink {

// Keeps every appended K and V row in f32 and computes exact softmax attention over them,
// with grouped-query heads (query head h reads KV head h / (num_query_heads / num_kv_heads)).
// Compact() keeps everything (no eviction). Takes no options.
class FullKvCache : public KvCacheCompressor {
 public:
  // Returns the option specs (none).
  static std::vector<OptionSpec> Specs() { return {}; }
  explicit FullKvCache(const Options& options = {});

  std::string Name() const override { return "full"; }
  Family family() const override { return Family::kKvCache; }
  const Options& options() const override { return options_; }

  void Reset(const KvCacheShape& shape) override;
  void Append(TensorView<const float> k, TensorView<const float> v, const TensorView<const float>* attention) override;
  void Compact(int64_t budget_tokens) override {}
  void Attend(TensorView<const float> q, TensorView<float> out) const override;
  int64_t NumTokens() const override { return num_tokens_; }
  size_t MemoryBytes() const override { return (keys_.size() + values_.size()) * sizeof(float); }

 private:
  Options options_;
  KvCacheShape shape_;
  int64_t num_tokens_ = 0;
  std::vector<float> keys_;    // num_tokens x (num_kv_heads * head_dim)
  std::vector<float> values_;  // same
  mutable std::vector<float> scores_;
};

}  // namespace shrink

#endif  // SHRINK_KVCACHE_FULL_CACHE_H_
