#include "tomolive/daemon/heap_trim.hpp"

#include <cstdlib>  // defines __GLIBC__ where the C library is glibc

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace tomolive::daemon {

bool configure_heap_for_streaming() {
#if defined(__GLIBC__)
  // mallopt returns 1 on success; setting M_MMAP_THRESHOLD also turns off the dynamic threshold.
  const bool mmap_set = mallopt(M_MMAP_THRESHOLD, static_cast<int>(kStreamingMmapThresholdBytes)) == 1;
  const bool trim_set = mallopt(M_TRIM_THRESHOLD, static_cast<int>(kStreamingTrimThresholdBytes)) == 1;
  return mmap_set && trim_set;
#else
  return false;
#endif
}

void release_free_heap_memory() {
#if defined(__GLIBC__)
  malloc_trim(0);  // 0: keep no padding at the top of the main arena
#endif
}

}  // namespace tomolive::daemon
