// CpuPaganinFilter: single-material phase retrieval on the CPU with FFTW (processing.hpp step 2, Paganin et al.
// 2002); the reference the CUDA engine's Paganin filter is tested against.
//
// Per frame of rows x cols attenuation values A (dimensionless, row-major): the transmission T = exp(-A) of the
// detector columns is edge-padded (paganin_padding_source(), both axes) into a padded_rows() x padded_cols() real
// frame, padded_rows() = padded_length(rows), padded_cols() = padded_length(cols); transformed by a 2D real-to-complex
// FFT; multiplied by paganin_response(coefficient, f_row, f_col) (frequencies in cycles per metre: k / (padded x
// pixel size), k the signed FFT index; evaluated in double) and by 1 / (padded_rows() x padded_cols()) for FFTW's
// unnormalised inverse; transformed back, cropped to the detector columns, and A = -ln(max(T, kMinTransmission))
// written back (the clamped values counted). Columns outside the detector columns are left as they are.
//
// Memory: the padded frame and its spectrum (padded_rows x (padded_cols / 2 + 1) complex), allocated at
// construction; apply() does not allocate.
// Thread safety: an instance is used by one thread at a time (it owns its work buffers); different instances may run
// concurrently. Construction and destruction take fftw_planner_mutex() (cpu_ramp_filter.hpp).
#pragma once

#include <cstdint>
#include <memory>

#include "tomolive/kernels/detector_columns.hpp"
#include "tomolive/kernels/engine_rows.hpp"
#include "tomolive/kernels/processing.hpp"

namespace tomolive::kernels {

class CpuPaganinFilter {
 public:
  // Plans for frames of rows x cols. Throws std::invalid_argument when either is zero and std::bad_alloc when memory
  // or planning fails.
  CpuPaganinFilter(std::uint32_t rows, std::uint32_t cols);
  ~CpuPaganinFilter();
  CpuPaganinFilter(const CpuPaganinFilter&) = delete;
  CpuPaganinFilter& operator=(const CpuPaganinFilter&) = delete;

  std::uint32_t padded_rows() const { return padded_rows_; }
  std::uint32_t padded_cols() const { return padded_cols_; }

  // Phase-retrieves the detector columns of `frame` (rows x cols floats as constructed) in place with `phase`'s
  // parameters (enabled or not; check_processing ranges assumed). Returns the number of transmissions clamped to
  // kMinTransmission in the rows `counted` holds (an engine's owned rows, engine_rows.hpp). Precondition (not
  // checked): the detector columns lie inside [0, cols) and are not empty.
  std::uint64_t apply(float* frame, const DetectorColumns& detector, const PhaseRetrieval& phase,
                      RowRange counted = {});

  // Bytes of work memory one instance holds for frames of rows x cols (plans not counted), saturating at 2^64 - 1.
  // Throws std::length_error for rows or cols > 2^30 (padded_length).
  static std::uint64_t work_bytes(std::uint32_t rows, std::uint32_t cols);

 private:
  struct Fftw;  // FFTW handles and buffers; keeps fftw3.h out of this header
  std::uint32_t rows_;
  std::uint32_t cols_;
  std::uint32_t padded_rows_;
  std::uint32_t padded_cols_;
  std::unique_ptr<Fftw> fftw_;
};

}  // namespace tomolive::kernels
