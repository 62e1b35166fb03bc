// RAII owners of HDF5 identifiers (hid_t). Each handle closes its identifier with the matching H5*close function
// when destroyed; handles are movable, not copyable. A default-constructed handle holds nothing.
//
// HDF5 here is Debian's 1.10 built thread-safe: handles may be used from any thread, one at a time per object.
#pragma once

#include <hdf5.h>

#include <utility>

namespace tomolive::storage::hdf5 {

template <herr_t (*Close)(hid_t)>
class Handle {
 public:
  Handle() = default;
  // Takes ownership of `id` (which must be valid: use check_id() on the result of an H5*create/open call).
  explicit Handle(hid_t id) : id_(id) {}
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }

  hid_t get() const { return id_; }
  explicit operator bool() const { return id_ >= 0; }

  // Closes the identifier now (errors at close are ignored here; call the close function yourself, through check(),
  // where a close error matters, e.g. File: see close_file()).
  void reset() {
    if (id_ >= 0) Close(std::exchange(id_, H5I_INVALID_HID));
  }
  // Gives up ownership without closing.
  hid_t release() { return std::exchange(id_, H5I_INVALID_HID); }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

using File = Handle<H5Fclose>;
using Group = Handle<H5Gclose>;
using Dataset = Handle<H5Dclose>;
using Dataspace = Handle<H5Sclose>;
using PropertyList = Handle<H5Pclose>;
using Datatype = Handle<H5Tclose>;
using Attribute = Handle<H5Aclose>;

}  // namespace tomolive::storage::hdf5
