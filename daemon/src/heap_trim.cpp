#include "tomolive/daemon/heap_trim.hpp"

#include <cstdlib>  // defines __GLIBC__ where the C library is glibc

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace tomolive::daemon {

void release_free_heap_memory() {
#if defined(__GLIBC__)
  malloc_trim(0);  // 0: keep no padding at the top of the main arena
#endif
}

}  // namespace tomolive::daemon
