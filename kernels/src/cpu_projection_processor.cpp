#include "cpu_projection_processor.hpp"

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

#include "tomolive/kernels/cpu_zinger_filter.hpp"
#include "tomolive/kernels/plan_arithmetic.hpp"
#include "tomolive/kernels/ramp_filter.hpp"

namespace tomolive::kernels::detail {

struct CpuProjectionProcessor::WorkerState {
  CpuRampFilter filter;
  std::unique_ptr<CpuPaganinFilter> paganin;  // once phase retrieval was enabled
  std::unique_ptr<SinogramRingFilter> rings;  // once ring removal was enabled
  std::vector<float> sinogram;                // slots x cols, the ring pass's gathered sinogram
  ProcessingCounts counts;                    // of the current process() or refilter()

  WorkerState(std::uint32_t cols, FilterWindow window) : filter(cols, kBatchRows, window) {}
};

CpuProjectionProcessor::CpuProjectionProcessor(std::uint32_t rows, std::uint32_t cols, std::uint32_t slots,
                                               const HalfAcquisition& half, RowRange counted, WorkerPool& pool)
    : rows_(rows),
      cols_(cols),
      slots_(slots),
      counted_(counted),
      pool_(pool),
      half_(half),
      detector_(DetectorColumns::of(half, cols)),
      weights_(cols, 1.f) {
  for (unsigned w = 0; w < pool_.size(); ++w) {
    workers_.push_back(std::make_unique<WorkerState>(cols, processing_.window));
  }
}

CpuProjectionProcessor::~CpuProjectionProcessor() = default;

std::uint64_t CpuProjectionProcessor::work_bytes(std::uint32_t rows, std::uint32_t cols, std::uint32_t slots,
                                                 unsigned workers) {
  const std::uint64_t pixels = std::uint64_t{rows} * cols;
  std::uint64_t per_worker = saturating_add(CpuRampFilter::work_bytes(cols, kBatchRows),
                                            CpuPaganinFilter::work_bytes(rows, cols));
  per_worker = saturating_add(per_worker, SinogramRingFilter::work_bytes(slots, cols));
  per_worker = saturating_add(per_worker, std::uint64_t{slots} * cols * sizeof(float));  // the gathered sinogram
  // Plus the ring offsets and the rotation's output (one frame each) and the weights (one row).
  return saturating_add(saturating_mul(workers, per_worker), (2 * pixels + cols) * sizeof(float));
}

void CpuProjectionProcessor::configure(const ProcessingParams& processing, float axis_col,
                                       const AxisTiltRotation& rotation) {
  // Everything that allocates comes first, so that std::bad_alloc leaves the configuration as it was (work memory
  // allocated for a step that stays disabled is harmless).
  std::vector<float> response;
  if (processing.window != processing_.window) {
    response = filter_response(workers_[0]->filter.padded(), processing.window);
  }
  for (const auto& worker : workers_) {
    if (processing.phase.enabled && !worker->paganin) {
      worker->paganin = std::make_unique<CpuPaganinFilter>(rows_, cols_);
    }
    if (processing.rings.enabled && !worker->rings) {
      worker->sinogram.resize(std::size_t{slots_} * cols_);
      worker->rings = std::make_unique<SinogramRingFilter>(slots_, cols_);
    }
  }
  if (processing.rings.enabled && ring_offsets_.empty()) ring_offsets_.assign(std::size_t{rows_} * cols_, 0.f);
  if (rotation.enabled() && rotated_.empty()) rotated_.resize(std::size_t{rows_} * cols_);
  std::vector<float> weights = half_.enabled ? half_acquisition_weights(half_, cols_, axis_col) : std::vector<float>{};

  if (!response.empty()) {
    for (const auto& worker : workers_) worker->filter.set_response(processing.window, response);
  }
  if (half_.enabled) weights_ = std::move(weights);
  processing_ = processing;
  rotation_ = rotation;
}

void CpuProjectionProcessor::rotate(float* frame) {
  for_each_block(1, [&](unsigned, std::size_t, std::uint32_t first, std::uint32_t last) {
    for (std::uint32_t row = first; row < last; ++row) {
      float* out = rotated_.data() + std::size_t{row} * cols_;
      for (std::uint32_t c = 0; c < cols_; ++c) out[c] = rotated_pixel(rotation_, frame, rows_, cols_, cols_, row, c);
    }
  });
  std::copy(rotated_.begin(), rotated_.end(), frame);
}

void CpuProjectionProcessor::zinger_rows(unsigned worker, const float* corrected, float* filtered,
                                         std::uint32_t first, std::uint32_t last) {
  if (processing_.zingers.enabled) {
    workers_[worker]->counts.zingers_replaced +=
        remove_zingers(corrected, filtered, rows_, cols_, detector_, processing_.zingers.threshold, first, last,
                       counted_);
  } else {
    std::copy(corrected + std::size_t{first} * cols_, corrected + std::size_t{last} * cols_,
              filtered + std::size_t{first} * cols_);
  }
}

void CpuProjectionProcessor::finish_rows(unsigned worker, float* filtered, std::uint32_t first, std::uint32_t last,
                                         bool add_ring_offset) {
  float* values = filtered + std::size_t{first} * cols_;
  if (add_ring_offset && processing_.rings.enabled) {
    const float* offsets = ring_offsets_.data() + std::size_t{first} * cols_;
    const std::size_t count = std::size_t{last - first} * cols_;
    for (std::size_t k = 0; k < count; ++k) values[k] += offsets[k];
  }
  if (half_.enabled) {
    for (std::uint32_t row = first; row < last; ++row) {
      float* row_values = filtered + std::size_t{row} * cols_;
      for (std::uint32_t c = 0; c < cols_; ++c) row_values[c] *= weights_[c];
    }
  }
  workers_[worker]->filter.filter_rows(values, last - first);
}

ProcessingCounts CpuProjectionProcessor::collect_counts() {
  ProcessingCounts total;
  for (const auto& worker : workers_) {
    total.zingers_replaced += worker->counts.zingers_replaced;
    total.clamped_values += worker->counts.clamped_values;
    worker->counts = {};
  }
  return total;
}

ProcessingCounts CpuProjectionProcessor::process(const float* corrected, float* filtered) {
  if (!processing_.phase.enabled && !rotation_.enabled()) {
    for_each_block(1, [&](unsigned worker, std::size_t, std::uint32_t first, std::uint32_t last) {
      zinger_rows(worker, corrected, filtered, first, last);
      finish_rows(worker, filtered, first, last, true);
    });
    return collect_counts();
  }
  // The rotation and phase retrieval need the whole frame between the row-wise steps; one worker transforms it.
  for_each_block(1, [&](unsigned worker, std::size_t, std::uint32_t first, std::uint32_t last) {
    zinger_rows(worker, corrected, filtered, first, last);
  });
  if (rotation_.enabled()) rotate(filtered);
  if (processing_.phase.enabled) {
    workers_[0]->counts.clamped_values +=
        workers_[0]->paganin->apply(filtered, detector_, processing_.phase, counted_);
  }
  for_each_block(1, [&](unsigned worker, std::size_t, std::uint32_t first, std::uint32_t last) {
    finish_rows(worker, filtered, first, last, true);
  });
  return collect_counts();
}

ProcessingCounts CpuProjectionProcessor::refilter(std::span<const float* const> corrected,
                                                  std::span<float* const> filtered) {
  for_each_block(corrected.size(), [&](unsigned worker, std::size_t p, std::uint32_t first, std::uint32_t last) {
    zinger_rows(worker, corrected[p], filtered[p], first, last);
  });
  if (rotation_.enabled()) {
    for (float* const frame : filtered) rotate(frame);
  }
  if (processing_.phase.enabled) {
    pool_.run(filtered.size(), [&](unsigned worker, std::size_t begin, std::size_t end) {
      WorkerState& state = *workers_[worker];
      for (std::size_t p = begin; p < end; ++p) {
        state.counts.clamped_values += state.paganin->apply(filtered[p], detector_, processing_.phase, counted_);
      }
    });
  }
  if (processing_.rings.enabled) ring_pass(filtered);
  for_each_block(filtered.size(), [&](unsigned worker, std::size_t p, std::uint32_t first, std::uint32_t last) {
    finish_rows(worker, filtered[p], first, last, false);
  });
  return collect_counts();
}

void CpuProjectionProcessor::ring_pass(std::span<float* const> filtered) {
  const auto n = static_cast<std::uint32_t>(filtered.size());
  const std::uint32_t first = detector_.first;
  const std::uint32_t count = detector_.count;
  pool_.run(rows_, [&](unsigned worker, std::size_t begin, std::size_t end) {
    WorkerState& state = *workers_[worker];
    for (std::size_t row = begin; row < end; ++row) {
      const std::size_t row_start = row * cols_ + first;
      float* offsets = ring_offsets_.data() + row * cols_;
      std::fill_n(offsets, cols_, 0.f);
      for (std::uint32_t k = 0; k < n; ++k) {
        std::copy_n(filtered[k] + row_start, count, state.sinogram.data() + std::size_t{k} * count);
      }
      state.rings->apply(state.sinogram.data(), n, count, processing_.rings.size, offsets + first);
      for (std::uint32_t k = 0; k < n; ++k) {
        std::copy_n(state.sinogram.data() + std::size_t{k} * count, count, filtered[k] + row_start);
      }
    }
  });
}

}  // namespace tomolive::kernels::detail
