// Shape of a tensor: up to kMaxRank dimensions, outermost first (row-major order).
#ifndef SHRINK_CORE_SHAPE_H_
#define SHRINK_CORE_SHAPE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>

#include "shrink/core/error.h"

namespace shrink {

// Holds the dimensions of a tensor, outermost first: a matrix is {rows, cols}.
class Shape {
 public:
  static constexpr int kMaxRank = 8;

  Shape() = default;
  // Builds a shape from `dims`; throws kInvalidArgument for a negative dimension, more than
  // kMaxRank dimensions, or an element count that overflows int64.
  Shape(std::initializer_list<int64_t> dims) { Assign(dims.begin(), dims.end()); }
  template <typename It>
  Shape(It first, It last) {
    Assign(first, last);
  }

  int rank() const { return rank_; }
  int64_t dim(int i) const { return dims_[static_cast<size_t>(i)]; }
  int64_t operator[](int i) const { return dim(i); }
  const int64_t* begin() const { return dims_.data(); }
  const int64_t* end() const { return dims_.data() + rank_; }

  // Returns the product of the dimensions (1 for a scalar of rank 0).
  int64_t num_elements() const {
    int64_t n = 1;
    for (int i = 0; i < rank_; ++i) n *= dims_[static_cast<size_t>(i)];
    return n;
  }
  // Returns rows of a matrix: the product of all but the last dimension.
  int64_t rows() const {
    int64_t n = 1;
    for (int i = 0; i + 1 < rank_; ++i) n *= dims_[static_cast<size_t>(i)];
    return n;
  }
  // Returns the last dimension (1 for a scalar).
  int64_t cols() const { return rank_ == 0 ? 1 : dims_[static_cast<size_t>(rank_ - 1)]; }

  // Returns "[4096, 4096]".
  std::string ToString() const {
    std::string s = "[";
    for (int i = 0; i < rank_; ++i) {
      if (i) s += ", ";
      s += std::to_string(dims_[static_cast<size_t>(i)]);
    }
    return s + "]";
  }

  friend bool operator==(const Shape& a, const Shape& b) {
    if (a.rank_ != b.rank_) return false;
    for (int i = 0; i < a.rank_; ++i) {
      if (a.dims_[static_cast<size_t>(i)] != b.dims_[static_cast<size_t>(i)]) return false;
    }
    return true;
  }
  friend bool operator!=(const Shape& a, const Shape& b) { return !(a == b); }

 private:
  template <typename It>
  void Assign(It first, It last) {
    int64_t count = 1;
    for (It it = first; it != last; ++it) {
      const auto d = static_cast<int64_t>(*it);
      if (rank_ == kMaxRank) Fail(ErrorCode::kInvalidArgument, "shape has more than ", kMaxRank, " dimensions");
      if (d < 0) Fail(ErrorCode::kInvalidArgument, "shape has a negative dimension ", d);
      if (d != 0 && count > std::numeric_limits<int64_t>::max() / d) {
        Fail(ErrorCode::kInvalidArgument, "shape's element count overflows 64 bits");
      }
      count *= d;
      dims_[static_cast<size_t>(rank_++)] = d;
    }
  }

  std::array<int64_t, kMaxRank> dims_{};
  int rank_ = 0;
};

}  // namespace shrink

#endif  // SHRINK_CORE_SHAPE_H_
