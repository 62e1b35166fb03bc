// The volume writers (volume_writer.hpp): each format read back with its own library (HDF5, libtiff) or by the Zarr v2
// / OME-NGFF 0.4 rules (JSON metadata, raw or zstd chunks), slab by slab writes of uneven sizes, every dtype with its
// recorded scale, the parameters recorded, nothing at the final name before finish and no temporary after it; and the
// disk faults: disk full (the WriteFaults seam), a missing or read-only directory, an existing file.
#include "tomolive/storage/volume_writer.hpp"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <tiffio.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <numeric>
#include <vector>

#include "scratch_directory.hpp"
#include "tomolive/storage/hdf5_handle.hpp"
#include "tomolive/storage/scan_file_name.hpp"
#include "tomolive/storage/storage_error.hpp"

namespace tomolive::storage {
namespace {

using Shape = std::array<std::uint32_t, 3>;

std::vector<float> ramp_volume(const Shape& shape) {
  std::vector<float> values(std::size_t{shape[0]} * shape[1] * shape[2]);
  for (std::size_t k = 0; k < values.size(); ++k) values[k] = 0.001f * static_cast<float>(k % 997) - 0.3f;
  return values;
}

VolumeFileSpec spec_in(const test::ScratchDirectory& scratch, VolumeFormat format, const Shape& shape) {
  VolumeFileSpec spec;
  spec.directory = scratch.path();
  spec.base_name = scan_file_stem(7, "femur 2/b");
  spec.format = format;
  spec.shape = shape;
  spec.voxel_size_um = 0.65;
  spec.parameters = {{"center_offset_px", 1.25}, {"window", "hann"}, {"binning", 1}};
  return spec;
}

// Writes `values` in slabs of 2, 1, 2, ... layers; checks that nothing new is at the final name until finish.
void write_all(VolumeWriter& writer, const std::vector<float>& values, const Shape& shape,
               bool final_exists_before = false) {
  const std::size_t layer = std::size_t{shape[1]} * shape[2];
  std::uint32_t z = 0;
  for (std::uint32_t slab = 0; z < shape[0]; ++slab) {
    const std::uint32_t layers = std::min<std::uint32_t>(slab % 2 == 0 ? 2 : 1, shape[0] - z);
    writer.write_layers(std::span<const float>(values).subspan(z * layer, layers * layer), layers);
    z += layers;
  }
  EXPECT_EQ(std::filesystem::exists(writer.final_path()), final_exists_before);
  EXPECT_TRUE(std::filesystem::exists(writer.temporary_path()));
  writer.finish();
  EXPECT_TRUE(std::filesystem::exists(writer.final_path()));
  EXPECT_FALSE(std::filesystem::exists(writer.temporary_path()));
  EXPECT_GT(writer.bytes_written(), 0u);
}

// The file's /volume dataset, opened read-only; both closed with the object.
struct VolumeDataset {
  explicit VolumeDataset(const std::filesystem::path& path)
      : file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT)), dataset(H5Dopen2(file.get(), "volume", H5P_DEFAULT)) {
    EXPECT_TRUE(file) << path;
    EXPECT_TRUE(dataset) << path;
  }
  hdf5::File file;
  hdf5::Dataset dataset;
};

std::vector<float> read_hdf5(const std::filesystem::path& path, const Shape& shape) {
  const VolumeDataset volume(path);
  const hdf5::Dataspace space(H5Dget_space(volume.dataset.get()));
  hsize_t dims[3] = {};
  H5Sget_simple_extent_dims(space.get(), dims, nullptr);
  EXPECT_EQ(dims[0], shape[0]);
  EXPECT_EQ(dims[1], shape[1]);
  EXPECT_EQ(dims[2], shape[2]);
  std::vector<float> values(std::size_t{shape[0]} * shape[1] * shape[2]);
  EXPECT_GE(H5Dread(volume.dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), 0);
  return values;
}

double hdf5_number(const std::filesystem::path& path, const char* name) {
  const VolumeDataset volume(path);
  const hdf5::Attribute attribute(H5Aopen(volume.dataset.get(), name, H5P_DEFAULT));
  EXPECT_TRUE(attribute) << "attribute " << name;
  double value = std::nan("");
  H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, &value);
  return value;
}


