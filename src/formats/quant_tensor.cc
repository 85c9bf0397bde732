// Whole-tensor drivers over a QuantFormat: allocation, validation, RTN, decode and MatVec.
#include "shrink/formats/quant_tensor.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <vector>

#include "shrink/core/error.h"
#include "shrink/core/tensor_checks.h"
#include "src/core/parallel.h"
#include "src/kernels/core/finite.h"

namespace shrink {
namespace {

constexpr const char* kTensorScale = "tensor_scale";
constexpr const char* kInputScale = "input_scale";

// Returns the row sections of `format` for rows of `cols` (the tensor scale is not one).
std::vector<FormatSection> RowSections(const QuantFormat& format, int64_t cols) {
  std::vector<FormatSection> sections = format.Sections(cols);
  if (sections.size() > static_cast<size_t>(kMaxFormatSections)) {
    Fail(ErrorCode::kInternal, format.Name(), " declares more than ", kMaxFormatSections, " sections");
  }
  return sections;
}

// Returns row `i` of `x` contiguous: the row itself or a copy private to the thread.
const float* ContiguousRow(TensorView<const float> x, int64_t i) {
  if (x.has_contiguous_rows()) return x.row_data(i);
  thread_local std::vector<float> copy;
  copy.resize(static_cast<size_t>(x.cols()));
  for (int64_t j = 0; j < x.cols(); ++j) copy[static_cast<size_t>(j)] = x(i, j);
  return copy.data();
}

}  // namespace

std::unique_ptr<QuantFormat> QuantFormatOf(const CompressedTensor& tensor) {
  if (!IsQuantFormat(tensor.format())) {
    Fail(ErrorCode::kInvalidArgument, "'", tensor.format(), "' is not a quantized weight format");
  }
  try {
    return MakeQuantFormat(tensor.format(), tensor.metadata());
  } catch (const Error& e) {
    Fail(ErrorCode::kCorruptData, tensor.format(), " tensor has bad metadata: ", e.what());
  }
}

CompressedTensor NewQuantTensor(const QuantFormat& format, const Shape& shape, const std::string& what) {
  if (shape.rank() != 2 || shape.num_elements() == 0) {
    Fail(ErrorCode::kInvalidArgument, what, ": ", format.Name(), " needs a non-empty 2-D weight, got shape ",
         shape.ToString());
  }
  const std::string problem = format.CheckCols(shape.cols());
  if (!problem.empty()) Fail(ErrorCode::kInvalidArgument, what, " ", shape.ToString(), ": ", problem);
  CompressedTensor tensor(format.Name(), shape);
  for (const auto& [key, value] : format.Meta()) tensor.SetMeta(key, value);
  for (const FormatSection& s : RowSections(format, shape.cols())) {
    tensor.AddSection(s.name, s.dtype, Shape{shape.rows(), s.row_elements});
  }
  if (format.UsesTensorScale()) tensor.AddSection(kTensorScale, DType::kF32, Shape{1});
  return tensor;
}

size_t QuantTensorBytes(const QuantFormat& format, const Shape& shape) {
  size_t row_bytes = 0;
  for (const FormatSection& s : RowSections(format, shape.cols())) row_bytes += s.row_bytes();
  return static_cast<size_t>(shape.rows()) * row_bytes + (format.UsesTensorScale() ? sizeof(float) : 0);
}

QuantRows BindQuantRows(const QuantFormat& format, CompressedTensor& tensor, float tensor_scale) {
  const int64_t rows = tensor.shape().rows(), cols = tensor.shape().cols();
  const std::vector<FormatSection> sections = RowSections(format, cols);
  std::array<uint8_t*, kMaxFormatSections> base{};
  std::array<size_t, kMaxFormatSections> row_bytes{};
  for (size_t s = 0; s < sections.size(); ++s) {
    for (CompressedSection& c : tensor.mutable_sections()) {
      if (c.name == sections[s].name) base[s] = c.bytes.data();
    }
    if (base[s] == nullptr) Fail(ErrorCode::kInternal, format.Name(), " tensor lacks section ", sections[s].name);
    row_bytes[s] = sections[s].row_bytes();
  }
  if (format.UsesTensorScale()) {
    for (CompressedSection& c : tensor.mutable_sections()) {
      if (c.name == kTensorScale) std::memcpy(c.bytes.data(), &tensor_scale, sizeof(float));
    }
  }
  return QuantRows(rows, cols, tensor_scale, base, row_bytes);
}

ConstQuantRows ValidateQuantRows(const QuantFormat& format, const CompressedTensor& tensor,
                                 RowValidation rows_to_check) {
  const Shape& shape = tensor.shape();
  if (shape.rank() != 2) {
    Fail(ErrorCode::kCorruptData, format.Name(), " tensor has shape ", shape.ToString(), ", expected 2-D");
  }
  const int64_t rows = shape.rows(), cols = shape.cols();
  const std::string problem = format.CheckCols(cols);
  if (!problem.empty()) Fail(ErrorCode::kCorruptData, format.Name(), " tensor ", shape.ToString(), ": ", problem);
  const std::vector<FormatSection> sections = RowSections(format, cols);
  std::array<const uint8_t*, kMaxFormatSections> base{};
  std::array<size_t, kMaxFormatSections> row_bytes{};
  for (size_t s = 0; s < sections.size(); ++s) {
    row_bytes[s] = sections[s].row_bytes();
    base[s] = tensor.Section(sections[s].name, sections[s].dtype, static_cast<size_t>(rows) * row_bytes[s]).bytes.data();
  }
  float tensor_scale = 1.0f;
  if (format.UsesTensorScale()) {
    std::memcpy(&tensor_scale, tensor.Section(kTensorScale, DType::kF32, sizeof(float)).bytes.data(), sizeof(float));
    if (!std::isfinite(tensor_scale) || tensor_scale < 0.0f) {  // 0 is an all-zero tensor
      Fail(ErrorCode::kCorruptData, format.Name(), " tensor scale is negative or not finite (", tensor_scale, ")");
    }
  }
  const ConstQuantRows view(rows, cols, tensor_scale, base, row_bytes);
  if (rows_to_check == RowValidation::kEveryRow) {
    for (int64_t i = 0; i < rows; ++i) format.ValidateRow(view.Row(i), cols, i);
  }
  return view;
}

TensorContext MakeTensorContext(const QuantFormat& format, TensorView<const float> weight, const std::string& what) {
  RequireFiniteMatrix(weight, what.c_str());
  TensorContext ctx;
  if (!format.UsesTensorRange()) return ctx;  // most formats fit blocks on their own weights
  ctx.min = weight(0, 0);
  ctx.max = weight(0, 0);
  for (int64_t i = 0; i < weight.rows(); ++i) {
    const float* row = ContiguousRow(weight, i);
    for (int64_t j = 0; j < weight.cols(); ++j) {
      ctx.min = std::min(ctx.min, row[j]);
      ctx.max = std::max(ctx.max, row[j]);
    }
  }
  ctx.tensor_scale = format.TensorScale(std::max(-ctx.min, ctx.max));
  return ctx;
}

CompressedTensor QuantizeTensor(const QuantFormat& format, TensorView<const float> weight, const float* importance,
                                const std::string& what) {
  // Formats that read the tensor's range need a pass over it first, which checks finiteness;
  // the others check each row just before quantizing it, while it is in cache.
  const bool whole_pass = format.UsesTensorRange() || weight.rank() != 2 || weight.num_elements() == 0;
  const TensorContext ctx = whole_pass ? MakeTensorContext(format, weight, what) : TensorContext{};
  CompressedTensor tensor = NewQuantTensor(format, weight.shape(), what);
  const QuantRows rows = BindQuantRows(format, tensor, ctx.tensor_scale);
  std::atomic<bool> non_finite{false};
  ParallelFor(rows.rows(), [&](int64_t i) {
    const float* row = ContiguousRow(weight, i);
    if (!whole_pass && !kernels::AllFinite(row, rows.cols())) {
      non_finite = true;
      return;
    }
    format.QuantizeRow(row, importance, rows.cols(), ctx, rows.Row(i));
  });
  if (non_finite) RequireFiniteMatrix(weight, what.c_str());  // throws, locating the first one
  return tensor;
}

void AttachInputScale(CompressedTensor& tensor, const std::vector<float>& scale) {
  const int64_t cols = tensor.shape().rank() == 2 ? tensor.shape().cols() : -1;
  if (static_cast<int64_t>(scale.size()) != cols) {
    Fail(ErrorCode::kInvalidArgument, tensor.format(), " tensor ", tensor.shape().ToString(), ": input_scale has ",
         scale.size(), " values, expected one per input channel (", cols, ")");
  }
  for (size_t j = 0; j < scale.size(); ++j) {
    if (!std::isfinite(scale[j]) || !(scale[j] > 0.0f)) {
      Fail(ErrorCode::kInvalidArgument, tensor.format(), " tensor: input_scale[", j, "] = ", scale[j],
           ", expected a finite value > 0");
    }
  }
  std::memcpy(tensor.AddSection(kInputScale, DType::kF32, Shape{cols}), scale.data(), scale.size() * sizeof(float));
}

const float* InputScaleOf(const CompressedTensor& tensor) {
  if (tensor.FindSection(kInputScale) == nullptr) return nullptr;
  const int64_t cols = tensor.shape().rank() == 2 ? tensor.shape().cols() : 0;
  const auto* scale = reinterpret_cast<const float*>(
      tensor.Section(kInputScale, DType::kF32, static_cast<size_t>(cols) * sizeof(float)).bytes.data());
  for (int64_t j = 0; j < cols; ++j) {
    if (!std::isfinite(scale[j]) || !(scale[j] > 0.0f)) {
      Fail(ErrorCode::kCorruptData, tensor.format(), " tensor: input_scale[", j, "] = ", scale[j],
           ", expected a finite value > 0");
    }
  }
  return scale;
}

void DequantizeTensor(const CompressedTensor& tensor, TensorView<float> out) {
  const auto format = QuantFormatOf(tensor);
  const ConstQuantRows rows = ValidateQuantRows(*format, tensor);
  const float* input_scale = InputScaleOf(tensor);
  if (out.shape() != tensor.shape()) {
    Fail(ErrorCode::kShapeMismatch, format->Name(), ": output view ", out.shape().ToString(), " does not match ",
         tensor.shape().ToString());
  }
  const bool direct = out.has_contiguous_rows();
#pragma omp parallel
  {
    std::vector<float> scratch(direct ? 0 : static_cast<size_t>(rows.cols()));
#pragma omp for schedule(static)
    for (int64_t i = 0; i < rows.rows(); ++i) {
      float* dst = direct ? out.row_data(i) : scratch.data();
      format->DequantizeRow(rows.Row(i), rows.cols(), rows.tensor_scale(), dst);
      if (input_scale != nullptr) {
        for (int64_t j = 0; j < rows.cols(); ++j) dst[j] *= input_scale[j];
      }
      if (!direct) {
        for (int64_t j = 0; j < rows.cols(); ++j) out(i, j) = scratch[static_cast<size_t>(j)];
      }
    }
  }
}

namespace {

// Validates `tensor`, applies its input_scale to x and runs `product` (a QuantFormat MatVec).
// Formats whose corrupt rows always give non-finite products have only the rows with a
// non-finite result validated, after the product, so that the weights are read once.
void RunMatVec(const CompressedTensor& tensor, const float* x, float* y,
               void (QuantFormat::*product)(const ConstQuantRows&, const float*, float*) const) {
  const auto format = QuantFormatOf(tensor);
  const bool deferred = format->CorruptRowsGiveNonFiniteProducts();
  const ConstQuantRows rows =
      ValidateQuantRows(*format, tensor, deferred ? RowValidation::kNone : RowValidation::kEveryRow);
  std::vector<float> scaled_x;
  if (const float* input_scale = InputScaleOf(tensor)) {
    scaled_x.resize(static_cast<size_t>(rows.cols()));
    for (int64_t j = 0; j < rows.cols(); ++j) scaled_x[static_cast<size_t>(j)] = x[j] * input_scale[j];
    x = scaled_x.data();
  }
  ((*format).*product)(rows, x, y);
  if (!deferred) return;
  for (int64_t i = 0; i < rows.rows(); ++i) {
    if (!std::isfinite(y[i])) format->ValidateRow(rows.Row(i), rows.cols(), i);  // throws when corrupt
  }
}

}  // namespace

void QuantMatVec(const CompressedTensor& tensor, const float* x, float* y) {
  RunMatVec(tensor, x, y, &QuantFormat::MatVec);
}

void QuantMatVecInt8(const CompressedTensor& tensor, const float* x, float* y) {
  RunMatVec(tensor, x, y, &QuantFormat::MatVecInt8);
}

}  // namespace shrink
