#include "tomolive/daemon/scan_plan_board.hpp"

namespace tomolive::daemon {
namespace {

using protocol::FrameKind;

// The kind with images that follows `kind` in a scan of per-series plan `plan` (dark, flat, projection); nullopt
// after the projections.
std::optional<FrameKind> next_kind(const ScanPlan& plan, FrameKind kind) {
  for (const FrameKind later : {FrameKind::flat, FrameKind::projection}) {
    if (later > kind && plan.count(later) > 0) return later;
  }
  return std::nullopt;
}

}  // namespace

ScanPlanBoard::ScanPlanBoard(std::optional<ScanPlan> standing) {
  if (standing) standing_ = Offer{*standing, "", standing->series_kind};
}

void ScanPlanBoard::post(ScanPlan plan) {
  std::lock_guard lock(mutex_);
  const std::optional<FrameKind> first = plan.series_kind;
  posted_ = Offer{std::move(plan), "", first};
  ++posts_;
}

std::optional<ScanPlan> ScanPlanBoard::take_from(Offer& offer, const std::string& series_key, bool cycle) {
  if (offer.taken_by.empty() || offer.taken_by == series_key || !offer.plan.series_kind) {
    offer.taken_by = series_key;
    return offer.plan;
  }
  std::optional<FrameKind> next = next_kind(offer.plan, *offer.plan.series_kind);
  if (!next && cycle) next = offer.first_kind;
  if (!next) return std::nullopt;
  offer.plan.series_kind = next;
  offer.taken_by = series_key;
  return offer.plan;
}

std::optional<ScanPlan> ScanPlanBoard::take(const std::string& series_key) {
  std::lock_guard lock(mutex_);
  if (posted_ && (posted_->taken_by.empty() || posted_->taken_by == series_key || posted_->plan.series_kind)) {
    if (std::optional<ScanPlan> plan = take_from(*posted_, series_key, false)) return plan;
    posted_.reset();  // a per-series plan used up by its projections series
  }
  if (!standing_) return std::nullopt;
  return take_from(*standing_, series_key, true);
}

std::uint64_t ScanPlanBoard::posts() const {
  std::lock_guard lock(mutex_);
  return posts_;
}

}  // namespace tomolive::daemon
