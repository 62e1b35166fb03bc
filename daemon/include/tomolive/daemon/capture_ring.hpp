// CaptureRing: triggered capture (PROTOCOL.md 18.1). Keeps the active scan's newest raw frames in host memory and,
// on the capture command, writes them plus the frames of the next `after_s` seconds to an NXtomo file
// (storage::NxtomoWriter, the recording's layout), so that an event a user recognises only after it happened is
// not lost.
//
// The ring: the active scan's darks and flats (all of them: a capture without its references cannot be
// reconstructed) and its projections received in the last ring_s seconds, at most ring_bytes pixel bytes in all
// (the oldest projections leave first). Frames share the received message with the recorder and the engine: no
// copy. A new begin empties the ring.
//
// A capture: the ring as it is when the command arrives, then every frame of the same scan received within
// after_s seconds of it, written by the capture's own thread to
// <directory>/scan_<id>[_<name>]_capture_<k>.nxs (k = 1, 2, ...: the first unused), named ".partial" until the
// last frame is written and the file closed. It ends when after_s has passed or the scan ended. One capture at a
// time. Frames wait for the writer in a queue of at most ring_bytes; when the disk is slower than that, the
// capture fails (captures_failed, a disk_error event) and the file keeps its ".partial" name, as after a disk
// error.
//
// Thread-safety: the RawStreamSink calls come from the engine thread; capture() and status() from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "tomolive/daemon/counters.hpp"
#include "tomolive/daemon/event_reporter.hpp"
#include "tomolive/daemon/raw_stream_sink.hpp"
#include "tomolive/protocol/expected.hpp"

namespace tomolive::daemon {

class CaptureRing final : public RawStreamSink {
 public:
  struct Options {
    double ring_s = 0.0;  // seconds of projections kept; 0: no ring, captures are refused
    std::uint64_t ring_bytes = std::uint64_t{1} << 30;  // pixel bytes kept, at most (also bounds a capture's queue)
    std::filesystem::path directory;                    // where captures are written
  };

  CaptureRing(Options options, EventReporter& reporter, DaemonCounters& counters);
  // Finishes a running capture with the frames it has (it keeps its ".partial" name), then joins the writer.
  ~CaptureRing() override;
  // The same, now (idempotent); status() still answers afterwards. The engine thread must have stopped.
  void shut_down();
  CaptureRing(const CaptureRing&) = delete;
  CaptureRing& operator=(const CaptureRing&) = delete;

  void scan_begun(const protocol::ScanBegin& begin, std::int64_t time_ns) override;
  bool wants_frames() const override { return status_.enabled; }
  void frame_accepted(const RawFrame& frame) override;
  void scan_ended(std::uint64_t scan_id, bool complete, std::int64_t time_ns,
                  const nlohmann::json& scan_metadata) override;

  // The capture command: starts a capture of the ring plus `after_s` seconds (>= 0). Errors: invalid_argument (no
  // ring, a capture running), no_active_scan (no scan begun), disk_error (directory missing or read-only).
  protocol::Expected<protocol::CaptureStatus> capture(double after_s);
  protocol::CaptureStatus status() const;

 private:
  struct Job {
    protocol::ScanBegin begin;
    std::int64_t begin_time_ns = 0;
    std::filesystem::path partial;
    std::filesystem::path final_path;
    std::int64_t until_ns = 0;                  // frames received after this (system clock) are not taken
    std::chrono::steady_clock::time_point deadline;  // when the capture stops waiting for frames
  };

  void run(std::stop_token stop);
  void write(const Job& job, std::stop_token stop);
  // The next frame for the running capture; nullopt when it has ended (deadline, scan end, failure or shutdown).
  std::optional<RawFrame> next_frame(const Job& job, std::stop_token stop);
  void evict();
  void fail(const std::string& what);
  std::filesystem::path unused_capture_path(const protocol::ScanBegin& begin) const;

  const Options options_;
  EventReporter& reporter_;
  DaemonCounters& counters_;

  mutable std::mutex mutex_;
  std::condition_variable_any changed_;
  // The ring (engine thread writes, capture() reads).
  std::optional<protocol::ScanBegin> begin_;
  std::int64_t begin_time_ns_ = 0;
  bool scan_ended_ = false;
  std::deque<RawFrame> references_;   // darks and flats
  std::deque<RawFrame> projections_;  // newest last
  std::uint64_t ring_bytes_ = 0;
  // The running capture.
  std::optional<Job> job_;
  bool job_open_ = false;         // the running capture still takes frames (its scan has not ended)
  std::deque<RawFrame> pending_;  // frames for the running capture, oldest first
  std::uint64_t pending_bytes_ = 0;
  std::optional<std::string> failure_;  // set when the running capture must stop (queue overrun)
  protocol::CaptureStatus status_;

  std::jthread thread_;  // declared last: starts after every member above exists, joined first
};

}  // namespace tomolive::daemon
