// OpenMP-backed thread count for shrink's parallel drivers.
#include "shrink/core/threads.h"

#include <omp.h>

namespace shrink {
namespace {
int default_threads() {
  static const int n = omp_get_num_procs();
  return n;
}
}  // namespace

void SetNumThreads(int num_threads) { omp_set_num_threads(num_threads > 0 ? num_threads : default_threads()); }

int NumThreads() { return omp_get_max_threads(); }

}  // namespace shrink
