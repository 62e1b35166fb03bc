// The per-format VolumeWriter factories behind make_volume_writer (volume_writer.hpp), internal to tomolive_storage.
// Each gets a checked spec and an open TemporaryOutput it owns.
#pragma once

#include <memory>

#include "tomolive/storage/volume_writer.hpp"
#include "volume_output.hpp"

namespace tomolive::storage::detail {

std::unique_ptr<VolumeWriter> make_hdf5_volume_writer(const VolumeFileSpec& spec, std::unique_ptr<TemporaryOutput> output,
                                                      std::shared_ptr<WriteFaults> faults);
std::unique_ptr<VolumeWriter> make_tiff_volume_writer(const VolumeFileSpec& spec, std::unique_ptr<TemporaryOutput> output,
                                                      std::shared_ptr<WriteFaults> faults);
std::unique_ptr<VolumeWriter> make_zarr_volume_writer(const VolumeFileSpec& spec, std::unique_ptr<TemporaryOutput> output,
                                                      std::shared_ptr<WriteFaults> faults);

// Writes `bytes` to a new file `path` (O_EXCL) through `faults` and closes it (TemporaryOutput::commit syncs the
// file system before the rename). Throws StorageError.
void write_new_file(const std::filesystem::path& path, std::span<const unsigned char> bytes, WriteFaults* faults);

}  // namespace tomolive::storage::detail
