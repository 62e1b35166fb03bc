// StorageError: a failed file-system or HDF5 operation, with a message for the operator ("disk full while writing
// /data/scan_7.nxs.partial") and the errno behind it when one is known (0 otherwise), so that callers can tell a
// full disk from a read-only directory without parsing text.
#pragma once

#include <stdexcept>
#include <string>

namespace tomolive::storage {

class StorageError : public std::runtime_error {
 public:
  StorageError(std::string message, int error_number)
      : std::runtime_error(std::move(message)), error_number_(error_number) {}

  // The errno of the failed system call, 0 when unknown.
  int error_number() const { return error_number_; }

 private:
  int error_number_;
};

}  // namespace tomolive::storage
