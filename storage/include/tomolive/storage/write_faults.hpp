// WriteFaults: the fault-injection seam of the volume writers and the sidecar (LevelDB's fault_injection_test idea).
// Every writer calls before_write() with the bytes it is about to write; a test arms a fault (e.g. ENOSPC after N
// bytes, as a full disk would) and the write fails exactly as the system call would have: a StorageError with
// describe_disk_error's line and the errno. A test may also hold every write (a stalled disk) until it releases
// them, to catch a volume midway. Without an armed fault or a hold it only counts. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>

namespace tomolive::storage {

class WriteFaults {
 public:
  // Every write that would take the bytes written since now past `bytes` fails with `error_number` (e.g. ENOSPC).
  void fail_after(std::uint64_t bytes, int error_number);
  // No fault from now on.
  void clear();
  // Every write from now on waits in before_write() until release_writes() (a disk that stalls).
  void hold_writes();
  void release_writes();

  // Called by writers before writing `bytes` to `path`: waits while writes are held; throws
  // disk_error(error_number, write_file, path) when an armed fault is due, else counts the bytes.
  void before_write(std::size_t bytes, const std::filesystem::path& path);

 private:
  struct Armed {
    std::uint64_t budget;
    int error_number;
  };
  std::mutex mutex_;
  std::condition_variable released_;
  bool held_ = false;
  std::optional<Armed> armed_;
  std::uint64_t written_ = 0;  // since the fault was armed
};

// `faults`->before_write when faults is not null.
inline void check_write(WriteFaults* faults, std::size_t bytes, const std::filesystem::path& path) {
  if (faults != nullptr) faults->before_write(bytes, path);
}

}  // namespace tomolive::storage
