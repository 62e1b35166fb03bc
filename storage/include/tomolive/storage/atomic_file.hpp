// Atomic replacement of a small file (JSON sidecars): readers see either no file, the old file or the complete new
// one, never a partial write, even across a crash or a full disk.
//
// The bytes are written to a temporary file in the same directory (so the rename cannot cross file systems), which
// is fsync'ed, then renamed over the final name, and the directory is fsync'ed so the rename itself is durable.
// On failure the temporary file is removed and the final name is untouched.
#pragma once

#include <filesystem>
#include <string_view>

namespace tomolive::storage {

// Writes `bytes` to `path` atomically (replacing an existing file). Throws StorageError (disk_error's message and
// errno) when any step fails.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

// The temporary name write_file_atomically uses for `path`: ".<name>.tmp-<pid>" in the same directory. Public so
// that tests and cleanup can recognise leftovers of a crash.
std::filesystem::path atomic_temporary_path(const std::filesystem::path& path);

// Renames `from` to `to` unless `to` exists (renameat2 with RENAME_NOREPLACE): a finished file never replaces
// another. Throws StorageError ("file X already exists", ...) on failure.
void rename_without_replacing(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace tomolive::storage
