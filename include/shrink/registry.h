// Registry: creates compressors by name; built-ins are listed in one place, users add theirs.
#ifndef SHRINK_REGISTRY_H_
#define SHRINK_REGISTRY_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "shrink/compressor.h"
#include "shrink/options.h"

namespace shrink {

// Describes one registered method.
struct RegistryEntry {
  std::string name;
  Family family = Family::kQuantizer;
  std::string summary;            // one line for `shrink methods` and --help
  std::vector<OptionSpec> specs;  // the options the factory accepts
  // Creates the method from validated options (the registry checks them against `specs`).
  std::function<std::unique_ptr<Compressor>(const Options&)> factory;
  // Upper bound on relative RMS reconstruction error, at default options, on i.i.d. Gaussian
  // weights; the conformance suite holds every weight compressor to its own bound.
  double conformance_max_rel_rms = 0.0;
};

// Maps method names to factories. Global() holds the built-ins; Register adds user methods.
class Registry {
 public:
  // Returns the process-wide registry, with the built-in methods registered on first use.
  static Registry& Global();

  // Adds `entry`; throws kInvalidArgument if the name is taken or the entry is incomplete.
  void Register(RegistryEntry entry);
  // Returns the entry called `name`; throws kNotFound listing the known names.
  const RegistryEntry& Find(const std::string& name) const;
  // Returns all entries, sorted by family then name.
  std::vector<const RegistryEntry*> List() const;

  // Creates method `name` with `options` (validated against its specs).
  std::unique_ptr<Compressor> Create(const std::string& name, const Options& options = {}) const;
  // Creates method `name` as interface T (e.g. WeightCompressor); throws kInvalidArgument
  // when the method is of another family.
  template <typename T>
  std::unique_ptr<T> CreateAs(const std::string& name, const Options& options = {}) const {
    std::unique_ptr<Compressor> c = Create(name, options);
    if (dynamic_cast<T*>(c.get()) == nullptr) {
      Fail(ErrorCode::kInvalidArgument, "method '", name, "' is a ", FamilyName(c->family()),
           " and cannot be used here");
    }
    return std::unique_ptr<T>(static_cast<T*>(c.release()));
  }
  // Returns a compressor that decodes tensors whose format() is `format`: a quantized weight
  // format (decoded whatever method produced it) or the name of a registered weight method.
  std::unique_ptr<WeightCompressor> CreateDecoder(const std::string& format) const;

 private:
  std::vector<RegistryEntry> entries_;
};

// Registers shrink's built-in methods into `registry` (the one list of built-ins).
void RegisterBuiltins(Registry& registry);

}  // namespace shrink

#endif  // SHRINK_REGISTRY_H_
