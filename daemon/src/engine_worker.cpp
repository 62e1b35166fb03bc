#include "tomolive/daemon/engine_worker.hpp"

#include <atomic>
#include <cmath>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "tomolive/daemon/center_tools.hpp"
#include "tomolive/daemon/processing_sweep.hpp"
#include "tomolive/daemon/engine_factory.hpp"
#include "tomolive/daemon/heap_trim.hpp"
#include "tomolive/daemon/log_event.hpp"
#include "tomolive/daemon/memory_plan_format.hpp"
#include "tomolive/daemon/processing_setting.hpp"
#include "tomolive/daemon/sample_centring.hpp"
#include "tomolive/daemon/scan_status_builder.hpp"
#include "tomolive/daemon/thread_name.hpp"
#include "tomolive/kernels/axis_tilt_correction.hpp"
#include "tomolive/kernels/engine_checks.hpp"
#include "tomolive/protocol/clock.hpp"
#include "tomolive/storage/scan_file_name.hpp"
#include "tomolive/storage/storage_error.hpp"

namespace tomolive::daemon {
namespace {

using protocol::Error;
using protocol::ErrorCode;
using protocol::FrameKind;

kernels::PixelType pixel_type(protocol::Dtype dtype) {
  switch (dtype) {
    case protocol::Dtype::uint8: return kernels::PixelType::uint8;
    case protocol::Dtype::uint16: return kernels::PixelType::uint16;
    case protocol::Dtype::uint32: return kernels::PixelType::uint32;
    case protocol::Dtype::float32: return kernels::PixelType::float32;
  }
  return kernels::PixelType::uint16;
}

protocol::Reply error_reply(std::string command, ErrorCode code, std::string message) {
  protocol::Reply reply;
  reply.command = std::move(command);
  reply.error = Error{code, std::move(message)};
  return reply;
}

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

// A control command's passage through the engine thread, shared by its waiting caller (run_command) and the
// command. Whether a queued command may still run: the engine thread starts it, or its waiting caller cancels it
// when the queued stage's budget passes, whichever comes first; the other then sees that choice. The command records
// when it started and each progress report (last_activity), which restart the running stage's budget. Thread-safe.
class CommandTicket {
 public:
  bool start() {
    touch();
    return leave_queue(State::started);
  }
  bool cancel() { return leave_queue(State::cancelled); }
  // The command started or reported progress now.
  void touch() { last_activity_ns_ = std::chrono::steady_clock::now().time_since_epoch().count(); }
  std::chrono::steady_clock::time_point last_activity() const {
    return std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(last_activity_ns_.load()));
  }

