#include "tomolive/storage/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "tomolive/storage/disk_error.hpp"
#include "tomolive/storage/file_descriptor.hpp"

namespace tomolive::storage {
namespace {

void write_all(int fd, std::string_view bytes, const std::filesystem::path& path) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      throw disk_error(errno, DiskOperation::write_file, path);
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
}

std::filesystem::path directory_of(const std::filesystem::path& path) {
  return path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
}

}  // namespace

std::filesystem::path atomic_temporary_path(const std::filesystem::path& path) {
  // Appended piecewise: GCC 12 reports a false -Wrestrict for "literal" + std::string&& (GCC bug 105329).
  std::string name = ".";
  name += path.filename().string();
  name += ".tmp-";
  name += std::to_string(::getpid());
  return directory_of(path) / name;
}

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  const std::filesystem::path temporary = atomic_temporary_path(path);
  {
    FileDescriptor file(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!file) throw disk_error(errno, DiskOperation::create_file, path);
    try {
      write_all(file.get(), bytes, path);
      if (::fsync(file.get()) != 0) throw disk_error(errno, DiskOperation::write_file, path);
      if (file.close() != 0) throw disk_error(errno, DiskOperation::write_file, path);
    } catch (...) {
      std::remove(temporary.c_str());
      throw;
    }
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error_number = errno;
    std::remove(temporary.c_str());
    throw disk_error(error_number, DiskOperation::rename_file, path);
  }
  // The rename is durable once the directory entry is on disk.
  FileDescriptor directory(::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory && ::fsync(directory.get()) != 0 && errno != EINVAL) {
    throw disk_error(errno, DiskOperation::rename_file, path);
  }
}

void rename_without_replacing(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) != 0) {
    throw disk_error(errno, DiskOperation::rename_file, to);
  }
}

}  // namespace tomolive::storage
