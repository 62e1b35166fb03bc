// Backprojection of the whole store into a slab of the full volume (Engine::reconstruct_volume) on the GPU: voxel
// (z, i, j) of the slab is
//   weight * sum over entries e of backproject_pixel(plane_z, i, j, projection in slot_e, cos_e, sin_e, axis)
// with plane_z = axial_region_plane(cols, row0 + z, region) (slice_geometry.hpp): the axial slice's function at every
// detector row of the slab, sampled by the edge rule of detector_sampling.hpp (linear interpolation, columns off the
// detector count as 0).
//
// Work split: a block computes a tile of 32 x 32 region pixels for one quad of 4 detector rows (a store cell holds
// the 4 rows at one column, projection_store.hpp, so one position and one pair of cell reads serve 4 voxels). It
// stages, 32 entries at a time, the window of cells each entry's projection of the tile touches (at most 47 columns
// for a 32-pixel tile, 64 staged) in shared memory, then every thread adds them to its 4 pixels x 4 rows in
// registers. Each voxel is written once (no atomics, no clearing): results do not vary from run to run.
// Thread safety: the launcher enqueues on `stream` and returns.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "orthoslice_backprojection.hpp"
#include "projection_store.hpp"
#include "tomolive/kernels/engine.hpp"

namespace tomolive::kernels::cuda {

struct VolumeSlabTarget {
  float* voxels = nullptr;  // device memory: rows x region.rows x region.cols floats, z-major then row-major
  SliceRegion region;       // of the cols x cols axial slice
  std::uint32_t row0 = 0;   // first detector row of the slab
  std::uint32_t rows = 0;   // detector rows in the slab
};

// Computes the slab from `count` entries of `table` (device memory; their signs are ignored: every entry adds) with
// the axis at detector column `axis_col` and the FBP weight `weight` (radians). Preconditions (checked by the engine,
// check_volume): the region lies inside the axial slice and the rows inside the store's.
void backproject_volume_slab(const ProjectionStore& store, const BackprojectionEntry* table, std::uint32_t count,
                             const VolumeSlabTarget& target, float axis_col, float weight, cudaStream_t stream);

}  // namespace tomolive::kernels::cuda
