#include "tomolive/daemon/recorder.hpp"

#include <cerrno>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "tomolive/daemon/log_event.hpp"
#include "tomolive/daemon/thread_name.hpp"
#include "tomolive/detector/pixel_encoder.hpp"
#include "tomolive/protocol/clock.hpp"
#include "tomolive/storage/atomic_file.hpp"
#include "tomolive/storage/disk_error.hpp"
#include "tomolive/storage/nxtomo_writer.hpp"
#include "tomolive/storage/scan_file_name.hpp"
#include "tomolive/storage/scan_sidecar.hpp"
#include "tomolive/storage/storage_error.hpp"

namespace tomolive::daemon {
namespace {

using protocol::Error;
using protocol::ErrorCode;

std::string_view to_string(RecordPolicy policy) { return policy == RecordPolicy::block ? "block" : "stop"; }

}  // namespace

std::string Recorder::file_name(const protocol::ScanBegin& begin) {
  return storage::scan_file_stem(begin.scan_id, begin.name) + ".nxs";
}

std::filesystem::path Recorder::sidecar_path(const std::filesystem::path& final_path) {
  return std::filesystem::path(final_path).replace_extension(".json");
}

std::filesystem::path Recorder::partial_path(const std::filesystem::path& final_path) {
  std::filesystem::path partial = final_path;
  partial += ".partial";
  return partial;
}

Recorder::Recorder(Options options, EventReporter& reporter, DaemonCounters& counters)
    : options_(std::move(options)), reporter_(reporter), counters_(counters) {
  status_.enabled = !options_.directory.empty();
  status_.directory = options_.directory.string();
  status_.policy = std::string(to_string(options_.policy));
  status_.state = "idle";
  status_.queue_capacity = static_cast<std::uint32_t>(options_.queue_frames);
  thread_ = std::jthread([this](std::stop_token stop) {
    name_this_thread("recorder");
    run(std::move(stop));
  });
}

Recorder::~Recorder() { shut_down(); }

void Recorder::shut_down() {
  thread_.request_stop();
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Recorder::set_state(std::string state, std::string error) {
  status_.state = std::move(state);
  status_.error = std::move(error);
  changed_.notify_all();  // completed_file() waits for the state to leave "recording"
}

protocol::RecordingStatus Recorder::status() const {
  std::lock_guard lock(mutex_);
  protocol::RecordingStatus status = status_;
  status.queue_frames = static_cast<std::uint32_t>(queued_frames_);
  status.next_scan = status.enabled && next_scan_.value_or(options_.every_scan);
  return status;
}

std::optional<std::filesystem::path> Recorder::completed_file(std::uint64_t scan_id,
                                                             std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return status_.scan_id != scan_id || status_.state != "recording"; });
  if (status_.scan_id != scan_id || status_.state != "complete") return std::nullopt;
  return std::filesystem::path(status_.file);
}

protocol::Expected<protocol::RecordingStatus> Recorder::set_next_scan(bool enabled) {
  if (options_.directory.empty()) {
    return Error{ErrorCode::invalid_argument,
                 "record needs a directory to write to: start tomolived with --record DIR (none was given)"};
  }
  std::optional<std::uint64_t> stopped;
  {
    std::lock_guard lock(mutex_);
    next_scan_ = enabled;
    if (!enabled && status_.state == "recording" && status_.scan_id && failed_scan_ != status_.scan_id) {
      stopped = status_.scan_id;
      failed_scan_ = declined_scan_ = stopped;
      queue_.push_back(Close{*stopped, false, "stopped by the record command", protocol::unix_time_ns()});
    }
  }
  changed_.notify_all();
  if (stopped) {
    reporter_.scan_event("recording_stopped", *stopped,
                         fmt::format("stopped by the record command; {} keeps its .partial name", status().file));
  }
  return status();
}

// --- engine thread ---

void Recorder::push(Work work) {
  {
    std::lock_guard lock(mutex_);
    if (const auto* frame = std::get_if<RawFrame>(&work)) {
      ++queued_frames_;
      queued_bytes_ += frame->bytes_held();
    }
    queue_.push_back(std::move(work));
  }
  changed_.notify_all();
}

