// EngineWorker: the engine thread. It owns the reconstruction engine and the active ScanSession, takes validated
// data messages from the EngineInbox in arrival order, and runs control commands between frames. It keeps the
// thread, the inbox loop, the command marshalling and the wiring of the parts that decide and build:
//   - SliceSnapshotter: puts changed slices on the SliceBoard (throttled to the publish interval; at once after a
//     scan's begin, end or reconstruction_finished and after a command recomputed them) and wakes the publisher;
//   - AutoCenterSchedule and RingPassSchedule: when the automatic center estimate and the ring pass run;
//   - build_scan_status: the scan block get_status reports.
//
// Scan lifecycle (PROTOCOL.md 6): a begin that will be accepted (its memory plan fits) ends the active scan; a
// refused begin (scan_too_large, a repeated scan id with different fields, or duplicate_scan: an identical begin
// of the active scan after its `streams` begins, e.g. from a restarted sender) leaves it running; every refused
// begin counts in scans_refused. When every announced projection of the scan has been reconstructed, one
// "reconstruction_finished" event is published (after the final ring pass and snapshot).
//
// It also keeps the daemon's projection processing setting (PROTOCOL.md 10.5), which persists across scans: each
// scan begins with it, set_processing replaces it (re-filtering the store when a scan's projections are held), and
// while rings are enabled the ring pass is re-run as projections arrive. Half acquisition is never part of that
// setting: it belongs to the scan's geometry (ScanSession::engine_geometry), which the engine gets at begin.
//
// Half acquisition (PROTOCOL.md 5.1): frames are widened (FrameWidener) before the engine takes them, and every
// center offset that crosses the worker's boundary (commands, replies, status, slice headers) is a DetectorOffsetPx;
// the engine's own (EngineOffsetPx) are converted through the scan's HalfAcquisitionLayout here and in CenterTools.
//
// Engine failures (PROTOCOL.md 11): an EngineError is reported (an internal_error event or reply naming the call,
// counted in engine_errors) and the daemon keeps serving. An EngineLostError means the engine is unusable: it is
// rebuilt through Options::rebuild_engine (logged as an error, an internal_error event, counted in engines_lost),
// and the scan it held is lost from that point: its state becomes "lost", a scan_ended event says so, and its later
// frames and end are refused (no_active_scan, naming the loss) until the next begin.
//
// Command time budget (Options::command_timeout), per stage: a command the engine has not started when the budget
// passes is cancelled (it never runs; counted in commands_cancelled). Once started, the budget starts again, and again
// at each progress report the command makes (the metric center estimate reports after each pass: a
// "command_progress" event and the scan status's `command`); a command that neither finishes nor reports progress
// within the budget is answered "still running" and takes effect when it finishes (counted in commands_overran).
// Both replies are internal_error; neither says "failed". A command that reports progress is never failed.
//
// Live 3D preview (PROTOCOL.md 10.12): the daemon's preview setting (Options::preview, else the engine's default)
// persists across scans like the oblique slice: each scan's engine preview is set from it right after begin_scan (a
// preview the engine refuses, e.g. over its budget, is reported and disabled; the scan goes on), set_preview replaces
// it, and PreviewPublisher puts the changed preview on the PreviewBoard at most once per Options::preview_interval.
//
// Several devices (PROTOCOL.md 10.13): when the engine is a kernels::SlabEngine, its slabs are shown in
// engine_slabs(), and after each engine call a slab newly lost (its device failed; the other slabs go on) is reported
// once: an error log line, an internal_error event naming the slab's rows, engine and reason, and slabs_lost. When
// every slab is lost the engine throws EngineLostError and is rebuilt as above.
//
// Slices with non-finite values (NaN, infinity) are published as they are; the first such version of each slice of
// a scan is reported by an internal_error event naming the slice, and every such version counts in
// slices_non_finite. A slice the engine refuses to copy (EngineError) is left out of the snapshot while the others are
// published; its first refusal of a scan is reported the same way, every one counts in engine_errors, and the next
// due snapshot tries again.
//
// Thread-safety: the control commands, scan_status, processing, engine_name and engine_slabs may be called from any
// thread; the
// engine itself is only touched by the worker thread (and by the constructor / destructor).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tomolive/daemon/auto_center_schedule.hpp"
#include "tomolive/daemon/center_offset.hpp"
#include "tomolive/daemon/counters.hpp"
#include "tomolive/daemon/engine_inbox.hpp"
#include "tomolive/daemon/event_reporter.hpp"
#include "tomolive/daemon/frame_buffer_pool.hpp"
#include "tomolive/daemon/frame_widener.hpp"
#include "tomolive/daemon/preview_board.hpp"
#include "tomolive/daemon/preview_publisher.hpp"
#include "tomolive/daemon/projection_hold.hpp"
#include "tomolive/daemon/raw_stream_sink.hpp"
#include "tomolive/daemon/engine_stage_times.hpp"
#include "tomolive/daemon/ring_pass_schedule.hpp"
#include "tomolive/daemon/scan_session.hpp"
#include "tomolive/daemon/slice_board.hpp"
#include "tomolive/daemon/slab_watch.hpp"
#include "tomolive/daemon/slice_snapshotter.hpp"
#include "tomolive/daemon/volume_job.hpp"
#include "tomolive/kernels/engine.hpp"

