// ProjectionProcessor: one corrected projection (attenuation) -> one slot of the filtered store, through the steps of
// processing.hpp that are enabled: 1 zingers (zinger_filter), the axis tilt rotation (axis_tilt_rotation), 2 phase
// retrieval (PaganinFilter), 3 the ring offset of
// the last ring pass and 4 half-acquisition weights (pre_filter_corrections), 5 the windowed ramp filter
// (GpuRampFilter). The staged arrival path and every re-filter go through it (FilterPath).
//
// The frame to process is written into input() (rows x cols floats, row r at input() + r * pitch(); the padding
// columns of each row stay zero for the ramp filter, so only the first cols values of a row may be written), and
// process() consumes it (the steps work in place).
//
// Device memory (allocated at construction): the ramp filter's rows, spectrum and work area, a scratch frame of the
// same shape, the Paganin filter's padded frame, spectrum and work area, the ring offsets (rows x cols floats), the
// half-acquisition weights (cols floats).
// Thread safety: one owner; work is ordered by the stream given at construction.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

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
  // For rows x cols detectors. Ring offsets start at zero; the parameters at processing.hpp's defaults (every step
  // off, Ram-Lak). Throws EngineError when planning or allocation fails.
  ProjectionProcessor(std::uint32_t rows, std::uint32_t cols, cudaStream_t stream);

  // Device bytes an instance of this shape holds, without allocating.
  static std::uint64_t estimate_bytes(std::uint32_t rows, std::uint32_t cols);

  // The steps, the scan's half acquisition (its detector columns within the frame), the rotation axis (detector
  // columns after the tilt rotation; half-acquisition weights) and the tilt rotation (identity: none) of the next
  // process() calls; a new window's response and the half-acquisition weights (computed on the host by
  // half_acquisition_weight, as the CPU engine does) are uploaded in stream order.
  void configure(const ProcessingParams& processing, const HalfAcquisition& half, float axis_col,
                 const AxisTiltRotation& rotation);

  float* input() const { return ramp_.input(); }
  std::uint32_t pitch() const { return ramp_.padded(); }

  // Whether process(Steps::all) counts anything (zingers or phase retrieval enabled).
  bool counts() const { return processing_.zingers.enabled || processing_.phase.enabled; }

  // Which steps process() runs: every enabled step and then the filter (an arriving projection: the ring step adds
  // the last pass's offset); or, around a ring pass over the whole store, the steps before it (zingers and phase,
  // written unfiltered into the slot, the pass's input) and those after it (weights and filter, from the frame the
  // pass left in the slot).
  enum class Steps : std::uint8_t { all, before_ring_pass, after_ring_pass };

  // Enqueues `steps` on the frame in input() and writes the result into `slot` of `store` (same rows and cols);
  // adds what the steps count to `counters`. `filtered`, when not null, is recorded once the ramp filter is done
  // (stage timing).
  void process(Steps steps, ProjectionStore& store, std::uint32_t slot, const ProcessingCounters& counters,
               cudaEvent_t filtered = nullptr);

  // The per-pixel offsets of the last ring pass (rows x cols floats, row-major, device memory), and their reset to
  // zero (a new scan: no pass yet).
  float* ring_offsets() const { return ring_offsets_.get(); }
  void clear_ring_offsets();

 private:
  FrameShape shape() const { return {rows_, cols_, ramp_.padded()}; }

  std::uint32_t rows_;
  std::uint32_t cols_;
  cudaStream_t stream_;
  ProcessingParams processing_;
  AxisTiltRotation rotation_;
  HalfAcquisition half_;  // the scan's
  GpuRampFilter ramp_;
  DeviceArray<float> scratch_;  // rows x pitch(): the zinger filter's or the tilt rotation's output
  PaganinFilter paganin_;
  DeviceArray<float> ring_offsets_;
  DeviceArray<float> column_weights_;  // cols floats: half-acquisition weights at the configured axis
};

}  // namespace tomolive::kernels::cuda
