// Which SIMD targets the library was compiled for and which one runs (for tests, tools, benches).
#ifndef SHRINK_CORE_SIMD_H_
#define SHRINK_CORE_SIMD_H_

#include <cstdint>
#include <string>
#include <vector>

namespace shrink {

// Identifies one compiled SIMD target (a Highway target bit) with its name ("AVX3_DL").
struct SimdTarget {
  int64_t id;
  std::string name;
};

// Returns the targets compiled into the library that this CPU can run, best first.
std::vector<SimdTarget> AvailableSimdTargets();
// Returns the target that dispatched kernels use now.
SimdTarget CurrentSimdTarget();
// Restricts dispatch to `target_id` (from AvailableSimdTargets); 0 restores the best target.
// Not thread-safe: call it only while no kernel runs (tests and benchmarks use it).
void ForceSimdTarget(int64_t target_id);

}  // namespace shrink

#endif  // SHRINK_CORE_SIMD_H_
