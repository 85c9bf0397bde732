// Helpers shared by the test suites: shared model paths, scratch directories, random data.
#ifndef SHRINK_TESTS_TESTING_TEST_UTIL_H_
#define SHRINK_TESTS_TESTING_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "shrink/core/error.h"
#include "shrink/core/metrics.h"
#include "shrink/core/simd.h"
#include "shrink/core/tensor.h"

namespace shrink::testing {

// Returns the absolute path of `relative` under ../shared beside the project root.
inline std::string SharedPath(const std::string& relative) {
  return (std::filesystem::path(SHRINK_SHARED_DIR) / relative).lexically_normal().string();
}

// Skips the calling test, saying which file is absent, when `path` does not exist.
#define SHRINK_REQUIRE_FILE(path)                                                        \
  do {                                                                                   \
    if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared file absent: " << (path); \
  } while (0)

// Creates a fresh, empty directory for one test and removes it when destroyed.
class ScratchDir {
 public:
  ScratchDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "scratch";
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    path_ = std::filesystem::temp_directory_path() /
            ("shrink_test_" + name + "_" + std::to_string(std::random_device{}()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  // Returns the path of `file` inside the directory.
  std::string File(const std::string& file) const { return (path_ / file).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Returns a rows x cols f32 tensor of N(0, stddev²) values from a fixed `seed`.
inline Tensor RandomMatrix(int64_t rows, int64_t cols, uint32_t seed, float stddev = 1.0f) {
  Tensor t(DType::kF32, Shape{rows, cols});
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, stddev);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.num_elements(); ++i) p[i] = dist(rng);
  return t;
}

// Returns a rows x cols f32 tensor of Student-t values with 3 degrees of freedom (heavy tails,
// like trained weights) from a fixed `seed`.
inline Tensor HeavyTailedMatrix(int64_t rows, int64_t cols, uint32_t seed) {
  Tensor t(DType::kF32, Shape{rows, cols});
  std::mt19937 rng(seed);
  std::student_t_distribution<float> dist(3.0f);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.num_elements(); ++i) p[i] = dist(rng);
  return t;
}

// Writes `bytes` to `path`, replacing it.
inline void WriteBytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// Returns the contents of `path`.
inline std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Runs `fn` and returns the shrink::Error it throws; fails the test if it throws none.
template <typename Fn>
Error CatchError(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "expected a shrink::Error";
  return Error(ErrorCode::kInternal, "none thrown");
}

// Runs `fn(target)` once with dispatch forced to each compiled SIMD target this CPU runs,
// then restores the best target.
template <typename Fn>
void ForEachSimdTarget(Fn&& fn) {
  for (const SimdTarget& target : AvailableSimdTargets()) {
    ForceSimdTarget(target.id);
    SCOPED_TRACE(target.name);
    fn(target);
  }
  ForceSimdTarget(0);
}

// The relative RMS error of the library (core/metrics.h), under the name the suites use.
using ::shrink::RelativeRmsError;

}  // namespace shrink::testing

#endif  // SHRINK_TESTS_TESTING_TEST_UTIL_H_
