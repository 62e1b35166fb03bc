// Full volumes through a running daemon (PROTOCOL.md 10.6, 10.7): --volume-at-end writes an HDF5 volume whose
// central layer is the live XY slice, and a SciCat sidecar; a full disk (the WriteFaults seam) fails the volume with
// a disk_error, leaves nothing behind and the daemon reconstructs the next scan; an existing file is refused. The
// next scan's begin cancels a volume still computed; cancel_volume stops one; reconstruct_volume with a region, rows
// and a binning writes an OME-Zarr pyramid whose level 0 is the binned live slices.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <thread>

#include "daemon_harness.hpp"
#include "../storage/scratch_directory.hpp"
#include "tomolive/storage/scan_sidecar.hpp"

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

// Polls get_status until `done` holds (a volume moves on the daemon's threads); the status, or nullopt after
// `timeout`.
std::optional<protocol::Status> wait_status(ControlClient& control,
                                            const std::function<bool(const protocol::Status&)>& done,
                                            std::chrono::milliseconds timeout = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    protocol::Status status = control.status();
    if (done(status)) return status;
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(10ms);
  }
}

// Until `faults` are released (the end of the scope at the latest), every volume write stalls: the volume's
// computation fills its two slab buffers and then waits for the writer. Declared after the fixture, so that a
// failing test releases the writer before the daemon is destroyed.
class HeldWrites {
 public:
  explicit HeldWrites(storage::WriteFaults& faults) : faults_(faults) { faults_.hold_writes(); }
  ~HeldWrites() { release(); }
  HeldWrites(const HeldWrites&) = delete;
  HeldWrites& operator=(const HeldWrites&) = delete;
  void release() { faults_.release_writes(); }

 private:
  storage::WriteFaults& faults_;
};

// Waits until the newest volume has computed both slab buffers and waits for the held writer.
void wait_volume_stalled(ControlClient& control) {
  const auto stalled = wait_status(control, [](const protocol::Status& s) {
    return s.volume && s.volume->state == "computing" && s.volume->slabs_done == 2;
  });
  ASSERT_TRUE(stalled) << "the volume did not reach its second slab";
  ASSERT_GT(stalled->volume->slabs_total, 2u) << "the volume must have more slabs than buffers";
}

// The files directly in `directory`, sorted.
std::vector<std::string> file_names(const std::filesystem::path& directory) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

// Waits until `directory` holds exactly `expected` (a cancelled volume's writer removes its partial output once the
// held write returns).
void expect_directory_becomes(const std::filesystem::path& directory, const std::vector<std::string>& expected) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (file_names(directory) != expected && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(file_names(directory), expected);
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
  EXPECT_EQ(path, scratch.path() / "scan_000003_harness.h5");
  const auto xy = fixture.subscriber().wait_slice(protocol::SliceKind::xy, [](const protocol::SliceUpdate&) {
    return true;
  });
  ASSERT_TRUE(xy);
  const std::uint32_t row = static_cast<std::uint32_t>(xy->header.position);
  EXPECT_EQ(read_layer(path, row, xy->header.cols), xy->values) << "layer " << row;
  EXPECT_EQ(fixture.control().counter("volumes_finished"), 1u);

  std::ifstream in(scratch.path() / "scan_000003_harness.json");
  const auto sidecar = nlohmann::json::parse(in);
  EXPECT_EQ(sidecar.at("type"), "derived");
  EXPECT_EQ(sidecar.at("origdatablocks").at(0).at("dataFileList").at(0).at("path"), "scan_000003_harness.h5");
  EXPECT_EQ(sidecar.at("scientificMetadata").at("geometry").at("rows"), spec.rows);
  EXPECT_TRUE(sidecar.at("scientificMetadata").at("center").contains("found_by"));
  EXPECT_TRUE(sidecar.at("scientificMetadata").at("software").contains("commit"));
}

