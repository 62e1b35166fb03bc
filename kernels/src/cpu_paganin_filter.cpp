#include "tomolive/kernels/cpu_paganin_filter.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "fftw_handles.hpp"
#include "tomolive/kernels/engine.hpp"
#include "tomolive/kernels/paganin_padding.hpp"
#include "tomolive/kernels/plan_arithmetic.hpp"
#include "tomolive/kernels/ramp_filter.hpp"

namespace tomolive::kernels {

struct CpuPaganinFilter::Fftw {
  detail::FftwArray<float> padded;                  // padded_rows x padded_cols
  detail::FftwArray<std::complex<float>> spectrum;  // padded_rows x (padded_cols / 2 + 1)
  detail::FftwPlan forward;
  detail::FftwPlan inverse;
};

CpuPaganinFilter::CpuPaganinFilter(std::uint32_t rows, std::uint32_t cols)
    : rows_(rows), cols_(cols), padded_rows_(padded_length(rows)), padded_cols_(padded_length(cols)) {
  if (rows == 0 || cols == 0) {
    throw std::invalid_argument("CpuPaganinFilter: rows " + std::to_string(rows) + " and cols " +
                                std::to_string(cols) + " must be > 0");
  }
  fftw_ = std::make_unique<Fftw>();
  fftw_->padded = detail::fftw_alloc_array<float>(std::size_t{padded_rows_} * padded_cols_);
  fftw_->spectrum = detail::fftw_alloc_array<std::complex<float>>(std::size_t{padded_rows_} * (padded_cols_ / 2 + 1));
  const int n0 = static_cast<int>(padded_rows_);
  const int n1 = static_cast<int>(padded_cols_);
  {
    const std::lock_guard lock(fftw_planner_mutex());
    fftw_->forward.reset(fftwf_plan_dft_r2c_2d(n0, n1, fftw_->padded.get(), detail::as_fftw(fftw_->spectrum.get()),
                                               FFTW_ESTIMATE));
    fftw_->inverse.reset(fftwf_plan_dft_c2r_2d(n0, n1, detail::as_fftw(fftw_->spectrum.get()), fftw_->padded.get(),
                                               FFTW_ESTIMATE));
  }
  if (!fftw_->forward || !fftw_->inverse) throw std::bad_alloc();
}

CpuPaganinFilter::~CpuPaganinFilter() = default;

std::uint64_t CpuPaganinFilter::work_bytes(std::uint32_t rows, std::uint32_t cols) {
  const std::uint64_t padded_rows = padded_length(rows);
  const std::uint64_t padded_cols = padded_length(cols);
  return saturating_add(saturating_mul(padded_rows * padded_cols, sizeof(float)),
                        saturating_mul(padded_rows * (padded_cols / 2 + 1), sizeof(std::complex<float>)));
}

std::uint64_t CpuPaganinFilter::apply(float* frame, const DetectorColumns& detector, const PhaseRetrieval& phase,
                                      RowRange counted) {
  float* padded = fftw_->padded.get();
  for (std::uint32_t pr = 0; pr < padded_rows_; ++pr) {
    const float* source = frame + std::size_t{paganin_padding_source(pr, rows_, padded_rows_)} * cols_ + detector.first;
    float* target = padded + std::size_t{pr} * padded_cols_;
    for (std::uint32_t pc = 0; pc < padded_cols_; ++pc) {
      target[pc] = std::exp(-source[paganin_padding_source(pc, detector.count, padded_cols_)]);
    }
  }
  fftwf_execute(fftw_->forward.get());

  const std::uint32_t bins = padded_cols_ / 2 + 1;
  const double coefficient = paganin_coefficient_m2(phase);
  const double pixel_m = phase.pixel_size_um * 1e-6;
  const double normalisation = static_cast<double>(padded_rows_) * padded_cols_;
  for (std::uint32_t kr = 0; kr < padded_rows_; ++kr) {
    const double signed_kr = kr <= padded_rows_ / 2 ? static_cast<double>(kr) : static_cast<double>(kr) - padded_rows_;
    const double f_row = signed_kr / (padded_rows_ * pixel_m);
    std::complex<float>* spectrum = fftw_->spectrum.get() + std::size_t{kr} * bins;
    for (std::uint32_t kc = 0; kc < bins; ++kc) {
      const double f_col = static_cast<double>(kc) / (padded_cols_ * pixel_m);
      spectrum[kc] *= static_cast<float>(paganin_response(coefficient, f_row, f_col) / normalisation);
    }
  }
  fftwf_execute(fftw_->inverse.get());  // destroys the spectrum, rewritten by the next forward transform

  std::uint64_t clamped = 0;
  for (std::uint32_t row = 0; row < rows_; ++row) {
    const float* source = padded + std::size_t{row} * padded_cols_;
    float* target = frame + std::size_t{row} * cols_ + detector.first;
    for (std::uint32_t col = 0; col < detector.count; ++col) {
      float transmission = source[col];
      if (!(transmission >= kMinTransmission)) {  // also catches NaN
        transmission = kMinTransmission;
        clamped += counted.contains(row) ? 1 : 0;
      }
      target[col] = -std::log(transmission);
    }
  }
  return clamped;
}

}  // namespace tomolive::kernels
