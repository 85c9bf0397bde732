// The factory of the float-like formats: nf4, fp8_e4m3, fp8_e5m2, mxfp4 and nvfp4.
#include "shrink/core/error.h"
#include "src/formats/format_factories.h"
#include "src/formats/fp4_formats.h"
#include "src/formats/fp8_format.h"
#include "src/formats/nf4_format.h"

namespace shrink {

std::unique_ptr<QuantFormat> MakeFloatFormat(const std::string& name, const FormatSettings& settings) {
  if (name == "nf4") return MakeNf4Format();
  if (name == "mxfp4") return MakeMxfp4Format();
  if (name == "nvfp4") return MakeNvfp4Format();
  if (name == "fp8_e4m3" || name == "fp8_e5m2") return MakeFp8Format(name, settings.group);
  Fail(ErrorCode::kInternal, "'", name, "' is not a float-like format");
}

}  // namespace shrink
