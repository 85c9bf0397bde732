// Thread count used by shrink's parallel drivers (OpenMP stays private to the library).
#ifndef SHRINK_CORE_THREADS_H_
#define SHRINK_CORE_THREADS_H_

namespace shrink {

// Sets how many threads parallel drivers use from now on; 0 restores the default (all cores).
void SetNumThreads(int num_threads);
// Returns how many threads parallel drivers use.
int NumThreads();

}  // namespace shrink

#endif  // SHRINK_CORE_THREADS_H_
