// EngineStallCheck: tells a busy engine from a stuck one, for the service watchdog (ServiceNotifier). Fed the
// inbox's progress at each watchdog period, it reports a stall when data was queued at the previous check, is still
// queued now, and the engine took nothing from the inbox in between: a whole period with work waiting and none
// done. An idle engine (empty queue) and a slow one (takes anything at all) are alive.
// Not thread-safe: one caller (the watchdog thread).
#pragma once

#include <optional>

#include "tomolive/daemon/engine_inbox.hpp"

namespace tomolive::daemon {

class EngineStallCheck {
 public:
  // True when the engine made no progress since the previous call although data waited throughout; the first
  // call never reports a stall.
  bool stalled(const EngineInbox::Progress& now);

 private:
  std::optional<EngineInbox::Progress> previous_;
};

}  // namespace tomolive::daemon
