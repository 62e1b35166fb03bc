// ConfigReloader: applies a new reading of tomolived's configuration to the running daemon (SIGHUP). It reads the
// same command line and file again (load_config: the command line still overrides the file), compares every setting
// with the running one, applies those that can change while the daemon runs (reloadable_keys(): the processing
// options, the publish rate, the control token, the log level and the status interval) and leaves the others as they
// run, naming them as needing a restart. A file that is refused (the same "FILE:LINE:COLUMN: key 'x': reason" as at
// start) leaves the running configuration as it was. Each reload is logged in one line and reported in get_status's
// config map (Daemon::set_config_status). Used from one thread (main's); the daemon's setters are thread-safe.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "tomolive/daemon/config.hpp"
#include "tomolive/daemon/daemon.hpp"

namespace tomolive::daemon {

class ConfigReloader {
 public:
  struct Outcome {
    std::string error;                        // why the file was refused ("" when it was read)
    std::vector<std::string> applied;         // keys whose new value runs now
    std::vector<std::string> restart_needed;  // keys whose value differs from the running one, not applied
    std::string log_line;                     // what was logged
  };

  // `arguments`: the command line the daemon was started with (without the program name) and `default_file` the
  // configuration file read when it names none, as given to load_config; `running`: what the daemon was started with.
  // Reports the configuration in the daemon's status.
  ConfigReloader(std::vector<std::string> arguments, LoadedConfig running, Daemon& daemon,
                 std::string default_file = kDefaultConfigFile);

  // Reads the configuration again and applies it as described above.
  Outcome reload();

  // The configuration that runs: as started, with the reloadable values of the reloads applied since.
  const DaemonConfig& running() const { return running_.config; }

  // The keys a reload applies; every other key needs a restart.
  static const std::set<std::string>& reloadable_keys();

 private:
  void report_status();

  const std::vector<std::string> arguments_;
  const std::string default_file_;
  LoadedConfig running_;
  Daemon& daemon_;
  std::string loaded_at_;  // UTC, ISO 8601
  std::uint64_t reloads_ = 0;
  std::string last_error_;
  std::vector<std::string> restart_needed_;
};

}  // namespace tomolive::daemon
