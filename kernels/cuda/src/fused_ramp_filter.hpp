// FusedRampFilter: one kernel per projection that does what the staged path does in three (frame_preprocess,
// GpuRampFilter, ProjectionStore::write, CorrectedStore::write): flat-field correction and -log (attenuation(),
// preprocess.hpp), kept in the slot's corrected store as computed, the ramp
// filter of ramp_filter.hpp (each row zero-padded to padded_length(cols) = 4096, multiplied by
// filter_response(4096, window), as the CPU engine's filter) and the conversion into one slot of the projection store. Each block takes one
// quad of 4 detector rows, i.e. one row of store cells; its 512 threads filter the quad's rows as two complex
// 4096-point transforms of 256 threads each (rows 4q + 4q+1 and 4q+2 + 4q+3 as real and imaginary parts: the ramp
// response is real and even, so the two filtered rows come back apart) in registers and shared memory (fft4096.hpp).
// Device memory traffic per projection: the raw frame, dark and flat read once, the slot written once (2048^2, uint16
// frames, float16 stores: 8 + 16 + 16 + 8 = 48 MB, plus 8 MB for the corrected store).
//
// Defective pixels (defective_pixels.hpp) are repaired in the same kernel: a quad with repairs passes its values once
// more through shared memory, where each repair's repaired_attenuation() replaces its pixel's value before the FFT
// (and in the corrected store), as repair_pixels does on the staged path.
//
// Only for detectors whose padded length is 4096 (1025..2048 columns: every target workload); FilterPath chooses
// between this and the staged path. Thread safety: one owner; work is ordered by the stream passed in.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "corrected_store.hpp"
#include "filter_response_table.hpp"
#include "projection_store.hpp"
#include "tomolive/kernels/defective_pixels.hpp"
#include "tomolive/kernels/engine_rows.hpp"
#include "tomolive/kernels/frame_view.hpp"
#include "tomolive/kernels/processing.hpp"

namespace tomolive::kernels::cuda {

// The defective-pixel repairs of a scan as the kernel takes them (device memory): `list` in increasing pixel order,
// and begin[q] .. begin[q + 1] - 1 the entries of quad q (rows 4q .. 4q + 3; quad_repair_offsets,
// defective_pixels.hpp). begin == nullptr: no repairs.
struct QuadRepairs {
  const PixelRepair* list = nullptr;
  const std::uint32_t* begin = nullptr;  // quads + 1 entries
};

class FusedRampFilter {
 public:
  // Whether detectors of `cols` columns can be filtered here: padded_length(cols) == 4096.
  static bool handles(std::uint32_t cols);

  // Uploads the Ram-Lak response and lets the kernels use their shared memory (68 KiB a block). Throws EngineError
  // when !handles(cols) or a CUDA call fails.
  explicit FusedRampFilter(std::uint32_t cols);

  // Enqueues on `stream` the upload of filter_response(4096, window): kernels enqueued on `stream` after this call use
  // it, those before it the previous response.
  void set_window(FilterWindow window, cudaStream_t stream) { response_.set_window(window, stream); }

  // Device bytes an instance holds (the response table).
  static std::uint64_t estimate_bytes();

  // Enqueues on `stream`: `raw` (store.layout().rows x cols pixels of `type`, device memory), corrected with `dark` and
  // `flat` (rows x cols floats, detector counts), -log, written into `slot` of `corrected`, ramp-filtered and written
  // into every cell of `slot` of `store` (columns cols .. pitch - 1 and rows past the detector as zeros), the pixels of
  // `repairs` repaired before the filter. Adds the number of clamped pixels (attenuation(), repaired_attenuation() for
  // repaired ones) in the rows `counted` to *clamped. Throws EngineError when the two stores' precisions differ.
  void filter_into(const void* raw, PixelType type, const float* dark, const float* flat, CorrectedStore& corrected,
                   ProjectionStore& store, std::uint32_t slot, unsigned long long* clamped, RowRange counted,
                   const QuadRepairs& repairs, cudaStream_t stream) const;

 private:
  std::uint32_t cols_;
  FilterResponseTable response_;  // filter_response(4096, window): 2049 bins, 1 / 4096 included
};

}  // namespace tomolive::kernels::cuda
