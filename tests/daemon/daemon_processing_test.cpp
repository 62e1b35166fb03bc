// Projection processing through a running daemon (PROTOCOL.md 10.5): set_processing re-filters the resident
// projections (a window changes the slices, Ram-Lak again restores them), reports what it re-filtered, shows in the
// status, keeps the fields a request leaves out, refuses bad values (counted, the daemon serving on), applies to the
// next scan when none is held, and the ring pass runs by itself while a scan with rings enabled arrives.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_harness.hpp"

namespace tomolive::testing {
namespace {

using protocol::FilterWindow;
using protocol::PhaseUpdate;
using protocol::RingsUpdate;
using protocol::SetProcessing;
using protocol::ZingersUpdate;

void stream_and_wait_for_end(DaemonFixture& fixture, const sim::ScanSpec& spec) {
  fixture.sender().stream(sim::ScanSimulator(spec));
  ASSERT_TRUE(fixture.subscriber().wait_event([&](const protocol::Event& e) {
    return e.kind == "scan_ended" && e.scan_id == spec.scan_id;
  }, 20s));
}

std::vector<float> xy_slice(DaemonFixture& fixture) {
  std::vector<float> values;
  EXPECT_TRUE(fixture.control().request(protocol::GetSlice{protocol::SliceKind::xy}, &values).ok());
  return values;
}

// Largest |a - b| relative to the largest |b|.
float relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  float peak = 0.f, worst = 0.f;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    peak = std::max(peak, std::abs(b[i]));
    worst = std::max(worst, std::abs(a[i] - b[i]));
  }
  return peak > 0.f ? worst / peak : worst;
}

// The request's result, failing the test when it was refused.
protocol::ProcessingResult set_processing(DaemonFixture& fixture, const SetProcessing& request) {
  const protocol::Reply reply = fixture.control().request(request);
  EXPECT_EQ(reply.command, "set_processing");
  EXPECT_TRUE(reply.ok()) << (reply.error ? reply.error->message : "");
  const auto* result = std::get_if<protocol::ProcessingResult>(&reply.result);
  return result ? *result : protocol::ProcessingResult{};
}

SetProcessing window(FilterWindow value) { return SetProcessing{value, std::nullopt, std::nullopt, std::nullopt}; }

TEST(DaemonProcessing, AWindowRefiltersTheStoreAndRamLakRestoresTheSlices) {
  DaemonFixture fixture;
  const sim::ScanSpec spec = small_scan_spec(1);
  stream_and_wait_for_end(fixture, spec);
  const std::vector<float> original = xy_slice(fixture);
  EXPECT_EQ(fixture.control().status().processing.window, FilterWindow::ram_lak);

  const protocol::ProcessingResult hann = set_processing(fixture, window(FilterWindow::hann));
  EXPECT_EQ(hann.processing.window, FilterWindow::hann);
  EXPECT_FALSE(hann.processing.zingers.enabled || hann.processing.phase.enabled || hann.processing.rings.enabled ||
               hann.processing.half_acquisition.enabled);
  EXPECT_EQ(hann.refilter.projections, store_slots(spec));  // every stored projection
  EXPECT_GT(hann.refilter.elapsed_ms, 0.0);
  EXPECT_EQ(hann.refilter.zingers_replaced, 0u);
  const std::vector<float> smoothed = xy_slice(fixture);
  EXPECT_GT(relative_difference(smoothed, original), 0.05f) << "the Hann window changed nothing";

  const protocol::ProcessingResult ram_lak = set_processing(fixture, window(FilterWindow::ram_lak));
  EXPECT_EQ(ram_lak.refilter.projections, store_slots(spec));
  EXPECT_LE(relative_difference(xy_slice(fixture), original), 1e-5f) << "Ram-Lak again did not restore the slice";

  const protocol::Status status = fixture.control().status();
  EXPECT_EQ(status.processing, ram_lak.processing);
  ASSERT_TRUE(status.scan && status.scan->refilter);
  EXPECT_EQ(status.scan->refilter->reason, "set_processing");
  EXPECT_EQ(status.scan->refilter->refilter, ram_lak.refilter);
  EXPECT_GT(status.scan->memory.corrected_store_bytes, 0u);
  EXPECT_EQ(fixture.control().counter("refilters"), 2u);
  EXPECT_EQ(fixture.control().counter("ring_passes"), 0u);

  for (int changes = 0; changes < 2; ++changes) {
    const auto event = fixture.subscriber().wait_event(
        [](const protocol::Event& e) { return e.kind == "processing_changed"; });
    ASSERT_TRUE(event) << "no processing_changed event for change " << changes;
    EXPECT_EQ(event->scan_id, spec.scan_id);
    EXPECT_NE(event->message.find("projections re-filtered"), std::string::npos) << event->message;
  }
}

