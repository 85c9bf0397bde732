// Text formatting shared by the shrink tool's commands (sizes, shapes, tables).
#ifndef SHRINK_TOOLS_SHRINK_FORMAT_UTIL_H_
#define SHRINK_TOOLS_SHRINK_FORMAT_UTIL_H_

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <vector>

#include "shrink/core/shape.h"

namespace shrink::cli {

// Returns a byte count as "1.01 MiB" (binary units), or "512 B".
inline std::string FormatBytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024.0 && unit < 4) {
    value /= 1024.0;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.2f} {}", value, units[unit]);
}

// Returns the dimensions of `shape` as a JSON-friendly vector.
inline std::vector<int64_t> ShapeDims(const Shape& shape) { return std::vector<int64_t>(shape.begin(), shape.end()); }

}  // namespace shrink::cli

#endif  // SHRINK_TOOLS_SHRINK_FORMAT_UTIL_H_
