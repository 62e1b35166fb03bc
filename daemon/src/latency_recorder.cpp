#include "tomolive/daemon/latency_recorder.hpp"

#include <algorithm>
#include <cmath>

namespace tomolive::daemon {

void LatencyRecorder::add(double latency_us) {
  histogram_.observe(latency_us * 1e-6);
  std::lock_guard lock(mutex_);
  if (samples_.size() < kCapacity) {
    samples_.push_back(latency_us);
  } else {
    samples_[next_] = latency_us;
  }
  next_ = (next_ + 1) % kCapacity;
}

void LatencyRecorder::clear() {
  std::lock_guard lock(mutex_);
  samples_.clear();
  next_ = 0;
}

LatencyRecorder::Summary LatencyRecorder::summary() const {
  std::vector<double> sorted;
  {
    std::lock_guard lock(mutex_);
    sorted = samples_;
  }
  Summary summary;
  summary.samples = sorted.size();
  if (sorted.empty()) return summary;
  std::sort(sorted.begin(), sorted.end());
  // Nearest-rank percentile: the smallest sample with at least p% of the samples at or below it.
  const auto percentile = [&](double p) {
    const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
    return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
  };
  summary.p50_us = percentile(50);
  summary.p99_us = percentile(99);
  summary.max_us = sorted.back();
  return summary;
}

}  // namespace tomolive::daemon
