// The names of the daemon's own threads (thread_name.hpp), as top -H and ps -L read them: /proc/self/task/*/comm.
#include "tomolive/daemon/thread_name.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "daemon_harness.hpp"

namespace tomolive::testing {
namespace {

using namespace std::chrono_literals;

// The names of this process's threads.
std::multiset<std::string> thread_names() {
  std::multiset<std::string> names;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    if (std::getline(comm, name)) names.insert(name);
  }
  return names;
}

// The calling thread's name.
std::string own_name() {
  std::ifstream comm("/proc/thread-self/comm");
  std::string name;
  std::getline(comm, name);
  return name;
}

TEST(ThreadName, ANameLongerThan15BytesIsCutToItsFirst15) {
  std::string short_name, long_name;
  std::thread([&] {
    daemon::name_this_thread(daemon::indexed_thread_name("decode", 12));
    short_name = own_name();
    daemon::name_this_thread("volume-write-and-more");
    long_name = own_name();
  }).join();
  EXPECT_EQ(short_name, "decode/12");
  EXPECT_EQ(long_name, "volume-write-an");
}

TEST(ThreadName, TheDaemonsThreadsAreNamedForWhatTheyDo) {
  daemon::DaemonConfig config = test_config();
  config.data_endpoints = {"tcp://127.0.0.1:*", "tcp://127.0.0.1:*"};
  config.decode_threads = 2;
  config.http_threads = 2;
  DaemonFixture fixture(config);
  const std::multiset<std::string> expected{"data-recv/0", "data-recv/1", "decode/0", "decode/1", "engine",
                                            "control",     "publisher",   "http/0",   "http/1",   "recorder"};
  // Each thread names itself when it starts, which may be after the constructor that started it returned.
  const auto missing = [&expected] {
    const std::multiset<std::string> names = thread_names();
    std::string absent;
    for (const std::string& name : expected) {
      if (!names.contains(name)) absent += " " + name;
    }
    return absent;
  };
  for (int attempt = 0; attempt < 3000 && !missing().empty(); ++attempt) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(missing(), "") << "threads not found by name";
  EXPECT_TRUE(thread_names().contains("ZMQbg/IO/0")) << "ZeroMQ names its own";
}

}  // namespace
}  // namespace tomolive::testing
