#include "tomolive/storage/hdf5_error.hpp"

#include <charconv>

namespace tomolive::storage::hdf5 {
namespace {

struct WalkState {
  ErrorStack stack;
};

// The sec2 driver writes "..., errno = 28, error message = 'No space left on device', ...".
int errno_in(std::string_view description) {
  constexpr std::string_view kKey = "errno = ";
  const std::size_t at = description.find(kKey);
  if (at == std::string_view::npos) return 0;
  const char* begin = description.data() + at + kKey.size();
  int value = 0;
  std::from_chars(begin, description.data() + description.size(), value);
  return value;
}

herr_t collect(unsigned /*index*/, const H5E_error2_t* error, void* data) {
  auto& state = *static_cast<WalkState*>(data);
  const std::string_view description = error->desc != nullptr ? error->desc : "";
  if (!description.empty()) {
    if (!state.stack.descriptions.empty()) state.stack.descriptions += "; ";
    state.stack.descriptions += description;
  }
  if (state.stack.error_number == 0) state.stack.error_number = errno_in(description);
  return 0;
}

}  // namespace

void silence_error_printing_on_this_thread() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

ErrorStack take_error_stack() {
  WalkState state;
  // Upward: from the innermost failure (the file driver's, with its errno) to the API call.
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, collect, &state);
  H5Eclear2(H5E_DEFAULT);
  return state.stack;
}

StorageError failure(std::string_view what, DiskOperation operation, const std::filesystem::path& path) {
  ErrorStack stack = take_error_stack();
  std::string message;
  if (stack.error_number != 0) message = describe_disk_error(stack.error_number, operation, path) + ": ";
  message += std::string(what) + " failed";
  if (!stack.descriptions.empty()) message += " (HDF5: " + stack.descriptions + ")";
  return StorageError(std::move(message), stack.error_number);
}

hid_t check_id(hid_t id, std::string_view what, DiskOperation operation, const std::filesystem::path& path) {
  if (id < 0) throw failure(what, operation, path);
  return id;
}

void check(herr_t status, std::string_view what, DiskOperation operation, const std::filesystem::path& path) {
  if (status < 0) throw failure(what, operation, path);
}

}  // namespace tomolive::storage::hdf5
