#include "tomolive/kernels/engine_slots.hpp"

namespace tomolive::kernels {

void EngineSlots::reset(std::uint32_t slots) {
  occupied_.assign(slots, 0);
  angles_.assign(slots, ProjectionAngle{});
  angles_rad_.assign(slots, 0.f);
  count_ = 0;
}

std::optional<float> EngineSlots::angle_rad(std::uint32_t slot) const {
  if (occupied_[slot] == 0) return std::nullopt;
  return angles_rad_[slot];
}

std::optional<ProjectionAngle> EngineSlots::outgoing(std::uint32_t slot) const {
  if (occupied_[slot] == 0) return std::nullopt;
  return angles_[slot];
}

ProjectionAngle EngineSlots::record(std::uint32_t slot, float angle_rad) {
  const ProjectionAngle angle = projection_angle(angle_rad);
  angles_[slot] = angle;
  angles_rad_[slot] = angle_rad;
  if (occupied_[slot] == 0) {
    occupied_[slot] = 1;
    ++count_;
  }
  return angle;
}

}  // namespace tomolive::kernels