TEST(VolumeWriter, Hdf5Float32RoundTripWithParameters) {
  test::ScratchDirectory scratch;
  const Shape shape = {5, 6, 7};
  const auto values = ramp_volume(shape);
  auto writer = make_volume_writer(spec_in(scratch, VolumeFormat::hdf5, shape), nullptr);
  EXPECT_EQ(writer->final_path(), scratch.path() / "scan_000007_femur_2_b.h5");
  EXPECT_EQ(writer->temporary_path(), scratch.path() / ".scan_000007_femur_2_b.h5.partial");
  write_all(*writer, values, shape);
  EXPECT_EQ(read_hdf5(writer->final_path(), shape), values);
  EXPECT_EQ(hdf5_number(writer->final_path(), "center_offset_px"), 1.25);
  EXPECT_EQ(hdf5_number(writer->final_path(), "binning"), 1.0);
  EXPECT_EQ(hdf5_number(writer->final_path(), "scale_factor"), 1.0);
}

TEST(VolumeWriter, Hdf5Float16AndUint16KeepTheirScale) {
  test::ScratchDirectory scratch;
  const Shape shape = {3, 4, 9};
  const auto values = ramp_volume(shape);
  {
    auto spec = spec_in(scratch, VolumeFormat::hdf5, shape);
    spec.dtype = VolumeDtype::float16;
    spec.base_name = "half";
    auto writer = make_volume_writer(spec, nullptr);
    write_all(*writer, values, shape);
    const auto read = read_hdf5(writer->final_path(), shape);
    for (std::size_t k = 0; k < values.size(); ++k) EXPECT_NEAR(read[k], values[k], 1e-3 * std::fabs(values[k]) + 1e-7);
  }
  {
    auto spec = spec_in(scratch, VolumeFormat::hdf5, shape);
    spec.dtype = VolumeDtype::uint16;
    spec.base_name = "scaled";
    spec.scale_factor = 1e-5;
    spec.add_offset = -0.2;  // values below -0.2 are clamped to 0
    auto writer = make_volume_writer(spec, nullptr);
    write_all(*writer, values, shape);
    const std::size_t below = std::count_if(values.begin(), values.end(), [](float v) { return v < -0.2f - 5e-6f; });
    EXPECT_EQ(writer->clamped_voxels(), below);
    EXPECT_EQ(hdf5_number(writer->final_path(), "clamped_voxels"), static_cast<double>(below));
    const double scale = hdf5_number(writer->final_path(), "scale_factor");
    const double offset = hdf5_number(writer->final_path(), "add_offset");
    const auto stored = read_hdf5(writer->final_path(), shape);  // converted to float: the stored integers
    for (std::size_t k = 0; k < values.size(); ++k) {
      if (values[k] < -0.2f) continue;
      EXPECT_NEAR(stored[k] * scale + offset, values[k], 0.51 * scale) << k;
    }
  }
}

// The stored layout of /volume: element class and size, and chunk dimensions.
struct Hdf5Layout {
  H5T_class_t type_class = H5T_NO_CLASS;
  std::size_t element_bytes = 0;
  std::array<hsize_t, 3> chunk{};
};

Hdf5Layout hdf5_layout(const std::filesystem::path& path) {
  const VolumeDataset volume(path);
  const hdf5::Datatype type(H5Dget_type(volume.dataset.get()));
  const hdf5::PropertyList creation(H5Dget_create_plist(volume.dataset.get()));
  Hdf5Layout layout{H5Tget_class(type.get()), H5Tget_size(type.get()), {}};
  EXPECT_EQ(H5Pget_layout(creation.get()), H5D_CHUNKED);
  EXPECT_EQ(H5Pget_chunk(creation.get(), 3, layout.chunk.data()), 3);
  EXPECT_EQ(H5Pget_nfilters(creation.get()), 0);
  return layout;
}

