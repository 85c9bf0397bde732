// llama2.c checkpoints: the 7-int32 header, the fixed tensor order, and GGUF-style names.
#ifndef SHRINK_IO_LLAMA2C_H_
#define SHRINK_IO_LLAMA2C_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "shrink/core/shape.h"
#include "shrink/io/mapped_file.h"
#include "shrink/io/model_config.h"

namespace shrink {

// Locates one f32 tensor inside a llama2.c checkpoint.
struct Llama2cTensor {
  std::string name;  // GGUF-style name ("blk.0.attn_q.weight")
  Shape shape;       // row-major: matrices are {out_features, in_features}
  uint64_t offset;   // absolute byte offset in the file
};

// Returns the tensors of a llama2.c checkpoint with `config`, in file order, with offsets
// starting after the 28-byte header. The classifier ("output.weight") is listed only when
// config.tied_embeddings is false. The RoPE tables the format stores are not tensors here.
std::vector<Llama2cTensor> Llama2cLayout(const ModelConfig& config);

// Returns the byte size a llama2.c checkpoint of `config` must have.
uint64_t Llama2cFileBytes(const ModelConfig& config);

// Reads and validates the header of a mapped llama2.c checkpoint (dimensions positive and
// consistent, file size exactly as the header implies); throws kCorruptData naming the field.
ModelConfig ReadLlama2cConfig(const MappedFile& file);

}  // namespace shrink

#endif  // SHRINK_IO_LLAMA2C_H_
