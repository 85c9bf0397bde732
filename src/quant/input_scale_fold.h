// Folding of per-input-channel scales (AWQ, SmoothQuant) into a Llama block's RMSNorm, so that
// the layers reading the norm's output need no input_scale (and stay storable as plain ggml blocks).
#ifndef SHRINK_SRC_QUANT_INPUT_SCALE_FOLD_H_
#define SHRINK_SRC_QUANT_INPUT_SCALE_FOLD_H_

#include <cstdint>
#include <vector>

#include "shrink/io/model.h"
#include "shrink/io/model_config.h"

namespace shrink {

// Multiplies input channel j of every weight `group` of block `layer` by s[j] and divides the
// block's RMSNorm weight `norm` by s[j], as f32 tensors: the model computes the same function.
// Throws kShapeMismatch naming the tensor when its input channels are not s.size(), and
// kInvalidArgument when an s[j] is not finite and > 0.
void FoldInputScales(Model& model, int64_t layer, LlamaTensor norm, const std::vector<LlamaTensor>& group,
                     const std::vector<float>& s);

}  // namespace shrink

#endif  // SHRINK_SRC_QUANT_INPUT_SCALE_FOLD_H_
