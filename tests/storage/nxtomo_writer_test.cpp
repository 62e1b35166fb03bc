// NxtomoWriter, read back with HDF5's C API here; tests/storage/nxtomo_readback_test.py reads daemon recordings with
// h5py, and the compressed-chunk test below reads with h5py and Debian's bitshuffle plugin.
#include "tomolive/storage/nxtomo_writer.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <vector>

#include "scratch_directory.hpp"
#include "tomolive/storage/storage_error.hpp"

namespace tomolive::storage {
namespace {

using protocol::FrameKind;

protocol::ScanBegin small_scan() {
  protocol::ScanBegin begin;
  begin.scan_id = 7;
  begin.name = "sample A";
  begin.rows = 3;
  begin.cols = 4;
  begin.num_darks = 1;
  begin.num_flats = 1;
  begin.num_projections = 2;
  begin.angles = protocol::AngleRange{0.0, 90.0};
  begin.pixel_size_um = 0.65;
  return begin;
}

std::vector<std::uint16_t> frame(std::uint16_t base) {
  std::vector<std::uint16_t> pixels(12);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<std::uint16_t>(base + i);
  return pixels;
}

template <typename T>
std::vector<T> read_all(hid_t file, const char* path, hid_t memory_type, std::size_t count) {
  hdf5::Dataset dataset(H5Dopen2(file, path, H5P_DEFAULT));
  EXPECT_TRUE(dataset) << path;
  std::vector<T> values(count);
  EXPECT_GE(H5Dread(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), 0) << path;
  return values;
}

TEST(NxtomoWriter, WritesFramesKeysAnglesAndLinksInArrivalOrder) {
  test::ScratchDirectory scratch;
  const auto path = scratch.path() / "scan.nxs";
  NxtomoWriter writer(path, small_scan(), 1'700'000'000'000'000'000);
  const auto dark = frame(0), flat = frame(100), p0 = frame(200), p1 = frame(300);
  writer.append(FrameKind::dark, 0, 0.0, std::as_bytes(std::span(dark)));
  writer.append(FrameKind::flat, 0, 0.0, std::as_bytes(std::span(flat)));
  writer.append(FrameKind::projection, 0, 0.0, std::as_bytes(std::span(p0)));
  writer.append(FrameKind::projection, 1, 90.0, std::as_bytes(std::span(p1)));
  EXPECT_THROW(writer.append(FrameKind::projection, 2, 0.0, std::as_bytes(std::span(p1).first(3))),
               std::invalid_argument);
  writer.finish(1'700'000'001'000'000'000);
  EXPECT_EQ(writer.frames_written(), 4U);

  hdf5::Hdf5File file = hdf5::Hdf5File::open_read_only(path);
  const auto pixels = read_all<std::uint16_t>(file.id(), "/entry/data/data", H5T_NATIVE_UINT16, 48);
  EXPECT_EQ(pixels[0], 0);
  EXPECT_EQ(pixels[12], 100);
  EXPECT_EQ(pixels[47], 311);
  const auto keys = read_all<std::int8_t>(file.id(), "/entry/instrument/detector/image_key", H5T_NATIVE_INT8, 4);
  EXPECT_EQ(keys, (std::vector<std::int8_t>{2, 1, 0, 0}));
  const auto angles = read_all<double>(file.id(), "/entry/sample/rotation_angle", H5T_NATIVE_DOUBLE, 4);
  EXPECT_EQ(angles, (std::vector<double>{0.0, 0.0, 0.0, 90.0}));
}

TEST(NxtomoWriter, ExistingFileIsRefused) {
  test::ScratchDirectory scratch;
  const auto path = scratch.path() / "scan.nxs";
  std::ofstream(path) << "old";
  EXPECT_THROW(NxtomoWriter(path, small_scan(), 0), StorageError);
  std::ifstream in(path);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "old");
}

// A frame compressed by Python's bitshuffle (the bitshuffle HDF5 filter's chunk format: 8-byte big-endian size,
// 4-byte big-endian block size in bytes, LZ4 blocks) is written as it is and read back by h5py through Debian's
// hdf5-filter-plugin.
TEST(NxtomoWriter, PrecompressedBitshuffleChunkReadsBackWithH5py) {
  test::ScratchDirectory scratch;
  const auto chunk_path = scratch.path() / "chunk.bin";
  const std::string make_chunk =
      "/usr/bin/python3 -c \"import numpy as np, bitshuffle, struct, sys\n"
      "a = (np.arange(12, dtype='<u2') * 37 + 5).reshape(3, 4)\n"
      "c = bitshuffle.compress_lz4(a, 2048)\n"
      "open(sys.argv[1], 'wb').write(struct.pack('>QI', a.nbytes, 2048 * 2) + c.tobytes())\" " +
      chunk_path.string();
  ASSERT_EQ(std::system(make_chunk.c_str()), 0);
  std::ifstream in(chunk_path, std::ios::binary);
  const std::vector<char> chunk((std::istreambuf_iterator<char>(in)), {});

  const auto path = scratch.path() / "compressed.nxs";
  NxtomoWriter writer(path, small_scan(), 0, FrameEncoding::bslz4);
  writer.append_compressed(FrameKind::projection, 0, 0.0, std::as_bytes(std::span(chunk)));
  writer.append_compressed(FrameKind::projection, 1, 90.0, std::as_bytes(std::span(chunk)));
  writer.finish(0);

  const std::string check =
      "/usr/bin/python3 -c \"import h5py, numpy as np, sys\n"
      "d = h5py.File(sys.argv[1], 'r')['/entry/instrument/detector/data']\n"
      "assert 32008 in d._filters or '32008' in d._filters, d._filters\n"
      "want = (np.arange(12, dtype='<u2') * 37 + 5).reshape(3, 4)\n"
      "assert d.shape == (2, 3, 4), d.shape\n"
      "assert (d[0] == want).all() and (d[1] == want).all(), d[()]\" " +
      path.string();
  EXPECT_EQ(std::system(check.c_str()), 0);
}

}  // namespace
}  // namespace tomolive::storage
