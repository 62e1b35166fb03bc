// PaganinFilter: single-material phase retrieval on the GPU (processing.hpp step 2, Paganin et al. 2002), on a batch
// of up to frames() frames at once (processing_frame.hpp; one batched cuFFT plan). Per frame:
// the transmission T = exp(-A) of the detector columns is edge-padded into a padded_length(rows) x padded_length(cols)
// real frame (paganin_padding_source(), paganin_padding.hpp, shared with the CPU engine), transformed by a cuFFT 2D
// R2C, multiplied by paganin_response() (frequencies in cycles per metre: k / (padded * pixel size), k the signed FFT
// index) and 1 / (padded rows * padded cols), C2R back, cropped, and A = -ln(max(T, kMinTransmission)) written back,
// the clamped values counted.
//
// Device memory (allocated at construction): per frame of the batch the padded real frame and its spectrum (padded
// rows x (padded cols / 2 + 1) complex); cuFFT's work area. The transforms always run over all frames() frames (the
// plan's batch): a smaller batch leaves the others' stale values there (zeros until first written), transformed and
// never read.
// Thread safety: one owner; work is ordered by the stream given at construction.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "device_resources.hpp"
#include "processing_frame.hpp"
#include "tomolive/kernels/engine_rows.hpp"
#include "tomolive/kernels/paganin_padding.hpp"

namespace tomolive::kernels::cuda {

class PaganinFilter {
 public:
  // Plans for batches of `frames` (1..kMaxBatchFrames) frames of rows x cols (padded to padded_length(rows) x
  // padded_length(cols)). Throws EngineError when planning or allocation fails.
  PaganinFilter(std::uint32_t rows, std::uint32_t cols, std::uint32_t frames, cudaStream_t stream);

  // Device bytes an instance of this shape holds (cuFFT's work area as cuFFT estimates it), without allocating.
  static std::uint64_t estimate_bytes(std::uint32_t rows, std::uint32_t cols, std::uint32_t frames);

  std::uint32_t frames() const { return frames_; }

  // Enqueues: the detector columns of `out` = phase-retrieved `in`, frame by frame (both shaped `shape`, rows and
  // cols as constructed, shape.frames <= frames(), device memory; `out` may be `in`), the other columns copied; adds
  // the clamped transmissions of the rows `counted` (frame rows) of every frame to *clamped.
  void apply(const float* in, float* out, const FrameShape& shape, const DetectorColumns& detector,
             const PhaseRetrieval& phase, unsigned long long* clamped, RowRange counted);

 private:
  std::uint32_t padded_rows_;
  std::uint32_t padded_cols_;
  std::uint32_t frames_;
  cudaStream_t stream_;
  FftPlan forward_;
  FftPlan inverse_;
  DeviceArray<float> padded_;
  DeviceArray<float2> spectrum_;
  DeviceArray<unsigned char> work_;
};

}  // namespace tomolive::kernels::cuda