namespace tomolive::daemon {

class CommandTicket;

class EngineWorker {
 public:
  struct Options {
    std::chrono::steady_clock::duration publish_interval = std::chrono::milliseconds(100);
    std::chrono::milliseconds command_timeout{10000};  // how long a control command may wait for the engine
    // Apply a center estimate by this method once per scan, when AutoCenterSchedule says.
    std::optional<protocol::CenterMethod> auto_center;
    // The processing setting until the first set_processing.
    kernels::ProcessingParams processing;
    // Memory of the half-acquisition widening buffer (the engine's preferred frame memory); empty: plain memory.
    FrameBufferPool::Allocator frame_allocator;
    // Builds a new engine after the engine was lost (EngineLostError); may throw. Empty: a lost engine is not
    // replaced, and every later begin is refused.
    std::function<std::unique_ptr<kernels::Engine>()> rebuild_engine;
    // Full volumes (PROTOCOL.md 10.6): at the end of every scan, or on reconstruct_volume.
    VolumeOptions volume;
    // Persistence (the Recorder): sees each begun scan, its accepted frames (sharing their payload) and its end.
    // Null: none. Must outlive the worker.
    RawStreamSink* raw_stream = nullptr;
    // The live 3D preview's board (null: the preview is computed but not published), its setting until the first
    // set_preview (nullopt: the engine's default_preview) and the least time between two published snapshots.
    PreviewBoard* preview_board = nullptr;
    std::optional<kernels::PreviewParams> preview;
    std::chrono::steady_clock::duration preview_interval = PreviewPublisher::kDefaultInterval;
    // A scan on several streams: the projections that arrive before all its darks and flats, held (with their frame
    // memory) until those are in (ProjectionHold); the FrameBufferPool has room for them.
    std::size_t max_projections_awaiting_references = 64;
  };

  // A sweep_center or sweep_processing reply and, when it succeeded, the candidate images (count x rows x cols floats:
  // a center sweep's result.shape, a processing sweep's region).
  struct SweepAnswer {
    protocol::Reply reply;
    std::shared_ptr<const std::vector<float>> images;
  };

  // `on_slices_changed` is called (from the worker thread) after new snapshots were put on the board.
  EngineWorker(std::unique_ptr<kernels::Engine> engine, EngineInbox& inbox, SliceBoard& board,
               EventReporter& reporter, DaemonCounters& counters, std::function<void()> on_slices_changed,
               Options options);
  // Stops the thread after draining the inbox (the inbox must have been closed) and joins it.
  ~EngineWorker();
  EngineWorker(const EngineWorker&) = delete;
  EngineWorker& operator=(const EngineWorker&) = delete;

  // Blocks until the engine thread has drained a closed inbox and exited.
  void join();

