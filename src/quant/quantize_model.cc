// QuantizeModel: per-tensor method and format choice, calibration and the report.
#include "shrink/quant/quantize_model.h"

#include <map>
#include <optional>
#include <memory>
#include <set>
#include <utility>

#include "shrink/core/metrics.h"
#include "shrink/quant/input_scaling.h"
#include "shrink/quant/format_quantizer.h"
#include "shrink/registry.h"
#include "src/quant/input_scale_fold.h"

namespace shrink {
namespace {

// Returns true for the tensors QuantizeModel compresses.
bool Selected(const ModelTensorInfo& t, bool embeddings) {
  if (t.compressed || !t.dtype || !IsFloat(*t.dtype) || t.shape.rank() != 2) return false;
  return embeddings || t.name != kTokenEmbeddingName;
}

// Quantizes tensors one at a time into the model, choosing method and format per tensor.
class TensorQuantizer {
 public:
  TensorQuantizer(const WeightCompressor& method, const QuantizeModelOptions& options)
      : method_(method), options_(options) {}

  // With `folded_scale`, the weight is W·diag(s), already folded into the model: it is quantized
  // by InputScalingQuantizer::CompressScaled, without input_scale.
  void Quantize(Model& model, const ModelTensorInfo& t, const CalibrationStats* stats,
                const std::vector<float>* folded_scale = nullptr) {
    if (std::string reason = KeepReason(t); !reason.empty()) {
      report_.kept.emplace_back(t.name, std::move(reason));
      return;
    }
    const std::string format = options_.format_for_tensor ? options_.format_for_tensor(t) : "";
    const bool fallback = stats == nullptr && method_.NeedsCalibration();
    const WeightCompressor& used = Variant(fallback ? "rtn" : method_.Name(), format);
    if (const auto* q = dynamic_cast<const FormatQuantizer*>(&used)) {
      const std::string problem = q->format().CheckCols(t.shape.cols());
      if (!problem.empty() && options_.skip_incompatible) {
        report_.kept.emplace_back(t.name, problem);
        return;
      }
      if (!problem.empty()) {
        Fail(ErrorCode::kInvalidArgument, "tensor '", t.name, "' ", t.shape.ToString(), ": ", problem,
             "; or keep such tensors unquantized (skip_incompatible; --skip-incompatible in the tool)");
      }
    }
    const Tensor weight = model.ReadF32(t.name);
    CompressedTensor ct;
    try {
      ct = folded_scale ? dynamic_cast<const InputScalingQuantizer&>(used).CompressScaled(weight.View<float>(), *stats,
                                                                                          *folded_scale)
                        : used.Compress(weight.View<float>(), stats);
    } catch (const Error& e) {
      Fail(e.code(), "tensor '", t.name, "': ", e.message());
    }
    Tensor back(DType::kF32, weight.shape());
    used.Decompress(ct, back.View<float>());
    QuantizedTensorReport r;
    r.name = t.name;
    r.shape = t.shape;
    r.method = used.Name();
    r.format = ct.format();
    r.bytes_before = t.num_bytes;
    r.bytes_after = ct.num_bytes();
    r.bits_per_weight = ct.bits_per_weight();
    r.rel_rms_error = RelativeRmsError(weight.data<float>(), back.data<float>(), weight.num_elements());
    report_.tensors.push_back(r);
    model.SetCompressed(t.name, std::move(ct));
  }

  QuantizeModelReport& report() { return report_; }

  // Returns why `t` stays unquantized (QuantizeModelOptions::keep_reason), "" to quantize it.
  std::string KeepReason(const ModelTensorInfo& t) const { return options_.keep_reason ? options_.keep_reason(t) : ""; }

  // Returns the input-scaling method's variant that quantizes tensor `t` (its format chosen per
  // tensor).
  const InputScalingQuantizer& ScalingFor(const ModelTensorInfo& t) {
    const std::string format = options_.format_for_tensor ? options_.format_for_tensor(t) : "";
    return dynamic_cast<const InputScalingQuantizer&>(Variant(method_.Name(), format));
  }

 private:
  // Returns `name` with the method's options and format `format` ("" = the method's own).
  const WeightCompressor& Variant(const std::string& name, const std::string& format) {
    if (name == method_.Name() && format.empty()) return method_;
    const std::string key = name + "/" + format;
    auto it = variants_.find(key);
    if (it == variants_.end()) {
      const RegistryEntry& entry = Registry::Global().Find(name);
      Options options;
      for (const OptionSpec& spec : entry.specs) {
        if (method_.options().Has(spec.name)) options.Set(spec.name, method_.options().values().at(spec.name));
      }
      if (!format.empty()) options.Set("format", format);
      it = variants_.emplace(key, Registry::Global().CreateAs<WeightCompressor>(name, options)).first;
    }
    return *it->second;
  }

