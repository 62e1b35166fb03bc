// The catalogue sidecar (scan_sidecar.hpp): SciCat dataset keys, every file (a folder's one by one) with its size and
// sha256, paths relative to the sidecar's folder, the caller's scientific metadata as given; written atomically, and
// a failed write (disk full through the WriteFaults seam) leaves no sidecar.
#include "tomolive/storage/scan_sidecar.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>

#include "scratch_directory.hpp"
#include "tomolive/storage/storage_error.hpp"

namespace tomolive::storage {
namespace {

ScanSidecar volume_sidecar() {
  ScanSidecar sidecar;
  sidecar.dataset_name = "scan 7 femur";
  sidecar.used_software = "tomolive 0.1.0 (abc1234)";
  sidecar.job_parameters = {{"binning", 2}};
  sidecar.scientific_metadata = {{"geometry", {{"rows", 4}, {"cols", 8}}}, {"center", {{"offset_px", 1.5}}}};
  return sidecar;
}

TEST(ScanSidecar, SciCatDatasetWithChecksums) {
  test::ScratchDirectory scratch;
  std::ofstream(scratch.path() / "abc.h5") << "abc";
  std::filesystem::create_directories(scratch.path() / "stack");
  std::ofstream(scratch.path() / "stack" / "z_00001.tif") << "";
  std::ofstream(scratch.path() / "stack" / "z_00000.tif") << "abcd";
  const std::vector<std::filesystem::path> files = {scratch.path() / "abc.h5", scratch.path() / "stack"};
  const auto sidecar_path = scratch.path() / "scan_000007.json";
  write_scan_sidecar(sidecar_path, volume_sidecar(), files);

  std::ifstream in(sidecar_path);
  const auto json = nlohmann::json::parse(in);
  EXPECT_EQ(json.at("type"), "derived");
  EXPECT_EQ(json.at("datasetName"), "scan 7 femur");
  EXPECT_EQ(json.at("sourceFolder"), scratch.path().string());
  EXPECT_EQ(json.at("size"), 7);
  EXPECT_EQ(json.at("numberOfFiles"), 3);
  EXPECT_EQ(json.at("usedSoftware").at(0), "tomolive 0.1.0 (abc1234)");
  EXPECT_EQ(json.at("jobParameters").at("binning"), 2);
  EXPECT_EQ(json.at("scientificMetadata").at("center").at("offset_px"), 1.5);
  EXPECT_TRUE(json.at("creationTime").get<std::string>().ends_with("Z"));
  const auto& block = json.at("origdatablocks").at(0);
  EXPECT_EQ(block.at("chkAlg"), "sha256");
  const auto& list = block.at("dataFileList");
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list.at(0).at("path"), "abc.h5");
  EXPECT_EQ(list.at(0).at("size"), 3);
  EXPECT_EQ(list.at(0).at("chk"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(list.at(1).at("path"), "stack/z_00000.tif");
  EXPECT_EQ(list.at(2).at("chk"), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(ScanSidecar, RawRecordingKeys) {
  test::ScratchDirectory scratch;
  std::ofstream(scratch.path() / "scan.nxs") << "x";
  ScanSidecar sidecar = volume_sidecar();
  sidecar.type = "raw";
  sidecar.creation_location = "KARA/IPS";
  const std::vector<std::filesystem::path> files = {scratch.path() / "scan.nxs"};
  const auto json = scan_sidecar_json(scratch.path(), sidecar, files);
  EXPECT_EQ(json.at("principalInvestigator"), "tomolive");
  EXPECT_EQ(json.at("creationLocation"), "KARA/IPS");
  EXPECT_EQ(json.at("dataFormat"), "NXtomo");
}

TEST(ScanSidecar, DiskFullLeavesNoSidecar) {
  test::ScratchDirectory scratch;
  std::ofstream(scratch.path() / "v.h5") << "v";
  WriteFaults faults;
  faults.fail_after(10, ENOSPC);
  const std::vector<std::filesystem::path> files = {scratch.path() / "v.h5"};
  try {
    write_scan_sidecar(scratch.path() / "s.json", volume_sidecar(), files, &faults);
    ADD_FAILURE() << "no error";
  } catch (const StorageError& e) {
    EXPECT_EQ(e.error_number(), ENOSPC);
  }
  EXPECT_FALSE(std::filesystem::exists(scratch.path() / "s.json"));
  // A missing file to describe is an error naming it.
  const std::vector<std::filesystem::path> missing = {scratch.path() / "gone.h5"};
  EXPECT_THROW(write_scan_sidecar(scratch.path() / "s.json", volume_sidecar(), missing), StorageError);
}

}  // namespace
}  // namespace tomolive::storage
