#include "tomolive/daemon/output_fanout.hpp"

#include <algorithm>

namespace tomolive::daemon {

void OutputFanout::add(DaemonOutput& output) {
  const std::lock_guard lock(mutex_);
  outputs_.push_back(&output);
}

void OutputFanout::remove(DaemonOutput& output) {
  const std::lock_guard lock(mutex_);
  std::erase(outputs_, &output);
}

void OutputFanout::post_event(protocol::Event event) {
  const std::lock_guard lock(mutex_);
  for (DaemonOutput* output : outputs_) output->post_event(event);
}

void OutputFanout::notify_slices() {
  const std::lock_guard lock(mutex_);
  for (DaemonOutput* output : outputs_) output->notify_slices();
}

}  // namespace tomolive::daemon
