// VolumeJob: one full volume of a scan (PROTOCOL.md 10.6), from the engine's resident store to a file and its
// catalogue sidecar. The engine thread computes the slabs (compute()); the job's own writer thread bins and writes
// them while the next slab is computed, then completes the file, writes the sidecar and reports.
//
// Memory: slabs wait for the writer in host buffers (made by Options::allocator: page-locked with the CUDA engine), at
// most host_memory_bytes of them (at least two). When the whole volume fits, compute() never waits for the disk;
// otherwise it waits for a buffer the writer frees.
// The next scan comes first: compute() polls `stop_reason` at every slab and while it waits for a buffer; when it
// names a reason (the engine thread's inbox holds the next scan's begin) the volume is cancelled at once, so ingest
// waits at most one slab. A volume whose slabs are all computed no longer needs the engine: its writing goes on.
// Events: volume_started, volume_progress (at most 2 a second), volume_finished, volume_failed (failures and
// cancellations, with the reason). Counters: volumes_started, volumes_finished, volumes_failed, volumes_cancelled,
// volume_bytes_written.
// Thread safety: compute() on the engine thread; cancel() and status() from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tomolive/daemon/counters.hpp"
#include "tomolive/daemon/event_reporter.hpp"
#include "tomolive/daemon/frame_buffer_pool.hpp"
#include "tomolive/kernels/engine.hpp"
#include "tomolive/protocol/messages.hpp"
#include "tomolive/storage/scan_sidecar.hpp"
#include "tomolive/storage/volume_writer.hpp"

namespace tomolive::daemon {

// The daemon's volume settings (--volume-* options).
struct VolumeOptions {
  bool at_end = false;                    // reconstruct every scan's volume when it ends
  std::filesystem::path directory;        // where volumes and sidecars go; empty: the daemon's record_dir, if any,
                                          // else the working directory
  storage::VolumeFormat format = storage::VolumeFormat::hdf5;
  storage::VolumeDtype dtype = storage::VolumeDtype::float32;
  storage::VolumeCompression compression = storage::VolumeCompression::none;
  bool overwrite = false;                 // replace an existing volume of the same name (else refused)
  std::uint64_t host_memory_bytes = std::uint64_t{4} << 30;  // slabs waiting for the writer, at most
  // Host memory for slabs; empty: plain memory.
  FrameBufferPool::Allocator allocator;
  // The scan's complete recording (PROTOCOL.md 18), which the sidecar lists beside the volume; called on the
  // writer thread before the sidecar is written, it may wait for the recorder. Empty or nullopt: none.
  std::function<std::optional<std::filesystem::path>(std::uint64_t scan_id)> recording_file;
  // Fault injection for tests (every volume and sidecar write passes it); null in production.
  std::shared_ptr<storage::WriteFaults> faults;
};

class VolumeJob {
 public:
  // What the engine thread decided before the job starts.
  struct Plan {
    std::uint64_t scan_id = 0;
    kernels::VolumeBox box;       // before binning
    std::uint32_t binning = 1;
    std::uint32_t slab_rows = 0;  // a multiple of binning
    storage::VolumeFileSpec file;  // shape after binning
    storage::ScanSidecar sidecar;  // scientific metadata of the scan; the job adds the volume's timings and files
  };

  // Opens the file (StorageError: refused; nothing started) and starts the writer thread; reports volume_started.
  VolumeJob(Plan plan, const VolumeOptions& options, EventReporter& reporter, DaemonCounters& counters);
  // Cancels what still runs and joins the writer thread.
  ~VolumeJob();
  VolumeJob(const VolumeJob&) = delete;
  VolumeJob& operator=(const VolumeJob&) = delete;

  // Engine thread: computes every slab with `engine`. `stop_reason` is asked at every slab; a reason cancels the
  // volume. Engine errors fail the volume (EngineLostError is rethrown after that, for the engine thread to handle).
  void compute(kernels::Engine& engine, const std::function<std::optional<std::string>()>& stop_reason);
  bool computed() const;

  // Any thread: stops the volume (computation and writing) at the next slab; the temporary output is removed and
  // volume_failed says `why`. No effect once the volume finished or failed.
  void cancel(std::string why);
  // Whether the writer thread is done (finished, failed or cancelled).
  bool done() const;
  protocol::VolumeStatus status() const;

 private:
  class Sink;
  struct Slab {
    std::uint32_t row0 = 0, rows = 0;
    std::size_t buffer = 0;
  };

  void write_loop();
  void write_slab(const Slab& slab);
  void finish_file();
  // Records the end (state and error), reports it and counts it; the first end wins.
  void end(std::string state, std::optional<std::string> error);
  void report_progress(bool force);
  std::span<float> buffer_floats(std::size_t buffer);

  const Plan plan_;
  const VolumeOptions options_;
  EventReporter& reporter_;
  DaemonCounters& counters_;
  const std::chrono::steady_clock::time_point started_;
  std::unique_ptr<storage::VolumeWriter> writer_;  // writer thread only, once started

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  protocol::VolumeStatus status_;  // under mutex_
  bool stopping_ = false;          // cancel or failure: compute and writing stop
  bool computed_ = false;          // every slab computed (or the computation stopped)
  std::deque<Slab> queue_;         // computed, not yet written
  std::vector<std::size_t> free_;  // buffers not in use
  std::vector<std::unique_ptr<HostBuffer>> buffers_;
  std::size_t max_buffers_ = 2;
  std::chrono::steady_clock::time_point last_progress_{};

  std::vector<float> binned_;  // writer thread: one slab after binning
  std::thread writer_thread_;  // joined by the destructor
};

// The mean of every binning^3 block of `slab` (layers x rows x cols floats) into `out` (layers/b x rows/b x cols/b;
// remainders dropped).
void bin_volume_slab(std::span<const float> slab, std::uint32_t layers, std::uint32_t rows, std::uint32_t cols,
                     std::uint32_t binning, std::vector<float>& out);

}  // namespace tomolive::daemon
