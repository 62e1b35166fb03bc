// AutoCenterSchedule: when the automatic center estimate (Options::auto_center, PROTOCOL.md 10.4) is tried during
// one scan. The first try comes once half of the scan's store slots, (slots + 1) / 2, hold projections; after a
// failed try (not enough data yet) the next comes after every further tenth of the slots (at least one projection);
// once a try succeeds there is none until the next scan. Counts are projections in the engine's store, which a
// sliding-window scan caps at its window. Pure: it knows no engine and no clock. A plain value; not thread-safe.
#pragma once

#include <cstdint>

namespace tomolive::daemon {

class AutoCenterSchedule {
 public:
  // No scan: never due.
  AutoCenterSchedule() = default;
  // A new scan whose store has `slots` slots.
  explicit AutoCenterSchedule(std::uint32_t slots);

  // Whether the estimate should be tried now, with `stored` projections in the store.
  bool due(std::uint32_t stored) const { return !done_ && stored >= next_try_at_; }
  // The try failed: the next comes after another tenth of the slots.
  void failed() { next_try_at_ += retry_step_; }
  // The estimate was applied: no more tries this scan.
  void succeeded() { done_ = true; }

  bool done() const { return done_; }
  // Projections in the store at which the next try comes (meaningless once done).
  std::uint32_t next_try_at() const { return next_try_at_; }

 private:
  std::uint32_t next_try_at_ = 0;
  std::uint32_t retry_step_ = 1;
  bool done_ = true;
};

}  // namespace tomolive::daemon
