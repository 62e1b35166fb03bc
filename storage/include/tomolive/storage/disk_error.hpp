// Operator-facing descriptions of file-system errors: errno plus what was being done to which path becomes one
// line that says what is wrong in the operator's terms ("disk full while writing X", "directory Y is read-only",
// "directory Y does not exist", "file X already exists"), instead of a bare strerror.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "tomolive/storage/storage_error.hpp"

namespace tomolive::storage {

// What was being attempted on the path when the error happened.
enum class DiskOperation {
  create_file,  // creating a new file in its directory (the directory's problems are named)
  write_file,   // writing or flushing an open file
  rename_file,  // renaming a finished file to its final name
  open_file,    // opening an existing file for reading
};

// One line describing `error_number` (an errno value) while doing `operation` on `path`. Never empty.
std::string describe_disk_error(int error_number, DiskOperation operation, const std::filesystem::path& path);

// A StorageError carrying describe_disk_error's line and the errno.
StorageError disk_error(int error_number, DiskOperation operation, const std::filesystem::path& path);

// Why new files cannot be created in `directory` (missing, not a directory, not writable), or nullopt when they
// can as far as the permissions tell. Used to refuse a recording or a volume before any data is accepted.
std::optional<std::string> directory_problem(const std::filesystem::path& directory);

}  // namespace tomolive::storage
