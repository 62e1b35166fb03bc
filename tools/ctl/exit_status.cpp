#include "exit_status.hpp"

namespace tomolive::ctl {

ExitStatus exit_status_of(const std::optional<protocol::Error>& error) {
  if (!error) return ExitStatus::ok;
  using protocol::ErrorCode;
  switch (error->code) {
    case ErrorCode::permission_denied:
      return ExitStatus::permission_denied;
    case ErrorCode::internal_error:
    case ErrorCode::disk_error:
    case ErrorCode::transport_error:
      return ExitStatus::daemon_failed;
    default:
      return ExitStatus::refused;
  }
}

}  // namespace tomolive::ctl
