#include "tomolive/daemon/volume_job.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "tomolive/daemon/engine_factory.hpp"
#include "tomolive/daemon/thread_name.hpp"
#include "tomolive/storage/storage_error.hpp"

namespace tomolive::daemon {
namespace {

constexpr auto kProgressInterval = std::chrono::milliseconds(500);

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

void bin_volume_slab(std::span<const float> slab, std::uint32_t layers, std::uint32_t rows, std::uint32_t cols,
                     std::uint32_t binning, std::vector<float>& out) {
  const std::uint32_t b = binning;
  const std::uint32_t out_layers = layers / b, out_rows = rows / b, out_cols = cols / b;
  out.assign(std::size_t{out_layers} * out_rows * out_cols, 0.f);
  const float scale = 1.f / static_cast<float>(b * b * b);
  for (std::uint32_t z = 0; z < out_layers * b; ++z) {
    for (std::uint32_t y = 0; y < out_rows * b; ++y) {
      const float* in = slab.data() + (std::size_t{z} * rows + y) * cols;
      float* target = out.data() + (std::size_t{z / b} * out_rows + y / b) * out_cols;
      for (std::uint32_t x = 0; x < out_cols * b; ++x) target[x / b] += scale * in[x];
    }
  }
}

// The engine's view of the job: host memory for each slab, and each computed slab queued for the writer. Slabs come
// in order, done in the order their memory was handed out (VolumeSink), with at most as many outstanding as the job
// has buffers: an engine over several devices computes that many at once.
class VolumeJob::Sink final : public kernels::VolumeSink {
 public:
  Sink(VolumeJob& job, const std::function<std::optional<std::string>()>& stop_reason)
      : job_(job), stop_reason_(stop_reason) {}

  std::size_t max_outstanding_slabs() const override { return job_.max_buffers_; }

  std::span<float> slab_memory(std::uint32_t row0, std::uint32_t rows) override {
    std::unique_lock lock(job_.mutex_);
    for (;;) {
      if (job_.stopping_) return {};
      if (!job_.free_.empty() || job_.buffers_.size() < job_.max_buffers_) break;
      // Waiting for the writer: the next scan's begin must not wait with us (polled: it arrives elsewhere).
      lock.unlock();
      if (stop()) return {};
      lock.lock();
      job_.changed_.wait_for(lock, std::chrono::milliseconds(20));
    }
    std::size_t buffer;
    if (!job_.free_.empty()) {
      buffer = job_.free_.back();
      job_.free_.pop_back();
    } else {
      buffer = job_.buffers_.size();
      const std::size_t bytes = std::size_t{job_.plan_.slab_rows} * job_.plan_.box.region.rows *
                                job_.plan_.box.region.cols * sizeof(float);
      job_.buffers_.push_back(job_.options_.allocator ? job_.options_.allocator(bytes) : allocate_plain_buffer(bytes));
    }
    handed_out_.push_back(Slab{row0, rows, buffer});
    const std::size_t floats = std::size_t{rows} * job_.plan_.box.region.rows * job_.plan_.box.region.cols;
    return job_.buffer_floats(buffer).first(floats);
  }

  bool slab_done(std::uint32_t, std::uint32_t) override {
    {
      std::lock_guard lock(job_.mutex_);
      job_.queue_.push_back(handed_out_.front());
      handed_out_.pop_front();
      ++job_.status_.slabs_done;
    }
    job_.changed_.notify_all();
    job_.report_progress(false);
    return !stop();
  }

 private:
  bool stop() {
    if (const std::optional<std::string> reason = stop_reason_()) {
      job_.cancel(*reason);
      return true;
    }
    std::lock_guard lock(job_.mutex_);
    return job_.stopping_;
  }

