#include "tomolive/daemon/ordered_release.hpp"

#include <algorithm>

namespace tomolive::daemon {

OrderedRelease::OrderedRelease(EngineInbox& inbox, DataSocketCounters& socket, std::size_t max_in_flight)
    : inbox_(inbox), socket_(socket), max_in_flight_(std::max<std::size_t>(max_in_flight, 1)) {}

std::uint64_t OrderedRelease::reserve() {
  std::unique_lock lock(mutex_);
  released_.wait(lock, [this] { return next_ticket_ - next_release_ < max_in_flight_; });
  return next_ticket_++;
}

void OrderedRelease::complete(std::uint64_t ticket, std::optional<IngestItem> item) {
  std::unique_lock lock(mutex_);
  completed_.emplace(ticket, std::move(item));
  if (releasing_) return;  // that thread hands this item on when its turn comes
  releasing_ = true;
  for (auto next = completed_.find(next_release_); next != completed_.end(); next = completed_.find(next_release_)) {
    std::optional<IngestItem> ready = std::move(next->second);
    completed_.erase(next);
    lock.unlock();
    if (ready) {
      const bool frame = std::holds_alternative<protocol::FrameHeader>(ready->header);
      const detector::StreamFormat format = ready->format;
      if (inbox_.push_data(std::move(*ready)) && frame) socket_.count_frame(format);
    }
    lock.lock();
    ++next_release_;
    released_.notify_all();
  }
  releasing_ = false;
}

void OrderedRelease::wait_idle() {
  std::unique_lock lock(mutex_);
  released_.wait(lock, [this] { return next_release_ == next_ticket_; });
}

}  // namespace tomolive::daemon
