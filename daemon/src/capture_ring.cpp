#include "tomolive/daemon/capture_ring.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "tomolive/daemon/log_event.hpp"
#include "tomolive/daemon/recorder.hpp"
#include "tomolive/daemon/thread_name.hpp"
#include "tomolive/protocol/clock.hpp"
#include "tomolive/storage/atomic_file.hpp"
#include "tomolive/storage/disk_error.hpp"
#include "tomolive/storage/nxtomo_writer.hpp"
#include "tomolive/storage/scan_file_name.hpp"
#include "tomolive/storage/storage_error.hpp"

namespace tomolive::daemon {
namespace {

using protocol::Error;
using protocol::ErrorCode;

constexpr double kNsPerSecond = 1e9;

}  // namespace

CaptureRing::CaptureRing(Options options, EventReporter& reporter, DaemonCounters& counters)
    : options_(std::move(options)), reporter_(reporter), counters_(counters) {
  status_.enabled = options_.ring_s > 0.0;
  status_.ring_s = options_.ring_s;
  status_.ring_capacity_bytes = options_.ring_bytes;
  status_.state = "idle";
  if (status_.enabled) thread_ = std::jthread([this](std::stop_token stop) {
      name_this_thread("capture");
      run(std::move(stop));
    });
}

CaptureRing::~CaptureRing() { shut_down(); }

void CaptureRing::shut_down() {
  thread_.request_stop();
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

// --- engine thread ---

void CaptureRing::scan_begun(const protocol::ScanBegin& begin, std::int64_t time_ns) {
  if (!status_.enabled) return;
  {
    std::lock_guard lock(mutex_);
    begin_ = begin;
    begin_time_ns_ = time_ns;
    scan_ended_ = false;
    references_.clear();
    projections_.clear();
    ring_bytes_ = 0;
    job_open_ = false;  // a capture of the previous scan takes no more frames
  }
  changed_.notify_all();
}

void CaptureRing::frame_accepted(const RawFrame& frame) {
  if (!status_.enabled) return;
  const std::uint64_t bytes = frame.payload->size();
  // Captures are written as decoded pixels: the ring keeps those and not the received message a bslz4 chunk holds.
  RawFrame kept = frame;
  kept.bslz4 = {};
  {
    std::lock_guard lock(mutex_);
    if (!begin_ || frame.header.scan_id != begin_->scan_id) return;
    if (job_ && job_open_ && !failure_ && frame.received_ns <= job_->until_ns) {
      if (!pending_.empty() && pending_bytes_ + bytes > options_.ring_bytes) {
        failure_ = fmt::format("the disk is slower than the stream: {} bytes wait for the capture's writer "
                               "(--capture-ring-mb)",
                               pending_bytes_);
      } else {
        pending_.push_back(kept);
        pending_bytes_ += bytes;
      }
    }
    (frame.header.kind == protocol::FrameKind::projection ? projections_ : references_).push_back(std::move(kept));
    ring_bytes_ += bytes;
    evict();
  }
  changed_.notify_all();
}

void CaptureRing::evict() {
  const auto too_old = [&] {
    const double span_ns = static_cast<double>(projections_.back().received_ns - projections_.front().received_ns);
    return span_ns > options_.ring_s * kNsPerSecond;
  };
  while (!projections_.empty() && (ring_bytes_ > options_.ring_bytes || too_old())) {
    ring_bytes_ -= projections_.front().payload->size();
    projections_.pop_front();
  }
}

void CaptureRing::scan_ended(std::uint64_t scan_id, bool /*complete*/, std::int64_t /*time_ns*/,
                             const nlohmann::json& /*scan_metadata*/) {
  if (!status_.enabled) return;
  {
    std::lock_guard lock(mutex_);
    if (!begin_ || begin_->scan_id != scan_id) return;
    scan_ended_ = true;
    job_open_ = false;
  }
  changed_.notify_all();
}

// --- any thread ---

std::filesystem::path CaptureRing::unused_capture_path(const protocol::ScanBegin& begin) const {
  const std::string stem = storage::scan_file_stem(begin.scan_id, begin.name);
  for (unsigned k = 1;; ++k) {
    const std::filesystem::path path = options_.directory / fmt::format("{}_capture_{}.nxs", stem, k);
    if (!std::filesystem::exists(path) && !std::filesystem::exists(Recorder::partial_path(path))) return path;
  }
}

protocol::Expected<protocol::CaptureStatus> CaptureRing::capture(double after_s) {
  if (!status_.enabled) {
    return Error{ErrorCode::invalid_argument,
                 "capture needs the capture ring: start tomolived with --capture-ring-s S (seconds > 0); it is off"};
  }
  if (const std::optional<std::string> problem = storage::directory_problem(options_.directory)) {
    return Error{ErrorCode::disk_error, fmt::format("capture not started: {}", *problem)};
  }
  std::uint64_t scan_id = 0;
  std::string file;
  {
    std::lock_guard lock(mutex_);
    if (job_) {
      return Error{ErrorCode::invalid_argument,
                   fmt::format("a capture of scan {} is running ({} frames written so far); one capture at a time",
                               job_->begin.scan_id, status_.frames_written)};
    }
    if (!begin_) return Error{ErrorCode::no_active_scan, "capture: no scan has begun, the ring is empty"};
    Job job;
    job.begin = *begin_;
    job.begin_time_ns = begin_time_ns_;
    job.final_path = unused_capture_path(*begin_);
    job.partial = Recorder::partial_path(job.final_path);
    job.until_ns = protocol::unix_time_ns() + std::llround(after_s * kNsPerSecond);
    job.deadline = std::chrono::steady_clock::now() +
                   std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                       std::chrono::duration<double>(after_s));
    pending_.assign(references_.begin(), references_.end());
    pending_.insert(pending_.end(), projections_.begin(), projections_.end());
    pending_bytes_ = ring_bytes_;
    job_open_ = !scan_ended_;
    failure_.reset();
    status_.state = "capturing";
    status_.scan_id = job.begin.scan_id;
    status_.file = job.partial.string();
    status_.frames_written = 0;
    status_.error.clear();
    scan_id = job.begin.scan_id;
    file = status_.file;
    job_ = std::move(job);
  }
  changed_.notify_all();
  bump(counters_.captures_started);
  reporter_.scan_event("capture_started", scan_id,
                       fmt::format("capturing the ring and the next {} s to {}", after_s, file));
  return status();
}

protocol::CaptureStatus CaptureRing::status() const {
  std::lock_guard lock(mutex_);
  protocol::CaptureStatus status = status_;
  status.ring_frames = static_cast<std::uint32_t>(references_.size() + projections_.size());
  status.ring_bytes = ring_bytes_;
  status.ring_span_s =
      projections_.empty()
          ? 0.0
          : static_cast<double>(projections_.back().received_ns - projections_.front().received_ns) / kNsPerSecond;
  if (job_ && job_open_) {
    status.remaining_s = std::max(
        0.0, std::chrono::duration<double>(job_->deadline - std::chrono::steady_clock::now()).count());
  }
  return status;
}

// --- capture thread ---

void CaptureRing::run(std::stop_token stop) {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      if (!changed_.wait(lock, stop, [&] { return job_.has_value(); })) return;
      job = *job_;
    }
    write(job, stop);
    std::lock_guard lock(mutex_);
    job_.reset();
    job_open_ = false;
    pending_.clear();
    pending_bytes_ = 0;
    failure_.reset();
  }
}