// The attribute `name` of the volume dataset: a float64, or a variable-length string.
double read_number_attribute(const std::filesystem::path& path, const char* name) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t attribute = H5Aopen_by_name(file, "volume", name, H5P_DEFAULT, H5P_DEFAULT);
  double value = std::nan("");
  EXPECT_GE(H5Aread(attribute, H5T_NATIVE_DOUBLE, &value), 0) << name;
  H5Aclose(attribute);
  H5Fclose(file);
  return value;
}

std::string read_text_attribute(const std::filesystem::path& path, const char* name) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t attribute = H5Aopen_by_name(file, "volume", name, H5P_DEFAULT, H5P_DEFAULT);
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  char* value = nullptr;
  EXPECT_GE(H5Aread(attribute, type, &value), 0) << name;
  std::string text = value != nullptr ? value : "";
  H5free_memory(value);
  H5Tclose(type);
  H5Aclose(attribute);
  H5Fclose(file);
  return text;
}

// The sidecar and the volume's attributes carry every processing parameter under set_processing's names, and the
// axis tilt in use (PROTOCOL.md 10.6, 10.7): a volume made after set_processing and a tilt correction.
TEST(DaemonVolume, SidecarAndVolumeCarryTheProcessingFieldByFieldAndTheTilt) {
  storage::test::ScratchDirectory scratch;
  daemon::DaemonConfig config = volume_config(scratch.path());
  config.volume.at_end = false;
  DaemonFixture fixture(config);
  protocol::SetProcessing processing;
  processing.window = protocol::FilterWindow::hann;
  processing.zingers = protocol::ZingersUpdate{true, 0.3};
  processing.rings = protocol::RingsUpdate{true, 5};
  ASSERT_TRUE(fixture.control().request(processing).ok());
  const sim::ScanSpec spec = small_scan_spec(4);
  fixture.sender().stream(sim::ScanSimulator(spec));
  ASSERT_TRUE(fixture.subscriber().wait_event([](const protocol::Event& e) { return e.kind == "scan_ended"; }));
  ASSERT_TRUE(fixture.control().request(protocol::SetCenter{std::nullopt, std::nullopt, 0.5}).ok());
  const protocol::Reply started = fixture.control().request(protocol::ReconstructVolume{});
  ASSERT_TRUE(started.ok()) << started.error->message;
  ASSERT_TRUE(fixture.subscriber().wait_event([](const protocol::Event& e) { return e.kind == "volume_finished"; },
                                              30s));
  const protocol::Status status = fixture.control().status();
  const protocol::ProcessingSetting& in_use = status.processing;

  std::ifstream in(scratch.path() / "scan_000004_harness.json");
  ASSERT_TRUE(in) << "no sidecar beside the volume";
  const auto sidecar = nlohmann::json::parse(in);
  const auto& science = sidecar.at("scientificMetadata");
  const auto& written = science.at("processing");
  ASSERT_TRUE(written.is_object()) << written.dump();
  EXPECT_EQ(written.at("window"), "hann");
  EXPECT_EQ(written.at("zingers").at("enabled"), true);
  EXPECT_DOUBLE_EQ(written.at("zingers").at("threshold").get<double>(), in_use.zingers.threshold);
  EXPECT_NEAR(written.at("zingers").at("threshold").get<double>(), 0.3, 1e-6);
  EXPECT_EQ(written.at("rings").at("enabled"), true);
  EXPECT_EQ(written.at("rings").at("size"), 5);
  EXPECT_EQ(written.at("phase").at("enabled"), in_use.phase.enabled);
  EXPECT_DOUBLE_EQ(written.at("phase").at("energy_kev").get<double>(), in_use.phase.energy_kev);
  EXPECT_DOUBLE_EQ(written.at("phase").at("distance_m").get<double>(), in_use.phase.distance_m);
  EXPECT_DOUBLE_EQ(written.at("phase").at("pixel_size_um").get<double>(), in_use.phase.pixel_size_um);
  EXPECT_DOUBLE_EQ(written.at("phase").at("delta_over_beta").get<double>(), in_use.phase.delta_over_beta);
  EXPECT_EQ(written.at("half_acquisition").at("enabled"), false);
  ASSERT_TRUE(in_use.defective_pixels);
  EXPECT_EQ(written.at("defective_pixels").at("enabled"), in_use.defective_pixels->enabled);
  EXPECT_DOUBLE_EQ(written.at("defective_pixels").at("dead_threshold").get<double>(),
                   in_use.defective_pixels->dead_threshold);
  EXPECT_DOUBLE_EQ(written.at("defective_pixels").at("hot_threshold").get<double>(),
                   in_use.defective_pixels->hot_threshold);
  EXPECT_DOUBLE_EQ(written.at("defective_pixels").at("noisy_threshold").get<double>(),
                   in_use.defective_pixels->noisy_threshold);
  EXPECT_NE(written.at("summary").get<std::string>().find("window hann"), std::string::npos) << written.dump();
  EXPECT_DOUBLE_EQ(science.at("center").at("tilt_deg").get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(science.at("center").at("offset_px").get<double>(), spec.center_offset_px);

  const std::filesystem::path volume = scratch.path() / "scan_000004_harness.h5";
  EXPECT_DOUBLE_EQ(read_number_attribute(volume, "axis_tilt_deg"), 0.5);
  const auto attribute = nlohmann::json::parse(read_text_attribute(volume, "processing"));
  EXPECT_EQ(attribute, written) << "the volume's attribute is the sidecar's object";
}

TEST(DaemonVolume, WithoutVolumeDirTheVolumeGoesBesideTheRecording) {
  storage::test::ScratchDirectory scratch;
  daemon::DaemonConfig config = test_config();
  config.record_dir = scratch.path().string();
  config.volume.at_end = true;
  DaemonFixture fixture(config);
  fixture.sender().stream(sim::ScanSimulator(small_scan_spec(10)));
  ASSERT_TRUE(fixture.subscriber().wait_event(
      [](const protocol::Event& e) { return e.kind == "volume_finished" && e.scan_id == 10; }, 30s));
  const protocol::Status status = wait_status(fixture.control(), [](const protocol::Status& s) {
    return s.recording && s.recording->state == "complete";
  }).value_or(fixture.control().status());
  ASSERT_TRUE(status.recording);
  ASSERT_EQ(status.recording->state, "complete");
  EXPECT_EQ(std::filesystem::path(status.recording->file).parent_path(), scratch.path());
  EXPECT_EQ(std::filesystem::path(status.volume->path), scratch.path() / "scan_000010_harness.h5");

  // One sidecar, the volume's, replaced the recording's and lists the recording beside the volume, with its size and
  // checksum.
  std::ifstream in(scratch.path() / "scan_000010_harness.json");
  ASSERT_TRUE(in) << "no sidecar beside the volume";
  const auto sidecar = nlohmann::json::parse(in);
  EXPECT_EQ(sidecar.at("type"), "derived");
  EXPECT_EQ(file_names(scratch.path()), (std::vector<std::string>{"scan_000010_harness.h5", "scan_000010_harness.json",
                                                                  "scan_000010_harness.nxs"}));
  const std::filesystem::path recording = status.recording->file;
  const auto& files = sidecar.at("origdatablocks").at(0).at("dataFileList");
  ASSERT_EQ(files.size(), 2u) << files.dump();
  EXPECT_EQ(files.at(0).at("path"), "scan_000010_harness.h5");
  EXPECT_EQ(files.at(1).at("path"), recording.filename().string());
  EXPECT_EQ(files.at(1).at("size"), std::filesystem::file_size(recording));
  EXPECT_EQ(files.at(1).at("chk"), storage::sha256_of_file(recording));
  EXPECT_EQ(sidecar.at("numberOfFiles"), 2);
}

// Volume and recording in different directories: each has its own sidecar beside it (the recording's raw, the
// volume's derived, listing the recording by its absolute path).
TEST(DaemonVolume, InSeparateDirectoriesVolumeAndRecordingEachHaveASidecar) {
  storage::test::ScratchDirectory scratch;
  const std::filesystem::path records = scratch.path() / "records", volumes = scratch.path() / "volumes";
  std::filesystem::create_directory(records);
  std::filesystem::create_directory(volumes);
  daemon::DaemonConfig config = volume_config(volumes);
  config.record_dir = records.string();
  DaemonFixture fixture(config);
  fixture.sender().stream(sim::ScanSimulator(small_scan_spec(11)));
  ASSERT_TRUE(fixture.subscriber().wait_event(
      [](const protocol::Event& e) { return e.kind == "volume_finished" && e.scan_id == 11; }, 30s));
  ASSERT_TRUE(wait_status(fixture.control(), [](const protocol::Status& s) {
    return s.recording && s.recording->state == "complete";
  }));
  EXPECT_EQ(file_names(records), (std::vector<std::string>{"scan_000011_harness.json", "scan_000011_harness.nxs"}));
  EXPECT_EQ(file_names(volumes), (std::vector<std::string>{"scan_000011_harness.h5", "scan_000011_harness.json"}));
  std::ifstream raw_in(records / "scan_000011_harness.json");
  const auto raw = nlohmann::json::parse(raw_in);
  EXPECT_EQ(raw.at("type"), "raw");
  EXPECT_EQ(raw.at("numberOfFiles"), 1);
  std::ifstream derived_in(volumes / "scan_000011_harness.json");
  const auto derived = nlohmann::json::parse(derived_in);
  EXPECT_EQ(derived.at("type"), "derived");
  const auto& files = derived.at("origdatablocks").at(0).at("dataFileList");
  ASSERT_EQ(files.size(), 2u) << files.dump();
  EXPECT_EQ(files.at(1).at("path"), (records / "scan_000011_harness.nxs").string());
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
  expect_directory_becomes(scratch.path(), {});  // nothing half-written is left
  // Reconstruction goes on, and so do volumes; a volume that exists already is refused.
  config.volume.faults->clear();
  expect_scan_reconstructs(fixture, 5);
  ASSERT_TRUE(fixture.subscriber().wait_event(
      [](const protocol::Event& e) { return e.kind == "volume_finished" && e.scan_id == 5; }, 30s));
  ASSERT_TRUE(std::filesystem::exists(scratch.path() / "scan_000005_harness.h5"));
  const protocol::Reply reply = fixture.control().request(protocol::ReconstructVolume{});
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error->code, protocol::ErrorCode::disk_error);
  EXPECT_NE(reply.error->message.find("already exists"), std::string::npos) << reply.error->message;
}

