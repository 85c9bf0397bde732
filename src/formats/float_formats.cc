// Placeholder factory of the float_formats formats, replaced by their implementation.
#include "shrink/core/error.h"
#include "src/formats/format_factories.h"

namespace shrink {

std::unique_ptr<QuantFormat> MakeFloatFormat(const std::string& name, const FormatSettings& /*settings*/) {
  Fail(ErrorCode::kUnsupported, "format '", name, "' is not implemented yet");
}

}  // namespace shrink
