// T9 (targets.md): the engine figures T2, T3 and T6 on 1..N devices, each device's engine over a slab of the
// detector's rows (kernels::SlabEngine, PROTOCOL.md 10.13), with each figure's scaling ratio to one device. Every step,
// the baseline included, runs through a SlabEngine, so that the ratios compare the same code path. Times are host
// wall clock, ending when every engine has finished (ScalingEngines::wait).
#include <algorithm>
#include <cstdio>
#include <optional>
#include <thread>

#include "measurements.hpp"
#include "tomolive/kernels/cpu_engine.hpp"
#include "tomolive/kernels/slab_engine.hpp"

namespace tomolive::bench {
namespace {

using Clock = std::chrono::steady_clock;

// targets.md T9: each figure at N devices is at least this fraction of N times the figure at one device.
constexpr double kScalingGoal = 0.9;

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", value);
  return text;
}

// "2gpu", "4cpu": a step in figure ids.
std::string step_id(std::size_t devices, const ScalingSettings& scaling) {
  return std::to_string(devices) + scaling.device_kind;
}

std::string step_text(std::size_t devices, const ScalingSettings& scaling) {
  std::string text = std::to_string(devices) + " " + scaling.device_kind + (devices == 1 ? "" : "s");
  if (scaling.slabs_per_device > 1) {
    text += " x " + std::to_string(scaling.slabs_per_device) + " engines each (a functional check, not a speed-up)";
  }
  return text;
}

// The ratio figure of `figure` at `devices` devices to `baseline` (the same figure at one device): for a rate
// value / baseline, for a time baseline / value; goal kScalingGoal x devices.
Figure ratio_figure(const std::string& what, const Figure& figure, const Figure& baseline, bool rate,
                    std::size_t devices, const ScalingSettings& scaling) {
  const double ratio = rate ? figure.value / baseline.value : baseline.value / figure.value;
  return {"T9-" + what + "-" + step_id(devices, scaling), ratio, "x",
          ">= " + number(kScalingGoal * static_cast<double>(devices)), static_cast<double>(devices),
          what + " on " + step_text(devices, scaling) + " against one: " + number(figure.value) + " " + figure.unit +
              " vs " + number(baseline.value) + " " + baseline.unit + "; floor = " + std::to_string(devices) +
              " (linear)"};
}

// Projections per second through the slab engine, uploads included: median over repeats of wall-clock time from the
// first add_projection to every engine done.
double pipeline_rate(ScalingEngines& engines, const Workload& workload, const Frames& frames,
                     const std::vector<const void*>& frame_data, const RunSettings& settings) {
  Feeder feeder(*engines.engine, workload, frames);
  feeder.begin_scan();
  feeder.projections(settings.warmup, frame_data);
  engines.wait();
  std::vector<double> rates;
  for (unsigned r = 0; r < settings.repeats; ++r) {
    const auto start = Clock::now();
    feeder.projections(settings.projections, frame_data);
    engines.wait();
    rates.push_back(settings.projections / seconds_since(start));
  }
  return median(rates);
}

// Milliseconds of a three-slice recompute (set_center) on a full store: median of settings.recomputes, each until
// every engine is done.
double recompute_ms(ScalingEngines& engines, const Workload& workload, const Frames& frames,
                    const std::vector<const void*>& frame_data, const RunSettings& settings) {
  Feeder feeder(*engines.engine, workload, frames);
  feeder.begin_scan();
  feeder.projections(workload.slots, frame_data);
  engines.engine->set_center(0.5f);
  engines.wait();
  std::vector<double> times;
  for (std::uint32_t k = 0; k < settings.recomputes; ++k) {
    const auto start = Clock::now();
    engines.engine->set_center(0.25f * static_cast<float>(k % 3));
    engines.wait();
    times.push_back(1e3 * seconds_since(start));
  }
  return median(times);
}

// CPU engines, `slabs_per_device` per step unit, sharing the machine's cores.
ScalingEngineMaker cpu_scaling_engines(unsigned slabs_per_device) {
  return [slabs_per_device](std::size_t devices) {
    const std::size_t count = devices * std::max(1u, slabs_per_device);
    kernels::CpuEngineOptions cpu;
    cpu.threads = std::max<unsigned>(1, std::thread::hardware_concurrency() / static_cast<unsigned>(count));
    std::vector<std::unique_ptr<kernels::Engine>> engines;
    for (std::size_t k = 0; k < count; ++k) engines.push_back(kernels::make_cpu_engine(cpu));
    // The CPU engine has finished its work when its calls return.
    return ScalingEngines{kernels::make_slab_engine(std::move(engines)), [] {}};
  };
}

}  // namespace

std::vector<std::size_t> scaling_steps(std::size_t devices) {
  std::vector<std::size_t> steps;
  for (std::size_t n = 1; n < devices; n *= 2) steps.push_back(n);
  steps.push_back(std::max<std::size_t>(devices, 1));
  return steps;
}

