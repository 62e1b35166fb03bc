#include "tomolive/daemon/metrics_exposition.hpp"

#include <map>
#include <vector>
#include <sstream>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace tomolive::daemon {
namespace {

// How a get_status counter is exposed: its metric name and help text.
struct CounterMetric {
  std::string name;
  std::string help;
};

// The counters of DaemonCounters::totals(), by their get_status name. A counter missing here (one added later) is
// still exposed, as tomolive_<name>_total with a help text naming its get_status counter.
const std::map<std::string, CounterMetric, std::less<>>& counter_metrics() {
  static const std::map<std::string, CounterMetric, std::less<>> metrics{
      {"messages_received",
       {"tomolive_data_messages_total", "Data messages received (ZeroMQ and RDMA), valid or not."}},
      {"bytes_received", {"tomolive_data_received_bytes_total", "Bytes of data messages received, all parts."}},
      {"darks_accepted", {"tomolive_darks_accepted_total", "Dark frames accepted into a scan."}},
      {"flats_accepted", {"tomolive_flats_accepted_total", "Flat frames accepted into a scan."}},
      {"projections_accepted", {"tomolive_projections_accepted_total", "Projections accepted into a scan."}},
      {"projections_reconstructed",
       {"tomolive_projections_reconstructed_total", "Projections added to the reconstruction."}},
      {"frames_out_of_order",
       {"tomolive_frames_out_of_order_total", "Frames accepted with an id below the newest of their kind."}},
      {"projections_missing",
       {"tomolive_projections_missing_total", "Projection ids never received, counted when a scan ends."}},
      {"clamped_values", {"tomolive_clamped_values_total", "Pixels clamped when projections arrived (-log, phase)."}},
      {"zingers_replaced", {"tomolive_zingers_replaced_total", "Pixels the zinger filter replaced."}},
      {"refilters", {"tomolive_refilters_total", "Re-filters of a scan's store (set_processing, ring passes)."}},
      {"ring_passes", {"tomolive_ring_passes_total", "Automatic ring-removal passes."}},
      {"queue_full_waits", {"tomolive_queue_full_waits_total", "Times ingest waited for the engine (policy block)."}},
      {"queue_dropped",
       {"tomolive_queue_dropped_frames_total", "Frames dropped because the engine queue was full (drop_oldest)."}},
      {"frame_buffer_waits", {"tomolive_frame_buffer_waits_total", "Times ingest waited for a free frame buffer."}},
      {"masked_pixels_repaired",
       {"tomolive_masked_pixels_repaired_total", "Pixels of a detector pixel_mask interpolated."}},
      {"detector_images_skipped",
       {"tomolive_detector_images_skipped_total", "Detector images a scan plan leaves out."}},
      {"series_held", {"tomolive_series_held_total", "Detector series held for want of a scan plan."}},
      {"projections_awaited_references",
       {"tomolive_projections_awaited_references_total",
        "Projections of a scan on several streams held until its darks and flats arrived."}},
      {"unknown_keys_ignored",
       {"tomolive_unknown_keys_ignored_total", "Keys of detector messages this version does not read (ignored)."}},
      {"scans_begun", {"tomolive_scans_begun_total", "Scans begun."}},
      {"scans_ended", {"tomolive_scans_ended_total", "Scans ended."}},
      {"scans_refused", {"tomolive_scans_refused_total", "Scan begins refused."}},
      {"slices_published", {"tomolive_slices_published_total", "Slice versions published."}},
      {"events_published", {"tomolive_events_published_total", "Events published on the events socket."}},
      {"events_dropped", {"tomolive_events_dropped_total", "Events dropped by the event queue (oldest first)."}},
      {"control_requests", {"tomolive_control_requests_total", "Control commands received (ZeroMQ and WebSocket)."}},
      {"control_errors", {"tomolive_control_errors_total", "Control commands answered with an error."}},
      {"engine_errors", {"tomolive_engine_errors_total", "Engine calls that failed (EngineError)."}},
      {"engines_lost", {"tomolive_engines_lost_total", "Engines lost and rebuilt."}},
      {"slabs_lost",
       {"tomolive_slabs_lost_total", "Slabs of detector rows whose engine (one of several devices) was lost."}},
      {"commands_cancelled",
       {"tomolive_commands_cancelled_total", "Control commands cancelled when their time budget passed."}},
      {"commands_overran",
       {"tomolive_commands_overran_total", "Control commands still running when their time budget passed."}},
      {"slices_non_finite", {"tomolive_slices_non_finite_total", "Slice versions with non-finite values."}},
      {"volumes_started", {"tomolive_volumes_started_total", "Full volumes started."}},
      {"volumes_finished", {"tomolive_volumes_finished_total", "Full volumes written completely."}},
      {"volumes_failed", {"tomolive_volumes_failed_total", "Full volumes that failed (disk or engine)."}},
      {"volumes_cancelled", {"tomolive_volumes_cancelled_total", "Full volumes cancelled."}},
      {"volume_bytes_written", {"tomolive_volume_written_bytes_total", "Bytes written to volume files."}},
      {"zmq_auth_accepted", {"tomolive_zmq_auth_accepted_total", "ZeroMQ CURVE connections allowed."}},
      {"zmq_auth_denied", {"tomolive_zmq_auth_denied_total", "ZeroMQ CURVE connections refused."}},
      {"zmq_handshake_failures",
       {"tomolive_zmq_handshake_failures_total",
        "ZeroMQ handshakes of the data sockets that failed (other CURVE keys, a refusal), all sockets."}},
      {"http_requests", {"tomolive_http_requests_total", "HTTP requests read (files, /metrics, upgrades)."}},
      {"http_refused", {"tomolive_http_refused_total", "HTTP requests answered with a 4xx refusal."}},
      {"http_connections_refused",
       {"tomolive_http_connections_refused_total", "HTTP connections answered 503 (--http-max-connections)."}},
      {"ws_connections", {"tomolive_ws_connections_total", "WebSocket upgrades accepted."}},
      {"ws_errors", {"tomolive_ws_errors_total", "WebSocket messages refused."}},
      {"ws_slices_sent", {"tomolive_ws_slices_sent_total", "Slices sent to browsers."}},
      {"ws_slices_superseded",
       {"tomolive_ws_slices_superseded_total", "Slice versions a browser never got because a newer one replaced it."}},
      {"ws_events_dropped",
       {"tomolive_ws_events_dropped_total", "Events beyond a slow browser's queue (oldest dropped)."}},
      {"ws_bytes_sent", {"tomolive_ws_sent_bytes_total", "Bytes sent to browsers over WebSocket."}},
      {"rdma_connections", {"tomolive_rdma_connections_total", "RDMA sender connections accepted."}},
      {"rdma_connections_refused",
       {"tomolive_rdma_connections_refused_total", "RDMA sender connections refused at connect."}},
      {"rdma_connection_errors",
       {"tomolive_rdma_connection_errors_total", "RDMA connections ended by an error."}},
      {"rdma_senders_lost", {"tomolive_rdma_senders_lost_total", "RDMA senders gone during a scan."}},
      {"recordings_started", {"tomolive_recordings_started_total", "Recordings of the raw stream begun."}},
      {"recordings_completed", {"tomolive_recordings_completed_total", "Recordings renamed complete."}},
      {"recordings_stopped",
       {"tomolive_recordings_stopped_total", "Recordings stopped early (disk error, queue overrun, scan cut off)."}},
      {"recording_frames_written", {"tomolive_recording_frames_written_total", "Frames written to recordings."}},
      {"recording_bytes_written",
       {"tomolive_recording_written_bytes_total", "Frame bytes written to recordings (compressed size for bslz4)."}},
      {"recording_frames_dropped",
       {"tomolive_recording_frames_dropped_total", "Frames of recorded scans that will not be in their file."}},
      {"recording_queue_full_waits",
       {"tomolive_recording_queue_full_waits_total", "Waits of the engine thread for the recording writer."}},
      {"recording_frames_compressed",
       {"tomolive_recording_frames_compressed_total",
        "Frames of bslz4 recordings that arrived otherwise and were compressed by the writer."}},
      {"captures_started", {"tomolive_captures_started_total", "Triggered captures started."}},
      {"captures_completed", {"tomolive_captures_completed_total", "Triggered captures completed."}},
      {"captures_failed", {"tomolive_captures_failed_total", "Triggered captures failed."}},
      {"capture_frames_written", {"tomolive_capture_frames_written_total", "Frames written by captures."}},
  };
  return metrics;
}

// get_status counters that are gauges (a value now, not a total), by their get_status name.
const std::map<std::string, CounterMetric, std::less<>>& gauge_metrics() {
  static const std::map<std::string, CounterMetric, std::less<>> metrics{
      {"queue_depth", {"tomolive_queue_depth", "Items waiting in the engine queue now."}},
      {"queue_capacity", {"tomolive_queue_capacity", "Items the engine queue holds at most."}},
      {"ws_clients", {"tomolive_ws_clients", "Browsers connected over WebSocket now."}},
      {"ws_queued_bytes_peak",
       {"tomolive_ws_queued_peak_bytes", "The most bytes one browser's send queue held at once since start."}},
  };
  return metrics;
}

// get_status counters exposed in another form: the latency percentiles of the current scan's newest samples (by
// the histograms) and "rejected" (by tomolive_rejected_total{reason}, whose sum it is).
bool exposed_otherwise(std::string_view name) {
  return name.starts_with("publish_latency_") || name.starts_with("viewer_latency_") || name == "rejected";
}

void add_counter(prometheus::Registry& registry, const std::string& name, const std::string& help, double value) {
  prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add({}).Increment(value);
}

void add_gauge(prometheus::Registry& registry, const std::string& name, const std::string& help, double value,
               const prometheus::Labels& labels = {}) {
  prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add(labels).Set(value);
}

void add_status_counters(prometheus::Registry& registry, const protocol::Status& status) {
  for (const auto& [name, value] : status.counters) {
    if (exposed_otherwise(name)) continue;
    const auto value_d = static_cast<double>(value);
    if (const auto gauge = gauge_metrics().find(name); gauge != gauge_metrics().end()) {
      add_gauge(registry, gauge->second.name, gauge->second.help, value_d);
    } else if (const auto counter = counter_metrics().find(name); counter != counter_metrics().end()) {
      add_counter(registry, counter->second.name, counter->second.help, value_d);
    } else {
      add_counter(registry, "tomolive_" + name + "_total", "The get_status counter " + name + ".", value_d);
    }
  }
}

void add_rejections(prometheus::Registry& registry, const protocol::Status& status) {
  auto& family = prometheus::BuildCounter()
                     .Name("tomolive_rejected_total")
                     .Help("Data messages, frames and scan begins refused, by reason (the error code).")
                     .Register(registry);
  for (std::size_t i = 0; i < protocol::kErrorCodeCount; ++i) {
    const std::string reason(protocol::to_string(static_cast<protocol::ErrorCode>(i)));
    std::uint64_t count = 0;
    for (const auto& [name, value] : status.rejected_by_reason) {
      if (name == reason) count = value;
    }
    family.Add({{"reason", reason}}).Increment(static_cast<double>(count));
  }
}

void add_data_sockets(prometheus::Registry& registry, const MetricsSnapshot& snapshot) {
  auto& messages = prometheus::BuildCounter()
                       .Name("tomolive_data_socket_messages_total")
                       .Help("Messages received on a data socket, valid or not, by wire format.")
                       .Register(registry);
  auto& bytes = prometheus::BuildCounter()
                    .Name("tomolive_data_socket_received_bytes_total")
                    .Help("Bytes received on a data socket, all parts, by wire format.")
                    .Register(registry);
  auto& frames = prometheus::BuildCounter()
                     .Name("tomolive_data_socket_frames_total")
                     .Help("Frames of a data socket handed to the engine, by wire format.")
                     .Register(registry);
  for (const MetricsSnapshot::SocketFormat& totals : snapshot.socket_formats) {
    const prometheus::Labels labels{{"socket", totals.socket}, {"format", totals.format}};
    messages.Add(labels).Increment(static_cast<double>(totals.messages));
    bytes.Add(labels).Increment(static_cast<double>(totals.bytes));
    frames.Add(labels).Increment(static_cast<double>(totals.frames));
  }
  auto& rejected = prometheus::BuildCounter()
                       .Name("tomolive_data_socket_rejected_total")
                       .Help("Messages and images of a data socket refused.")
                       .Register(registry);
  auto& held = prometheus::BuildGauge()
                   .Name("tomolive_data_socket_images_held")
                   .Help("Images of a data socket waiting for a scan plan now.")
                   .Register(registry);
  auto& handshakes = prometheus::BuildCounter()
                         .Name("tomolive_data_socket_handshake_failures_total")
                         .Help("ZeroMQ handshakes of a data socket that failed (CURVE keys that do not match, a refusal).")
                         .Register(registry);
  for (const protocol::DataSocketStatus& socket : snapshot.status.data_sockets) {
    rejected.Add({{"socket", socket.endpoint}}).Increment(static_cast<double>(socket.rejected));
    held.Add({{"socket", socket.endpoint}}).Set(static_cast<double>(socket.images_held));
    handshakes.Add({{"socket", socket.endpoint}}).Increment(static_cast<double>(socket.handshake_failures));
  }
}

void add_scan(prometheus::Registry& registry, const protocol::Status& status) {
  if (!status.scan) return;
  const protocol::ScanStatus& scan = *status.scan;
  add_gauge(registry, "tomolive_scan_id", "The newest scan's id.", static_cast<double>(scan.scan_id));
  add_gauge(registry, "tomolive_scan_projections_received", "Projections of the newest scan received.",
            scan.projections_received);
  add_gauge(registry, "tomolive_scan_projections_expected", "Projections the newest scan's begin announced.",
            scan.projections_expected);
  add_gauge(registry, "tomolive_scan_projection_rate_hertz",
            "Projections of the newest scan received per second, over the last second.", scan.projection_rate_hz);
  // GPU memory: the CUDA engine's memory plan of the newest scan (made at its begin), per device (per slab when the
  // engine spans several). The CPU engine has no GPU: these gauges are absent there, as they are before the first
  // scan.
  if (status.engine == "cuda" && scan.memory.total_bytes > 0) {
    const std::vector<protocol::MemoryPlan> plans =
        scan.memory.slabs.empty() ? std::vector<protocol::MemoryPlan>{scan.memory} : scan.memory.slabs;
    for (const protocol::MemoryPlan& plan : plans) {
      const prometheus::Labels device{{"device", plan.device}};
      add_gauge(registry, "tomolive_gpu_memory_used_bytes",
                "GPU memory the newest scan reserved (store, slices, buffers), from its memory plan.",
                static_cast<double>(plan.total_bytes), device);
      const std::uint64_t free_bytes =
          plan.available_bytes > plan.total_bytes ? plan.available_bytes - plan.total_bytes : 0;
      add_gauge(registry, "tomolive_gpu_memory_free_bytes",
                "GPU memory left free beside the newest scan's reservation, when its memory plan was made.",
                static_cast<double>(free_bytes), device);
    }
  }
}

prometheus::MetricFamily histogram_family(std::string name, std::string help,
                                          std::vector<prometheus::ClientMetric> metrics) {
  return prometheus::MetricFamily{std::move(name), std::move(help), prometheus::MetricType::Histogram,
                                  std::move(metrics)};
}

}  // namespace

