#include "tomolive/kernels/cpu_ramp_filter.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "fftw_handles.hpp"
#include "tomolive/kernels/ramp_filter.hpp"

namespace tomolive::kernels {

std::mutex& fftw_planner_mutex() {
  static std::mutex mutex;
  return mutex;
}

struct CpuRampFilter::Fftw {
  std::vector<float> response;                       // padded / 2 + 1 bins, includes 1 / padded
  detail::FftwArray<float> input;                    // batch x padded, zero beyond cols
  detail::FftwArray<std::complex<float>> spectrum;   // batch x (padded / 2 + 1)
  detail::FftwArray<float> output;                   // batch x padded
  detail::FftwPlan forward;
  detail::FftwPlan inverse;
};

CpuRampFilter::CpuRampFilter(std::uint32_t cols, std::uint32_t batch_rows, FilterWindow window)
    : cols_(cols),
      padded_(padded_length(cols)),
      batch_rows_(batch_rows),
      window_(window),
      fftw_(std::make_unique<Fftw>()) {
  if (cols == 0 || batch_rows == 0) {
    throw std::invalid_argument("CpuRampFilter: cols " + std::to_string(cols) + " and batch_rows " +
                                std::to_string(batch_rows) + " must be > 0");
  }
  const std::size_t bins = padded_ / 2 + 1;
  fftw_->response = filter_response(padded_, window);
  fftw_->input = detail::fftw_alloc_array<float>(std::size_t{batch_rows} * padded_);
  fftw_->spectrum = detail::fftw_alloc_array<std::complex<float>>(std::size_t{batch_rows} * bins);
  fftw_->output = detail::fftw_alloc_array<float>(std::size_t{batch_rows} * padded_);

  int n = static_cast<int>(padded_);
  const int howmany = static_cast<int>(batch_rows);
  const int real_dist = static_cast<int>(padded_);
  const int complex_dist = static_cast<int>(bins);
  {
    const std::lock_guard lock(fftw_planner_mutex());
    // FFTW_ESTIMATE does not touch the arrays; the zero padding of `input` survives planning.
    fftw_->forward.reset(fftwf_plan_many_dft_r2c(1, &n, howmany, fftw_->input.get(), nullptr, 1, real_dist,
                                                 detail::as_fftw(fftw_->spectrum.get()), nullptr, 1, complex_dist,
                                                 FFTW_ESTIMATE));
    fftw_->inverse.reset(fftwf_plan_many_dft_c2r(1, &n, howmany, detail::as_fftw(fftw_->spectrum.get()), nullptr,
                                                 1, complex_dist, fftw_->output.get(), nullptr, 1, real_dist,
                                                 FFTW_ESTIMATE));
  }
  if (!fftw_->forward || !fftw_->inverse) throw std::bad_alloc();
}

CpuRampFilter::~CpuRampFilter() = default;

void CpuRampFilter::set_window(FilterWindow window) { set_response(window, filter_response(padded_, window)); }

void CpuRampFilter::set_response(FilterWindow window, std::span<const float> response) {
  if (response.size() != fftw_->response.size()) {
    throw std::invalid_argument("CpuRampFilter: a response of " + std::to_string(response.size()) +
                                " bins for a padded length of " + std::to_string(padded_) + " (expected " +
                                std::to_string(fftw_->response.size()) + ")");
  }
  std::copy(response.begin(), response.end(), fftw_->response.begin());
  window_ = window;
}

std::uint64_t CpuRampFilter::work_bytes(std::uint32_t cols, std::uint32_t batch_rows) {
  const std::uint64_t padded = padded_length(cols);
  const std::uint64_t bins = padded / 2 + 1;
  return std::uint64_t{batch_rows} * (2 * padded * sizeof(float) + bins * sizeof(std::complex<float>)) +
         bins * sizeof(float);
}

void CpuRampFilter::filter_rows(float* rows, std::uint32_t count) {
  const std::size_t bins = padded_ / 2 + 1;
  for (std::uint32_t first = 0; first < count; first += batch_rows_) {
    const std::uint32_t in_batch = std::min(batch_rows_, count - first);
    float* batch = rows + std::size_t{first} * cols_;
    for (std::uint32_t r = 0; r < in_batch; ++r) {
      std::memcpy(fftw_->input.get() + std::size_t{r} * padded_, batch + std::size_t{r} * cols_,
                  cols_ * sizeof(float));
    }
    // Rows beyond in_batch keep stale data from an earlier batch; they are transformed and discarded.
    fftwf_execute(fftw_->forward.get());
    for (std::uint32_t r = 0; r < batch_rows_; ++r) {
      std::complex<float>* spectrum = fftw_->spectrum.get() + r * bins;
      for (std::size_t m = 0; m < bins; ++m) spectrum[m] *= fftw_->response[m];
    }
    fftwf_execute(fftw_->inverse.get());  // destroys `spectrum`, which is rewritten by the next forward transform
    for (std::uint32_t r = 0; r < in_batch; ++r) {
      std::memcpy(batch + std::size_t{r} * cols_, fftw_->output.get() + std::size_t{r} * padded_,
                  cols_ * sizeof(float));
    }
  }
}

}  // namespace tomolive::kernels
