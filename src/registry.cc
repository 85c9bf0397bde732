// The registry: lookup and creation by name, and the one list of built-in methods.
#include "shrink/registry.h"

#include <algorithm>

#include "shrink/formats/quant_format.h"
#include "shrink/kvcache/full_cache.h"
#include "shrink/quant/awq.h"
#include "shrink/quant/gptq.h"
#include "shrink/quant/rtn.h"
#include "shrink/quant/smoothquant.h"
#include "shrink/quant/spqr.h"

namespace shrink {

void RegisterBuiltins(Registry& registry) {
  registry.Register({"rtn", Family::kQuantizer,
                     "round to nearest into any weight format (int grids, nf4, fp8, fp4, ggml blocks)",
                     RtnQuantizer::Specs(),
                     [](const Options& o) { return std::make_unique<RtnQuantizer>(o); },
                     /*conformance_max_rel_rms=*/0.12});
  registry.Register({"gptq", Family::kQuantizer,
                     "GPTQ: column-by-column rounding with inverse-Hessian error feedback, into any format",
                     GptqQuantizer::Specs(), [](const Options& o) { return std::make_unique<GptqQuantizer>(o); },
                     // Weight-space error is above rtn's: GPTQ trades it for lower output error.
                     /*conformance_max_rel_rms=*/0.2});
  registry.Register({"spqr", Family::kQuantizer,
                     "SpQR: 3-bit groups of 16 with 3-bit statistics and exact f16 outliers, GPTQ error feedback",
                     SpqrQuantizer::Specs(), [](const Options& o) { return std::make_unique<SpqrQuantizer>(o); },
                     // Measured 0.21 (4096x4096) at 3 bits: error feedback trades weight-space
                     // error for output error, as gptq's.
                     /*conformance_max_rel_rms=*/0.24});
  registry.Register({"awq", Family::kQuantizer,
                     "AWQ: activation-aware per-channel scaling (mean|x|^α searched) and clipping, into any format",
                     AwqQuantizer::Specs(), [](const Options& o) { return std::make_unique<AwqQuantizer>(o); },
                     // Scaling salient channels up coarsens the others and clipping trims outliers:
                     // weight-space error rises a little above rtn's (0.106 vs 0.100 on 4096x4096).
                     /*conformance_max_rel_rms=*/0.15});
  registry.Register({"smoothquant", Family::kQuantizer,
                     "SmoothQuant W8A8: activation outliers migrated into the weights (α), int8 weights and "
                     "int8 activations",
                     SmoothQuantQuantizer::Specs(),
                     [](const Options& o) { return std::make_unique<SmoothQuantQuantizer>(o); },
                     // int8 per row: the smoothing coarsens some columns' share of the row range.
                     /*conformance_max_rel_rms=*/0.05});
  registry.Register({"full", Family::kKvCache, "uncompressed KV cache with exact attention (the reference)",
                     FullKvCache::Specs(), [](const Options& o) { return std::make_unique<FullKvCache>(o); }});
}

std::unique_ptr<WeightCompressor> Registry::CreateDecoder(const std::string& format) const {
  // Every quantizer decodes every quantized format; rtn is the one that needs no options.
  return CreateAs<WeightCompressor>(IsQuantFormat(format) ? "rtn" : format);
}

Registry& Registry::Global() {
  static Registry* registry = [] {
    auto* r = new Registry();
    RegisterBuiltins(*r);
    return r;
  }();
  return *registry;
}

void Registry::Register(RegistryEntry entry) {
  if (entry.name.empty() || !entry.factory) {
    Fail(ErrorCode::kInvalidArgument, "registry entry '", entry.name, "' needs a name and a factory");
  }
  for (const auto& e : entries_) {
    if (e.name == entry.name) Fail(ErrorCode::kInvalidArgument, "method '", entry.name, "' is already registered");
  }
  entries_.push_back(std::move(entry));
}

const RegistryEntry& Registry::Find(const std::string& name) const {
  for (const auto& e : entries_) {
    if (e.name == name) return e;
  }
  std::string known;
  for (const RegistryEntry* e : List()) known += (known.empty() ? "" : ", ") + e->name;
  Fail(ErrorCode::kNotFound, "no method named '", name, "' (known: ", known, ")");
}

std::vector<const RegistryEntry*> Registry::List() const {
  std::vector<const RegistryEntry*> list;
  for (const auto& e : entries_) list.push_back(&e);
  std::sort(list.begin(), list.end(), [](const RegistryEntry* a, const RegistryEntry* b) {
    return std::make_pair(static_cast<int>(a->family), a->name) < std::make_pair(static_cast<int>(b->family), b->name);
  });
  return list;
}

std::unique_ptr<Compressor> Registry::Create(const std::string& name, const Options& options) const {
  const RegistryEntry& entry = Find(name);
  OptionReader check(name, options, entry.specs);  // throws on unknown or bad options
  return entry.factory(options);
}

}  // namespace shrink