std::string render_metrics(const MetricsSnapshot& snapshot) {
  const protocol::Status& status = snapshot.status;
  prometheus::Registry registry;
  add_gauge(registry, "tomolive_build_info", "The daemon's version and engine (\"cpu\" or \"cuda\"); always 1.", 1.0,
            {{"version", status.version}, {"engine", status.engine}});
  add_gauge(registry, "tomolive_uptime_seconds", "Seconds since the daemon started.", status.uptime_s);
  add_status_counters(registry, status);
  add_rejections(registry, status);
  add_data_sockets(registry, snapshot);
  add_scan(registry, status);

  std::vector<prometheus::MetricFamily> families = registry.Collect();
  // The histograms are kept since start by their owners (DurationHistogram); they join the families as they are.
  families.push_back(histogram_family(
      "tomolive_publish_latency_seconds",
      "T4: projection received to its three slices published, seconds (newly received projections only).",
      {snapshot.publish_latency}));
  families.push_back(histogram_family("tomolive_viewer_latency_seconds",
                                      "T5: projection received to pixels drawn in a browser, seconds, as browsers "
                                      "report it.",
                                      {snapshot.viewer_latency}));
  std::vector<prometheus::ClientMetric> stages;
  for (const MetricsSnapshot::StageHistogram& stage : snapshot.engine_stages) {
    prometheus::ClientMetric metric = stage.histogram;
    metric.label = {{"stage", std::string(to_string(stage.stage))}};
    stages.push_back(std::move(metric));
  }
  families.push_back(histogram_family("tomolive_engine_stage_seconds",
                                      "Time the engine thread spent per call, by stage (projection, reference, "
                                      "slice_readback, recompute, refilter, volume), seconds.",
                                      std::move(stages)));

  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace tomolive::daemon
