#include "tomolive/daemon/control_admission.hpp"

#include <string>
#include <variant>

namespace tomolive::daemon {
namespace {

bool is_engine_work(const protocol::ControlRequest& request) {
  return std::holds_alternative<protocol::SweepCenter>(request) ||
         std::holds_alternative<protocol::SweepProcessing>(request) ||
         std::holds_alternative<protocol::EstimateCenter>(request);
}

}  // namespace

std::optional<protocol::Error> ControlAdmission::admit(const protocol::ControlRequest& request) {
  if (access_.read_only && !std::holds_alternative<protocol::GetStatus>(request) &&
      !std::holds_alternative<protocol::GetDefectivePixels>(request)) {
    return protocol::Error{protocol::ErrorCode::permission_denied, "this viewer is read-only: " + access_.reason};
  }
  if (is_engine_work(request)) {
    if (engine_work_running_) {
      return protocol::Error{protocol::ErrorCode::queue_full,
                             "a sweep_center, sweep_processing or estimate_center of this viewer is still "
                             "running: send the next one after its reply"};
    }
    engine_work_running_ = true;
  }
  ++running_;
  return std::nullopt;
}

void ControlAdmission::finished(const protocol::ControlRequest& request) {
  --running_;
  if (is_engine_work(request)) engine_work_running_ = false;
}

}  // namespace tomolive::daemon