 private:
  enum class State { queued, started, cancelled };
  bool leave_queue(State to) {
    State expected = State::queued;
    return state_.compare_exchange_strong(expected, to);
  }
  std::atomic<State> state_{State::queued};
  std::atomic<std::chrono::steady_clock::rep> last_activity_ns_{0};
};

EngineWorker::EngineWorker(std::unique_ptr<kernels::Engine> engine, EngineInbox& inbox, SliceBoard& board,
                           EventReporter& reporter, DaemonCounters& counters,
                           std::function<void()> on_slices_changed, Options options)
    : engine_(std::move(engine)), inbox_(inbox), reporter_(reporter), counters_(counters), options_(options),
      publish_interval_(options.publish_interval),
      projection_hold_(options.max_projections_awaiting_references),
      processing_(options.processing), preview_(options.preview.value_or(engine_->default_preview())),
      snapshotter_(board, on_slices_changed, options.publish_interval),
      preview_publisher_(options.preview_board, on_slices_changed, options.preview_interval),
      widener_(options.frame_allocator ? options.frame_allocator : FrameBufferPool::Allocator(allocate_plain_buffer)),
      processing_status_(to_protocol(options.processing, kernels::HalfAcquisition{})), engine_name_(engine_->name()) {
  preview_status_.enabled = preview_.enabled;
  preview_status_.side = preview_.side;
  preview_status_.interval_s = std::chrono::duration<double>(preview_publisher_.interval()).count();
  slab_watch_.watch(*engine_);
  engine_slabs_ = slab_watch_.status();
  thread_ = std::thread([this] {
    name_this_thread("engine");
    run();
  });
}

EngineWorker::~EngineWorker() {
  inbox_.close();
  join();
}

void EngineWorker::join() {
  if (thread_.joinable()) thread_.join();
}

void EngineWorker::run() {
  for (;;) {
    // Wake at least once per publish interval so that changed slices are published while the stream is idle.
    const std::chrono::steady_clock::duration interval = publish_interval_.load();
    snapshotter_.set_publish_interval(interval);
    auto next = inbox_.pop(interval);
    if (std::holds_alternative<EngineInbox::Closed>(next)) break;
    try {
      if (auto* command = std::get_if<EngineCommand>(&next)) {
        (*command)();  // a command's own exceptions go to its caller through the future
      } else if (auto* item = std::get_if<IngestItem>(&next)) {
        handle(*item);
      } else {
        refresh_status();  // idle: keep the reported rate current
      }
      if (volume_to_compute_) compute_pending_volume();
      maybe_snapshot_slices();
      publish_preview();
      watch_slabs();
    } catch (const std::exception& e) {
      // Anything else that escaped (engine failures are handled where they happen) is reported; the thread keeps
      // serving.
      reporter_.reject(Error{ErrorCode::internal_error, fmt::format("engine: {}", e.what())},
                       session_ ? std::optional<std::uint64_t>(session_->scan_id()) : std::nullopt);
    }
  }
  if (snapshotter_.dirty()) {
    try {
      snapshot_slices();
    } catch (const std::exception& e) {
      spdlog::error("final slices could not be read from the engine: {}", e.what());
    }
  }
}

void EngineWorker::handle(IngestItem& item) {
  if (const auto* begin = std::get_if<protocol::ScanBegin>(&item.header)) {
    on_begin(*begin, item.detector_mask.get());
  } else if (const auto* frame = std::get_if<protocol::FrameHeader>(&item.header)) {
    on_frame(*frame, item);
  } else {
    on_end(std::get<protocol::ScanEnd>(item.header));
  }
  refresh_status();
}

void EngineWorker::end_active_scan(const std::string& why, bool complete) {
  if (!session_ || session_->ended()) return;
  if (!projection_hold_.empty()) {
    release_held_projections(fmt::format("scan {} {} before all its darks and flats arrived", session_->scan_id(),
                                         why));
  }
  const ScanSummary summary = session_->end();
  if (options_.raw_stream) {
    const nlohmann::json metadata = complete && engine_has_scan_ ? scan_metadata() : nlohmann::json::object();
    options_.raw_stream->scan_ended(session_->scan_id(), complete, protocol::unix_time_ns(), metadata);
  }
  bump(counters_.scans_ended);
  bump(counters_.projections_missing, summary.projections_missing);
  if (engine_has_scan_ && ring_passes_.due_at_end(processing_.rings.enabled)) run_ring_pass();
  refresh_status();
  // The final slices are on the board before anyone hears that the scan ended.
  snapshot_slices();
  reporter_.scan_event("scan_ended", session_->scan_id(),
                       fmt::format("{}: {} of {} projections, {} missing, {} darks and {} flats missing", why,
                                   session_->received(FrameKind::projection),
                                   session_->expected(FrameKind::projection), summary.projections_missing,
                                   summary.darks_missing, summary.flats_missing));
  release_free_heap_memory();  // between scans, so that RSS follows the live heap over months
}

void EngineWorker::refuse_begin(Error error, std::uint64_t scan_id) {
  bump(counters_.scans_refused);
  reporter_.reject(error, scan_id);
}

void EngineWorker::on_begin(const protocol::ScanBegin& begin, const std::vector<std::uint8_t>* detector_mask) {
  const bool scan_active = session_ && !session_->ended();
  if (scan_active && begin.scan_id == session_->scan_id()) {
    // Another stream's announcement of the active scan (several streams each send the begin).
    if (!(begin == session_->begin())) {
      refuse_begin(Error{ErrorCode::invalid_geometry,
                         fmt::format("begin repeats the active scan id {} with different fields (every stream must "
                                     "send the same begin)",
                                     begin.scan_id)},
                   begin.scan_id);
    } else if (!session_->record_begin()) {
      // A restarted sender: merging its frames into the old scan would mix two acquisitions.
      refuse_begin(Error{ErrorCode::duplicate_scan,
                         fmt::format("scan {} is already active with its {} announced stream(s); use a new scan_id "
                                     "for a new acquisition",
                                     begin.scan_id, begin.streams)},
                   begin.scan_id);
    }
    return;
  }
  // A refused begin leaves the active scan running (and an ended one viewable): only a begin whose memory plan fits
  // ends the active scan.
  ScanSession session(begin);
  if (engine_lost_) {
    if (const std::string failure = rebuild_engine(); !failure.empty()) {
      refuse_begin(Error{ErrorCode::internal_error,
                         fmt::format("scan {} refused: the engine was lost and cannot be rebuilt: {}", begin.scan_id,
                                     failure)},
                   begin.scan_id);
      return;
    }
  }
  const kernels::ScanGeometry geometry = session.engine_geometry();
  const kernels::EngineMemoryPlan plan = engine_->plan(geometry);
  if (!plan.fits()) {
    refuse_begin(Error{ErrorCode::scan_too_large,
                       fmt::format("scan {} ({} x {} x {} projections) {}", begin.scan_id, begin.rows, begin.cols,
                                   geometry.slots, describe_shortfall(plan))},
                 begin.scan_id);
    return;
  }
  // What a failing begin_scan costs: the engine may release the previous scan's data before it fails.
  const std::string previous_scan_lost =
      session_ ? fmt::format("; the previous scan {}{} is lost (its slices can no longer be recomputed)",
                             session_->scan_id(), scan_active ? ", ended by this begin," : "")
               : std::string();
  end_active_scan(fmt::format("ended by the begin of scan {}", begin.scan_id));
  kernels::ReconParams params;
  params.center_offset_px = to_engine_float(session.layout().engine_offset(DetectorOffsetPx(begin.center_offset_px)));
  params.slices.xy_row = begin.rows / 2;
  params.processing = processing_;
  params.oblique = oblique_;
  params.axis_tilt_deg = axis_tilt_deg_;
  try {
    widener_.prepare(session.layout(), begin.rows, pixel_type(begin.dtype));
    engine_->begin_scan(geometry, params);
    // A widened (half-acquisition) frame has columns the detector's mask does not cover: the mask is for the
    // detector's own shape only.
    if (detector_mask != nullptr && geometry.cols == begin.cols) engine_->set_detector_mask(*detector_mask);
  } catch (const kernels::EngineLostError& e) {
    session_.reset();
    engine_has_scan_ = false;
    const std::string outcome = recover_lost_engine(e.what(), "begin_scan");
    refuse_begin(Error{ErrorCode::internal_error,
                       fmt::format("begin_scan failed: {}; {}{}", e.what(), outcome, previous_scan_lost)},
                 begin.scan_id);
    return;
  } catch (const std::exception& e) {
    bump(counters_.engine_errors);
    // The plan fitted, so this is an engine failure (e.g. an allocation the free-memory figure promised).
    session_.reset();
    engine_has_scan_ = false;
    refuse_begin(Error{ErrorCode::internal_error, fmt::format("begin_scan failed: {}{}", e.what(), previous_scan_lost)},
                 begin.scan_id);
    return;
  }
  session_.emplace(std::move(session));
  projection_hold_overflowed_ = false;
  plan_ = plan;
  engine_has_scan_ = true;
  scan_lost_.reset();
  non_finite_reported_ = {};
  refused_reported_ = {};
  center_estimate_.reset();
  command_progress_.reset();
  scan_refilter_.reset();
  defective_pixels_.reset();
  defective_pixels_recorded_ = false;
  auto_center_ = AutoCenterSchedule(geometry.slots);
  ring_passes_ = RingPassSchedule(geometry.slots);
  snapshotter_.begin_scan();
  publish_processing_status();
  bump(counters_.scans_begun);
  if (options_.raw_stream) options_.raw_stream->scan_begun(begin, protocol::unix_time_ns());
  reporter_.scan_event(
      "scan_begun", begin.scan_id,
      fmt::format("begun{}: {} x {} {}, {} darks, {} flats, {} projections{}{}; memory plan: {}",
                  begin.name.empty() ? std::string() : fmt::format(" ({})", begin.name), begin.rows, begin.cols,
                  protocol::to_string(begin.dtype), begin.num_darks, begin.num_flats, begin.num_projections,
                  begin.window > 0 ? fmt::format(", window {}", begin.window) : std::string(),
                  begin.half_acquisition ? ", " + describe(session_->layout()) : std::string(), describe(plan)));
  snapshot_slices();  // subscribers see the new scan's (empty) slices and shapes at once
  begin_preview();
}

void EngineWorker::begin_preview() {
  try {
    engine_->set_preview(preview_);
  } catch (const kernels::EngineLostError& e) {
    recover_lost_engine(e.what(), "set_preview");
    return;
  } catch (const kernels::EngineError& e) {
    bump(counters_.engine_errors);
    reporter_.reject(Error{ErrorCode::internal_error,
                           fmt::format("the 3D preview ({} voxels a side) is disabled for this scan: {}", preview_.side,
                                       e.what())},
                     session_->scan_id());
  }
  publish_preview(true);
}

void EngineWorker::publish_preview(bool now) {
  std::uint64_t version = 0;
  kernels::PreviewGrid grid;
  if (engine_has_scan_) {
    try {
      preview_publisher_.maybe_publish(*engine_, session_->scan_id(), now);
      grid = engine_->preview_shape();
      version = engine_->preview_version();
    } catch (const kernels::EngineLostError& e) {
      recover_lost_engine(e.what(), "reading the 3D preview back");
    } catch (const kernels::EngineError& e) {
      bump(counters_.engine_errors);
      reporter_.reject(
          Error{ErrorCode::internal_error, fmt::format("reading the 3D preview back failed: {}", e.what())},
          session_->scan_id());
    }
  }
  protocol::PreviewStatus status;
  status.enabled = preview_.enabled;
  status.side = preview_.side;
  status.shape = {grid.layers, grid.rows, grid.cols};
  status.binning = grid.layers != 0 ? grid.binning : 0;
  status.bytes = grid.voxels() * sizeof(float);
  status.budget_bytes = plan_ ? plan_->preview_bytes : 0;
  status.version = version;
  status.published = preview_publisher_.published();
  status.interval_s = std::chrono::duration<double>(preview_publisher_.interval()).count();
  const std::lock_guard lock(status_mutex_);
  preview_status_ = status;
}

protocol::PreviewStatus EngineWorker::preview_status() const {
  const std::lock_guard lock(status_mutex_);
  return preview_status_;
}

protocol::Reply EngineWorker::set_preview(const protocol::SetPreview& request) {
  return run_command("set_preview", [this, request] { return do_set_preview(request); });
}

protocol::Reply EngineWorker::do_set_preview(const protocol::SetPreview& request) {
  const kernels::PreviewParams wanted{request.enabled, request.side.value_or(preview_.side)};
  try {
    kernels::check_preview(wanted);
    if (engine_has_scan_) engine_->set_preview(wanted);
  } catch (const kernels::EngineLostError&) {
    throw;  // run_command rebuilds the engine
  } catch (const kernels::EngineError& e) {
    if (engine_has_scan_) preview_.enabled = engine_->params().preview.enabled;  // a failed allocation disables it
    publish_preview(true);
    return error_reply("set_preview", ErrorCode::invalid_argument, e.what());
  }
  preview_ = wanted;
  publish_preview(true);
  spdlog::info("3D preview {}", wanted.enabled ? fmt::format("enabled, {} voxels a side", wanted.side)
                                               : std::string("disabled"));
  protocol::Reply reply;
  reply.command = "set_preview";
  reply.result = preview_status();
  return reply;
}

bool EngineWorker::references_complete() const {
  return session_->received(FrameKind::dark) >= session_->expected(FrameKind::dark) &&
         session_->received(FrameKind::flat) >= session_->expected(FrameKind::flat);
}

bool EngineWorker::awaits_references(const protocol::FrameHeader& frame) const {
  return frame.kind == FrameKind::projection && !projection_hold_overflowed_ && session_ && !session_->ended() &&
         engine_has_scan_ && frame.scan_id == session_->scan_id() && session_->begin().streams > 1 &&
         !references_complete();
}

void EngineWorker::release_held_projections(const std::string& why) {
  std::vector<ProjectionHold::Held> held = projection_hold_.take_all();
  if (!why.empty()) {
    spdlog::warn("{}: the {} projections held for them go on without the {} darks and {} flats missing", why,
                 held.size(), session_->expected(FrameKind::dark) - session_->received(FrameKind::dark),
                 session_->expected(FrameKind::flat) - session_->received(FrameKind::flat));
  }
  for (ProjectionHold::Held& projection : held) process_frame(projection.frame, projection.item);
}

void EngineWorker::on_frame(const protocol::FrameHeader& frame, IngestItem& item) {
  if (awaits_references(frame)) {
    if (!projection_hold_.full()) {
      projection_hold_.hold(frame, std::move(item));
      bump(counters_.projections_awaited_references);
      return;
    }
    // The hold is full: the held projections (and this one, and the scan's later ones) go on; a dark or flat that
    // comes later is refused (reference_after_projections).
    projection_hold_overflowed_ = true;
    release_held_projections(fmt::format("scan {}: {} projections arrived before its darks and flats, the most "
                                         "the daemon holds",
                                         session_->scan_id(), projection_hold_.capacity() + 1));
  }
  process_frame(frame, item);
  // The scan's last dark or flat: the projections that arrived on other streams before it go on.
  if (frame.kind != FrameKind::projection && !projection_hold_.empty() && references_complete()) {
    release_held_projections();
  }
}

void EngineWorker::process_frame(const protocol::FrameHeader& frame, IngestItem& item) {
  if (!session_ || session_->ended() || !engine_has_scan_) {
    reporter_.reject(Error{ErrorCode::no_active_scan, fmt::format("{} {} for scan {} {}", protocol::to_string(frame.kind),
                                                                  frame.frame_id, frame.scan_id,
                                                                  no_active_scan_reason(frame.scan_id))},
                     frame.scan_id, frame.frame_id);
    return;
  }
  auto placement = session_->accept(frame);
  if (!placement) {
    reporter_.reject(placement.error(), frame.scan_id, frame.frame_id);
    return;
  }
  if (placement->out_of_order) bump(counters_.frames_out_of_order);
  const kernels::FrameView received{item.pixels(), pixel_type(frame.dtype), frame.rows, frame.cols};
  // Added columns: no signal in darks, transmission 1 in flats and projections (attenuation 0).
  const kernels::FrameView view =
      widener_.widen(received, frame.kind == FrameKind::dark ? WideningFill::zero : WideningFill::one);
  try {
    switch (frame.kind) {
      case FrameKind::dark: {
        const auto timer = stage_times_.time(EngineStage::reference);
        engine_->add_dark(view);
        bump(counters_.darks_accepted);
        break;
      }
      case FrameKind::flat: {
        const auto timer = stage_times_.time(EngineStage::reference);
        engine_->add_flat(view);
        bump(counters_.flats_accepted);
        break;
      }
      case FrameKind::projection: {
        bump(counters_.projections_accepted);
        const kernels::ProjectionStats stats = [&] {
          const auto timer = stage_times_.time(EngineStage::projection);
          return engine_->add_projection(placement->slot, placement->angle_rad, view);
        }();
        if (!defective_pixels_recorded_) record_defective_pixels();
        bump(counters_.clamped_values, stats.clamped_values);
        bump(counters_.zingers_replaced, stats.zingers_replaced);
        bump(counters_.projections_reconstructed);
        snapshotter_.projection_added(item.received_ns);
        const bool last = session_->record_reconstructed();
        if (ring_passes_.projection_stored(processing_.rings.enabled)) run_ring_pass();
        maybe_auto_center();
        if (last) finish_reconstruction();
        break;
      }
    }
  } catch (const kernels::EngineLostError& e) {
    recover_lost_engine(e.what(), fmt::format("{} {}", protocol::to_string(frame.kind), frame.frame_id),
                        frame.frame_id);
  } catch (const kernels::EngineError& e) {
    bump(counters_.engine_errors);
    reporter_.reject(Error{ErrorCode::internal_error, e.what()}, frame.scan_id, frame.frame_id);
  }
  // The raw frame was accepted, whatever the engine made of it: persistence keeps it, sharing the message the
  // ZeroMQ adapters left in the payload (the engine has read its pixels by now). Frames that landed in transport
  // memory (an RDMA slot) are copied, so that the slot goes back to its sender now (credits), not when written.
  if (options_.raw_stream && options_.raw_stream->wants_frames()) {
    const std::size_t bytes = static_cast<std::size_t>(frame.rows) * frame.cols * protocol::itemsize(frame.dtype);
    zmq::message_t recorded =
        item.payload.size() == bytes ? std::move(item.payload) : zmq::message_t(item.pixels(), bytes);
    options_.raw_stream->frame_accepted(RawFrame{frame, session_->angle_deg_of(frame), item.received_ns,
                                                 std::make_shared<const zmq::message_t>(std::move(recorded)),
                                                 std::move(item.bslz4)});
  }
}

void EngineWorker::record_defective_pixels() {
  defective_pixels_recorded_ = true;
  const kernels::DefectivePixelMap* map = engine_->defective_pixels();
  if (map == nullptr) return;
  const kernels::DefectCounts c = map->counts();
  defective_pixels_ = to_protocol(c);
  bump(counters_.defective_pixels_masked, c.total);
  spdlog::info("scan {}: defective-pixel map: {} masked ({} dead, {} hot, {} noisy, {} from the detector's mask)",
               session_->scan_id(), c.total, c.dead, c.hot, c.noisy, c.detector_mask);
}

std::string EngineWorker::no_active_scan_reason(std::uint64_t scan_id) const {
  if (scan_lost_ && session_ && session_->scan_id() == scan_id) {
    return fmt::format("refused: scan {} was lost ({}); send a new begin", scan_id, *scan_lost_);
  }
  return "arrived while no scan is active (the last one ended or was refused; send begin first)";
}

std::string EngineWorker::recover_lost_engine(const std::string& what, const std::string& during,
                                              std::optional<std::uint64_t> frame_id) {
  watch_slabs();  // the slabs lost with the engine are reported before it is replaced
  bump(counters_.engines_lost);
  const std::optional<std::uint64_t> scan_id =
      session_ ? std::optional<std::uint64_t>(session_->scan_id()) : std::nullopt;
  std::string lost;
  if (session_ && engine_has_scan_) {
    lost = fmt::format("; scan {} is lost after {} of {} projections", session_->scan_id(), session_->reconstructed(),
                       session_->expected(FrameKind::projection));
    scan_lost_ = fmt::format("the engine failed after {} of its projections: {}", session_->reconstructed(), what);
  }
  engine_has_scan_ = false;
  const std::string failure = rebuild_engine();
  const std::string outcome =
      failure.empty() ? fmt::format("the engine was lost and has been rebuilt ({} engine){}", engine_name(), lost)
                      : fmt::format("the engine was lost and could not be rebuilt ({}){}", failure, lost);
  spdlog::error("ENGINE LOST during {}: {}: {}", during, what, outcome);
  reporter_.reject(Error{ErrorCode::internal_error, fmt::format("engine lost during {}: {}; {}", during, what, outcome)},
                   scan_id, frame_id);
  const bool ends_scan = session_ && !session_->ended() && scan_lost_;
  if (ends_scan) {
    const ScanSummary summary = session_->end();
    if (options_.raw_stream) {
      options_.raw_stream->scan_ended(session_->scan_id(), false, protocol::unix_time_ns(), nlohmann::json::object());
    }
    bump(counters_.scans_ended);
    bump(counters_.projections_missing, summary.projections_missing);
  }
  refresh_status();  // the status says "lost" before anyone hears of it
  publish_processing_status();
  if (ends_scan) {
    reporter_.scan_event("scan_ended", session_->scan_id(),
                         fmt::format("lost: {}; its later frames are refused until the next begin", *scan_lost_));
  }
  return outcome;
}

std::string EngineWorker::rebuild_engine() {
  if (!options_.rebuild_engine) {
    engine_lost_ = true;
    return "this daemon has no way to rebuild its engine";
  }
  try {
    std::unique_ptr<kernels::Engine> engine = options_.rebuild_engine();
    engine_ = std::move(engine);
    engine_lost_ = false;
    slab_watch_.watch(*engine_);
    std::optional<protocol::EngineSlabsStatus> slabs = slab_watch_.status();
    std::lock_guard lock(status_mutex_);
    engine_name_ = engine_->name();
    engine_slabs_ = std::move(slabs);
    return "";
  } catch (const std::exception& e) {
    engine_lost_ = true;
    return e.what();
  }
}

void EngineWorker::watch_slabs() {
  // Every frame passes here: the slabs are read only when the slab engine says they may have changed.
  if (!slab_watch_.changed()) return;
  const std::optional<std::uint64_t> scan_id =
      session_ ? std::optional<std::uint64_t>(session_->scan_id()) : std::nullopt;
  for (const SlabWatch::LostSlab& lost : slab_watch_.newly_lost()) {
    bump(counters_.slabs_lost);
    const std::string message =
        fmt::format("{} lost: {}; the other slabs go on (its rows read NaN in the vertical slices, the axial slice "
                    "and the sweeps of its rows are refused)",
                    describe(lost), lost.slab.lost_reason);
    spdlog::error("SLAB LOST: {}", message);
    reporter_.reject(Error{ErrorCode::internal_error, message}, scan_id);
  }
  std::optional<protocol::EngineSlabsStatus> slabs = slab_watch_.status();
  std::lock_guard lock(status_mutex_);
  engine_slabs_ = std::move(slabs);
}

std::optional<protocol::EngineSlabsStatus> EngineWorker::engine_slabs() const {
  std::lock_guard lock(status_mutex_);
  return engine_slabs_;
}

void EngineWorker::finish_reconstruction() {
  if (ring_passes_.due_at_end(processing_.rings.enabled)) run_ring_pass();
  refresh_status();   // the status counts every projection reconstructed, and
  snapshot_slices();  // the complete slices are on the board, before anyone hears of them
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - session_->begun_at()).count();
  reporter_.scan_event("reconstruction_finished", session_->scan_id(),
                       fmt::format("all {} projections reconstructed in {:.1f} s", session_->reconstructed(), seconds));
}

