#include "tomolive/daemon/engine_stall_check.hpp"

namespace tomolive::daemon {

bool EngineStallCheck::stalled(const EngineInbox::Progress& now) {
  const bool stuck = previous_ && previous_->depth > 0 && now.depth > 0 && now.handed_out == previous_->handed_out;
  previous_ = now;
  return stuck;
}

}  // namespace tomolive::daemon
