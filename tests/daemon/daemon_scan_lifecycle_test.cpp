// The scan lifecycle signals of PROTOCOL.md through a running daemon: the "reconstruction_finished" event, a refused
// begin that leaves the active scan running, and scans_refused counting every refused begin wherever it is refused.
#include <msgpack.hpp>

#include <gtest/gtest.h>

#include "daemon_harness.hpp"

namespace tomolive::testing {
namespace {

using protocol::ErrorCode;

std::function<bool(const protocol::Event&)> event_of(std::string kind, std::uint64_t scan_id) {
  return [kind = std::move(kind), scan_id](const protocol::Event& e) { return e.kind == kind && e.scan_id == scan_id; };
}

// Sends frames [first, last) of `scan` (darks and flats first, then projections, as the simulator orders them).
void send_frames(DaemonFixture& fixture, const sim::ScanSimulator& scan, std::size_t first, std::size_t last) {
  for (std::size_t i = first; i < last; ++i) fixture.sender().send(protocol::encode(scan.header(i)), scan.render(i));
}

// Whether an event matching `match` has already been received (without waiting for more).
bool already_received(DaemonFixture& fixture, const std::function<bool(const protocol::Event&)>& match) {
  return fixture.subscriber().wait_event(match, std::chrono::milliseconds(0)).has_value();
}

TEST(DaemonScanLifecycle, ReconstructionFinishedIsPublishedOnceAllProjectionsAreReconstructed) {
  DaemonFixture fixture;
  const sim::ScanSimulator scan(small_scan_spec(1));
  fixture.sender().send(protocol::encode(sim::make_scan_begin(scan.spec())));
  send_frames(fixture, scan, 0, scan.frame_count());
  // Before any end: all announced projections are in.
  const auto finished = fixture.subscriber().wait_event(event_of("reconstruction_finished", 1));
  ASSERT_TRUE(finished);
  EXPECT_NE(finished->message.find("all 90 projections reconstructed in "), std::string::npos) << finished->message;
  EXPECT_NE(finished->message.find(" s"), std::string::npos) << finished->message;
  const protocol::ScanStatus status = *fixture.control().status().scan;
  EXPECT_EQ(status.state, "receiving") << "the scan itself ends only with its end";
  EXPECT_EQ(status.projections_reconstructed, 90u);
  // The complete slices were on the board before the event.
  EXPECT_TRUE(fixture.subscriber().wait_slice(protocol::SliceKind::xy, [](const protocol::SliceUpdate& s) {
    return s.scan_id == 1 && s.projections_included == 90;
  }));

  fixture.sender().send(protocol::encode(sim::make_scan_end(scan.spec())));
  ASSERT_TRUE(fixture.subscriber().wait_event(event_of("scan_ended", 1)));
  expect_scan_reconstructs(fixture, 2);
  ASSERT_TRUE(fixture.subscriber().wait_event(event_of("reconstruction_finished", 2)));
  EXPECT_FALSE(already_received(fixture, event_of("reconstruction_finished", 1))) << "at most once per scan";
}

TEST(DaemonScanLifecycle, AScanMissingProjectionsNeverFinishes) {
  DaemonFixture fixture;
  const sim::ScanSimulator scan(small_scan_spec(3));
  fixture.sender().send(protocol::encode(sim::make_scan_begin(scan.spec())));
  send_frames(fixture, scan, 0, scan.frame_count() - 1);  // the last projection never comes
  fixture.sender().send(protocol::encode(sim::make_scan_end(scan.spec())));
  const auto ended = fixture.subscriber().wait_event(event_of("scan_ended", 3));
  ASSERT_TRUE(ended);
  EXPECT_NE(ended->message.find("89 of 90 projections, 1 missing"), std::string::npos) << ended->message;
  expect_scan_reconstructs(fixture, 4);
  ASSERT_TRUE(fixture.subscriber().wait_event(event_of("reconstruction_finished", 4)));
  EXPECT_FALSE(already_received(fixture, event_of("reconstruction_finished", 3)));
}

TEST(DaemonScanLifecycle, ASlidingWindowScanFinishesWhenEveryAnnouncedProjectionIsIn) {
  DaemonFixture fixture;
  sim::ScanSpec spec = small_scan_spec(5);
  spec.projections_per_turn = 30;
  spec.turns = 3;  // 90 projections through a window of 30
  expect_scan_reconstructs(fixture, spec);
  const auto finished = fixture.subscriber().wait_event(event_of("reconstruction_finished", 5));
  ASSERT_TRUE(finished);
  EXPECT_NE(finished->message.find("all 90 projections reconstructed"), std::string::npos) << finished->message;
}

TEST(DaemonScanLifecycle, ABeginTooLargeLeavesTheActiveScanRunning) {
  DaemonFixture fixture;
  const sim::ScanSimulator scan(small_scan_spec(6));
  fixture.sender().send(protocol::encode(sim::make_scan_begin(scan.spec())));
  const std::size_t half = scan.frame_count() / 2;
  send_frames(fixture, scan, 0, half);

  auto too_large = sim::make_scan_begin(small_scan_spec(7));
  too_large.rows = 2048;
  too_large.cols = 2048;
  too_large.num_projections = 3000;
  fixture.sender().send(protocol::encode(too_large));
  ASSERT_TRUE(fixture.subscriber().wait_error(ErrorCode::scan_too_large));

  send_frames(fixture, scan, half, scan.frame_count());
  fixture.sender().send(protocol::encode(sim::make_scan_end(scan.spec())));
  expect_slices_match_reference(fixture, scan);  // waits for scan 6's scan_ended
  const protocol::Status status = fixture.control().status();
  ASSERT_TRUE(status.scan);
  EXPECT_EQ(status.scan->scan_id, 6u);
  EXPECT_EQ(status.scan->state, "ended");
  EXPECT_EQ(status.scan->projections_received, 90u);
  EXPECT_EQ(status.scan->projections_missing, 0u);
  EXPECT_TRUE(fixture.subscriber().wait_event(event_of("reconstruction_finished", 6)));
  EXPECT_EQ(fixture.control().counter("scans_refused"), 1u);
  EXPECT_EQ(fixture.control().counter("scans_ended"), 1u);
  EXPECT_EQ(fixture.control().counter("projections_reconstructed"), 90u);
}

// --- scans_refused: every refused begin, wherever it is refused (a begin too large: the test above) ---

class ScansRefused : public ::testing::Test {
 protected:
  // Waits for the refusal's error event, then checks the counter moved by one (it moves before the event).
  void expect_refused_once(ErrorCode code) {
    ASSERT_TRUE(fixture.subscriber().wait_error(code)) << protocol::to_string(code);
    EXPECT_EQ(fixture.control().counter("scans_refused"), 1u) << protocol::to_string(code);
  }