void EngineWorker::on_end(const protocol::ScanEnd& end) {
  if (!session_ || session_->ended()) {
    reporter_.reject(
        Error{ErrorCode::no_active_scan, fmt::format("end for scan {} {}", end.scan_id, no_active_scan_reason(end.scan_id))},
        end.scan_id);
    return;
  }
  if (end.scan_id != session_->scan_id()) {
    reporter_.reject(Error{ErrorCode::scan_id_mismatch, fmt::format("end has scan_id {}, the active scan is {}",
                                                                    end.scan_id, session_->scan_id())},
                     end.scan_id);
    return;
  }
  if (!session_->record_end()) return;
  end_active_scan("ended", true);
  if (options_.volume.at_end && engine_has_scan_) do_reconstruct_volume(protocol::ReconstructVolume{});
}

protocol::Reply EngineWorker::run_command(std::string name, std::function<protocol::Reply()> body) {
  auto ticket = std::make_shared<CommandTicket>();
  EngineCommand command([this, name, body = std::move(body), ticket]() -> protocol::Reply {
    if (!ticket->start()) return error_reply(name, ErrorCode::internal_error, "cancelled");  // its caller has gone
    running_ticket_ = ticket;
    const struct Release {
      std::shared_ptr<CommandTicket>& held;
      ~Release() { held.reset(); }
    } release{running_ticket_};
    try {
      return body();
    } catch (const kernels::EngineLostError& e) {
      const std::string outcome = recover_lost_engine(e.what(), name);
      return error_reply(name, ErrorCode::internal_error, fmt::format("engine: {}; {}", e.what(), outcome));
    } catch (const kernels::EngineError& e) {
      bump(counters_.engine_errors);
      return error_reply(name, ErrorCode::internal_error, fmt::format("engine: {}", e.what()));
    }
  });
  auto reply = command.get_future();
  inbox_.push_command(std::move(command));
  // Two stages, each with the budget command_timeout: queued (until the engine takes the command up), then running
  // (until it finishes; every progress report the command makes starts the budget again).
  auto deadline = std::chrono::steady_clock::now() + options_.command_timeout;
  while (reply.wait_until(deadline) != std::future_status::ready) {
    if (ticket->cancel()) {
      bump(counters_.commands_cancelled);
      return error_reply(std::move(name), ErrorCode::internal_error,
                         fmt::format("cancelled: the engine did not take it up within {} ms (it is busy with earlier "
                                     "work); it has not run and will not run",
                                     options_.command_timeout.count()));
    }
    const auto budget_end = ticket->last_activity() + options_.command_timeout;
    if (budget_end > std::chrono::steady_clock::now()) {
      deadline = budget_end;  // started or progressed since: its running stage goes on
      continue;
    }
    bump(counters_.commands_overran);
    return error_reply(std::move(name), ErrorCode::internal_error,
                       fmt::format("still running after {} ms: the engine is slow or stalled; the command will take "
                                   "effect when it finishes (get_status shows when)",
                                   options_.command_timeout.count()));
  }
  try {
    return reply.get();
  } catch (const std::future_error&) {
    return error_reply(std::move(name), ErrorCode::internal_error, "the daemon is shutting down");
  } catch (const std::exception& e) {
    return error_reply(std::move(name), ErrorCode::internal_error, fmt::format("engine: {}", e.what()));
  }
}

