// Tests Shape, TensorView (strided, copy-free slicing), Tensor (aligned owning buffer) and AsEigen.
#include "shrink/core/tensor.h"

#include <gtest/gtest.h>

#include <Eigen/Core>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <type_traits>
#include <vector>

#include "shrink/core/eigen.h"
#include "shrink/core/error.h"
#include "shrink/core/shape.h"
#include "shrink/core/tensor_view.h"

namespace shrink {
namespace {

// Expects `statement` to throw shrink::Error with `code`.
#define EXPECT_SHRINK_ERROR(statement, error_code)                       \
  do {                                                                   \
    try {                                                                \
      statement;                                                         \
      ADD_FAILURE() << "no error from " #statement;                      \
    } catch (const Error& e) {                                           \
      EXPECT_EQ(e.code(), error_code) << #statement << ": " << e.what(); \
    }                                                                    \
  } while (0)

// ---------------------------------------------------------------- Shape

TEST(ShapeTest, ReportsDimensionsCountsAndText) {
  const Shape m{4096, 11008};
  EXPECT_EQ(m.rank(), 2);
  EXPECT_EQ(m.dim(0), 4096);
  EXPECT_EQ(m[1], 11008);
  EXPECT_EQ(m.num_elements(), 4096 * 11008);
  EXPECT_EQ(m.rows(), 4096);
  EXPECT_EQ(m.cols(), 11008);
  EXPECT_EQ(m.ToString(), "[4096, 11008]");

  const Shape t{2, 3, 4};
  EXPECT_EQ(t.rows(), 6);
  EXPECT_EQ(t.cols(), 4);
  EXPECT_EQ(std::vector<int64_t>(t.begin(), t.end()), (std::vector<int64_t>{2, 3, 4}));

  const Shape scalar;
  EXPECT_EQ(scalar.rank(), 0);
  EXPECT_EQ(scalar.num_elements(), 1);
  EXPECT_EQ(scalar.rows(), 1);
  EXPECT_EQ(scalar.cols(), 1);
  EXPECT_EQ(scalar.ToString(), "[]");
  EXPECT_EQ(Shape{0}.ToString(), "[0]");

  const std::vector<int64_t> dims = {5, 7};
  EXPECT_EQ(Shape(dims.begin(), dims.end()), (Shape{5, 7}));
  EXPECT_NE((Shape{5, 7}), (Shape{7, 5}));
  EXPECT_NE((Shape{5, 7}), (Shape{5, 7, 1}));
}

TEST(ShapeTest, RejectsNegativeTooManyAndOverflowingDimensions) {
  EXPECT_SHRINK_ERROR(Shape({3, -1}), ErrorCode::kInvalidArgument);
  EXPECT_SHRINK_ERROR(Shape({1, 1, 1, 1, 1, 1, 1, 1, 1}), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Shape({1, 1, 1, 1, 1, 1, 1, 1}).rank(), Shape::kMaxRank);
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  EXPECT_SHRINK_ERROR(Shape({int64_t{1} << 32, int64_t{1} << 32}), ErrorCode::kInvalidArgument);
  EXPECT_SHRINK_ERROR(Shape({kMax, 2}), ErrorCode::kInvalidArgument);
  EXPECT_SHRINK_ERROR(Shape({3, kMax / 2}), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Shape({kMax, 1}).num_elements(), kMax);
  EXPECT_EQ(Shape({int64_t{1} << 31, int64_t{1} << 31}).num_elements(), int64_t{1} << 62);
  EXPECT_EQ(Shape({0, kMax, kMax}).num_elements(), 0);  // empty: nothing to overflow
  try {
    Shape({kMax, 2});
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("overflow"), std::string::npos) << e.what();
  }
}

// ---------------------------------------------------------------- TensorView

// Returns 0, 1, 2, ... as a vector of `count` floats.
std::vector<float> Iota(size_t count) {
  std::vector<float> v(count);
  std::iota(v.begin(), v.end(), 0.0f);
  return v;
}

TEST(TensorViewTest, ContiguousViewHasRowMajorStridesAndRows) {
  std::vector<float> data = Iota(12);
  const TensorView<float> v(data.data(), Shape{3, 4});
  EXPECT_EQ(v.rows(), 3);
  EXPECT_EQ(v.cols(), 4);
  EXPECT_EQ(v.stride(0), 4);
  EXPECT_EQ(v.stride(1), 1);
  EXPECT_TRUE(v.is_contiguous());
  EXPECT_TRUE(v.has_contiguous_rows());
  EXPECT_FALSE(v.empty());
  EXPECT_EQ(v(2, 3), 11.0f);
  EXPECT_EQ(v.row_data(1), data.data() + 4);
  const TensorView<float> row = v.row(2);
  EXPECT_EQ(row.rank(), 1);
  EXPECT_EQ(row.dim(0), 4);
  EXPECT_EQ(row.data(), data.data() + 8);
  EXPECT_EQ(row[1], 9.0f);
  row[1] = -1.0f;  // a view writes through to the memory it points at
  EXPECT_EQ(data[9], -1.0f);

  const TensorView<float> cube(data.data(), Shape{2, 3, 2});
  EXPECT_EQ(cube.stride(0), 6);
  EXPECT_EQ(cube.stride(1), 2);
  EXPECT_EQ(cube.stride(2), 1);
}

TEST(TensorViewTest, SlicesShareMemory) {
  std::vector<float> data = Iota(20);
  const TensorView<float> v(data.data(), Shape{4, 5});

  const TensorView<float> cols = v.Slice(1, 1, 4);  // columns 1..3
  EXPECT_EQ(cols.data(), data.data() + 1);
  EXPECT_EQ(cols.shape(), (Shape{4, 3}));
  EXPECT_EQ(cols.stride(0), 5);
  EXPECT_EQ(cols.stride(1), 1);
  EXPECT_FALSE(cols.is_contiguous());
  EXPECT_TRUE(cols.has_contiguous_rows());
  EXPECT_EQ(cols(3, 2), 18.0f);
  cols(0, 0) = 100.0f;
  EXPECT_EQ(data[1], 100.0f);

  const TensorView<float> rows = v.Rows(1, 3);
  EXPECT_EQ(rows.data(), data.data() + 5);
  EXPECT_EQ(rows.shape(), (Shape{2, 5}));
  EXPECT_TRUE(rows.is_contiguous());
  EXPECT_EQ(rows(1, 4), 14.0f);

  const TensorView<float> nested = rows.Slice(1, 2, 3);  // a single column of two rows
  EXPECT_EQ(nested.data(), data.data() + 7);
  EXPECT_EQ(nested(1, 0), 12.0f);
  EXPECT_FALSE(nested.is_contiguous());
  EXPECT_TRUE(nested.has_contiguous_rows());

  EXPECT_TRUE(v.Slice(0, 2, 2).empty());
  EXPECT_SHRINK_ERROR(v.Slice(2, 0, 1), ErrorCode::kInvalidArgument);
  EXPECT_SHRINK_ERROR(v.Slice(-1, 0, 1), ErrorCode::kInvalidArgument);
  EXPECT_SHRINK_ERROR(v.Slice(0, 3, 2), ErrorCode::kInvalidArgument);
  EXPECT_SHRINK_ERROR(v.Slice(1, 0, 6), ErrorCode::kInvalidArgument);
  EXPECT_SHRINK_ERROR(v.Rows(-1, 2), ErrorCode::kInvalidArgument);
}

TEST(TensorViewTest, TransposedSwapsShapeAndStridesWithoutCopying) {
  std::vector<float> data = Iota(12);
  const TensorView<float> v(data.data(), Shape{3, 4});
  const TensorView<float> t = v.Transposed();
  EXPECT_EQ(t.data(), data.data());
  EXPECT_EQ(t.shape(), (Shape{4, 3}));
  EXPECT_EQ(t.stride(0), 1);
  EXPECT_EQ(t.stride(1), 4);
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_FALSE(t.has_contiguous_rows());
  for (int64_t i = 0; i < 3; ++i) {
    for (int64_t j = 0; j < 4; ++j) EXPECT_EQ(t(j, i), v(i, j));
  }
  const TensorView<float> column = t.row(2);  // column 2 of v, stride 4
  EXPECT_EQ(column.stride(0), 4);
  EXPECT_EQ(column[2], 10.0f);
  const TensorView<float> back = t.Transposed();
  EXPECT_EQ(back.shape(), v.shape());
  EXPECT_EQ(back.strides(), v.strides());
  EXPECT_TRUE(back.is_contiguous());
}

TEST(TensorViewTest, ContiguityIgnoresUnitDimensions) {
  std::vector<float> data = Iota(4);
  TensorView<float>::Strides strides{};
  strides[0] = 999;  // never stepped over: the dimension has size 1
  strides[1] = 1;
  EXPECT_TRUE(TensorView<float>(data.data(), Shape{1, 4}, strides).is_contiguous());
  strides[1] = 2;
  EXPECT_FALSE(TensorView<float>(data.data(), Shape{1, 2}, strides).is_contiguous());
  EXPECT_TRUE(TensorView<float>(data.data(), Shape{4, 1}).Transposed().is_contiguous());
}

TEST(TensorViewTest, AsMatrixFlattensLeadingDimensionsOfContiguousViews) {
  std::vector<float> data = Iota(24);
  const TensorView<float> cube(data.data(), Shape{2, 3, 4});
  const TensorView<float> m = cube.AsMatrix();
  EXPECT_EQ(m.shape(), (Shape{6, 4}));
  EXPECT_EQ(m(5, 3), 23.0f);
  EXPECT_SHRINK_ERROR(cube.Slice(2, 0, 2).AsMatrix(), ErrorCode::kInvalidArgument);
}

TEST(TensorViewTest, MutableViewsConvertToConstViewsOnly) {
  static_assert(std::is_convertible_v<TensorView<float>, TensorView<const float>>);
  static_assert(!std::is_convertible_v<TensorView<const float>, TensorView<float>>);
  static_assert(!std::is_convertible_v<TensorView<float>, TensorView<const int32_t>>);
  std::vector<float> data = Iota(6);
  const TensorView<float> v = TensorView<float>(data.data(), Shape{2, 3}).Slice(1, 1, 3);
  const TensorView<const float> c = v;
  EXPECT_EQ(c.data(), v.data());
  EXPECT_EQ(c.shape(), v.shape());
  EXPECT_EQ(c.strides(), v.strides());
  EXPECT_EQ(c(1, 1), 5.0f);
}

TEST(TensorViewTest, DefaultViewIsEmpty) {
  const TensorView<float> v;
  EXPECT_EQ(v.data(), nullptr);
  EXPECT_TRUE(v.empty());
}

// ---------------------------------------------------------------- Tensor

TEST(TensorTest, BuffersAreAlignedAndZeroFilled) {
  for (DType dtype : kAllDTypes) {
    for (const Shape& shape : {Shape{1}, Shape{3, 5}, Shape{7, 13}, Shape{2, 3, 67}}) {
      SCOPED_TRACE(std::string(DTypeName(dtype)) + " " + shape.ToString());
      const Tensor t(dtype, shape);
      EXPECT_EQ(t.dtype(), dtype);
      EXPECT_EQ(t.shape(), shape);
      EXPECT_EQ(t.num_elements(), shape.num_elements());
      EXPECT_EQ(t.num_bytes(), static_cast<size_t>(shape.num_elements()) * DTypeSize(dtype));
      ASSERT_NE(t.bytes(), nullptr);
      EXPECT_EQ(reinterpret_cast<uintptr_t>(t.bytes()) % kTensorAlignment, 0u);
      for (size_t i = 0; i < t.num_bytes(); ++i) ASSERT_EQ(t.bytes()[i], std::byte{0}) << i;
    }
  }
  const Tensor empty(DType::kF32, Shape{0, 4096});
  EXPECT_EQ(empty.num_bytes(), 0u);
  EXPECT_TRUE(empty.View<float>().empty());
}

TEST(TensorTest, ViewsCheckTheElementType) {
  Tensor f32(DType::kF32, Shape{2, 3});
  EXPECT_NO_THROW(f32.View<float>());
  EXPECT_NO_THROW(f32.View<int32_t>());  // the bits of the floats
  EXPECT_SHRINK_ERROR(f32.View<uint16_t>(), ErrorCode::kInvalidArgument);
  EXPECT_SHRINK_ERROR(f32.View<double>(), ErrorCode::kInvalidArgument);

  Tensor f16(DType::kF16, Shape{4});
  EXPECT_NO_THROW(f16.View<uint16_t>());
  EXPECT_SHRINK_ERROR(f16.View<float>(), ErrorCode::kInvalidArgument);
  EXPECT_SHRINK_ERROR(f16.data<uint8_t>(), ErrorCode::kInvalidArgument);
  try {
    f16.View<float>();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("f16"), std::string::npos) << e.what();
  }

