// RawStreamFanout: hands each raw-stream call to every sink (the Recorder and the CaptureRing), in the order they
// were given; the engine thread talks to the fanout only. The sinks must outlive it. Same contract as RawStreamSink.
#pragma once

#include <algorithm>
#include <vector>

#include "tomolive/daemon/raw_stream_sink.hpp"

namespace tomolive::daemon {

class RawStreamFanout final : public RawStreamSink {
 public:
  explicit RawStreamFanout(std::vector<RawStreamSink*> sinks) : sinks_(std::move(sinks)) {}

  void scan_begun(const protocol::ScanBegin& begin, std::int64_t time_ns) override {
    for (RawStreamSink* sink : sinks_) sink->scan_begun(begin, time_ns);
  }
  bool wants_frames() const override {
    return std::any_of(sinks_.begin(), sinks_.end(), [](const RawStreamSink* sink) { return sink->wants_frames(); });
  }
  void frame_accepted(const RawFrame& frame) override {
    for (RawStreamSink* sink : sinks_) sink->frame_accepted(frame);
  }
  void scan_ended(std::uint64_t scan_id, bool complete, std::int64_t time_ns,
                  const nlohmann::json& scan_metadata) override {
    for (RawStreamSink* sink : sinks_) sink->scan_ended(scan_id, complete, time_ns, scan_metadata);
  }

 private:
  std::vector<RawStreamSink*> sinks_;
};

}  // namespace tomolive::daemon
