#include "paganin_filter.hpp"

#include <cufft.h>

#include <algorithm>
#include <string>

#include "block_count.cuh"
#include "cuda_check.hpp"
#include "tomolive/kernels/engine.hpp"
#include "tomolive/kernels/ramp_filter.hpp"

namespace tomolive::kernels::cuda {
namespace {

constexpr unsigned kThreads = 256;

// Mapping: grid (ceil(padded_cols / 256), padded_rows, frames), one thread per padded value of frame blockIdx.z: reads
// one attenuation of that frame (L1/L2: padding repeats edge values), writes T = exp(-A).
__global__ void __launch_bounds__(kThreads) pad_transmission(const float* __restrict__ in, FrameShape shape,
                                                             DetectorColumns detector, std::uint32_t padded_rows,
                                                             std::uint32_t padded_cols, float* __restrict__ padded) {
  const std::uint32_t pc = blockIdx.x * kThreads + threadIdx.x;
  const std::uint32_t pr = blockIdx.y;
  if (pc >= padded_cols) return;
  in += blockIdx.z * shape.frame_stride();
  padded += blockIdx.z * (std::size_t{padded_rows} * padded_cols);
  const std::uint32_t row = paganin_padding_source(pr, shape.rows, padded_rows);
  const std::uint32_t col = detector.first + paganin_padding_source(pc, detector.count, padded_cols);
  padded[std::size_t{pr} * padded_cols + pc] = expf(-in[std::size_t{row} * shape.pitch + col]);
}

// Mapping: grid (ceil(bins / 256), padded_rows, frames), one thread per complex bin (row kr, column kc) of frame
// blockIdx.z: the spectrum times paganin_response (double, as the CPU) at f_row = signed(kr) / (padded_rows * pixel),
// f_col = kc / (padded_cols * pixel), and the 1 / (padded_rows * padded_cols) of the unnormalised inverse.
__global__ void __launch_bounds__(kThreads) multiply_paganin(float2* __restrict__ spectrum, std::uint32_t padded_rows,
                                                             std::uint32_t padded_cols, double coefficient_m2,
                                                             double pixel_m) {
  const std::uint32_t bins = padded_cols / 2 + 1;
  const std::uint32_t kc = blockIdx.x * kThreads + threadIdx.x;
  const std::uint32_t kr = blockIdx.y;
  if (kc >= bins) return;
  const double signed_kr = kr <= padded_rows / 2 ? static_cast<double>(kr) : static_cast<double>(kr) - padded_rows;
  const double f_row = signed_kr / (padded_rows * pixel_m);
  const double f_col = static_cast<double>(kc) / (padded_cols * pixel_m);
  const float factor = static_cast<float>(paganin_response(coefficient_m2, f_row, f_col) /
                                          (static_cast<double>(padded_rows) * padded_cols));
  const std::size_t k = (std::size_t{blockIdx.z} * padded_rows + kr) * bins + kc;
  float2 value = spectrum[k];
  value.x *= factor;
  value.y *= factor;
  spectrum[k] = value;
}

// Mapping: grid (ceil(cols / 256), rows, frames), one thread per pixel of frame blockIdx.z: detector columns read its
// filtered transmission and write -ln(max(T, kMinTransmission)) (clamps in the counted rows counted per block),
// other columns copy `in`.
__global__ void __launch_bounds__(kThreads) crop_attenuation(const float* __restrict__ padded,
                                                             std::uint32_t padded_rows, std::uint32_t padded_cols,
                                                             const float* in, float* out,
                                                             FrameShape shape, DetectorColumns detector,
                                                             RowRange counted,
                                                             unsigned long long* __restrict__ clamped) {
  const std::uint32_t col = blockIdx.x * kThreads + threadIdx.x;
  const std::uint32_t row = blockIdx.y;
  unsigned clamped_here = 0;
  if (col < shape.cols) {
    const std::size_t pixel = blockIdx.z * shape.frame_stride() + std::size_t{row} * shape.pitch + col;
    if (detector.contains(col)) {
      const std::size_t padded_frame = blockIdx.z * (std::size_t{padded_rows} * padded_cols);
      float transmission = padded[padded_frame + std::size_t{row} * padded_cols + (col - detector.first)];
      if (!(transmission >= kMinTransmission)) {  // also catches NaN
        transmission = kMinTransmission;
        clamped_here = counted.contains(row) ? 1 : 0;
      }
      out[pixel] = -logf(transmission);
    } else {
      out[pixel] = in[pixel];
    }
  }
  add_block_count<kThreads>(clamped_here, clamped);
}

// A plan of `frames` 2D transforms of padded_rows x padded_cols (rows the slower dimension) in the basic batched
// layout (frames contiguous: padded_rows x padded_cols reals or padded_rows x (padded_cols / 2 + 1) complex values),
// work area supplied by the caller. Returns the work area size, bytes.
std::size_t make_plan(cufftHandle plan, cufftType type, std::uint32_t padded_rows, std::uint32_t padded_cols,
                      std::uint32_t frames) {
  TOMOLIVE_CUFFT_CHECK(cufftSetAutoAllocation(plan, 0));
  int n[2] = {static_cast<int>(padded_rows), static_cast<int>(padded_cols)};
  std::size_t work = 0;
  TOMOLIVE_CUFFT_CHECK(
      cufftMakePlanMany(plan, 2, n, nullptr, 1, 0, nullptr, 1, 0, type, static_cast<int>(frames), &work));
  return work;
}

// cuFFT's estimate of make_plan's work area, bytes.
std::size_t estimate_plan(cufftType type, std::uint32_t padded_rows, std::uint32_t padded_cols, std::uint32_t frames) {
  int n[2] = {static_cast<int>(padded_rows), static_cast<int>(padded_cols)};
  std::size_t work = 0;
  TOMOLIVE_CUFFT_CHECK(cufftEstimateMany(2, n, nullptr, 1, 0, nullptr, 1, 0, type, static_cast<int>(frames), &work));
  return work;
}

}  // namespace

PaganinFilter::PaganinFilter(std::uint32_t rows, std::uint32_t cols, std::uint32_t frames, cudaStream_t stream)
    : padded_rows_(padded_length(rows)), padded_cols_(padded_length(cols)), frames_(frames), stream_(stream) {
  const std::size_t forward_work = make_plan(forward_.get(), CUFFT_R2C, padded_rows_, padded_cols_, frames_);
  const std::size_t inverse_work = make_plan(inverse_.get(), CUFFT_C2R, padded_rows_, padded_cols_, frames_);
  work_ = share_work_area(forward_, forward_work, inverse_, inverse_work, stream_);
  padded_ = DeviceArray<float>(std::size_t{frames_} * padded_rows_ * padded_cols_);
  // Zeroed once: the frames past a smaller batch, transformed with the others, then hold finite values.
  TOMOLIVE_CUDA_CHECK(cudaMemsetAsync(padded_.get(), 0, padded_.bytes(), stream_));
  spectrum_ = DeviceArray<float2>(std::size_t{frames_} * padded_rows_ * (padded_cols_ / 2 + 1));
}

std::uint64_t PaganinFilter::estimate_bytes(std::uint32_t rows, std::uint32_t cols, std::uint32_t frames) {
  const std::uint32_t padded_rows = padded_length(rows);
  const std::uint32_t padded_cols = padded_length(cols);
  const std::size_t forward_work = estimate_plan(CUFFT_R2C, padded_rows, padded_cols, frames);
  const std::size_t inverse_work = estimate_plan(CUFFT_C2R, padded_rows, padded_cols, frames);
  return std::uint64_t{frames} * padded_rows *
             (padded_cols * sizeof(float) + std::uint64_t{padded_cols / 2 + 1} * sizeof(float2)) +
         std::max(forward_work, inverse_work);
}

void PaganinFilter::apply(const float* in, float* out, const FrameShape& shape, const DetectorColumns& detector,
                          const PhaseRetrieval& phase, unsigned long long* clamped, RowRange counted) {
  if (shape.rows == 0 || detector.count == 0 || shape.frames == 0) return;
  if (shape.frames > frames_) {
    throw EngineError("phase retrieval: a batch of " + std::to_string(shape.frames) + " frames, planned for " +
                      std::to_string(frames_));
  }
  const dim3 pad_grid((padded_cols_ + kThreads - 1) / kThreads, padded_rows_, shape.frames);
  pad_transmission<<<pad_grid, kThreads, 0, stream_>>>(in, shape, detector, padded_rows_, padded_cols_,
                                                       padded_.get());
  TOMOLIVE_CUDA_CHECK_LAUNCH("pad_transmission");
  auto* spectrum = reinterpret_cast<cufftComplex*>(spectrum_.get());
  TOMOLIVE_CUFFT_CHECK(cufftExecR2C(forward_.get(), padded_.get(), spectrum));
  const std::uint32_t bins = padded_cols_ / 2 + 1;
  const dim3 bin_grid((bins + kThreads - 1) / kThreads, padded_rows_, shape.frames);
  multiply_paganin<<<bin_grid, kThreads, 0, stream_>>>(spectrum_.get(), padded_rows_, padded_cols_,
                                                       paganin_coefficient_m2(phase), phase.pixel_size_um * 1e-6);
  TOMOLIVE_CUDA_CHECK_LAUNCH("multiply_paganin");
  // C2R overwrites its input (the spectrum); its output, the padded frame, is not needed again.
  TOMOLIVE_CUFFT_CHECK(cufftExecC2R(inverse_.get(), spectrum, padded_.get()));
  const dim3 frame_grid((shape.cols + kThreads - 1) / kThreads, shape.rows, shape.frames);
  crop_attenuation<<<frame_grid, kThreads, 0, stream_>>>(padded_.get(), padded_rows_, padded_cols_, in, out, shape,
                                                         detector, counted, clamped);
  TOMOLIVE_CUDA_CHECK_LAUNCH("crop_attenuation");
}

}  // namespace tomolive::kernels::cuda