void Recorder::scan_begun(const protocol::ScanBegin& begin, std::int64_t time_ns) {
  recording_scan_.reset();
  if (options_.directory.empty()) return;
  {
    std::lock_guard lock(mutex_);
    const bool wanted = next_scan_.value_or(options_.every_scan);
    next_scan_.reset();  // a record command chooses for one scan
    if (!wanted) return;
  }
  const std::filesystem::path final_path = options_.directory / file_name(begin);
  const std::filesystem::path partial = partial_path(final_path);
  std::optional<std::string> problem = storage::directory_problem(options_.directory);
  for (const auto& path : {final_path, partial}) {
    if (!problem && std::filesystem::exists(path)) {
      problem = storage::describe_disk_error(EEXIST, storage::DiskOperation::create_file, path);
    }
  }
  if (problem) {
    bump(counters_.recordings_stopped);
    {
      std::lock_guard lock(mutex_);
      status_.scan_id = begin.scan_id;
      status_.file.clear();
      status_.frames_written = status_.frames_durable = status_.bytes_written = status_.frames_dropped = 0;
      status_.encoding.clear();
      set_state("failed", *problem);
    }
    reporter_.reject(Error{ErrorCode::disk_error, fmt::format("scan {} is not recorded: {}; reconstruction continues",
                                                              begin.scan_id, *problem)},
                     begin.scan_id);
    return;
  }
  recording_scan_ = begin.scan_id;
  {
    std::lock_guard lock(mutex_);
    status_.scan_id = begin.scan_id;
    status_.file = partial.string();
    status_.frames_written = status_.frames_durable = status_.bytes_written = status_.frames_dropped = 0;
    status_.encoding.clear();
    set_state("recording");
  }
  push(Open{begin, time_ns, partial, final_path});
}

void Recorder::frame_accepted(const RawFrame& frame) {
  if (!recording_scan_ || frame.header.scan_id != *recording_scan_) return;
  const std::uint64_t scan_id = *recording_scan_;
  const std::uint64_t bytes = frame.bytes_held();
  std::unique_lock lock(mutex_);
  const auto fits = [&] {
    return queued_frames_ < options_.queue_frames &&
           (queued_frames_ == 0 || queued_bytes_ + bytes <= options_.queue_bytes);
  };
  const auto stopped = [&] { return failed_scan_ == scan_id; };
  if (!stopped() && !fits()) {
    if (options_.policy == RecordPolicy::block) {
      bump(counters_.recording_queue_full_waits);
      changed_.wait(lock, [&] { return fits() || stopped(); });
    } else {
      failed_scan_ = scan_id;
      lock.unlock();
      stop_active(fmt::format("the disk is slower than the stream: the recording queue is full ({} frames, {} bytes; "
                              "--record-queue-frames, --record-queue-mb) and the policy is stop",
                              options_.queue_frames, options_.queue_bytes),
                  frame.received_ns);
      lock.lock();
    }
  }
  if (stopped()) {
    if (declined_scan_ != scan_id) {
      ++status_.frames_dropped;
      bump(counters_.recording_frames_dropped);
    }
    return;
  }
  ++queued_frames_;
  queued_bytes_ += bytes;
  queue_.push_back(frame);
  lock.unlock();
  changed_.notify_all();
}

void Recorder::stop_active(std::string reason, std::int64_t time_ns) {
  const std::uint64_t scan_id = *recording_scan_;
  reporter_.reject(Error{ErrorCode::disk_error, fmt::format("recording of scan {} stopped: {}; reconstruction continues",
                                                            scan_id, reason)},
                   scan_id);
  push(Close{scan_id, false, std::move(reason), time_ns});
}

void Recorder::scan_ended(std::uint64_t scan_id, bool complete, std::int64_t time_ns,
                          const nlohmann::json& scan_metadata) {
  if (!recording_scan_ || *recording_scan_ != scan_id) return;
  recording_scan_.reset();
  push(Close{scan_id, complete, std::nullopt, time_ns, scan_metadata});
}

// --- writer thread ---

