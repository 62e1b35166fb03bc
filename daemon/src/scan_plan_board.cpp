#include "tomolive/daemon/scan_plan_board.hpp"

namespace tomolive::daemon {

void ScanPlanBoard::post(ScanPlan plan) {
  std::lock_guard lock(mutex_);
  posted_ = std::move(plan);
  taken_by_.clear();
  ++posts_;
}

std::optional<ScanPlan> ScanPlanBoard::take(const std::string& series_key) {
  std::lock_guard lock(mutex_);
  if (posted_ && (taken_by_.empty() || taken_by_ == series_key)) {
    taken_by_ = series_key;
    return posted_;
  }
  return standing_;
}

std::uint64_t ScanPlanBoard::posts() const {
  std::lock_guard lock(mutex_);
  return posts_;
}

}  // namespace tomolive::daemon