std::vector<Figure> measure_scaling(const Workload& workload, const Frames& frames,
                                    const std::vector<const void*>& frame_data, const ScalingEngineMaker& make,
                                    const ScalingSettings& scaling, const RunSettings& settings, std::ostream& log) {
  std::vector<Figure> figures;
  std::optional<Figure> t2_one, t3_one;
  for (const std::size_t devices : scaling.device_counts) {
    const std::string on = " on " + step_text(devices, scaling);
    Figure t2, t3;
    {
      ScalingEngines engines = make(devices);
      log << describe_plan(workload.id + on, workload.geometry(), engines.engine->plan(workload.geometry())) << "\n";
      t2 = {"T2-pipeline@" + workload.id + "-" + step_id(devices, scaling),
            pipeline_rate(engines, workload, frames, frame_data, settings), "proj/s", "", std::nullopt,
            "wall clock through a SlabEngine over " + step_text(devices, scaling) + " (" + workload.id + ", " +
                std::to_string(workload.rows) + " x " + std::to_string(workload.cols) +
                "): every frame handed to each engine from the frames' memory (page-locked with CUDA: uploaded slab "
                "by slab), filtered, stored and backprojected; median of " + std::to_string(settings.repeats) +
                " runs of " + std::to_string(settings.projections) + " projections"};
    }
    {
      ScalingEngines engines = make(devices);
      t3 = {"T3@" + workload.id + "-" + step_id(devices, scaling),
            recompute_ms(engines, workload, frames, frame_data, settings), "ms", "", std::nullopt,
            "three-slice recompute (set_center) from a full store of " + std::to_string(workload.slots) +
                " projections" + on + ", wall clock until every engine is done; median of " +
                std::to_string(settings.recomputes)};
    }
    log << workload.id << on << ": T2 " << t2.value << " proj/s, T3 " << t3.value << " ms\n";
    if (!t2_one) {
      t2_one = t2;
      t3_one = t3;
    }
    figures.push_back(t2);
    figures.push_back(t3);
    if (devices > 1) {
      figures.push_back(ratio_figure("T2", t2, *t2_one, true, devices, scaling));
      figures.push_back(ratio_figure("T3", t3, *t3_one, false, devices, scaling));
    }
  }
  return figures;
}

std::vector<Figure> measure_volume_scaling(const VolumeSettings& volume, const VolumeHost& host,
                                           const ScalingEngineMaker& make, const ScalingSettings& scaling,
                                           std::ostream& log) {
  std::vector<Figure> figures;
  std::optional<Figure> one;
  for (const std::size_t devices : scaling.device_counts) {
    ScalingEngines engines = make(devices);
    const VolumeTiming timing = time_volume(*engines.engine, host, volume, log);
    const Figure t6{"T6-" + step_id(devices, scaling), median(timing.wall_s), "s", "", std::nullopt,
                    "end of scan -> " + std::to_string(volume.size) + "^3 float32 from " +
                        std::to_string(volume.projections) + " projections in " + host.memory +
                        " host memory, computed by a SlabEngine over " + step_text(devices, scaling) + " (" +
                        std::to_string(timing.slabs) + " slabs of " + std::to_string(timing.slab_rows) +
                        " rows); wall clock, median of " + std::to_string(timing.wall_s.size())};
    log << "T6 on " << step_text(devices, scaling) << ": " << t6.value << " s\n";
    if (!one) one = t6;
    figures.push_back(t6);
    if (devices > 1) figures.push_back(ratio_figure("T6", t6, *one, false, devices, scaling));
  }
  return figures;
}

std::vector<Figure> measure_cpu_scaling(const Workload& workload, const RunSettings& settings,
                                        const ScalingSettings& scaling, std::ostream& log) {
  const Frames frames = render_frames(workload.rows, workload.cols, settings.distinct_frames);
  return measure_scaling(workload, frames, pageable_data(frames), cpu_scaling_engines(scaling.slabs_per_device),
                         scaling, settings, log);
}

std::vector<Figure> measure_cpu_volume_scaling(const VolumeSettings& volume, const ScalingSettings& scaling,
                                               std::ostream& log) {
  std::vector<float> host(std::size_t{volume.size} * volume.size * volume.size);
  return measure_volume_scaling(volume, VolumeHost{host, "pageable", {}},
                                cpu_scaling_engines(scaling.slabs_per_device), scaling, log);
}

std::optional<std::vector<int>> parse_device_list(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789,") != std::string::npos || text.size() > 64) {
    return std::nullopt;
  }
  std::vector<int> devices;
  if (text.find(',') == std::string::npos) {
    const int count = std::stoi(text);
    if (count < 1) return std::nullopt;
    for (int d = 0; d < count; ++d) devices.push_back(d);
    return devices;
  }
  for (std::size_t at = 0; at <= text.size();) {
    const std::size_t comma = std::min(text.find(',', at), text.size());
    const std::string item = text.substr(at, comma - at);
    if (item.empty()) return std::nullopt;
    const int device = std::stoi(item);
    if (std::find(devices.begin(), devices.end(), device) != devices.end()) return std::nullopt;
    devices.push_back(device);
    at = comma + 1;
  }
  return devices;
}

}  // namespace tomolive::bench
