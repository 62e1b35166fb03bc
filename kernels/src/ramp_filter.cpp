#include "tomolive/kernels/ramp_filter.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

#include "fftw_handles.hpp"

namespace tomolive::kernels {

std::uint32_t padded_length(std::uint32_t cols) {
  // 2 * cols must fit a power of two in 32 bits.
  if (cols > (std::uint32_t{1} << 30)) {
    throw std::length_error("padded_length: cols " + std::to_string(cols) + " exceeds 2^30");
  }
  std::uint32_t padded = 64;
  while (padded < 2 * cols) padded *= 2;
  return padded;
}

std::vector<float> ramp_response(std::uint32_t padded) {
  if (padded < 2 || padded % 2 != 0) {
    throw std::invalid_argument("ramp_response: padded length " + std::to_string(padded) +
                                " must be even and >= 2");
  }
  const std::uint32_t bins = padded / 2 + 1;
  auto kernel = detail::fftw_alloc_array<float>(padded);
  auto spectrum = detail::fftw_alloc_array<std::complex<float>>(bins);

  // h(n) over the circular index range: k <= padded / 2 is n = k, the rest n = k - padded.
  const double pi = std::numbers::pi;
  for (std::uint32_t k = 0; k < padded; ++k) {
    const std::int64_t n = k <= padded / 2 ? std::int64_t{k} : std::int64_t{k} - std::int64_t{padded};
    double h = 0.0;
    if (n == 0) {
      h = 0.25;
    } else if (n % 2 != 0) {
      const double pn = pi * static_cast<double>(n);
      h = -1.0 / (pn * pn);
    }
    kernel[k] = static_cast<float>(h);
  }

  detail::FftwPlan plan;
  {
    const std::lock_guard lock(fftw_planner_mutex());
    plan.reset(fftwf_plan_dft_r2c_1d(static_cast<int>(padded), kernel.get(), detail::as_fftw(spectrum.get()),
                                     FFTW_ESTIMATE));
  }
  if (!plan) throw std::bad_alloc();
  fftwf_execute(plan.get());

  // h is real and even, so its transform is real; 1 / padded normalises FFTW's inverse.
  std::vector<float> response(bins);
  const float scale = 1.f / static_cast<float>(padded);
  for (std::uint32_t m = 0; m < bins; ++m) response[m] = spectrum[m].real() * scale;
  return response;
}

std::vector<float> filter_response(std::uint32_t padded, FilterWindow window) {
  std::vector<float> response = ramp_response(padded);
  if (window == FilterWindow::ram_lak) return response;
  for (std::size_t m = 0; m < response.size(); ++m) {
    const double w = 2.0 * static_cast<double>(m) / static_cast<double>(padded);
    response[m] = static_cast<float>(response[m] * window_weight(window, w));
  }
  return response;
}

}  // namespace tomolive::kernels
