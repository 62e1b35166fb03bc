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
// A re-filter goes through the slots in batches of refilter_frames() slots (as many frames as fit the re-filter
// budget, at least 1): each batch read from the corrected store in one launch into a batch processor
// (ProjectionProcessor of that many frames; the arrivals' one-frame processor when it is 1), processed step by step
// over the whole batch (phase retrieval, whose padded frames are larger, in sub-batches of refilter_phase_frames()),
// written into the filtered store in one launch. So a re-filter of S slots costs about S / refilter_frames() x
// (number of steps) launches, not S x: a processing sweep's band of 3 rows of 2016 columns (processing_sweep.hpp)
// takes hundreds of slots a batch; whole frames of large detectors take one (their launches are large already).
// With ring removal it goes through the filtered store twice around a ring pass (RingRemoval) over all of it: steps
// 1-2 of every slot written unfiltered into the filtered store (the pass's input, so that no third store is needed),
// the pass (its offsets into the arrivals' processor, for later arrivals), then steps 4-5, both in batches.
//
// Device memory: the fused filter's response at construction; the processor, the batch processor with the slot table
// and the ring pass's work memory are made when first needed (configure() for a staged arrival, refilter()), never
// on the per-projection path, and kept until the path goes; estimate_bytes counts them all.
// Thread safety: one owner; work is ordered by the stream given at construction.
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

  // The default re-filter budget: device bytes the frames of a batch processor may hold (ramp filter and scratch), and
  // again its phase retrieval's.
  static constexpr std::uint64_t kRefilterBudgetBytes = std::uint64_t{128} << 20;

  // Frames per re-filter batch for stores of `layout` within `budget_bytes`: as many frames as fit the budget
  // (ProjectionProcessor::frame_bytes each), at least 1, at most layout.slots (1 for none) and at most
  // kMaxBatchFrames / rows (the processor's limit).
  static std::uint32_t refilter_frames(const StoreLayout& layout, std::uint64_t budget_bytes);
  // Frames per phase-retrieval sub-batch of a re-filter batch: as many as fit the budget (PaganinFilter::
  // estimate_bytes of one frame each), at least 1, at most refilter_frames.
  static std::uint32_t refilter_phase_frames(const StoreLayout& layout, std::uint64_t budget_bytes);

  // Device bytes a path for stores of `layout` holds at most (processors, slot table and ring pass included), without
  // allocating.
  static std::uint64_t estimate_bytes(const StoreLayout& layout, bool staged_only,
                                      std::uint64_t refilter_budget_bytes = kRefilterBudgetBytes);

  // Makes the path for stores of `layout`, processing at processing.hpp's defaults, re-filtering in batches of
  // refilter_frames(layout, refilter_budget_bytes). Throws EngineError when allocation or planning fails.
  FilterPath(const StoreLayout& layout, bool staged_only, cudaStream_t stream,
             std::uint64_t refilter_budget_bytes = kRefilterBudgetBytes);

  // Frames per re-filter batch and per phase-retrieval sub-batch (refilter_frames and refilter_phase_frames at
  // construction).
  std::uint32_t refilter_batch() const { return refilter_batch_; }
  std::uint32_t refilter_phase_batch() const { return refilter_phase_batch_; }

  // The way run() takes with the configured processing.
  Kind kind() const {
    return fused_ && !needs_staged_steps(processing_, half_) && !rotation_.enabled() ? Kind::fused : Kind::staged;
  }

  // The processing, the scan's half acquisition, the rotation axis (detector columns, after the tilt rotation) and
  // the tilt rotation (identity: none) of the next run() and refilter() calls; makes the processor when arrivals now
  // need it, and the processors' phase retrieval when first enabled (allocation: not for the per-projection path).
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

  // Enqueues the re-filter of `slots` (host memory, increasing, occupied, at most layout.slots of them; copied before
  // the call returns) from `corrected` into `store` with the configured processing, in batches of refilter_batch()
  // slots, the ring pass included when rings are enabled (its offsets then serve later arrivals); adds to `counters`
  // (the same totals as one slot at a time). Makes the processors, the slot table and the ring pass's work memory on
  // first use.
  void refilter(const CorrectedStore& corrected, ProjectionStore& store, std::span<const std::uint32_t> slots,
                const ProcessingCounters& counters);

 private:
  ProjectionProcessor& processor();
  // The processor of refilter_batch() frames (processor() when that is 1), made and configured on first use.
  ProjectionProcessor& batch_processor();

  StoreLayout layout_;
  cudaStream_t stream_;
  std::uint32_t refilter_batch_;
  std::uint32_t refilter_phase_batch_;
  ProcessingParams processing_;
  HalfAcquisition half_;
  float axis_col_ = 0.f;
  AxisTiltRotation rotation_;
  DeviceArray<PixelRepair> repairs_;             // the scan's repairs, increasing pixel order
  DeviceArray<std::uint32_t> quad_repairs_;      // the fused kernel's index of repairs_ (QuadRepairs::begin)
  std::optional<FusedRampFilter> fused_;            // when choose() said fused
  std::unique_ptr<ProjectionProcessor> processor_;        // one frame: arrivals (and their ring offsets); made when
                                                          // first needed
  std::unique_ptr<ProjectionProcessor> batch_processor_;  // refilter_batch_ > 1 frames: made by the first re-filter
  DeviceArray<std::uint32_t> slot_table_;                 // layout.slots entries: a re-filter's slots, in order
  std::unique_ptr<RingRemoval> ring_removal_;             // made by the first re-filter with rings enabled
};

}  // namespace tomolive::kernels::cuda
