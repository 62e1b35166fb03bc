// OrderedRelease: hands one data socket's items to the EngineInbox in the order the socket received them, whatever
// order the decode workers finish them in: a scan's begin before any of its frames, its end after all of them,
// frames in image-id order as the detector sent them. The receive thread reserves a ticket per item (waiting while
// `max_in_flight` are outstanding: backpressure to the socket); whoever completes the oldest outstanding ticket
// hands it and every later completed one to the inbox (a blocking push then holds up only that thread).
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>

#include "tomolive/daemon/data_socket_counters.hpp"
#include "tomolive/daemon/engine_inbox.hpp"

namespace tomolive::daemon {

class OrderedRelease {
 public:
  OrderedRelease(EngineInbox& inbox, DataSocketCounters& socket, std::size_t max_in_flight);

  // The next ticket; waits while max_in_flight tickets are reserved and not yet handed on.
  std::uint64_t reserve();
  // The item of `ticket`, or nullopt when it hands nothing on (it was refused). Every reserved ticket is completed
  // exactly once, from any thread.
  void complete(std::uint64_t ticket, std::optional<IngestItem> item);
  // Waits until every reserved ticket has been completed and handed on.
  void wait_idle();

 private:
  EngineInbox& inbox_;
  DataSocketCounters& socket_;
  const std::uint64_t max_in_flight_;
  std::mutex mutex_;
  std::condition_variable released_;
  std::map<std::uint64_t, std::optional<IngestItem>> completed_;  // waiting for older tickets
  std::uint64_t next_ticket_ = 0;
  std::uint64_t next_release_ = 0;
  bool releasing_ = false;  // a thread is handing items on
};

}  // namespace tomolive::daemon
