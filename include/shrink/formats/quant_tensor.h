// Whole weight tensors in a QuantFormat: allocation, round-to-nearest quantization,
// validation, dequantization and the fused MatVec, shared by every quantizer method.
#ifndef SHRINK_FORMATS_QUANT_TENSOR_H_
#define SHRINK_FORMATS_QUANT_TENSOR_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "shrink/compressed_tensor.h"
#include "shrink/core/tensor_view.h"
#include "shrink/formats/quant_format.h"

namespace shrink {

// Returns the format a compressed tensor is stored in (from its format name and metadata);
// throws kInvalidArgument when the name is not a quantized format, kCorruptData for bad metadata.
std::unique_ptr<QuantFormat> QuantFormatOf(const CompressedTensor& tensor);

// Returns an empty tensor of `shape` (2-D) in `format`: named, described and with every section
// allocated (zeros). Throws kInvalidArgument naming `what` when the rows do not fit the format.
CompressedTensor NewQuantTensor(const QuantFormat& format, const Shape& shape, const std::string& what);

// Returns the section bytes of a rows x cols tensor in `format`.
size_t QuantTensorBytes(const QuantFormat& format, const Shape& shape);

// Returns writable rows of a tensor made by NewQuantTensor, storing `tensor_scale` when the
// format keeps one.
QuantRows BindQuantRows(const QuantFormat& format, CompressedTensor& tensor, float tensor_scale);
// Which rows ValidateQuantRows checks with QuantFormat::ValidateRow.
enum class RowValidation {
  kEveryRow,
  kNone,  // sections only: the caller validates the rows it has to (see CorruptRowsGiveNonFiniteProducts)
};
// Checks every section's dtype and size and, with kEveryRow, every row's fields (ValidateRow);
// throws kCorruptData or kShapeMismatch naming what is wrong.
ConstQuantRows ValidateQuantRows(const QuantFormat& format, const CompressedTensor& tensor,
                                 RowValidation rows_to_check = RowValidation::kEveryRow);

// Returns the range and tensor scale of `weight` that FitBlock sees (throws kInvalidArgument
// for a non-finite weight, naming `what`).
TensorContext MakeTensorContext(const QuantFormat& format, TensorView<const float> weight, const std::string& what);

// Quantizes `weight` by rounding to nearest in `format`; `importance` (cols non-negative
// weights per input channel, or null) weighs the squared error of each column in the scale
// searches. Multithreaded over rows.
CompressedTensor QuantizeTensor(const QuantFormat& format, TensorView<const float> weight, const float* importance,
                                const std::string& what);
// Attaches the optional per-input-channel section "input_scale" (f32 [cols]) to a quantized
// tensor: its decoded column j is multiplied by scale[j] (AWQ's 1/s). Throws kInvalidArgument
// when `scale` does not hold cols finite values > 0 or the tensor already has one.
void AttachInputScale(CompressedTensor& tensor, const std::vector<float>& scale);
// Returns the validated "input_scale" of a quantized tensor, or nullptr when it has none;
// throws kCorruptData when it is not cols finite f32 values > 0.
const float* InputScaleOf(const CompressedTensor& tensor);
// Decodes a quantized tensor into `out` (same shape), after validating it (input_scale applied).
void DequantizeTensor(const CompressedTensor& tensor, TensorView<float> out);
// Computes y = W x on the quantized form (x: cols floats, y: rows floats), after validating it;
// with an input_scale, x is scaled by it first; the format's MatVec does the rest (formats that
// QuantizesActivations round x too).
void QuantMatVec(const CompressedTensor& tensor, const float* x, float* y);
// QuantMatVec through the format's MatVecInt8: x (after the input_scale) rounded to int8 per 32
// values, integer dot kernels.
void QuantMatVecInt8(const CompressedTensor& tensor, const float* x, float* y);

}  // namespace shrink

#endif  // SHRINK_FORMATS_QUANT_TENSOR_H_
