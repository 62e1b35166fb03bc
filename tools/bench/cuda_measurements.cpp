// CUDA engine figures. GPU times come from the engine's stage timing (CUDA events; each timed call waits for its GPU
// work, so stages do not overlap there); pipeline rates are host wall-clock time with the engine asynchronous, ending
// with synchronize().
#include <cuda_runtime.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <memory>
#include <span>
#include <stdexcept>
#include <utility>

#include "measurements.hpp"
#include "tomolive/kernels/cuda_engine.hpp"
#include "tomolive/kernels/slab_engine.hpp"

namespace tomolive::bench {
namespace {

using Clock = std::chrono::steady_clock;
using kernels::CudaEngine;
using kernels::Orthoslice;
using kernels::StorePrecision;

// HBM rate measured on the H100 (targets.md, "What the floors teach"), bytes per second: floors of store reads.
constexpr double kHbmBytesPerSecond = 3.03e12;
// targets.md: cuFFT ramp filter alone (R2C + multiply + C2R, fp32, 4096-padded) per 2048^2 projection, and the fused
// filter's floor.
constexpr double kCufftFilterUs = 69.0;
constexpr double kFusedFloorUs = 6.0;
// targets.md: the shared-memory + FMA axial kernel's rate in fp32 (pixel updates per second): floor of a center sweep.
constexpr double kAxialUpdatesPerSecond = 1.8e12;

// The fused kernel's floor: its device-memory bytes (raw uint16 frame, dark and flat floats read, the slot written)
// at the HBM rate, microseconds.
double fused_floor_us(const Workload& w, const std::string& precision) {
  const double pixels = static_cast<double>(w.rows) * w.cols;
  const double store_bytes = precision == "float16" ? 2.0 : 4.0;
  return 1e6 * pixels * (sizeof(std::uint16_t) + 2 * sizeof(float) + store_bytes) / kHbmBytesPerSecond;
}

std::unique_ptr<CudaEngine> make_engine(const RunSettings& settings, StorePrecision store, bool stage_timing) {
  kernels::CudaEngineOptions options;
  options.device = settings.device;
  options.store = store;
  options.stage_timing = stage_timing;
  options.staged_filter = settings.staged_filter;
  return kernels::make_cuda_engine(options);
}

// Throws std::runtime_error naming the call when a CUDA runtime call of the benchmark itself failed.
void check_cuda(cudaError_t status, const char* call) {
  if (status != cudaSuccess) throw std::runtime_error(std::string(call) + ": " + cudaGetErrorString(status));
}

// A CUDA event with timing, for the benchmark's own clock.
class TimingEvent {
 public:
  TimingEvent() { check_cuda(cudaEventCreate(&event_), "cudaEventCreate"); }
  ~TimingEvent() { cudaEventDestroy(event_); }
  TimingEvent(const TimingEvent&) = delete;
  TimingEvent& operator=(const TimingEvent&) = delete;
  cudaEvent_t get() const { return event_; }

 private:
  cudaEvent_t event_ = nullptr;
};

// Page-locked copies of the projections, so that frames go to the GPU without a staging copy (as the daemon's ingest
// delivers them).
struct PinnedFrames {
  std::vector<kernels::PinnedHostBuffer> buffers;
  std::vector<const void*> data;

