#include "faulty_engine.hpp"

#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "tomolive/kernels/cpu_engine.hpp"

namespace tomolive::testing {
namespace {

const char* call_name(EngineCall call) {
  switch (call) {
    case EngineCall::begin_scan: return "begin_scan";
    case EngineCall::add_projection: return "add_projection";
    case EngineCall::set_processing: return "set_processing";
    case EngineCall::copy_slice: return "copy_slice";
    case EngineCall::sweep_center: return "sweep_center";
    case EngineCall::reconstruct_volume: return "reconstruct_volume";
  }
  return "?";
}

class FaultyEngine final : public kernels::Engine {
 public:
  FaultyEngine(std::unique_ptr<kernels::Engine> inner, std::shared_ptr<EngineFaults> faults)
      : inner_(std::move(inner)), faults_(std::move(faults)) {}

  std::string name() const override { return inner_->name(); }
  kernels::EngineMemoryPlan plan(const kernels::ScanGeometry& geometry) const override {
    return inner_->plan(geometry);
  }
  void begin_scan(const kernels::ScanGeometry& geometry, const kernels::ReconParams& params) override {
    meet(EngineCall::begin_scan);
    inner_->begin_scan(geometry, params);
  }
  void add_dark(const kernels::FrameView& frame) override { inner_->add_dark(frame); }
  void add_flat(const kernels::FrameView& frame) override { inner_->add_flat(frame); }
  void set_detector_mask(std::span<const std::uint8_t> mask) override { inner_->set_detector_mask(mask); }
  const kernels::DefectivePixelMap* defective_pixels() const override { return inner_->defective_pixels(); }
  kernels::ProjectionStats add_projection(std::uint32_t slot, float angle_rad,
                                          const kernels::FrameView& frame) override {
    meet(EngineCall::add_projection);
    return inner_->add_projection(slot, angle_rad, frame);
  }
  void set_center(float center_offset_px) override { inner_->set_center(center_offset_px); }
  void set_slices(const kernels::SlicePositions& positions) override { inner_->set_slices(positions); }
  kernels::RefilterReport set_processing(const kernels::ProcessingParams& processing) override {
    meet(EngineCall::set_processing);
    return inner_->set_processing(processing);
  }
  kernels::RefilterReport set_axis_tilt(float tilt_deg) override { return inner_->set_axis_tilt(tilt_deg); }
  const kernels::ReconParams& params() const override { return inner_->params(); }
  std::uint32_t projections_in_store() const override { return inner_->projections_in_store(); }
  std::pair<std::uint32_t, std::uint32_t> slice_shape(kernels::Orthoslice slice) const override {
    return inner_->slice_shape(slice);
  }
  void copy_slice(kernels::Orthoslice slice, std::span<float> out) const override {
    const Fault fault = meet(EngineCall::copy_slice);
    inner_->copy_slice(slice, out);
    if (fault == Fault::corrupt) corrupt(out);
  }
  std::optional<float> slot_angle(std::uint32_t slot) const override { return inner_->slot_angle(slot); }
  void copy_projection(std::uint32_t slot, std::span<float> out) const override { inner_->copy_projection(slot, out); }
  void copy_corrected_projection(std::uint32_t slot, std::span<float> out) const override {
    inner_->copy_corrected_projection(slot, out);
  }
  void sweep_center(std::uint32_t xy_row, std::span<const float> center_offsets_px, const kernels::SliceRegion& region,
                    std::uint32_t pixel_step, std::span<float> out) override {
    const Fault fault = meet(EngineCall::sweep_center);
    inner_->sweep_center(xy_row, center_offsets_px, region, pixel_step, out);
    if (fault == Fault::corrupt) corrupt(out);
  }
  void sweep_processing(std::uint32_t xy_row, std::span<const kernels::ProcessingParams> candidates,
                        const kernels::SliceRegion& region, std::span<float> out) override {
    inner_->sweep_processing(xy_row, candidates, region, out);
  }
  void set_oblique_slice(const kernels::ObliqueSlice& oblique) override { inner_->set_oblique_slice(oblique); }
  std::pair<std::uint32_t, std::uint32_t> oblique_shape() const override { return inner_->oblique_shape(); }
  void copy_oblique_slice(std::span<float> out) const override { inner_->copy_oblique_slice(out); }
  kernels::PreviewParams default_preview() const override { return inner_->default_preview(); }
  void set_preview(const kernels::PreviewParams& preview) override { inner_->set_preview(preview); }
  kernels::PreviewGrid preview_shape() const override { return inner_->preview_shape(); }
  void copy_preview(std::span<float> out) const override { inner_->copy_preview(out); }
  std::uint64_t preview_version() const override { return inner_->preview_version(); }
  std::uint32_t volume_slab_rows(const kernels::SliceRegion& region) const override {
    return inner_->volume_slab_rows(region);
  }
  bool reconstruct_volume(const kernels::VolumeBox& box, std::uint32_t slab_rows, kernels::VolumeSink& sink) override {
    meet(EngineCall::reconstruct_volume);
    return inner_->reconstruct_volume(box, slab_rows, sink);
  }

