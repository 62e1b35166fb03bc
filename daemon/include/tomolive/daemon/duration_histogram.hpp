// DurationHistogram: a cumulative histogram of durations in seconds since the daemon started (never reset: a
// Prometheus histogram's buckets only grow), for /metrics. It wraps prometheus-cpp's Histogram, whose buckets are
// cumulative upper bounds ("le") with +Inf implied. Thread-safe (observe and snapshot may run concurrently).
#pragma once

#include <vector>

#include <prometheus/client_metric.h>
#include <prometheus/histogram.h>

namespace tomolive::daemon {

class DurationHistogram {
 public:
  // Upper bounds in seconds, strictly increasing; +Inf is added by the exposition.
  explicit DurationHistogram(std::vector<double> upper_bounds_s) : histogram_(upper_bounds_s) {}

  // Bounds for latencies from milliseconds to seconds (T4, T5): 1 ms ... 10 s.
  static std::vector<double> latency_bounds_s();
  // Bounds for engine work from microseconds to minutes (one projection ... a full volume): 10 us ... 100 s.
  static std::vector<double> engine_bounds_s();

  void observe(double seconds) { histogram_.Observe(seconds); }
  // The buckets (cumulative counts per upper bound), the sample count and the sum of the samples in seconds.
  prometheus::ClientMetric snapshot() const { return histogram_.Collect(); }

 private:
  prometheus::Histogram histogram_;
};

}  // namespace tomolive::daemon
