// ParallelFor: an OpenMP loop over rows that carries the first exception back to the caller.
#ifndef SHRINK_SRC_CORE_PARALLEL_H_
#define SHRINK_SRC_CORE_PARALLEL_H_

#include <omp.h>

#include <cstdint>
#include <exception>

namespace shrink {

// Runs fn(i) for every i in [0, n) on the library's threads (static schedule). An exception
// must not leave an OpenMP region, so the first one thrown is kept, the remaining iterations
// are skipped, and it is rethrown on the calling thread after the loop.
template <typename Fn>
void ParallelFor(int64_t n, const Fn& fn) {
  std::exception_ptr error;
  bool failed = false;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    bool skip;
#pragma omp atomic read
    skip = failed;
    if (skip) continue;
    try {
      fn(i);
    } catch (...) {
#pragma omp critical(shrink_parallel_for_error)
      if (!failed) {
        error = std::current_exception();
#pragma omp atomic write
        failed = true;
      }
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace shrink

#endif  // SHRINK_SRC_CORE_PARALLEL_H_
