// Recorder: writes each scan's raw stream to an NXtomo HDF5 file (storage::NxtomoWriter) on its own writer thread,
// fed through a bounded queue so that the disk never sets the pace of ingest unless told to (PROTOCOL.md 18).
//
// Which scans: every scan (every_scan, --record-scans all) or none by default (on_command); a `record` command
// (set_next_scan) overrides that for the next scan to begin, once, and `record` with enabled false also stops the
// active recording (its file keeps the ".partial" name, state "stopped").
//
// Files: <directory>/<stem>.nxs, the stem of storage::scan_file_stem ("scan_000007_femur"). While the scan runs the
// file is "<that>.partial"; it is renamed to its final name only when the scan ended by its end message(s) and every
// frame was written. Then the catalogue sidecar <directory>/<stem>.json (storage::write_scan_sidecar, type "raw")
// is written atomically before the recording reports "complete": the scan's metadata at its end plus a "recording"
// block, and the .nxs in its file list with size and sha256. A volume written later into the same directory
// replaces it with the volume's sidecar, which lists both files. A sidecar that cannot be written is a disk_error
// event; the recording stays complete. A recording that
// stopped (disk full, queue overrun with policy stop) or was cut off (another begin, the engine lost, a crash)
// keeps the ".partial" name: nothing incomplete ever carries the final name. A recording is refused at begin when
// the directory is missing or not writable or when either name exists (never overwritten).
//
// Encoding: the file is created when the recording's first frame reaches the writer (or its end, for a scan
// without frames), and that frame fixes how the whole file stores frames. A first frame that carries its bslz4
// chunk (RawFrame::bslz4: it arrived bitshuffle/LZ4-compressed and decodes to exactly its pixels) makes a "bslz4"
// file: every chunk that arrives so is written as it is (HDF5 direct chunk write, filter 32008), and a later frame
// without one (sent uncompressed or lz4, or with masked pixels repaired) is bitshuffle/LZ4-compressed by the writer
// thread (counted in recording_frames_compressed). Any other first frame makes a "raw" file: every frame as
// decoded. Either way h5py reads back the pixels the engine reconstructed from; status().encoding says which.
//
// Queue: at most queue_frames frames and queue_bytes bytes (RawFrame::bytes_held) wait for the writer. When the disk
// is slower than the stream and the queue is full, the policy decides: `stop` (default) stops this scan's recording
// (the file keeps what was written, ".partial"), reports it (a disk_error event naming the cause) and counts every
// later frame of the scan in recording_frames_dropped, while reconstruction goes on; `block` makes the engine thread
// wait for the writer (counted in recording_queue_full_waits), which backs up the engine queue and, through it,
// the detector, losing nothing.
//
// Durability: the writer flushes (HDF5 flush + fsync) every flush_interval and at the end, so a crash loses at
// most the frames of the last interval; the file opens in h5py at its last flush.
//
// Disk errors (StorageError from the writer: disk full, read-only, missing directory, file exists) stop the
// recording with a disk_error event and recordings_failed; reconstruction is not affected.
//
// Thread-safety: the RawStreamSink calls come from the engine thread only; status() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>

#include <nlohmann/json.hpp>

#include "tomolive/daemon/counters.hpp"
#include "tomolive/daemon/event_reporter.hpp"
#include "tomolive/daemon/raw_stream_sink.hpp"
#include "tomolive/protocol/expected.hpp"

namespace tomolive::storage {
class NxtomoWriter;
enum class FrameEncoding;
}

namespace tomolive::daemon {

enum class RecordPolicy { block, stop };

class Recorder final : public RawStreamSink {
 public:
  // Makes the writer of one recording, storing frames as `encoding`; the seam through which tests inject disk
  // faults. Throws StorageError.
  using WriterFactory = std::function<std::unique_ptr<storage::NxtomoWriter>(
      const std::filesystem::path& path, const protocol::ScanBegin& begin, std::int64_t start_time_ns,
      storage::FrameEncoding encoding)>;

  struct Options {
    std::filesystem::path directory;  // empty: nothing is recorded
    bool every_scan = true;           // record every scan unless a record command says otherwise
    RecordPolicy policy = RecordPolicy::stop;
    std::size_t queue_frames = 256;                      // frames waiting for the writer, at most
    std::uint64_t queue_bytes = std::uint64_t{1} << 30;  // and the bytes they hold, at most
    std::chrono::milliseconds flush_interval{1000};
    WriterFactory make_writer;  // empty: a storage::NxtomoWriter
  };

