// SliceBoard: the newest published state of each orthoslice. The engine thread puts a new version of a slice on the
// board when it changed and the publish interval has passed; the publisher and the get_slice command take the newest
// version. Readers always get the newest slice, never a backlog.
//
// Versions are immutable and shared, not copied: a reader holds a SliceBoard::Version (a shared pointer) for as long
// as it sends the values (ZeroMQ may hold it until its I/O thread has written the bytes), and the writer reuses a
// version's storage only once nobody holds it any more (see SliceVersionPool). Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "tomolive/protocol/messages.hpp"

namespace tomolive::daemon {

struct SliceSnapshot {
  protocol::SliceUpdate header;  // header.sequence identifies this version
  std::vector<float> values;     // header.rows * header.cols, 1/pixel
};

class SliceBoard {
 public:
  using Version = std::shared_ptr<const SliceSnapshot>;

  // Makes `version` the newest of its slice kind.
  void put(Version version);
  // The newest version of `kind`, or nullptr before the first.
  Version latest(protocol::SliceKind kind) const;

 private:
  mutable std::mutex mutex_;
  std::array<Version, protocol::kSliceKinds.size()> slices_;
};

// Storage for new slice versions, reused once no reader holds them, so that the engine thread does not allocate a
// slice per update. Used by one thread (the writer).
class SliceVersionPool {
 public:
  // A snapshot nobody else holds, to be filled and put on the board.
  std::shared_ptr<SliceSnapshot> acquire(protocol::SliceKind kind);

 private:
  static constexpr std::size_t kKeptPerKind = 8;  // versions kept for reuse; slow readers may hold more for a while
  std::array<std::vector<std::shared_ptr<SliceSnapshot>>, protocol::kSliceKinds.size()> kept_;
};

}  // namespace tomolive::daemon
