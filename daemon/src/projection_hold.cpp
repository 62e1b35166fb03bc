#include "tomolive/daemon/projection_hold.hpp"

#include <algorithm>
#include <utility>

namespace tomolive::daemon {

void ProjectionHold::hold(const protocol::FrameHeader& frame, IngestItem item) {
  held_.push_back(Held{frame, std::move(item)});
}

std::vector<ProjectionHold::Held> ProjectionHold::take_all() {
  std::vector<Held> taken = std::move(held_);
  held_.clear();
  std::ranges::stable_sort(taken, {}, [](const Held& held) { return held.frame.frame_id; });
  return taken;
}

}  // namespace tomolive::daemon
