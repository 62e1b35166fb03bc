#include "tomolive/kernels/frame_checks.hpp"

#include <cmath>
#include <string>

#include "tomolive/kernels/engine_checks.hpp"
#include "tomolive/kernels/pixel_dispatch.hpp"

namespace tomolive::kernels {

void check_frame(const FrameView& frame, const ScanGeometry& g, const char* kind) {
  if (frame.rows != g.rows || frame.cols != g.cols) {
    throw EngineError(std::string(kind) + " frame is " + std::to_string(frame.rows) + " x " +
                      std::to_string(frame.cols) + " but the scan's detector is " + std::to_string(g.rows) + " x " +
                      std::to_string(g.cols) + " (rows x cols)");
  }
  if (frame.data == nullptr) throw EngineError(std::string(kind) + " frame has no data");
  if (pixel_bytes(frame.type) == 0) throw EngineError(std::string(kind) + " frame: " + unknown_pixel_type(frame.type));
}

void check_reference_frame(const FrameView& frame, const ScanGeometry& g, std::uint64_t projections_received,
                           const char* kind) {
  if (projections_received != 0) {
    throw EngineError(std::string(kind) + " frame after " + std::to_string(projections_received) +
                      " projection(s): darks and flats must come before the first projection");
  }
  check_frame(frame, g, kind);
}

void check_projection_frame(std::uint32_t slot, float angle_rad, const FrameView& frame, const ScanGeometry& g) {
  check_slot(slot, g.slots);
  if (!std::isfinite(angle_rad)) {
    throw EngineError("projection angle " + format_number(angle_rad) + " rad is not a finite number");
  }
  check_frame(frame, g, "projection");
}

}  // namespace tomolive::kernels
