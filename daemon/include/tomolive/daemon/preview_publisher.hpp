// PreviewPublisher: puts the engine's live 3D preview (PROTOCOL.md 10.12) on the PreviewBoard, quantized to 8 bits
// (preview_frame.hpp), and wakes the WebSocket sessions. It throttles: a snapshot is taken only when the engine's
// preview_version changed since the previous one, and at most once per interval (copying a 256^3 preview out of the
// GPU and quantizing it takes tens of milliseconds of the engine thread). A disabled preview clears the board. The
// clock is injectable so that the throttling can be tested without waiting. Used by the engine thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "tomolive/daemon/preview_board.hpp"
#include "tomolive/kernels/engine.hpp"

namespace tomolive::daemon {

class PreviewPublisher {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  static constexpr std::chrono::milliseconds kDefaultInterval{1000};

  // `board` may be null (nothing is published); `on_published` (may be empty) is called after each change of the
  // board.
  PreviewPublisher(PreviewBoard* board, std::function<void()> on_published,
                   std::chrono::steady_clock::duration interval,
                   Clock clock = [] { return std::chrono::steady_clock::now(); });

  // Publishes the engine's preview (of scan `scan_id`) when it changed and the interval has passed since the previous
  // snapshot, or at once when `now`; clears the board when the engine's preview is disabled. The engine must hold a
  // scan. Throws what the engine throws (the board is then left as it was).
  void maybe_publish(const kernels::Engine& engine, std::uint64_t scan_id, bool now = false);

  // Snapshots put on the board since start.
  std::uint64_t published() const { return sequence_; }
  std::chrono::steady_clock::duration interval() const { return interval_; }

 private:
  PreviewBoard* board_;
  std::function<void()> on_published_;
  const std::chrono::steady_clock::duration interval_;
  const Clock clock_;
  std::vector<float> voxels_;                 // the engine's preview, copied out (reused)
  std::optional<std::uint64_t> last_version_;  // of the newest snapshot's engine preview
  std::optional<std::chrono::steady_clock::time_point> last_snapshot_;
  std::uint64_t sequence_ = 0;
  bool board_empty_ = true;
};

}  // namespace tomolive::daemon