  const WeightCompressor& method_;
  const QuantizeModelOptions& options_;
  std::map<std::string, std::unique_ptr<WeightCompressor>> variants_;
  QuantizeModelReport report_;
};

// Quantizes one tensor with the statistics of `set` (folded_scale: see TensorQuantizer::Quantize).
using QuantizeTensorFn = std::function<void(Model&, const ModelTensorInfo&, const CalibrationSet* set,
                                            const std::vector<float>* folded_scale)>;

// Quantizes block `layer` with an input-scaling method (AWQ, SmoothQuant): one s per group of
// layers reading a norm's output (q/k/v after attn_norm, gate/up after ffn_norm), chosen for the
// whole group and folded into the norm; the group is then quantized without input_scale
// (`quantize` with the folded s). The other layers keep their own input_scale.
void QuantizeScaledBlock(Model& model, int64_t layer, const CalibrationSet& set, const InputScalingQuantizer& method,
                         TensorQuantizer& quantizer, bool embeddings, const QuantizeTensorFn& quantize) {
  struct Group {
    LlamaTensor norm;
    std::vector<LlamaTensor> layers;
  };
  std::set<std::string> folded;
  for (const Group& group : {Group{LlamaTensor::kAttnNorm, {LlamaTensor::kAttnQ, LlamaTensor::kAttnK, LlamaTensor::kAttnV}},
                             Group{LlamaTensor::kFfnNorm, {LlamaTensor::kFfnGate, LlamaTensor::kFfnUp}}}) {
    const CalibrationStats* stats = set.ForWeight(LlamaTensorName(layer, group.layers.front()));
    bool foldable = stats != nullptr && model.Find(LlamaTensorName(layer, group.norm)) != nullptr;
    for (LlamaTensor kind : group.layers) {
      const ModelTensorInfo* t = model.Find(LlamaTensorName(layer, kind));
      foldable = foldable && t != nullptr && Selected(*t, embeddings) && quantizer.KeepReason(*t).empty();
    }
    if (!foldable) continue;
    for (LlamaTensor kind : group.layers) folded.insert(LlamaTensorName(layer, kind));
    std::vector<Tensor> weights;
    std::vector<ScaledLayer> layers;
    for (LlamaTensor kind : group.layers) {
      const ModelTensorInfo& t = model.Info(LlamaTensorName(layer, kind));
      weights.push_back(model.ReadF32(t.name));
      layers.push_back({weights.back().View<float>(), &quantizer.ScalingFor(t).format()});
    }
    std::vector<float> s;
    try {
      s = method.SearchScales(layers, *stats);
    } catch (const Error& e) {
      Fail(e.code(), "block ", layer, " (", LlamaTensorName(layer, group.norm), "): ", e.message());
    }
    FoldInputScales(model, layer, group.norm, group.layers, s);
    for (LlamaTensor kind : group.layers) quantize(model, model.Info(LlamaTensorName(layer, kind)), &set, &s);
  }
  for (LlamaTensor kind : kLlamaLinearTensors) {
    const std::string name = LlamaTensorName(layer, kind);
    if (model.Find(name) != nullptr && folded.count(name) == 0) quantize(model, model.Info(name), &set, nullptr);
  }
}

}  // namespace

QuantizeModelReport QuantizeModel(Model& model, const WeightCompressor& method, const QuantizeModelOptions& options) {
  const ModelCalibration& calib = options.calibration;
  if (method.NeedsCalibration() && calib.precomputed == nullptr && calib.tokens == nullptr) {
    Fail(ErrorCode::kInvalidArgument, method.Name(), " needs calibration statistics or calibration tokens");
  }
  TensorQuantizer quantizer(method, options);
  std::optional<CalibrationSet> computed;
  const CalibrationSet* stats = calib.precomputed;
  std::set<std::string> done;
  const QuantizeTensorFn quantize = [&](Model& m, const ModelTensorInfo& t, const CalibrationSet* set,
                                        const std::vector<float>* folded_scale) {
    done.insert(t.name);
    if (Selected(t, options.embeddings)) {
      quantizer.Quantize(m, t, set ? set->ForWeight(t.name) : nullptr, folded_scale);
    }
    if (options.on_tensor) options.on_tensor();
  };
  const std::vector<ModelTensorInfo> tensors = model.Tensors();
  const auto* scaling = dynamic_cast<const InputScalingQuantizer*>(&method);
  if (calib.tokens != nullptr && calib.precomputed == nullptr) {
    if (calib.sequential) {
      CalibrateSequentially(model, *calib.tokens, calib.first_token, calib.count, {},
                            [&](int64_t layer, const CalibrationSet& set, Model& m) {
                              if (scaling != nullptr) {
                                QuantizeScaledBlock(m, layer, set, *scaling, quantizer, options.embeddings, quantize);
                                return;
                              }
                              for (LlamaTensor kind : kLlamaLinearTensors) {
                                quantize(m, m.Info(LlamaTensorName(layer, kind)), &set, nullptr);
                              }
                            });
    } else {
      computed = Calibrate(LlamaModel(model), *calib.tokens, calib.first_token, calib.count);
      stats = &*computed;
    }
  }
  if (scaling != nullptr && stats != nullptr && model.config()) {
    for (int64_t layer = 0; layer < model.config()->n_layers; ++layer) {
      QuantizeScaledBlock(model, layer, *stats, *scaling, quantizer, options.embeddings, quantize);
    }
  }
  for (const ModelTensorInfo& t : tensors) {
    if (done.count(t.name) == 0) quantize(model, model.Info(t.name), stats, nullptr);
  }
  return std::move(quantizer.report());
}

}  // namespace shrink
