#include "tomolive/daemon/duration_histogram.hpp"

namespace tomolive::daemon {

std::vector<double> DurationHistogram::latency_bounds_s() {
  return {0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0, 10.0};
}

std::vector<double> DurationHistogram::engine_bounds_s() {
  return {1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1,
          0.25, 0.5,    1.0,  2.5,  5.0,    10.0, 25.0, 100.0};
}

}  // namespace tomolive::daemon