TEST(DaemonProcessing, APartialUpdateKeepsTheOtherFields) {
  DaemonFixture fixture;
  const protocol::ProcessingResult zingers =
      set_processing(fixture, SetProcessing{FilterWindow::cosine, ZingersUpdate{true, 0.5}, std::nullopt,
                                            std::nullopt});
  EXPECT_EQ(zingers.processing.window, FilterWindow::cosine);
  EXPECT_TRUE(zingers.processing.zingers.enabled);
  EXPECT_EQ(static_cast<float>(zingers.processing.zingers.threshold), 0.5f);

  const protocol::ProcessingResult rings =
      set_processing(fixture, SetProcessing{std::nullopt, std::nullopt, std::nullopt, RingsUpdate{std::nullopt, 31u}});
  EXPECT_EQ(rings.processing.window, FilterWindow::cosine);
  EXPECT_EQ(rings.processing.zingers, zingers.processing.zingers);
  EXPECT_FALSE(rings.processing.rings.enabled);  // only the size was given
  EXPECT_EQ(rings.processing.rings.size, 31u);

  const protocol::ProcessingResult phase = set_processing(
      fixture, SetProcessing{std::nullopt, ZingersUpdate{false, std::nullopt}, PhaseUpdate{true, 30.0, {}, {}, {}},
                             std::nullopt});
  EXPECT_FALSE(phase.processing.zingers.enabled);
  EXPECT_EQ(static_cast<float>(phase.processing.zingers.threshold), 0.5f);  // kept while disabled
  EXPECT_TRUE(phase.processing.phase.enabled);
  EXPECT_EQ(phase.processing.phase.energy_kev, 30.0);
  EXPECT_EQ(phase.processing.phase.distance_m, 0.1);        // the defaults of PROTOCOL.md 10.5
  EXPECT_EQ(phase.processing.phase.pixel_size_um, 1.0);
  EXPECT_EQ(phase.processing.phase.delta_over_beta, 100.0);
  EXPECT_EQ(phase.processing.rings, rings.processing.rings);
  EXPECT_EQ(fixture.control().status().processing, phase.processing);
}

TEST(DaemonProcessing, BadValuesAreRefusedCountedAndChangeNothing) {
  DaemonFixture fixture;
  stream_and_wait_for_end(fixture, small_scan_spec(1));
  const protocol::ProcessingSetting before = fixture.control().status().processing;
  const auto refused = [&](const SetProcessing& request, const std::string& words) {
    const protocol::Reply reply = fixture.control().request(request);
    ASSERT_FALSE(reply.ok());
    EXPECT_EQ(reply.command, "set_processing");
    EXPECT_EQ(reply.error->code, protocol::ErrorCode::invalid_argument);
    EXPECT_NE(reply.error->message.find(words), std::string::npos) << reply.error->message;
  };
  refused({std::nullopt, ZingersUpdate{true, -0.1}, std::nullopt, std::nullopt}, "zinger threshold");
  refused({std::nullopt, std::nullopt, PhaseUpdate{true, 0.0, {}, {}, {}}, std::nullopt}, "energy");
  refused({std::nullopt, std::nullopt, PhaseUpdate{std::nullopt, {}, {}, {}, -5.0}, std::nullopt}, "delta/beta");
  refused({std::nullopt, std::nullopt, std::nullopt, RingsUpdate{true, 20u}}, "must be odd");
  refused({std::nullopt, std::nullopt, std::nullopt, RingsUpdate{std::nullopt, 257u}}, "3..255");
  // Refused by the codec: an unknown window, and no step at all.
  protocol::Bytes unknown_window = protocol::encode(protocol::ControlRequest(window(FilterWindow::hann)));
  const std::string hann = "hann";
  const auto at = std::search(unknown_window.begin(), unknown_window.end(), hann.begin(), hann.end(),
                              [](std::byte b, char c) { return b == static_cast<std::byte>(c); });
  ASSERT_NE(at, unknown_window.end());
  *at = static_cast<std::byte>('b');  // "bann"
  const protocol::Reply unknown = fixture.control().request_bytes(unknown_window);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error->code, protocol::ErrorCode::invalid_argument);
  EXPECT_NE(unknown.error->message.find("ram-lak, shepp-logan, cosine, hamming, hann or parzen"), std::string::npos)
      << unknown.error->message;
  const protocol::Reply empty = fixture.control().request(SetProcessing{});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error->code, protocol::ErrorCode::invalid_argument);

  EXPECT_EQ(fixture.control().counter("control_errors"), 7u);
  EXPECT_EQ(fixture.control().counter("refilters"), 0u);
  const protocol::Status status = fixture.control().status();
  EXPECT_EQ(status.processing, before);
  EXPECT_FALSE(status.scan->refilter);
  // The daemon serves on: a good request after the bad ones works.
  EXPECT_EQ(set_processing(fixture, window(FilterWindow::parzen)).refilter.projections, 90u);
}