 private:
  // Throws for error and lost; returns the fault otherwise (after a stall was released).
  Fault meet(EngineCall call) const {
    const Fault fault = faults_->meet(call);
    const std::string what = std::string("injected fault: ") + call_name(call) + " failed";
    if (fault == Fault::error) throw kernels::EngineError(what);
    if (fault == Fault::lost) throw kernels::EngineLostError(what + " and the engine is unusable");
    return fault;
  }
  static void corrupt(std::span<float> out) {
    if (!out.empty()) out[0] = std::numeric_limits<float>::quiet_NaN();
  }

  std::unique_ptr<kernels::Engine> inner_;
  std::shared_ptr<EngineFaults> faults_;
};

}  // namespace

void EngineFaults::inject(EngineCall call, Fault fault, std::uint32_t skip, std::uint32_t times) {
  std::lock_guard lock(mutex_);
  plans_[static_cast<std::size_t>(call)] = Plan{fault, skip, times};
}

void EngineFaults::release_stalls() {
  {
    std::lock_guard lock(mutex_);
    stalls_released_ = true;
  }
  changed_.notify_all();
}

bool EngineFaults::wait_until_stalled(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return stalled_ > 0; });
}

std::uint32_t EngineFaults::engines_made() const {
  std::lock_guard lock(mutex_);
  return engines_made_;
}

void EngineFaults::fail_builds(std::uint32_t count) {
  std::lock_guard lock(mutex_);
  builds_to_fail_ = count;
}

void EngineFaults::build_engine() {
  std::lock_guard lock(mutex_);
  if (builds_to_fail_ > 0) {
    --builds_to_fail_;
    throw std::runtime_error("injected fault: no engine can be made");
  }
  ++engines_made_;
}

Fault EngineFaults::meet(EngineCall call) {
  std::unique_lock lock(mutex_);
  Plan& plan = plans_[static_cast<std::size_t>(call)];
  if (plan.times == 0) return Fault::none;
  if (plan.skip > 0) {
    --plan.skip;
    return Fault::none;
  }
  --plan.times;
  const Fault fault = plan.fault;
  if (fault == Fault::stall) {
    ++stalled_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return stalls_released_; });
    --stalled_;
  }
  if (fault == Fault::slow) {
    const std::chrono::milliseconds delay = slow_delay_;
    lock.unlock();
    std::this_thread::sleep_for(delay);  // the engine is slow: the call itself takes this long
  }
  return fault;
}

void EngineFaults::set_slow_delay(std::chrono::milliseconds delay) {
  const std::lock_guard lock(mutex_);
  slow_delay_ = delay;
}

std::unique_ptr<kernels::Engine> make_faulty_engine(std::unique_ptr<kernels::Engine> inner,
                                                    std::shared_ptr<EngineFaults> faults) {
  return std::make_unique<FaultyEngine>(std::move(inner), std::move(faults));
}

daemon::EngineFactory faulty_engine_factory(std::shared_ptr<EngineFaults> faults, daemon::EngineOptions options) {
  return [faults = std::move(faults), options] {
    kernels::CpuEngineOptions cpu;
    cpu.memory_limit_bytes = options.cpu_memory_limit_bytes;
    cpu.threads = options.cpu_threads;
    faults->build_engine();
    return daemon::EngineSelection{make_faulty_engine(kernels::make_cpu_engine(cpu), faults),
                                   "faulty cpu engine (tests)", nullptr};
  };
}

}  // namespace tomolive::testing
