// Backprojection of stored projections into the oblique slice on the GPU (oblique_plane.hpp). One launch adds
//   weight * sum over entries e of sign_e * oblique_pixel(plane, i, j, projection in slot_e, cos_e, sin_e, axis)
// to every pixel (i, j) of the slice (zero outside the engine's owned rows, oblique_plane.hpp), each detector row
// sampled from the store's cells by the edge rule of
// detector_sampling.hpp: the function of the CPU engine's backproject_oblique_rows. Incremental updates (a batch of
// entries, signs +1 and -1) and recomputes (every stored projection, after the caller cleared the slice) use the
// same kernel.
//
// Work split: one thread per pixel, entries in order; each pixel is written by one thread (no atomics), so results do
// not vary from run to run. A plane of any orientation reads detector rows and columns with no structure to stage in
// shared memory; the reads go through the cache (an oblique slice is one slice beside the three orthoslices, updated
// at the same rate).
// Thread safety: launchers enqueue on `stream` and return.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <span>

#include "orthoslice_backprojection.hpp"
#include "projection_store.hpp"
#include "tomolive/kernels/oblique_plane.hpp"

namespace tomolive::kernels::cuda {

struct ObliqueTarget {
  float* slice = nullptr;  // device memory: plane.rows x plane.cols floats
  ObliquePlane plane;      // the whole volume's
  EngineRows rows;         // the engine's rows on the detector (the store holds rows.rows rows)
};

// Adds the entries of `batch` (host memory, any size; sent kMaxBatchEntries per launch as kernel parameters).
void backproject_oblique_batch(const ProjectionStore& store, const ObliqueTarget& target,
                               std::span<const BackprojectionEntry> batch, float axis_col, float weight,
                               cudaStream_t stream);

// Adds `count` entries of `table` (device memory).
void backproject_oblique_table(const ProjectionStore& store, const ObliqueTarget& target,
                               const BackprojectionEntry* table, std::uint32_t count, float axis_col, float weight,
                               cudaStream_t stream);

}  // namespace tomolive::kernels::cuda
