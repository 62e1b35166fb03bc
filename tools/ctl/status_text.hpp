// get_status (PROTOCOL.md 10.3) for people: sections of aligned fields and tables (scan, frames and rates, queue,
// engine times, data sockets by format, rejections by reason, processing, volume, recording, capture), and the
// one-line summary that `watch` prints per interval when its output is not a terminal. Rendering only: no I/O other
// than the stream given.
#pragma once

#include <iosfwd>
#include <string>

#include "status_rates.hpp"
#include "tomolive/protocol/messages.hpp"

namespace tomolive::ctl {

struct StatusTextOptions {
  const StatusRates* rates = nullptr;  // rates since the previous status (watch), or none
  bool all_counters = true;            // end with every counter by name
};

void print_status(std::ostream& out, const protocol::Status& status, const StatusTextOptions& options = {});

// The sections that command replies share with the status.
void print_processing(std::ostream& out, const protocol::ProcessingSetting& processing);
void print_volume(std::ostream& out, const protocol::VolumeStatus& volume);
void print_recording(std::ostream& out, const protocol::RecordingStatus& recording);
void print_capture(std::ostream& out, const protocol::CaptureStatus& capture);

// One line: time (UTC), the scan and its progress, rates (when known), queue, rejections and latency. No newline.
std::string status_line(const protocol::Status& status, const StatusRates* rates);

}  // namespace tomolive::ctl
