// Defective pixels through a running daemon (PROTOCOL.md 10.10): a scan with the simulator's dead and hot pixels gets
// a map at its first projection, shown in the status and counted, listed by get_defective_pixels (the simulator's
// defects among its pixels); set_processing's defective_pixels turns detection off for the next scan, refuses a
// threshold out of range and re-filters nothing; get_defective_pixels before any scan is refused.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_harness.hpp"

namespace tomolive::testing {
namespace {

using protocol::DefectivePixelsResult;
using protocol::DefectivePixelsUpdate;
using protocol::SetProcessing;

void stream_and_wait_for_end(DaemonFixture& fixture, const sim::ScanSpec& spec) {
  fixture.sender().stream(sim::ScanSimulator(spec));
  ASSERT_TRUE(fixture.subscriber().wait_event([&](const protocol::Event& e) {
    return e.kind == "scan_ended" && e.scan_id == spec.scan_id;
  }, 20s));
}

DefectivePixelsResult defective_pixels(DaemonFixture& fixture) {
  const protocol::Reply reply = fixture.control().request(protocol::GetDefectivePixels{});
  EXPECT_EQ(reply.command, "get_defective_pixels");
  EXPECT_TRUE(reply.ok()) << (reply.error ? reply.error->message : "");
  const auto* result = std::get_if<DefectivePixelsResult>(&reply.result);
  return result ? *result : DefectivePixelsResult{};
}

SetProcessing defective_update(DefectivePixelsUpdate update) {
  SetProcessing request;
  request.defective_pixels = update;
  return request;
}

TEST(DaemonDefectivePixels, TheSimulatorsDefectsAreMappedCountedAndListed) {
  DaemonFixture fixture;
  const protocol::Reply before = fixture.control().request(protocol::GetDefectivePixels{});
  ASSERT_FALSE(before.ok());
  EXPECT_EQ(before.error->code, protocol::ErrorCode::no_active_scan);

  sim::ScanSpec spec = small_scan_spec(1);
  spec.defects = true;
  stream_and_wait_for_end(fixture, spec);
  const sim::ScanSimulator simulator(spec);
  const std::vector<std::uint32_t>& dead = simulator.detector().dead_pixels();
  const std::vector<std::uint32_t>& hot = simulator.detector().hot_pixels();
  ASSERT_FALSE(dead.empty());
  ASSERT_FALSE(hot.empty());

  const protocol::Status status = fixture.control().status();
  ASSERT_TRUE(status.processing.defective_pixels);
  EXPECT_TRUE(status.processing.defective_pixels->enabled);
  ASSERT_TRUE(status.scan->defective_pixels) << "no defective_pixels in the scan status";
  const protocol::DefectivePixelCounts counts = *status.scan->defective_pixels;
  EXPECT_GE(counts.dead, dead.size());
  EXPECT_GE(counts.hot, hot.size());
  EXPECT_GE(counts.total, dead.size() + hot.size());
  EXPECT_EQ(counts.detector_mask, 0u);
  EXPECT_EQ(fixture.control().counter("defective_pixels_masked"), counts.total);

  const DefectivePixelsResult map = defective_pixels(fixture);
  EXPECT_TRUE(map.built);
  EXPECT_EQ(map.scan_id, spec.scan_id);
  EXPECT_EQ(map.rows, spec.rows);
  EXPECT_EQ(map.cols, spec.cols);
  EXPECT_EQ(map.counts, counts);
  EXPECT_EQ(map.pixels.size(), counts.total);
  EXPECT_FALSE(map.truncated);
  const auto listed = [&](std::uint32_t pixel, std::uint32_t bit) {
    return std::any_of(map.pixels.begin(), map.pixels.end(), [&](const protocol::DefectivePixel& p) {
      return p.row == pixel / spec.cols && p.col == pixel % spec.cols && (p.kind & bit) != 0;
    });
  };
  for (const std::uint32_t pixel : dead) EXPECT_TRUE(listed(pixel, 1)) << "dead pixel " << pixel;
  for (const std::uint32_t pixel : hot) EXPECT_TRUE(listed(pixel, 2)) << "hot pixel " << pixel;
}

TEST(DaemonDefectivePixels, SetProcessingTurnsDetectionOffForTheNextScanAndChecksThresholds) {
  DaemonFixture fixture;
  const protocol::Reply bad =
      fixture.control().request(defective_update({std::nullopt, 1.5, std::nullopt, std::nullopt}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error->code, protocol::ErrorCode::invalid_argument);
  EXPECT_NE(bad.error->message.find("dead-pixel threshold 1.5"), std::string::npos) << bad.error->message;

  const protocol::Reply off = fixture.control().request(defective_update({false, 0.4, 7.0, std::nullopt}));
  ASSERT_TRUE(off.ok()) << off.error->message;
  const auto& setting = std::get<protocol::ProcessingResult>(off.result).processing.defective_pixels;
  ASSERT_TRUE(setting);
  EXPECT_FALSE(setting->enabled);
  EXPECT_EQ(static_cast<float>(setting->dead_threshold), 0.4f);  // the engine keeps thresholds as float
  EXPECT_EQ(setting->hot_threshold, 7.0);
  EXPECT_EQ(setting->noisy_threshold, 10.0);  // not given: kept

  sim::ScanSpec spec = small_scan_spec(2);
  spec.defects = true;
  stream_and_wait_for_end(fixture, spec);
  EXPECT_FALSE(fixture.control().status().scan->defective_pixels);
  const DefectivePixelsResult map = defective_pixels(fixture);
  EXPECT_FALSE(map.built);
  EXPECT_TRUE(map.pixels.empty());
  EXPECT_EQ(fixture.control().counter("defective_pixels_masked"), 0u);

  // Back on while the scan's projections are resident: nothing is re-filtered, the scan keeps its (absent) map.
  const protocol::Reply on =
      fixture.control().request(defective_update({true, std::nullopt, std::nullopt, std::nullopt}));
  ASSERT_TRUE(on.ok()) << on.error->message;
  EXPECT_EQ(std::get<protocol::ProcessingResult>(on.result).refilter.projections, 0u);
  EXPECT_EQ(fixture.control().counter("refilters"), 0u);
  EXPECT_FALSE(fixture.control().status().scan->defective_pixels);
  EXPECT_TRUE(fixture.control().status().processing.defective_pixels->enabled);
}

}  // namespace
}  // namespace tomolive::testing
