// Hugging Face Llama checkpoints (model.safetensors + config.json): names and RoPE layout.
#ifndef SHRINK_SRC_IO_MODEL_HF_H_
#define SHRINK_SRC_IO_MODEL_HF_H_

#include <string>

#include "shrink/io/model.h"

namespace shrink::detail {

// When `model` (loaded from `path`, without shrink's own config) is a Hugging Face Llama
// checkpoint — a config.json with model_type "llama" beside it — renames its tensors to GGUF's
// convention, converts q and k projections from HF's rotate-half RoPE layout to the
// interleaved one (the inverse of the permutation HF's conversion applies) and sets the config.
// Returns true when it did; throws kCorruptData for a config.json that is not valid.
bool AdoptHuggingFaceLlama(Model& model, const std::string& path);

// Converts a [heads * head_dim, cols] projection of `dtype` from HF's rotate-half row order to
// the interleaved order (row 2i of a head takes HF row i, row 2i+1 takes HF row i + head_dim/2).
Tensor InterleaveRopeRows(const Tensor& hf, int64_t heads);

}  // namespace shrink::detail

#endif  // SHRINK_SRC_IO_MODEL_HF_H_
