// ControlAdmission: which of one browser's control commands may run now (PROTOCOL.md 14.1). A read-only viewer may
// only get_status (every other command changes the daemon's state or costs engine time: permission_denied); a
// controlling viewer may have one sweep_center or estimate_center (engine work) running at a time (a second is
// refused with queue_full until the first is answered), so that no browser can fill the engine's queue.
// Not thread-safe: one per WebSocketSession, used on its strand.
#pragma once

#include <optional>

#include "tomolive/daemon/viewer_access.hpp"
#include "tomolive/protocol/messages.hpp"

namespace tomolive::daemon {

class ControlAdmission {
 public:
  explicit ControlAdmission(ViewerAccess::Decision access) : access_(std::move(access)) {}

  // nullopt: `request` may run now, and counts as running until finished(request); else why it is refused.
  std::optional<protocol::Error> admit(const protocol::ControlRequest& request);
  // An admitted request has been answered.
  void finished(const protocol::ControlRequest& request);
  // Admitted requests not yet finished.
  int running() const { return running_; }

 private:
  const ViewerAccess::Decision access_;
  int running_ = 0;
  bool engine_work_running_ = false;
};

}  // namespace tomolive::daemon