  Tensor i32(DType::kI32, Shape{4});
  EXPECT_SHRINK_ERROR(i32.View<float>(), ErrorCode::kInvalidArgument);
  Tensor i64(DType::kI64, Shape{4});
  EXPECT_SHRINK_ERROR(i64.View<double>(), ErrorCode::kInvalidArgument);
  EXPECT_NO_THROW(i64.View<int64_t>());

  const Tensor& const_f32 = f32;
  static_assert(std::is_same_v<decltype(const_f32.View<float>()), TensorView<const float>>);
  static_assert(std::is_same_v<decltype(const_f32.data<float>()), const float*>);
  EXPECT_SHRINK_ERROR(const_f32.View<int8_t>(), ErrorCode::kInvalidArgument);
}

TEST(TensorTest, ViewsPointIntoTheBuffer) {
  Tensor t(DType::kF32, Shape{3, 4});
  TensorView<float> v = t.View<float>();
  EXPECT_EQ(static_cast<void*>(v.data()), static_cast<void*>(t.bytes()));
  EXPECT_TRUE(v.is_contiguous());
  v(2, 1) = 7.0f;
  EXPECT_EQ(t.data<float>()[9], 7.0f);
}

TEST(TensorTest, DefaultAndMovedFromTensorsAreEmpty) {
  const Tensor empty;
  EXPECT_EQ(empty.num_elements(), 0);
  EXPECT_EQ(empty.num_bytes(), 0u);
  EXPECT_TRUE(empty.View<float>().empty());
  Tensor a(DType::kF32, Shape{4, 4});
  Tensor b = std::move(a);
  EXPECT_EQ(b.num_elements(), 16);
  EXPECT_EQ(a.num_elements(), 0);  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  EXPECT_EQ(a.num_bytes(), 0u);
  EXPECT_EQ(a.Clone().num_bytes(), 0u);
  a = std::move(b);
  EXPECT_EQ(a.num_elements(), 16);
}

