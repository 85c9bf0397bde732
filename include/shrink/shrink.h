// Umbrella header: the whole public API of shrink.
#ifndef SHRINK_SHRINK_H_
#define SHRINK_SHRINK_H_

#include "shrink/calibration_stats.h"
#include "shrink/compressed_tensor.h"
#include "shrink/compressor.h"
#include "shrink/core/convert.h"
#include "shrink/core/dtype.h"
#include "shrink/core/eigen.h"
#include "shrink/core/error.h"
#include "shrink/core/float_codec.h"
#include "shrink/core/matvec.h"
#include "shrink/core/shape.h"
#include "shrink/core/simd.h"
#include "shrink/core/tensor.h"
#include "shrink/core/tensor_checks.h"
#include "shrink/core/tensor_view.h"
#include "shrink/core/threads.h"
#include "shrink/formats/int_grid.h"
#include "shrink/io/atomic_file.h"
#include "shrink/io/gguf.h"
#include "shrink/io/llama2c.h"
#include "shrink/io/mapped_file.h"
#include "shrink/io/model.h"
#include "shrink/io/model_config.h"
#include "shrink/io/safetensors.h"
#include "shrink/options.h"
#include "shrink/quant/rtn.h"
#include "shrink/registry.h"
#include "shrink/version.h"

#endif  // SHRINK_SHRINK_H_
