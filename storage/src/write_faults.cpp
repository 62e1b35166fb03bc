#include "tomolive/storage/write_faults.hpp"

#include "tomolive/storage/disk_error.hpp"

namespace tomolive::storage {

void WriteFaults::fail_after(std::uint64_t bytes, int error_number) {
  std::lock_guard lock(mutex_);
  armed_ = Armed{bytes, error_number};
  written_ = 0;
}

void WriteFaults::clear() {
  std::lock_guard lock(mutex_);
  armed_.reset();
}

void WriteFaults::hold_writes() {
  std::lock_guard lock(mutex_);
  held_ = true;
}

void WriteFaults::release_writes() {
  {
    std::lock_guard lock(mutex_);
    held_ = false;
  }
  released_.notify_all();
}

void WriteFaults::before_write(std::size_t bytes, const std::filesystem::path& path) {
  std::unique_lock lock(mutex_);
  released_.wait(lock, [this] { return !held_; });
  if (armed_ && written_ + bytes > armed_->budget) throw disk_error(armed_->error_number, DiskOperation::write_file, path);
  written_ += bytes;
}

}  // namespace tomolive::storage
