// Tensor: an owning, 64-byte aligned, dtype-erased buffer that hands out typed views.
#ifndef SHRINK_CORE_TENSOR_H_
#define SHRINK_CORE_TENSOR_H_

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#include "shrink/core/dtype.h"
#include "shrink/core/error.h"
#include "shrink/core/memory.h"
#include "shrink/core/shape.h"
#include "shrink/core/tensor_view.h"

namespace shrink {

// Alignment of every Tensor buffer in bytes (one cache line; enough for AVX-512 loads).
inline constexpr size_t kTensorAlignment = 64;

// Owns the elements of one tensor: dtype, shape and a zero-initialised aligned buffer.
class Tensor {
 public:
  Tensor() = default;
  // Allocates a zero-filled tensor; throws kInvalidArgument if the byte size overflows.
  Tensor(DType dtype, const Shape& shape) : dtype_(dtype), shape_(shape) {
    const auto count = static_cast<uint64_t>(shape.num_elements());
    if (count > (uint64_t{1} << 62) / DTypeSize(dtype)) {
      Fail(ErrorCode::kInvalidArgument, "tensor of shape ", shape.ToString(), " is too large");
    }
    num_bytes_ = static_cast<size_t>(count) * DTypeSize(dtype);
    const size_t padded = (num_bytes_ + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
    void* p = padded == 0 ? nullptr : std::aligned_alloc(kTensorAlignment, padded);
    if (padded != 0 && p == nullptr) throw std::bad_alloc();
    AdviseHugePages(p, padded);
    if (p) std::memset(p, 0, padded);
    data_.reset(static_cast<std::byte*>(p));
  }

  // Moves leave `other` empty (shape {0}, no bytes).
  Tensor(Tensor&& other) noexcept { *this = std::move(other); }
  Tensor& operator=(Tensor&& other) noexcept {
    if (this != &other) {
      dtype_ = other.dtype_;
      shape_ = other.shape_;
      num_bytes_ = other.num_bytes_;
      data_ = std::move(other.data_);
      other.shape_ = Shape{0};
      other.num_bytes_ = 0;
    }
    return *this;
  }

  // Returns a deep copy.
  Tensor Clone() const {
    Tensor copy(dtype_, shape_);
    if (num_bytes_) std::memcpy(copy.data_.get(), data_.get(), num_bytes_);
    return copy;
  }

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t num_elements() const { return shape_.num_elements(); }
  size_t num_bytes() const { return num_bytes_; }
  std::byte* bytes() { return data_.get(); }
  const std::byte* bytes() const { return data_.get(); }

  // Returns a typed view; T's size must match the dtype's, and float needs kF32 (f16/bf16
  // bits are viewed as uint16_t). Throws kInvalidArgument otherwise.
  template <typename T>
  TensorView<T> View() {
    CheckViewType<T>();
    return TensorView<T>(reinterpret_cast<T*>(data_.get()), shape_);
  }
  template <typename T>
  TensorView<const T> View() const {
    CheckViewType<T>();
    return TensorView<const T>(reinterpret_cast<const T*>(data_.get()), shape_);
  }
  // Returns a typed pointer to the first element (same checks as View).
  template <typename T>
  T* data() {
    CheckViewType<T>();
    return reinterpret_cast<T*>(data_.get());
  }
  template <typename T>
  const T* data() const {
    CheckViewType<T>();
    return reinterpret_cast<const T*>(data_.get());
  }

  // Reinterprets the same elements with a new shape of equal element count.
  void Reshape(const Shape& shape) {
    if (shape.num_elements() != shape_.num_elements()) {
      Fail(ErrorCode::kShapeMismatch, "cannot reshape ", shape_.ToString(), " to ", shape.ToString());
    }
    shape_ = shape;
  }

 private:
  struct FreeDeleter {
    void operator()(std::byte* p) const { std::free(p); }
  };

  template <typename T>
  void CheckViewType() const {
    using U = std::remove_const_t<T>;
    const bool ok = sizeof(U) == DTypeSize(dtype_) &&
                    (!std::is_floating_point_v<U> || dtype_ == DTypeOf<U>::value);
    if (!ok) {
      Fail(ErrorCode::kInvalidArgument, "cannot view a ", DTypeName(dtype_), " tensor as a ",
           sizeof(U), "-byte ", std::is_floating_point_v<U> ? "float" : "integer", " type");
    }
  }

  DType dtype_ = DType::kF32;
  Shape shape_{0};  // a default tensor holds no elements
  size_t num_bytes_ = 0;
  std::unique_ptr<std::byte, FreeDeleter> data_;
};

}  // namespace shrink

#endif  // SHRINK_CORE_TENSOR_H_