// Layers wider than one chunk (1024 x 1024) are tiled, and the tiles at the far edges hold the rest (1 row, 2
// columns): each chunk is gathered from its rows, converted and written whole. Every voxel has its own value, so a
// tile written at the wrong place, with the wrong row stride or to the wrong layer reads back wrong.
TEST(VolumeWriter, Hdf5TiledLayersReadBackVoxelForVoxel) {
  test::ScratchDirectory scratch;
  const Shape shape = {3, 1025, 1026};
  std::vector<float> values(std::size_t{shape[0]} * shape[1] * shape[2]);
  // Distinct integers, exact in float32 and, shifted by 40, in uint16 (the first 40 of each 65521 are clamped to 0).
  for (std::size_t k = 0; k < values.size(); ++k) values[k] = static_cast<float>(k % 65521) - 40.f;
  {
    auto spec = spec_in(scratch, VolumeFormat::hdf5, shape);
    spec.base_name = "tiled";
    auto writer = make_volume_writer(spec, nullptr);
    write_all(*writer, values, shape);
    const Hdf5Layout layout = hdf5_layout(writer->final_path());
    EXPECT_EQ(layout.type_class, H5T_FLOAT);
    EXPECT_EQ(layout.element_bytes, 4u);
    EXPECT_EQ(layout.chunk, (std::array<hsize_t, 3>{1, 1024, 1024}));
    EXPECT_EQ(read_hdf5(writer->final_path(), shape), values);
    // The corner chunk as stored: its two voxels inside the volume (1 row, 2 columns), zeros outside (the file does not depend on what
    // the writer's buffers held before).
    const hsize_t corner[3] = {2, 1024, 1024};
    std::vector<float> chunk(1024 * 1024, -1.f);
    std::uint32_t filters = 0;
    EXPECT_GE(H5Dread_chunk(VolumeDataset(writer->final_path()).dataset.get(), H5P_DEFAULT, corner, &filters,
                            chunk.data()),
              0);
    EXPECT_EQ(chunk[0], values[values.size() - 2]);
    EXPECT_EQ(chunk[1], values.back());
    EXPECT_EQ(std::count(chunk.begin() + 2, chunk.end(), 0.f), 1024 * 1024 - 2);
  }
  {
    auto spec = spec_in(scratch, VolumeFormat::hdf5, shape);
    spec.base_name = "tiled-uint16";
    spec.dtype = VolumeDtype::uint16;
    spec.add_offset = 0.0;
    auto writer = make_volume_writer(spec, nullptr);
    write_all(*writer, values, shape);
    const Hdf5Layout layout = hdf5_layout(writer->final_path());
    EXPECT_EQ(layout.type_class, H5T_INTEGER);
    EXPECT_EQ(layout.element_bytes, 2u);
    EXPECT_EQ(layout.chunk, (std::array<hsize_t, 3>{1, 1024, 1024}));
    const auto stored = read_hdf5(writer->final_path(), shape);
    std::size_t wrong = 0, clamped = 0;
    for (std::size_t k = 0; k < values.size(); ++k) {
      clamped += values[k] < 0.f ? 1 : 0;
      wrong += stored[k] != std::max(values[k], 0.f) ? 1 : 0;
    }
    EXPECT_EQ(wrong, 0u);
    EXPECT_EQ(writer->clamped_voxels(), clamped);
  }
}

// A layer of at most 1024 x 1024 voxels is one chunk; float16 keeps its 2-byte float type.
TEST(VolumeWriter, Hdf5SmallLayerIsOneChunk) {
  test::ScratchDirectory scratch;
  const Shape shape = {5, 6, 7};
  auto spec = spec_in(scratch, VolumeFormat::hdf5, shape);
  spec.dtype = VolumeDtype::float16;
  auto writer = make_volume_writer(spec, nullptr);
  write_all(*writer, ramp_volume(shape), shape);
  const Hdf5Layout layout = hdf5_layout(writer->final_path());
  EXPECT_EQ(layout.type_class, H5T_FLOAT);
  EXPECT_EQ(layout.element_bytes, 2u);
  EXPECT_EQ(layout.chunk, (std::array<hsize_t, 3>{1, 6, 7}));
}

TEST(VolumeWriter, TiffStackOneFloatFilePerLayer) {
  test::ScratchDirectory scratch;
  const Shape shape = {4, 20, 3};
  const auto values = ramp_volume(shape);
  auto writer = make_volume_writer(spec_in(scratch, VolumeFormat::tiff, shape), nullptr);
  write_all(*writer, values, shape);
  const std::size_t layer = std::size_t{shape[1]} * shape[2];
  for (std::uint32_t z = 0; z < shape[0]; ++z) {
    const auto path = writer->final_path() / ("scan_000007_femur_2_b_0000" + std::to_string(z) + ".tif");
    TIFF* tiff = TIFFOpen(path.c_str(), "r");
    ASSERT_NE(tiff, nullptr) << path;
    std::uint32_t width = 0, height = 0;
    std::uint16_t bits = 0, format = 0;
    char* description = nullptr;
    TIFFGetField(tiff, TIFFTAG_IMAGEWIDTH, &width);
    TIFFGetField(tiff, TIFFTAG_IMAGELENGTH, &height);
    TIFFGetField(tiff, TIFFTAG_BITSPERSAMPLE, &bits);
    TIFFGetField(tiff, TIFFTAG_SAMPLEFORMAT, &format);
    ASSERT_EQ(TIFFGetField(tiff, TIFFTAG_IMAGEDESCRIPTION, &description), 1);
    EXPECT_EQ(width, shape[2]);
    EXPECT_EQ(height, shape[1]);
    EXPECT_EQ(bits, 32);
    EXPECT_EQ(format, SAMPLEFORMAT_IEEEFP);
    const auto parameters = nlohmann::json::parse(description);
    EXPECT_EQ(parameters.at("window"), "hann");
    EXPECT_EQ(parameters.at("z"), z);
    std::vector<float> read(layer);
    for (std::uint32_t row = 0; row < height; ++row) TIFFReadScanline(tiff, read.data() + row * width, row);
    TIFFClose(tiff);
    EXPECT_TRUE(std::equal(read.begin(), read.end(), values.begin() + static_cast<std::ptrdiff_t>(z * layer)));
  }
}

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

