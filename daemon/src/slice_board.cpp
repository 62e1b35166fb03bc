#include "tomolive/daemon/slice_board.hpp"

#include <utility>

namespace tomolive::daemon {

void SliceBoard::put(Version version) {
  const auto kind = static_cast<std::size_t>(version->header.slice);
  std::lock_guard lock(mutex_);
  slices_[kind] = std::move(version);
}

SliceBoard::Version SliceBoard::latest(protocol::SliceKind kind) const {
  std::lock_guard lock(mutex_);
  return slices_[static_cast<std::size_t>(kind)];
}

std::shared_ptr<SliceSnapshot> SliceVersionPool::acquire(protocol::SliceKind kind) {
  auto& kept = kept_[static_cast<std::size_t>(kind)];
  for (const auto& snapshot : kept) {
    // Only this pool holds it: no reader can reach it any more (it is off the board and nobody sends it).
    if (snapshot.use_count() == 1) return snapshot;
  }
  auto fresh = std::make_shared<SliceSnapshot>();
  if (kept.size() < kKeptPerKind) kept.push_back(fresh);
  return fresh;
}

}  // namespace tomolive::daemon
