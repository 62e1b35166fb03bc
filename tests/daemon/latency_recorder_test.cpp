#include "tomolive/daemon/latency_recorder.hpp"

#include <gtest/gtest.h>

namespace tomolive::daemon {
namespace {

TEST(LatencyRecorder, ReportsNearestRankPercentilesOfTheNewestSamples) {
  LatencyRecorder recorder;
  EXPECT_EQ(recorder.summary().samples, 0u);
  for (int i = 100; i >= 1; --i) recorder.add(i);  // 1..100 in reverse order
  const auto summary = recorder.summary();
  EXPECT_EQ(summary.samples, 100u);
  EXPECT_DOUBLE_EQ(summary.p50_us, 50.0);
  EXPECT_DOUBLE_EQ(summary.p99_us, 99.0);
  EXPECT_DOUBLE_EQ(summary.max_us, 100.0);
}

TEST(LatencyRecorder, ForgetsTheOldestSamplesBeyondItsCapacity) {
  LatencyRecorder recorder;
  for (std::size_t i = 0; i < LatencyRecorder::kCapacity; ++i) recorder.add(1e6);
  for (std::size_t i = 0; i < LatencyRecorder::kCapacity; ++i) recorder.add(7.0);
  const auto summary = recorder.summary();
  EXPECT_EQ(summary.samples, LatencyRecorder::kCapacity);
  EXPECT_DOUBLE_EQ(summary.max_us, 7.0);
}

TEST(LatencyRecorder, ClearStartsAfresh) {
  LatencyRecorder recorder;
  recorder.add(1e6);
  recorder.clear();
  recorder.add(3.0);
  const auto summary = recorder.summary();
  EXPECT_EQ(summary.samples, 1u);
  EXPECT_DOUBLE_EQ(summary.max_us, 3.0);
}

}  // namespace
}  // namespace tomolive::daemon
