#include "tomolive/daemon/ring_pass_schedule.hpp"

#include <algorithm>

namespace tomolive::daemon {

RingPassSchedule::RingPassSchedule(std::uint32_t slots) : interval_(std::max<std::uint32_t>(1, slots / 10)) {}

bool RingPassSchedule::projection_stored(bool rings_enabled) {
  ++stored_since_refilter_;
  return rings_enabled && stored_since_refilter_ >= interval_;
}

}  // namespace tomolive::daemon
