// Waiting that a user can cut short: Ctrl-C or SIGTERM (through a self-pipe written by the signal handler), or the
// q key when standard input is a terminal (put in non-canonical mode, no echo, for as long as the object lives).
// The previous signal handlers and terminal settings are restored on destruction. One instance at a time per
// process (the signal handler writes to the one pipe).
#pragma once

#include <chrono>
#include <optional>

#include <csignal>
#include <termios.h>

namespace tomolive::ctl {

class QuitRequest {
 public:
  QuitRequest();
  ~QuitRequest();
  QuitRequest(const QuitRequest&) = delete;
  QuitRequest& operator=(const QuitRequest&) = delete;

  // Waits up to `timeout`; true as soon as the user asked to quit (now or earlier), false when the time is up.
  bool wait(std::chrono::milliseconds timeout);

 private:
  int pipe_read_ = -1, pipe_write_ = -1;
  struct sigaction previous_int_ {}, previous_term_ {};
  std::optional<termios> previous_terminal_;  // set while stdin is a terminal in non-canonical mode
  bool quit_ = false;
};

}  // namespace tomolive::ctl