  VolumeJob& job_;
  const std::function<std::optional<std::string>()>& stop_reason_;
  std::deque<Slab> handed_out_;  // memory given, slab not yet done
};

VolumeJob::VolumeJob(Plan plan, const VolumeOptions& options, EventReporter& reporter, DaemonCounters& counters)
    : plan_(std::move(plan)), options_(options), reporter_(reporter), counters_(counters),
      started_(std::chrono::steady_clock::now()), writer_(storage::make_volume_writer(plan_.file, options.faults)) {
  const kernels::VolumeBox& box = plan_.box;
  status_.scan_id = plan_.scan_id;
  status_.state = "computing";
  status_.path = writer_->final_path().string();
  status_.format = std::string(storage::to_string(plan_.file.format));
  status_.dtype = std::string(storage::to_string(plan_.file.dtype));
  status_.shape = plan_.file.shape;
  status_.region = {box.region.row0, box.region.col0, box.region.rows, box.region.cols};
  status_.rows = {box.row0, box.rows};
  status_.binning = plan_.binning;
  status_.slab_rows = plan_.slab_rows;
  status_.slabs_total = (box.rows + plan_.slab_rows - 1) / plan_.slab_rows;
  const std::uint64_t slab_bytes =
      std::uint64_t{plan_.slab_rows} * box.region.rows * box.region.cols * sizeof(float);
  max_buffers_ = static_cast<std::size_t>(
      std::clamp<std::uint64_t>(options_.host_memory_bytes / slab_bytes, 2, std::max(status_.slabs_total, 2u)));
  bump(counters_.volumes_started);
  reporter_.scan_event("volume_started", plan_.scan_id,
                       fmt::format("volume {} x {} x {} (z, y, x; binning {}) of scan {} to {} as {} {}, {} slabs of "
                                   "{} rows",
                                   plan_.file.shape[0], plan_.file.shape[1], plan_.file.shape[2], plan_.binning,
                                   plan_.scan_id, status_.path, status_.format, status_.dtype, status_.slabs_total,
                                   plan_.slab_rows));
  writer_thread_ = std::thread([this] {
    name_this_thread("volume-write");
    write_loop();
  });
}

VolumeJob::~VolumeJob() {
  cancel("the daemon is shutting down");
  if (writer_thread_.joinable()) writer_thread_.join();
}

std::span<float> VolumeJob::buffer_floats(std::size_t buffer) {
  HostBuffer& host = *buffers_[buffer];
  return {reinterpret_cast<float*>(host.data()), host.size() / sizeof(float)};
}

void VolumeJob::compute(kernels::Engine& engine, const std::function<std::optional<std::string>()>& stop_reason) {
  Sink sink(*this, stop_reason);
  try {
    engine.reconstruct_volume(plan_.box, plan_.slab_rows, sink);
  } catch (const kernels::EngineLostError& e) {
    end("failed", fmt::format("the engine was lost while computing the volume: {}", e.what()));
    throw;
  } catch (const std::exception& e) {
    end("failed", fmt::format("engine: {}", e.what()));
  }
  {
    std::lock_guard lock(mutex_);
    computed_ = true;
    status_.compute_s = seconds_since(started_);
    if (!stopping_) status_.state = "writing";
  }
  changed_.notify_all();
}

bool VolumeJob::computed() const {
  std::lock_guard lock(mutex_);
  return computed_;
}

bool VolumeJob::done() const {
  std::lock_guard lock(mutex_);
  return status_.state == "finished" || status_.state == "failed" || status_.state == "cancelled";
}

void VolumeJob::cancel(std::string why) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || status_.state == "finished") return;
    stopping_ = true;
  }
  changed_.notify_all();
  end("cancelled", std::move(why));
}

protocol::VolumeStatus VolumeJob::status() const {
  std::lock_guard lock(mutex_);
  protocol::VolumeStatus status = status_;
  if (status.state == "computing" || status.state == "writing") status.elapsed_s = seconds_since(started_);
  return status;
}

void VolumeJob::write_loop() {
  for (;;) {
    Slab slab;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || !queue_.empty() || computed_; });
      if (stopping_) break;
      if (queue_.empty()) {  // computed_ and everything written
        if (status_.slabs_written != status_.slabs_total) break;  // the computation stopped early (failed)
        lock.unlock();
        finish_file();
        break;
      }
      slab = queue_.front();
      queue_.pop_front();
    }
    try {
      write_slab(slab);
    } catch (const std::exception& e) {
      {
        std::lock_guard lock(mutex_);
        stopping_ = true;
      }
      changed_.notify_all();
      end("failed", e.what());
      break;
    }
  }
  writer_.reset();  // an unfinished output's temporary name is removed here
}

