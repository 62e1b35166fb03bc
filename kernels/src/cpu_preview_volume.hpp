// CpuPreviewVolume: the CPU engine's live 3D preview (preview_volume.hpp): the preview's voxels, the scratch that one
// binned projection needs, and a version that changes whenever the voxels do. Private to the kernels library.
//
// add() bins one filtered projection (split among the pool's workers by binned rows) and adds weight x its
// backprojection to every voxel of the engine's layers (preview_layers; split by voxel rows: each voxel is written by
// one worker, so results do not depend on the thread count); the engine removes a projection with a negative weight
// and rebuilds the preview by clear() and one add() per stored projection, in slot order. No allocation after
// configure().
// Thread safety: one calling thread at a time (the engine's).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tomolive/kernels/preview_volume.hpp"
#include "worker_pool.hpp"

namespace tomolive::kernels::detail {

class CpuPreviewVolume {
 public:
  explicit CpuPreviewVolume(WorkerPool& pool) : pool_(pool) {}

  // Bytes of a preview of `grid`: the voxels and one binned projection.
  static std::uint64_t bytes(const PreviewGrid& grid) { return preview_bytes(grid, 1); }

  // Makes the preview `grid` (the whole detector's; voxels zero; all-zero grid: disabled, memory freed) for an engine
  // of `rows`. Throws std::bad_alloc.
  void configure(const PreviewGrid& grid, const EngineRows& rows);
  const PreviewGrid& grid() const { return grid_; }
  bool enabled() const { return grid_.layers != 0; }

  // Adds weight x the backprojection of `filtered` (the engine's rows x grid.detector_cols floats) at angle (cos_t,
  // sin_t), axis at detector column axis_col, to the engine's layers. Nothing while disabled.
  void add(const float* filtered, float cos_t, float sin_t, float axis_col, float weight);
  // Every voxel to zero.
  void clear();

  // The voxels, grid.voxels() floats (z-major, then row-major).
  std::span<const float> values() const { return voxels_; }
  // Changes whenever the voxels may have changed (configure, add, clear); increases over the engine's life.
  std::uint64_t version() const { return version_; }

 private:
  WorkerPool& pool_;
  PreviewGrid grid_;
  EngineRows rows_;
  RowRange layers_;  // preview_layers(grid_, rows_)
  std::vector<float> voxels_;
  std::vector<float> binned_;  // one binned projection, grid.layers x grid.cols
  std::uint64_t version_ = 0;
};

}  // namespace tomolive::kernels::detail