TEST(DaemonVolume, TheNextScanCancelsAVolumeStillComputedAndIsReconstructed) {
  storage::test::ScratchDirectory scratch;
  daemon::DaemonConfig config = volume_config(scratch.path());
  config.volume.host_memory_bytes = 1;  // slabs of one row, two buffers: 8 slabs, the third waits for the writer
  config.volume.faults = std::make_shared<storage::WriteFaults>();
  DaemonFixture fixture(config);
  HeldWrites held(*config.volume.faults);
  fixture.sender().stream(sim::ScanSimulator(small_scan_spec(6)));
  ASSERT_TRUE(fixture.subscriber().wait_event(
      [](const protocol::Event& e) { return e.kind == "volume_started" && e.scan_id == 6; }, 30s));
  wait_volume_stalled(fixture.control());

  // Scan 7 begins while the volume of scan 6 is still computed: the volume gives way at once (its writer is still
  // stalled, so only the begin can have ended it) and scan 7 is reconstructed.
  const sim::ScanSimulator next(small_scan_spec(7));
  fixture.sender().stream(next);
  const auto cancelled = fixture.subscriber().wait_event(
      [](const protocol::Event& e) { return e.kind == "volume_failed" && e.scan_id == 6; }, 30s);
  ASSERT_TRUE(cancelled);
  EXPECT_NE(cancelled->message.find("cancelled: scan 7 began before the volume of scan 6 was computed"),
            std::string::npos)
      << cancelled->message;
  held.release();
  expect_slices_match_reference(fixture, next);
  EXPECT_EQ(fixture.control().counter("volumes_cancelled"), 1u);
  EXPECT_EQ(fixture.control().counter("volumes_failed"), 0u);

  // Scan 7's own volume (--volume-at-end) is complete; nothing of scan 6's is left.
  ASSERT_TRUE(fixture.subscriber().wait_event(
      [](const protocol::Event& e) { return e.kind == "volume_finished" && e.scan_id == 7; }, 30s));
  const protocol::Status status = fixture.control().status();
  ASSERT_TRUE(status.volume);
  EXPECT_EQ(status.volume->scan_id, 7u);
  EXPECT_EQ(status.volume->state, "finished");
  const std::string base = std::filesystem::path(status.volume->path).stem();
  expect_directory_becomes(scratch.path(), {base + ".h5", base + ".json"});
}

