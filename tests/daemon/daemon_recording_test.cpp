// The Recorder inside a whole daemon: disk faults through the writer seam (DaemonConfig::recording_writer_factory)
// and a missing directory. The h5py read-back of real recordings and the crash test are in tests/recording.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon_harness.hpp"
#include "tomolive/sim/scan_simulator.hpp"
#include "tomolive/storage/disk_error.hpp"
#include "tomolive/storage/nxtomo_writer.hpp"
#include "tomolive/storage/scan_sidecar.hpp"

namespace tomolive::daemon {
namespace {

// A real NXtomo writer whose disk "fills up" after `frames_until_full` frames: every later append fails with ENOSPC,
// as the HDF5 file driver would report it.
class FillingDiskWriter final : public storage::NxtomoWriter {
 public:
  FillingDiskWriter(const std::filesystem::path& path, const protocol::ScanBegin& begin, std::int64_t start_ns,
                    storage::FrameEncoding encoding, std::uint64_t frames_until_full)
      : NxtomoWriter(path, begin, start_ns, encoding), frames_until_full_(frames_until_full) {}

  void append(protocol::FrameKind kind, std::uint64_t frame_id, double angle_deg,
              std::span<const std::byte> pixels) override {
    if (frames_written() >= frames_until_full_) {
      throw storage::disk_error(ENOSPC, storage::DiskOperation::write_file, path());
    }
    NxtomoWriter::append(kind, frame_id, angle_deg, pixels);
  }

 private:
  std::uint64_t frames_until_full_;
};

// A gate that holds the writer thread inside append() until opened: a disk slower than the stream, for as long as a
// test wants. Must outlive the daemon (its writer thread waits here).
class DiskGate {
 public:
  void pass() {
    std::unique_lock lock(mutex_);
    ++waiting_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return open_; });
  }
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    changed_.notify_all();
  }
  // Waits until the writer is held at the gate.
  void wait_until_held() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return waiting_ > 0 || open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
  int waiting_ = 0;
};

class GatedWriter final : public storage::NxtomoWriter {
 public:
  GatedWriter(const std::filesystem::path& path, const protocol::ScanBegin& begin, std::int64_t start_ns,
              storage::FrameEncoding encoding, DiskGate& gate)
      : NxtomoWriter(path, begin, start_ns, encoding), gate_(gate) {}

  void append(protocol::FrameKind kind, std::uint64_t frame_id, double angle_deg,
              std::span<const std::byte> pixels) override {
    gate_.pass();
    NxtomoWriter::append(kind, frame_id, angle_deg, pixels);
  }

 private:
  DiskGate& gate_;
};

// Opens the gate when the test leaves its scope, so that the daemon's shutdown never waits on a closed gate.
struct GateOpener {
  DiskGate& gate;
  ~GateOpener() { gate.open(); }
};

DaemonConfig gated_recording_config(const std::filesystem::path& directory, RecordPolicy policy, DiskGate& gate) {
  DaemonConfig config = testing::test_config();
  config.record_dir = directory.string();
  config.record_policy = policy;
  config.record_queue_frames = 2;
  config.recording_writer_factory = [&gate](const std::filesystem::path& path, const protocol::ScanBegin& begin,
                                            std::int64_t start_ns, storage::FrameEncoding encoding) {
    return std::make_unique<GatedWriter>(path, begin, start_ns, encoding, gate);
  };
  return config;
}

