// ControlHandlers: the one implementation of the control command set, shared by every control transport (the
// ZeroMQ REP socket now, WebSocket later). Each request is validated, executed and answered with a result or an
// error; every request is logged at debug level and counted, every refusal at warning level (thinned by a
// LogLimiter: one line per error code per burst, with its count). Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tomolive/daemon/capture_ring.hpp"
#include "tomolive/daemon/counters.hpp"
#include "tomolive/daemon/engine_worker.hpp"
#include "tomolive/daemon/log_limiter.hpp"
#include "tomolive/daemon/recorder.hpp"
#include "tomolive/daemon/scan_plan_board.hpp"
#include "tomolive/daemon/slice_board.hpp"
#include "tomolive/protocol/messages.hpp"

namespace tomolive::daemon {

class ControlHandlers {
 public:
  struct Answer {
    protocol::Reply reply;
    SliceBoard::Version slice;  // get_slice: the slice values, sent after the reply header; else nullptr
    // sweep_center, sweep_processing: the candidate images; else nullptr
    std::shared_ptr<const std::vector<float>> sweep_images;
  };

  // set_scan_plan posts its plan on `plans`; record and capture go to `recorder` and `capture`.
  ControlHandlers(EngineWorker& worker, SliceBoard& board, ScanPlanBoard& plans, Recorder& recorder,
                  CaptureRing& capture, DaemonCounters& counters, std::function<protocol::Status()> status)
      : worker_(worker), board_(board), plans_(plans), recorder_(recorder), capture_(capture), counters_(counters),
        status_(std::move(status)) {}

  Answer handle(const protocol::ControlRequest& request);
  // The reply to a request that is refused before it is executed: `command` is what the reply echoes (the
  // request's type when it has one, see protocol::header_type; "" when none could be read).
  protocol::Reply refuse(const protocol::Error& error, std::string command = "");

 private:
  void log_refusal(const std::string& command, const protocol::Error& error);

  EngineWorker& worker_;
  SliceBoard& board_;
  ScanPlanBoard& plans_;
  Recorder& recorder_;
  CaptureRing& capture_;
  DaemonCounters& counters_;
  std::function<protocol::Status()> status_;
  LogLimiter log_limiter_;
};

}  // namespace tomolive::daemon
