#include "projection_processor.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "axis_tilt_rotation.hpp"
#include "cuda_check.hpp"
#include "nvtx_range.hpp"
#include "pre_filter_corrections.hpp"
#include "tomolive/kernels/engine.hpp"
#include "tomolive/kernels/ramp_filter.hpp"
#include "zinger_filter.hpp"

namespace tomolive::kernels::cuda {

ProjectionProcessor::ProjectionProcessor(std::uint32_t rows, std::uint32_t cols, std::uint32_t frames,
                                         std::uint32_t phase_frames, cudaStream_t stream)
    : rows_(rows),
      cols_(cols),
      frames_(frames),
      phase_frames_(phase_frames),
      stream_(stream),
      ramp_(frames * rows, cols, stream),
      scratch_(std::size_t{frames} * rows * ramp_.padded()),
      ring_offsets_(std::size_t{rows} * cols),
      column_weights_(cols) {
  clear_ring_offsets();
}

std::uint64_t ProjectionProcessor::estimate_bytes(std::uint32_t rows, std::uint32_t cols, std::uint32_t frames,
                                                  std::uint32_t phase_frames) {
  const std::uint64_t batch_rows = std::uint64_t{frames} * rows;
  return GpuRampFilter::estimate_bytes(static_cast<std::uint32_t>(batch_rows), cols) +
         batch_rows * padded_length(cols) * sizeof(float) + PaganinFilter::estimate_bytes(rows, cols, phase_frames) +
         (std::uint64_t{rows} + 1) * cols * sizeof(float);
}

std::uint64_t ProjectionProcessor::frame_bytes(std::uint32_t rows, std::uint32_t cols) {
  return GpuRampFilter::estimate_bytes(rows, cols) + std::uint64_t{rows} * padded_length(cols) * sizeof(float);
}

void ProjectionProcessor::configure(const ProcessingParams& processing, const HalfAcquisition& half,
                                    float axis_col, const AxisTiltRotation& rotation) {
  reserve(processing);
  ramp_.set_window(processing.window);
  if (half.enabled) {
    const std::vector<float> weights = half_acquisition_weights(half, cols_, axis_col);
    // From pageable memory: staged before the call returns, ordered after the work that reads the previous weights.
    TOMOLIVE_CUDA_CHECK(cudaMemcpyAsync(column_weights_.get(), weights.data(), weights.size() * sizeof(float),
                                        cudaMemcpyHostToDevice, stream_));
  }
  processing_ = processing;
  rotation_ = rotation;
  half_ = half;
}

void ProjectionProcessor::reserve(const ProcessingParams& processing) {
  if (processing.phase.enabled && !paganin_) paganin_.emplace(rows_, cols_, phase_frames_, stream_);
}

void ProjectionProcessor::clear_ring_offsets() {
  TOMOLIVE_CUDA_CHECK(cudaMemsetAsync(ring_offsets_.get(), 0, ring_offsets_.bytes(), stream_));
}

void ProjectionProcessor::process(Steps steps, ProjectionStore& store, const SlotBatch& slots,
                                  const ProcessingCounters& counters, cudaEvent_t filtered) {
  if (slots.frames == 0 || slots.frames > frames_) {
    throw EngineError("projection processor: a batch of " + std::to_string(slots.frames) + " frames, made for 1.." +
                      std::to_string(frames_));
  }
  const FrameShape frame{rows_, cols_, ramp_.padded(), slots.frames};
  const DetectorColumns detector = DetectorColumns::of(half_, cols_);
  float* const input = ramp_.input();
  const float* current = input;  // where the frame is now
  if (steps != Steps::after_ring_pass) {
    if (processing_.zingers.enabled) {
      remove_zingers(current, scratch_.get(), frame, detector, processing_.zingers.threshold,
                     counters.zingers_replaced, counters.rows, stream_);
      current = scratch_.get();
    }
    if (rotation_.enabled()) {
      float* const rotated = current == input ? scratch_.get() : input;
      rotate_frame(current, rotated, frame, rotation_, stream_);
      current = rotated;
    }
    if (processing_.phase.enabled) {
      // In sub-batches of phase_frames_ frames (configure() made the filter).
      for (std::uint32_t first = 0; first < frame.frames; first += phase_frames_) {
        FrameShape part = frame;
        part.frames = std::min(phase_frames_, frame.frames - first);
        const std::size_t offset = first * frame.frame_stride();
        paganin_->apply(current + offset, input + offset, part, detector, processing_.phase, counters.clamped,
                        counters.rows);
      }
      current = input;
    }
    if (steps == Steps::before_ring_pass) {
      const NvtxRange range("store");
      store.write(slots, current, frame.pitch, stream_);
      return;
    }
  }
  PreFilterCorrections corrections;
  if (steps == Steps::all && processing_.rings.enabled) corrections.ring_offsets = ring_offsets_.get();
  if (half_.enabled) corrections.column_weights = column_weights_.get();
  // Into the filter's input: needed for the corrections, or to bring the zinger filter's output back.
  if (corrections.ring_offsets != nullptr || corrections.column_weights != nullptr || current != input) {
    apply_pre_filter_corrections(current, input, frame, corrections, stream_);
  }
  ramp_.filter();
  if (filtered != nullptr) TOMOLIVE_CUDA_CHECK(cudaEventRecord(filtered, stream_));
  const NvtxRange range("store");
  store.write(slots, ramp_.output(), frame.pitch, stream_);
}

}  // namespace tomolive::kernels::cuda
