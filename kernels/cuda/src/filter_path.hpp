// FilterPath: how projections get into a scan's two stores. At arrival, a raw projection on the device -> its
// corrected attenuation (CorrectedStore) and its processed, filtered projection (ProjectionStore), in one of two ways;
// on a re-filter (Engine::set_processing), stored corrected projections -> the filtered store again.
// - fused: one kernel (FusedRampFilter, fused_ramp_filter.hpp) reads the frame, dark and flat once and writes the
//   filtered slot once (flat-field correction, -log, the windowed ramp filter), then a small kernel writes the
//   corrected slot. Its FFT is written for 4096 points, so it takes detectors of 1025..2048 columns (every target
//   workload), and it has no processing steps: it serves arrivals whose processing needs none of them (any window;
//   zingers, phase, rings, half acquisition and the axis tilt rotation off), defective pixels repaired in the kernel.
// - staged: preprocess_rows (flat-field correction, -log) into the ProjectionProcessor's input, that frame into the
//   corrected slot (after repair_pixels, when the scan has pixel repairs), then ProjectionProcessor: the enabled steps
//   (processing.hpp) and the ramp filter through cuFFT.
//   Every other width, every arrival with steps enabled, and every width when asked for (staged_only, to compare).
// choose() is the one place that picks by width; run() takes the fused way when choose() said fused and the
// configured processing has no steps.
// A re-filter reads each slot from the corrected store into the processor; with ring removal it goes through the
// filtered store twice around a ring pass (RingRemoval) over all of it: steps 1-2 of every slot written unfiltered
// into the filtered store (the pass's input, so that no third store is needed), the pass, then steps 4-5.
//
// Device memory: the fused filter's response at construction; the processor and the ring pass's work memory are
// made when first needed (configure() for a staged arrival, refilter()), never on the per-projection path, and kept
// until the path goes; estimate_bytes counts them all. Thread safety: one owner; work is ordered by the stream given
// at construction.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "corrected_store.hpp"
#include "device_resources.hpp"
#include "fused_ramp_filter.hpp"
#include "projection_processor.hpp"
#include "projection_store.hpp"
#include "ring_removal.hpp"
#include "tomolive/kernels/frame_view.hpp"
#include "tomolive/kernels/processing.hpp"

namespace tomolive::kernels::cuda {

class FilterPath {
 public:
  enum class Kind : std::uint8_t { fused, staged };

  // fused when FusedRampFilter handles `cols` and not `staged_only`, else staged.
  static Kind choose(std::uint32_t cols, bool staged_only);

  // Device bytes a path for stores of `layout` holds at most (processor and ring pass included), without allocating.
  static std::uint64_t estimate_bytes(const StoreLayout& layout, bool staged_only);

  // Makes the path for stores of `layout`, processing at processing.hpp's defaults. Throws EngineError when
  // allocation or planning fails.
  FilterPath(const StoreLayout& layout, bool staged_only, cudaStream_t stream);

  // The way run() takes with the configured processing.
  Kind kind() const {
    return fused_ && !needs_staged_steps(processing_, half_) && !rotation_.enabled() ? Kind::fused : Kind::staged;
  }

  // The processing, the scan's half acquisition, the rotation axis (detector columns, after the tilt rotation) and
  // the tilt rotation (identity: none) of the next run() and refilter() calls; makes the processor when arrivals now need it (allocation: not for the per-projection path).
  // A new window's response is uploaded in stream order. Throws EngineError when allocation fails (the previous
  // configuration then stays).
  void configure(const ProcessingParams& processing, const HalfAcquisition& half, float axis_col,
                 const AxisTiltRotation& rotation);

  // Back to "no ring pass yet" (a new scan): ring offsets zero, no pixel repairs.
  void reset();

  // The defective-pixel repairs of the next run() calls (host memory, increasing pixel order, plan_pixel_repairs),
  // applied after the flat-field correction: uploaded (synchronously; with their per-quad index for the fused
  // kernel). Called once per scan, at its first projection. Throws EngineError when allocation fails.
  void set_pixel_repairs(std::span<const PixelRepair> repairs);

  // Events recorded on the stream as the work passes them: raw_consumed (required) once `raw` is no longer read;
  // counted (required) once every counter of this projection is final; preprocessed and filtered, when not null,
  // after the staged path's flat-field correction and ramp filter (stage timing; the fused path has no such points
  // and leaves them alone).
  struct Marks {
    cudaEvent_t raw_consumed = nullptr;
    cudaEvent_t counted = nullptr;
    cudaEvent_t preprocessed = nullptr;
    cudaEvent_t filtered = nullptr;
  };

  // Enqueues the work for `raw` (rows x cols pixels of `type`, device memory), with `dark` and `flat` (rows x cols
  // floats, device memory), into `slot` of `corrected` (the attenuation) and of `store` (processed and filtered,
  // replacing every cell of it); adds to `counters`.
  void run(const void* raw, PixelType type, const float* dark, const float* flat, CorrectedStore& corrected,
           ProjectionStore& store, std::uint32_t slot, const ProcessingCounters& counters, const Marks& marks);

  // Enqueues the re-filter of `slots` (host memory, increasing, occupied) from `corrected` into `store` with the
  // configured processing, the ring pass included when rings are enabled (its offsets then serve later arrivals);
  // adds to `counters`. Makes the processor and the ring pass's work memory on first use.
  void refilter(const CorrectedStore& corrected, ProjectionStore& store, std::span<const std::uint32_t> slots,
                const ProcessingCounters& counters);

 private:
  ProjectionProcessor& processor();

  StoreLayout layout_;
  cudaStream_t stream_;
  ProcessingParams processing_;
  HalfAcquisition half_;
  float axis_col_ = 0.f;
  AxisTiltRotation rotation_;
  DeviceArray<PixelRepair> repairs_;             // the scan's repairs, increasing pixel order
  DeviceArray<std::uint32_t> quad_repairs_;      // the fused kernel's index of repairs_ (QuadRepairs::begin)
  std::optional<FusedRampFilter> fused_;            // when choose() said fused
  std::unique_ptr<ProjectionProcessor> processor_;  // made when first needed
  std::unique_ptr<RingRemoval> ring_removal_;       // made by the first re-filter with rings enabled
};

}  // namespace tomolive::kernels::cuda