protocol::Reply EngineWorker::set_center(const protocol::SetCenter& request) {
  return run_command("set_center", [this, request] { return do_set_center(request); });
}

protocol::Reply EngineWorker::set_slices(const protocol::SetSlices& request) {
  return run_command("set_slices", [this, request] { return do_set_slices(request); });
}

protocol::Reply EngineWorker::do_set_center(const protocol::SetCenter& request) {
  if (!session_ || !engine_has_scan_) {
    return error_reply("set_center", ErrorCode::no_active_scan, "no scan has begun: nothing to recompute");
  }
  const std::uint32_t cols = session_->begin().cols;
  std::optional<DetectorOffsetPx> offset;
  if (request.center_offset_px) offset = DetectorOffsetPx(*request.center_offset_px);
  if (request.center_column_px) {
    offset = DetectorOffsetPx(*request.center_column_px - center_column_px(cols, DetectorOffsetPx(0.0)));
  }
  const double half_cols = 0.5 * static_cast<double>(cols);
  if (offset && (!std::isfinite(offset->px) || std::abs(offset->px) >= half_cols)) {
    return error_reply("set_center", ErrorCode::invalid_argument,
                       fmt::format("center offset {:f} px puts the axis outside the detector (|offset| < {:f} px "
                                   "expected)",
                                   offset->px, half_cols));
  }
  if (request.tilt_deg && !(std::abs(*request.tilt_deg) <= kernels::kMaxAxisTiltDeg)) {
    return error_reply("set_center", ErrorCode::invalid_argument,
                       fmt::format("tilt_deg {:f} is out of range: at most {:g} degrees either way (a larger tilt "
                                   "is a misaligned stage)",
                                   *request.tilt_deg, kernels::kMaxAxisTiltDeg));
  }
  const auto start = std::chrono::steady_clock::now();
  {
    const auto timer = stage_times_.time(EngineStage::recompute);
    if (offset) engine_->set_center(to_engine_float(session_->layout().engine_offset(*offset)));
    // A new tilt re-filters the store (the projections are rotated before the ramp filter).
    if (request.tilt_deg && static_cast<float>(*request.tilt_deg) != engine_->params().axis_tilt_deg) {
      engine_->set_axis_tilt(static_cast<float>(*request.tilt_deg));
      axis_tilt_deg_ = static_cast<float>(*request.tilt_deg);
    }
  }
  protocol::CenterResult result;
  result.center_offset_px = current_center().px;
  result.center_column_px = center_column_px(cols, current_center());
  result.tilt_deg = engine_->params().axis_tilt_deg;
  snapshot_slices();
  result.recompute_ms = elapsed_ms(start);
  log_event(spdlog::level::info, LogFields{"center_set", session_->scan_id()},
            fmt::format("center set to offset {:.2f} px (column {:.2f}), tilt {:.3f} deg, recomputed in {:.1f} ms",
                        result.center_offset_px, result.center_column_px, result.tilt_deg, result.recompute_ms));
  refresh_status();
  protocol::Reply reply;
  reply.command = "set_center";
  reply.result = result;
  return reply;
}