  Recorder(Options options, EventReporter& reporter, DaemonCounters& counters);
  // Writes what is queued (an unfinished scan stays ".partial"), then joins the writer thread.
  ~Recorder() override;
  // The same, now (idempotent); status() still answers afterwards. The engine thread must have stopped.
  void shut_down();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  void scan_begun(const protocol::ScanBegin& begin, std::int64_t time_ns) override;
  bool wants_frames() const override { return recording_scan_.has_value(); }
  void frame_accepted(const RawFrame& frame) override;
  void scan_ended(std::uint64_t scan_id, bool complete, std::int64_t time_ns,
                  const nlohmann::json& scan_metadata) override;

  protocol::RecordingStatus status() const;

  // The final file of scan `scan_id`'s recording once it is complete (any thread; the volume's sidecar lists it).
  // While that recording is still being written (its end queued behind frames) waits up to `timeout` for it.
  // nullopt: the scan was not recorded, its recording stopped or failed, a newer scan's recording began since, or
  // the wait ran out.
  std::optional<std::filesystem::path> completed_file(std::uint64_t scan_id, std::chrono::milliseconds timeout);

  // The record command (any thread): whether the next scan to begin is recorded; `enabled` false also stops the
  // active recording. Returns the status afterwards, or invalid_argument when no directory was given.
  protocol::Expected<protocol::RecordingStatus> set_next_scan(bool enabled);

  // "<storage::scan_file_stem>.nxs", e.g. "scan_000007_femur.nxs".
  static std::string file_name(const protocol::ScanBegin& begin);
  // Where the sidecar of the recording at `final_path` goes: the same directory and stem, ".json".
  static std::filesystem::path sidecar_path(const std::filesystem::path& final_path);
  static std::filesystem::path partial_path(const std::filesystem::path& final_path);

 private:
  struct Open {
    protocol::ScanBegin begin;
    std::int64_t time_ns = 0;
    std::filesystem::path partial;
    std::filesystem::path final_path;
  };
  struct Close {
    std::uint64_t scan_id = 0;
    bool complete = false;
    std::optional<std::string> stop_reason;  // the engine thread stopped the recording (queue overrun)
    std::int64_t time_ns = 0;
    nlohmann::json scan_metadata = nlohmann::json::object();  // complete: for the sidecar
  };
  using Work = std::variant<Open, RawFrame, Close>;

  void run(std::stop_token stop);
  void write(const Open& open);
  // Creates the current recording's file, storing frames as `encoding`; false (the recording failed) on a disk error.
  bool open_writer(storage::FrameEncoding encoding);
  void write(const RawFrame& frame);
  void write(const Close& close);
  // Writes the sidecar of the recording `open` that just completed (writer thread); false after a disk error, which
  // is reported.
  bool write_sidecar(const Open& open, const Close& close, std::uint64_t frames, std::uint64_t bytes);
  void flush_if_due();
  // The writer thread gives up on the current recording after a disk error: reports it, closes what it can.
  void fail(const std::string& what);
  // The engine thread stops recording the active scan: queue overrun (policy stop).
  void stop_active(std::string reason, std::int64_t time_ns);
  void push(Work work);
  void set_state(std::string state, std::string error = {});

  const Options options_;
  EventReporter& reporter_;
  DaemonCounters& counters_;

  // Engine-thread state.
  std::optional<std::uint64_t> recording_scan_;  // the scan whose frames are queued, while it is recorded

  // The queue, shared.
  mutable std::mutex mutex_;
  std::condition_variable_any changed_;  // queue or status changed (both directions)
  std::deque<Work> queue_;
  std::size_t queued_frames_ = 0;
  std::uint64_t queued_bytes_ = 0;
  std::optional<std::uint64_t> failed_scan_;  // the writer failed this scan's recording: stop queueing its frames
  std::optional<std::uint64_t> declined_scan_;  // a record command stopped this scan's recording: frames not counted
  std::optional<bool> next_scan_;               // a record command's choice for the next scan to begin
  protocol::RecordingStatus status_;

  // Writer-thread state.
  std::unique_ptr<storage::NxtomoWriter> writer_;  // null until the current recording's first frame or end
  std::optional<Open> current_;
  std::chrono::steady_clock::time_point last_flush_;

  std::jthread thread_;  // declared last: starts after every member above exists, joined first
};

}  // namespace tomolive::daemon