TEST(TensorTest, RejectsSizesThatOverflow) {
  EXPECT_SHRINK_ERROR(Tensor(DType::kF32, Shape{int64_t{1} << 61}), ErrorCode::kInvalidArgument);
  EXPECT_SHRINK_ERROR(Tensor(DType::kI64, Shape{int64_t{1} << 31, int64_t{1} << 31}),
                      ErrorCode::kInvalidArgument);
}

TEST(TensorTest, CloneCopiesAndReshapeKeepsTheElements) {
  Tensor t(DType::kI16, Shape{2, 6});
  for (int i = 0; i < 12; ++i) t.data<int16_t>()[i] = static_cast<int16_t>(i * 3);
  Tensor copy = t.Clone();
  EXPECT_NE(copy.bytes(), t.bytes());
  EXPECT_EQ(copy.shape(), t.shape());
  EXPECT_EQ(copy.dtype(), DType::kI16);
  copy.data<int16_t>()[0] = 99;
  EXPECT_EQ(t.data<int16_t>()[0], 0);
  EXPECT_EQ(copy.data<int16_t>()[11], 33);

  const std::byte* before = t.bytes();
  t.Reshape(Shape{3, 2, 2});
  EXPECT_EQ(t.shape(), (Shape{3, 2, 2}));
  EXPECT_EQ(t.bytes(), before);
  EXPECT_EQ(t.View<int16_t>().AsMatrix()(5, 1), 33);
  EXPECT_SHRINK_ERROR(t.Reshape(Shape{5, 2}), ErrorCode::kShapeMismatch);

  Tensor moved = std::move(t);
  EXPECT_EQ(moved.bytes(), before);
  EXPECT_EQ(moved.num_bytes(), 24u);
}

