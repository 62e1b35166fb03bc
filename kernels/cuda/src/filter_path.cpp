#include "filter_path.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "cuda_check.hpp"
#include "nvtx_range.hpp"
#include "frame_preprocess.hpp"
#include "tomolive/kernels/engine.hpp"

namespace tomolive::kernels::cuda {

FilterPath::Kind FilterPath::choose(std::uint32_t cols, bool staged_only) {
  return !staged_only && FusedRampFilter::handles(cols) ? Kind::fused : Kind::staged;
}

std::uint32_t FilterPath::refilter_frames(const StoreLayout& layout, std::uint64_t budget_bytes) {
  const std::uint64_t frame_bytes =
      std::max<std::uint64_t>(1, ProjectionProcessor::frame_bytes(layout.rows, layout.cols));
  const std::uint64_t limit = std::max<std::uint64_t>(
      1, std::min<std::uint64_t>(std::max(layout.slots, 1u), kMaxBatchFrames / std::max(layout.rows, 1u)));
  return static_cast<std::uint32_t>(std::clamp<std::uint64_t>(budget_bytes / frame_bytes, 1, limit));
}

std::uint32_t FilterPath::refilter_phase_frames(const StoreLayout& layout, std::uint64_t budget_bytes) {
  const std::uint64_t frame_bytes =
      std::max<std::uint64_t>(1, PaganinFilter::estimate_bytes(layout.rows, layout.cols, 1));
  return static_cast<std::uint32_t>(
      std::clamp<std::uint64_t>(budget_bytes / frame_bytes, 1, refilter_frames(layout, budget_bytes)));
}

std::uint64_t FilterPath::estimate_bytes(const StoreLayout& layout, bool staged_only,
                                         std::uint64_t refilter_budget_bytes) {
  const std::uint32_t batch = refilter_frames(layout, refilter_budget_bytes);
  const std::uint32_t phase_batch = refilter_phase_frames(layout, refilter_budget_bytes);
  return (choose(layout.cols, staged_only) == Kind::fused ? FusedRampFilter::estimate_bytes() : 0) +
         ProjectionProcessor::estimate_bytes(layout.rows, layout.cols, 1, 1) +
         (batch > 1 ? ProjectionProcessor::estimate_bytes(layout.rows, layout.cols, batch, phase_batch) : 0) +
         std::uint64_t{layout.slots} * sizeof(std::uint32_t) + RingRemoval::estimate_bytes(layout);
}

FilterPath::FilterPath(const StoreLayout& layout, bool staged_only, cudaStream_t stream,
                       std::uint64_t refilter_budget_bytes)
    : layout_(layout),
      stream_(stream),
      refilter_batch_(refilter_frames(layout, refilter_budget_bytes)),
      refilter_phase_batch_(refilter_phase_frames(layout, refilter_budget_bytes)) {
  if (choose(layout.cols, staged_only) == Kind::fused) {
    fused_.emplace(layout.cols);
  } else {
    processor();
  }
}

ProjectionProcessor& FilterPath::processor() {
  if (!processor_) {
    processor_ = std::make_unique<ProjectionProcessor>(layout_.rows, layout_.cols, 1, 1, stream_);
    processor_->configure(processing_, half_, axis_col_, rotation_);
  }
  return *processor_;
}

ProjectionProcessor& FilterPath::batch_processor() {
  if (refilter_batch_ == 1) return processor();
  if (!batch_processor_) {
    batch_processor_ = std::make_unique<ProjectionProcessor>(layout_.rows, layout_.cols, refilter_batch_,
                                                             refilter_phase_batch_, stream_);
    batch_processor_->configure(processing_, half_, axis_col_, rotation_);
  }
  return *batch_processor_;
}

void FilterPath::configure(const ProcessingParams& processing, const HalfAcquisition& half, float axis_col,
                           const AxisTiltRotation& rotation) {
  if (!fused_ || needs_staged_steps(processing, half) || rotation.enabled()) processor();
  // Every allocation first, so that a failure leaves the previous configuration in place.
  if (processor_) processor_->reserve(processing);
  if (batch_processor_) batch_processor_->reserve(processing);
  processing_ = processing;
  half_ = half;
  axis_col_ = axis_col;
  rotation_ = rotation;
  if (fused_) fused_->set_window(processing.window, stream_);
  if (processor_) processor_->configure(processing, half, axis_col, rotation);
  if (batch_processor_) batch_processor_->configure(processing, half, axis_col, rotation);
}

void FilterPath::reset() {
  if (processor_) processor_->clear_ring_offsets();
  repairs_ = {};
  quad_repairs_ = {};
}

void FilterPath::set_pixel_repairs(std::span<const PixelRepair> repairs) {
  repairs_ = {};
  quad_repairs_ = {};
  if (repairs.empty()) return;
  repairs_ = DeviceArray<PixelRepair>(repairs.size());
  TOMOLIVE_CUDA_CHECK(cudaMemcpy(repairs_.get(), repairs.data(), repairs_.bytes(), cudaMemcpyHostToDevice));
  if (!fused_) return;
  const std::vector<std::uint32_t> begin = repair_group_offsets(repairs, layout_.cols, 4, layout_.quads);
  quad_repairs_ = DeviceArray<std::uint32_t>(begin.size());
  TOMOLIVE_CUDA_CHECK(cudaMemcpy(quad_repairs_.get(), begin.data(), quad_repairs_.bytes(), cudaMemcpyHostToDevice));
}

void FilterPath::run(const void* raw, PixelType type, const float* dark, const float* flat,
                     CorrectedStore& corrected, ProjectionStore& store, std::uint32_t slot,
                     const ProcessingCounters& counters, const Marks& marks) {
  if (kind() == Kind::fused) {
    const NvtxRange range("fused correction, filter and store");
    fused_->filter_into(raw, type, dark, flat, corrected, store, slot, counters.clamped, counters.rows,
                        QuadRepairs{repairs_.get(), quad_repairs_.get()}, stream_);
    TOMOLIVE_CUDA_CHECK(cudaEventRecord(marks.counted, stream_));
    TOMOLIVE_CUDA_CHECK(cudaEventRecord(marks.raw_consumed, stream_));
    return;
  }
  ProjectionProcessor& staged = *processor_;  // configure() made it
  {
    const NvtxRange range("correction");
    preprocess_rows(raw, type, layout_.rows, layout_.cols, staged.pitch(), dark, flat, staged.input(),
                    counters.clamped, counters.rows, stream_);
    repair_pixels(raw, type, repairs_.get(), static_cast<std::uint32_t>(repairs_.size()), layout_.cols,
                  staged.pitch(), dark, flat, staged.input(), counters.clamped, counters.rows, stream_);
    TOMOLIVE_CUDA_CHECK(cudaEventRecord(marks.raw_consumed, stream_));
    if (!staged.counts()) TOMOLIVE_CUDA_CHECK(cudaEventRecord(marks.counted, stream_));
    corrected.write(slot, staged.input(), staged.pitch(), stream_);
  }
  if (marks.preprocessed != nullptr) TOMOLIVE_CUDA_CHECK(cudaEventRecord(marks.preprocessed, stream_));
  const NvtxRange range("processing and filter");
  staged.process(ProjectionProcessor::Steps::all, store, SlotBatch::one(slot), counters, marks.filtered);
  if (staged.counts()) TOMOLIVE_CUDA_CHECK(cudaEventRecord(marks.counted, stream_));
}

void FilterPath::refilter(const CorrectedStore& corrected, ProjectionStore& store,
                          std::span<const std::uint32_t> slots, const ProcessingCounters& counters) {
  using Steps = ProjectionProcessor::Steps;
  if (slots.size() > layout_.slots) {
    throw EngineError("re-filter: " + std::to_string(slots.size()) + " slots, the store holds " +
                      std::to_string(layout_.slots));
  }
  ProjectionProcessor& batch = batch_processor();
  if (slot_table_.size() == 0 && layout_.slots > 0) slot_table_ = DeviceArray<std::uint32_t>(layout_.slots);
  // From pageable memory: staged before the call returns, ordered after the work that read the previous table.
  if (!slots.empty()) {
    TOMOLIVE_CUDA_CHECK(cudaMemcpyAsync(slot_table_.get(), slots.data(), slots.size_bytes(), cudaMemcpyHostToDevice,
                                        stream_));
  }
  // Calls step(batch of slots) for the slots in order, refilter_batch_ at a time.
  const auto for_each_batch = [&](auto&& step) {
    for (std::size_t first = 0; first < slots.size(); first += refilter_batch_) {
      const auto frames = static_cast<std::uint32_t>(std::min<std::size_t>(refilter_batch_, slots.size() - first));
      step(SlotBatch{slot_table_.get() + first, 0, frames});
    }
  };
  if (!processing_.rings.enabled) {
    for_each_batch([&](const SlotBatch& batch_slots) {
      corrected.read(batch_slots, batch.input(), batch.pitch(), stream_);
      batch.process(Steps::all, store, batch_slots, counters);
    });
    return;
  }
  if (!ring_removal_) ring_removal_ = std::make_unique<RingRemoval>(layout_, stream_);
  for_each_batch([&](const SlotBatch& batch_slots) {
    corrected.read(batch_slots, batch.input(), batch.pitch(), stream_);
    batch.process(Steps::before_ring_pass, store, batch_slots, counters);
  });
  ring_removal_->run(store, slots, DetectorColumns::of(half_, layout_.cols), processing_.rings.size,
                     processor().ring_offsets());
  for_each_batch([&](const SlotBatch& batch_slots) {
    store.read(batch_slots, batch.input(), batch.pitch(), stream_);
    batch.process(Steps::after_ring_pass, store, batch_slots, counters);
  });
}

}  // namespace tomolive::kernels::cuda
