// Good-path behaviour of a running daemon: status, recompute on center and slice changes (Q3 through the daemon),
// get_slice, continuous rotation with a sliding window.
#include <cmath>
#include <map>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_harness.hpp"
#include "io_thread_probe.hpp"

namespace tomolive::testing {
namespace {

float max_abs_difference(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  float worst = 0.f;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst;
}

float max_abs(const std::vector<float>& a) {
  float peak = 0.f;
  for (const float v : a) peak = std::max(peak, std::abs(v));
  return peak;
}

std::vector<float> get_slice(DaemonFixture& fixture, protocol::SliceKind kind, protocol::SliceUpdate* header = nullptr) {
  std::vector<float> values;
  const auto reply = fixture.control().request(protocol::GetSlice{kind}, &values);
  EXPECT_TRUE(reply.ok()) << (reply.error ? reply.error->message : "");
  if (header) {
    if (const auto* h = std::get_if<protocol::SliceUpdate>(&reply.result)) *header = *h;
  }
  return values;
}

TEST(DaemonScan, StatusDescribesTheFinishedScan) {
  DaemonFixture fixture;
  expect_scan_reconstructs(fixture, 1);
  const protocol::Status status = fixture.control().status();
  EXPECT_EQ(status.engine, "cpu");
  ASSERT_TRUE(status.scan);
  EXPECT_EQ(status.scan->scan_id, 1u);
  EXPECT_EQ(status.scan->state, "ended");
  EXPECT_EQ(status.scan->projections_received, 90u);
  EXPECT_EQ(status.scan->projections_expected, 90u);
  EXPECT_EQ(status.scan->projections_missing, 0u);
  EXPECT_EQ(status.scan->darks_received, 2u);
  EXPECT_EQ(status.scan->flats_received, 2u);
  EXPECT_DOUBLE_EQ(status.scan->center_offset_px, 0.75);
  EXPECT_DOUBLE_EQ(status.scan->center_column_px, 31.5 + 0.75);
  EXPECT_EQ(status.scan->xy_row, 4u);
  EXPECT_GT(status.scan->memory.store_bytes, 90u * 8 * 64 * 4 - 1);
  EXPECT_GE(status.scan->memory.available_bytes, status.scan->memory.total_bytes);
  EXPECT_EQ(fixture.control().counter("rejected"), 0u);
  EXPECT_EQ(fixture.control().counter("projections_reconstructed"), 90u);
  EXPECT_GT(fixture.control().counter("publish_latency_samples"), 0u);
  EXPECT_GE(fixture.control().counter("publish_latency_p99_us"), fixture.control().counter("publish_latency_p50_us"));
}

TEST(DaemonScan, SetCenterRecomputesAndTheSameCenterReproducesTheIncrementalSlices) {
  DaemonFixture fixture;
  expect_scan_reconstructs(fixture, 2);
  const auto incremental = get_slice(fixture, protocol::SliceKind::xy);

  const auto same = fixture.control().request(protocol::SetCenter{0.75, std::nullopt});
  ASSERT_TRUE(same.ok());
  const auto recomputed = get_slice(fixture, protocol::SliceKind::xy);
  EXPECT_LE(max_abs_difference(incremental, recomputed), 1e-4f * max_abs(incremental)) << "Q3 through the daemon";

  const auto moved = fixture.control().request(protocol::SetCenter{std::nullopt, 31.5 + 3.0});
  ASSERT_TRUE(moved.ok());
  const auto& result = std::get<protocol::CenterResult>(moved.result);
  EXPECT_DOUBLE_EQ(result.center_offset_px, 3.0);
  EXPECT_DOUBLE_EQ(result.center_column_px, 34.5);
  EXPECT_GE(result.recompute_ms, 0.0);
  protocol::SliceUpdate header;
  const auto off_center = get_slice(fixture, protocol::SliceKind::xy, &header);
  EXPECT_DOUBLE_EQ(header.center_offset_px, 3.0);
  EXPECT_GT(max_abs_difference(incremental, off_center), 0.1f * max_abs(incremental))
      << "a 2.25 px center error must visibly change the slice";
  const auto published = fixture.subscriber().wait_slice(
      protocol::SliceKind::xy, [](const protocol::SliceUpdate& h) { return h.center_offset_px == 3.0; });
  ASSERT_TRUE(published) << "the recomputed slice was not published";
  EXPECT_EQ(published->values, off_center);
}

TEST(DaemonScan, SetSlicesMovesOnlyWhatWasAskedAndGetSliceReturnsIt) {
  DaemonFixture fixture;
  expect_scan_reconstructs(fixture, 3);
  const auto xz_before = get_slice(fixture, protocol::SliceKind::xz);
  const auto yz_before = get_slice(fixture, protocol::SliceKind::yz);
  protocol::SetSlices move;
  move.xz_y_px = 10.0;
  const auto reply = fixture.control().request(move);
  ASSERT_TRUE(reply.ok());
  const auto& result = std::get<protocol::SlicesResult>(reply.result);
  EXPECT_DOUBLE_EQ(result.xz_y_px, 10.0);
  EXPECT_DOUBLE_EQ(result.yz_x_px, 0.0);
  protocol::SliceUpdate header;
  const auto xz_after = get_slice(fixture, protocol::SliceKind::xz, &header);
  EXPECT_DOUBLE_EQ(header.position, 10.0);
  EXPECT_EQ(header.rows, 8u);
  EXPECT_EQ(header.cols, 64u);
  EXPECT_GT(max_abs_difference(xz_before, xz_after), 0.05f * max_abs(xz_before));
  EXPECT_EQ(get_slice(fixture, protocol::SliceKind::yz), yz_before);
}

TEST(DaemonScan, ContinuousRotationKeepsTheNewestTurn) {
  DaemonFixture fixture;
  sim::ScanSpec spec = small_scan_spec(4);
  spec.projections_per_turn = 60;
  spec.turns = 3;
  expect_scan_reconstructs(fixture, spec);  // compares with an engine whose window slots were replaced in turn
  const auto status = fixture.control().status();
  ASSERT_TRUE(status.scan);
  EXPECT_EQ(status.scan->window, 60u);
  EXPECT_EQ(status.scan->projections_received, 180u);
}

// Sends `scan` over `streams` (streams[0] the fixture's sender) as a detector with several data sockets does: stream 0
// its begin, darks and flats; once the daemon has the flats (polled for up to 30 s), every other stream its begin, and
// each stream the projections whose id modulo streams.size() is its index. The ends are left to the caller. Returns
// whether the flats arrived in time.
bool send_over_streams(DaemonFixture& fixture, const sim::ScanSimulator& scan, std::span<DataSender* const> streams) {
  const sim::ScanSpec& spec = scan.spec();
  const auto begin = protocol::encode(sim::make_scan_begin(spec));
  streams[0]->send(begin);
  const std::size_t references = spec.num_darks + spec.num_flats;
  for (std::size_t i = 0; i < references; ++i) streams[0]->send(protocol::encode(scan.header(i)), scan.render(i));
  for (int attempt = 0; attempt < 3000 && fixture.control().counter("flats_accepted") < spec.num_flats; ++attempt) {
    std::this_thread::sleep_for(10ms);
  }
  const bool flats_in = fixture.control().counter("flats_accepted") == spec.num_flats;
  for (std::size_t k = 1; k < streams.size(); ++k) streams[k]->send(begin);
  for (std::size_t i = references; i < scan.frame_count(); ++i) {
    streams[scan.frame_at(i).frame_id % streams.size()]->send(protocol::encode(scan.header(i)), scan.render(i));
  }
  return flats_in;
}

TEST(DaemonScan, AScanArrivesOnSeveralStreams) {
  daemon::DaemonConfig config = test_config();
  config.data_endpoints = {"tcp://127.0.0.1:*", "tcp://127.0.0.1:*"};
  config.zmq_io_threads = 2;  // each socket on its own I/O thread (ZmqIngest::Options::io_thread)
  DaemonFixture fixture(config);
  DataSender second(fixture.context(), fixture.daemon().data_endpoints().at(1));
  sim::ScanSpec spec = small_scan_spec(5);
  spec.streams = 2;
  const sim::ScanSimulator scan(spec);
  DataSender* const streams[] = {&fixture.sender(), &second};
  send_over_streams(fixture, scan, streams);
  const auto end = protocol::encode(sim::make_scan_end(spec));
  fixture.sender().send(end);
  std::this_thread::sleep_for(100ms);
  const auto status = fixture.control().status();
  ASSERT_TRUE(status.scan);
  EXPECT_EQ(status.scan->state, "receiving") << "one end of two must not end the scan";
  second.send(end);
  expect_slices_match_reference(fixture, scan);
  EXPECT_EQ(fixture.control().counter("rejected"), 0u);
  EXPECT_EQ(fixture.control().counter("projections_reconstructed"), 90u);
}

TEST(DaemonScan, ThreeDataSocketsGetAnIoThreadEachByDefaultAndReceiveAScan) {
  daemon::DaemonConfig config = test_config();
  config.data_endpoints = {"tcp://127.0.0.1:*", "tcp://127.0.0.1:*", "tcp://127.0.0.1:*"};
  ASSERT_EQ(config.zmq_io_threads, 0) << "no explicit --zmq-io-threads";
  DaemonFixture fixture(config);
  const std::vector<std::string> endpoints = fixture.daemon().data_endpoints();
  ASSERT_EQ(endpoints.size(), 3u);
  DataSender second(fixture.context(), endpoints.at(1));
  DataSender third(fixture.context(), endpoints.at(2));
  sim::ScanSpec spec = small_scan_spec(9);
  spec.streams = 3;
  const sim::ScanSimulator scan(spec);
  DataSender* const streams[] = {&fixture.sender(), &second, &third};
  ASSERT_TRUE(send_over_streams(fixture, scan, streams)) << "the flats did not arrive";
  const auto end = protocol::encode(sim::make_scan_end(spec));
  for (DataSender* stream : streams) stream->send(end);
  expect_slices_match_reference(fixture, scan);
  EXPECT_EQ(fixture.control().counter("rejected"), 0u);
  EXPECT_EQ(fixture.control().counter("projections_reconstructed"), 90u);

  // The daemon's end of each data connection (its local port is the bound one) is polled by an I/O thread of its own.
  std::set<int> ports;
  for (const std::string& endpoint : endpoints) ports.insert(endpoint_port(endpoint));
  const std::map<int, std::set<int>> epolls = epolls_by_port(ports, ConnectionEnd::local);
  ASSERT_EQ(epolls.size(), 3u) << "each data connection is polled by an I/O thread";
  std::set<int> io_threads;
  for (const auto& [port, polling] : epolls) {
    ASSERT_EQ(polling.size(), 1u) << "port " << port;
    io_threads.insert(*polling.begin());
  }
  EXPECT_EQ(io_threads.size(), 3u) << "every data socket has an I/O thread of its own";
}

TEST(DaemonScan, IngestCopiesIntoEngineBuffersLoseNothing) {
  daemon::DaemonConfig config = test_config();
  config.ingest_copy = daemon::DaemonConfig::IngestCopy::on;
  config.queue_capacity = 4;  // fewer buffers than frames: they must be reused
  DaemonFixture fixture(config);
  expect_scan_reconstructs(fixture, 7);
  expect_scan_reconstructs(fixture, 8);
  EXPECT_EQ(fixture.control().counter("rejected"), 0u);
}

TEST(DaemonScan, ARepeatedBeginWithOtherFieldsIsRefused) {
  DaemonFixture fixture;
  sim::ScanSpec spec = small_scan_spec(6);
  spec.streams = 2;
  fixture.sender().send(protocol::encode(sim::make_scan_begin(spec)));
  auto different = sim::make_scan_begin(spec);
  different.num_projections = 91;
  fixture.sender().send(protocol::encode(different));
  const auto error = fixture.subscriber().wait_error(protocol::ErrorCode::invalid_geometry);
  ASSERT_TRUE(error);
  EXPECT_NE(error->message.find("different fields"), std::string::npos) << error->message;
}

}  // namespace
}  // namespace tomolive::testing
