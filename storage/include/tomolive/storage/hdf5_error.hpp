// HDF5 failures as exceptions. HDF5 reports errors through a per-thread error stack (and by default prints it to
// stderr); these helpers turn a failed call into a StorageError whose message names what was attempted and the
// stack's descriptions, and whose errno is the one the file driver recorded ("errno = 28" for a full disk), so a
// full disk reads as "disk full while writing X" rather than HDF5's internals.
#pragma once

#include <hdf5.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "tomolive/storage/disk_error.hpp"
#include "tomolive/storage/storage_error.hpp"

namespace tomolive::storage::hdf5 {

// Turns off HDF5's automatic printing of error stacks on the calling thread (the stack is reported through the
// exceptions instead). Every function here that opens or creates a file calls it; call it yourself before other
// HDF5 calls on a thread that opened no file.
void silence_error_printing_on_this_thread();

// The calling thread's error stack as one line ("desc; desc; ..."), and the errno the file driver recorded in it
// (0 if none). Clears the stack.
struct ErrorStack {
  std::string descriptions;
  int error_number = 0;
};
ErrorStack take_error_stack();

// A StorageError for a failed HDF5 call that was doing `operation` on the file at `path`: when the stack carries an
// errno, the message starts with describe_disk_error's line; the stack's descriptions follow.
StorageError failure(std::string_view what, DiskOperation operation, const std::filesystem::path& path);

// Throw failure(...) when an HDF5 call returned a negative identifier or status; pass the value through otherwise.
hid_t check_id(hid_t id, std::string_view what, DiskOperation operation, const std::filesystem::path& path);
void check(herr_t status, std::string_view what, DiskOperation operation, const std::filesystem::path& path);

}  // namespace tomolive::storage::hdf5
