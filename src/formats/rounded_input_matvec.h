// The MatVec drivers of formats that round their input to int8: the finiteness check of x, and
// the int8-input MatVec of the ggml block formats (x rounded once per call, a row kernel per row).
#ifndef SHRINK_SRC_FORMATS_ROUNDED_INPUT_MATVEC_H_
#define SHRINK_SRC_FORMATS_ROUNDED_INPUT_MATVEC_H_

#include <cstdint>
#include <string>

#include "shrink/formats/quant_format.h"
#include "src/core/parallel.h"
#include "src/kernels/formats/q8_activations.h"

namespace shrink {

// Throws kInvalidArgument naming `format` and the first non-finite x[j] (x: n floats); rounding
// to int8 needs finite inputs.
void RequireFiniteInput(const std::string& format, const float* x, int64_t n);

// Computes y[i] = row_dot(rows.Row(i), xq) for every row, multithreaded, where xq is x rounded
// to int8 per 32 values (kernels::Q8Activations) once; rows.cols() is a multiple of 32.
template <class RowDot>
void Int8InputMatVec(const std::string& format, const ConstQuantRows& rows, const float* x, float* y,
                     const RowDot& row_dot) {
  RequireFiniteInput(format, x, rows.cols());
  kernels::Q8Activations rounded;
  rounded.Assign(x, rows.cols());
  const kernels::Q8Input xq = rounded.view();
  ParallelFor(rows.rows(), [&](int64_t i) { y[i] = row_dot(rows.Row(i), xq); });
}

}  // namespace shrink

#endif  // SHRINK_SRC_FORMATS_ROUNDED_INPUT_MATVEC_H_
