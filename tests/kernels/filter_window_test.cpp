// Filter windows (processing.hpp, ramp_filter.hpp): window_weight against its formulas, filter_response as the ramp
// times the window, and CpuRampFilter with a window.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "tomolive/kernels/cpu_ramp_filter.hpp"
#include "tomolive/kernels/processing.hpp"
#include "tomolive/kernels/ramp_filter.hpp"

namespace tomolive::kernels {
namespace {

constexpr std::array<FilterWindow, 6> kWindows = {FilterWindow::ram_lak, FilterWindow::shepp_logan,
                                                  FilterWindow::cosine,  FilterWindow::hamming,
                                                  FilterWindow::hann,    FilterWindow::parzen};

struct WindowValues {
  FilterWindow window;
  double at_0, at_half, at_1;  // computed by hand from processing.hpp's formulas
};

TEST(WindowWeight, ValuesAtZeroHalfAndNyquist) {
  const WindowValues expected[] = {
      {FilterWindow::ram_lak, 1.0, 1.0, 1.0},
      {FilterWindow::shepp_logan, 1.0, 0.900316316157106, 0.636619772367581},  // sin(pi/4)/(pi/4), 2/pi
      {FilterWindow::cosine, 1.0, 0.707106781186548, 0.0},                     // cos(pi/4), cos(pi/2)
      {FilterWindow::hamming, 1.0, 0.54, 0.08},                                // 0.54 + 0.46 cos(pi w)
      {FilterWindow::hann, 1.0, 0.5, 0.0},                                     // 0.5 + 0.5 cos(pi w)
      {FilterWindow::parzen, 1.0, 0.25, 0.0},                                  // 1 - 6/4 (1/2); 2 (1/2)^3 above
  };
  for (const WindowValues& v : expected) {
    SCOPED_TRACE(window_name(v.window));
    EXPECT_NEAR(window_weight(v.window, 0.0), v.at_0, 1e-12);
    EXPECT_NEAR(window_weight(v.window, 0.5), v.at_half, 1e-12);
    EXPECT_NEAR(window_weight(v.window, 1.0), v.at_1, 1e-12);
  }
  // Parzen's two pieces meet at w = 1/2 from above too.
  EXPECT_NEAR(window_weight(FilterWindow::parzen, 0.5 + 1e-9), 0.25, 1e-8);
}

TEST(FilterResponse, IsTheRampTimesTheWindow) {
  for (const std::uint32_t padded : {64u, 256u}) {
    const std::vector<float> ramp = ramp_response(padded);
    for (const FilterWindow window : kWindows) {
      SCOPED_TRACE(std::string(window_name(window)) + ", padded " + std::to_string(padded));
      const std::vector<float> response = filter_response(padded, window);
      ASSERT_EQ(response.size(), ramp.size());
      for (std::size_t m = 0; m < ramp.size(); ++m) {
        const double w = 2.0 * static_cast<double>(m) / padded;
        EXPECT_FLOAT_EQ(response[m], static_cast<float>(ramp[m] * window_weight(window, w))) << "bin " << m;
      }
    }
  }
}

TEST(FilterResponse, RamLakIsTheRampExactly) {
  for (const std::uint32_t padded : {64u, 128u, 4096u}) {
    EXPECT_EQ(filter_response(padded, FilterWindow::ram_lak), ramp_response(padded)) << "padded " << padded;
  }
}

TEST(FilterResponse, WindowsAttenuateHighFrequencies) {
  const std::uint32_t padded = 256;
  const std::vector<float> ramp = ramp_response(padded);
  for (const FilterWindow window : kWindows) {
    if (window == FilterWindow::ram_lak) continue;
    SCOPED_TRACE(window_name(window));
    const std::vector<float> response = filter_response(padded, window);
    EXPECT_LT(response[padded / 2], 0.7f * ramp[padded / 2]);  // Nyquist: at most shepp-logan's 2/pi
    EXPECT_FLOAT_EQ(response[1], static_cast<float>(ramp[1] * window_weight(window, 2.0 / padded)));
  }
}

TEST(CpuRampFilterWindow, ConstructedAndSetWindowsAgreeAndDifferFromRamLak) {
  const std::uint32_t cols = 50, count = 5;
  std::vector<float> rows(std::size_t{count} * cols);
  for (std::size_t k = 0; k < rows.size(); ++k) rows[k] = 1.f + std::sin(0.37f * static_cast<float>(k));

  std::vector<float> ram_lak = rows, constructed = rows, switched = rows, switched_back = rows;
  CpuRampFilter(cols, 4).filter_rows(ram_lak.data(), count);
  CpuRampFilter hann(cols, 4, FilterWindow::hann);
  EXPECT_EQ(hann.window(), FilterWindow::hann);
  hann.filter_rows(constructed.data(), count);
  CpuRampFilter filter(cols, 4);
  filter.set_window(FilterWindow::hann);
  EXPECT_EQ(filter.window(), FilterWindow::hann);
  filter.filter_rows(switched.data(), count);
  EXPECT_EQ(constructed, switched);
  EXPECT_NE(constructed, ram_lak);
  filter.set_response(FilterWindow::ram_lak, filter_response(filter.padded(), FilterWindow::ram_lak));
  filter.filter_rows(switched_back.data(), count);
  EXPECT_EQ(switched_back, ram_lak);
}

TEST(CpuRampFilterWindow, ResponseOfTheWrongSizeIsRefused) {
  CpuRampFilter filter(50, 4, FilterWindow::cosine);
  EXPECT_THROW(filter.set_response(FilterWindow::hann, filter_response(64, FilterWindow::hann)),
               std::invalid_argument);
  EXPECT_EQ(filter.window(), FilterWindow::cosine);
}

}  // namespace
}  // namespace tomolive::kernels
