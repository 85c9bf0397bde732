// Placeholder factory of the ggml_legacy formats, replaced by their implementation.
#include "shrink/core/error.h"
#include "src/formats/format_factories.h"

namespace shrink {

std::unique_ptr<QuantFormat> MakeGgmlLegacyFormat(const std::string& name, const FormatSettings& /*settings*/) {
  Fail(ErrorCode::kUnsupported, "format '", name, "' is not implemented yet");
}

}  // namespace shrink
