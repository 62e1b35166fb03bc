// Backprojection of stored projections into the three orthoslices on the GPU. One launch adds
//   weight * sum over entries e of sign_e * backproject_pixel(plane, i, j, projection in slot_e, cos_e, sin_e, axis)
// to every pixel (i, j) of each selected slice: the function of the CPU engine's backproject_rows (linear
// interpolation between detector columns, zero outside [0, cols - 1]; slice_geometry.hpp), evaluated with
// shared-memory staging instead of per-pixel global reads. The same launch serves incremental updates (a small batch
// of entries, signs +1 for added and -1 for replaced projections) and recomputes (every stored projection, after the
// caller cleared the slices).
//
// Work split: the axial slice in tiles of 64 x 64 pixels, the two vertical slices together by quads of 4 detector
// rows; the entries in groups, so that a recompute has enough blocks to balance; every block adds its partial sums
// with atomicAdd, so sums are exact up to float rounding but their order (and last bits) varies from run to run.
// Thread safety: launchers enqueue on `stream` and return.
#pragma once

#include <cuda_runtime.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "projection_store.hpp"
#include "tomolive/kernels/slice_geometry.hpp"

namespace tomolive::kernels::cuda {

// One projection's contribution: the store slot it is read from, its angle and +1 (add) or -1 (remove).
struct BackprojectionEntry {
  float cos_t = 1.f;
  float sin_t = 0.f;
  std::uint32_t slot = 0;
  float sign = 1.f;
};

// Entries a batch launch carries as a kernel parameter.
inline constexpr std::uint32_t kMaxBatchEntries = 32;

// Slices to update, indexed by Orthoslice (xy, xz, yz): device arrays of plane.rows x plane.cols floats, nullptr for
// a slice left alone. Planes as made by axial_plane / xz_plane / yz_plane (the kernels rely on their structure:
// axial x varies along columns only and y along rows only, by at most 1 pixel per step; vertical x and y vary along
// columns only and rows are detector rows).
struct OrthosliceTargets {
  std::array<float*, 3> slices{};
  std::array<SlicePlane, 3> planes{};
};

struct GpuLimits {
  int multiprocessors = 1;
  std::size_t max_shared_bytes_per_block = 48 * 1024;  // with the opt-in attribute
};

// A center sweep's images: one per candidate axis column, each the region of the axial slice that `plane` (made by
// axial_sampled_plane, a step of 1..8 pixels) maps, reconstructed with that axis. `images` holds axis_cols.size() x
// plane.rows x plane.cols floats (device memory), cleared by the caller.
inline constexpr std::size_t kMaxSweepAxes = 64;  // = kMaxSweepCandidates (engine.hpp)
struct SweepTarget {
  float* images = nullptr;
  SlicePlane plane;
  std::span<const float> axis_cols;  // host memory; 1..kMaxSweepAxes detector columns
};

// Throws EngineError when the kernels cannot handle a store of this shape on this device (cols > 4096, or the
// vertical-slice staging does not fit in shared memory).
void check_backprojection_fits(const StoreLayout& layout, StoreType type, const GpuLimits& limits);

// Adds the entries of `batch` (host memory, any size; sent kMaxBatchEntries per launch as kernel parameters).
void backproject_batch(const ProjectionStore& store, const OrthosliceTargets& targets,
                       std::span<const BackprojectionEntry> batch, float axis_col, float weight, cudaStream_t stream);

// Adds `count` entries of `table` (device memory).
void backproject_table(const ProjectionStore& store, const OrthosliceTargets& targets,
                       const BackprojectionEntry* table, std::uint32_t count, float axis_col, float weight,
                       const GpuLimits& limits, cudaStream_t stream);

// Adds `count` entries of `table` (device memory) to every image of `target`, in one launch over (region tiles,
// candidates, entry groups): per pixel the function of the axial slice's tiles (backproject_table), at the
// candidate's axis. Throws EngineError when target is not as described above.
void sweep_axial(const ProjectionStore& store, const BackprojectionEntry* table, std::uint32_t count,
                 const SweepTarget& target, float weight, const GpuLimits& limits, cudaStream_t stream);

}  // namespace tomolive::kernels::cuda
