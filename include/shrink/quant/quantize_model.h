// QuantizeModel: quantizes the weights of a whole model with one quantizer method, calibrating
// block by block ("true sequential") when the method needs statistics; the driver behind
// `shrink quantize`.
#ifndef SHRINK_QUANT_QUANTIZE_MODEL_H_
#define SHRINK_QUANT_QUANTIZE_MODEL_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "shrink/compressor.h"
#include "shrink/io/model.h"
#include "shrink/model/calibration.h"

namespace shrink {

// Says where statistics come from: a CalibrationSet computed beforehand, or token ids to
// calibrate on (block by block on the partly quantized model unless `sequential` is false).
struct ModelCalibration {
  const CalibrationSet* precomputed = nullptr;
  const std::vector<int32_t>* tokens = nullptr;
  int64_t first_token = kDefaultCalibrationFirstToken;
  int64_t count = 8192;
  bool sequential = true;
};

struct QuantizeModelOptions {
  bool embeddings = false;         // also quantize the token embedding
  bool skip_incompatible = false;  // keep tensors whose rows do not fit the format (else an error)
  ModelCalibration calibration;
  // Returns the format for one tensor ("" = the method's own); the same method and settings
  // are used with that format.
  std::function<std::string(const ModelTensorInfo&)> format_for_tensor;
  // Returns why one tensor stays unquantized ("" = quantize it); such tensors go to the report's `kept`
  // list and are never handed to format_for_tensor's format (e.g. what llama-quantize would store as f16).
  std::function<std::string(const ModelTensorInfo&)> keep_reason;
  // Called after each tensor (for progress reports).
  std::function<void()> on_tensor;
};

// Describes what happened to one tensor.
struct QuantizedTensorReport {
  std::string name;
  Shape shape;
  std::string method;  // the method that compressed it (rtn for tensors without statistics)
  std::string format;
  uint64_t bytes_before = 0, bytes_after = 0;
  double bits_per_weight = 0.0;
  double rel_rms_error = 0.0;
};

struct QuantizeModelReport {
  std::vector<QuantizedTensorReport> tensors;
  std::vector<std::pair<std::string, std::string>> kept;  // tensor, why it was not quantized
};

// Quantizes every 2-D float weight of `model` in place (not norms; not the token embedding
// unless asked) with `method`. Tensors outside the calibrated sites (the classifier) are rounded
// to nearest in the method's format when the method needs statistics. Throws kInvalidArgument
// naming the tensor when a weight does not fit its format (unless skip_incompatible), or when a
// method that needs calibration gets none. With an input-scaling method (InputScalingQuantizer:
// awq, smoothquant), each block's q/k/v and gate/up share one s per group, chosen for the whole
// group and folded into attn_norm / ffn_norm (weights times s, norm divided by s), so those
// tensors carry no input_scale; attn_output and ffn_down keep their own input_scale section.
QuantizeModelReport QuantizeModel(Model& model, const WeightCompressor& method, const QuantizeModelOptions& options);

}  // namespace shrink

#endif  // SHRINK_QUANT_QUANTIZE_MODEL_H_
