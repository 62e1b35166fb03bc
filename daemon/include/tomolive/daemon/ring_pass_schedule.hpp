// RingPassSchedule: when the ring pass of PROTOCOL.md 10.5 (a re-filter of the scan's store with the ring filter)
// re-runs during one scan. While rings are enabled it is due after every tenth of the scan's store slots stored
// (at least one projection) since the store was last re-filtered, and at the scan's end when projections were
// stored since then. Any re-filter restarts the count: a ring pass (successful or not, so that a failing pass is
// retried after the next tenth rather than after every projection) and a set_processing. Toggling rings needs
// nothing here: set_processing re-filters, which restarts the count. Pure: no engine, no clock. A plain value; not
// thread-safe.
#pragma once

#include <cstdint>

namespace tomolive::daemon {

class RingPassSchedule {
 public:
  // No scan: never due.
  RingPassSchedule() = default;
  // A new scan whose store has `slots` slots.
  explicit RingPassSchedule(std::uint32_t slots);

  // Counts one stored projection; true when a ring pass is due now (`rings_enabled`: the setting in use).
  bool projection_stored(bool rings_enabled);
  // The store was re-filtered (or a ring pass was attempted): counting restarts.
  void refiltered() { stored_since_refilter_ = 0; }
  // Whether the scan's end calls for a final ring pass.
  bool due_at_end(bool rings_enabled) const { return rings_enabled && stored_since_refilter_ > 0; }

  std::uint32_t stored_since_refilter() const { return stored_since_refilter_; }
  // Projections between passes: a tenth of the slots, at least 1.
  std::uint32_t interval() const { return interval_; }

 private:
  std::uint32_t interval_ = 1;
  std::uint32_t stored_since_refilter_ = 0;
};

}  // namespace tomolive::daemon
