// CenterTools: the center-of-rotation commands (PROTOCOL.md 10.4) on the engine thread. They gather what the
// engine holds (stored projections 180 degrees apart, axial slices at candidate centers) and run the estimators of
// kernels/center_estimation.hpp; applying an estimate is the caller's set_center. Used by the engine thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <variant>
#include <vector>

#include "tomolive/kernels/center_estimation.hpp"
#include "tomolive/kernels/engine.hpp"
#include "tomolive/protocol/messages.hpp"

namespace tomolive::daemon {

struct SweepOutput {
  protocol::SweepResult result;
  std::shared_ptr<const std::vector<float>> images;  // count x region rows x region cols, candidate after candidate
};

class CenterTools {
 public:
  static constexpr std::uint32_t kMaxPairs = 8;              // opposed pairs registered at most
  static constexpr std::uint32_t kMaxRegistrationRows = 256;  // detector rows used per projection at most
  static constexpr std::uint32_t kMetricSide = 512;           // metric estimate: central square of the XY slice
  static constexpr double kMetricRangePx = 100.0;             // metric estimate: candidates within +-this (or cols/4)

  CenterTools(kernels::Engine& engine, const kernels::ScanGeometry& geometry)
      : engine_(engine), geometry_(geometry) {}

  // An estimate by `method`, or the reason there is none yet (invalid_argument).
  std::variant<kernels::CenterEstimate, protocol::Error> estimate(protocol::CenterMethod method);
  // The sweep of PROTOCOL.md 10.1, or why its arguments are refused (invalid_argument).
  std::variant<SweepOutput, protocol::Error> sweep(const protocol::SweepCenter& request);

 private:
  std::variant<kernels::CenterEstimate, protocol::Error> by_registration();
  kernels::CenterEstimate by_metric();
  kernels::SliceRegion central_square(std::uint32_t side) const;

  kernels::Engine& engine_;
  const kernels::ScanGeometry geometry_;
};

}  // namespace tomolive::daemon
