#include "tomolive/kernels/preview_volume.hpp"

#include <algorithm>

#include "tomolive/kernels/engine.hpp"
#include "tomolive/kernels/plan_arithmetic.hpp"

namespace tomolive::kernels {

PreviewGrid preview_grid(std::uint32_t side, std::uint32_t detector_rows, std::uint32_t detector_cols) {
  const std::uint32_t longest = std::max(detector_rows, detector_cols);
  PreviewGrid g;
  g.binning = std::max(1u, (longest + side - 1) / side);
  g.layers = (detector_rows + g.binning - 1) / g.binning;
  g.cols = (detector_cols + g.binning - 1) / g.binning;
  g.rows = g.cols;
  g.detector_rows = detector_rows;
  g.detector_cols = detector_cols;
  return g;
}

PreviewGrid preview_grid(const PreviewParams& preview, std::uint32_t detector_rows, std::uint32_t detector_cols) {
  if (!preview.enabled) return PreviewGrid{};
  return preview_grid(preview.side, detector_rows, detector_cols);
}

void check_preview(const PreviewParams& preview) {
  if (!preview.enabled) return;
  if (preview.side < kMinPreviewSide || preview.side > kMaxPreviewSide) {
    throw EngineError("preview side " + std::to_string(preview.side) + " voxels is out of range: expected " +
                      std::to_string(kMinPreviewSide) + ".." + std::to_string(kMaxPreviewSide));
  }
}

void check_preview_budget(const PreviewGrid& grid, std::uint64_t bytes, std::uint64_t budget_bytes) {
  if (bytes <= budget_bytes) return;
  throw EngineError("a preview of " + std::to_string(grid.layers) + " x " + std::to_string(grid.rows) + " x " +
                    std::to_string(grid.cols) + " voxels (binning " + std::to_string(grid.binning) + ") needs " +
                    format_mib(bytes) + " MiB, more than the engine's preview budget of " + format_mib(budget_bytes) +
                    " MiB: choose a smaller side");
}

std::uint64_t preview_reserve_bytes(std::uint32_t detector_rows, std::uint32_t detector_cols,
                                    std::uint64_t binned_projections, std::uint64_t budget_bytes) {
  if (detector_rows == 0 || detector_cols == 0) return 0;
  const PreviewGrid largest = preview_grid(kMaxPreviewSide, detector_rows, detector_cols);
  return std::min(budget_bytes, preview_bytes(largest, binned_projections));
}

}  // namespace tomolive::kernels
