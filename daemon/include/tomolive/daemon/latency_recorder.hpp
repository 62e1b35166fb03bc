// LatencyRecorder: the most recent latencies from "projection received" to "its slices published" (target T4), in
// microseconds, and their percentiles for get_status; and every latency since start in a cumulative histogram (in
// seconds) for /metrics, which clear() leaves alone. Thread-safe.
#pragma once

#include <cstddef>
#include <mutex>
#include <vector>

#include "tomolive/daemon/duration_histogram.hpp"

namespace tomolive::daemon {

class LatencyRecorder {
 public:
  static constexpr std::size_t kCapacity = 4096;  // samples kept; older ones are overwritten

  struct Summary {
    std::size_t samples = 0;  // samples the percentiles are taken over (<= kCapacity)
    double p50_us = 0.0;
    double p99_us = 0.0;
    double max_us = 0.0;
  };

  void add(double latency_us);
  // Forgets every sample of the percentiles (a new scan starts its own statistics); the histogram keeps them.
  void clear();
  Summary summary() const;
  // Every latency added since construction, in seconds.
  prometheus::ClientMetric histogram() const { return histogram_.snapshot(); }

 private:
  mutable std::mutex mutex_;
  std::vector<double> samples_;  // ring buffer once full
  std::size_t next_ = 0;
  DurationHistogram histogram_{DurationHistogram::latency_bounds_s()};
};

}  // namespace tomolive::daemon