  // Control commands: run on the engine thread, between frames. Return the reply (an error reply on bad
  // arguments, when no scan has begun, when the engine fails, or when the engine does not answer within
  // command_timeout: see "Command time budget" above).
  protocol::Reply set_center(const protocol::SetCenter& request);
  protocol::Reply set_slices(const protocol::SetSlices& request);
  protocol::Reply estimate_center(const protocol::EstimateCenter& request);
  SweepAnswer sweep_center(const protocol::SweepCenter& request);
  // Sample centring (PROTOCOL.md 10.11): the stage motions for a slice point or from the projections.
  protocol::Reply center_sample(const protocol::CenterSample& request);
  // Refused (invalid_argument, with check_processing's message) when a value is out of range; without a scan the
  // setting is kept for the next one and the reply's refilter counts 0 projections.
  protocol::Reply set_processing(const protocol::SetProcessing& request);
  // Processing sweep (PROTOCOL.md 10.8): refused (invalid_argument) as ProcessingSweep says, or without a scan.
  SweepAnswer sweep_processing(const protocol::SweepProcessing& request);
  // Oblique slice (PROTOCOL.md 10.9): enables it on the plane asked for (kept for later scans) or disables it. Without
  // a scan the plane is kept for the next one; refused (invalid_argument) for collinear points.
  protocol::Reply set_oblique_slice(const protocol::SetObliqueSlice& request);
  // The newest scan's defective-pixel map (PROTOCOL.md 10.10); refused (no_active_scan) when the engine holds no scan.
  protocol::Reply get_defective_pixels();
  // Live 3D preview (PROTOCOL.md 10.12): enables it (at `side`, default the current side) or disables it, for the
  // active scan and later ones; refused (invalid_argument) when the engine refuses the size. Without a scan the
  // setting is kept for the next one.
  protocol::Reply set_preview(const protocol::SetPreview& request);
  // The preview's setting and state, as get_status reports it.
  protocol::PreviewStatus preview_status() const;

  // Full volume (PROTOCOL.md 10.6). reconstruct_volume checks the request and opens the file on the engine thread
  // and answers with the volume's status ("computing"); the engine thread computes it right after (between frames:
  // the next scan's begin cancels it, see VolumeJob). Refused while the previous volume is still computed or written.
  protocol::Reply reconstruct_volume(const protocol::ReconstructVolume& request);
  // Cancels the running volume (any thread, no engine time); refused when none runs.
  protocol::Reply cancel_volume();
  // The newest volume's status (nullopt before the first).
  std::optional<protocol::VolumeStatus> volume_status() const;

  // The newest scan's status (nullopt before the first begin).
  std::optional<protocol::ScanStatus> scan_status() const;
  // The processing setting in use (and used by the next scan).
  protocol::ProcessingSetting processing() const;
  // "cpu" or "cuda": the engine in use (a rebuilt one after the engine was lost).
  std::string engine_name() const;
  // The engine's slabs when it spans several devices (as of the engine thread's last call), else nullopt.
  std::optional<protocol::EngineSlabsStatus> engine_slabs() const;
  // Time spent per stage of the engine's work since start (/metrics); any thread may read it.
  const EngineStageTimes& stage_times() const { return stage_times_; }
  // The least time between two slice snapshots (Options::publish_interval until changed). Changing it (any thread; a
  // configuration reload) takes effect at the engine thread's next wake-up, within the previous interval.
  std::chrono::steady_clock::duration publish_interval() const { return publish_interval_.load(); }
  void set_publish_interval(std::chrono::steady_clock::duration interval) { publish_interval_.store(interval); }

