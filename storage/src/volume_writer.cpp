#include "tomolive/storage/volume_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "tomolive/storage/disk_error.hpp"
#include "tomolive/storage/file_descriptor.hpp"
#include "volume_writer_formats.hpp"

namespace tomolive::storage {
namespace {

constexpr std::array<std::string_view, 3> kFormats = {"hdf5", "tiff", "zarr"};
constexpr std::array<std::string_view, 3> kDtypes = {"float32", "float16", "uint16"};
constexpr std::array<std::string_view, 2> kCompressions = {"none", "zstd"};

template <class Enum, std::size_t N>
std::optional<Enum> parse_name(const std::array<std::string_view, N>& names, std::string_view name) {
  for (std::size_t k = 0; k < N; ++k) {
    if (names[k] == name) return static_cast<Enum>(k);
  }
  return std::nullopt;
}

std::string_view extension(VolumeFormat format) {
  switch (format) {
    case VolumeFormat::hdf5: return ".h5";
    case VolumeFormat::tiff: return "";
    case VolumeFormat::zarr: return ".ome.zarr";
  }
  return "";
}

}  // namespace

std::string_view to_string(VolumeFormat format) { return kFormats[static_cast<std::size_t>(format)]; }
std::string_view to_string(VolumeDtype dtype) { return kDtypes[static_cast<std::size_t>(dtype)]; }
std::string_view to_string(VolumeCompression compression) {
  return kCompressions[static_cast<std::size_t>(compression)];
}
std::optional<VolumeFormat> parse_volume_format(std::string_view name) {
  return parse_name<VolumeFormat>(kFormats, name);
}
std::optional<VolumeDtype> parse_volume_dtype(std::string_view name) { return parse_name<VolumeDtype>(kDtypes, name); }
std::optional<VolumeCompression> parse_volume_compression(std::string_view name) {
  return parse_name<VolumeCompression>(kCompressions, name);
}

std::filesystem::path volume_final_path(const VolumeFileSpec& spec) {
  return spec.directory / (spec.base_name + std::string(extension(spec.format)));
}

std::unique_ptr<VolumeWriter> make_volume_writer(const VolumeFileSpec& spec, std::shared_ptr<WriteFaults> faults) {
  if (spec.shape[0] == 0 || spec.shape[1] == 0 || spec.shape[2] == 0) {
    throw StorageError("volume shape " + std::to_string(spec.shape[0]) + " x " + std::to_string(spec.shape[1]) +
                           " x " + std::to_string(spec.shape[2]) + " (z x y x x) is empty",
                       EINVAL);
  }
  if (spec.format == VolumeFormat::tiff && spec.dtype != VolumeDtype::float32) {
    throw StorageError("a TIFF stack is float32 only; dtype " + std::string(to_string(spec.dtype)) +
                           " needs --volume-format hdf5 or zarr",
                       EINVAL);
  }
  if (spec.dtype == VolumeDtype::uint16 && !(spec.scale_factor > 0.0)) {
    throw StorageError("uint16 volume: scale_factor must be > 0", EINVAL);
  }
  auto output = std::make_unique<detail::TemporaryOutput>(volume_final_path(spec), spec.overwrite);
  switch (spec.format) {
    case VolumeFormat::hdf5: return detail::make_hdf5_volume_writer(spec, std::move(output), std::move(faults));
    case VolumeFormat::tiff: return detail::make_tiff_volume_writer(spec, std::move(output), std::move(faults));
    case VolumeFormat::zarr: return detail::make_zarr_volume_writer(spec, std::move(output), std::move(faults));
  }
  throw StorageError("unknown volume format", EINVAL);
}

namespace detail {

void write_new_file(const std::filesystem::path& path, std::span<const unsigned char> bytes, WriteFaults* faults) {
  FileDescriptor file(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!file) throw disk_error(errno, DiskOperation::create_file, path);
  check_write(faults, bytes.size(), path);
  while (!bytes.empty()) {
    const ssize_t written = ::write(file.get(), bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      throw disk_error(errno, DiskOperation::write_file, path);
    }
    bytes = bytes.subspan(static_cast<std::size_t>(written));
  }
  if (file.close() != 0) throw disk_error(errno, DiskOperation::write_file, path);
}

}  // namespace detail
}  // namespace tomolive::storage
