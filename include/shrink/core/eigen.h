// Eigen::Map adapters for TensorView: matrix algebra on shrink's memory without copies.
#ifndef SHRINK_CORE_EIGEN_H_
#define SHRINK_CORE_EIGEN_H_

#include <Eigen/Core>
#include <type_traits>

#include "shrink/core/error.h"
#include "shrink/core/tensor_view.h"

namespace shrink {

// Is the Map type AsEigen returns for a 2-D view of T (row-major, runtime strides).
template <typename T>
using EigenMatrixMap = Eigen::Map<
    std::conditional_t<std::is_const_v<T>,
                       const Eigen::Matrix<std::remove_const_t<T>, Eigen::Dynamic, Eigen::Dynamic,
                                           Eigen::RowMajor>,
                       Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>,
    Eigen::Unaligned, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>>;

// Returns an Eigen map over a 2-D view with its strides; throws kInvalidArgument otherwise.
template <typename T>
EigenMatrixMap<T> AsEigen(const TensorView<T>& view) {
  if (view.rank() != 2) Fail(ErrorCode::kInvalidArgument, "AsEigen needs a 2-D view, got rank ", view.rank());
  return EigenMatrixMap<T>(view.data(), view.rows(), view.cols(),
                           Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>(view.stride(0), view.stride(1)));
}

// Returns an Eigen column-vector map over a 1-D view with its stride.
template <typename T>
auto AsEigenVector(const TensorView<T>& view) {
  using Vec = std::conditional_t<std::is_const_v<T>,
                                 const Eigen::Matrix<std::remove_const_t<T>, Eigen::Dynamic, 1>,
                                 Eigen::Matrix<T, Eigen::Dynamic, 1>>;
  if (view.rank() != 1) Fail(ErrorCode::kInvalidArgument, "AsEigenVector needs a 1-D view, got rank ", view.rank());
  return Eigen::Map<Vec, Eigen::Unaligned, Eigen::InnerStride<Eigen::Dynamic>>(
      view.data(), view.dim(0), Eigen::InnerStride<Eigen::Dynamic>(view.stride(0)));
}

}  // namespace shrink

#endif  // SHRINK_CORE_EIGEN_H_
