// `shrink info`: version, SIMD targets (and the one chosen at run time), threads, methods, formats.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "shrink/core/simd.h"
#include "shrink/core/threads.h"
#include "shrink/formats/quant_format.h"
#include "shrink/registry.h"
#include "shrink/version.h"
#include "tools/shrink/commands.h"

namespace shrink::cli {
namespace {

int RunInfo(const ParsedArgs& args) {
  const SimdTarget current = CurrentSimdTarget();
  std::vector<std::string> targets;
  for (const auto& t : AvailableSimdTargets()) targets.push_back(t.name);
  nlohmann::json methods = nlohmann::json::array();
  for (const RegistryEntry* e : Registry::Global().List()) {
    methods.push_back({{"name", e->name}, {"family", FamilyName(e->family)}, {"summary", e->summary}});
  }
  nlohmann::json formats = nlohmann::json::array();
  for (const std::string& name : QuantFormatNames()) {
    try {  // bits per weight of a 4096-wide row, with the default settings
      formats.push_back({{"name", name}, {"bits_per_weight", MakeQuantFormat(name, {})->BitsPerWeight(4096)}});
    } catch (const Error& e) {
      formats.push_back({{"name", name}, {"unavailable", e.message()}});
    }
  }
  if (args.Has("json")) {
    const nlohmann::json out = {{"version", Version()}, {"simd_target", current.name},
                                {"simd_targets", targets},          {"threads", NumThreads()},
                                {"methods", methods},               {"formats", formats}};
    fmt::print("{}\n", out.dump(2));
    return 0;
  }
  fmt::print("shrink {}\n", Version());
  fmt::print("SIMD target: {} (available: {})\n", current.name, fmt::join(targets, ", "));
  fmt::print("threads: {}\n", NumThreads());
  fmt::print("methods:\n");
  for (const auto& m : methods) {
    fmt::print("  {:<12} {:<10} {}\n", m["name"].get<std::string>(), m["family"].get<std::string>(),
               m["summary"].get<std::string>());
  }
  fmt::print("quantized weight formats (bits per weight of 4096-wide rows, default settings):\n");
  for (const auto& f : formats) {
    fmt::print("  {:<12} {}\n", f["name"].get<std::string>(),
               f.contains("bits_per_weight") ? fmt::format("{:.3f}", f["bits_per_weight"].get<double>())
                                             : f["unavailable"].get<std::string>());
  }
  return 0;
}

}  // namespace

Command InfoCommand() {
  return {{"info", "", "Print the version, the SIMD target chosen at run time, threads, methods and weight formats.", {}, 0, 0},
          RunInfo};
}

}  // namespace shrink::cli
