// The CPU engine: a real reconstruction engine for machines without a GPU, and the reference the CUDA engine is
// tested against. Filtering and phase retrieval use FFTW (single precision); zinger and ring removal are
// cpu_zinger_filter.hpp and cpu_ring_removal.hpp; backprojection uses the shared slice_geometry core.
//
// Both stores (corrected and filtered) are float32. Everything a scan needs is allocated at begin_scan, except the
// work memory of phase retrieval and ring removal, allocated when a begin_scan or set_processing first enables them
// (counted in the plan from the start); add_projection does not allocate.
// A begin_scan refused for its geometry, parameters or memory plan leaves the previous scan untouched; once
// accepted, the previous scan is released before the new one is allocated.
// A slab of the detector (ScanGeometry::slab, engine.hpp DetectorSlab): where the halo covers what processing across
// rows reads, the owned rows, the preview and the oblique slice equal one CPU engine's over the whole detector bit for
// bit (zingers, the tilt rotation, the preview's binning, the oblique slice's interpolation; not Paganin).
// Thread safety: as Engine, one calling thread at a time. Internally the engine splits detector rows (filtering),
// projections (re-filters) and slice rows (backprojection) among `threads` workers (std::jthreads owned by the
// engine, joined when it is destroyed); every output value is computed by one worker in a fixed order, so results do
// not depend on `threads`.
#pragma once

#include <cstdint>
#include <memory>

#include "tomolive/kernels/engine.hpp"

namespace tomolive::kernels {

struct CpuEngineOptions {
  // Largest scan memory the engine may use, bytes; 0 = half of the machine's physical memory.
  std::uint64_t memory_limit_bytes = 0;
  // Worker threads for filtering and backprojection; 0 = std::thread::hardware_concurrency().
  unsigned threads = 0;
  // Most memory the live 3D preview (preview_volume.hpp) may use, bytes: its voxels and one binned projection. The
  // default allows about 250 voxels a side; the CPU engine's own default preview (disabled) is 64.
  std::uint64_t preview_budget_bytes = std::uint64_t{64} << 20;
};

std::unique_ptr<Engine> make_cpu_engine(const CpuEngineOptions& options = {});

}  // namespace tomolive::kernels
