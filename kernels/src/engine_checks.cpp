#include "tomolive/kernels/engine_checks.hpp"

#include <cmath>
#include <cstdio>

namespace tomolive::kernels {

const char* slice_name(Orthoslice slice) {
  switch (slice) {
    case Orthoslice::xy: return "xy";
    case Orthoslice::xz: return "xz";
    case Orthoslice::yz: return "yz";
  }
  return "?";
}

std::string format_number(float value) {
  char text[64];
  std::snprintf(text, sizeof text, "%g", static_cast<double>(value));
  return text;
}

void check_scan(const ScanGeometry& g, const ReconParams& params) {
  if (g.rows == 0 || g.cols == 0 || g.slots == 0) {
    throw EngineError("scan geometry " + std::to_string(g.rows) + " rows x " + std::to_string(g.cols) + " cols x " +
                      std::to_string(g.slots) + " slots: all three must be > 0");
  }
  if (!(std::isfinite(g.angle_weight_rad) && g.angle_weight_rad > 0.f)) {
    throw EngineError("angle_weight_rad " + format_number(g.angle_weight_rad) +
                      " must be a positive number (pi / slots for an even spread over 180 or 360 deg)");
  }
  check_center(params.center_offset_px);
  check_slices(params.slices, g.rows, g.cols);
}

void check_center(float center_offset_px) {
  if (!std::isfinite(center_offset_px)) {
    throw EngineError("center_offset_px " + format_number(center_offset_px) + " is not a finite number");
  }
}

void check_slices(const SlicePositions& positions, std::uint32_t rows, std::uint32_t cols) {
  if (positions.xy_row >= rows) {
    throw EngineError("xy_row " + std::to_string(positions.xy_row) + " out of range: the detector has " +
                      std::to_string(rows) + " rows (0.." + std::to_string(rows - 1) + ")");
  }
  const float limit = static_cast<float>(cols);
  if (!(std::fabs(positions.xz_y_px) <= limit)) {
    throw EngineError("xz_y_px " + format_number(positions.xz_y_px) + " out of range: |y| must be <= " +
                      std::to_string(cols) + " pixels (the detector's cols)");
  }
  if (!(std::fabs(positions.yz_x_px) <= limit)) {
    throw EngineError("yz_x_px " + format_number(positions.yz_x_px) + " out of range: |x| must be <= " +
                      std::to_string(cols) + " pixels (the detector's cols)");
  }
}

}  // namespace tomolive::kernels
