#include "tomolive/storage/disk_error.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace tomolive::storage {
namespace {

// Appended piecewise: GCC 12 reports a false -Wrestrict for "literal" + std::string&& (GCC bug 105329).
std::string quoted(const std::filesystem::path& path) {
  std::string text = "'";
  text += path.string();
  text += '\'';
  return text;
}

std::filesystem::path directory_of(const std::filesystem::path& path) {
  return path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
}

std::string_view verb(DiskOperation operation) {
  switch (operation) {
    case DiskOperation::create_file: return "creating";
    case DiskOperation::write_file: return "writing";
    case DiskOperation::rename_file: return "renaming";
    case DiskOperation::open_file: return "opening";
  }
  return "accessing";
}

}  // namespace

std::string describe_disk_error(int error_number, DiskOperation operation, const std::filesystem::path& path) {
  const std::string target = quoted(path);
  const bool in_directory = operation == DiskOperation::create_file || operation == DiskOperation::rename_file;
  const std::string directory = quoted(directory_of(path));
  switch (error_number) {
    case ENOSPC: return "disk full while " + std::string(verb(operation)) + " " + target;
    case EDQUOT: return "disk quota exceeded while " + std::string(verb(operation)) + " " + target;
    case EFBIG: return "file too large for its file system while writing " + target;
    case EROFS:
      return in_directory ? "directory " + directory + " is read-only (read-only file system)"
                          : "file system of " + target + " is read-only";
    case EACCES:
    case EPERM:
      return in_directory ? "directory " + directory + " is read-only for this process (permission denied)"
                          : "permission denied while " + std::string(verb(operation)) + " " + target;
    case ENOENT:
      return operation == DiskOperation::open_file ? "file " + target + " does not exist"
                                                   : "directory " + directory + " does not exist";
    case ENOTDIR: return "a component of " + directory + " is not a directory";
    case EEXIST: return "file " + target + " already exists";
    case EIO: return "I/O error while " + std::string(verb(operation)) + " " + target;
    default:
      return std::string(verb(operation)) + " " + target + " failed: " +
             std::system_category().message(error_number) + " (errno " + std::to_string(error_number) + ")";
  }
}

StorageError disk_error(int error_number, DiskOperation operation, const std::filesystem::path& path) {
  return StorageError(describe_disk_error(error_number, operation, path), error_number);
}

std::optional<std::string> directory_problem(const std::filesystem::path& directory) {
  std::error_code error;
  const auto status = std::filesystem::status(directory, error);
  if (status.type() == std::filesystem::file_type::not_found) {
    return "directory " + quoted(directory) + " does not exist";
  }
  if (error) return "directory " + quoted(directory) + " cannot be examined: " + error.message();
  if (status.type() != std::filesystem::file_type::directory) return quoted(directory) + " is not a directory";
  if (::access(directory.c_str(), W_OK | X_OK) != 0) {
    return describe_disk_error(errno, DiskOperation::create_file, directory / "x");
  }
  return std::nullopt;
}

}  // namespace tomolive::storage
