// render_metrics as a pure unit: a get_status answer and histograms in, a valid exposition out (checked by the
// strict reader in prometheus_text), with the values of the status under Prometheus names.
#include "tomolive/daemon/metrics_exposition.hpp"

#include <fstream>
#include <regex>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "prometheus_text.hpp"
#include "tomolive/daemon/counters.hpp"
#include "tomolive/daemon/duration_histogram.hpp"

namespace tomolive::daemon {
namespace {

using testing::Exposition;
using testing::parse_exposition;

MetricsSnapshot snapshot_of(const DaemonCounters& counters, const std::string& engine) {
  MetricsSnapshot snapshot;
  snapshot.status.version = "1.2.3";
  snapshot.status.engine = engine;
  snapshot.status.uptime_s = 12.5;
  snapshot.status.counters = counters.totals();
  snapshot.status.counters.emplace_back("queue_depth", 3);
  snapshot.status.counters.emplace_back("queue_capacity", 64);
  snapshot.status.counters.emplace_back("publish_latency_p99_us", 1234);
  snapshot.status.rejected_by_reason = counters.rejections();
  protocol::DataSocketStatus socket;
  socket.endpoint = "tcp://127.0.0.1:5555";
  socket.rejected = 2;
  socket.handshake_failures = 5;
  snapshot.status.data_sockets.push_back(socket);
  snapshot.socket_formats.push_back({socket.endpoint, "native", 10, 1000, 8});
  snapshot.socket_formats.push_back({socket.endpoint, "dectris2", 1, 50, 0});
  protocol::ScanStatus scan;
  scan.scan_id = 77;
  scan.memory.device = "NVIDIA H100 80GB HBM3";
  scan.memory.total_bytes = 3000;
  scan.memory.available_bytes = 10000;
  snapshot.status.scan = scan;
  // Histograms with their buckets and no samples, as a daemon that has measured nothing yet has them.
  snapshot.publish_latency = DurationHistogram(DurationHistogram::latency_bounds_s()).snapshot();
  snapshot.viewer_latency = DurationHistogram(DurationHistogram::latency_bounds_s()).snapshot();
  const EngineStageTimes stages;
  for (std::size_t i = 0; i < kEngineStageCount; ++i) {
    snapshot.engine_stages.push_back({static_cast<EngineStage>(i), stages.histogram(static_cast<EngineStage>(i))});
  }
  return snapshot;
}

TEST(MetricsExposition, EveryCounterOfGetStatusIsExposedWithItsValue) {
  DaemonCounters counters;
  bump(counters.projections_accepted, 90);
  bump(counters.bytes_received, 123456);
  bump(counters.queue_dropped, 4);
  bump(counters.volumes_finished, 2);
  bump(counters.recordings_completed, 1);
  bump(counters.zmq_handshake_failures, 7);
  counters.count_rejection(protocol::ErrorCode::duplicate_frame);
  counters.count_rejection(protocol::ErrorCode::duplicate_frame);
  counters.count_rejection(protocol::ErrorCode::shape_mismatch);
  const Exposition metrics = parse_exposition(render_metrics(snapshot_of(counters, "cpu")));

  EXPECT_EQ(metrics.value("tomolive_projections_accepted_total"), 90.0);
  EXPECT_EQ(metrics.value("tomolive_data_received_bytes_total"), 123456.0);
  EXPECT_EQ(metrics.value("tomolive_queue_dropped_frames_total"), 4.0);
  EXPECT_EQ(metrics.value("tomolive_volumes_finished_total"), 2.0);
  EXPECT_EQ(metrics.value("tomolive_recordings_completed_total"), 1.0);
  EXPECT_EQ(metrics.value("tomolive_zmq_handshake_failures_total"), 7.0);
  EXPECT_EQ(metrics.value("tomolive_rejected_total", {{"reason", "duplicate_frame"}}), 2.0);
  EXPECT_EQ(metrics.value("tomolive_rejected_total", {{"reason", "shape_mismatch"}}), 1.0);
  EXPECT_EQ(metrics.value("tomolive_rejected_total", {{"reason", "queue_full"}}), 0.0);  // every reason, zeros too
  EXPECT_EQ(metrics.families.at("tomolive_rejected_total").samples.size(), protocol::kErrorCodeCount);
  EXPECT_EQ(metrics.value("tomolive_queue_depth"), 3.0);
  EXPECT_EQ(metrics.families.at("tomolive_queue_depth").type, "gauge");
  EXPECT_EQ(metrics.value("tomolive_uptime_seconds"), 12.5);
  EXPECT_EQ(metrics.value("tomolive_build_info", {{"version", "1.2.3"}, {"engine", "cpu"}}), 1.0);
  EXPECT_EQ(metrics.value("tomolive_scan_id"), 77.0);

  // Each get_status counter is one counter family (the percentiles and "rejected" excepted: histograms and the
  // reason family carry them), named by the conventions: tomolive_ prefix, _total, bytes as _bytes_total.
  std::size_t counter_families = 0;
  for (const auto& [name, family] : metrics.families) {
    EXPECT_TRUE(name.starts_with("tomolive_")) << name;
    if (family.type != "counter") continue;
    ++counter_families;
    EXPECT_TRUE(name.ends_with("_total")) << name;
    EXPECT_EQ(name.find("bytes_received"), std::string::npos) << name << ": the unit goes before _total";
  }
  // From totals(): all but "rejected" (the reason family) and ws_queued_bytes_peak (a gauge). Besides them: the
  // reason family and the data sockets' messages, bytes, frames, rejections and failed handshakes.
  const std::size_t status_counters = counters.totals().size() - 2;
  EXPECT_EQ(counter_families, status_counters + 6);
  EXPECT_FALSE(metrics.has("tomolive_publish_latency_p99_us_total"));
}

TEST(MetricsExposition, DataSocketsAreLabelledBySocketAndFormat) {
  DaemonCounters counters;
  const Exposition metrics = parse_exposition(render_metrics(snapshot_of(counters, "cpu")));
  const testing::MetricLabels native{{"socket", "tcp://127.0.0.1:5555"}, {"format", "native"}};
  const testing::MetricLabels dectris{{"socket", "tcp://127.0.0.1:5555"}, {"format", "dectris2"}};
  EXPECT_EQ(metrics.value("tomolive_data_socket_received_bytes_total", native), 1000.0);
  EXPECT_EQ(metrics.value("tomolive_data_socket_frames_total", native), 8.0);
  EXPECT_EQ(metrics.value("tomolive_data_socket_messages_total", dectris), 1.0);
  EXPECT_EQ(metrics.value("tomolive_data_socket_rejected_total", {{"socket", "tcp://127.0.0.1:5555"}}), 2.0);
  EXPECT_EQ(metrics.value("tomolive_data_socket_handshake_failures_total", {{"socket", "tcp://127.0.0.1:5555"}}),
            5.0);
}

TEST(MetricsExposition, HistogramsAreCumulativeInSecondsWithTheirStageLabels) {
  DaemonCounters counters;
  MetricsSnapshot snapshot = snapshot_of(counters, "cpu");
  DurationHistogram latency(DurationHistogram::latency_bounds_s());
  for (const double s : {0.0005, 0.004, 0.004, 0.018, 3.0, 60.0}) latency.observe(s);
  snapshot.publish_latency = latency.snapshot();
  EngineStageTimes stages;
  stages.observe(EngineStage::projection, 2e-4);
  stages.observe(EngineStage::projection, 3e-4);
  stages.observe(EngineStage::volume, 2.0);
  snapshot.engine_stages.clear();
  for (std::size_t i = 0; i < kEngineStageCount; ++i) {
    snapshot.engine_stages.push_back({static_cast<EngineStage>(i), stages.histogram(static_cast<EngineStage>(i))});
  }
  const Exposition metrics = parse_exposition(render_metrics(snapshot));  // checks cumulative, +Inf == _count

  EXPECT_EQ(metrics.value("tomolive_publish_latency_seconds_count"), 6.0);
  EXPECT_NEAR(metrics.value("tomolive_publish_latency_seconds_sum"), 63.0265, 1e-9);
  EXPECT_EQ(metrics.value("tomolive_publish_latency_seconds_bucket", {{"le", "0.001"}}), 1.0);
  EXPECT_EQ(metrics.value("tomolive_publish_latency_seconds_bucket", {{"le", "0.005"}}), 3.0);
  EXPECT_EQ(metrics.value("tomolive_publish_latency_seconds_bucket", {{"le", "0.02"}}), 4.0);
  EXPECT_EQ(metrics.value("tomolive_publish_latency_seconds_bucket", {{"le", "10"}}), 5.0);
  EXPECT_EQ(metrics.value("tomolive_publish_latency_seconds_bucket", {{"le", "+Inf"}}), 6.0);
  EXPECT_EQ(metrics.value("tomolive_viewer_latency_seconds_count"), 0.0);
  EXPECT_EQ(metrics.value("tomolive_engine_stage_seconds_count", {{"stage", "projection"}}), 2.0);
  EXPECT_EQ(metrics.value("tomolive_engine_stage_seconds_count", {{"stage", "volume"}}), 1.0);
  EXPECT_EQ(metrics.value("tomolive_engine_stage_seconds_count", {{"stage", "refilter"}}), 0.0);
}

TEST(MetricsExposition, GpuMemoryIsExposedByTheCudaEngineOnlyFromItsMemoryPlan) {
  DaemonCounters counters;
  const Exposition cpu = parse_exposition(render_metrics(snapshot_of(counters, "cpu")));
  EXPECT_FALSE(cpu.has("tomolive_gpu_memory_used_bytes"));
  EXPECT_FALSE(cpu.has("tomolive_gpu_memory_free_bytes"));
  const Exposition cuda = parse_exposition(render_metrics(snapshot_of(counters, "cuda")));
  const testing::MetricLabels device{{"device", "NVIDIA H100 80GB HBM3"}};
  EXPECT_EQ(cuda.value("tomolive_gpu_memory_used_bytes", device), 3000.0);
  EXPECT_EQ(cuda.value("tomolive_gpu_memory_free_bytes", device), 7000.0);
  EXPECT_EQ(cuda.families.at("tomolive_gpu_memory_used_bytes").type, "gauge");
}

TEST(MetricsExposition, GpuMemoryOfAnEngineOverSeveralDevicesIsExposedPerDevice) {
  DaemonCounters counters;
  MetricsSnapshot snapshot = snapshot_of(counters, "cuda");
  protocol::MemoryPlan& memory = snapshot.status.scan->memory;
  for (const int device : {0, 1}) {
    protocol::MemoryPlan slab;
    slab.device = "cuda:" + std::to_string(device) + " NVIDIA H100 80GB HBM3";
    slab.total_bytes = 1000 + 500 * static_cast<std::uint64_t>(device);
    slab.available_bytes = 5000;
    memory.slabs.push_back(slab);
  }
  const Exposition cuda = parse_exposition(render_metrics(snapshot));
  EXPECT_EQ(cuda.value("tomolive_gpu_memory_used_bytes", {{"device", "cuda:0 NVIDIA H100 80GB HBM3"}}), 1000.0);
  EXPECT_EQ(cuda.value("tomolive_gpu_memory_used_bytes", {{"device", "cuda:1 NVIDIA H100 80GB HBM3"}}), 1500.0);
  EXPECT_EQ(cuda.value("tomolive_gpu_memory_free_bytes", {{"device", "cuda:1 NVIDIA H100 80GB HBM3"}}), 3500.0);
  EXPECT_EQ(cuda.families.at("tomolive_gpu_memory_used_bytes").samples.size(), 2u)
      << "one sample per slab's device, none for the sums";
}

// Every PromQL expression of the dashboard (panels' targets, the templating queries), wherever it is nested.
void collect_queries(const nlohmann::json& node, std::vector<std::string>& queries) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if ((key == "expr" || key == "definition") && value.is_string()) queries.push_back(value.get<std::string>());
      collect_queries(value, queries);
    }
  } else if (node.is_array()) {
    for (const auto& item : node) collect_queries(item, queries);
  }
}