void VolumeJob::write_slab(const Slab& slab) {
  const kernels::SliceRegion& region = plan_.box.region;
  const std::span<const float> values =
      buffer_floats(slab.buffer).first(std::size_t{slab.rows} * region.rows * region.cols);
  const std::uint64_t before = writer_->bytes_written();
  const std::uint32_t layers = slab.rows / plan_.binning;
  if (plan_.binning == 1) {
    writer_->write_layers(values, layers);
  } else {
    bin_volume_slab(values, slab.rows, region.rows, region.cols, plan_.binning, binned_);
    writer_->write_layers(binned_, layers);
  }
  bump(counters_.volume_bytes_written, writer_->bytes_written() - before);
  {
    std::lock_guard lock(mutex_);
    free_.push_back(slab.buffer);
    ++status_.slabs_written;
    status_.bytes_written = writer_->bytes_written();
  }
  changed_.notify_all();
  report_progress(false);
}

void VolumeJob::finish_file() {
  try {
    writer_->finish();
    storage::ScanSidecar sidecar = plan_.sidecar;
    const protocol::VolumeStatus now = status();
    sidecar.scientific_metadata["volume"] = {{"path", now.path},          {"format", now.format},
                                             {"dtype", now.dtype},        {"shape_zyx", now.shape},
                                             {"binning", now.binning},    {"region_row0_col0_rows_cols", now.region},
                                             {"rows_first_count", now.rows}, {"slab_rows", now.slab_rows},
                                             {"compute_s", now.compute_s}, {"total_s", seconds_since(started_)},
                                             {"bytes_written", now.bytes_written},
                                             {"clamped_voxels", writer_->clamped_voxels()}};
    const std::filesystem::path volume = writer_->final_path();
    const std::filesystem::path sidecar_path =
        volume.parent_path() / (plan_.file.base_name + ".json");
    std::vector<std::filesystem::path> files = {volume};
    if (options_.recording_file) {
      if (auto recording = options_.recording_file(plan_.scan_id)) files.push_back(std::move(*recording));
    }
    storage::write_scan_sidecar(sidecar_path, sidecar, files, options_.faults.get());
    {
      std::lock_guard lock(mutex_);
      status_.state = "finished";
      status_.elapsed_s = seconds_since(started_);
    }
    bump(counters_.volumes_finished);
    report_progress(true);
    reporter_.scan_event("volume_finished", plan_.scan_id,
                         fmt::format("volume of scan {} written to {} ({} bytes; computed in {:.2f} s, written in "
                                     "{:.2f} s); sidecar {}",
                                     plan_.scan_id, volume.string(), now.bytes_written, now.compute_s,
                                     seconds_since(started_), sidecar_path.string()));
  } catch (const std::exception& e) {
    end("failed", e.what());
  }
}

void VolumeJob::end(std::string state, std::optional<std::string> error) {
  {
    std::lock_guard lock(mutex_);
    if (status_.state == "finished" || status_.state == "failed" || status_.state == "cancelled") return;
    status_.state = state;
    status_.error = error;
    status_.elapsed_s = seconds_since(started_);
    stopping_ = true;
  }
  changed_.notify_all();
  bump(state == "cancelled" ? counters_.volumes_cancelled : counters_.volumes_failed);
  const std::string message = fmt::format("volume of scan {} {}: {}; nothing is left at {}", plan_.scan_id, state,
                                          error.value_or(""), status_.path);
  spdlog::warn("{}", message);
  // A failure is also an error event: disk_error for the disk, internal_error for the engine.
  if (state == "failed") {
    const bool engine = error && (error->starts_with("engine") || error->starts_with("the engine"));
    reporter_.reject(
        protocol::Error{engine ? protocol::ErrorCode::internal_error : protocol::ErrorCode::disk_error, message},
        plan_.scan_id);
  }
  reporter_.scan_event("volume_failed", plan_.scan_id, message);
}

void VolumeJob::report_progress(bool force) {
  protocol::VolumeStatus now;
  {
    std::lock_guard lock(mutex_);
    const auto time = std::chrono::steady_clock::now();
    if (!force && time - last_progress_ < kProgressInterval) return;
    last_progress_ = time;
    now = status_;
  }
  reporter_.scan_event("volume_progress", plan_.scan_id,
                       fmt::format("volume of scan {}: {} of {} slabs computed, {} written, {} bytes", plan_.scan_id,
                                   now.slabs_done, now.slabs_total, now.slabs_written, now.bytes_written));
}

}  // namespace tomolive::daemon
