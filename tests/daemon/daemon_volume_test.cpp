// Full volumes through a running daemon (PROTOCOL.md 10.7, 10.8): --volume-at-end writes an HDF5 volume whose
// central layer is the live XY slice, and a SciCat sidecar; a full disk (the WriteFaults seam) fails the volume with
// a disk_error, leaves nothing behind and the daemon reconstructs the next scan; an existing file is refused.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cerrno>
#include <fstream>

#include "daemon_harness.hpp"
#include "../storage/scratch_directory.hpp"

namespace tomolive::testing {
namespace {

daemon::DaemonConfig volume_config(const std::filesystem::path& directory) {
  daemon::DaemonConfig config = test_config();
  config.volume.at_end = true;
  config.volume.directory = directory;
  return config;
}

std::vector<float> read_layer(const std::filesystem::path& path, std::uint32_t z, std::uint32_t n) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t dataset = H5Dopen2(file, "volume", H5P_DEFAULT);
  const hid_t space = H5Dget_space(dataset);
  const hsize_t start[3] = {z, 0, 0}, count[3] = {1, n, n};
  H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, count, nullptr);
  const hid_t memory = H5Screate_simple(3, count, nullptr);
  std::vector<float> values(std::size_t{n} * n);
  EXPECT_GE(H5Dread(dataset, H5T_NATIVE_FLOAT, memory, space, H5P_DEFAULT, values.data()), 0);
  H5Sclose(memory);
  H5Sclose(space);
  H5Dclose(dataset);
  H5Fclose(file);
  return values;
}

TEST(DaemonVolume, AtEndTheCentralLayerIsTheLiveSliceAndASidecarDescribesIt) {
  storage::test::ScratchDirectory scratch;
  DaemonFixture fixture(volume_config(scratch.path()));
  const sim::ScanSpec spec = small_scan_spec(3);
  fixture.sender().stream(sim::ScanSimulator(spec));
  ASSERT_TRUE(fixture.subscriber().wait_event([](const protocol::Event& e) { return e.kind == "volume_finished"; },
                                              30s));
  const protocol::Status status = fixture.control().status();
  ASSERT_TRUE(status.volume);
  EXPECT_EQ(status.volume->state, "finished");
  EXPECT_EQ(status.volume->slabs_written, status.volume->slabs_total);
  const std::filesystem::path path = status.volume->path;
  EXPECT_EQ(path, scratch.path() / "scan_000003.h5");
  const auto xy = fixture.subscriber().wait_slice(protocol::SliceKind::xy, [](const protocol::SliceUpdate&) {
    return true;
  });
  ASSERT_TRUE(xy);
  const std::uint32_t row = static_cast<std::uint32_t>(xy->header.position);
  EXPECT_EQ(read_layer(path, row, xy->header.cols), xy->values) << "layer " << row;
  EXPECT_EQ(fixture.control().counter("volumes_finished"), 1u);

  std::ifstream in(scratch.path() / "scan_000003.json");
  const auto sidecar = nlohmann::json::parse(in);
  EXPECT_EQ(sidecar.at("type"), "derived");
  EXPECT_EQ(sidecar.at("origdatablocks").at(0).at("dataFileList").at(0).at("path"), "scan_000003.h5");
  EXPECT_EQ(sidecar.at("scientificMetadata").at("geometry").at("rows"), spec.rows);
  EXPECT_TRUE(sidecar.at("scientificMetadata").at("center").contains("found_by"));
  EXPECT_TRUE(sidecar.at("scientificMetadata").at("software").contains("commit"));
}

TEST(DaemonVolume, DiskFullFailsTheVolumeAndTheDaemonGoesOn) {
  storage::test::ScratchDirectory scratch;
  daemon::DaemonConfig config = volume_config(scratch.path());
  config.volume.faults = std::make_shared<storage::WriteFaults>();
  config.volume.faults->fail_after(100, ENOSPC);
  DaemonFixture fixture(config);
  fixture.sender().stream(sim::ScanSimulator(small_scan_spec(4)));
  const auto failed = fixture.subscriber().wait_event(
      [](const protocol::Event& e) { return e.kind == "volume_failed"; }, 30s);
  ASSERT_TRUE(failed);
  EXPECT_NE(failed->message.find("disk full"), std::string::npos) << failed->message;
  EXPECT_TRUE(fixture.subscriber().wait_error(protocol::ErrorCode::disk_error));
  const protocol::Status status = fixture.control().status();
  ASSERT_TRUE(status.volume);
  EXPECT_EQ(status.volume->state, "failed");
  EXPECT_EQ(fixture.control().counter("volumes_failed"), 1u);
  EXPECT_TRUE(std::filesystem::is_empty(scratch.path())) << "nothing half-written is left";
  // Reconstruction goes on; an existing volume is refused by the next request.
  config.volume.faults->clear();
  expect_scan_reconstructs(fixture, 5);
  std::ofstream(scratch.path() / "scan_000005.h5") << "older";
  const protocol::Reply reply = fixture.control().request(protocol::ReconstructVolume{});
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error->code, protocol::ErrorCode::disk_error);
  EXPECT_NE(reply.error->message.find("already exists"), std::string::npos) << reply.error->message;
}

}  // namespace
}  // namespace tomolive::testing
