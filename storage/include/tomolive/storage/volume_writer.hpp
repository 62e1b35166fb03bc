// VolumeWriter: writes one reconstructed volume (PROTOCOL.md 10.6) to disk layer by layer, as HDF5, a TIFF stack or
// OME-Zarr, so that nothing half-written ever looks complete.
//
// Names: the output is `directory / (base_name + extension)`: base_name.h5 (HDF5), base_name/ holding
// base_name_00000.tif ... (TIFF, one float32 file per z), base_name.ome.zarr/ (OME-Zarr). Until finish() it is
// written under the temporary name `.<final name>.partial` in the same directory (hidden, and says what it is); finish
// renames it to the final name. A writer destroyed without finish() (failure, cancel) removes its temporary output.
// An existing final name is refused when the writer is made (and again at finish) unless `overwrite` is set, when
// finish replaces it.
//
// Values: the volume is float32 in 1/pixel. dtype float16 stores IEEE half floats (rounded to nearest), uint16 stores
// round((value - add_offset) / scale_factor) clamped to 0..65535 (clamped voxels are counted): a reader gets the
// value back as stored * scale_factor + add_offset (the CF conventions' names, recorded with the data).
// Parameters: `parameters` (a flat JSON object: numbers, strings, booleans; nested values are written as JSON text)
// are recorded with the data: HDF5 attributes of the dataset, the TIFF files' ImageDescription (JSON), and the
// "tomolive" key of the OME-Zarr group's .zattrs.
//
// Thread safety: one thread uses a writer at a time. Errors: StorageError (disk_error's operator line and errno).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "tomolive/storage/write_faults.hpp"

namespace tomolive::storage {

enum class VolumeFormat : std::uint8_t { hdf5, tiff, zarr };
enum class VolumeDtype : std::uint8_t { float32, float16, uint16 };
enum class VolumeCompression : std::uint8_t { none, zstd };

std::string_view to_string(VolumeFormat format);  // "hdf5", "tiff", "zarr"
std::string_view to_string(VolumeDtype dtype);    // "float32", "float16", "uint16"
std::string_view to_string(VolumeCompression compression);  // "none", "zstd"
std::optional<VolumeFormat> parse_volume_format(std::string_view name);
std::optional<VolumeDtype> parse_volume_dtype(std::string_view name);
std::optional<VolumeCompression> parse_volume_compression(std::string_view name);

struct VolumeFileSpec {
  std::filesystem::path directory;
  std::string base_name;  // a file name without extension, e.g. scan_file_stem()'s (scan_file_name.hpp)
  VolumeFormat format = VolumeFormat::hdf5;
  VolumeDtype dtype = VolumeDtype::float32;  // TIFF: float32 only
  VolumeCompression compression = VolumeCompression::none;  // OME-Zarr chunks only
  bool overwrite = false;
  std::array<std::uint32_t, 3> shape{};  // voxels: z, y, x
  double voxel_size_um = 0.0;            // 0: unknown (OME-Zarr then says 1 "pixel")
  double scale_factor = 1.0;             // uint16 only (see above)
  double add_offset = 0.0;
  nlohmann::json parameters = nlohmann::json::object();
};

class VolumeWriter {
 public:
  virtual ~VolumeWriter() = default;

  // Writes the next `layers` z-layers (layers x shape[1] x shape[2] floats, z-major then row-major), after the ones
  // written before. Throws StorageError; the writer is then unusable (destroy it: the temporary output goes).
  virtual void write_layers(std::span<const float> values, std::uint32_t layers) = 0;
  // After the last layer: completes, syncs and renames the output to its final name. Throws StorageError (the final
  // name exists without overwrite, or a disk error); the temporary output is then removed by the destructor.
  virtual void finish() = 0;

  // Bytes written to disk so far (data and metadata).
  virtual std::uint64_t bytes_written() const = 0;
  // Voxels clamped by the uint16 conversion so far.
  virtual std::uint64_t clamped_voxels() const = 0;
  // The final path (a file for HDF5, a folder for TIFF and OME-Zarr) and the temporary one.
  virtual const std::filesystem::path& final_path() const = 0;
  virtual const std::filesystem::path& temporary_path() const = 0;
};

// Checks the spec (shape, TIFF dtype), that the directory takes new files (directory_problem) and the final name is
// free (or overwrite), and opens the temporary output (a stale one left by a crash is replaced). `faults` (may be
// null) sees every write. Throws StorageError.
std::unique_ptr<VolumeWriter> make_volume_writer(const VolumeFileSpec& spec, std::shared_ptr<WriteFaults> faults);

// The final path a writer of `spec` would produce.
std::filesystem::path volume_final_path(const VolumeFileSpec& spec);

}  // namespace tomolive::storage
