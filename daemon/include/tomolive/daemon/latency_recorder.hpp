// LatencyRecorder: the most recent latencies from "projection received" to "its slices published" (target T4), in
// microseconds, and their percentiles for get_status. Thread-safe.
#pragma once

#include <cstddef>
#include <mutex>
#include <vector>

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
  // Forgets every sample (a new scan starts its own statistics).
  void clear();
  Summary summary() const;

 private:
  mutable std::mutex mutex_;
  std::vector<double> samples_;  // ring buffer once full
  std::size_t next_ = 0;
};

}  // namespace tomolive::daemon