 private:
  void run();
  void handle(IngestItem& item);
  // `detector_mask`: the detector's pixel mask for the scan (IngestItem::detector_mask), or nullptr.
  void on_begin(const protocol::ScanBegin& begin, const std::vector<std::uint8_t>* detector_mask);
  // After the scan's first projection: its defective-pixel counts into the status, the counters and the log.
  void record_defective_pixels();
  // A projection of a scan on several streams that arrives before the scan's darks and flats goes to
  // projection_hold_; any other frame is processed, and the last dark or flat releases the held projections.
  void on_frame(const protocol::FrameHeader& frame, IngestItem& item);
  // Checks the frame against the scan and gives it to the engine. Takes the item's payload for the raw-stream sink
  // once the engine has read it.
  void process_frame(const protocol::FrameHeader& frame, IngestItem& item);
  // Whether the active scan (session_ must hold one) has all the darks and flats its begin announced.
  bool references_complete() const;
  // Whether the projection `frame` must wait for the active scan's darks and flats (several streams, some missing).
  bool awaits_references(const protocol::FrameHeader& frame) const;
  // Hands the held projections on, in frame-id order; `why` (when not empty) is logged: they go on without
  // the references still missing.
  void release_held_projections(const std::string& why = "");
  void on_end(const protocol::ScanEnd& end);
  // Counts and reports a begin that is refused.
  void refuse_begin(protocol::Error error, std::uint64_t scan_id);
  // `complete`: ended by its end message(s) (told to the raw-stream sink).
  void end_active_scan(const std::string& why, bool complete = false);
  // The last announced projection was reconstructed: final ring pass, snapshot, then the event.
  void finish_reconstruction();
  protocol::Reply run_command(std::string name, std::function<protocol::Reply()> body);
  // A long command's progress (engine thread): `done` of `total` steps since `start`. Restarts the running command's
  // time budget, updates the scan status's `command` and publishes a command_progress event.
  void report_command_progress(const std::string& what, std::uint32_t done, std::uint32_t total,
                               std::chrono::steady_clock::time_point start);
  protocol::Reply do_set_center(const protocol::SetCenter& request);
  protocol::Reply do_set_slices(const protocol::SetSlices& request);
  // Which parts of an estimate `apply` sets: the offset, and also a measured tilt within set_center's range (the
  // estimate_center command) or the offset only (the automatic center: it never re-filters the store by itself).
  enum class ApplyTilt { when_measured, never };
  protocol::Reply do_estimate_center(const protocol::EstimateCenter& request, ApplyTilt apply_tilt);
  void maybe_auto_center();
  protocol::Reply do_reconstruct_volume(const protocol::ReconstructVolume& request);
  // Computes the volume the last reconstruct_volume started (engine thread; see VolumeJob::compute).
  void compute_pending_volume();
  // The sidecar's scientific metadata of the engine's scan.
  nlohmann::json scan_metadata() const;
  protocol::Reply do_set_processing(const protocol::SetProcessing& request);
  protocol::Reply do_set_oblique_slice(const protocol::SetObliqueSlice& request);
  protocol::Reply do_set_preview(const protocol::SetPreview& request);
  // Applies preview_ to the engine's new scan (on_begin); a refusal is reported and leaves the preview disabled.
  void begin_preview();
  // Publishes the preview when PreviewPublisher says (`now`: at once if changed), then refreshes its status; failures
  // are reported, not thrown.
  void publish_preview(bool now = false);
  // Re-filters the engine's store with `params` (engine_has_scan_ must hold), records the report as the scan's newest
  // re-filter and counts it. The slices are left dirty. Throws EngineError as Engine::set_processing.
  protocol::RefilterResult refilter_store(const kernels::ProcessingParams& params, std::string reason);
  // The ring pass of PROTOCOL.md 10.5; failures are reported, not thrown.
  void run_ring_pass();
  // Snapshots the slices now / when the snapshotter says it is due (nothing while the engine holds no scan).
  void snapshot_slices();
  void maybe_snapshot_slices();
  // Reports the slices of the newest snapshot that hold non-finite values (see the class comment).
  void report_non_finite(const SliceSnapshotter::NonFiniteCounts& counts);
  // Counts the slices the engine refused to copy (engine_errors) and reports each once per scan: e.g. the axial slice
  // of a row whose slab was lost, refused at every snapshot while the other slices are published.
  void report_refused_slices(const SliceSnapshotter::RefusedSlices& refused);
  // The engine threw EngineLostError (`what`) during `during` (e.g. "projection 30", "set_center"): the scan it held
  // is lost and a new engine is built (see the class comment); an internal_error event (with `frame_id`, when a
  // frame failed) says so, then the scan_ended event. Returns what happened, for the reply of the call that failed.
  std::string recover_lost_engine(const std::string& what, const std::string& during,
                                  std::optional<std::uint64_t> frame_id = std::nullopt);
  // Replaces engine_ through Options::rebuild_engine; "" on success, else why it failed.
  std::string rebuild_engine();
  // Reports the slabs newly lost (see the class comment) and refreshes engine_slabs().
  void watch_slabs();
  // Why a frame or end of `scan_id` finds no active scan (the scan was lost, or ended or was refused).
  std::string no_active_scan_reason(std::uint64_t scan_id) const;
  void refresh_status();
  // Records processing_, with the half-acquisition block of the scan the engine holds (none without a scan), as
  // the processing get_status reports.
  void publish_processing_status();
  // The engine's axis in detector pixels (engine_has_scan_ must hold).
  DetectorOffsetPx current_center() const;

