// The typed settings a format is created from, and the factory of each format family.
#ifndef SHRINK_SRC_FORMATS_FORMAT_FACTORIES_H_
#define SHRINK_SRC_FORMATS_FORMAT_FACTORIES_H_

#include <cstdint>
#include <memory>
#include <string>

#include "shrink/core/dtype.h"
#include "shrink/formats/quant_format.h"

namespace shrink {

// The settings of MakeQuantFormat, parsed and range-checked.
struct FormatSettings {
  int bits = 4;                     // int: 2..8
  int64_t group = 128;              // int, fp8: -1 per tensor, 0 per channel, else group size
  bool symmetric = false;           // int
  DType scale_dtype = DType::kF16;  // int: kF16 or kF32
  bool clip = false;                // int: MSE-optimal clipping search
};

// Each returns the format `name` of its family (a name its family owns).
std::unique_ptr<QuantFormat> MakeIntGridFormat(const std::string& name, const FormatSettings& settings);
std::unique_ptr<QuantFormat> MakeFloatFormat(const std::string& name, const FormatSettings& settings);
std::unique_ptr<QuantFormat> MakeGgmlLegacyFormat(const std::string& name, const FormatSettings& settings);
std::unique_ptr<QuantFormat> MakeGgmlKQuantFormat(const std::string& name, const FormatSettings& settings);
std::unique_ptr<QuantFormat> MakeW8A8Format(const std::string& name, const FormatSettings& settings);

}  // namespace shrink

#endif  // SHRINK_SRC_FORMATS_FORMAT_FACTORIES_H_