protocol::Reply EngineWorker::do_set_slices(const protocol::SetSlices& request) {
  if (!session_ || !engine_has_scan_) {
    return error_reply("set_slices", ErrorCode::no_active_scan, "no scan has begun: no slices to move");
  }
  const auto& begin = session_->begin();
  const double half_width = 0.5 * (static_cast<double>(session_->layout().engine_cols) - 1.0);
  kernels::SlicePositions positions = engine_->params().slices;
  if (request.xy_row) {
    if (*request.xy_row >= begin.rows) {
      return error_reply("set_slices", ErrorCode::invalid_argument,
                         fmt::format("xy_row {} is outside the detector rows 0..{}", *request.xy_row, begin.rows - 1));
    }
    positions.xy_row = *request.xy_row;
  }
  const auto check_position = [&](const char* name, double value) -> std::optional<protocol::Reply> {
    if (!std::isfinite(value) || std::abs(value) > half_width) {
      return error_reply("set_slices", ErrorCode::invalid_argument,
                         fmt::format("{0} {1:f} px is outside the reconstruction (|{0}| <= {2:f} px expected)", name,
                                     value, half_width));
    }
    return std::nullopt;
  };
  if (request.xz_y_px) {
    if (auto error = check_position("xz_y_px", *request.xz_y_px)) return *error;
    positions.xz_y_px = static_cast<float>(*request.xz_y_px);
  }
  if (request.yz_x_px) {
    if (auto error = check_position("yz_x_px", *request.yz_x_px)) return *error;
    positions.yz_x_px = static_cast<float>(*request.yz_x_px);
  }
  const auto start = std::chrono::steady_clock::now();
  {
    const auto timer = stage_times_.time(EngineStage::recompute);
    engine_->set_slices(positions);
  }
  snapshot_slices();
  protocol::SlicesResult result;
  result.xy_row = positions.xy_row;
  result.xz_y_px = positions.xz_y_px;
  result.yz_x_px = positions.yz_x_px;
  result.recompute_ms = elapsed_ms(start);
  log_event(spdlog::level::info, LogFields{"slices_moved", session_->scan_id()},
            fmt::format("slices moved to xy_row {}, xz_y {:.1f} px, yz_x {:.1f} px, recomputed in {:.1f} ms",
                        result.xy_row, result.xz_y_px, result.yz_x_px, result.recompute_ms));
  refresh_status();
  protocol::Reply reply;
  reply.command = "set_slices";
  reply.result = result;
  return reply;
}

protocol::Reply EngineWorker::estimate_center(const protocol::EstimateCenter& request) {
  return run_command("estimate_center",
                     [this, request] { return do_estimate_center(request, ApplyTilt::when_measured); });
}

EngineWorker::SweepAnswer EngineWorker::sweep_center(const protocol::SweepCenter& request) {
  // The images are handed over through a shared holder: the command may outlive this call after a timeout.
  auto images = std::make_shared<std::shared_ptr<const std::vector<float>>>();
  protocol::Reply reply = run_command("sweep_center", [this, request, images] {
    if (!session_ || !engine_has_scan_) {
      return error_reply("sweep_center", ErrorCode::no_active_scan, "no scan has begun: nothing to sweep");
    }
    auto swept = CenterTools(*engine_, *session_).sweep(request);
    if (auto* error = std::get_if<Error>(&swept)) return error_reply("sweep_center", error->code, error->message);
    auto& output = std::get<SweepOutput>(swept);
    log_event(spdlog::level::info, LogFields{"center_swept", session_->scan_id()},
              fmt::format("center sweep of {} candidates from {:.2f} px in steps of {:.2f} px, images {} x {} "
                          "(every {} px), in {:.1f} ms; sharpest at {:.2f} px",
                          request.count, request.start_offset_px, request.step_px, output.result.shape[0],
                          output.result.shape[1], output.result.pixel_step, output.result.elapsed_ms,
                          output.result.best_offset_px));
    *images = std::move(output.images);
    protocol::Reply ok;
    ok.command = "sweep_center";
    ok.result = std::move(output.result);
    return ok;
  });
  const bool ok = reply.ok();
  return {std::move(reply), ok ? *images : nullptr};
}

EngineWorker::SweepAnswer EngineWorker::sweep_processing(const protocol::SweepProcessing& request) {
  // The images are handed over through a shared holder, as sweep_center's.
  auto images = std::make_shared<std::shared_ptr<const std::vector<float>>>();
  protocol::Reply reply = run_command("sweep_processing", [this, request, images] {
    if (!session_ || !engine_has_scan_) {
      return error_reply("sweep_processing", ErrorCode::no_active_scan, "no scan has begun: nothing to sweep");
    }
    const kernels::ScanGeometry geometry = session_->engine_geometry();
    const auto start = std::chrono::steady_clock::now();
    const std::string what = fmt::format("sweep_processing ({})", protocol::to_string(request.parameter));
    auto swept = run_processing_sweep(*engine_, request, geometry.rows, geometry.cols,
                                      [&](std::uint32_t done, std::uint32_t total) {
                                        report_command_progress(what, done, total, start);
                                      });
    if (auto* error = std::get_if<Error>(&swept)) return error_reply("sweep_processing", error->code, error->message);
    auto& output = std::get<ProcessingSweepOutput>(swept);
    spdlog::info("scan {}: {} sweep of {} candidates in {:.1f} ms; sharpest {}", session_->scan_id(),
                 protocol::to_string(request.parameter), output.result.labels.size(), output.result.elapsed_ms,
                 output.result.labels[output.result.best_index]);
    *images = std::move(output.images);
    protocol::Reply ok;
    ok.command = "sweep_processing";
    ok.result = std::move(output.result);
    return ok;
  });
  const bool ok = reply.ok();
  return {std::move(reply), ok ? *images : nullptr};
}

protocol::Reply EngineWorker::set_oblique_slice(const protocol::SetObliqueSlice& request) {
  return run_command("set_oblique_slice", [this, request] { return do_set_oblique_slice(request); });
}

protocol::Reply EngineWorker::do_set_oblique_slice(const protocol::SetObliqueSlice& request) {
  kernels::ObliqueSlice oblique;
  oblique.enabled = request.enabled;
  if (request.enabled && request.points) {
    const auto& p = *request.points;
    std::array<std::array<float, 3>, 3> points{};
    for (std::size_t k = 0; k < 9; ++k) points[k / 3][k % 3] = static_cast<float>(p[k]);
    if (!session_) {
      return error_reply("set_oblique_slice", ErrorCode::no_active_scan,
                         "no scan has begun: points are placed in a scan's volume (z in detector rows); give a normal "
                         "and offset_px instead");
    }
    const kernels::ObliqueFromPoints from = kernels::oblique_from_points(points, session_->begin().rows);
    if (!from.slice) return error_reply("set_oblique_slice", ErrorCode::invalid_argument, from.error);
    oblique = *from.slice;
  } else if (request.enabled) {
    const auto& n = *request.normal;
    oblique.normal = {static_cast<float>(n[0]), static_cast<float>(n[1]), static_cast<float>(n[2])};
    oblique.offset_px = static_cast<float>(request.offset_px.value_or(0.0));
  }
  try {
    kernels::check_oblique(oblique);
  } catch (const kernels::EngineError& e) {
    return error_reply("set_oblique_slice", ErrorCode::invalid_argument, e.what());
  }
  const auto start = std::chrono::steady_clock::now();
  oblique_ = oblique;
  protocol::ObliqueResult result;
  result.enabled = oblique.enabled;
  if (session_ && engine_has_scan_) {
    engine_->set_oblique_slice(oblique);
    oblique_ = engine_->params().oblique;
    const auto [rows, cols] = engine_->oblique_shape();
    result.shape = {rows, cols};
    snapshot_slices();
  }
  if (oblique.enabled) {
    const double length = std::hypot(double{oblique.normal[0]}, double{oblique.normal[1]}, double{oblique.normal[2]});
    for (const float c : oblique.normal) result.normal.push_back(c / length);
    result.offset_px = oblique.offset_px;
  }
  result.recompute_ms = elapsed_ms(start);
  spdlog::info("oblique slice {}", oblique.enabled ? fmt::format("normal [{:.3f}, {:.3f}, {:.3f}], offset {:.1f} px, "
                                                                 "recomputed in {:.1f} ms",
                                                                 result.normal[0], result.normal[1], result.normal[2],
                                                                 result.offset_px, result.recompute_ms)
                                                   : std::string("disabled"));
  protocol::Reply reply;
  reply.command = "set_oblique_slice";
  reply.result = result;
  return reply;
}