  explicit PinnedFrames(const Frames& frames) {
    for (const auto& p : frames.projections) {
      buffers.emplace_back(p.size() * sizeof(std::uint16_t));
      std::memcpy(buffers.back().data(), p.data(), p.size() * sizeof(std::uint16_t));
      data.push_back(buffers.back().data());
    }
  }
};

struct Throughput {
  double gpu_us = 0.0;  // fused (or preprocess + filter + store) + slice update, per projection
  double upload_us = 0.0, fused_us = 0.0, preprocess_us = 0.0, filter_us = 0.0, store_us = 0.0, update_us = 0.0;
  double pinned_rate = 0.0;    // projections/s, wall clock, frames in page-locked memory
  double pageable_rate = 0.0;  // projections/s, wall clock, frames in ordinary memory
  std::string precision;
};

Throughput measure_throughput(const Workload& workload, const Frames& frames, const PinnedFrames& pinned,
                              const RunSettings& settings, std::ostream& log) {
  Throughput t;
  {
    auto engine = make_engine(settings, StorePrecision::automatic, true);
    t.precision = engine->plan(workload.geometry()).store_precision;
    Feeder feeder(*engine, workload, frames);
    feeder.begin_scan();
    feeder.projections(settings.warmup, pinned.data);
    engine->synchronize();
    std::vector<double> total, upload, fused, preprocess, filter, store, update;
    for (unsigned r = 0; r < settings.repeats; ++r) {
      const kernels::CudaStageTimes before = engine->stage_times();
      feeder.projections(settings.projections, pinned.data);
      engine->synchronize();  // applies the last pending slice updates (timed as updates)
      const kernels::CudaStageTimes after = engine->stage_times();
      const double n = static_cast<double>(after.projections - before.projections);
      upload.push_back(1e3 * (after.upload_ms - before.upload_ms) / n);
      fused.push_back(1e3 * (after.fused_ms - before.fused_ms) / n);
      preprocess.push_back(1e3 * (after.preprocess_ms - before.preprocess_ms) / n);
      filter.push_back(1e3 * (after.filter_ms - before.filter_ms) / n);
      store.push_back(1e3 * (after.store_ms - before.store_ms) / n);
      update.push_back(1e3 * (after.update_ms - before.update_ms) / n);
      total.push_back(fused.back() + preprocess.back() + filter.back() + store.back() + update.back());
    }
    t.gpu_us = median(total);
    t.upload_us = median(upload);
    t.fused_us = median(fused);
    t.preprocess_us = median(preprocess);
    t.filter_us = median(filter);
    t.store_us = median(store);
    t.update_us = median(update);
  }
  auto engine = make_engine(settings, StorePrecision::automatic, false);
  Feeder feeder(*engine, workload, frames);
  feeder.begin_scan();
  const auto rate = [&](const std::vector<const void*>& data) {
    feeder.projections(settings.warmup, data);
    engine->synchronize();
    std::vector<double> rates;
    for (unsigned r = 0; r < settings.repeats; ++r) {
      const auto start = Clock::now();
      feeder.projections(settings.projections, data);
      engine->synchronize();
      rates.push_back(settings.projections / seconds_since(start));
    }
    return median(rates);
  };
  t.pinned_rate = rate(pinned.data);
  t.pageable_rate = rate(pageable_data(frames));
  log << workload.id << " throughput: GPU " << t.gpu_us << " us/projection (upload " << t.upload_us
      << ", fused " << t.fused_us << ", preprocess " << t.preprocess_us << ", filter " << t.filter_us << ", store "
      << t.store_us << ", update " << t.update_us << "); pipeline " << t.pinned_rate << " /s pinned, " << t.pageable_rate << " /s pageable\n";
  return t;
}

struct Recompute {
  bool ran = false;
  std::string why_not;
  std::string precision;
  std::uint64_t store_bytes = 0;
  double median_ms = 0.0;
  double axial_ms = 0.0;     // the axial slice alone (set_slices moving xy_row)
  double vertical_ms = 0.0;  // the two vertical slices alone (set_slices moving xz and yz)
  std::array<std::vector<float>, 3> slices;  // after the last recompute, by Orthoslice
};

Recompute measure_recompute(const Workload& workload, const Frames& frames, const PinnedFrames& pinned,
                            StorePrecision store, const RunSettings& settings, std::ostream& log) {
  Recompute result;
  auto engine = make_engine(settings, store, true);
  const kernels::EngineMemoryPlan plan = engine->plan(workload.geometry());
  if (!plan.fits()) {
    result.why_not = describe_plan(workload.id, workload.geometry(), plan);
    return result;
  }
  result.precision = plan.store_precision;
  result.store_bytes = plan.store_bytes;
  Feeder feeder(*engine, workload, frames);
  feeder.begin_scan();
  feeder.projections(workload.slots, pinned.data);
  engine->set_center(0.5f);
  engine->set_center(-0.5f);
  std::vector<double> times;
  for (std::uint32_t k = 0; k < settings.recomputes; ++k) {
    const double before = engine->stage_times().recompute_ms;
    engine->set_center(0.25f * static_cast<float>(k % 3));
    times.push_back(engine->stage_times().recompute_ms - before);
  }
  result.median_ms = median(times);
  // The two kinds of blocks timed apart: recomputes of the axial slice alone (axial tiles only) and of the two vertical
  // slices alone (vertical quads only), each moving its slices one pixel and back.
  const kernels::SlicePositions home = engine->params().slices;
  const auto time_moves = [&](bool axial) {
    std::vector<double> parts;
    for (std::uint32_t k = 0; k < settings.recomputes; ++k) {
      kernels::SlicePositions moved = home;
      const std::uint32_t step = k % 2 == 0 ? 1 : 0;
      if (axial) {
        moved.xy_row = home.xy_row + 1 < workload.rows ? home.xy_row + step : home.xy_row - step;
      } else {
        moved.xz_y_px = home.xz_y_px + static_cast<float>(step);
        moved.yz_x_px = home.yz_x_px + static_cast<float>(step);
      }
      const double before = engine->stage_times().recompute_ms;
      engine->set_slices(moved);
      parts.push_back(engine->stage_times().recompute_ms - before);
    }
    engine->set_slices(home);
    return median(parts);
  };
  result.axial_ms = time_moves(true);
  result.vertical_ms = time_moves(false);
  engine->set_center(0.3f);
  for (const Orthoslice s : {Orthoslice::xy, Orthoslice::xz, Orthoslice::yz}) {
    const auto [rows, cols] = engine->slice_shape(s);
    auto& values = result.slices[static_cast<std::size_t>(s)];
    values.resize(std::size_t{rows} * cols);
    engine->copy_slice(s, values);
  }
  result.ran = true;
  log << workload.id << " recompute (" << result.precision << " store): " << result.median_ms << " ms median of "
      << times.size() << " (axial slice alone " << result.axial_ms << " ms, vertical slices alone "
      << result.vertical_ms << " ms)\n";
  return result;
}

// max |a - b| / max |b| over the three slices.
double relative_error(const Recompute& tested, const Recompute& reference) {
  double diff = 0.0, scale = 0.0;
  for (std::size_t s = 0; s < 3; ++s) {
    const auto& a = tested.slices[s];
    const auto& b = reference.slices[s];
    for (std::size_t k = 0; k < std::min(a.size(), b.size()); ++k) {
      diff = std::max(diff, std::fabs(static_cast<double>(a[k]) - b[k]));
      scale = std::max(scale, std::fabs(static_cast<double>(b[k])));
    }
  }
  return scale > 0.0 ? diff / scale : diff;
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", value);
  return text;
}

std::string shape(const Workload& w) {
  return std::to_string(w.rows) + " x " + std::to_string(w.cols) + ", " + std::to_string(w.slots) + " slots";
}

// T8: one axial region of a full store at kMaxSweepCandidates candidate centers, sampled every pixel_step pixels.
struct Sweep {
  kernels::SliceRegion region;
  std::uint32_t pixel_step = 1;
  double gpu_ms = 0.0;     // median, CUDA events: clear, entries, kernel and the copy to host memory
  double kernel_ms = 0.0;  // median, CUDA events: clear, entries and kernel
  double wall_ms = 0.0;    // median, host wall clock of the whole sweep_center call
  // The same into page-locked images (a PinnedHostBuffer reused from call to call): T8r.
  double pinned_gpu_ms = 0.0;
  double pinned_wall_ms = 0.0;
  std::uint32_t repeats = 0;
};

std::vector<Sweep> measure_sweeps(const Workload& workload, const Frames& frames, const PinnedFrames& pinned,
                                  const RunSettings& settings, std::string& precision, std::ostream& log) {
  auto engine = make_engine(settings, StorePrecision::automatic, true);
  precision = engine->plan(workload.geometry()).store_precision;
  Feeder feeder(*engine, workload, frames);
  feeder.begin_scan();
  feeder.projections(workload.slots, pinned.data);
  engine->synchronize();
  std::vector<float> offsets(kernels::kMaxSweepCandidates);
  for (std::size_t c = 0; c < offsets.size(); ++c) offsets[c] = -8.f + 0.25f * static_cast<float>(c);
  const std::uint32_t xy_row = workload.rows / 2;
  std::vector<Sweep> sweeps;
  // Regions of 512 and 1024 pixels a side; the 1024 one also sampled every 2nd pixel (512 x 512 images).
  const std::pair<std::uint32_t, std::uint32_t> configurations[] = {{512u, 1u}, {1024u, 1u}, {1024u, 2u}};
  for (const auto& [side, pixel_step] : configurations) {
    if (side > workload.cols) continue;
    Sweep sweep;
    sweep.region = {(workload.cols - side) / 2, (workload.cols - side) / 2, side, side};
    sweep.pixel_step = pixel_step;
    const std::size_t floats = offsets.size() * kernels::sweep_image_rows(sweep.region, pixel_step) *
                               kernels::sweep_image_cols(sweep.region, pixel_step);
    std::vector<float> pageable(floats);
    kernels::PinnedHostBuffer pinned_images(floats * sizeof(float));
    const std::span<float> page_locked(static_cast<float*>(pinned_images.data()), floats);
    // Median CUDA-event (whole sweep, kernel) and wall-clock times of `repeats` sweeps into `images`, after two
    // untimed ones (first touch of the host pages).
    const auto time_sweeps = [&](std::span<float> images, double& gpu_ms, double* kernel_ms, double& wall_ms) {
      engine->sweep_center(xy_row, offsets, sweep.region, pixel_step, images);
      engine->sweep_center(xy_row, offsets, sweep.region, pixel_step, images);
      std::vector<double> gpu, kernel, wall;
      for (std::uint32_t k = 0; k < settings.recomputes; ++k) {
        const kernels::CudaStageTimes before = engine->stage_times();
        const auto start = Clock::now();
        engine->sweep_center(xy_row, offsets, sweep.region, pixel_step, images);
        wall.push_back(1e3 * seconds_since(start));
        const kernels::CudaStageTimes after = engine->stage_times();
        gpu.push_back(after.sweep_ms - before.sweep_ms);
        kernel.push_back(after.sweep_kernel_ms - before.sweep_kernel_ms);
      }
      gpu_ms = median(gpu);
      if (kernel_ms != nullptr) *kernel_ms = median(kernel);
      wall_ms = median(wall);
    };
    time_sweeps(pageable, sweep.gpu_ms, &sweep.kernel_ms, sweep.wall_ms);
    time_sweeps(page_locked, sweep.pinned_gpu_ms, nullptr, sweep.pinned_wall_ms);
    sweep.repeats = settings.recomputes;
    log << workload.id << " sweep " << side << " x " << side << " every " << pixel_step << " px at "
        << offsets.size() << " centers ("
        << precision << " store): " << sweep.gpu_ms << " ms GPU (kernel " << sweep.kernel_ms << " ms), "
        << sweep.wall_ms << " ms wall into pageable memory; " << sweep.pinned_gpu_ms << " ms GPU, "
        << sweep.pinned_wall_ms << " ms wall into page-locked memory; median of " << sweep.repeats << "\n";
    sweeps.push_back(sweep);
  }
  return sweeps;
}

// The processing sweep (sweep_processing, PROTOCOL.md 10.8) of one axial region of a full store: 8 candidates of
// each parameter (filter windows, ring sizes 5..19, delta/beta log-spaced 10..1000), host wall clock of the whole
// call (the images land in pageable host memory), medians. delta/beta re-filters the Paganin kernel's band (27 to 227
// rows at the default 20 keV, 10 cm, 1 um: processing_sweep.hpp); the others 3 rows.
std::vector<Figure> measure_processing_sweeps(const Workload& workload, const Frames& frames,
                                              const PinnedFrames& pinned, const RunSettings& settings,
                                              std::ostream& log) {
  auto engine = make_engine(settings, StorePrecision::automatic, true);
  const std::string precision = engine->plan(workload.geometry()).store_precision;
  Feeder feeder(*engine, workload, frames);
  feeder.begin_scan();
  feeder.projections(workload.slots, pinned.data);
  engine->synchronize();
  struct Kind {
    std::string name;
    std::vector<kernels::ProcessingParams> candidates;
  };
  std::vector<Kind> kinds(3);
  kinds[0].name = "window";
  kinds[1].name = "ring_size";
  kinds[2].name = "delta_over_beta";
  for (std::uint32_t c = 0; c < 8; ++c) {
    kernels::ProcessingParams window;
    window.window = static_cast<kernels::FilterWindow>(c % 6);
    kinds[0].candidates.push_back(window);
    kernels::ProcessingParams rings;
    rings.rings.enabled = true;
    rings.rings.size = 5 + 2 * c;
    kinds[1].candidates.push_back(rings);
    kernels::ProcessingParams phase;
    phase.phase.enabled = true;
    phase.phase.delta_over_beta = 10.0 * std::pow(100.0, c / 7.0);
    kinds[2].candidates.push_back(phase);
  }
  const std::uint32_t xy_row = workload.rows / 2;
  std::vector<Figure> figures;
  for (const std::uint32_t side : {512u, 1024u}) {
    if (side > workload.cols) continue;
    const kernels::SliceRegion region{(workload.cols - side) / 2, (workload.cols - side) / 2, side, side};
    std::vector<float> images(8 * std::size_t{side} * side);
    for (const Kind& kind : kinds) {
      const std::uint32_t repeats = settings.recomputes;
      std::vector<double> wall;
      try {
        engine->sweep_processing(xy_row, kind.candidates, region, images);  // untimed: first touch, allocations
        for (std::uint32_t k = 0; k < repeats; ++k) {
          const auto start = Clock::now();
          engine->sweep_processing(xy_row, kind.candidates, region, images);
          wall.push_back(1e3 * seconds_since(start));
        }
      } catch (const kernels::EngineLostError&) {
        throw;
      } catch (const kernels::EngineError& e) {
        // The retrieved rows' work arrays and a band's stores may not fit beside a large scan.
        log << workload.id << " processing sweep (" << kind.name << ") " << side << " x " << side
            << " not measured: " << e.what() << "\n";
        continue;
      }
      const double ms = median(wall);
      log << workload.id << " processing sweep (" << kind.name << ") " << side << " x " << side << " at 8 candidates ("
          << precision << " store): " << ms << " ms wall, median of " << repeats << "\n";
      figures.push_back({"T8p-" + kind.name + "-" + std::to_string(side), ms, "ms", "<= 50", std::nullopt,
                         "processing sweep of " + kind.name + ", axial region " + std::to_string(side) + " x " +
                             std::to_string(side) + " (central) of " + shape(workload) + ", " + precision +
                             " store, 8 candidates in one sweep_processing; host wall clock (re-filter of the rows "
                             "each candidate needs, reconstruction, copy to pageable host memory), median of " +
                             std::to_string(repeats) + "; no floor measured"});
    }
  }
  return figures;
}

void add_sweep_figures(const Workload& workload, const std::vector<Sweep>& sweeps, const std::string& precision,
                       std::vector<Figure>& figures) {
  const std::string t8 = workload.id == "W1" ? "T8" : "sweep@" + workload.id;
  for (const Sweep& s : sweeps) {
    const std::uint32_t side = s.region.rows;
    const std::uint32_t image_side = kernels::sweep_image_rows(s.region, s.pixel_step);
    const double updates =
        static_cast<double>(kernels::kMaxSweepCandidates) * image_side * image_side * workload.slots;
    if (s.pixel_step != 1) {
      const std::string step = std::to_string(s.pixel_step);
      figures.push_back(
          {t8 + "-" + std::to_string(side) + "-step" + step, s.gpu_ms, "ms", "<= 50",
           1e3 * updates / kAxialUpdatesPerSecond,
           "axial region " + std::to_string(side) + " x " + std::to_string(side) + " (central) of " +
               shape(workload) + ", " + precision + " store, sampled every " + step + " pixels: the images are " +
               std::to_string(image_side) + " x " + std::to_string(image_side) + " samples of the region " +
               "(PROTOCOL.md 10.1 pixel_step, the daemon's default for this region), at " +
               std::to_string(kernels::kMaxSweepCandidates) + " candidate centers in one sweep_center; median of " +
               std::to_string(s.repeats) + " by CUDA events (clear, entries, kernel " + number(s.kernel_ms) +
               " ms, copy of the images to pageable host memory); host wall clock " + number(s.wall_ms) +
               " ms; into page-locked host images: CUDA events " + number(s.pinned_gpu_ms) + " ms, wall clock " +
               number(s.pinned_wall_ms) + " ms; floor = pixel updates of the images at 1.8 T/s"});
      continue;
    }
    const std::string id = side == 512 ? t8 : t8 + "-" + std::to_string(side);
    figures.push_back({id, s.gpu_ms, "ms", "<= 50", 1e3 * updates / kAxialUpdatesPerSecond,
                       "axial region " + std::to_string(side) + " x " + std::to_string(side) + " (central) of " +
                           shape(workload) + ", " + precision + " store, at " +
                           std::to_string(kernels::kMaxSweepCandidates) +
                           " candidate centers in one sweep_center; median of " + std::to_string(s.repeats) +
                           " by CUDA events (clear, entries, kernel " + number(s.kernel_ms) +
                           " ms, copy of the images to pageable host memory, overlapped with the kernel in 4 "
                           "chunks); host wall clock " + number(s.wall_ms) +
                           " ms; floor = pixel updates at 1.8 T/s (fp32 shared-memory axial kernel, targets.md)"});
    if (side == 1024) {
      figures.push_back({t8 + "r", s.pinned_wall_ms, "ms", "<= 50", 1e3 * updates / kAxialUpdatesPerSecond,
                         "the same sweep of " + std::to_string(side) + " x " + std::to_string(side) +
                             " into page-locked host images (a PinnedHostBuffer reused): host wall clock of the "
                             "sweep_center call, median of " + std::to_string(s.repeats) + "; CUDA events " +
                             number(s.pinned_gpu_ms) + " ms (pageable: " + number(s.wall_ms) + " ms wall)"});
    }
  }
}

// Re-filter times (Engine::set_processing) on a full store of `workload`, one figure per change: a filter window
// (Hann), Paganin phase retrieval on (processing.hpp's default parameters), ring removal on (size 21), each on top of
// the Hann window. Per kind one untimed call first (it makes the processing's work memory on first use), then
// `repeats` calls, each re-filtering every stored projection and recomputing the slices; the value is the median of
// the reports' milliseconds (CUDA events). No target in targets.md: reported.
std::vector<Figure> measure_refilters(const Workload& workload, const Frames& frames, const PinnedFrames& pinned,
                                      const RunSettings& settings, std::ostream& log) {
  auto engine = make_engine(settings, StorePrecision::automatic, false);
  const kernels::EngineMemoryPlan plan = engine->plan(workload.geometry());
  if (!plan.fits()) {
    log << "no re-filter figures: " << describe_plan(workload.id, workload.geometry(), plan) << "\n";
    return {};
  }
  Feeder feeder(*engine, workload, frames);
  feeder.begin_scan();
  feeder.projections(workload.slots, pinned.data);
  engine->synchronize();

  kernels::ProcessingParams window;
  window.window = kernels::FilterWindow::hann;
  kernels::ProcessingParams phase = window;
  phase.phase.enabled = true;
  kernels::ProcessingParams rings = window;
  rings.rings.enabled = true;
  struct Change {
    std::string id;
    std::string what;
    kernels::ProcessingParams processing;
  };
  const std::vector<Change> changes = {
      {"window", "filter window Ram-Lak -> Hann: corrected store -> windowed ramp (cuFFT) -> store", window},
      {"phase", "Paganin phase retrieval on (20 keV, 0.1 m, 1 um, delta/beta 100; 2D cuFFT R2C/C2R of the padded "
                "frame per projection) and the Hann ramp",
       phase},
      {"rings", "ring removal on (size 21): steps 1-2 of every projection into the store, the sorting pass per "
                "detector row (CUB segmented sort, sliding median, scatter), then weights and the Hann ramp",
       rings},
  };
  const std::string suffix = workload.id == "W1" ? "" : "@" + workload.id;
  const double floor_ms =
      1e3 * static_cast<double>(plan.corrected_store_bytes + plan.store_bytes) / kHbmBytesPerSecond;
  std::vector<Figure> figures;
  for (const Change& change : changes) {
    engine->set_processing(change.processing);
    std::vector<double> times;
    std::uint32_t projections = 0;
    for (unsigned r = 0; r < settings.repeats; ++r) {
      const kernels::RefilterReport report = engine->set_processing(change.processing);
      times.push_back(report.milliseconds);
      projections = report.projections;
    }
    log << workload.id << " re-filter, " << change.id << ": " << median(times) << " ms median of " << times.size()
        << " (" << projections << " projections, " << plan.store_precision << " stores)\n";
    figures.push_back({"refilter-" + change.id + suffix, median(times), "ms", "report", floor_ms,
                       change.what + "; all " + std::to_string(projections) + " projections of " + shape(workload) +
                           " (" + plan.store_precision + " stores), then the three slices recomputed; median of " +
                           std::to_string(times.size()) + " set_processing calls by CUDA events (the report's "
                           "milliseconds); floor = corrected store read + store written at 3.03 TB/s"});
  }
  return figures;
}

void add_throughput_figures(const Workload& workload, const Throughput& t, bool target_shape,
                            const std::string& pipeline_target, std::vector<Figure>& figures) {
  const std::string suffix = target_shape ? "" : "@" + workload.id;
  const bool fused = t.fused_us > 0.0;
  const std::string stages =
      (fused ? "fused preprocess + filter + store " + number(t.fused_us)
             : "staged: preprocess " + number(t.preprocess_us) + " + filter " + number(t.filter_us) + " + store " +
                   number(t.store_us)) +
      " + update " + number(t.update_us) + " us; upload " + number(t.upload_us) +
      " us on the copy stream (overlapped)";
  figures.push_back({"T2" + suffix, 1e6 / t.gpu_us, "proj/s", target_shape ? ">= 15000" : "", 1e6 / kFusedFloorUs,
                     "GPU time per projection (" + shape(workload) + ", " + t.precision + " store): " + stages +
                         "; floor = fused filter 6 us"});
  if (fused) {
    figures.push_back({"T2-fused" + suffix, t.fused_us, "us/proj", "", fused_floor_us(workload, t.precision),
                       "one kernel: dark/flat, -log, ramp filter (two rows per 4096-point complex FFT in shared "
                       "memory), store; floor = raw + dark + flat + slot bytes at 3.03 TB/s"});
  } else {
    figures.push_back({"T2-filter" + suffix, t.filter_us, "us/proj", "", kCufftFilterUs,
                       "staged path: cuFFT R2C + ramp multiply + C2R; anchor: cuFFT filter alone at 2048^2"});
  }
  figures.push_back({"T2-pipeline" + suffix, t.pinned_rate, "proj/s", pipeline_target, std::nullopt,
                     "wall clock, frames in page-locked memory, H2D of raw uint16 included"});
  figures.push_back({"T2-pageable" + suffix, t.pageable_rate, "proj/s", "", std::nullopt,
                     "wall clock, frames in pageable memory (host copy into the staging buffer first)"});
}

}  // namespace

std::vector<Figure> measure_cuda(const Workload& workload, const RunSettings& settings, std::string& device,
                                 std::ostream& log) {
  std::vector<Figure> figures;
  {
    auto engine = make_engine(settings, StorePrecision::automatic, false);
    const kernels::EngineMemoryPlan plan = engine->plan(workload.geometry());
    device = plan.device;
    log << describe_plan(workload.id, workload.geometry(), plan) << "\n";
    figures.push_back({"T7", static_cast<double>(plan.total_bytes) / 1e9, "GB", "fits",
                       2.0 * workload.slots * workload.rows * workload.cols * 2 / 1e9,
                       "memory plan of " + workload.id + " (" + plan.store_precision + " stores, filtered " +
                           number(static_cast<double>(plan.store_bytes) / 1e9) + " GB and corrected " +
                           number(static_cast<double>(plan.corrected_store_bytes) / 1e9) + " GB): " +
                           (plan.fits() ? "fits" : "does NOT fit") + " in " +
                           number(static_cast<double>(plan.available_bytes) / 1e9) +
                           " GB free; floor = two stores of slots x rows x cols x 2 B"});
  }

  if (settings.refilter_only) {
    const Frames frames = render_frames(workload.rows, workload.cols, settings.distinct_frames);
    const PinnedFrames pinned(frames);
    const std::vector<Figure> refilters = measure_refilters(workload, frames, pinned, settings, log);
    figures.insert(figures.end(), refilters.begin(), refilters.end());
    return figures;
  }

  if (settings.sweep_only) {
    const Frames frames = render_frames(workload.rows, workload.cols, settings.distinct_frames);
    const PinnedFrames pinned(frames);
    std::string precision;
    add_sweep_figures(workload, measure_sweeps(workload, frames, pinned, settings, precision, log), precision,
                      figures);
    const std::vector<Figure> processing = measure_processing_sweeps(workload, frames, pinned, settings, log);
    figures.insert(figures.end(), processing.begin(), processing.end());
    return figures;
  }

  // T2 at its own shape (2048^2) with W1's store.
  if (workload.id == "W1" && !settings.recompute_only) {
    const Workload t2{"T2", 2048, 2048, workload.slots, false, "T2 shape"};
    const Frames frames = render_frames(t2.rows, t2.cols, settings.distinct_frames);
    const PinnedFrames pinned(frames);
    add_throughput_figures(t2, measure_throughput(t2, frames, pinned, settings, log), true, ">= 15000", figures);
  }

  const Frames frames = render_frames(workload.rows, workload.cols, settings.distinct_frames);
  const PinnedFrames pinned(frames);
  std::string pipeline_target;
  if (workload.id == "W1") pipeline_target = ">= 33";
  if (workload.id == "W2") pipeline_target = ">= 3800";
  if (workload.id == "W3") pipeline_target = ">= 2500";
  if (!settings.recompute_only) {
    const Throughput t = measure_throughput(workload, frames, pinned, settings, log);
    add_throughput_figures(workload, t, false, pipeline_target, figures);
    if (!workload.sliding) {
      figures.push_back({"tomograms@" + workload.id, t.pinned_rate / workload.slots, "1/s",
                         workload.id == "W3" ? ">= 10" : "", std::nullopt,
                         "complete scans per second: begin_scan, 4 darks, 4 flats, " +
                             std::to_string(workload.slots) + " projections (from the pinned pipeline rate)"});
    }
  }

  // T3: recompute from a full store, float16 and (where it fits) float32; the float16 error against float32.
  const std::string t3 = workload.id == "W1" ? "T3" : "recompute@" + workload.id;
  const std::string t3_target = workload.id == "W1" ? "<= 15" : "";
  const Recompute half = measure_recompute(workload, frames, pinned, StorePrecision::float16, settings, log);
  const Recompute full = measure_recompute(workload, frames, pinned, StorePrecision::float32, settings, log);
  for (const Recompute* r : {&half, &full}) {
    if (!r->ran) {
      log << "no float32 recompute: " << r->why_not << "\n";
      continue;
    }
    figures.push_back({t3 + "-" + r->precision, r->median_ms, "ms", t3_target,
                       1e3 * static_cast<double>(r->store_bytes) / kHbmBytesPerSecond,
                       "three slices (" + shape(workload) + "), median of " + std::to_string(settings.recomputes) +
                           " set_center recomputes; floor = store bytes at 3.03 TB/s"});
    figures.push_back({t3 + "-" + r->precision + "-axial", r->axial_ms, "ms", "", std::nullopt,
                       "the axial slice alone (set_slices moving xy_row), median of " +
                           std::to_string(settings.recomputes)});
    figures.push_back({t3 + "-" + r->precision + "-vertical", r->vertical_ms, "ms", "",
                       1e3 * static_cast<double>(r->store_bytes) / kHbmBytesPerSecond,
                       "the two vertical slices alone (set_slices moving xz and yz), median of " +
                           std::to_string(settings.recomputes) + "; floor = store bytes at 3.03 TB/s"});
  }
  {
    std::string precision;
    add_sweep_figures(workload, measure_sweeps(workload, frames, pinned, settings, precision, log), precision,
                      figures);
    const std::vector<Figure> processing = measure_processing_sweeps(workload, frames, pinned, settings, log);
    figures.insert(figures.end(), processing.begin(), processing.end());
  }
  if (half.ran && full.ran) {
    figures.push_back({"Q2-fp16-store@" + workload.id, relative_error(half, full), "rel", "<= 5e-3", std::nullopt,
                       "max |slice(float16 store) - slice(float32 store)| / max |slice(float32)|, three slices, "
                       "same input"});
  }
  return figures;
}

namespace {

// CUDA engines on devices[0 .. count), `slabs_per_device` on each, under a SlabEngine; wait synchronizes each.
ScalingEngineMaker cuda_scaling_engines(const std::vector<int>& devices, unsigned slabs_per_device) {
  return [devices, slabs_per_device](std::size_t count) {
    std::vector<std::unique_ptr<kernels::Engine>> engines;
    std::vector<CudaEngine*> cuda;  // owned by the SlabEngine, which outlives every call of wait
    for (std::size_t d = 0; d < count; ++d) {
      for (unsigned k = 0; k < slabs_per_device; ++k) {
        RunSettings settings;
        settings.device = devices.at(d);
        std::unique_ptr<CudaEngine> engine = make_engine(settings, StorePrecision::automatic, false);
        cuda.push_back(engine.get());
        engines.push_back(std::move(engine));
      }
    }
    return ScalingEngines{kernels::make_slab_engine(std::move(engines)), [cuda] {
                            for (const CudaEngine* engine : cuda) engine->synchronize();
                          }};
  };
}

ScalingSettings cuda_scaling(const std::vector<int>& devices, unsigned slabs_per_device) {
  ScalingSettings scaling;
  scaling.device_counts = scaling_steps(devices.size());
  scaling.slabs_per_device = slabs_per_device;
  scaling.device_kind = "gpu";
  return scaling;
}

// "CUDA devices 0, 1 (2 engines each)": the devices of a scaling run.
std::string device_names(const std::vector<int>& devices, unsigned slabs_per_device) {
  std::string text = "CUDA device" + std::string(devices.size() == 1 ? " " : "s ");
  for (std::size_t d = 0; d < devices.size(); ++d) text += (d ? ", " : "") + std::to_string(devices[d]);
  if (slabs_per_device > 1) text += " (" + std::to_string(slabs_per_device) + " engines each)";
  return text;
}

}  // namespace

std::vector<Figure> measure_cuda_scaling(const Workload& workload, const RunSettings& settings,
                                         const std::vector<int>& devices, unsigned slabs_per_device,
                                         std::string& device, std::ostream& log) {
  device = device_names(devices, slabs_per_device);
  const Frames frames = render_frames(workload.rows, workload.cols, settings.distinct_frames);
  const PinnedFrames pinned(frames);
  return measure_scaling(workload, frames, pinned.data, cuda_scaling_engines(devices, slabs_per_device),
                         cuda_scaling(devices, slabs_per_device), settings, log);
}

std::vector<Figure> measure_cuda_volume_scaling(const VolumeSettings& volume, const std::vector<int>& devices,
                                                unsigned slabs_per_device, std::string& device, std::ostream& log) {
  device = device_names(devices, slabs_per_device);
  const std::size_t bytes = std::size_t{volume.size} * volume.size * volume.size * sizeof(float);
  // Page-locked memory is portable to every device under unified addressing: each slab lands straight in it.
  const kernels::PinnedHostBuffer host(bytes);
  return measure_volume_scaling(volume, VolumeHost{{static_cast<float*>(host.data()), bytes / sizeof(float)},
                                                   "page-locked", {}},
                                cuda_scaling_engines(devices, slabs_per_device),
                                cuda_scaling(devices, slabs_per_device), log);
}

std::vector<Figure> measure_cuda_volume(const VolumeSettings& settings, std::string& device, std::ostream& log) {
  RunSettings run;
  run.device = settings.device;
  auto engine = make_engine(run, StorePrecision::automatic, false);
  const std::size_t bytes = std::size_t{settings.size} * settings.size * settings.size * sizeof(float);
  const auto start = Clock::now();
  const kernels::PinnedHostBuffer volume(bytes);  // kept by a daemon between volumes: outside the timed path
  log << "T6: " << static_cast<double>(bytes) / 1e9 << " GB of page-locked host memory in " << seconds_since(start)
      << " s\n";
  check_cuda(cudaSetDevice(settings.device), "cudaSetDevice");
  const TimingEvent before, after;
  const auto device_ms = [&](const std::function<void()>& call) {
    // Both events on the legacy default stream, each waited for: the GPU's clock from just before the call to just
    // after it returned (the engine returns once the last slab's copy has landed).
    check_cuda(cudaEventRecord(before.get(), nullptr), "cudaEventRecord");
    check_cuda(cudaEventSynchronize(before.get()), "cudaEventSynchronize");
    call();
    check_cuda(cudaEventRecord(after.get(), nullptr), "cudaEventRecord");
    check_cuda(cudaEventSynchronize(after.get()), "cudaEventSynchronize");
    float ms = 0.f;
    check_cuda(cudaEventElapsedTime(&ms, before.get(), after.get()), "cudaEventElapsedTime");
    return static_cast<double>(ms);
  };
  device = engine->plan(volume_workload(settings).geometry()).device;
  return measure_volume(
      *engine, VolumeHost{{static_cast<float*>(volume.data()), bytes / sizeof(float)}, "page-locked", device_ms},
      settings, log);
}

}  // namespace tomolive::bench