std::vector<unsigned char> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Voxel (z, y, x) of level `level` of an OME-Zarr float32 volume, read from its chunk by the Zarr v2 rules.
float zarr_voxel(const std::filesystem::path& root, int level, std::uint32_t z, std::uint32_t y, std::uint32_t x) {
  const auto meta = read_json(root / std::to_string(level) / ".zarray");
  const auto chunks = meta.at("chunks").get<std::array<std::uint32_t, 3>>();
  const auto path = root / std::to_string(level) / std::to_string(z / chunks[0]) / std::to_string(y / chunks[1]) /
                    std::to_string(x / chunks[2]);
  std::vector<unsigned char> bytes = read_bytes(path);
  if (!meta.at("compressor").is_null()) {
    std::vector<unsigned char> raw(std::size_t{chunks[0]} * chunks[1] * chunks[2] * 4);
    EXPECT_EQ(ZSTD_decompress(raw.data(), raw.size(), bytes.data(), bytes.size()), raw.size());
    bytes = raw;
  }
  EXPECT_EQ(bytes.size(), std::size_t{chunks[0]} * chunks[1] * chunks[2] * 4);
  const std::size_t k = (std::size_t{z % chunks[0]} * chunks[1] + y % chunks[1]) * chunks[2] + x % chunks[2];
  float value = 0.f;
  std::memcpy(&value, bytes.data() + 4 * k, 4);
  return value;
}

TEST(VolumeWriter, OmeZarrMultiscalePyramid) {
  for (const VolumeCompression compression : {VolumeCompression::none, VolumeCompression::zstd}) {
    SCOPED_TRACE(std::string(to_string(compression)));
    test::ScratchDirectory scratch;
    const Shape shape = {35, 18, 600};  // two chunk rows along z, two chunks along x at level 0
    const auto values = ramp_volume(shape);
    auto spec = spec_in(scratch, VolumeFormat::zarr, shape);
    spec.compression = compression;
    auto writer = make_volume_writer(spec, nullptr);
    EXPECT_EQ(writer->final_path(), scratch.path() / "scan_000007_femur_2_b.ome.zarr");
    write_all(*writer, values, shape);
    const auto root = writer->final_path();
    EXPECT_EQ(read_json(root / ".zgroup").at("zarr_format"), 2);
    const auto attributes = read_json(root / ".zattrs");
    const auto& multiscale = attributes.at("multiscales").at(0);
    EXPECT_EQ(multiscale.at("version"), "0.4");
    ASSERT_EQ(multiscale.at("axes").size(), 3u);
    EXPECT_EQ(multiscale.at("axes").at(2).at("name"), "x");
    EXPECT_EQ(multiscale.at("axes").at(2).at("unit"), "micrometer");
    ASSERT_EQ(multiscale.at("datasets").size(), 2u);  // 35 x 18 x 600, then 17 x 9 x 300 (the next has 4 rows)
    EXPECT_EQ(multiscale.at("datasets").at(1).at("path"), "1");
    EXPECT_DOUBLE_EQ(multiscale.at("datasets").at(1).at("coordinateTransformations").at(0).at("scale").at(0), 1.3);
    EXPECT_EQ(attributes.at("tomolive").at("center_offset_px"), 1.25);
    const auto level1 = read_json(root / "1" / ".zarray");
    EXPECT_EQ(level1.at("shape"), nlohmann::json({17, 9, 300}));
    EXPECT_EQ(level1.at("dtype"), "<f4");
    EXPECT_EQ(level1.at("dimension_separator"), "/");
    const auto at = [&](std::uint32_t z, std::uint32_t y, std::uint32_t x) {
      return values[(std::size_t{z} * shape[1] + y) * shape[2] + x];
    };
    for (const auto& [z, y, x] : {Shape{0, 0, 0}, Shape{34, 17, 599}, Shape{33, 5, 513}, Shape{12, 9, 300}}) {
      EXPECT_EQ(zarr_voxel(root, 0, z, y, x), at(z, y, x));
    }
    for (const auto& [z, y, x] : {Shape{0, 0, 0}, Shape{16, 8, 299}, Shape{9, 4, 150}}) {
      float sum = 0.f;
      for (std::uint32_t d = 0; d < 8; ++d) sum += at(2 * z + (d >> 2), 2 * y + ((d >> 1) & 1), 2 * x + (d & 1));
      EXPECT_NEAR(zarr_voxel(root, 1, z, y, x), sum / 8, 1e-6);
    }
  }
}