void Recorder::run(std::stop_token stop) {
  for (;;) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, stop, options_.flush_interval, [&] { return !queue_.empty(); });
    if (queue_.empty()) {
      if (stop.stop_requested()) break;
      lock.unlock();
      flush_if_due();
      continue;
    }
    Work work = std::move(queue_.front());
    queue_.pop_front();
    if (const auto* frame = std::get_if<RawFrame>(&work)) {
      --queued_frames_;
      queued_bytes_ -= frame->bytes_held();
    }
    lock.unlock();
    changed_.notify_all();
    std::visit([this](auto& item) { write(item); }, work);
    flush_if_due();
  }
  if (current_) {
    // Shutdown while a scan was being recorded: it keeps its ".partial" name.
    write(Close{current_->begin.scan_id, false, "the daemon shut down before the scan ended",
                protocol::unix_time_ns()});
  }
}

void Recorder::write(const Open& open) {
  writer_.reset();
  current_ = open;  // the file waits for the first frame, which fixes its encoding
}

bool Recorder::open_writer(storage::FrameEncoding encoding) {
  const Open& open = *current_;
  try {
    writer_ = options_.make_writer
                  ? options_.make_writer(open.partial, open.begin, open.time_ns, encoding)
                  : std::make_unique<storage::NxtomoWriter>(open.partial, open.begin, open.time_ns, encoding);
  } catch (const storage::StorageError& e) {
    fail(e.what());
    return false;
  }
  last_flush_ = std::chrono::steady_clock::now();
  bump(counters_.recordings_started);
  {
    std::lock_guard lock(mutex_);
    status_.encoding = std::string(storage::to_string(encoding));
  }
  reporter_.scan_event("recording_started", open.begin.scan_id,
                       fmt::format("recording to {} (policy {}, frames stored {})", open.partial.string(),
                                   to_string(options_.policy),
                                   encoding == storage::FrameEncoding::bslz4 ? "as the detector's bslz4 chunks"
                                                                             : "uncompressed"));
  return true;
}

void Recorder::write(const RawFrame& frame) {
  const auto drop = [this] {
    std::lock_guard lock(mutex_);
    ++status_.frames_dropped;
    bump(counters_.recording_frames_dropped);
  };
  if (!current_ || current_->begin.scan_id != frame.header.scan_id) {
    drop();
    return;
  }
  if (!writer_ &&
      !open_writer(frame.bslz4 ? storage::FrameEncoding::bslz4 : storage::FrameEncoding::raw)) {
    drop();
    return;
  }
  const std::uint64_t bytes_before = writer_->bytes_written();
  try {
    const auto& h = frame.header;
    if (writer_->encoding() == storage::FrameEncoding::raw) {
      writer_->append(h.kind, h.frame_id, frame.angle_deg, frame.pixels());
    } else if (frame.bslz4) {
      writer_->append_compressed(h.kind, h.frame_id, frame.angle_deg, frame.bslz4.bytes());
    } else {
      const std::vector<std::byte> chunk = detector::encode_bslz4(frame.pixels(), protocol::itemsize(h.dtype));
      writer_->append_compressed(h.kind, h.frame_id, frame.angle_deg, chunk);
      bump(counters_.recording_frames_compressed);
    }
  } catch (const storage::StorageError& e) {
    fail(e.what());
    drop();
    return;
  }
  bump(counters_.recording_frames_written);
  bump(counters_.recording_bytes_written, writer_->bytes_written() - bytes_before);
  std::lock_guard lock(mutex_);
  status_.frames_written = writer_->frames_written();
  status_.bytes_written = writer_->bytes_written();
}