  DaemonFixture fixture;
};

TEST_F(ScansRefused, ABeginWithAnInvalidGeometryAtIngest) {
  auto begin = sim::make_scan_begin(small_scan_spec(8));
  begin.rows = 0;
  fixture.sender().send(protocol::encode(begin));
  expect_refused_once(ErrorCode::invalid_geometry);
}

TEST_F(ScansRefused, ABeginWithAWrongFieldTypeAtIngest) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> packer(buffer);
  packer.pack_map(3);
  packer.pack("v"), packer.pack(1);
  packer.pack("type"), packer.pack("begin");
  packer.pack("scan_id"), packer.pack("nine");
  const auto* data = reinterpret_cast<const std::byte*>(buffer.data());
  fixture.sender().send(protocol::Bytes(data, data + buffer.size()));
  ASSERT_TRUE(fixture.subscriber().wait_event([](const protocol::Event& e) { return e.kind == "error"; }));
  EXPECT_EQ(fixture.control().counter("scans_refused"), 1u);
}

TEST_F(ScansRefused, ABeginWithAPayload) {
  const std::vector<std::uint16_t> surprise(4, 1);
  fixture.sender().send(protocol::encode(sim::make_scan_begin(small_scan_spec(9))), surprise);
  expect_refused_once(ErrorCode::unexpected_payload);
}

TEST_F(ScansRefused, ABeginOfThreeParts) {
  const protocol::Bytes begin = protocol::encode(sim::make_scan_begin(small_scan_spec(10)));
  fixture.sender().send_parts({begin, protocol::Bytes(4), protocol::Bytes(4)});
  expect_refused_once(ErrorCode::malformed_header);
}

TEST_F(ScansRefused, ABeginRepeatingTheActiveScanIdWithDifferentFields) {
  const sim::ScanSimulator scan(small_scan_spec(11));
  fixture.sender().send(protocol::encode(sim::make_scan_begin(scan.spec())));
  send_frames(fixture, scan, 0, 10);
  auto changed = sim::make_scan_begin(scan.spec());
  changed.name = "another name";
  fixture.sender().send(protocol::encode(changed));
  expect_refused_once(ErrorCode::invalid_geometry);
  // The active scan goes on.
  send_frames(fixture, scan, 10, scan.frame_count());
  fixture.sender().send(protocol::encode(sim::make_scan_end(scan.spec())));
  const auto ended = fixture.subscriber().wait_event(event_of("scan_ended", 11));
  ASSERT_TRUE(ended);
  EXPECT_NE(ended->message.find("0 missing"), std::string::npos) << ended->message;
}

TEST_F(ScansRefused, RefusedFramesAndEndsAreNotRefusedScans) {
  const sim::ScanSimulator scan(small_scan_spec(13));
  fixture.sender().send(protocol::encode(scan.header(0)), scan.render(0));  // before any begin
  ASSERT_TRUE(fixture.subscriber().wait_error(ErrorCode::no_active_scan));
  fixture.sender().send_parts({protocol::encode(sim::make_scan_end(scan.spec())), protocol::Bytes(4)});
  ASSERT_TRUE(fixture.subscriber().wait_error(ErrorCode::unexpected_payload));
  fixture.sender().send(protocol::Bytes{std::byte{0xc1}});  // not msgpack
  ASSERT_TRUE(fixture.subscriber().wait_error(ErrorCode::malformed_header));
  EXPECT_EQ(fixture.control().counter("scans_refused"), 0u);
  expect_scan_reconstructs(fixture, 14);
  EXPECT_EQ(fixture.control().counter("scans_refused"), 0u);
}

}  // namespace
}  // namespace tomolive::testing
