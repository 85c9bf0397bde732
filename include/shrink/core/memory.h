// Large-buffer advice: asks Linux to back big buffers with transparent huge pages, so that
// first touches of hundreds of megabytes cost a few hundred page faults instead of tens of
// thousands (on virtual machines a 4 KiB fault can cost ~10 µs).
#ifndef SHRINK_CORE_MEMORY_H_
#define SHRINK_CORE_MEMORY_H_

#include <cstddef>
#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace shrink {

// Huge page size on x86-64 and AArch64 Linux, and the buffer size from which advice pays off.
inline constexpr size_t kHugePageBytes = size_t{2} << 20;

// Advises huge pages for the whole 2 MiB pages inside [data, data + bytes), before the buffer is
// first written. Does nothing for small buffers or on other systems; never fails.
inline void AdviseHugePages(void* data, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (bytes < 2 * kHugePageBytes) return;
  const auto begin = reinterpret_cast<uintptr_t>(data);
  const uintptr_t first = (begin + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  const uintptr_t last = (begin + bytes) / kHugePageBytes * kHugePageBytes;
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#else
  (void)data;
  (void)bytes;
#endif
}

}  // namespace shrink

#endif  // SHRINK_CORE_MEMORY_H_
