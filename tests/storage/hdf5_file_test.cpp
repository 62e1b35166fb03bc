#include "tomolive/storage/hdf5_file.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <vector>

#include "scratch_directory.hpp"
#include "tomolive/storage/storage_error.hpp"

namespace tomolive::storage::hdf5 {
namespace {

std::string read_string_attribute(hid_t object, const char* name) {
  Attribute attribute(H5Aopen(object, name, H5P_DEFAULT));
  Datatype type(H5Aget_type(attribute.get()));
  char* value = nullptr;
  EXPECT_GE(H5Aread(attribute.get(), type.get(), &value), 0);
  std::string text(value);
  H5free_memory(value);
  return text;
}

TEST(Hdf5File, WritesGroupsAttributesDatasetsAndLinks) {
  test::ScratchDirectory scratch;
  const auto path = scratch.path() / "a.h5";
  {
    Hdf5File file = Hdf5File::create(path);
    Group entry = file.create_group(file.id(), "entry", "NXentry");
    file.write_attribute(entry.get(), "scale", 2.5);
    file.write_dataset(entry.get(), "title", "Zoë");
    const std::array<double, 3> angles{0.0, 1.5, 3.0};
    file.write_dataset(entry.get(), "angles", std::span<const double>(angles));
    file.link(entry.get(), "alias", "/entry/angles");
    file.close();
  }
  Hdf5File file = Hdf5File::open_read_only(path);
  Group entry(H5Gopen2(file.id(), "entry", H5P_DEFAULT));
  ASSERT_TRUE(entry);
  EXPECT_EQ(read_string_attribute(entry.get(), "NX_class"), "NXentry");
  Dataset alias(H5Dopen2(entry.get(), "alias", H5P_DEFAULT));
  std::array<double, 3> angles{};
  ASSERT_GE(H5Dread(alias.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, angles.data()), 0);
  EXPECT_EQ(angles[2], 3.0);
}

TEST(Hdf5File, ExistingFileIsRefusedWithAClearMessage) {
  test::ScratchDirectory scratch;
  const auto path = scratch.path() / "a.h5";
  Hdf5File::create(path).close();
  try {
    Hdf5File::create(path);
    FAIL() << "expected a StorageError";
  } catch (const StorageError& error) {
    EXPECT_EQ(error.error_number(), EEXIST);
    EXPECT_TRUE(std::string(error.what()).starts_with(std::string("file '") + path.string() + "' already exists"))
        << error.what();
  }
}

TEST(Hdf5File, MissingDirectoryIsNamed) {
  test::ScratchDirectory scratch;
  const auto path = scratch.path() / "missing" / "a.h5";
  try {
    Hdf5File::create(path);
    FAIL() << "expected a StorageError";
  } catch (const StorageError& error) {
    EXPECT_EQ(error.error_number(), ENOENT);
    EXPECT_TRUE(std::string(error.what()).starts_with(std::string("directory '") + path.parent_path().string() +
                                                      "' does not exist"))
        << error.what();
  }
}

TEST(Hdf5File, ChunkedDatasetWithBitshuffleKeepsItsFilter) {
  test::ScratchDirectory scratch;
  Hdf5File file = Hdf5File::create(scratch.path() / "b.h5");
  ChunkedLayout layout{{0, 4, 6}, {H5S_UNLIMITED, 4, 6}, {1, 4, 6}, bitshuffle_lz4_filter()};
  Dataset data = file.create_chunked_dataset(file.id(), "data", H5T_STD_U16LE, layout);
  PropertyList creation(H5Dget_create_plist(data.get()));
  unsigned flags = 0;
  std::size_t count = 8;
  std::array<unsigned, 8> values{};
  ASSERT_GE(H5Pget_filter_by_id2(creation.get(), kBitshuffleFilterId, &flags, &count, values.data(), 0, nullptr,
                                 nullptr),
            0);
  ASSERT_EQ(count, 5U);
  EXPECT_EQ(values[2], 2U);  // element size of uint16
  EXPECT_EQ(values[4], 2U);  // LZ4
}

}  // namespace
}  // namespace tomolive::storage::hdf5
