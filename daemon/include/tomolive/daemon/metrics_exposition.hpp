// The daemon's metrics in the Prometheus text exposition format 0.0.4 (GET /metrics, PROTOCOL.md 14.5), produced
// with prometheus-cpp's core library: a Registry of counter and gauge families filled from one get_status answer,
// the histograms (T4, T5, engine stages) that the daemon keeps since start, and prometheus::TextSerializer.
//
// Every counter of get_status appears, named tomolive_<counter>_total (byte counters tomolive_<what>_bytes_total),
// with its help text; rejections by reason are one family with the label "reason" (every ErrorCode, zeros
// included); the data sockets' messages, bytes and frames carry the labels "socket" (the endpoint) and "format".
// The latency percentiles of get_status (publish_latency_p50_us, ...) are replaced by cumulative histograms in
// seconds. Pure: reads only its argument; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/client_metric.h>

#include "tomolive/daemon/engine_stage_times.hpp"
#include "tomolive/protocol/messages.hpp"

namespace tomolive::daemon {

// The Content-Type of the exposition (version 0.0.4 of the text format).
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

struct MetricsSnapshot {
  // The totals of one wire format on one data socket (DataSocketCounters::by_format).
  struct SocketFormat {
    std::string socket;  // the endpoint, as get_status's data_sockets report it
    std::string format;  // "native", "dectris2", "dectris1", "array"
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
    std::uint64_t frames = 0;
  };
  struct StageHistogram {
    EngineStage stage;
    prometheus::ClientMetric histogram;
  };

  protocol::Status status;
  std::vector<SocketFormat> socket_formats;
  prometheus::ClientMetric publish_latency;  // T4 histogram, seconds
  prometheus::ClientMetric viewer_latency;   // T5 histogram, seconds
  std::vector<StageHistogram> engine_stages;
};

// The exposition text: "# HELP", "# TYPE" and the samples of every family.
std::string render_metrics(const MetricsSnapshot& snapshot);

}  // namespace tomolive::daemon
