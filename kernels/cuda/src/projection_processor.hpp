// ProjectionProcessor: a batch of up to frames() corrected projections (attenuation) -> as many slots of the filtered
// store, through the steps of processing.hpp that are enabled: 1 zingers (zinger_filter), the axis tilt rotation
// (axis_tilt_rotation), 2 phase retrieval (PaganinFilter), 3 the ring offset of the last ring pass and 4
// half-acquisition weights (pre_filter_corrections), 5 the windowed ramp filter (GpuRampFilter). Each step takes the
// whole batch in one launch (one cuFFT plan of frames() x rows rows for the ramp filter), phase retrieval in
// sub-batches of phase_frames() frames (its padded frames are larger), and treats every frame on its own
// (processing_frame.hpp), so a batch gives what one call per frame gives. The staged arrival path (one frame) and
// every re-filter (batches, FilterPath) go through it.
//
// The frames to process are written into input() (frames() frames of rows x cols floats, row r of frame f at
// input() + (f * rows + r) * pitch(); the padding columns of each row stay zero for the ramp filter, so only the
// first cols values of a row may be written), and process() consumes the first slots.frames of them (the steps work
// in place). The ramp filter's transforms run over all frames() frames: a smaller batch costs the whole batch's FFTs,
// and the frames past it hold stale values that nothing reads (likewise phase retrieval's last sub-batch).
//
// Device memory, allocated at construction: frames() times frame_bytes() (the ramp filter's rows, spectrum and work
// area, a scratch frame of the same shape), the ring offsets (rows x cols floats), the half-acquisition weights (cols
// floats); by the first configure() that enables phase retrieval: the Paganin filter of phase_frames() frames (padded
// frames, spectra, work area). estimate_bytes counts it all.
// Thread safety: one owner; work is ordered by the stream given at construction.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <optional>

#include "device_resources.hpp"
#include "gpu_ramp_filter.hpp"
#include "paganin_filter.hpp"
#include "processing_frame.hpp"
#include "projection_store.hpp"
#include "tomolive/kernels/axis_tilt_correction.hpp"
#include "tomolive/kernels/engine_rows.hpp"

namespace tomolive::kernels::cuda {

// Running totals in device memory, one 64-bit counter each, of the pixels in the frame rows `rows` (the engine's owned
// rows, engine_rows.hpp; by default every row).
struct ProcessingCounters {
  unsigned long long* clamped = nullptr;           // transmissions clamped (flat-field correction, phase retrieval)
  unsigned long long* zingers_replaced = nullptr;  // pixels the zinger filter replaced
  RowRange rows;                                   // the counted rows
};

class ProjectionProcessor {
 public:
  // For batches of up to `frames` (1..kMaxBatchFrames, frames x rows <= kMaxBatchFrames) frames of rows x cols
  // detectors, phase retrieval in sub-batches of `phase_frames` (1..frames). Ring offsets start at zero; the
  // parameters at processing.hpp's defaults (every step off, Ram-Lak). Throws EngineError when planning or allocation
  // fails.
  ProjectionProcessor(std::uint32_t rows, std::uint32_t cols, std::uint32_t frames, std::uint32_t phase_frames,
                      cudaStream_t stream);

  // Device bytes an instance of this shape holds with phase retrieval enabled, without allocating.
  static std::uint64_t estimate_bytes(std::uint32_t rows, std::uint32_t cols, std::uint32_t frames,
                                      std::uint32_t phase_frames);
  // Device bytes each frame of a batch adds (the ramp filter's and the scratch frame's share), phase retrieval's
  // apart (PaganinFilter::estimate_bytes per phase frame).
  static std::uint64_t frame_bytes(std::uint32_t rows, std::uint32_t cols);

  // The steps, the scan's half acquisition (its detector columns within the frame), the rotation axis (detector
  // columns after the tilt rotation; half-acquisition weights) and the tilt rotation (identity: none) of the next
  // process() calls; a new window's response and the half-acquisition weights (computed on the host by
  // half_acquisition_weight, as the CPU engine does) are uploaded in stream order. Calls reserve(processing) first.
  void configure(const ProcessingParams& processing, const HalfAcquisition& half, float axis_col,
                 const AxisTiltRotation& rotation);

  // Makes the work memory `processing` needs that is not there yet (the Paganin filter, the first time phase
  // retrieval is enabled), changing nothing else. Throws EngineError when that fails.
  void reserve(const ProcessingParams& processing);

  float* input() const { return ramp_.input(); }
  std::uint32_t pitch() const { return ramp_.padded(); }
  std::uint32_t frames() const { return frames_; }
  std::uint32_t phase_frames() const { return phase_frames_; }

  // Whether process(Steps::all) counts anything (zingers or phase retrieval enabled).
  bool counts() const { return processing_.zingers.enabled || processing_.phase.enabled; }

  // Which steps process() runs: every enabled step and then the filter (an arriving projection: the ring step adds
  // the last pass's offset); or, around a ring pass over the whole store, the steps before it (zingers and phase,
  // written unfiltered into the slot, the pass's input) and those after it (weights and filter, from the frame the
  // pass left in the slot).
  enum class Steps : std::uint8_t { all, before_ring_pass, after_ring_pass };

  // Enqueues `steps` on the first slots.frames (1..frames()) frames in input() and writes frame f's result into slot
  // slots.slot(f) of `store` (same rows and cols); adds what the steps count to `counters`. `filtered`, when not
  // null, is recorded once the ramp filter is done (stage timing). Throws EngineError for a batch larger than
  // frames().
  void process(Steps steps, ProjectionStore& store, const SlotBatch& slots, const ProcessingCounters& counters,
               cudaEvent_t filtered = nullptr);

  // The per-pixel offsets of the last ring pass (rows x cols floats, row-major, device memory), and their reset to
  // zero (a new scan: no pass yet).
  float* ring_offsets() const { return ring_offsets_.get(); }
  void clear_ring_offsets();

 private:
  std::uint32_t rows_;
  std::uint32_t cols_;
  std::uint32_t frames_;
  std::uint32_t phase_frames_;
  cudaStream_t stream_;
  ProcessingParams processing_;
  AxisTiltRotation rotation_;
  HalfAcquisition half_;  // the scan's
  GpuRampFilter ramp_;
  DeviceArray<float> scratch_;  // frames x rows x pitch(): the zinger filter's or the tilt rotation's output
  std::optional<PaganinFilter> paganin_;  // of phase_frames_ frames, made when phase retrieval is first enabled
  DeviceArray<float> ring_offsets_;
  DeviceArray<float> column_weights_;  // cols floats: half-acquisition weights at the configured axis
};

}  // namespace tomolive::kernels::cuda
