#include "filter_path.hpp"

#include "cuda_check.hpp"
#include "frame_preprocess.hpp"

namespace tomolive::kernels::cuda {

FilterPath::Kind FilterPath::choose(std::uint32_t cols, bool staged_only) {
  return !staged_only && FusedRampFilter::handles(cols) ? Kind::fused : Kind::staged;
}

std::uint64_t FilterPath::estimate_bytes(std::uint32_t rows, std::uint32_t cols, bool staged_only) {
  return (choose(cols, staged_only) == Kind::fused ? FusedRampFilter::estimate_bytes() : 0) +
         GpuRampFilter::estimate_bytes(rows, cols);
}

FilterPath::FilterPath(std::uint32_t rows, std::uint32_t cols, bool staged_only, cudaStream_t stream)
    : rows_(rows), cols_(cols), stream_(stream) {
  if (choose(cols, staged_only) == Kind::fused) {
    fused_.emplace(cols);
  } else {
    staged_.emplace(rows, cols, stream);
  }
}

void FilterPath::run(const void* raw, PixelType type, const float* dark, const float* flat,
                     CorrectedStore& corrected, ProjectionStore& store, std::uint32_t slot,
                     unsigned long long* clamped, const Marks& marks) {
  if (fused_) {
    fused_->filter_into(raw, type, dark, flat, store, slot, clamped, stream_);
    corrected.write_attenuation(slot, raw, type, dark, flat, stream_);
    TOMOLIVE_CUDA_CHECK(cudaEventRecord(marks.raw_consumed, stream_));
    return;
  }
  preprocess_rows(raw, type, rows_, cols_, staged_->padded(), dark, flat, staged_->input(), clamped, stream_);
  TOMOLIVE_CUDA_CHECK(cudaEventRecord(marks.raw_consumed, stream_));
  corrected.write(slot, staged_->input(), staged_->padded(), stream_);
  if (marks.preprocessed != nullptr) TOMOLIVE_CUDA_CHECK(cudaEventRecord(marks.preprocessed, stream_));
  staged_->filter();
  if (marks.filtered != nullptr) TOMOLIVE_CUDA_CHECK(cudaEventRecord(marks.filtered, stream_));
  store.write(slot, staged_->output(), staged_->padded(), stream_);
}

void FilterPath::refilter(const CorrectedStore& corrected, ProjectionStore& store, std::uint32_t slot) {
  if (!staged_) {
    staged_.emplace(rows_, cols_, stream_);
    staged_->set_window(window_);
  }
  corrected.read(slot, staged_->input(), staged_->padded(), stream_);
  staged_->filter();
  store.write(slot, staged_->output(), staged_->padded(), stream_);
}

void FilterPath::set_window(FilterWindow window) {
  window_ = window;
  if (fused_) fused_->set_window(window, stream_);
  if (staged_) staged_->set_window(window);
}

}  // namespace tomolive::kernels::cuda
