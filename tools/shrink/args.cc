// Command-line flag parsing for the shrink tool.
#include "tools/shrink/args.h"

#include <fmt/format.h>

namespace shrink::cli {
namespace {

const std::vector<FlagSpec>& CommonFlags() {
  static const std::vector<FlagSpec> flags = {
      {"help", "", "print this help"},
      {"json", "", "print one JSON object on stdout instead of text"},
      {"threads", "N", "worker threads (default: all cores)"},
  };
  return flags;
}

const FlagSpec* FindFlag(const CommandSpec& spec, const std::string& name) {
  for (const auto* list : {&spec.flags, &CommonFlags()}) {
    for (const auto& f : *list) {
      if (f.name == name) return &f;
    }
  }
  return nullptr;
}

}  // namespace

std::string ParsedArgs::Get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

long long ParsedArgs::GetInt(const std::string& name, long long fallback, long long min, long long max) const {
  if (!Has(name)) return fallback;
  const std::string text = Get(name);
  size_t used = 0;
  long long value = 0;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size()) throw UsageError(fmt::format("--{} needs an integer, got '{}'", name, text));
  if (value < min || value > max) {
    throw UsageError(fmt::format("--{} = {} is outside [{}, {}]", name, value, min, max));
  }
  return value;
}

std::string ParsedArgs::Require(const std::string& name) const {
  if (!Has(name)) throw UsageError(fmt::format("--{} is required", name));
  return Get(name);
}

ParsedArgs Parse(const CommandSpec& spec, const std::vector<std::string>& argv) {
  ParsedArgs args;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    const bool long_flag = a.size() > 2 && a.compare(0, 2, "--") == 0;
    const bool short_flag = a.size() == 2 && a[0] == '-' && a[1] != '-';  // "-n" for a flag named n
    if (long_flag || short_flag) {
      std::string name = a.substr(long_flag ? 2 : 1);
      std::string value;
      const size_t eq = name.find('=');
      const bool inline_value = eq != std::string::npos;
      if (inline_value) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      const FlagSpec* flag = FindFlag(spec, name);
      if (flag == nullptr) throw UsageError(fmt::format("unknown flag --{} for '{}'", name, spec.name));
      if (flag->value_name.empty()) {
        if (inline_value) throw UsageError(fmt::format("--{} takes no value", name));
        value = "true";
      } else if (!inline_value) {
        if (i + 1 >= argv.size()) throw UsageError(fmt::format("--{} needs a value ({})", name, flag->value_name));
        value = argv[++i];
      }
      if (args.Has(name)) throw UsageError(fmt::format("--{} given twice", name));
      args.values_[name] = value;
    } else {
      args.positional_.push_back(a);
    }
  }
  if (args.Has("help")) return args;
  const int n = static_cast<int>(args.positional_.size());
  if (n < spec.min_positional || n > spec.max_positional) {
    throw UsageError(spec.positional.empty()
                         ? fmt::format("'{}' takes no positional arguments", spec.name)
                         : fmt::format("'{}' expects {}", spec.name, spec.positional));
  }
  return args;
}

std::string HelpText(const CommandSpec& spec) {
  std::string text = fmt::format("usage: shrink {}{}{} [flags]\n\n{}\n\nflags:\n", spec.name,
                                 spec.positional.empty() ? "" : " ", spec.positional, spec.summary);
  for (const auto* list : {&spec.flags, &CommonFlags()}) {
    for (const auto& f : *list) {
      const std::string left = f.value_name.empty() ? "--" + f.name : "--" + f.name + " " + f.value_name;
      text += fmt::format("  {:<24} {}\n", left, f.help);
    }
  }
  return text;
}

}  // namespace shrink::cli
