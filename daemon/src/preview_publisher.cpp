#include "tomolive/daemon/preview_publisher.hpp"

#include <memory>
#include <utility>

#include "tomolive/daemon/preview_frame.hpp"

namespace tomolive::daemon {

PreviewPublisher::PreviewPublisher(PreviewBoard* board, std::function<void()> on_published,
                                   std::chrono::steady_clock::duration interval, Clock clock)
    : board_(board), on_published_(std::move(on_published)), interval_(interval), clock_(std::move(clock)) {}

void PreviewPublisher::maybe_publish(const kernels::Engine& engine, std::uint64_t scan_id, bool now) {
  if (board_ == nullptr) return;
  const kernels::PreviewGrid grid = engine.preview_shape();
  if (grid.voxels() == 0) {
    last_version_.reset();
    if (!board_empty_) {
      board_->clear();
      board_empty_ = true;
      if (on_published_) on_published_();
    }
    return;
  }
  const std::uint64_t version = engine.preview_version();
  if (last_version_ == version) return;
  const auto at = clock_();
  if (!now && last_snapshot_ && at - *last_snapshot_ < interval_) return;

  voxels_.resize(grid.voxels());
  engine.copy_preview(voxels_);
  auto snapshot = std::make_shared<PreviewSnapshot>();
  snapshot->scan_id = scan_id;
  snapshot->sequence = ++sequence_;
  snapshot->layers = grid.layers;
  snapshot->rows = grid.rows;
  snapshot->cols = grid.cols;
  snapshot->binning = grid.binning;
  quantize_preview(voxels_, *snapshot);
  board_->put(std::move(snapshot));
  board_empty_ = false;
  last_version_ = version;
  last_snapshot_ = at;
  if (on_published_) on_published_();
}

}  // namespace tomolive::daemon