TEST(DaemonProcessing, WithoutAScanTheSettingWaitsForTheNextScan) {
  DaemonFixture fixture;
  const protocol::ProcessingResult stored = set_processing(fixture, window(FilterWindow::hamming));
  EXPECT_EQ(stored.refilter, protocol::RefilterResult{});  // nothing held, nothing re-filtered
  EXPECT_EQ(fixture.control().counter("refilters"), 0u);
  const auto event = fixture.subscriber().wait_event(
      [](const protocol::Event& e) { return e.kind == "processing_changed"; });
  ASSERT_TRUE(event);
  EXPECT_FALSE(event->scan_id);
  EXPECT_NE(event->message.find("next scan"), std::string::npos) << event->message;

  const sim::ScanSpec spec = small_scan_spec(1);
  stream_and_wait_for_end(fixture, spec);
  const protocol::Status status = fixture.control().status();
  EXPECT_EQ(status.processing.window, FilterWindow::hamming);
  EXPECT_FALSE(status.scan->refilter);
  const std::vector<float> streamed = xy_slice(fixture);

  // The scan was reconstructed with Hamming: re-filtering with Ram-Lak gives the reference engine's (Ram-Lak)
  // slices, and Hamming again what the scan streamed with.
  const std::vector<float> ram_lak = reference_slices(sim::ScanSimulator(spec)).at(protocol::SliceKind::xy);
  EXPECT_GT(relative_difference(streamed, ram_lak), 0.05f);
  set_processing(fixture, window(FilterWindow::ram_lak));
  EXPECT_LE(relative_difference(xy_slice(fixture), ram_lak), 1e-5f);
  set_processing(fixture, window(FilterWindow::hamming));
  EXPECT_LE(relative_difference(xy_slice(fixture), streamed), 1e-5f);

  // The setting persists into the next scan.
  const sim::ScanSpec next = small_scan_spec(2);
  stream_and_wait_for_end(fixture, next);
  EXPECT_EQ(fixture.control().status().processing.window, FilterWindow::hamming);
  EXPECT_GT(relative_difference(xy_slice(fixture),
                                reference_slices(sim::ScanSimulator(next)).at(protocol::SliceKind::xy)),
            0.05f);
}

TEST(DaemonProcessing, ZingersReplacedAreReportedAndCounted) {
  DaemonFixture fixture;
  stream_and_wait_for_end(fixture, small_scan_spec(1));
  EXPECT_EQ(fixture.control().counter("zingers_replaced"), 0u);
  // A threshold far below the noise (0.1 % of the transmission) replaces many pixels.
  const protocol::ProcessingResult result =
      set_processing(fixture, SetProcessing{std::nullopt, ZingersUpdate{true, 0.001}, std::nullopt, std::nullopt});
  EXPECT_GT(result.refilter.zingers_replaced, 0u);
  EXPECT_EQ(fixture.control().counter("zingers_replaced"), result.refilter.zingers_replaced);
  // Arriving projections are counted too.
  stream_and_wait_for_end(fixture, small_scan_spec(2));
  EXPECT_GT(fixture.control().counter("zingers_replaced"), result.refilter.zingers_replaced);
}

TEST(DaemonProcessing, TheRingPassRunsPerTenthOfTheScanAndAtItsEnd) {
  daemon::DaemonConfig config = test_config();
  config.processing.rings = {true, 5};
  DaemonFixture fixture(config);
  sim::ScanSpec spec = small_scan_spec(1);
  spec.projections_per_turn = 95;  // a pass after every 9 projections (10 passes), then one at the end for 5 more
  stream_and_wait_for_end(fixture, spec);

  EXPECT_EQ(fixture.control().counter("ring_passes"), 11u);
  EXPECT_EQ(fixture.control().counter("refilters"), 11u);
  const protocol::Status status = fixture.control().status();
  EXPECT_TRUE(status.processing.rings.enabled);
  EXPECT_EQ(status.processing.rings.size, 5u);
  ASSERT_TRUE(status.scan && status.scan->refilter);
  EXPECT_EQ(status.scan->refilter->reason, "rings_pass");
  EXPECT_EQ(status.scan->refilter->refilter.projections, 95u);  // the last pass saw the whole scan
  EXPECT_FALSE(fixture.subscriber().wait_event(
      [](const protocol::Event& e) { return e.kind == "processing_changed"; }, 200ms));  // passes publish none

  // The final slices came from a pass over every projection: one more pass over the same store changes nothing.
  const std::vector<float> final_slice = xy_slice(fixture);
  const protocol::ProcessingResult again =
      set_processing(fixture, SetProcessing{std::nullopt, std::nullopt, std::nullopt, RingsUpdate{true, 5u}});
  EXPECT_EQ(again.refilter.projections, 95u);
  EXPECT_LE(relative_difference(xy_slice(fixture), final_slice), 1e-5f);
  EXPECT_EQ(fixture.control().counter("ring_passes"), 11u);  // set_processing is not a ring pass
  EXPECT_EQ(fixture.control().status().scan->refilter->reason, "set_processing");
}

TEST(DaemonProcessing, RingsOffMeansNoPass) {
  DaemonFixture fixture;
  stream_and_wait_for_end(fixture, small_scan_spec(1));
  EXPECT_EQ(fixture.control().counter("ring_passes"), 0u);
  EXPECT_FALSE(fixture.control().status().scan->refilter);
}

}  // namespace
}  // namespace tomolive::testing
