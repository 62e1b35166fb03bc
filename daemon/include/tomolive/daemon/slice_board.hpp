// SliceBoard: the newest published state of each orthoslice. The engine thread writes a slice when it changed and
// the publish interval has passed; the publisher and the get_slice command read it. Readers always get the newest
// slice, never a backlog. Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "tomolive/protocol/messages.hpp"

namespace tomolive::daemon {

struct SliceSnapshot {
  protocol::SliceUpdate header;  // header.sequence identifies this version
  std::vector<float> values;     // header.rows * header.cols, 1/pixel
};

class SliceBoard {
 public:
  // Stores `snapshot` as the newest version of its slice. The previous version's storage is handed back in
  // `snapshot` so that the writer can reuse it without allocating.
  void exchange(SliceSnapshot& snapshot);

  // A copy of the newest version of `kind`, if any.
  std::optional<SliceSnapshot> latest(protocol::SliceKind kind) const;

  // Copies the newest version of `kind` into `out` if its sequence is above `seen`; returns whether it did.
  bool copy_if_newer(protocol::SliceKind kind, std::uint64_t seen, SliceSnapshot& out) const;

 private:
  mutable std::mutex mutex_;
  std::array<std::optional<SliceSnapshot>, 3> slices_;
};

}  // namespace tomolive::daemon