protocol::Reply EngineWorker::do_estimate_center(const protocol::EstimateCenter& request, ApplyTilt apply_tilt) {
  const std::string method(protocol::to_string(request.method));
  if (!session_ || !engine_has_scan_) {
    return error_reply("estimate_center", ErrorCode::no_active_scan, "no scan has begun: nothing to estimate from");
  }
  const auto start = std::chrono::steady_clock::now();
  const std::string what = fmt::format("estimate_center ({})", method);
  auto estimate = CenterTools(*engine_, *session_)
                      .estimate(request.method, [&](std::uint32_t done, std::uint32_t total) {
                        report_command_progress(what, done, total, start);
                      });
  if (auto* error = std::get_if<Error>(&estimate)) return error_reply("estimate_center", error->code, error->message);
  const DetectorCenterEstimate& found = std::get<DetectorCenterEstimate>(estimate);
  protocol::CenterEstimateResult result;
  result.method = method;
  result.center_offset_px = found.offset.px;
  result.center_column_px = center_column_px(session_->begin().cols, found.offset);
  result.confidence = found.confidence;
  result.samples = found.samples;
  // The registration measures the projections as the engine holds them, i.e. already turned by the tilt in use:
  // what it finds is the tilt that remains, and the detector's is their sum (rotations about one centre add).
  if (found.tilt_deg) result.tilt_deg = double{engine_->params().axis_tilt_deg} + *found.tilt_deg;
  result.tilt_confidence = found.tilt_confidence;
  result.elapsed_ms = elapsed_ms(start);
  // A measured tilt beyond set_center's range is a misaligned stage, not a tilt to correct: the offset alone applies.
  const bool tilt_applies = request.apply && apply_tilt == ApplyTilt::when_measured && result.tilt_deg &&
                            std::abs(*result.tilt_deg) <= kernels::kMaxAxisTiltDeg;
  if (request.apply) {
    const protocol::Reply applied = do_set_center(
        protocol::SetCenter{found.offset.px, std::nullopt, tilt_applies ? result.tilt_deg : std::nullopt});
    if (!applied.ok()) return error_reply("estimate_center", applied.error->code, applied.error->message);
    result.applied = true;
  }
  log_event(spdlog::level::info, LogFields{"center_estimated", session_->scan_id()},
            fmt::format("center estimate ({}) offset {:.2f} px, column {:.2f}, confidence {:.2f}, {} samples, "
                        "{:.1f} ms{}",
                        method, result.center_offset_px, result.center_column_px, result.confidence, result.samples,
                        result.elapsed_ms,
                        !result.applied  ? std::string()
                        : tilt_applies   ? fmt::format(", applied with tilt {:.3f} deg", *result.tilt_deg)
                                         : std::string(", applied")));
  center_estimate_ = result;
  refresh_status();
  protocol::Reply reply;
  reply.command = "estimate_center";
  reply.result = result;
  return reply;
}

protocol::Reply EngineWorker::center_sample(const protocol::CenterSample& request) {
  return run_command("center_sample", [this, request] {
    if (!session_ || !engine_has_scan_) {
      return error_reply("center_sample", ErrorCode::no_active_scan, "no scan has begun: no slice or projection yet");
    }
    auto found = daemon::center_sample(*engine_, *session_, request);
    if (auto* error = std::get_if<Error>(&found)) return error_reply("center_sample", error->code, error->message);
    const auto& result = std::get<protocol::CenterSampleResult>(found);
    spdlog::info("scan {}: sample centring from {}: move x {:.2f}, y {:.2f}, z {:.2f} px", session_->scan_id(),
                 result.slice, result.move_x_px, result.move_y_px, result.move_z_px);
    protocol::Reply reply;
    reply.command = "center_sample";
    reply.result = result;
    return reply;
  });
}

void EngineWorker::report_command_progress(const std::string& what, std::uint32_t done, std::uint32_t total,
                                           std::chrono::steady_clock::time_point start) {
  if (running_ticket_) running_ticket_->touch();
  protocol::CommandProgress progress;
  progress.command = what;
  progress.done = done;
  progress.total = total;
  progress.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // The steps done so far tell the rate; before the first, nothing is known (0).
  progress.remaining_s = done > 0 ? progress.elapsed_s * static_cast<double>(total - done) / done : 0.0;
  command_progress_ = progress;
  refresh_status();
  reporter_.scan_event("command_progress", session_->scan_id(),
                       done == 0 ? fmt::format("{}: started, {} steps", what, total)
                                 : fmt::format("{}: {} of {} steps in {:.1f} s, about {:.1f} s left", what, done,
                                               total, progress.elapsed_s, progress.remaining_s));
}

void EngineWorker::maybe_auto_center() {
  if (!options_.auto_center || !auto_center_.due(engine_->projections_in_store())) return;
  // Half-acquisition scans have only the registration estimate (CenterTools::estimate refuses the metric there).
  const protocol::CenterMethod method =
      session_->begin().half_acquisition ? protocol::CenterMethod::registration : *options_.auto_center;
  const protocol::Reply reply = do_estimate_center(protocol::EstimateCenter{method, true}, ApplyTilt::never);
  if (!reply.ok()) {
    // Not enough data yet (e.g. no pair 180 degrees apart): the schedule says when to try again.
    auto_center_.failed();
    spdlog::debug("scan {}: automatic center not yet: {}", session_->scan_id(), reply.error->message);
    return;
  }
  auto_center_.succeeded();
  const auto& result = std::get<protocol::CenterEstimateResult>(reply.result);
  reporter_.scan_event("center_estimated", session_->scan_id(),
                       fmt::format("automatic center ({}) applied: offset {} px, confidence {}", result.method,
                                   kernels::format_number(static_cast<float>(result.center_offset_px)),
                                   kernels::format_number(static_cast<float>(result.confidence))));
}

protocol::Reply EngineWorker::set_processing(const protocol::SetProcessing& request) {
  return run_command("set_processing", [this, request] { return do_set_processing(request); });
}

protocol::Reply EngineWorker::do_set_processing(const protocol::SetProcessing& request) {
  const kernels::ProcessingParams wanted = apply_update(processing_, request);
  try {
    kernels::check_processing(wanted);
  } catch (const kernels::EngineError& e) {
    return error_reply("set_processing", ErrorCode::invalid_argument, e.what());
  }
  protocol::ProcessingResult result;
  // Defective-pixel detection alone changes nothing stored: a scan's map is built at its first projection, so the
  // engine hears of it (a re-filter of nothing) only while its scan has none yet.
  const bool detection_only = request.defective_pixels && !request.window && !request.zingers && !request.phase &&
                              !request.rings;
  const bool refilter = engine_has_scan_ && (!detection_only || engine_->projections_in_store() == 0);
  if (refilter) {
    result.refilter = refilter_store(wanted, "set_processing");
    snapshot_slices();
  }
  processing_ = wanted;
  publish_processing_status();
  result.processing = processing();
  std::optional<std::uint64_t> scan_id;
  std::string message = fmt::format("processing set to {}", describe(processing_));
  if (refilter) {
    scan_id = session_->scan_id();
    message += fmt::format("; {} projections re-filtered in {:.1f} ms", result.refilter.projections,
                           result.refilter.elapsed_ms);
  } else {
    message += "; used from the next scan on";
  }
  reporter_.scan_event("processing_changed", scan_id, std::move(message));
  protocol::Reply reply;
  reply.command = "set_processing";
  reply.result = std::move(result);
  return reply;
}

protocol::Reply EngineWorker::get_defective_pixels() {
  return run_command("get_defective_pixels", [this] {
    if (!engine_has_scan_) {
      return error_reply("get_defective_pixels", ErrorCode::no_active_scan,
                         "no scan is held by the engine (send begin first)");
    }
    protocol::DefectivePixelsResult result;
    result.scan_id = session_->scan_id();
    if (const kernels::DefectivePixelMap* map = engine_->defective_pixels()) {
      result.built = true;
      result.rows = map->rows;
      result.cols = map->cols;
      result.counts = to_protocol(map->counts());
      for (std::size_t k = 0; k < map->kinds.size(); ++k) {
        if (map->kinds[k] == 0) continue;
        if (result.pixels.size() == protocol::kMaxDefectivePixelsListed) {
          result.truncated = true;
          break;
        }
        result.pixels.push_back({static_cast<std::uint32_t>(k / map->cols), static_cast<std::uint32_t>(k % map->cols),
                                 map->kinds[k]});
      }
    }
    protocol::Reply reply;
    reply.command = "get_defective_pixels";
    reply.result = std::move(result);
    return reply;
  });
}

