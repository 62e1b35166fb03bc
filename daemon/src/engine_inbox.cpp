#include "tomolive/daemon/engine_inbox.hpp"

#include <algorithm>

namespace tomolive::daemon {

EngineInbox::EngineInbox(std::size_t capacity, QueuePolicy policy, DaemonCounters& counters,
                         std::function<void(const IngestItem&)> on_drop)
    : capacity_(std::max<std::size_t>(capacity, 1)), policy_(policy), counters_(counters),
      on_drop_(std::move(on_drop)) {}

bool EngineInbox::is_frame(const IngestItem& item) {
  return std::holds_alternative<protocol::FrameHeader>(item.header);
}

bool EngineInbox::push_data(IngestItem item) {
  std::unique_lock lock(mutex_);
  if (data_.size() >= capacity_ && !closed_) {
    if (policy_ == QueuePolicy::block) {
      bump(counters_.queue_full_waits);
      not_full_.wait(lock, [&] { return data_.size() < capacity_ || closed_; });
    } else {
      const auto oldest_frame = std::find_if(data_.begin(), data_.end(), is_frame);
      if (oldest_frame != data_.end()) {
        IngestItem dropped = std::move(*oldest_frame);
        data_.erase(oldest_frame);
        bump(counters_.queue_dropped);
        lock.unlock();
        if (on_drop_) on_drop_(dropped);
        lock.lock();
      }
      // A queue holding only begin/end messages may exceed capacity by those few control messages.
    }
  }
  if (closed_) return false;
  data_.push_back(std::move(item));
  lock.unlock();
  not_empty_.notify_one();
  return true;
}

void EngineInbox::push_command(EngineCommand command) {
  {
    std::lock_guard lock(mutex_);
    commands_.push_back(std::move(command));
  }
  not_empty_.notify_one();
}

EngineInbox::Next EngineInbox::pop(std::chrono::steady_clock::duration timeout) {
  std::unique_lock lock(mutex_);
  not_empty_.wait_for(lock, timeout, [&] { return !commands_.empty() || !data_.empty() || closed_; });
  if (!commands_.empty()) {
    EngineCommand command = std::move(commands_.front());
    commands_.pop_front();
    return command;
  }
  if (!data_.empty()) {
    IngestItem item = std::move(data_.front());
    data_.pop_front();
    lock.unlock();
    not_full_.notify_one();
    return item;
  }
  if (closed_) return Closed{};
  return TimedOut{};
}

void EngineInbox::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  not_empty_.notify_all();
  not_full_.notify_all();
}

std::size_t EngineInbox::depth() const {
  std::lock_guard lock(mutex_);
  return data_.size();
}

}  // namespace tomolive::daemon
