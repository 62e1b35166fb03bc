// ScanPlanBoard: the scan plans waiting for a detector series that brings none of its own (PROTOCOL.md "Scan
// plans"). set_scan_plan posts a plan for the next such series; the --scan-plan option gives a standing plan for
// every series that finds no posted one. A posted plan is taken by one series: the first data socket that asks for
// it with a series key takes it, and the other sockets of the same detector asking with the same key (the same
// series on several streams) get the same plan.
//
// A plan of the per-series form (series_kind set) covers the series in a row that make one scan: the first series
// to ask gets the plan's kind, each following series (another key) the next kind with images in the order dark,
// flat, projection; after the projections series a posted plan is used up, and a standing one starts over with the
// first kind. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "tomolive/daemon/scan_plan.hpp"

namespace tomolive::daemon {

class ScanPlanBoard {
 public:
  explicit ScanPlanBoard(std::optional<ScanPlan> standing = std::nullopt);

  // Posts `plan` for the next series without a plan of its own (replacing one not yet used up).
  void post(ScanPlan plan);
  // The plan for the series `series_key` (the detector's series id and unique id): the posted one (taken by this
  // series), else the standing one, else nullopt.
  std::optional<ScanPlan> take(const std::string& series_key);
  // Increases with every post: a socket holding a series for want of a plan retries when it changes.
  std::uint64_t posts() const;

 private:
  // A plan and the series that took it last; "" while none has.
  struct Offer {
    ScanPlan plan;
    std::string taken_by;
    std::optional<protocol::FrameKind> first_kind;  // per-series form: the kind the first series gets
  };
  // The plan `offer` gives the series `series_key`, advancing a per-series offer to its next kind for a new series;
  // nullopt when a per-series offer has no kind left and `cycle` is false.
  static std::optional<ScanPlan> take_from(Offer& offer, const std::string& series_key, bool cycle);

  mutable std::mutex mutex_;
  std::optional<Offer> standing_;  // guarded by mutex_
  std::optional<Offer> posted_;    // guarded by mutex_
  std::uint64_t posts_ = 0;        // guarded by mutex_
};

}  // namespace tomolive::daemon
