#include "tomolive/daemon/slice_board.hpp"

#include <utility>

namespace tomolive::daemon {

void SliceBoard::exchange(SliceSnapshot& snapshot) {
  std::lock_guard lock(mutex_);
  auto& slot = slices_[static_cast<std::size_t>(snapshot.header.slice)];
  if (!slot) {
    slot = std::move(snapshot);
    snapshot = SliceSnapshot{};
  } else {
    std::swap(*slot, snapshot);
  }
}

std::optional<SliceSnapshot> SliceBoard::latest(protocol::SliceKind kind) const {
  std::lock_guard lock(mutex_);
  return slices_[static_cast<std::size_t>(kind)];
}

bool SliceBoard::copy_if_newer(protocol::SliceKind kind, std::uint64_t seen, SliceSnapshot& out) const {
  std::lock_guard lock(mutex_);
  const auto& slot = slices_[static_cast<std::size_t>(kind)];
  if (!slot || slot->header.sequence <= seen) return false;
  out.header = slot->header;
  out.values.assign(slot->values.begin(), slot->values.end());
  return true;
}

}  // namespace tomolive::daemon
