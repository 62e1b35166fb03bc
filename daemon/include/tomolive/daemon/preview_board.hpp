// PreviewBoard: the newest published snapshot of the live 3D preview (PROTOCOL.md 10.12, 14.6), quantized to 8 bits
// for browsers. The engine thread (PreviewPublisher) puts a new snapshot when the engine's preview changed and the
// preview interval has passed; each WebSocket session sends the newest one in chunks. Readers always get the newest,
// never a backlog. Snapshots are immutable and shared: a session holds one for as long as it sends its chunks.
// Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace tomolive::daemon {

struct PreviewSnapshot {
  std::uint64_t scan_id = 0;
  std::uint64_t sequence = 0;  // increases with every snapshot put on the board (1 for the first)
  std::uint32_t layers = 0, rows = 0, cols = 0;  // the preview grid (preview_volume.hpp): z, y, x voxels
  std::uint32_t binning = 1;                     // detector pixels per voxel side
  float value_min = 0.f, value_max = 0.f;        // the finite values' range, 1/pixel: q = 0 .. 255 maps onto it
  std::uint64_t non_finite = 0;                  // voxels that were NaN or infinite (sent as q = 0)
  std::vector<std::uint8_t> values;              // layers x rows x cols, z-major then row-major
};

class PreviewBoard {
 public:
  using Version = std::shared_ptr<const PreviewSnapshot>;

  void put(Version version);
  // The newest snapshot, or nullptr before the first (or after clear()).
  Version latest() const;
  // No preview any more (it was disabled): latest() is nullptr until the next put.
  void clear();

 private:
  mutable std::mutex mutex_;
  Version latest_;
};

}  // namespace tomolive::daemon