void Recorder::write(const Close& close) {
  if (!current_ || current_->begin.scan_id != close.scan_id) return;
  // A recording without frames: its (empty) file is created now, so that every recording leaves one.
  if (!writer_ && !open_writer(storage::FrameEncoding::raw)) return;
  const Open open = *current_;
  try {
    if (close.complete) {
      writer_->finish(close.time_ns);
      writer_.reset();
      storage::rename_without_replacing(open.partial, open.final_path);
      bump(counters_.recordings_completed);
      std::uint64_t frames = 0;
      std::uint64_t bytes = 0;
      {
        std::lock_guard lock(mutex_);
        frames = status_.frames_written;
        bytes = status_.bytes_written;
      }
      // Before "complete": a volume's sidecar in the same directory replaces it.
      const bool sidecar = write_sidecar(open, close, frames, bytes);
      {
        std::lock_guard lock(mutex_);
        status_.file = open.final_path.string();
        status_.frames_durable = status_.frames_written;
        set_state("complete");
      }
      current_.reset();
      reporter_.scan_event("recording_finished", open.begin.scan_id,
                           fmt::format("{} frames in {}{}", frames, open.final_path.string(),
                                       sidecar ? "; sidecar " + sidecar_path(open.final_path).string() : ""));
      return;
    }
    const std::string reason = close.stop_reason.value_or("the scan ended without its end message");
    writer_->stop(reason, close.time_ns);
    writer_.reset();
    current_.reset();
    bump(counters_.recordings_stopped);
    {
      std::lock_guard lock(mutex_);
      set_state("stopped", reason);
    }
    if (!close.stop_reason) {
      reporter_.scan_event("recording_stopped", open.begin.scan_id,
                           fmt::format("{}: {} keeps its .partial name", reason, open.partial.string()));
    }
  } catch (const storage::StorageError& e) {
    fail(e.what());
  }
}

bool Recorder::write_sidecar(const Open& open, const Close& close, std::uint64_t frames, std::uint64_t bytes) {
  const protocol::ScanBegin& begin = open.begin;
  storage::ScanSidecar sidecar;
  sidecar.type = "raw";
  sidecar.dataset_name = fmt::format("scan {}{}", begin.scan_id, begin.name.empty() ? "" : " " + begin.name);
  sidecar.description = "raw frames of the scan as the detector sent them, recorded by tomolive (NeXus NXtomo)";
  sidecar.scientific_metadata = close.scan_metadata;
  sidecar.scientific_metadata["recording"] = {{"path", open.final_path.string()},
                                              {"format", "NXtomo"},
                                              {"encoding", status().encoding},
                                              {"frames_written", frames},
                                              {"bytes_written", bytes},
                                              {"policy", to_string(options_.policy)}};
  const std::filesystem::path path = sidecar_path(open.final_path);
  const std::filesystem::path files[] = {open.final_path};
  try {
    storage::write_scan_sidecar(path, sidecar, files);
    return true;
  } catch (const storage::StorageError& e) {
    reporter_.reject(Error{ErrorCode::disk_error,
                           fmt::format("scan {}'s recording {} is complete, but its catalogue sidecar {} could not be "
                                       "written: {}",
                                       begin.scan_id, open.final_path.string(), path.string(), e.what())},
                     begin.scan_id);
    return false;
  }
}

void Recorder::flush_if_due() {
  if (!writer_ || std::chrono::steady_clock::now() - last_flush_ < options_.flush_interval) return;
  try {
    writer_->flush();
    last_flush_ = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    status_.frames_durable = writer_->frames_written();
  } catch (const storage::StorageError& e) {
    fail(e.what());
  }
}

void Recorder::fail(const std::string& what) {
  const std::uint64_t scan_id = current_ ? current_->begin.scan_id : 0;
  if (writer_) {
    try {
      writer_->stop(what, protocol::unix_time_ns());
    } catch (const storage::StorageError&) {
      // The disk refuses the closing writes too: the file keeps what its last flush made durable.
    }
    writer_.reset();
  }
  std::uint64_t frames = 0;
  {
    std::lock_guard lock(mutex_);
    failed_scan_ = scan_id;
    set_state("failed", what);
    frames = status_.frames_written;
  }
  changed_.notify_all();  // an engine thread waiting for room (policy block) stops waiting
  current_.reset();
  bump(counters_.recordings_stopped);
  log_event(spdlog::level::err, LogFields{"recording_failed", scan_id}, "recording failed: " + what);
  reporter_.reject(Error{ErrorCode::disk_error,
                         fmt::format("recording of scan {} stopped after {} frames: {}; reconstruction continues",
                                     scan_id, frames, what)},
                   scan_id);
}

}  // namespace tomolive::daemon
