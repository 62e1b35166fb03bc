// GET /metrics on a running daemon (PROTOCOL.md 14.5): scraped during a scan, the exposition is valid (the strict
// reader of prometheus_text) and its values agree with get_status; it needs no token and keeps the Host rule.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include <boost/beast/http/verb.hpp>

#include "daemon_harness.hpp"
#include "http_client.hpp"
#include "prometheus_text.hpp"
#include "tomolive/daemon/metrics_exposition.hpp"

namespace tomolive::testing {
namespace {

using boost::beast::http::verb;

std::uint64_t status_counter(const protocol::Status& status, const std::string& name) {
  for (const auto& [counter, value] : status.counters) {
    if (counter == name) return value;
  }
  ADD_FAILURE() << "get_status has no counter " << name;
  return 0;
}

TEST(DaemonMetrics, AScrapeDuringAScanAgreesWithGetStatus) {
  DaemonFixture fixture;
  const std::uint16_t port = http_port(fixture.daemon());
  // One refused message, then a scan without its end (it is still receiving when scraped).
  fixture.sender().send_parts({{std::byte{0x01}, std::byte{0x02}}});
  ASSERT_TRUE(fixture.subscriber().wait_event([](const protocol::Event& event) { return event.kind == "error"; }));
  const sim::ScanSpec spec = small_scan_spec(41);
  const sim::ScanSimulator scan(spec);
  fixture.sender().send(protocol::encode(sim::make_scan_begin(spec)));
  std::vector<std::uint16_t> pixels(scan.frame_pixels());
  for (std::size_t i = 0; i < scan.frame_count(); ++i) {
    scan.render(i, pixels);
    fixture.sender().send(protocol::encode(scan.header(i)), pixels);
  }
  ASSERT_TRUE(fixture.subscriber().wait_event(
      [](const protocol::Event& event) { return event.kind == "reconstruction_finished"; }));
  ASSERT_TRUE(fixture.subscriber().wait_slice(protocol::SliceKind::xy, [&](const protocol::SliceUpdate& slice) {
    return slice.scan_id == spec.scan_id && slice.projections_included == spec.num_projections();
  }));
  // The publisher measures T4 once the last of a snapshot's three slices has gone out.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (status_counter(fixture.control().status(), "publish_latency_samples") == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }

  const HttpAnswer answer = http_request(port, verb::get, "/metrics");
  const protocol::Status status = fixture.control().status();
  ASSERT_EQ(answer.status, 200u);
  EXPECT_EQ(answer.content_type, daemon::kMetricsContentType);
  const Exposition metrics = parse_exposition(answer.body);
  ASSERT_TRUE(status.scan);
  EXPECT_EQ(status.scan->state, "receiving");

  for (const auto& [name, status_name] : std::vector<std::pair<std::string, std::string>>{
           {"tomolive_projections_accepted_total", "projections_accepted"},
           {"tomolive_projections_reconstructed_total", "projections_reconstructed"},
           {"tomolive_darks_accepted_total", "darks_accepted"},
           {"tomolive_flats_accepted_total", "flats_accepted"},
           {"tomolive_data_messages_total", "messages_received"},
           {"tomolive_data_received_bytes_total", "bytes_received"},
           {"tomolive_scans_begun_total", "scans_begun"},
           {"tomolive_queue_dropped_frames_total", "queue_dropped"},
           {"tomolive_volumes_finished_total", "volumes_finished"},
           {"tomolive_recordings_completed_total", "recordings_completed"}}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(metrics.value(name), static_cast<double>(status_counter(status, status_name)));
  }
  EXPECT_EQ(metrics.value("tomolive_projections_accepted_total"), static_cast<double>(spec.num_projections()));
  ASSERT_EQ(status_counter(status, "rejected"), 1u);
  ASSERT_EQ(status.rejected_by_reason.size(), 1u);
  for (const auto& [reason, count] : status.rejected_by_reason) {
    EXPECT_EQ(metrics.value("tomolive_rejected_total", {{"reason", reason}}), static_cast<double>(count)) << reason;
  }
  EXPECT_EQ(metrics.value("tomolive_queue_depth"), static_cast<double>(status_counter(status, "queue_depth")));
  EXPECT_EQ(metrics.value("tomolive_scan_id"), static_cast<double>(spec.scan_id));
  EXPECT_EQ(metrics.value("tomolive_scan_projections_received"), static_cast<double>(spec.num_projections()));

  // Per socket and format: the native format carries everything this test sent; the sums are get_status's.
  ASSERT_EQ(status.data_sockets.size(), 1u);
  const protocol::DataSocketStatus& socket = status.data_sockets.front();
  const MetricLabels native{{"socket", socket.endpoint}, {"format", "native"}};
  EXPECT_EQ(metrics.value("tomolive_data_socket_received_bytes_total", native), static_cast<double>(socket.bytes));
  EXPECT_EQ(metrics.value("tomolive_data_socket_messages_total", native), static_cast<double>(socket.messages));
  EXPECT_EQ(metrics.value("tomolive_data_socket_frames_total", native), static_cast<double>(socket.frames));
  EXPECT_EQ(metrics.value("tomolive_data_socket_frames_total", {{"socket", socket.endpoint}, {"format", "dectris2"}}),
            0.0);
  EXPECT_EQ(metrics.value("tomolive_data_socket_rejected_total", {{"socket", socket.endpoint}}), 1.0);

  // The engine timed every projection; T4 was measured for the published slices; the CPU engine has no GPU.
  EXPECT_EQ(metrics.value("tomolive_engine_stage_seconds_count", {{"stage", "projection"}}),
            static_cast<double>(spec.num_projections()));
  EXPECT_EQ(metrics.value("tomolive_engine_stage_seconds_count", {{"stage", "reference"}}),
            static_cast<double>(spec.num_darks + spec.num_flats));
  EXPECT_GE(metrics.value("tomolive_publish_latency_seconds_count"), 1.0);
  EXPECT_EQ(metrics.value("tomolive_publish_latency_seconds_count"),
            static_cast<double>(status_counter(status, "publish_latency_samples")));
  EXPECT_FALSE(metrics.has("tomolive_gpu_memory_used_bytes"));

  const HttpAnswer head = http_request(port, verb::head, "/metrics");
  EXPECT_EQ(head.status, 200u);
  EXPECT_EQ(head.content_type, daemon::kMetricsContentType);
  EXPECT_GT(head.content_length, 0u);
  EXPECT_TRUE(head.body.empty());
}

TEST(DaemonMetrics, ScrapesNeedNoTokenAndKeepTheHostRuleOfTheViewerFiles) {
  daemon::DaemonConfig with_token = test_config();
  with_token.http_token = "secret";
  DaemonFixture guarded(with_token);
  EXPECT_EQ(http_request(http_port(guarded.daemon()), verb::get, "/metrics").status, 200u);

  DaemonFixture open;  // loopback, no token: only loopback Host names are served
  const std::uint16_t port = http_port(open.daemon());
  EXPECT_EQ(http_request(port, verb::get, "/metrics", "localhost:" + std::to_string(port)).status, 200u);
  EXPECT_EQ(http_request(port, verb::get, "/metrics", "rebound.example:" + std::to_string(port)).status, 403u);
  EXPECT_EQ(http_request(port, verb::post, "/metrics").status, 405u);
}

}  // namespace
}  // namespace tomolive::testing
