#include "tomolive/storage/disk_error.hpp"

#include <unistd.h>

#include <cerrno>
#include <initializer_list>
#include <string_view>
#include <system_error>

namespace tomolive::storage {
namespace {

// Joins the parts (appending, not operator+ on a literal: GCC 12's -Wrestrict misfires on that at -O3).
std::string concat(std::initializer_list<std::string_view> parts) {
  std::string text;
  for (const std::string_view part : parts) text.append(part);
  return text;
}

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
  const std::string_view doing = verb(operation);
  switch (error_number) {
    case ENOSPC: return concat({"disk full while ", doing, " ", target});
    case EDQUOT: return concat({"disk quota exceeded while ", doing, " ", target});
    case EFBIG: return concat({"file too large for its file system while writing ", target});
    case EROFS:
      return in_directory ? concat({"directory ", directory, " is read-only (read-only file system)"})
                          : concat({"file system of ", target, " is read-only"});
    case EACCES:
    case EPERM:
      return in_directory ? concat({"directory ", directory, " is read-only for this process (permission denied)"})
                          : concat({"permission denied while ", doing, " ", target});
    case ENOENT:
      return operation == DiskOperation::open_file ? concat({"file ", target, " does not exist"})
                                                   : concat({"directory ", directory, " does not exist"});
    case ENOTDIR: return concat({"a component of ", directory, " is not a directory"});
    case EEXIST: return concat({"file ", target, " already exists"});
    case EIO: return concat({"I/O error while ", doing, " ", target});
    default:
      return concat({doing, " ", target, " failed: ", std::system_category().message(error_number), " (errno ",
                     std::to_string(error_number), ")"});
  }
}

StorageError disk_error(int error_number, DiskOperation operation, const std::filesystem::path& path) {
  return StorageError(describe_disk_error(error_number, operation, path), error_number);
}

std::optional<std::string> directory_problem(const std::filesystem::path& directory) {
  std::error_code error;
  const auto status = std::filesystem::status(directory, error);
  if (status.type() == std::filesystem::file_type::not_found) {
    return concat({"directory ", quoted(directory), " does not exist"});
  }
  if (error) return concat({"directory ", quoted(directory), " cannot be examined: ", error.message()});
  if (status.type() != std::filesystem::file_type::directory) return concat({quoted(directory), " is not a directory"});
  if (::access(directory.c_str(), W_OK | X_OK) != 0) {
    return describe_disk_error(errno, DiskOperation::create_file, directory / "x");
  }
  return std::nullopt;
}

}  // namespace tomolive::storage
