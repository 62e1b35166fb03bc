#include "tomolive/daemon/engine_inbox.hpp"

#include <algorithm>

namespace tomolive::daemon {

EngineInbox::EngineInbox(std::size_t capacity, QueuePolicy policy, DaemonCounters& counters,
                         std::function<void(const IngestItem&)> on_drop)
    : capacity_(std::max<std::size_t>(capacity, 1)), policy_(policy), counters_(counters),
      on_drop_(std::move(on_drop)) {}

bool EngineInbox::is_projection(const IngestItem& item) {
  const auto* frame = std::get_if<protocol::FrameHeader>(&item.header);
  return frame != nullptr && frame->kind == protocol::FrameKind::projection;
}

bool EngineInbox::push_data(IngestItem item) {
  std::unique_lock lock(mutex_);
  if (data_.size() >= capacity_ && !closed_) {
    const auto oldest_projection =
        policy_ == QueuePolicy::drop_oldest ? std::find_if(data_.begin(), data_.end(), is_projection) : data_.end();
    if (oldest_projection != data_.end()) {
      IngestItem dropped = std::move(*oldest_projection);
      data_.erase(oldest_projection);
      bump(counters_.queue_dropped);
      lock.unlock();
      if (on_drop_) on_drop_(dropped);
      lock.lock();
    } else {
      // block, or drop_oldest with no projection to give up: darks, flats, begins and ends are never dropped.
      bump(counters_.queue_full_waits);
      const std::size_t capacity = capacity_;
      lock.unlock();
      log_limiter_.log(spdlog::level::warn, "queue_full_waits", LogFields{"slow_consumer", std::nullopt},
                       "engine queue full (" + std::to_string(capacity) +
                           " items): ingest waits for the engine (--queue-policy block)");
      lock.lock();
      not_full_.wait(lock, [&] { return data_.size() < capacity_ || closed_; });
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
    if (commands_refused_) return;  // destroyed: its future reports a broken promise at once
    commands_.push_back(std::move(command));
  }
  not_empty_.notify_one();
}

void EngineInbox::refuse_commands() {
  std::deque<EngineCommand> refused;
  {
    std::lock_guard lock(mutex_);
    commands_refused_ = true;
    refused.swap(commands_);
  }
  // `refused` is destroyed here, outside the lock: every waiting caller's future reports a broken promise.
}

EngineInbox::Next EngineInbox::pop(std::chrono::steady_clock::duration timeout) {
  std::unique_lock lock(mutex_);
  not_empty_.wait_for(lock, timeout, [&] { return !commands_.empty() || !data_.empty() || closed_; });
  if (!commands_.empty()) {
    EngineCommand command = std::move(commands_.front());
    commands_.pop_front();
    ++handed_out_;
    return command;
  }
  if (!data_.empty()) {
    IngestItem item = std::move(data_.front());
    data_.pop_front();
    ++handed_out_;
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

std::optional<std::uint64_t> EngineInbox::pending_begin_other_than(std::uint64_t scan_id) const {
  std::lock_guard lock(mutex_);
  for (const IngestItem& item : data_) {
    const auto* begin = std::get_if<protocol::ScanBegin>(&item.header);
    if (begin != nullptr && begin->scan_id != scan_id) return begin->scan_id;
  }
  return std::nullopt;
}

std::size_t EngineInbox::depth() const {
  std::lock_guard lock(mutex_);
  return data_.size();
}

EngineInbox::Progress EngineInbox::progress() const {
  std::lock_guard lock(mutex_);
  return Progress{data_.size(), handed_out_};
}

}  // namespace tomolive::daemon