class ScratchDirectory {
 public:
  ScratchDirectory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tomolive-recording-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~ScratchDirectory() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

using testing::DaemonFixture;

// Polls get_status until `done` holds (10 s at most); the last status either way.
protocol::Status wait_for_status(DaemonFixture& fixture, const std::function<bool(const protocol::Status&)>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  protocol::Status status = fixture.control().status();
  while (!done(status) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    status = fixture.control().status();
  }
  return status;
}

// The scan ended, every projection was reconstructed, and the writer has accounted for every frame.
bool scan_done(const protocol::Status& status, const sim::ScanSpec& spec) {
  const std::uint64_t frames = spec.num_darks + spec.num_flats + spec.num_projections();
  return status.scan && status.scan->state == "ended" &&
         status.scan->projections_reconstructed == spec.num_projections() && status.recording &&
         status.recording->frames_written + status.recording->frames_dropped == frames;
}

// The file names in `directory`, sorted.
std::vector<std::string> names_in(const std::filesystem::path& directory) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(DaemonRecording, DiskFullStopsTheRecordingAndReconstructionContinues) {
  ScratchDirectory scratch;
  DaemonConfig config = testing::test_config();
  config.record_dir = scratch.path().string();
  config.recording_writer_factory = [](const std::filesystem::path& path, const protocol::ScanBegin& begin,
                                       std::int64_t start_ns, storage::FrameEncoding encoding) {
    return std::make_unique<FillingDiskWriter>(path, begin, start_ns, encoding, 5);
  };
  DaemonFixture fixture(config);
  const sim::ScanSpec spec = testing::small_scan_spec(1);
  fixture.sender().stream(sim::ScanSimulator(spec));
  const auto error = fixture.subscriber().wait_error(protocol::ErrorCode::disk_error);
  ASSERT_TRUE(error);
  EXPECT_NE(error->error->message.find("recording of scan 1 stopped after 5 frames: disk full while writing"),
            std::string::npos)
      << error->error->message;
  const protocol::Status status = wait_for_status(fixture, [&](const auto& s) { return scan_done(s, spec); });
  ASSERT_TRUE(scan_done(status, spec)) << "the scan was not reconstructed to the end";
  EXPECT_EQ(status.recording->state, "failed");
  EXPECT_NE(status.recording->error.find("disk full while writing"), std::string::npos) << status.recording->error;
  const std::uint64_t dropped = spec.num_darks + spec.num_flats + spec.num_projections() - 5;
  EXPECT_EQ(status.recording->frames_written, 5U);
  EXPECT_EQ(status.recording->frames_dropped, dropped);
  EXPECT_EQ(fixture.control().counter("recordings_stopped"), 1U);
  EXPECT_EQ(fixture.control().counter("recording_frames_dropped"), dropped);
  EXPECT_EQ(fixture.control().rejected(protocol::ErrorCode::disk_error), 1U);
  // Nothing incomplete carries the final name.
  EXPECT_EQ(names_in(scratch.path()), std::vector<std::string>{"scan_000001_harness.nxs.partial"});
}

TEST(DaemonRecording, MissingDirectoryRefusesTheRecordingNotTheScan) {
  ScratchDirectory scratch;
  DaemonConfig config = testing::test_config();
  config.record_dir = (scratch.path() / "missing").string();
  DaemonFixture fixture(config);
  const sim::ScanSpec spec = testing::small_scan_spec(2);
  fixture.sender().stream(sim::ScanSimulator(spec));
  const auto error = fixture.subscriber().wait_error(protocol::ErrorCode::disk_error);
  ASSERT_TRUE(error);
  EXPECT_NE(error->error->message.find("scan 2 is not recorded: directory"), std::string::npos)
      << error->error->message;
  const protocol::Status status = wait_for_status(fixture, [&](const auto& s) {
    return s.scan && s.scan->state == "ended" && s.scan->projections_reconstructed == spec.num_projections();
  });
  ASSERT_TRUE(status.scan && status.scan->projections_reconstructed == spec.num_projections());
  EXPECT_EQ(status.recording->state, "failed");
  EXPECT_NE(status.recording->error.find("does not exist"), std::string::npos) << status.recording->error;
  EXPECT_EQ(fixture.control().rejected(protocol::ErrorCode::disk_error), 1U);
  EXPECT_FALSE(std::filesystem::exists(scratch.path() / "missing"));
}

// A directory the process may not write to (as root, permissions do not stop writes: the writer seam says EROFS).
TEST(DaemonRecording, ReadOnlyDirectoryIsNamedAndTheScanReconstructs) {
  ScratchDirectory scratch;
  DaemonConfig config = testing::test_config();
  config.record_dir = scratch.path().string();
  config.recording_writer_factory = [](const std::filesystem::path& path, const protocol::ScanBegin&, std::int64_t,
                                       storage::FrameEncoding) -> std::unique_ptr<storage::NxtomoWriter> {
    throw storage::disk_error(EROFS, storage::DiskOperation::create_file, path);
  };
  DaemonFixture fixture(config);
  const sim::ScanSpec spec = testing::small_scan_spec(3);
  fixture.sender().stream(sim::ScanSimulator(spec));
  const auto error = fixture.subscriber().wait_error(protocol::ErrorCode::disk_error);
  ASSERT_TRUE(error);
  EXPECT_NE(error->error->message.find("is read-only"), std::string::npos) << error->error->message;
  const protocol::Status status = wait_for_status(fixture, [&](const auto& s) { return scan_done(s, spec); });
  ASSERT_TRUE(scan_done(status, spec));
  EXPECT_EQ(status.recording->frames_written, 0U);
  EXPECT_TRUE(names_in(scratch.path()).empty());
}

// Policy stop: the writer is held, the queue (2 frames) overflows, the recording stops with a disk_error event
// naming the cause, every later frame counts as dropped, and the scan is reconstructed to the end.
TEST(DaemonRecording, QueueOverrunWithPolicyStopStopsTheRecordingOnly) {
  ScratchDirectory scratch;
  DiskGate gate;
  DaemonFixture fixture(gated_recording_config(scratch.path(), RecordPolicy::stop, gate));
  GateOpener opener{gate};
  const sim::ScanSpec spec = testing::small_scan_spec(4);
  fixture.sender().stream(sim::ScanSimulator(spec));
  const auto error = fixture.subscriber().wait_error(protocol::ErrorCode::disk_error);
  ASSERT_TRUE(error);
  EXPECT_NE(error->error->message.find("recording of scan 4 stopped: the disk is slower than the stream"),
            std::string::npos)
      << error->error->message;
  gate.open();
  const protocol::Status status = wait_for_status(fixture, [&](const auto& s) {
    return scan_done(s, spec) && s.recording->state == "stopped";
  });
  ASSERT_TRUE(scan_done(status, spec)) << "the scan was not reconstructed to the end";
  EXPECT_EQ(status.recording->state, "stopped");
  EXPECT_NE(status.recording->error.find("the recording queue is full"), std::string::npos) << status.recording->error;
  // The queued frames (2, and the one held at the gate if the writer took it before the queue filled) reached the
  // file; every later one was dropped.
  EXPECT_GE(status.recording->frames_written, 2U);
  EXPECT_LE(status.recording->frames_written, 3U);
  EXPECT_GT(status.recording->frames_dropped, 0U);
  EXPECT_EQ(fixture.control().counter("recording_frames_dropped"), status.recording->frames_dropped);
  EXPECT_EQ(fixture.control().counter("recording_queue_full_waits"), 0U);
  EXPECT_EQ(names_in(scratch.path()), std::vector<std::string>{"scan_000004_harness.nxs.partial"});
}

// Policy block: the engine waits for the held writer (counted), nothing is dropped, and once the disk catches up
// the recording completes with every frame.
TEST(DaemonRecording, QueueOverrunWithPolicyBlockWaitsAndLosesNothing) {
  ScratchDirectory scratch;
  DiskGate gate;
  DaemonFixture fixture(gated_recording_config(scratch.path(), RecordPolicy::block, gate));
  const sim::ScanSpec spec = testing::small_scan_spec(5);
  std::jthread sender([&] { fixture.sender().stream(sim::ScanSimulator(spec)); });
  GateOpener opener{gate};  // destroyed before the sender joins
  gate.wait_until_held();
  const protocol::Status waiting =
      wait_for_status(fixture, [&](const auto&) { return fixture.control().counter("recording_queue_full_waits") > 0; });
  EXPECT_GT(fixture.control().counter("recording_queue_full_waits"), 0U) << "the engine never waited for the writer";
  EXPECT_EQ(waiting.recording->frames_dropped, 0U);
  gate.open();
  sender.join();
  const protocol::Status status = wait_for_status(fixture, [&](const auto& s) {
    return scan_done(s, spec) && s.recording->state == "complete";
  });
  ASSERT_TRUE(scan_done(status, spec)) << "the scan was not reconstructed to the end";
  EXPECT_EQ(status.recording->state, "complete");
  EXPECT_EQ(status.recording->frames_written, spec.num_darks + spec.num_flats + spec.num_projections());
  EXPECT_EQ(status.recording->frames_dropped, 0U);
  EXPECT_EQ(fixture.control().counter("recording_frames_dropped"), 0U);
  EXPECT_EQ(fixture.control().rejected(protocol::ErrorCode::disk_error), 0U);
  EXPECT_EQ(names_in(scratch.path()),
            (std::vector<std::string>{"scan_000005_harness.json", "scan_000005_harness.nxs"}));
}

// --record without a volume: when the recording completes, its catalogue sidecar lies beside the .nxs under the same
// stem (PROTOCOL.md 10.7), a SciCat raw dataset listing the recording with its size and sha256, and the scan's
// metadata with a recording block.
TEST(DaemonRecording, ACompleteRecordingLeavesItsSidecarBesideIt) {
  ScratchDirectory scratch;
  DaemonConfig config = testing::test_config();
  config.record_dir = scratch.path().string();
  DaemonFixture fixture(config);
  const sim::ScanSpec spec = testing::small_scan_spec(6);
  fixture.sender().stream(sim::ScanSimulator(spec));
  const protocol::Status status =
      wait_for_status(fixture, [&](const auto& s) { return s.recording && s.recording->state == "complete"; });
  ASSERT_EQ(status.recording->state, "complete");
  const std::filesystem::path recording = scratch.path() / "scan_000006_harness.nxs";
  EXPECT_EQ(std::filesystem::path(status.recording->file), recording);
  EXPECT_EQ(names_in(scratch.path()),
            (std::vector<std::string>{"scan_000006_harness.json", "scan_000006_harness.nxs"}));

  std::ifstream in(scratch.path() / "scan_000006_harness.json");
  ASSERT_TRUE(in) << "no sidecar beside the recording";
  const auto sidecar = nlohmann::json::parse(in);
  EXPECT_EQ(sidecar.at("type"), "raw");
  EXPECT_EQ(sidecar.at("dataFormat"), "NXtomo");
  EXPECT_EQ(sidecar.at("datasetName"), "scan 6 harness");
  EXPECT_EQ(sidecar.at("numberOfFiles"), 1);
  const auto& files = sidecar.at("origdatablocks").at(0).at("dataFileList");
  ASSERT_EQ(files.size(), 1u) << files.dump();
  EXPECT_EQ(files.at(0).at("path"), "scan_000006_harness.nxs");
  EXPECT_EQ(files.at(0).at("size"), std::filesystem::file_size(recording));
  EXPECT_EQ(files.at(0).at("chk"), storage::sha256_of_file(recording));
  EXPECT_EQ(sidecar.at("size"), std::filesystem::file_size(recording));
  const auto& science = sidecar.at("scientificMetadata");
  EXPECT_EQ(science.at("scan").at("scan_id"), 6);
  EXPECT_EQ(science.at("geometry").at("rows"), spec.rows);
  EXPECT_EQ(science.at("geometry").at("projections"), spec.num_projections());
  EXPECT_TRUE(science.at("center").contains("offset_px"));
  EXPECT_TRUE(science.at("processing").is_object());
  EXPECT_TRUE(science.at("software").contains("commit"));
  const std::uint64_t frames = spec.num_darks + spec.num_flats + spec.num_projections();
  EXPECT_EQ(science.at("recording").at("frames_written"), frames);
  EXPECT_EQ(science.at("recording").at("path"), recording.string());
}

// A sidecar that cannot be written (here a folder holds its name, so the atomic rename fails) is a disk_error event
// naming it, counted; the recording itself stays complete under its final name.
TEST(DaemonRecording, ASidecarThatCannotBeWrittenIsReportedAndTheRecordingStaysComplete) {
  ScratchDirectory scratch;
  std::filesystem::create_directory(scratch.path() / "scan_000007_harness.json");
  DaemonConfig config = testing::test_config();
  config.record_dir = scratch.path().string();
  DaemonFixture fixture(config);
  fixture.sender().stream(sim::ScanSimulator(testing::small_scan_spec(7)));
  const auto error = fixture.subscriber().wait_error(protocol::ErrorCode::disk_error);
  ASSERT_TRUE(error);
  EXPECT_NE(error->error->message.find("scan 7's recording " + (scratch.path() / "scan_000007_harness.nxs").string() +
                                       " is complete, but its catalogue sidecar"),
            std::string::npos)
      << error->error->message;
  const protocol::Status status =
      wait_for_status(fixture, [&](const auto& s) { return s.recording && s.recording->state == "complete"; });
  EXPECT_EQ(status.recording->state, "complete");
  EXPECT_TRUE(std::filesystem::is_regular_file(scratch.path() / "scan_000007_harness.nxs"));
  EXPECT_EQ(fixture.control().rejected(protocol::ErrorCode::disk_error), 1U);
  EXPECT_EQ(fixture.control().counter("recordings_completed"), 1U);
}

}  // namespace
}  // namespace tomolive::daemon