  std::unique_ptr<kernels::Engine> engine_;
  EngineInbox& inbox_;
  EventReporter& reporter_;
  DaemonCounters& counters_;
  const Options options_;
  std::atomic<std::chrono::steady_clock::duration> publish_interval_;

  // Engine-thread state.
  std::optional<ScanSession> session_;      // the newest scan (kept after its end for status and recompute)
  ProjectionHold projection_hold_;          // the active scan's projections awaiting its darks and flats
  bool projection_hold_overflowed_ = false; // the hold was full once in the active scan: it holds no more
  std::optional<kernels::EngineMemoryPlan> plan_;
  std::optional<protocol::CenterEstimateResult> center_estimate_;  // the newest of this scan
  std::optional<protocol::CommandProgress> command_progress_;     // the newest long command's progress, this scan
  std::shared_ptr<CommandTicket> running_ticket_;                  // the control command running now, if any
  AutoCenterSchedule auto_center_;        // this scan's
  RingPassSchedule ring_passes_;          // this scan's
  kernels::ProcessingParams processing_;  // the daemon's setting (half acquisition belongs to the scan geometry)
  kernels::ObliqueSlice oblique_;         // the daemon's oblique slice, applied to every scan
  float axis_tilt_deg_ = 0.f;             // the axis tilt last set (set_center), corrected in every later scan
  kernels::PreviewParams preview_;        // the daemon's preview setting, applied to every scan
  std::optional<protocol::ScanRefilter> scan_refilter_;  // the newest re-filter of this scan
  std::optional<protocol::DefectivePixelCounts> defective_pixels_;  // this scan's map, once built
  bool defective_pixels_recorded_ = false;                          // this scan's first projection has been seen
  bool engine_has_scan_ = false;          // the engine holds the session's data (begin_scan succeeded)
  bool engine_lost_ = false;              // engine_ threw EngineLostError and could not be rebuilt yet
  std::optional<std::string> scan_lost_;  // why the session's scan was lost (an engine failure), until the next begin
  std::array<bool, protocol::kSliceKinds.size()> non_finite_reported_{};  // per SliceKind, this scan's
  std::array<bool, protocol::kSliceKinds.size()> refused_reported_{};     // per SliceKind, this scan's
  SliceSnapshotter snapshotter_;
  PreviewPublisher preview_publisher_;
  EngineStageTimes stage_times_;
  FrameWidener widener_;  // widens the frames of a half-acquisition scan
  SlabWatch slab_watch_;  // engine_'s slabs, when it is a SlabEngine

  mutable std::mutex volume_mutex_;         // guards the pointer; the job itself is thread-safe
  std::unique_ptr<VolumeJob> volume_;       // the newest volume
  bool volume_to_compute_ = false;          // engine thread: volume_ was started and waits for the engine

  mutable std::mutex status_mutex_;
  std::optional<protocol::ScanStatus> status_;
  protocol::ProcessingSetting processing_status_;
  protocol::PreviewStatus preview_status_;
  std::string engine_name_;
  std::optional<protocol::EngineSlabsStatus> engine_slabs_;

  std::thread thread_;  // joined in join() / the destructor
};

}  // namespace tomolive::daemon
