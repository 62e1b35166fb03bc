// `tomolive-ctl watch`: the daemon's status again and again, like top. On a terminal the screen is redrawn (ANSI) with
// the status sections and the rates since the previous reply; otherwise one line per interval (status_line), or with
// --json one JSON reply per line (a missing reply is then said on stderr only). Rates come from successive
// get_status replies (status_rates). q (on a terminal), Ctrl-C or SIGTERM end it cleanly between two samples.
#pragma once

#include <cstdint>
#include <iosfwd>

#include "control_client.hpp"
#include "exit_status.hpp"

namespace tomolive::ctl {

struct WatchOptions {
  double interval_s = 1.0;   // from one request to the next, seconds (> 0)
  std::uint64_t count = 0;   // samples to take, then stop; 0: until q or Ctrl-C
  bool json = false;         // one JSON reply per line instead of text
  bool redraw = false;       // redraw the screen (stdout is a terminal) instead of one line per sample
};

// Samples until `options.count` samples were taken or the user quits. Returns ok, the class of a refused get_status
// (it stops at once), or no_reply when the last sample got no reply.
ExitStatus run_watch(ControlClient& client, const WatchOptions& options, std::ostream& out, std::ostream& err);

}  // namespace tomolive::ctl
