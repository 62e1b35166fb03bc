#include <chrono>
#include <cstdio>
#include <thread>

#include "measurements.hpp"
#include "tomolive/kernels/cpu_engine.hpp"

namespace tomolive::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Largest rows x cols x slots the CPU engine is asked to fill and recompute.
constexpr double kMaxCpuRecomputeVoxels = 2e8;

std::string gb(std::uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f GB", static_cast<double>(bytes) / 1e9);
  return text;
}

// Projections per second of the CPU engine on `workload`, with `preview` (the live 3D preview; default off): median
// over repeats of wall-clock time.
double cpu_rate(kernels::Engine& engine, const Workload& workload, const Frames& frames, unsigned repeats,
                std::uint32_t count, const kernels::PreviewParams& preview = {}) {
  Feeder feeder(engine, workload, frames);
  feeder.begin_scan();
  engine.set_preview(preview);
  const std::vector<const void*> data = pageable_data(frames);
  feeder.projections(2, data);
  std::vector<double> rates;
  for (unsigned r = 0; r < repeats; ++r) {
    const auto start = Clock::now();
    feeder.projections(count, data);
    std::vector<float> xy(std::size_t{workload.cols} * workload.cols);
    engine.copy_slice(kernels::Orthoslice::xy, xy);
    rates.push_back(count / seconds_since(start));
  }
  return median(rates);
}

}  // namespace

std::string describe_plan(const std::string& what, const kernels::ScanGeometry& g,
                          const kernels::EngineMemoryPlan& plan) {
  return "memory plan " + what + " (" + std::to_string(g.rows) + " x " + std::to_string(g.cols) + " x " +
         std::to_string(g.slots) + " slots) on " + plan.device + ": store " + gb(plan.store_bytes) + " " +
         plan.store_precision + ", corrected store " + gb(plan.corrected_store_bytes) + ", slices " +
         gb(plan.slice_bytes) + ", other " + gb(plan.other_bytes) + ", total " +
         gb(plan.total_bytes) + " of " + gb(plan.available_bytes) + " available: " +
         (plan.fits() ? "fits" : "does NOT fit");
}

std::vector<Figure> measure_cpu(const Workload& workload, const RunSettings& settings, std::string& device,
                                std::ostream& log) {
  std::vector<Figure> figures;
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  const std::string engine_note = "cpu engine, " + std::to_string(threads) + " threads";
  auto engine = kernels::make_cpu_engine();
  const kernels::EngineMemoryPlan plan = engine->plan(workload.geometry());
  device = plan.device;
  log << describe_plan(workload.id, workload.geometry(), plan) << "\n";
  figures.push_back({"T7", static_cast<double>(plan.total_bytes) / 1e9, "GB", "fits", std::nullopt,
                     "memory plan of " + workload.id + " (" + plan.store_precision + " store); " +
                         (plan.fits() ? "fits" : "does not fit") + " in " + gb(plan.available_bytes)});

  // Full-size workloads would take the CPU engine hours: a few projections there, and no recompute.
  const double voxels = static_cast<double>(workload.rows) * workload.cols * workload.slots;
  const bool small = voxels <= kMaxCpuRecomputeVoxels;
  const Frames frames = render_frames(workload.rows, workload.cols, settings.distinct_frames);
  const std::uint32_t count = std::min<std::uint32_t>(small ? settings.projections : 8, workload.slots);
  const double rate = cpu_rate(*engine, workload, frames, settings.repeats, count);
  figures.push_back({"T2-cpu@" + workload.id, rate, "proj/s", "", std::nullopt,
                     engine_note + ", wall clock over " + std::to_string(count) + " projections, median of " +
                         std::to_string(settings.repeats) + " (CPU machine: compare ratios only)"});

  // Recompute: the store full, then set_center repeatedly.
  if (small) {
    Feeder feeder(*engine, workload, frames);
    feeder.begin_scan();
    feeder.projections(workload.slots, pageable_data(frames));
    std::vector<double> times;
    for (std::uint32_t k = 0; k < std::min<std::uint32_t>(settings.recomputes, 5); ++k) {
      const auto start = Clock::now();
      engine->set_center(0.25f * static_cast<float>(k % 3));
      times.push_back(1e3 * seconds_since(start));
    }
    figures.push_back({"T3-cpu@" + workload.id, median(times), "ms", "", std::nullopt,
                       engine_note + ", three slices from " + std::to_string(workload.slots) + " projections"});
  } else {
    log << "no CPU recompute figure for " << workload.id << ": too large for the CPU engine\n";
  }

  // Reference rates of the CPU engine.
  std::vector<std::uint32_t> sizes = {256};
  if (workload.id != "quick") sizes.push_back(1024);
  for (const std::uint32_t n : sizes) {
    const Workload reference{"cpu" + std::to_string(n), n, n, 180, false, ""};
    const Frames reference_frames = render_frames(n, n, 4);
    const std::uint32_t fed = n <= 256 ? 16 : 4;
    const double r = cpu_rate(*engine, reference, reference_frames, 1, fed);
    figures.push_back({"cpu-" + std::to_string(n), r, "proj/s", "", std::nullopt,
                       engine_note + ", " + std::to_string(n) + " x " + std::to_string(n) + ", " +
                           std::to_string(fed) + " projections (reference for the CUDA figures)"});
    // The same with the live 3D preview at the CPU engine's size (64 a side) and at 128: what it costs ingest.
    for (const std::uint32_t side : {64u, 128u}) {
      const double with = cpu_rate(*engine, reference, reference_frames, 1, fed, kernels::PreviewParams{true, side});
      figures.push_back({"cpu-" + std::to_string(n) + "-preview" + std::to_string(side), with, "proj/s", "",
                         std::nullopt,
                         engine_note + ", " + std::to_string(n) + " x " + std::to_string(n) + ", " +
                             std::to_string(fed) + " projections, 3D preview " + std::to_string(side) +
                             " a side (PROTOCOL.md 10.12): " + std::to_string(static_cast<int>(100.0 * with / r)) +
                             " % of the rate without"});
    }
  }
  return figures;
}

std::vector<Figure> measure_cpu_volume(const VolumeSettings& settings, std::string& device, std::ostream& log) {
  auto engine = kernels::make_cpu_engine();
  device = engine->plan(volume_workload(settings).geometry()).device;
  std::vector<float> volume(std::size_t{settings.size} * settings.size * settings.size);
  return measure_volume(*engine, VolumeHost{volume, "pageable", {}}, settings, log);
}

}  // namespace tomolive::bench