TEST(VolumeWriterFaults, DiskFullLeavesNothingThatLooksComplete) {
  for (const VolumeFormat format : {VolumeFormat::hdf5, VolumeFormat::tiff, VolumeFormat::zarr}) {
    SCOPED_TRACE(std::string(to_string(format)));
    test::ScratchDirectory scratch;
    const Shape shape = {6, 8, 8};
    const auto values = ramp_volume(shape);
    auto faults = std::make_shared<WriteFaults>();
    faults->fail_after(1000, ENOSPC);  // the metadata fits, the data does not
    std::filesystem::path final_path, temporary;
    try {
      auto writer = make_volume_writer(spec_in(scratch, format, shape), faults);
      final_path = writer->final_path();
      temporary = writer->temporary_path();
      write_all(*writer, values, shape);
      ADD_FAILURE() << "no error";
    } catch (const StorageError& e) {
      EXPECT_EQ(e.error_number(), ENOSPC);
      EXPECT_NE(std::string(e.what()).find("disk full"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(std::filesystem::is_empty(scratch.path())) << "the temporary output is removed";
  }
}

TEST(VolumeWriterFaults, MissingOrReadOnlyDirectoryAndExistingFile) {
  test::ScratchDirectory scratch;
  const Shape shape = {2, 4, 4};
  auto spec = spec_in(scratch, VolumeFormat::hdf5, shape);
  spec.directory = scratch.path() / "missing";
  try {
    make_volume_writer(spec, nullptr);
    ADD_FAILURE() << "no error";
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
  if (::geteuid() != 0) {  // root ignores directory permissions
    const auto read_only = scratch.path() / "read-only";
    std::filesystem::create_directory(read_only);
    std::filesystem::permissions(read_only, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
    spec.directory = read_only;
    EXPECT_THROW(make_volume_writer(spec, nullptr), StorageError);
  }
  // A read-only file system: the seam fails the first write as the kernel would.
  spec.directory = scratch.path();
  auto faults = std::make_shared<WriteFaults>();
  faults->fail_after(0, EROFS);
  try {
    auto writer = make_volume_writer(spec, faults);
    writer->write_layers(ramp_volume(shape), 2);
    ADD_FAILURE() << "no error";
  } catch (const StorageError& e) {
    EXPECT_EQ(e.error_number(), EROFS);
  }
  EXPECT_TRUE(std::filesystem::is_empty(scratch.path()));
  // An existing file is refused before anything is written, and kept; overwrite replaces it at finish.
  const auto existing = volume_final_path(spec);
  std::ofstream(existing) << "an older volume";
  try {
    make_volume_writer(spec, nullptr);
    ADD_FAILURE() << "no error";
  } catch (const StorageError& e) {
    EXPECT_EQ(e.error_number(), EEXIST);
    EXPECT_NE(std::string(e.what()).find("already exists"), std::string::npos) << e.what();
  }
  EXPECT_EQ(std::filesystem::file_size(existing), 15u);
  spec.overwrite = true;
  auto writer = make_volume_writer(spec, nullptr);
  EXPECT_EQ(std::filesystem::file_size(existing), 15u) << "replaced only when the new volume is complete";
  write_all(*writer, ramp_volume(shape), shape, true);
  EXPECT_EQ(read_hdf5(existing, shape), ramp_volume(shape));
}

}  // namespace
}  // namespace tomolive::storage