TEST(DaemonVolume, CancelVolumeStopsItRemovesTheOutputAndAnotherCanStart) {
  storage::test::ScratchDirectory scratch;
  daemon::DaemonConfig config = test_config();
  config.volume.directory = scratch.path();
  config.volume.host_memory_bytes = 1;  // slabs of one row, two buffers
  config.volume.faults = std::make_shared<storage::WriteFaults>();
  DaemonFixture fixture(config);
  ControlClient& control = fixture.control();
  EXPECT_EQ(control.request(protocol::CancelVolume{}).error->code, protocol::ErrorCode::invalid_argument)
      << "nothing to cancel before the first volume";
  expect_scan_reconstructs(fixture, 8);

  HeldWrites held(*config.volume.faults);
  const protocol::Reply started = control.request(protocol::ReconstructVolume{});
  ASSERT_TRUE(started.ok()) << started.error->message;
  EXPECT_EQ(std::get<protocol::VolumeStatus>(started.result).state, "computing");
  wait_volume_stalled(control);

  const protocol::Reply reply = control.request(protocol::CancelVolume{});
  ASSERT_TRUE(reply.ok()) << reply.error->message;
  EXPECT_EQ(reply.command, "cancel_volume");
  EXPECT_EQ(std::get<protocol::VolumeStatus>(reply.result).scan_id, 8u);
  const auto cancelled = fixture.subscriber().wait_event(
      [](const protocol::Event& e) { return e.kind == "volume_failed" && e.scan_id == 8; }, 30s);
  ASSERT_TRUE(cancelled);
  EXPECT_NE(cancelled->message.find("cancelled by cancel_volume"), std::string::npos) << cancelled->message;
  held.release();
  const protocol::Status status = control.status();
  ASSERT_TRUE(status.volume);
  EXPECT_EQ(status.volume->state, "cancelled");
  EXPECT_EQ(status.volume->error.value_or(""), "cancelled by cancel_volume");
  EXPECT_EQ(control.counter("volumes_cancelled"), 1u);
  expect_directory_becomes(scratch.path(), {});
  EXPECT_EQ(control.request(protocol::CancelVolume{}).error->code, protocol::ErrorCode::invalid_argument)
      << "a cancelled volume cannot be cancelled again";

  // The same scan's volume can be asked for again, and completes.
  ASSERT_TRUE(control.request(protocol::ReconstructVolume{}).ok());
  ASSERT_TRUE(fixture.subscriber().wait_event(
      [](const protocol::Event& e) { return e.kind == "volume_finished" && e.scan_id == 8; }, 30s));
  EXPECT_EQ(control.counter("volumes_finished"), 1u);
}

