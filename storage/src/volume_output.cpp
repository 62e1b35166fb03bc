#include "volume_output.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "tomolive/storage/disk_error.hpp"
#include "tomolive/storage/file_descriptor.hpp"

namespace tomolive::storage::detail {
namespace {

std::filesystem::path directory_of(const std::filesystem::path& path) {
  return path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
}

StorageError exists_error(const std::filesystem::path& path) {
  return StorageError(describe_disk_error(EEXIST, DiskOperation::create_file, path) +
                          " (refused: a volume never replaces a file unless --volume-overwrite is given)",
                      EEXIST);
}

}  // namespace

std::filesystem::path partial_path(const std::filesystem::path& final_path) {
  // Appended piecewise: GCC 12 reports a false -Wrestrict for "literal" + std::string&& (GCC bug 105329).
  std::string name = ".";
  name += final_path.filename().string();
  name += ".partial";
  return directory_of(final_path) / name;
}

void sync_path(const std::filesystem::path& path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw disk_error(errno, DiskOperation::write_file, path);
  if (::fsync(fd.get()) != 0 && errno != EINVAL) throw disk_error(errno, DiskOperation::write_file, path);
}

TemporaryOutput::TemporaryOutput(std::filesystem::path final_path, bool overwrite)
    : final_(std::move(final_path)), temporary_(partial_path(final_)), overwrite_(overwrite) {
  const std::filesystem::path directory = directory_of(final_);
  if (const auto problem = directory_problem(directory)) {
    const bool missing = !std::filesystem::exists(directory);
    throw StorageError("cannot write the volume " + final_.string() + ": " + *problem, missing ? ENOENT : EACCES);
  }
  std::error_code error;
  if (!overwrite_ && std::filesystem::exists(std::filesystem::symlink_status(final_, error))) throw exists_error(final_);
  std::filesystem::remove_all(temporary_, error);  // a crash's leftover: ours, never complete
}

TemporaryOutput::~TemporaryOutput() {
  if (committed_) return;
  std::error_code ignored;
  std::filesystem::remove_all(temporary_, ignored);
}

void TemporaryOutput::commit() {
  std::error_code error;
  if (std::filesystem::exists(std::filesystem::symlink_status(final_, error))) {
    if (!overwrite_) throw exists_error(final_);
    std::filesystem::remove_all(final_, error);
    if (error) throw disk_error(error.value(), DiskOperation::rename_file, final_);
  }
  // Everything under the temporary name reaches the disk before the rename makes it look complete: a file's own
  // data (fdatasync, as dd's conv=fdatasync, waiting for no other file's writes), a folder's files all at once
  // (syncfs).
  {
    FileDescriptor output(::open(temporary_.c_str(), O_RDONLY | O_CLOEXEC));
    if (!output) throw disk_error(errno, DiskOperation::write_file, temporary_);
    struct stat info {};
    if (::fstat(output.get(), &info) != 0) throw disk_error(errno, DiskOperation::write_file, temporary_);
    if ((S_ISDIR(info.st_mode) ? ::syncfs(output.get()) : ::fdatasync(output.get())) != 0) {
      throw disk_error(errno, DiskOperation::write_file, temporary_);
    }
  }
  if (::rename(temporary_.c_str(), final_.c_str()) != 0) throw disk_error(errno, DiskOperation::rename_file, final_);
  committed_ = true;
  sync_path(directory_of(final_));
}

}  // namespace tomolive::storage::detail
