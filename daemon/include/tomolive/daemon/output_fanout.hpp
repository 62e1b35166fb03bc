// OutputFanout: hands every event and every "new slices on the board" notice to each output (the ZeroMQ publisher,
// the WebSocket server). The engine thread and the event reporter talk to the fanout only, so outputs can be added
// after those are running. Thread-safe; outputs must not block in these calls.
#pragma once

#include <mutex>
#include <vector>

#include "tomolive/daemon/event_reporter.hpp"

namespace tomolive::daemon {

class DaemonOutput : public EventSink {
 public:
  // New slice versions are on the SliceBoard.
  virtual void notify_slices() = 0;
};

class OutputFanout : public DaemonOutput {
 public:
  // The output must stay alive until it is removed.
  void add(DaemonOutput& output);
  void remove(DaemonOutput& output);

  void post_event(protocol::Event event) override;
  void notify_slices() override;

 private:
  std::mutex mutex_;
  std::vector<DaemonOutput*> outputs_;
};

}  // namespace tomolive::daemon
