// FileDescriptor: owns a POSIX file descriptor and closes it when destroyed. Movable, not copyable.
#pragma once

#include <unistd.h>

#include <utility>

namespace tomolive::storage {

class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept {
    if (this != &other) {
      close();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() { close(); }

  // True when a descriptor is held (open() succeeded).
  explicit operator bool() const { return fd_ >= 0; }
  int get() const { return fd_; }

  // Closes now; returns close(2)'s result (0 when nothing was held) so that a write error reported at close is
  // not lost. errno is set on failure.
  int close() { return fd_ >= 0 ? ::close(std::exchange(fd_, -1)) : 0; }

 private:
  int fd_ = -1;
};

}  // namespace tomolive::storage