TEST(GrafanaDashboard, EverySeriesItUsesIsExposed) {
  std::ifstream file(TOMOLIVE_GRAFANA_DASHBOARD);
  ASSERT_TRUE(file) << TOMOLIVE_GRAFANA_DASHBOARD;
  const nlohmann::json dashboard = nlohmann::json::parse(file);
  std::vector<std::string> queries;
  collect_queries(dashboard, queries);
  ASSERT_FALSE(queries.empty());

  // Everything a daemon can expose: the CUDA engine (GPU memory) with every histogram.
  DaemonCounters counters;
  const Exposition metrics = parse_exposition(render_metrics(snapshot_of(counters, "cuda")));
  const std::regex series("tomolive_[a-zA-Z0-9_]+");
  std::set<std::string> used;
  for (const std::string& query : queries) {
    for (auto it = std::sregex_iterator(query.begin(), query.end(), series); it != std::sregex_iterator(); ++it) {
      const std::string name = it->str();
      EXPECT_FALSE(metrics.family_of(name).empty()) << name << " (in " << query << ") is not exposed";
      used.insert(metrics.family_of(name));
    }
  }
  // The views the dashboard exists for.
  for (const char* family : {"tomolive_data_socket_frames_total", "tomolive_data_socket_received_bytes_total",
                             "tomolive_rejected_total", "tomolive_queue_depth", "tomolive_publish_latency_seconds",
                             "tomolive_viewer_latency_seconds", "tomolive_gpu_memory_used_bytes",
                             "tomolive_gpu_memory_free_bytes"}) {
    EXPECT_EQ(used.count(family), 1u) << family << " is not on the dashboard";
  }
}

}  // namespace
}  // namespace tomolive::daemon
