// TensorView<T>: a non-owning, strided view of tensor elements; slicing never copies.
#ifndef SHRINK_CORE_TENSOR_VIEW_H_
#define SHRINK_CORE_TENSOR_VIEW_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "shrink/core/error.h"
#include "shrink/core/shape.h"

namespace shrink {

// Points at elements of type T laid out with per-dimension strides (in elements).
// A default-constructed view is empty. Views are cheap to copy; they never own memory.
template <typename T>
class TensorView {
 public:
  using Strides = std::array<int64_t, Shape::kMaxRank>;

  TensorView() = default;
  // Views `data` as a contiguous row-major tensor of `shape`.
  TensorView(T* data, const Shape& shape) : data_(data), shape_(shape) {
    int64_t stride = 1;
    for (int i = shape.rank() - 1; i >= 0; --i) {
      strides_[static_cast<size_t>(i)] = stride;
      stride *= shape.dim(i);
    }
  }
  // Views `data` with explicit `strides` (elements, one per dimension of `shape`).
  TensorView(T* data, const Shape& shape, const Strides& strides)
      : data_(data), shape_(shape), strides_(strides) {}
  // Converts a mutable view into a read-only one.
  template <typename U, typename = std::enable_if_t<std::is_same_v<const U, T> &&
                                                    !std::is_same_v<U, T>>>
  TensorView(const TensorView<U>& other)  // NOLINT(google-explicit-constructor)
      : data_(other.data()), shape_(other.shape()), strides_(other.strides()) {}

  T* data() const { return data_; }
  const Shape& shape() const { return shape_; }
  const Strides& strides() const { return strides_; }
  int rank() const { return shape_.rank(); }
  int64_t dim(int i) const { return shape_.dim(i); }
  int64_t stride(int i) const { return strides_[static_cast<size_t>(i)]; }
  int64_t num_elements() const { return shape_.num_elements(); }
  // Returns true for a default (null) view or one with a zero dimension.
  bool empty() const { return data_ == nullptr || num_elements() == 0; }

  // Returns rows of a 2-D view.
  int64_t rows() const { return shape_.dim(0); }
  // Returns columns of a 2-D view.
  int64_t cols() const { return shape_.dim(1); }
  // Returns a pointer to the first element of row `i` of a 2-D view (no bounds check).
  T* row_data(int64_t i) const { return data_ + i * strides_[0]; }
  // Returns row `i` of a 2-D view as a 1-D view (no bounds check).
  TensorView<T> row(int64_t i) const {
    Strides s{};
    s[0] = strides_[1];
    return TensorView<T>(row_data(i), Shape{shape_.dim(1)}, s);
  }
  // Returns element (i, j) of a 2-D view (no bounds check).
  T& operator()(int64_t i, int64_t j) const { return data_[i * strides_[0] + j * strides_[1]]; }
  // Returns element i of a 1-D view (no bounds check).
  T& operator[](int64_t i) const { return data_[i * strides_[0]]; }

  // Returns true when the elements are dense and row-major (strides of a fresh view).
  bool is_contiguous() const {
    int64_t expected = 1;
    for (int i = rank() - 1; i >= 0; --i) {
      if (shape_.dim(i) != 1 && strides_[static_cast<size_t>(i)] != expected) return false;
      expected *= shape_.dim(i);
    }
    return true;
  }
  // Returns true when each row of a 2-D view is dense (column stride 1).
  bool has_contiguous_rows() const { return rank() == 2 && (cols() <= 1 || strides_[1] == 1); }

  // Returns the sub-view with indices [begin, end) along `axis`; throws kInvalidArgument
  // when the range is outside the dimension.
  TensorView<T> Slice(int axis, int64_t begin, int64_t end) const {
    if (axis < 0 || axis >= rank()) Fail(ErrorCode::kInvalidArgument, "slice axis ", axis, " outside rank ", rank());
    if (begin < 0 || end < begin || end > dim(axis)) {
      Fail(ErrorCode::kInvalidArgument, "slice [", begin, ", ", end, ") outside dimension ", axis,
           " of size ", dim(axis));
    }
    std::array<int64_t, Shape::kMaxRank> dims{};
    for (int i = 0; i < rank(); ++i) dims[static_cast<size_t>(i)] = dim(i);
    dims[static_cast<size_t>(axis)] = end - begin;
    return TensorView<T>(data_ + begin * stride(axis), Shape(dims.begin(), dims.begin() + rank()),
                         strides_);
  }
  // Returns rows [begin, end) of a 2-D view.
  TensorView<T> Rows(int64_t begin, int64_t end) const { return Slice(0, begin, end); }
  // Returns the transpose of a 2-D view (swaps shape and strides; no copy).
  TensorView<T> Transposed() const {
    Strides s{};
    s[0] = strides_[1];
    s[1] = strides_[0];
    return TensorView<T>(data_, Shape{cols(), rows()}, s);
  }
  // Returns a 2-D view of a contiguous tensor as {product of leading dims, last dim}.
  TensorView<T> AsMatrix() const {
    if (!is_contiguous()) Fail(ErrorCode::kInvalidArgument, "AsMatrix needs a contiguous view");
    return TensorView<T>(data_, Shape{shape_.rows(), shape_.cols()});
  }

 private:
  T* data_ = nullptr;
  Shape shape_;
  Strides strides_{};
};

}  // namespace shrink

#endif  // SHRINK_CORE_TENSOR_VIEW_H_
