// FilterPath: a raw projection on the device -> its filtered projection in one slot of the ProjectionStore:
// flat-field correction and -log (attenuation(), preprocess.hpp), the ramp filter of ramp_filter.hpp (rows
// zero-padded to padded_length(cols), multiplied by ramp_response(), as the CPU engine's CpuRampFilter), conversion
// into the store's cells. Two ways to do it, and choose() is the one place that picks:
// - fused: one kernel (FusedRampFilter, fused_ramp_filter.hpp) that reads the frame, dark and flat once and writes the
//   slot once. Its FFT is written for 4096 points, so it takes detectors of 1025..2048 columns (every target
//   workload).
// - staged: preprocess_rows into GpuRampFilter's padded rows, cuFFT R2C / ramp multiply / C2R, ProjectionStore::write:
//   every other width (any padded length), and every width when asked for (staged_only: to compare the two).
//
// Device memory: the chosen way's (estimate_bytes), allocated at construction. Thread safety: one owner; work is
// ordered by the stream given at construction.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <optional>

#include "corrected_store.hpp"
#include "fused_ramp_filter.hpp"
#include "gpu_ramp_filter.hpp"
#include "projection_store.hpp"
#include "tomolive/kernels/frame_view.hpp"

namespace tomolive::kernels::cuda {

class FilterPath {
 public:
  enum class Kind : std::uint8_t { fused, staged };

  // fused when FusedRampFilter handles `cols` and not `staged_only`, else staged.
  static Kind choose(std::uint32_t cols, bool staged_only);

  // Device bytes a path for this shape holds at most (the staged path's included: a re-filter needs it), without
  // allocating anything.
  static std::uint64_t estimate_bytes(std::uint32_t rows, std::uint32_t cols, bool staged_only);

  // Makes the chosen way for rows x cols detectors. Throws EngineError when allocation or planning fails.
  FilterPath(std::uint32_t rows, std::uint32_t cols, bool staged_only, cudaStream_t stream);

  Kind kind() const { return fused_ ? Kind::fused : Kind::staged; }

  // Events recorded on the stream as the work passes them: raw_consumed (required) once `raw` is no longer read;
  // preprocessed and filtered, when not null, after the staged path's preprocessing and filter (stage timing; the
  // fused path has no such points and leaves them alone).
  struct Marks {
    cudaEvent_t raw_consumed = nullptr;
    cudaEvent_t preprocessed = nullptr;
    cudaEvent_t filtered = nullptr;
  };

  // Enqueues the work for `raw` (rows x cols pixels of `type`, device memory), with `dark` and `flat` (rows x cols
  // floats, device memory), into `slot` of `corrected` (the attenuation) and of `store` (filtered, replacing every
  // cell of it); adds the projection's clamped pixels to *clamped.
  void run(const void* raw, PixelType type, const float* dark, const float* flat, CorrectedStore& corrected,
           ProjectionStore& store, std::uint32_t slot, unsigned long long* clamped, const Marks& marks);

  // Enqueues: `slot` of `store` = the filtered `slot` of `corrected`. Allocates the staged path's memory on its
  // first call when the path is fused.
  void refilter(const CorrectedStore& corrected, ProjectionStore& store, std::uint32_t slot);

  // Enqueues the upload of the window's filter response: work enqueued after this call uses it.
  void set_window(FilterWindow window);

 private:
  std::uint32_t rows_;
  std::uint32_t cols_;
  cudaStream_t stream_;
  FilterWindow window_ = FilterWindow::ram_lak;
  std::optional<FusedRampFilter> fused_;
  std::optional<GpuRampFilter> staged_;  // without fused_, or made by the first refilter
};

}  // namespace tomolive::kernels::cuda
