#include "phase_sweep_rows.hpp"

#include <cuda_fp16.h>
#include <cufft.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

#include "cuda_check.hpp"
#include "store_cell.cuh"
#include "tomolive/kernels/engine.hpp"
#include "tomolive/kernels/paganin_padding.hpp"
#include "tomolive/kernels/ramp_filter.hpp"

namespace tomolive::kernels::cuda {
namespace {

constexpr unsigned kThreads = 256;
constexpr unsigned kSumThreads = 128;
constexpr unsigned kSlotsPerThread = 4;  // slots whose sums one thread accumulates (W read once for them)

// Mapping: grid (ceil((Ny / 2 + 1) / 256), bins), one thread per (kr, kx): half[kx][kr] = the response at the row
// frequency kr / (Ny pixel) and column frequency kx / (Nx pixel), the half spectrum over kr of a real even sequence.
__global__ void __launch_bounds__(kThreads) response_half_spectra(float2* __restrict__ half, std::uint32_t padded_rows,
                                                                  std::uint32_t padded_cols, double coefficient_m2,
                                                                  double pixel_m) {
  const std::uint32_t half_rows = padded_rows / 2 + 1;
  const std::uint32_t kr = blockIdx.x * kThreads + threadIdx.x;
  const std::uint32_t kx = blockIdx.y;
  if (kr >= half_rows) return;
  const double f_row = static_cast<double>(kr) / (padded_rows * pixel_m);
  const double f_col = static_cast<double>(kx) / (padded_cols * pixel_m);
  half[std::size_t{kx} * half_rows + kr] = make_float2(static_cast<float>(paganin_response(coefficient_m2, f_row,
                                                                                           f_col)),
                                                       0.f);
}

// Mapping: grid (ceil(bins / 256), union rows), one thread per (kx, union row j): the candidate's weight of band row
// j - first (0 outside its band [first, end)): the sum of kernel[kx][(y - pr) mod Ny] over the padded rows pr that
// repeat that band row (paganin_padding_source), over Ny Nx. kernel[kx][m] = sum_kr response e^(2 pi i kr m / Ny).
__global__ void __launch_bounds__(kThreads) fold_weights(const float* __restrict__ kernel, std::uint32_t padded_rows,
                                                         std::uint32_t band_rows, std::uint32_t first,
                                                         std::uint32_t y, std::uint32_t bins, float normalisation,
                                                         float* __restrict__ weights) {
  const std::uint32_t kx = blockIdx.x * kThreads + threadIdx.x;
  const std::uint32_t j = blockIdx.y;
  if (kx >= bins) return;
  float sum = 0.f;
  if (j >= first && j - first < band_rows) {
    const std::uint32_t row = j - first;
    const float* column = kernel + std::size_t{kx} * padded_rows;
    const auto at = [&](std::uint32_t pr) { return column[(y + padded_rows - pr) % padded_rows]; };
    if (row != 0 && row + 1 != band_rows) {
      sum = at(row);
    } else {  // an edge row: also every padded row repeating it
      for (std::uint32_t pr = 0; pr < padded_rows; ++pr) {
        if (paganin_padding_source(pr, band_rows, padded_rows) == row) sum += at(pr);
      }
    }
  }
  weights[std::size_t{j} * bins + kx] = sum * normalisation;
}

// Mapping: grid (ceil(Nx / 256), union rows, batch), one thread per padded value: T = exp(-A) of the detector column
// paganin_padding_source picks, row union.row0 + j of slot slots.slot(blockIdx.z).
template <class Value>
__global__ void __launch_bounds__(kThreads) pad_band_rows(const Value* __restrict__ values, std::uint32_t rows,
                                                          std::uint32_t cols, SlotBatch slots, std::uint32_t row0,
                                                          DetectorColumns detector, std::uint32_t padded_cols,
                                                          float* __restrict__ padded) {
  const std::uint32_t pc = blockIdx.x * kThreads + threadIdx.x;
  if (pc >= padded_cols) return;
  const std::uint32_t j = blockIdx.y;
  const std::uint32_t col = detector.first + paganin_padding_source(pc, detector.count, padded_cols);
  const std::size_t source = (std::size_t{slots.slot(blockIdx.z)} * rows + row0 + j) * cols + col;
  padded[(std::size_t{blockIdx.z} * gridDim.y + j) * padded_cols + pc] = expf(-get_value(values, source));
}

// Mapping: grid (ceil(bins / 128), ceil(batch / kSlotsPerThread)), one thread per (kx, group of kSlotsPerThread slots):
// sums[c][b][kx] = sum over the rows j of candidate c's band [band_rows[2c], band_rows[2c + 1]) of
// weights[c][j][kx] * spectra[b][j][kx], for each candidate c < candidates and slot b < frames of its group.
__global__ void __launch_bounds__(kSumThreads) sum_candidates(const float2* __restrict__ spectra,
                                                              const float* __restrict__ weights,
                                                              const std::uint32_t* __restrict__ band_rows,
                                                              std::uint32_t candidates, std::uint32_t union_rows,
                                                              std::uint32_t bins, std::uint32_t frames,
                                                              std::uint32_t batch, float2* __restrict__ sums) {
  const std::uint32_t kx = blockIdx.x * kSumThreads + threadIdx.x;
  if (kx >= bins) return;
  const std::uint32_t b0 = blockIdx.y * kSlotsPerThread;
  float2 acc[kSlotsPerThread][PhaseSweepRows::kMaxCandidates] = {};
  for (std::uint32_t j = 0; j < union_rows; ++j) {
    float w[PhaseSweepRows::kMaxCandidates];
#pragma unroll
    for (std::uint32_t c = 0; c < PhaseSweepRows::kMaxCandidates; ++c) {
      const bool inside = c < candidates && j >= band_rows[2 * c] && j < band_rows[2 * c + 1];
      w[c] = inside ? weights[(std::size_t{c} * union_rows + j) * bins + kx] : 0.f;
    }
#pragma unroll
    for (std::uint32_t p = 0; p < kSlotsPerThread; ++p) {
      if (b0 + p >= frames) break;
      const float2 x = spectra[(std::size_t{b0 + p} * union_rows + j) * bins + kx];
#pragma unroll
      for (std::uint32_t c = 0; c < PhaseSweepRows::kMaxCandidates; ++c) {
        acc[p][c].x = fmaf(w[c], x.x, acc[p][c].x);
        acc[p][c].y = fmaf(w[c], x.y, acc[p][c].y);
      }
    }
  }
#pragma unroll
  for (std::uint32_t p = 0; p < kSlotsPerThread; ++p) {
    if (b0 + p >= frames) break;
#pragma unroll
    for (std::uint32_t c = 0; c < PhaseSweepRows::kMaxCandidates; ++c) {
      if (c < candidates) sums[(std::size_t{c} * batch + b0 + p) * bins + kx] = acc[p][c];
    }
  }
}

// Mapping: grid (ceil(cols / 256), candidates, frames), one thread per output value: row c of slot slots.slot(b) of
// the output store = -ln(max(T', kMinTransmission)) on the detector columns, row xy_row of the input elsewhere.
template <class Value>
__global__ void __launch_bounds__(kThreads) write_rows(const float* __restrict__ retrieved,
                                                       std::uint32_t padded_cols, std::uint32_t batch,
                                                       const Value* __restrict__ in, std::uint32_t in_rows,
                                                       std::uint32_t xy_row, std::uint32_t cols, SlotBatch slots,
                                                       DetectorColumns detector, Value* __restrict__ out) {
  const std::uint32_t col = blockIdx.x * kThreads + threadIdx.x;
  if (col >= cols) return;
  const std::uint32_t c = blockIdx.y, b = blockIdx.z;
  const std::uint32_t slot = slots.slot(b);
  float value;
  if (detector.contains(col)) {
    float transmission = retrieved[(std::size_t{c} * batch + b) * padded_cols + (col - detector.first)];
    if (!(transmission >= kMinTransmission)) transmission = kMinTransmission;  // also catches NaN
    value = -logf(transmission);
  } else {
    value = get_value(in, (std::size_t{slot} * in_rows + xy_row) * cols + col);
  }
  set_value(out, (std::size_t{slot} * gridDim.y + c) * cols + col, value);
}

// A plan of `batch` 1D transforms of length n in the basic layout, work area supplied by the caller (auto: cuFFT's
// own); returns the work area size, bytes.
std::size_t make_plan(cufftHandle plan, cufftType type, std::uint32_t n, std::uint32_t batch, bool auto_work) {
  TOMOLIVE_CUFFT_CHECK(cufftSetAutoAllocation(plan, auto_work ? 1 : 0));
  int length = static_cast<int>(n);
  std::size_t work = 0;
  TOMOLIVE_CUFFT_CHECK(
      cufftMakePlanMany(plan, 1, &length, nullptr, 1, 0, nullptr, 1, 0, type, static_cast<int>(batch), &work));
  return work;
}

}  // namespace

PhaseSweepRows::PhaseSweepRows(std::uint32_t cols, const DetectorColumns& detector, std::uint32_t xy_row,
                               std::span<const Candidate> candidates, std::uint32_t slots, cudaStream_t stream,
                               std::uint64_t budget_bytes)
    : cols_(cols), detector_(detector), xy_row_(xy_row), candidates_(static_cast<std::uint32_t>(candidates.size())),
      padded_cols_(padded_length(cols)), bins_(padded_cols_ / 2 + 1), stream_(stream) {
  if (candidates.empty() || candidates.size() > kMaxCandidates) {
    throw std::invalid_argument("PhaseSweepRows: " + std::to_string(candidates.size()) + " candidates, 1.." +
                                std::to_string(kMaxCandidates) + " allowed");
  }
  std::uint32_t first = candidates[0].band.row0, end = first + candidates[0].band.rows;
  for (const Candidate& candidate : candidates) {
    const SweepBand& band = candidate.band;
    if (!candidate.phase.enabled || band.rows == 0 || xy_row < band.row0 || xy_row - band.row0 >= band.rows) {
      throw std::invalid_argument("PhaseSweepRows: a candidate without phase retrieval or whose band misses row " +
                                  std::to_string(xy_row));
    }
    first = std::min(first, band.row0);
    end = std::max(end, band.row0 + band.rows);
  }
  union_ = {first, end - first};

  // Per slot: the union rows padded and transformed, the candidates' sums and rows.
  const std::uint64_t row_bytes = std::uint64_t{padded_cols_} * sizeof(float) + std::uint64_t{bins_} * sizeof(float2);
  const std::uint64_t per_slot = std::uint64_t{union_.rows + candidates_} * row_bytes;
  batch_ = static_cast<std::uint32_t>(
      std::clamp<std::uint64_t>(budget_bytes / std::max<std::uint64_t>(per_slot, 1), 1, std::max(slots, 1u)));
  batch_ = std::min(batch_, kMaxBatchFrames);

  const std::size_t forward_work = make_plan(forward_.get(), CUFFT_R2C, padded_cols_, batch_ * union_.rows, false);
  const std::size_t inverse_work = make_plan(inverse_.get(), CUFFT_C2R, padded_cols_, candidates_ * batch_, false);
  work_ = share_work_area(forward_, forward_work, inverse_, inverse_work, stream_);
  padded_ = DeviceArray<float>(std::size_t{batch_} * union_.rows * padded_cols_);
  spectra_ = DeviceArray<float2>(std::size_t{batch_} * union_.rows * bins_);
  sums_ = DeviceArray<float2>(std::size_t{candidates_} * batch_ * bins_);
  retrieved_ = DeviceArray<float>(std::size_t{candidates_} * batch_ * padded_cols_);
  slot_table_ = DeviceArray<std::uint32_t>(std::max(slots, 1u));
  // Zeroed once: the slots past a smaller last batch are transformed with the others and never read.
  TOMOLIVE_CUDA_CHECK(cudaMemsetAsync(padded_.get(), 0, padded_.bytes(), stream_));
  TOMOLIVE_CUDA_CHECK(cudaMemsetAsync(sums_.get(), 0, sums_.bytes(), stream_));
  compute_weights(candidates);
}

void PhaseSweepRows::compute_weights(std::span<const Candidate> candidates) {
  std::uint32_t largest = 0;
  for (const Candidate& candidate : candidates) largest = std::max(largest, padded_length(candidate.band.rows));
  DeviceArray<float2> half(std::size_t{bins_} * (largest / 2 + 1));
  DeviceArray<float> kernel(std::size_t{bins_} * largest);
  weights_ = DeviceArray<float>(std::size_t{candidates_} * union_.rows * bins_);
  std::vector<std::uint32_t> band_rows;
  std::unique_ptr<FftPlan> plan;  // of the last padded_rows: candidates of one padded band length share it
  std::uint32_t planned_rows = 0;
  for (std::uint32_t c = 0; c < candidates_; ++c) {
    const Candidate& candidate = candidates[c];
    const std::uint32_t padded_rows = padded_length(candidate.band.rows);
    const double pixel_m = candidate.phase.pixel_size_um * 1e-6;
    const dim3 response_grid((padded_rows / 2 + 1 + kThreads - 1) / kThreads, bins_);
    response_half_spectra<<<response_grid, kThreads, 0, stream_>>>(half.get(), padded_rows, padded_cols_,
                                                                   paganin_coefficient_m2(candidate.phase), pixel_m);
    TOMOLIVE_CUDA_CHECK_LAUNCH("response_half_spectra");
    if (!plan || planned_rows != padded_rows) {
      plan = std::make_unique<FftPlan>();
      make_plan(plan->get(), CUFFT_C2R, padded_rows, bins_, true);
      TOMOLIVE_CUFFT_CHECK(cufftSetStream(plan->get(), stream_));
      planned_rows = padded_rows;
    }
    TOMOLIVE_CUFFT_CHECK(cufftExecC2R(plan->get(), reinterpret_cast<cufftComplex*>(half.get()), kernel.get()));
    const std::uint32_t first = candidate.band.row0 - union_.row0;
    const dim3 fold_grid((bins_ + kThreads - 1) / kThreads, union_.rows);
    fold_weights<<<fold_grid, kThreads, 0, stream_>>>(
        kernel.get(), padded_rows, candidate.band.rows, first, xy_row_ - candidate.band.row0, bins_,
        static_cast<float>(1.0 / (static_cast<double>(padded_rows) * padded_cols_)),
        weights_.get() + std::size_t{c} * union_.rows * bins_);
    TOMOLIVE_CUDA_CHECK_LAUNCH("fold_weights");
    band_rows.push_back(first);
    band_rows.push_back(first + candidate.band.rows);
  }
  band_rows_ = DeviceArray<std::uint32_t>(band_rows.size());
  TOMOLIVE_CUDA_CHECK(cudaMemcpyAsync(band_rows_.get(), band_rows.data(), band_rows.size() * sizeof(std::uint32_t),
                                      cudaMemcpyHostToDevice, stream_));
  // The plans, `half` and `kernel` go with this scope: wait until the stream has used them (and band_rows).
  TOMOLIVE_CUDA_CHECK(cudaStreamSynchronize(stream_));
}

void PhaseSweepRows::run(const CorrectedStore& corrected, std::span<const std::uint32_t> slots, CorrectedStore& out) {
  if (slots.empty()) return;
  if (out.type() != corrected.type() || out.rows() != candidates_ || out.cols() != cols_ || corrected.cols() != cols_ ||
      corrected.rows() < union_.row0 + union_.rows) {
    throw EngineError("PhaseSweepRows: stores of " + std::to_string(corrected.rows()) + " and " +
                      std::to_string(out.rows()) + " rows, " + std::to_string(cols_) + " columns and " +
                      std::to_string(candidates_) + " candidates expected");
  }
  if (slots.size() > slot_table_.size()) {
    throw EngineError("PhaseSweepRows: " + std::to_string(slots.size()) + " slots, planned for " +
                      std::to_string(slot_table_.size()));
  }
  TOMOLIVE_CUDA_CHECK(cudaMemcpyAsync(slot_table_.get(), slots.data(), slots.size() * sizeof(std::uint32_t),
                                      cudaMemcpyHostToDevice, stream_));
  visit_by_store_type<float, __half>(corrected.type(), [&]<class Value>(Value) {
    const auto* values = static_cast<const Value*>(corrected.values());
    auto* written = static_cast<Value*>(out.values());
    for (std::size_t b0 = 0; b0 < slots.size(); b0 += batch_) {
      const auto frames = static_cast<std::uint32_t>(std::min<std::size_t>(batch_, slots.size() - b0));
      const SlotBatch batch{slot_table_.get() + b0, 0, frames};
      const dim3 pad_grid((padded_cols_ + kThreads - 1) / kThreads, union_.rows, frames);
      pad_band_rows<Value><<<pad_grid, kThreads, 0, stream_>>>(values, corrected.rows(), cols_, batch, union_.row0,
                                                              detector_, padded_cols_, padded_.get());
      TOMOLIVE_CUDA_CHECK_LAUNCH("pad_band_rows");
      TOMOLIVE_CUFFT_CHECK(
          cufftExecR2C(forward_.get(), padded_.get(), reinterpret_cast<cufftComplex*>(spectra_.get())));
      const dim3 sum_grid((bins_ + kSumThreads - 1) / kSumThreads, (frames + kSlotsPerThread - 1) / kSlotsPerThread);
      sum_candidates<<<sum_grid, kSumThreads, 0, stream_>>>(spectra_.get(), weights_.get(), band_rows_.get(),
                                                            candidates_, union_.rows, bins_, frames, batch_,
                                                            sums_.get());
      TOMOLIVE_CUDA_CHECK_LAUNCH("sum_candidates");
      TOMOLIVE_CUFFT_CHECK(
          cufftExecC2R(inverse_.get(), reinterpret_cast<cufftComplex*>(sums_.get()), retrieved_.get()));
      const dim3 write_grid((cols_ + kThreads - 1) / kThreads, candidates_, frames);
      write_rows<Value><<<write_grid, kThreads, 0, stream_>>>(retrieved_.get(), padded_cols_, batch_, values,
                                                             corrected.rows(), xy_row_, cols_, batch, detector_,
                                                             written);
      TOMOLIVE_CUDA_CHECK_LAUNCH("write_rows");
    }
  });
}

}  // namespace tomolive::kernels::cuda
