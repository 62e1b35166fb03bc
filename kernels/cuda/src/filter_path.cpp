#include "filter_path.hpp"

#include <vector>

#include "cuda_check.hpp"
#include "nvtx_range.hpp"
#include "frame_preprocess.hpp"

namespace tomolive::kernels::cuda {

FilterPath::Kind FilterPath::choose(std::uint32_t cols, bool staged_only) {
  return !staged_only && FusedRampFilter::handles(cols) ? Kind::fused : Kind::staged;
}

std::uint64_t FilterPath::estimate_bytes(const StoreLayout& layout, bool staged_only) {
  return (choose(layout.cols, staged_only) == Kind::fused ? FusedRampFilter::estimate_bytes() : 0) +
         ProjectionProcessor::estimate_bytes(layout.rows, layout.cols) + RingRemoval::estimate_bytes(layout);
}

FilterPath::FilterPath(const StoreLayout& layout, bool staged_only, cudaStream_t stream)
    : layout_(layout), stream_(stream) {
  if (choose(layout.cols, staged_only) == Kind::fused) {
    fused_.emplace(layout.cols);
  } else {
    processor();
  }
}

ProjectionProcessor& FilterPath::processor() {
  if (!processor_) {
    processor_ = std::make_unique<ProjectionProcessor>(layout_.rows, layout_.cols, stream_);
    processor_->configure(processing_, half_, axis_col_, rotation_);
  }
  return *processor_;
}

void FilterPath::configure(const ProcessingParams& processing, const HalfAcquisition& half, float axis_col,
                           const AxisTiltRotation& rotation) {
  if (!fused_ || needs_staged_steps(processing, half) || rotation.enabled()) processor();
  processing_ = processing;
  half_ = half;
  axis_col_ = axis_col;
  rotation_ = rotation;
  if (fused_) fused_->set_window(processing.window, stream_);
  if (processor_) processor_->configure(processing, half, axis_col, rotation);
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
  staged.process(ProjectionProcessor::Steps::all, store, slot, counters, marks.filtered);
  if (staged.counts()) TOMOLIVE_CUDA_CHECK(cudaEventRecord(marks.counted, stream_));
}

void FilterPath::refilter(const CorrectedStore& corrected, ProjectionStore& store,
                          std::span<const std::uint32_t> slots, const ProcessingCounters& counters) {
  using Steps = ProjectionProcessor::Steps;
  ProjectionProcessor& staged = processor();
  if (!processing_.rings.enabled) {
    for (const std::uint32_t slot : slots) {
      corrected.read(slot, staged.input(), staged.pitch(), stream_);
      staged.process(Steps::all, store, slot, counters);
    }
    return;
  }
  if (!ring_removal_) ring_removal_ = std::make_unique<RingRemoval>(layout_, stream_);
  for (const std::uint32_t slot : slots) {
    corrected.read(slot, staged.input(), staged.pitch(), stream_);
    staged.process(Steps::before_ring_pass, store, slot, counters);
  }
  ring_removal_->run(store, slots, DetectorColumns::of(half_, layout_.cols), processing_.rings.size,
                     staged.ring_offsets());
  for (const std::uint32_t slot : slots) {
    store.read(slot, staged.input(), staged.pitch(), stream_);
    staged.process(Steps::after_ring_pass, store, slot, counters);
  }
}

}  // namespace tomolive::kernels::cuda