protocol::RefilterResult EngineWorker::refilter_store(const kernels::ProcessingParams& params, std::string reason) {
  const protocol::RefilterResult result = [&] {
    const auto timer = stage_times_.time(EngineStage::refilter);
    return to_protocol(engine_->set_processing(params));
  }();
  ring_passes_.refiltered();
  bump(counters_.refilters);
  bump(counters_.zingers_replaced, result.zingers_replaced);
  snapshotter_.mark_dirty();
  log_event(spdlog::level::info, LogFields{"refiltered", session_->scan_id()},
            fmt::format("{}: {} projections re-filtered in {:.1f} ms, {} zingers replaced, {} values clamped", reason,
                        result.projections, result.elapsed_ms, result.zingers_replaced, result.clamped_values));
  scan_refilter_ = protocol::ScanRefilter{std::move(reason), result};
  refresh_status();
  return result;
}

void EngineWorker::run_ring_pass() {
  ring_passes_.refiltered();  // a failing pass is retried after the next tenth, not after every projection
  try {
    refilter_store(processing_, "rings_pass");
    bump(counters_.ring_passes);
  } catch (const kernels::EngineLostError& e) {
    recover_lost_engine(e.what(), "the ring pass");
  } catch (const kernels::EngineError& e) {
    bump(counters_.engine_errors);
    reporter_.reject(Error{ErrorCode::internal_error, fmt::format("ring pass: {}", e.what())}, session_->scan_id());
  }
}

void EngineWorker::maybe_snapshot_slices() {
  if (snapshotter_.due()) snapshot_slices();
}

void EngineWorker::snapshot_slices() {
  if (!engine_has_scan_) return;
  const std::uint64_t scan_id = session_->scan_id();
  try {
    const SliceSnapshotter::Outcome outcome = [&] {
      const auto timer = stage_times_.time(EngineStage::slice_readback);
      return snapshotter_.snapshot(*engine_, scan_id, current_center());
    }();
    report_non_finite(outcome.non_finite);
    report_refused_slices(outcome.refused);
  } catch (const kernels::EngineLostError& e) {
    recover_lost_engine(e.what(), "reading the slices back");
  } catch (const kernels::EngineError& e) {
    // The slices stay dirty: the next due snapshot tries again (at most once per publish interval).
    bump(counters_.engine_errors);
    reporter_.reject(Error{ErrorCode::internal_error, fmt::format("reading the slices back failed: {}", e.what())},
                     scan_id);
  }
}

void EngineWorker::report_refused_slices(const SliceSnapshotter::RefusedSlices& refused) {
  for (const protocol::SliceKind kind : protocol::kSliceKinds) {
    const auto index = static_cast<std::size_t>(kind);
    if (refused[index].empty()) continue;
    bump(counters_.engine_errors);
    if (refused_reported_[index]) continue;
    refused_reported_[index] = true;
    reporter_.reject(Error{ErrorCode::internal_error,
                           fmt::format("reading the slices back failed: {} (the {} slice of scan {}; the other slices "
                                       "are published, this one is tried again at every snapshot: reported once per "
                                       "slice and scan, counted in engine_errors)",
                                       refused[index], protocol::to_string(kind), session_->scan_id())},
                     session_->scan_id());
  }
}

void EngineWorker::report_non_finite(const SliceSnapshotter::NonFiniteCounts& counts) {
  for (const protocol::SliceKind kind : protocol::kSliceKinds) {
    const auto index = static_cast<std::size_t>(kind);
    if (counts[index] == 0) continue;
    bump(counters_.slices_non_finite);
    if (non_finite_reported_[index]) continue;
    non_finite_reported_[index] = true;
    reporter_.reject(Error{ErrorCode::internal_error,
                           fmt::format("the {} slice of scan {} has {} non-finite values (NaN or infinity): the "
                                       "engine produced them; they are published as they are (reported once per slice "
                                       "and scan, counted in slices_non_finite)",
                                       protocol::to_string(kind), session_->scan_id(), counts[index])},
                     session_->scan_id());
  }
}

void EngineWorker::refresh_status() {
  if (!session_) return;
  std::optional<EngineState> engine;
  if (engine_has_scan_) {
    engine = EngineState{current_center(), engine_->params().slices, engine_->params().axis_tilt_deg};
  }
  protocol::ScanStatus status = build_scan_status({*session_, engine, plan_, center_estimate_, scan_refilter_, command_progress_},
                                                  std::chrono::steady_clock::now());
  if (scan_lost_) status.state = "lost";
  status.defective_pixels = defective_pixels_;
  std::lock_guard lock(status_mutex_);
  status_ = std::move(status);
}

void EngineWorker::publish_processing_status() {
  const kernels::HalfAcquisition half =
      engine_has_scan_ ? session_->engine_geometry().half_acquisition : kernels::HalfAcquisition{};
  protocol::ProcessingSetting setting = to_protocol(processing_, half);
  std::lock_guard lock(status_mutex_);
  processing_status_ = std::move(setting);
}

DetectorOffsetPx EngineWorker::current_center() const {
  return session_->layout().detector_offset(engine_center_offset(*engine_));
}

std::optional<protocol::ScanStatus> EngineWorker::scan_status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

std::string EngineWorker::engine_name() const {
  std::lock_guard lock(status_mutex_);
  return engine_name_;
}

protocol::ProcessingSetting EngineWorker::processing() const {
  std::lock_guard lock(status_mutex_);
  return processing_status_;
}

protocol::Reply EngineWorker::reconstruct_volume(const protocol::ReconstructVolume& request) {
  return run_command("reconstruct_volume", [this, request] { return do_reconstruct_volume(request); });
}

protocol::Reply EngineWorker::cancel_volume() {
  std::lock_guard lock(volume_mutex_);
  if (!volume_ || volume_->done()) {
    return error_reply("cancel_volume", ErrorCode::invalid_argument, "no volume is being computed or written");
  }
  volume_->cancel("cancelled by cancel_volume");
  protocol::Reply reply;
  reply.command = "cancel_volume";
  reply.result = volume_->status();
  return reply;
}

std::optional<protocol::VolumeStatus> EngineWorker::volume_status() const {
  std::lock_guard lock(volume_mutex_);
  if (!volume_) return std::nullopt;
  return volume_->status();
}

protocol::Reply EngineWorker::do_reconstruct_volume(const protocol::ReconstructVolume& request) {
  const auto refuse = [&](ErrorCode code, std::string message) {
    bump(counters_.volumes_failed);
    const std::optional<std::uint64_t> scan_id =
        session_ ? std::optional<std::uint64_t>(session_->scan_id()) : std::nullopt;
    reporter_.scan_event("volume_failed", scan_id, "volume refused: " + message);
    return error_reply("reconstruct_volume", code, std::move(message));
  };
  if (!session_ || !engine_has_scan_) return refuse(ErrorCode::no_active_scan, "no scan has begun: nothing to reconstruct");
  {
    std::lock_guard lock(volume_mutex_);
    if (volume_ && !volume_->done()) {
      const protocol::VolumeStatus running = volume_->status();
      return refuse(ErrorCode::invalid_argument,
                    fmt::format("the volume of scan {} is still {} ({} of {} slabs written); wait for "
                                "volume_finished or send cancel_volume",
                                running.scan_id, running.state, running.slabs_written, running.slabs_total));
    }
  }
  const kernels::ScanGeometry geometry = session_->engine_geometry();
  const std::uint32_t n = geometry.cols;
  const protocol::SliceRegionField region = request.region.value_or(protocol::SliceRegionField{0, 0, n, n});
  if (std::uint64_t{region[0]} + region[2] > n || std::uint64_t{region[1]} + region[3] > n) {
    return refuse(ErrorCode::invalid_argument,
                  fmt::format("region [{}, {}, {}, {}] ([row0, col0, rows, cols]) leaves the {} x {} slice", region[0],
                              region[1], region[2], region[3], n, n));
  }
  const std::array<std::uint32_t, 2> rows = request.rows.value_or(std::array<std::uint32_t, 2>{0, geometry.rows});
  if (std::uint64_t{rows[0]} + rows[1] > geometry.rows) {
    return refuse(ErrorCode::invalid_argument, fmt::format("rows [{}, {}] ([first, count]) leave the detector's {} rows",
                                                           rows[0], rows[1], geometry.rows));
  }
  const std::uint32_t b = request.binning;
  if (rows[1] < b || region[2] < b || region[3] < b) {
    return refuse(ErrorCode::invalid_argument,
                  fmt::format("binning {} is larger than the box ({} rows x {} x {} pixels)", b, rows[1], region[2],
                              region[3]));
  }
  VolumeJob::Plan plan;
  plan.scan_id = session_->scan_id();
  plan.box = kernels::VolumeBox{{region[0], region[1], region[2], region[3]}, rows[0], rows[1]};
  plan.binning = b;
  // Slabs: what the engine can hold beside its store, and two of them in the host budget; a multiple of binning.
  const std::uint64_t layer_bytes = std::uint64_t{region[2]} * region[3] * sizeof(float);
  const std::uint64_t host_rows = std::max<std::uint64_t>(1, options_.volume.host_memory_bytes / (2 * layer_bytes));
  std::uint64_t slab_rows = std::min<std::uint64_t>({engine_->volume_slab_rows(plan.box.region), host_rows, rows[1]});
  slab_rows = std::max<std::uint64_t>(b, slab_rows / b * b);
  if (slab_rows > engine_->volume_slab_rows(plan.box.region)) {
    return refuse(ErrorCode::invalid_argument,
                  fmt::format("binning {} needs slabs of {} rows; the engine holds at most {} of {} x {} pixels", b,
                              slab_rows, engine_->volume_slab_rows(plan.box.region), region[2], region[3]));
  }
  plan.slab_rows = static_cast<std::uint32_t>(slab_rows);

