#include "tomolive/daemon/ingest_item.hpp"

#include <chrono>

namespace tomolive::daemon {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace tomolive::daemon
