// Typed, validated, printable options for compressors: specs, values, and a checked reader.
#ifndef SHRINK_OPTIONS_H_
#define SHRINK_OPTIONS_H_

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "shrink/core/error.h"

namespace shrink {

// Is the type of one option's value.
enum class OptionType { kInt, kDouble, kBool, kString };

// Declares one option a compressor accepts: name, type, default, range or choices, help.
struct OptionSpec {
  std::string name;
  OptionType type = OptionType::kInt;
  std::string default_value;  // as text, e.g. "4", "0.01", "false", "f16"
  std::string help;
  double min = -INFINITY;            // inclusive bounds for kInt and kDouble
  double max = INFINITY;
  std::vector<std::string> choices;  // allowed values of a kString option (empty: any)
};

// Holds option values as text, keyed by name ("bits" -> "4"); parse with Options::Parse.
class Options {
 public:
  Options() = default;
  Options(std::initializer_list<std::pair<const std::string, std::string>> values)
      : values_(values) {}

  // Parses "bits=4,group=128,sym" (a bare name means "true"); throws kInvalidArgument on an
  // empty name or a repeated key.
  static Options Parse(std::string_view text) {
    Options options;
    size_t start = 0;
    while (start <= text.size()) {
      size_t end = text.find(',', start);
      if (end == std::string_view::npos) end = text.size();
      std::string_view item = text.substr(start, end - start);
      if (!item.empty()) {
        const size_t eq = item.find('=');
        std::string key(item.substr(0, eq));
        std::string value = eq == std::string_view::npos ? "true" : std::string(item.substr(eq + 1));
        if (key.empty()) Fail(ErrorCode::kInvalidArgument, "option '", item, "' has no name");
        if (options.Has(key)) Fail(ErrorCode::kInvalidArgument, "option '", key, "' given twice");
        options.values_[key] = value;
      }
      start = end + 1;
    }
    return options;
  }

  // Sets `key` to `value` (text), replacing an earlier value.
  Options& Set(const std::string& key, const std::string& value) {
    values_[key] = value;
    return *this;
  }
  bool Has(const std::string& key) const { return values_.count(key) != 0; }
  const std::map<std::string, std::string>& values() const { return values_; }
  bool empty() const { return values_.empty(); }

  // Returns "bits=4,group=128" (keys sorted), which Parse reads back.
  std::string ToString() const {
    std::string s;
    for (const auto& [key, value] : values_) {
      if (!s.empty()) s += ",";
      s += key + "=" + value;
    }
    return s;
  }

 private:
  std::map<std::string, std::string> values_;
};

// Reads typed values from Options against `specs`: unknown keys, unparsable values and values
// out of range throw kInvalidArgument naming the owner, the option and what was expected.
// Missing keys take the spec's default. Resolved() returns every option with its final value.
class OptionReader {
 public:
  OptionReader(std::string owner, const Options& options, const std::vector<OptionSpec>& specs)
      : owner_(std::move(owner)), specs_(specs) {
    for (const auto& [key, value] : options.values()) {
      const OptionSpec* spec = Find(key);
      if (spec == nullptr) {
        std::string known;
        for (const auto& s : specs_) known += (known.empty() ? "" : ", ") + s.name;
        Fail(ErrorCode::kInvalidArgument, owner_, ": unknown option '", key, "' (known: ",
             known.empty() ? "none" : known, ")");
      }
      Check(*spec, value);
      resolved_.Set(key, value);
    }
    for (const auto& spec : specs_) {
      if (!resolved_.Has(spec.name)) resolved_.Set(spec.name, spec.default_value);
    }
  }

  int64_t Int(const std::string& name) const { return static_cast<int64_t>(std::stoll(Value(name))); }
  double Double(const std::string& name) const { return std::stod(Value(name)); }
  bool Bool(const std::string& name) const { return ParseBool(Value(name)); }
  const std::string& String(const std::string& name) const { return Value(name); }
  // Returns every declared option with its value (given or default).
  const Options& Resolved() const { return resolved_; }

 private:
  const OptionSpec* Find(const std::string& name) const {
    for (const auto& spec : specs_) {
      if (spec.name == name) return &spec;
    }
    return nullptr;
  }
  const std::string& Value(const std::string& name) const {
    auto it = resolved_.values().find(name);
    if (it == resolved_.values().end()) Fail(ErrorCode::kInternal, owner_, ": option '", name, "' not declared");
    return it->second;
  }
  static bool ParseBool(const std::string& v) {
    return v == "true" || v == "1" || v == "yes" || v == "on";
  }
  static bool IsBool(const std::string& v) {
    return ParseBool(v) || v == "false" || v == "0" || v == "no" || v == "off";
  }
  void Check(const OptionSpec& spec, const std::string& value) const {
    switch (spec.type) {
      case OptionType::kInt:
      case OptionType::kDouble: {
        size_t used = 0;
        double v = 0;
        bool ok = !value.empty();
        try {
          if (ok && spec.type == OptionType::kInt) {
            v = static_cast<double>(std::stoll(value, &used));
          } else if (ok) {
            v = std::stod(value, &used);
          }
        } catch (const std::exception&) {
          ok = false;
        }
        if (!ok || used != value.size() || !std::isfinite(v)) {
          Fail(ErrorCode::kInvalidArgument, owner_, ": option '", spec.name, "' = '", value, "' is not ",
               spec.type == OptionType::kInt ? "an integer" : "a finite number");
        }
        if (v < spec.min || v > spec.max) {
          Fail(ErrorCode::kInvalidArgument, owner_, ": option '", spec.name, "' = ", value,
               " is outside [", spec.min, ", ", spec.max, "]");
        }
        break;
      }
      case OptionType::kBool:
        if (!IsBool(value)) {
          Fail(ErrorCode::kInvalidArgument, owner_, ": option '", spec.name, "' = '", value,
               "' is not a boolean (true/false)");
        }
        break;
      case OptionType::kString:
        if (!spec.choices.empty()) {
          bool found = false;
          std::string list;
          for (const auto& c : spec.choices) {
            found |= (c == value);
            list += (list.empty() ? "" : "|") + c;
          }
          if (!found) {
            Fail(ErrorCode::kInvalidArgument, owner_, ": option '", spec.name, "' = '", value,
                 "' is not one of ", list);
          }
        }
        break;
    }
  }

  std::string owner_;
  std::vector<OptionSpec> specs_;
  Options resolved_;
};

}  // namespace shrink

#endif  // SHRINK_OPTIONS_H_
