// ScanPlanBoard: the scan plans waiting for a detector series that brings none of its own (PROTOCOL.md "Scan
// plans"). set_scan_plan posts a plan for the next such series; the --scan-plan option gives a standing plan for
// every series that finds no posted one. A posted plan is taken by one series: the first data socket that asks for
// it with a series key takes it, and the other sockets of the same detector asking with the same key (the same
// series on several streams) get the same plan. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "tomolive/daemon/scan_plan.hpp"

namespace tomolive::daemon {

class ScanPlanBoard {
 public:
  explicit ScanPlanBoard(std::optional<ScanPlan> standing = std::nullopt) : standing_(std::move(standing)) {}

  // Posts `plan` for the next series without a plan of its own (replacing one not yet taken).
  void post(ScanPlan plan);
  // The plan for the series `series_key` (the detector's series id and unique id): the posted one (taken by this
  // series), else the standing one, else nullopt.
  std::optional<ScanPlan> take(const std::string& series_key);
  // Increases with every post: a socket holding a series for want of a plan retries when it changes.
  std::uint64_t posts() const;

 private:
  mutable std::mutex mutex_;
  const std::optional<ScanPlan> standing_;
  std::optional<ScanPlan> posted_;
  std::string taken_by_;  // the series that took the newest posted plan; "" while none has
  std::uint64_t posts_ = 0;
};

}  // namespace tomolive::daemon
