// TemporaryOutput: the temporary name of a volume's output (a file or a folder) until it is complete. Internal to
// tomolive_storage. The destructor removes what is at the temporary path unless commit() renamed it.
#pragma once

#include <filesystem>

namespace tomolive::storage::detail {

class TemporaryOutput {
 public:
  // Remembers both names; refuses (StorageError) when `final_path`'s directory takes no new files or `final_path`
  // exists and !overwrite; removes a stale temporary output left by a crash.
  TemporaryOutput(std::filesystem::path final_path, bool overwrite);
  ~TemporaryOutput();
  TemporaryOutput(const TemporaryOutput&) = delete;
  TemporaryOutput& operator=(const TemporaryOutput&) = delete;

  const std::filesystem::path& final_path() const { return final_; }
  const std::filesystem::path& temporary_path() const { return temporary_; }

  // Syncs the temporary output (a file: its data, fdatasync; a folder: the file system holding it, syncfs, every file
  // at once), renames it to the final name (replacing an existing one when overwrite) and syncs the directory. Throws
  // StorageError.
  void commit();

 private:
  std::filesystem::path final_;
  std::filesystem::path temporary_;
  bool overwrite_;
  bool committed_ = false;
};

// ".<name>.partial" beside `final_path`.
std::filesystem::path partial_path(const std::filesystem::path& final_path);

// fsyncs a file or a directory; throws StorageError (write_file) on failure.
void sync_path(const std::filesystem::path& path);

}  // namespace tomolive::storage::detail
