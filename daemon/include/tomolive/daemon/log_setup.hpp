// The daemon's log (README "Metrics and logs"): one line per event, to stderr (where journald picks it up under
// systemd) or to a file that rotates by size (--log-file, --log-max-size-mib, --log-max-files: spdlog's rotating
// file sink; a.log rotates to a.1.log ... a.N.log, the oldest removed), as text or as one JSON object per line
// (--log-json, JsonLogFormatter). With --log-syslog-prefix, text lines start with the syslog priority "<N>" of
// their level (sd-daemon(3)), which journald reads when the log goes to it through stderr (SyslogLevelPrefix=yes,
// its default), so that `journalctl -p warning` finds the warnings. The logger is synchronous: a line is written by
// the thread that logs it, and flushed at info and above, so that nothing is lost when the daemon stops or crashes.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include <spdlog/logger.h>

namespace tomolive::daemon {

struct LogOptions {
  std::string level = "info";       // trace, debug, info, warn, error
  std::filesystem::path file;       // "" for stderr
  double max_size_mib = 100.0;      // a file rotates when the next line would make it larger (MiB)
  std::size_t max_files = 5;        // rotated files kept beside the current one
  bool json = false;                // one JSON object per line
  bool syslog_prefix = false;       // text lines start with "<N>", the syslog priority of their level
};

// The daemon's logger as `options` say; throws spdlog::spdlog_ex (with the path and the reason) when the file
// cannot be opened.
std::shared_ptr<spdlog::logger> make_daemon_logger(const LogOptions& options);

// make_daemon_logger, installed as spdlog's default logger (what the whole daemon logs through).
void install_daemon_logger(const LogOptions& options);

}  // namespace tomolive::daemon
