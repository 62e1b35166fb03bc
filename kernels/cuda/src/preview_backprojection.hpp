// The live 3D preview on the GPU (preview_volume.hpp): backprojection of stored projections into the preview's
// voxels. One call adds
//   weight * sum over entries e of sign_e * preview_voxel_sample(grid, binned projection e, i, j, cos_e, sin_e, axis)
// to every voxel (z, i, j) of the engine's layers (preview_layers; the others are left alone): the function of the
// CPU engine's CpuPreviewVolume::add. Per launch of up to
// kMaxBatchEntries entries, a first kernel bins each entry's projection from the store's cells into `binned`
// (preview_binned_value, one thread per binned pixel), a second one adds them to the voxels (one thread per voxel,
// entries in order; each voxel written by one thread, no atomics, so results do not vary from run to run). Incremental
// updates (the pending entries, signs +1 and -1) and rebuilds (every stored projection, after the caller cleared the
// voxels) use the same call.
// Thread safety: launchers enqueue on `stream` and return.
#pragma once

#include <cuda_runtime.h>

#include <span>

#include "orthoslice_backprojection.hpp"
#include "projection_store.hpp"
#include "tomolive/kernels/preview_volume.hpp"

namespace tomolive::kernels::cuda {

struct PreviewTarget {
  float* voxels = nullptr;  // device memory: grid.voxels() floats
  float* binned = nullptr;  // device memory: kMaxBatchEntries x grid.binned_values() floats of scratch
  PreviewGrid grid;         // the whole detector's
  EngineRows rows;          // the engine's rows on the detector (the store holds rows.rows rows)
};

// The scratch's binned projections (PreviewTarget::binned), for the memory plan.
inline constexpr std::uint32_t kPreviewBinnedProjections = kMaxBatchEntries;

// Adds the entries of `batch` (host memory, any size; kMaxBatchEntries per launch pair) to the preview.
void backproject_preview_batch(const ProjectionStore& store, const PreviewTarget& target,
                               std::span<const BackprojectionEntry> batch, float axis_col, float weight,
                               cudaStream_t stream);

}  // namespace tomolive::kernels::cuda
