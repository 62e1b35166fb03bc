#include "tomolive/daemon/preview_board.hpp"

#include <utility>

namespace tomolive::daemon {

void PreviewBoard::put(Version version) {
  const std::lock_guard lock(mutex_);
  latest_ = std::move(version);
}

PreviewBoard::Version PreviewBoard::latest() const {
  const std::lock_guard lock(mutex_);
  return latest_;
}

void PreviewBoard::clear() {
  const std::lock_guard lock(mutex_);
  latest_.reset();
}

}  // namespace tomolive::daemon
