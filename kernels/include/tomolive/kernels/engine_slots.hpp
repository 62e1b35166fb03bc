// EngineSlots: which slots of a scan's store hold a projection, and at which angle; the slot bookkeeping both engines
// share. A slot is empty until a projection is recorded in it. Recording into an occupied slot replaces its
// projection (a sliding window over the scan): outgoing() gives the replaced projection's angle beforehand, so that
// the engine can subtract its contribution from the slices. Every pass over the store (recompute, re-filter, sweep)
// visits the occupied slots in increasing slot order (for_each_occupied), which both engines' results depend on.
// Angles are radians. Not thread-safe: owned by the engine, used by its thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "tomolive/kernels/cpu_backproject.hpp"

namespace tomolive::kernels {

class EngineSlots {
 public:
  // Host bytes per slot (EngineMemoryPlan::other_bytes).
  static constexpr std::size_t kBytesPerSlot = sizeof(ProjectionAngle) + sizeof(float) + sizeof(std::uint8_t);

  // `slots` slots, every one empty (keeps the memory when the count does not change).
  void reset(std::uint32_t slots);

  std::uint32_t slots() const { return static_cast<std::uint32_t>(occupied_.size()); }
  // The occupied slots: the projections held in the store.
  std::uint32_t count() const { return count_; }

  // Per-slot queries and record(): precondition slot < slots() (engines check_slot first; not checked here).
  bool occupied(std::uint32_t slot) const { return occupied_[slot] != 0; }
  // The angle of the slot's projection as backprojection uses it (meaningful when occupied).
  ProjectionAngle angle(std::uint32_t slot) const { return angles_[slot]; }
  // The angle as given to record(), or nullopt when the slot is empty (Engine::slot_angle).
  std::optional<float> angle_rad(std::uint32_t slot) const;
  // The angle of the projection a new one in `slot` replaces, or nullopt when the slot is empty.
  std::optional<ProjectionAngle> outgoing(std::uint32_t slot) const;

  // Records a projection at angle_rad in `slot` (replacing any); returns projection_angle(angle_rad).
  ProjectionAngle record(std::uint32_t slot, float angle_rad);

  // Calls fn(slot) for every occupied slot, in increasing slot order.
  template <class Fn>
  void for_each_occupied(Fn&& fn) const {
    for (std::uint32_t slot = 0; slot < slots(); ++slot) {
      if (occupied_[slot] != 0) fn(slot);
    }
  }

 private:
  std::vector<std::uint8_t> occupied_;   // per slot, 0 or 1
  std::vector<ProjectionAngle> angles_;  // per slot
  std::vector<float> angles_rad_;        // per slot, as given to record()
  std::uint32_t count_ = 0;
};

}  // namespace tomolive::kernels
