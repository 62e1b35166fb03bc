#include "quit_request.hpp"

#include <array>
#include <atomic>
#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

namespace tomolive::ctl {
namespace {

// The write end of the one QuitRequest's pipe, for the handler (a lock-free atomic: safe to read in a handler).
std::atomic<int> g_signal_pipe{-1};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void on_quit_signal(int) {
  const char byte = 'q';
  const int saved = errno;
  (void)!write(g_signal_pipe.load(), &byte, 1);
  errno = saved;
}

}  // namespace

QuitRequest::QuitRequest() {
  std::array<int, 2> ends{};
  if (pipe2(ends.data(), O_CLOEXEC | O_NONBLOCK) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
  pipe_read_ = ends[0];
  pipe_write_ = ends[1];
  g_signal_pipe = pipe_write_;
  struct sigaction action {};
  action.sa_handler = on_quit_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &previous_int_);
  sigaction(SIGTERM, &action, &previous_term_);
  termios terminal{};
  if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &terminal) == 0) {
    previous_terminal_ = terminal;
    terminal.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
    terminal.c_cc[VMIN] = 0;
    terminal.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSANOW, &terminal);
  }
}

QuitRequest::~QuitRequest() {
  if (previous_terminal_) tcsetattr(STDIN_FILENO, TCSANOW, &*previous_terminal_);
  sigaction(SIGINT, &previous_int_, nullptr);
  sigaction(SIGTERM, &previous_term_, nullptr);
  g_signal_pipe = -1;
  close(pipe_read_);
  close(pipe_write_);
}

bool QuitRequest::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!quit_) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    std::array<pollfd, 2> watched{{{pipe_read_, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}}};
    const nfds_t count = previous_terminal_ ? 2 : 1;  // keys only from a terminal
    const int ready = poll(watched.data(), count, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "poll");
    if (ready <= 0) continue;
    if (watched[0].revents != 0) quit_ = true;
    if (count == 2 && (watched[1].revents & POLLIN) != 0) {
      char key = 0;
      if (read(STDIN_FILENO, &key, 1) == 1 && (key == 'q' || key == 'Q')) quit_ = true;
    }
    if (count == 2 && (watched[1].revents & (POLLHUP | POLLERR)) != 0) previous_terminal_.reset();
  }
  return true;
}

}  // namespace tomolive::ctl
