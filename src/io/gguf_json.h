// GGUF metadata as JSON, so GGUF key-values (tokenizer, architecture) survive a trip through
// safetensors' string metadata.
#ifndef SHRINK_SRC_IO_GGUF_JSON_H_
#define SHRINK_SRC_IO_GGUF_JSON_H_

#include <string>
#include <utility>
#include <vector>

#include "shrink/io/gguf.h"

namespace shrink::detail {

using GgufMetadata = std::vector<std::pair<std::string, GgufValue>>;

// Returns `metadata` as a JSON array of {"k": key, "t": type, "v": value} (arrays add "e", the
// element type). Integers and floats keep their exact values.
std::string GgufMetadataToJson(const GgufMetadata& metadata);
// Parses the output of GgufMetadataToJson; throws kCorruptData naming `source` and the key.
GgufMetadata GgufMetadataFromJson(const std::string& text, const std::string& source);

}  // namespace shrink::detail

#endif  // SHRINK_SRC_IO_GGUF_JSON_H_