// ---------------------------------------------------------------- AsEigen

TEST(EigenTest, MapsContiguousViewsAndWritesThrough) {
  Tensor t(DType::kF32, Shape{3, 4});
  auto m = AsEigen(t.View<float>());
  EXPECT_EQ(m.rows(), 3);
  EXPECT_EQ(m.cols(), 4);
  m.setConstant(2.0f);
  m(1, 2) = 5.0f;
  EXPECT_EQ(t.data<float>()[6], 5.0f);
  EXPECT_EQ(t.data<float>()[11], 2.0f);
}

TEST(EigenTest, MapsStridedSlicesAndTransposes) {
  std::vector<float> data = Iota(20);
  const TensorView<float> v(data.data(), Shape{4, 5});
  Eigen::MatrixXf dense(4, 5);
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 5; ++j) dense(i, j) = data[static_cast<size_t>(i * 5 + j)];
  }

  const TensorView<const float> cols = TensorView<const float>(v).Slice(1, 1, 4);
  const auto m = AsEigen(cols);
  static_assert(std::is_const_v<std::remove_pointer_t<decltype(m.data())>>);
  EXPECT_EQ(m.rows(), 4);
  EXPECT_EQ(m.cols(), 3);
  EXPECT_TRUE(m.isApprox(dense.block(0, 1, 4, 3), 0.0f));

  const auto mt = AsEigen(v.Transposed());
  EXPECT_EQ(mt.rows(), 5);
  EXPECT_EQ(mt.cols(), 4);
  EXPECT_TRUE(mt.isApprox(dense.transpose(), 0.0f));
  const Eigen::MatrixXf product = mt * m;  // a GEMM straight on strided memory
  EXPECT_TRUE(product.isApprox(dense.transpose() * dense.block(0, 1, 4, 3)));

  const auto column = AsEigenVector(v.Transposed().row(3));  // column 3 of v, stride 5
  EXPECT_EQ(column.size(), 4);
  EXPECT_TRUE(column.isApprox(dense.col(3), 0.0f));

  std::vector<float> cube(8);
  EXPECT_SHRINK_ERROR(AsEigen(TensorView<float>(cube.data(), Shape{2, 2, 2})),
                      ErrorCode::kInvalidArgument);
  EXPECT_SHRINK_ERROR(AsEigenVector(v), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace shrink