  const protocol::ScanBegin& begin = session_->begin();
  storage::VolumeFileSpec& file = plan.file;
  file.directory = options_.volume.directory.empty() ? std::filesystem::path(".") : options_.volume.directory;
  file.base_name = storage::scan_file_stem(begin.scan_id, begin.name);
  file.format = options_.volume.format;
  file.dtype = options_.volume.dtype;
  file.compression = options_.volume.compression;
  file.overwrite = options_.volume.overwrite;
  file.shape = {rows[1] / b, region[2] / b, region[3] / b};
  file.voxel_size_um = begin.pixel_size_um.value_or(0.0) * b;
  if (file.dtype == storage::VolumeDtype::uint16) {
    // The live axial slice's range with a margin of a tenth on each side; values outside are clamped and counted.
    const auto [slice_rows, slice_cols] = engine_->slice_shape(kernels::Orthoslice::xy);
    std::vector<float> xy(std::size_t{slice_rows} * slice_cols);
    engine_->copy_slice(kernels::Orthoslice::xy, xy);
    const auto [low, high] = std::minmax_element(xy.begin(), xy.end());
    const double span = std::max(1e-12, static_cast<double>(*high) - static_cast<double>(*low));
    file.add_offset = static_cast<double>(*low) - 0.1 * span;
    file.scale_factor = 1.2 * span / 65535.0;
  }
  const DetectorOffsetPx center = current_center();
  file.parameters = {{"scan_id", begin.scan_id},
                     {"scan_name", begin.name},
                     {"center_offset_px", center.px},
                     {"center_column_px", center_column_px(begin.cols, center)},
                     {"axis_tilt_deg", engine_->params().axis_tilt_deg},
                     {"processing", processing_json(processing_, geometry.half_acquisition)},
                     {"filter_window", std::string(protocol::to_string(to_protocol(processing_, {}).window))},
                     {"binning", b},
                     {"region_row0_col0_rows_cols", region},
                     {"rows_first_count", rows},
                     {"angle_weight_rad", geometry.angle_weight_rad},
                     {"projections", engine_->projections_in_store()},
                     {"engine", engine_->name()},
                     {"store_precision", plan_ ? plan_->store_precision : std::string()},
                     {"software", "tomolive " TOMOLIVE_VERSION " (" TOMOLIVE_GIT_COMMIT ")"}};
  plan.sidecar.dataset_name = fmt::format("scan {}{}", begin.scan_id, begin.name.empty() ? "" : " " + begin.name);
  plan.sidecar.description = "full volume reconstructed by tomolive from the resident, filtered projections (FBP)";
  plan.sidecar.used_software = "tomolive " TOMOLIVE_VERSION " (" TOMOLIVE_GIT_COMMIT ")";
  plan.sidecar.job_parameters = {{"region_row0_col0_rows_cols", region}, {"rows_first_count", rows}, {"binning", b}};
  plan.sidecar.scientific_metadata = scan_metadata();
  try {
    auto job = std::make_unique<VolumeJob>(std::move(plan), options_.volume, reporter_, counters_);
    protocol::Reply reply;
    reply.command = "reconstruct_volume";
    reply.result = job->status();
    std::lock_guard lock(volume_mutex_);
    volume_ = std::move(job);
    volume_to_compute_ = true;
    return reply;
  } catch (const storage::StorageError& e) {
    return refuse(ErrorCode::disk_error, e.what());
  }
}

void EngineWorker::compute_pending_volume() {
  volume_to_compute_ = false;
  VolumeJob* job = nullptr;
  {
    std::lock_guard lock(volume_mutex_);
    job = volume_.get();  // replaced only on this thread
  }
  if (job == nullptr || !engine_has_scan_) return;
  const std::uint64_t scan_id = session_->scan_id();
  const auto next_scan = [this, scan_id]() -> std::optional<std::string> {
    if (const auto next = inbox_.pending_begin_other_than(scan_id)) {
      return fmt::format("cancelled: scan {} began before the volume of scan {} was computed (the next scan comes "
                         "first; the store is the next scan's)",
                         *next, scan_id);
    }
    return std::nullopt;
  };
  try {
    const auto timer = stage_times_.time(EngineStage::volume);
    job->compute(*engine_, next_scan);
  } catch (const kernels::EngineLostError& e) {
    recover_lost_engine(e.what(), "reconstruct_volume");
  }
}

nlohmann::json EngineWorker::scan_metadata() const {
  const protocol::ScanBegin& begin = session_->begin();
  const kernels::ScanGeometry geometry = session_->engine_geometry();
  nlohmann::json angles;
  if (const auto* range = std::get_if<protocol::AngleRange>(&begin.angles)) {
    angles = {{"start_deg", range->start_deg}, {"step_deg", range->step_deg}, {"count", begin.num_projections}};
  } else {
    angles = {{"table_deg", std::get<protocol::AngleTable>(begin.angles).angles_deg}};
  }
  const DetectorOffsetPx center = current_center();
  std::string found = "the begin's center_offset_px or set_center";
  if (center_estimate_ && center_estimate_->applied) found = "estimate_center (" + center_estimate_->method + ")";
  nlohmann::json counters = nlohmann::json::object();
  for (const auto& [name, value] : counters_.totals()) counters[name] = value;
  nlohmann::json memory = nlohmann::json::object();
  if (plan_) {
    memory = {{"device", plan_->device},         {"store_precision", plan_->store_precision},
              {"store_bytes", plan_->store_bytes}, {"corrected_store_bytes", plan_->corrected_store_bytes},
              {"slice_bytes", plan_->slice_bytes}, {"other_bytes", plan_->other_bytes},
              {"total_bytes", plan_->total_bytes}, {"available_bytes", plan_->available_bytes}};
  }
  const double scan_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - session_->begun_at()).count();
  return {{"scan", {{"scan_id", begin.scan_id}, {"name", begin.name}}},
          {"geometry",
           {{"rows", begin.rows}, {"cols", begin.cols}, {"dtype", protocol::to_string(begin.dtype)},
            {"slice_cols", geometry.cols}, {"slots", geometry.slots}, {"window", begin.window},
            {"half_acquisition", begin.half_acquisition}, {"pixel_size_um", begin.pixel_size_um.value_or(0.0)},
            {"darks", begin.num_darks}, {"flats", begin.num_flats}, {"projections", begin.num_projections},
            {"beam", "parallel"}}},
          {"angles", angles},
          {"processing", processing_json(processing_, geometry.half_acquisition)},
          {"center",
           {{"offset_px", center.px},
            {"column_px", center_column_px(begin.cols, center)},
            {"tilt_deg", engine_->params().axis_tilt_deg},
            {"found_by", found}}},
          {"counters", counters},
          {"memory_plan", memory},
          {"timings", {{"since_scan_begun_s", scan_s}, {"projections_reconstructed", session_->reconstructed()}}},
          {"software", {{"name", "tomolive"}, {"version", TOMOLIVE_VERSION}, {"commit", TOMOLIVE_GIT_COMMIT}}}};
}

}  // namespace tomolive::daemon