// Reads a whole file's bytes.
std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(DaemonVolume, ReconstructVolumeWritesARegionOfRowsBinnedAsOmeZarr) {
  storage::test::ScratchDirectory scratch;
  daemon::DaemonConfig config = test_config();
  config.volume.directory = scratch.path();
  config.volume.format = storage::VolumeFormat::zarr;
  DaemonFixture fixture(config);
  ControlClient& control = fixture.control();
  expect_scan_reconstructs(fixture, 9);

  // Detector rows 2..5 and the 32 x 32 pixels from (8, 16) of the 64 x 64 slice, binned by 2: 2 x 16 x 16.
  protocol::ReconstructVolume request;
  request.region = protocol::SliceRegionField{8, 16, 32, 32};
  request.rows = std::array<std::uint32_t, 2>{2, 4};
  request.binning = 2;
  const protocol::Reply reply = control.request(request);
  ASSERT_TRUE(reply.ok()) << reply.error->message;
  const auto& started = std::get<protocol::VolumeStatus>(reply.result);
  EXPECT_EQ(started.shape, (std::array<std::uint32_t, 3>{2, 16, 16}));
  EXPECT_EQ(started.format, "zarr");
  EXPECT_EQ(started.region, (protocol::SliceRegionField{8, 16, 32, 32}));
  EXPECT_EQ(started.rows, (std::array<std::uint32_t, 2>{2, 4}));
  ASSERT_TRUE(fixture.subscriber().wait_event(
      [](const protocol::Event& e) { return e.kind == "volume_finished" && e.scan_id == 9; }, 30s));
  const std::filesystem::path root = control.status().volume->path;
  EXPECT_EQ(root.extension(), ".zarr");

  // OME-NGFF 0.4: a multiscales list whose first dataset is level "0", shape (z, y, x) of the binned volume.
  const auto attributes = nlohmann::json::parse(read_bytes(root / ".zattrs"));
  EXPECT_EQ(attributes.at("multiscales").at(0).at("version"), "0.4");
  EXPECT_EQ(attributes.at("multiscales").at(0).at("datasets").at(0).at("path"), "0");
  EXPECT_EQ(attributes.at("tomolive").at("binning"), 2);
  const auto array = nlohmann::json::parse(read_bytes(root / "0" / ".zarray"));
  EXPECT_EQ(array.at("shape"), nlohmann::json::array({2, 16, 16}));
  EXPECT_EQ(array.at("dtype"), "<f4");
  EXPECT_EQ(array.at("compressor"), nullptr);
  ASSERT_EQ(array.at("chunks"), nlohmann::json::array({2, 16, 16})) << "one chunk holds level 0";
  const std::string chunk = read_bytes(root / "0" / "0" / "0" / "0");
  ASSERT_EQ(chunk.size(), 2u * 16 * 16 * sizeof(float));
  std::vector<float> level0(2 * 16 * 16);
  std::memcpy(level0.data(), chunk.data(), chunk.size());

  // Layer z is the mean of the 2 x 2 x 2 blocks of the live XY slices at detector rows 2 + 2z and 3 + 2z.
  const std::uint32_t n = 64;
  for (std::uint32_t z = 0; z < 2; ++z) {
    std::vector<float> expected(16 * 16, 0.f);
    for (std::uint32_t row = 2 + 2 * z; row < 4 + 2 * z; ++row) {
      protocol::SetSlices move;
      move.xy_row = row;
      ASSERT_TRUE(control.request(move).ok());
      std::vector<float> xy;
      ASSERT_TRUE(control.request(protocol::GetSlice{protocol::SliceKind::xy}, &xy).ok());
      ASSERT_EQ(xy.size(), std::size_t{n} * n);
      for (std::uint32_t y = 0; y < 32; ++y) {
        for (std::uint32_t x = 0; x < 32; ++x) expected[(y / 2) * 16 + x / 2] += xy[(8 + y) * n + 16 + x] / 8.f;
      }
    }
    for (std::size_t i = 0; i < expected.size(); ++i) {
      EXPECT_NEAR(level0[z * 256 + i], expected[i], 1e-5f * (1.f + std::abs(expected[i]))) << "z " << z << " i " << i;
    }
  }
}

}  // namespace
}  // namespace tomolive::testing
