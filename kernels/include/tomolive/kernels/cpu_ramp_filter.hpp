// CpuRampFilter: ramp-filters detector rows in place on the CPU with FFTW (single precision).
//
// Each row of `cols` attenuation values is zero-padded to padded_length(cols), transformed, multiplied by
// filter_response(padded, window) (ramp_filter.hpp: the ramp of ramp_response() times the window; Ram-Lak, the
// default, is ramp_response() itself) and transformed back; the first `cols` samples replace the row. Rows are
// processed in batches of batch_rows() through one FFTW "many" plan pair made once at construction (FFTW_ESTIMATE).
// The last, partial batch runs through the same plans, so a row's result does not depend on how many rows are
// filtered together.
//
// Thread safety: an instance is used by one thread at a time (it owns its work buffers); different instances may
// filter concurrently. Construction and destruction take fftw_planner_mutex(), because FFTW's planner is not
// thread-safe; any other FFTW planning in the process must take the same mutex.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>

#include "tomolive/kernels/processing.hpp"

namespace tomolive::kernels {

// Serialises FFTW plan creation and destruction across the process.
std::mutex& fftw_planner_mutex();

class CpuRampFilter {
 public:
  // Plans for rows of `cols` samples, `batch_rows` rows per FFTW call, with the response of `window`. Throws
  // std::invalid_argument when cols or batch_rows is zero and std::bad_alloc when memory or planning fails.
  explicit CpuRampFilter(std::uint32_t cols, std::uint32_t batch_rows = 8,
                         FilterWindow window = FilterWindow::ram_lak);
  ~CpuRampFilter();
  CpuRampFilter(const CpuRampFilter&) = delete;
  CpuRampFilter& operator=(const CpuRampFilter&) = delete;

  std::uint32_t cols() const { return cols_; }
  std::uint32_t padded() const { return padded_; }
  std::uint32_t batch_rows() const { return batch_rows_; }
  FilterWindow window() const { return window_; }

  // Replaces the response by filter_response(padded(), window). Allocates (not for the hot path); takes
  // fftw_planner_mutex() while ramp_response plans its transform. On an exception the filter is unchanged.
  void set_window(FilterWindow window);
  // Replaces the response by `response`, which must be filter_response(padded(), window) (not checked beyond its
  // size), copied without allocating: for many filters of one geometry sharing one computed response. Throws
  // std::invalid_argument, the filter unchanged, unless response holds padded() / 2 + 1 values.
  void set_response(FilterWindow window, std::span<const float> response);

  // Filters `count` consecutive rows of cols() floats starting at `rows` (row stride cols()), in place.
  void filter_rows(float* rows, std::uint32_t count);

  // Bytes of work memory one instance holds for this geometry (buffers and the response; plans not counted).
  static std::uint64_t work_bytes(std::uint32_t cols, std::uint32_t batch_rows);

 private:
  struct Fftw;  // FFTW handles and buffers; keeps fftw3.h out of this header
  std::uint32_t cols_;
  std::uint32_t padded_;
  std::uint32_t batch_rows_;
  FilterWindow window_;
  std::unique_ptr<Fftw> fftw_;
};

}  // namespace tomolive::kernels
