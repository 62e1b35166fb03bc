// The CUDA engine: the product backend of Engine (engine.hpp) on one NVIDIA GPU, and page-locked host memory for the
// frames fed to it. This header includes no CUDA header; link tomolive_cuda_engine.
//
// What it holds on the GPU for a scan (allocated by begin_scan, none on the per-projection path): the raw frame being
// processed, dark and flat sums and levels, the fused ramp filter's response, the filtered and the corrected store
// (both float32 or float16, see StorePrecision) and the three slices (float32). Counted in the plan but allocated on
// first use: the projection processing's work memory (zero-padded FFT rows, spectra and cuFFT work areas of the
// staged ramp filter and of Paganin's 2D filter, a scratch frame, ring offsets; at begin_scan when arrivals need the
// staged path, else by the first set_processing), the ring pass's sort buffers (at most 256 MiB, by the first
// re-filter with ring removal) and the center tools' buffer (up to kMaxSweepCandidates x kMaxSweepSide^2 floats,
// 256 MiB; by the first sweep_center or copy of a projection). All of it is kept until the scan ends.
//
// Synchronisation model:
// - add_dark / add_flat return once the frame is copied out of the caller's memory (the averaging runs on the GPU).
// - add_projection returns once the frame is on the GPU and its pixels are counted (fused path: filtered and stored
//   too; staged path: preprocessed, or processed when zingers or phase retrieval count), so ProjectionStats is exact
//   for this projection; what remains (staged: ramp filtering and storing) and the slice update continue
//   asynchronously, overlapping the next frame's host-to-device copy. Slice updates are batched (up to 32 projections per launch, or as soon as a sliding-window
//   slot must be replaced), so a slice read always reflects every projection added before it.
// - set_center / set_slices enqueue the recompute and return; copy_slice waits for everything queued before it.
//   set_processing (and set_center with half acquisition) re-filter and recompute, and return when both are done.
// - sweep_center and copy_projection return with their results in the caller's memory.
// Frames in page-locked memory (PinnedHostBuffer, or memory the caller registered with CUDA) are copied to the GPU
// directly; other frames are first copied into the engine's own page-locked staging buffer on the calling thread.
//
// A slab of the detector (ScanGeometry::slab, engine.hpp DetectorSlab): the frames uploaded are the slab's rows; the
// kernels that follow the whole detector (tilt pivot, preview layers, oblique rows) and the counters (owned rows
// only) take the engine's rows (engine_rows.hpp); the preview's and the oblique slice's memory hold the whole
// detector's grid and plane.
//
// Thread safety: as Engine, one thread at a time. Calls may come from different threads one after the other; each
// call makes its device current.
// Errors: every CUDA and cuFFT failure throws EngineError naming the call, its file:line and CUDA's error string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "tomolive/kernels/engine.hpp"

namespace tomolive::kernels {

// Precision of the projection stores (filtered and corrected). float16 halves their size (3000 projections of
// 2016 x 2016: 24.4 GB each instead of 48.8 GB) and the HBM traffic of a recompute, at a relative slice error measured
// by tomolive-bench (Q2 budget: 5e-3). automatic picks float16 when the two float32 stores would take more than half
// of the device's free memory.
enum class StorePrecision : std::uint8_t { automatic, float32, float16 };

struct CudaEngineOptions {
  int device = 0;  // CUDA device index
  StorePrecision store = StorePrecision::automatic;
  // Time every GPU stage with CUDA events (see CudaStageTimes). Each timed call then waits for its GPU work, so the
  // host no longer overlaps with the GPU: for benchmarks and diagnosis, not for production.
  bool stage_timing = false;
  // Filter every projection through the staged path (preprocess, processing steps, cuFFT R2C / ramp / C2R, store:
  // several passes over device memory) even where the fused one-kernel path applies (detectors of 1025..2048 columns,
  // no processing steps). Same results within float rounding; for benchmarks and tests that compare the two.
  bool staged_filter = false;
  // Most device memory the live 3D preview (preview_volume.hpp) may use, bytes: its voxels and 32 binned projections.
  // The default holds the default preview of 256 voxels a side (64 MiB of voxels) and up to about 400 a side.
  std::uint64_t preview_budget_bytes = std::uint64_t{256} << 20;
};

// GPU time spent per stage since the engine was made, milliseconds (all zero unless CudaEngineOptions::stage_timing).
struct CudaStageTimes {
  std::uint64_t projections = 0;  // add_projection calls
  double upload_ms = 0.0;         // host-to-device copies of raw projections (copy stream)
  double fused_ms = 0.0;          // fused path: dark/flat, -log, ramp filter and store in one kernel, then the
                                  // corrected store's slot
  double preprocess_ms = 0.0;     // staged path: dark/flat correction and -log into the padded rows, corrected slot
  double filter_ms = 0.0;         // staged path: processing steps, R2C, ramp multiply, C2R
  double store_ms = 0.0;          // staged path: conversion into the projection store
  std::uint64_t updates = 0;      // incremental slice-update launches (each covers a batch of projections)
  double update_ms = 0.0;
  std::uint64_t recomputes = 0;   // set_center / set_slices recomputes
  double recompute_ms = 0.0;      // clearing the slices and backprojecting the whole store
  std::uint64_t sweeps = 0;       // sweep_center calls
  double sweep_kernel_ms = 0.0;   // clearing the images, uploading the entries and the sweep kernel
  double sweep_ms = 0.0;          // the same and the copy of the images to the caller's memory
};

// The Engine interface plus what only a GPU engine has.
class CudaEngine : public Engine {
 public:
  // Blocks until all GPU work queued by this engine has finished.
  virtual void synchronize() const = 0;
  virtual CudaStageTimes stage_times() const = 0;
};

// Makes an engine on options.device. Throws EngineError when the device cannot be used (see cuda_unavailable_reason).
std::unique_ptr<CudaEngine> make_cuda_engine(const CudaEngineOptions& options = {});

// nullopt when CUDA device `device` exists and can run this build's kernels; otherwise why not, e.g. "cudaGetDevice
// Count: CUDA driver version is insufficient for CUDA runtime version" or "no CUDA device".
std::optional<std::string> cuda_unavailable_reason(int device = 0);

// CUDA devices this process sees (cudaGetDeviceCount; 0 when the driver or runtime cannot be used: then
// cuda_unavailable_reason says why). Devices 0 .. count - 1 exist; each may still be unusable
// (cuda_unavailable_reason).
int cuda_device_count();

// Page-locked (pinned) host memory, e.g. for the frames a detector adapter receives into, so that add_projection can
// copy them to the GPU without a staging copy. Contents are uninitialised. Movable, not copyable.
class PinnedHostBuffer {
 public:
  PinnedHostBuffer() = default;
  // Throws EngineError when CUDA cannot allocate `bytes` of page-locked memory.
  explicit PinnedHostBuffer(std::size_t bytes);
  ~PinnedHostBuffer();
  PinnedHostBuffer(PinnedHostBuffer&& other) noexcept;
  PinnedHostBuffer& operator=(PinnedHostBuffer&& other) noexcept;
  PinnedHostBuffer(const PinnedHostBuffer&) = delete;
  PinnedHostBuffer& operator=(const PinnedHostBuffer&) = delete;

  void* data() const { return data_; }
  std::size_t size() const { return size_; }
  std::span<std::byte> bytes() const { return {static_cast<std::byte*>(data_), size_}; }

 private:
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace tomolive::kernels
