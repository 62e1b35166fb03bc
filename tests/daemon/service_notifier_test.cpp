// ServiceNotifier (systemd Type=notify): READY=1, WATCHDOG=1 and STOPPING=1 arrive on the socket NOTIFY_SOCKET names,
// as systemd would receive them; pings are withheld while the liveness probe says no; nothing is sent, and no thread
// runs, without NOTIFY_SOCKET.
#include "tomolive/daemon/service_notifier.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

namespace tomolive::daemon {
namespace {

namespace fs = std::filesystem;

// A bound unix datagram socket standing in for systemd's notification socket; closed and unlinked by the destructor.
class NotifySocket {
 public:
  NotifySocket() {
    path_ = fs::temp_directory_path() / ("tomolive_notify_" + std::to_string(::getpid()) + "_" +
                                         std::to_string(counter_++));
    fs::remove(path_);
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof address.sun_path - 1);
    bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  }
  ~NotifySocket() {
    if (fd_ >= 0) ::close(fd_);
    fs::remove(path_);
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  bool bound() const { return bound_; }
  const fs::path& path() const { return path_; }

  // The next datagram, waiting up to `timeout_ms` for it; nullopt when none came.
  std::optional<std::string> receive(int timeout_ms = 10000) const {
    pollfd item{fd_, POLLIN, 0};
    if (::poll(&item, 1, timeout_ms) != 1) return std::nullopt;
    char buffer[4096];
    const ssize_t size = ::recv(fd_, buffer, sizeof buffer, 0);
    if (size < 0) return std::nullopt;
    return std::string(buffer, static_cast<std::size_t>(size));
  }

 private:
  static inline std::atomic<int> counter_{0};
  fs::path path_;
  int fd_ = -1;
  bool bound_ = false;
};

// Sets the notification environment for one test and restores the process's environment afterwards.
class ServiceNotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : kNames) {
      const char* value = std::getenv(name);
      saved_[index(name)] = value ? std::optional<std::string>(value) : std::nullopt;
      ::unsetenv(name);
    }
  }
  void TearDown() override {
    for (const char* name : kNames) {
      const auto& value = saved_[index(name)];
      if (value) {
        ::setenv(name, value->c_str(), 1);
      } else {
        ::unsetenv(name);
      }
    }
  }
  static void set_notify_socket(const NotifySocket& socket) {
    ::setenv("NOTIFY_SOCKET", socket.path().c_str(), 1);
  }
  // The watchdog as systemd sets it for this process: WATCHDOG_USEC and WATCHDOG_PID.
  static void set_watchdog_usec(long usec) {
    ::setenv("WATCHDOG_USEC", std::to_string(usec).c_str(), 1);
    ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  }

 private:
  static constexpr const char* kNames[] = {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"};
  static std::size_t index(const char* name) {
    for (std::size_t i = 0; i < std::size(kNames); ++i) {
      if (std::strcmp(kNames[i], name) == 0) return i;
    }
    return 0;
  }
  std::optional<std::string> saved_[std::size(kNames)];
};

TEST_F(ServiceNotifierTest, ReadyWatchdogAndStoppingArriveOnTheNotifySocket) {
  NotifySocket socket;
  ASSERT_TRUE(socket.bound()) << socket.path();
  set_notify_socket(socket);
  set_watchdog_usec(100000);  // 100 ms: a ping every 50 ms

  ServiceNotifier notifier([] { return true; });
  ASSERT_TRUE(notifier.enabled());
  ASSERT_TRUE(notifier.watchdog_timeout().has_value());
  EXPECT_EQ(notifier.watchdog_timeout()->count(), 100000);
  EXPECT_EQ(socket.receive(0), std::nullopt) << "nothing is sent before ready()";

  notifier.ready();
  EXPECT_EQ(socket.receive(), "READY=1");
  EXPECT_EQ(socket.receive(), "WATCHDOG=1");
  EXPECT_EQ(socket.receive(), "WATCHDOG=1");

  notifier.stopping();
  std::optional<std::string> message;
  while ((message = socket.receive()) == "WATCHDOG=1") {
  }  // pings sent before stopping() may still be queued
  EXPECT_EQ(message, "STOPPING=1");
  EXPECT_EQ(socket.receive(0), std::nullopt) << "no ping after STOPPING=1";
  EXPECT_EQ(notifier.pings_withheld(), 0u);

  notifier.ready();
  notifier.stopping();
  EXPECT_EQ(socket.receive(0), std::nullopt) << "each notification is sent once";
}

TEST_F(ServiceNotifierTest, PingsAreWithheldWhileTheProbeSaysNoProgress) {
  NotifySocket socket;
  ASSERT_TRUE(socket.bound()) << socket.path();
  set_notify_socket(socket);
  set_watchdog_usec(20000);

  std::mutex mutex;
  std::condition_variable probed;
  int probes = 0;
  ServiceNotifier notifier([&] {
    {
      std::lock_guard lock(mutex);
      ++probes;
    }
    probed.notify_all();
    return false;
  });
  notifier.ready();
  EXPECT_EQ(socket.receive(), "READY=1");
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(probed.wait_for(lock, std::chrono::seconds(10), [&] { return probes >= 3; }));
  }
  EXPECT_EQ(socket.receive(0), std::nullopt) << "a ping was sent although the probe said no progress";
  notifier.stopping();
  EXPECT_EQ(socket.receive(), "STOPPING=1");
  EXPECT_GE(notifier.pings_withheld(), 3u);
}

TEST_F(ServiceNotifierTest, WithoutAWatchdogOnlyReadyAndStoppingAreSent) {
  NotifySocket socket;
  ASSERT_TRUE(socket.bound()) << socket.path();
  set_notify_socket(socket);
  std::atomic<int> probes{0};
  ServiceNotifier notifier([&] { return ++probes > 0; });
  EXPECT_FALSE(notifier.watchdog_timeout().has_value());
  notifier.ready();
  EXPECT_EQ(socket.receive(), "READY=1");
  notifier.stopping();
  EXPECT_EQ(socket.receive(), "STOPPING=1");
  EXPECT_EQ(probes.load(), 0);
}

TEST_F(ServiceNotifierTest, WatchdogOfAnotherProcessIsNotOurs) {
  NotifySocket socket;
  ASSERT_TRUE(socket.bound()) << socket.path();
  set_notify_socket(socket);
  ::setenv("WATCHDOG_USEC", "100000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
  ServiceNotifier notifier([] { return true; });
  EXPECT_TRUE(notifier.enabled());
  EXPECT_FALSE(notifier.watchdog_timeout().has_value());
}

TEST_F(ServiceNotifierTest, WithoutNotifySocketNothingHappens) {
  set_watchdog_usec(100000);
  std::atomic<int> probes{0};
  {
    ServiceNotifier notifier([&] { return ++probes > 0; });
    EXPECT_FALSE(notifier.enabled());
    EXPECT_FALSE(notifier.watchdog_timeout().has_value());
    notifier.ready();
    notifier.stopping();
  }
  EXPECT_EQ(probes.load(), 0) << "no watchdog thread runs outside systemd";
}

}  // namespace
}  // namespace tomolive::daemon