std::optional<RawFrame> CaptureRing::next_frame(const Job& job, std::stop_token stop) {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (failure_) return std::nullopt;
    if (!pending_.empty()) {
      RawFrame frame = std::move(pending_.front());
      pending_.pop_front();
      pending_bytes_ -= frame.payload->size();
      return frame;
    }
    if (stop.stop_requested() || !job_open_ || std::chrono::steady_clock::now() >= job.deadline) return std::nullopt;
    changed_.wait_until(lock, stop, job.deadline, [&] { return failure_ || !pending_.empty() || !job_open_; });
  }
}

void CaptureRing::write(const Job& job, std::stop_token stop) {
  std::unique_ptr<storage::NxtomoWriter> writer;
  try {
    writer = std::make_unique<storage::NxtomoWriter>(job.partial, job.begin, job.begin_time_ns);
    while (const std::optional<RawFrame> frame = next_frame(job, stop)) {
      writer->append(frame->header.kind, frame->header.frame_id, frame->angle_deg, frame->pixels());
      bump(counters_.capture_frames_written);
      std::lock_guard lock(mutex_);
      status_.frames_written = writer->frames_written();
    }
    std::optional<std::string> failure;
    {
      std::lock_guard lock(mutex_);
      failure = failure_;
    }
    if (!failure && stop.stop_requested()) failure = "the daemon shut down before the capture ended";
    if (failure) {
      writer->stop(*failure, protocol::unix_time_ns());
      writer.reset();
      fail(*failure);
      return;
    }
    const std::uint64_t frames = writer->frames_written();
    writer->finish(protocol::unix_time_ns());
    writer.reset();
    storage::rename_without_replacing(job.partial, job.final_path);
    {
      std::lock_guard lock(mutex_);
      status_.state = "complete";
      status_.file = job.final_path.string();
    }
    bump(counters_.captures_completed);
    reporter_.scan_event("capture_finished", job.begin.scan_id,
                         fmt::format("{} frames in {}", frames, job.final_path.string()));
  } catch (const storage::StorageError& e) {
    if (writer) {
      try {
        writer->stop(e.what(), protocol::unix_time_ns());
      } catch (const storage::StorageError&) {
        // The disk refuses the closing writes too: the file keeps what was flushed.
      }
    }
    fail(e.what());
  }
}

void CaptureRing::fail(const std::string& what) {
  std::uint64_t scan_id = 0;
  std::uint64_t frames = 0;
  {
    std::lock_guard lock(mutex_);
    status_.state = "failed";
    status_.error = what;
    scan_id = status_.scan_id.value_or(0);
    frames = status_.frames_written;
  }
  bump(counters_.captures_failed);
  log_event(spdlog::level::err, LogFields{"capture_failed", scan_id}, "capture failed: " + what);
  reporter_.reject(Error{ErrorCode::disk_error,
                         fmt::format("capture of scan {} stopped after {} frames: {}; its file keeps the .partial "
                                     "name; reconstruction continues",
                                     scan_id, frames, what)},
                   scan_id);
}

}  // namespace tomolive::daemon
