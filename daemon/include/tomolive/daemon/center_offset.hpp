// Center offsets in the two frames the daemon speaks of, as distinct types so that one cannot be passed for the
// other. Both are the rotation axis's distance in pixels from the middle of a frame, (cols - 1) / 2, positive
// towards higher columns:
//   - DetectorOffsetPx: in the detector's frame (detector cols), as the protocol, the status and the user speak;
//   - EngineOffsetPx: in the frame the engine reconstructs, which half acquisition widens (HalfAcquisitionLayout
//     converts between the two; without half acquisition they are equal in value).
// Construction is explicit. The wire (protocol fields, doubles) is read and written through DetectorOffsetPx's
// constructor and .px; the engine interface (kernels::ReconParams::center_offset_px, Engine::set_center, floats)
// only through engine_center_offset() and to_engine_float() below. Plain values; thread-safe.
#pragma once

#include "tomolive/kernels/engine.hpp"

namespace tomolive::daemon {

struct DetectorOffsetPx {
  explicit constexpr DetectorOffsetPx(double value_px) : px(value_px) {}
  double px;  // pixels from (detector cols - 1) / 2

  bool operator==(const DetectorOffsetPx&) const = default;
};

struct EngineOffsetPx {
  explicit constexpr EngineOffsetPx(double value_px) : px(value_px) {}
  double px;  // pixels from (engine cols - 1) / 2

  bool operator==(const EngineOffsetPx&) const = default;
};

// The engine's offset as its interface takes it (single precision).
inline float to_engine_float(EngineOffsetPx offset) { return static_cast<float>(offset.px); }
// The offset the engine reconstructs with now.
inline EngineOffsetPx engine_center_offset(const kernels::Engine& engine) {
  return EngineOffsetPx(engine.params().center_offset_px);
}

}  // namespace tomolive::daemon
