// The engine figures of ../shared/targets.md for one workload: T2 (projections per second through preprocessing,
// filter, store and slice update), T3 (three-slice recompute), T7 (memory plan), T8 (center sweep at 64 candidate
// centers), the float16 store's error, re-filter times (set_processing, no target: reported), the CPU engine's
// rates for reference, and T6 (full volume from the store, and its file write beside the disk's dd floor). Each
// function prints the memory plan it uses.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "bench_input.hpp"
#include "report.hpp"

namespace tomolive::bench {

struct RunSettings {
  unsigned repeats = 5;               // timed repeats; figures are medians
  std::uint32_t projections = 500;    // projections per timed throughput repeat
  std::uint32_t warmup = 64;          // projections fed before timing
  std::uint32_t recomputes = 20;      // timed recomputes (after 2 untimed)
  std::uint32_t distinct_frames = 8;  // rendered projections, cycled
  int device = 0;                     // CUDA device
  bool recompute_only = false;        // CUDA: T3 figures only (no T2 throughput), e.g. for a profiler run
  bool sweep_only = false;            // CUDA: T8 (center sweep) and T7 only
  bool refilter_only = false;         // CUDA: re-filter times (set_processing on a full store) and T7 only
  bool staged_filter = false;         // CUDA: the staged (cuFFT) filter path at every width, to compare with the fused
};

// CPU engine: throughput and recompute on `workload` (meant for small sizes), the plan, and the CPU engine's rate
// at 256 x 256 (and 1024 x 1024 unless the workload is the quick one). Sets `device`.
std::vector<Figure> measure_cpu(const Workload& workload, const RunSettings& settings, std::string& device,
                                std::ostream& log);

// The metric and registration center estimates on the CPU engine at 256 columns x 360 projections over 180 and 360
// degrees (tomolive-bench --center-cpu): time and error of each. Sets `device`.
std::vector<Figure> measure_center_cpu(const RunSettings& settings, std::string& device, std::ostream& log);

// CUDA engine (builds with the CUDA engine only). Sets `device`.
std::vector<Figure> measure_cuda(const Workload& workload, const RunSettings& settings, std::string& device,
                                 std::ostream& log);

// T6: a scan of `projections` projections of size x size, then the full size^3 volume from the store into host
// memory (median of `repeats`), then the first `write_layers` layers (0: all) written to `directory` as HDF5 beside a
// dd-style floor of the same bytes there. The host memory must hold size^3 floats; the disk write_layers x size^2.
struct VolumeSettings {
  std::uint32_t size = 128;
  std::uint32_t projections = 180;
  unsigned repeats = 3;
  std::filesystem::path directory = ".";
  std::uint32_t write_layers = 0;
  int device = 0;  // CUDA device
};
// The scan T6 reconstructs: `projections` of size x size over 180 degrees.
Workload volume_workload(const VolumeSettings& settings);
// Where the volume lands and how the engine's own clock times a call.
struct VolumeHost {
  std::span<float> volume;  // size^3 floats
  std::string memory;       // "page-locked" or "pageable"
  // Runs the call and returns its milliseconds by CUDA events; empty: wall clock only.
  std::function<double(const std::function<void()>&)> device_ms;
};
std::vector<Figure> measure_volume(kernels::Engine& engine, const VolumeHost& host, const VolumeSettings& settings,
                                   std::ostream& log);
// The timed part of measure_volume: the scan fed into `engine`, then `settings.repeats` full volumes into host memory.
struct VolumeTiming {
  std::vector<double> wall_s;    // per repeat
  std::vector<double> device_s;  // per repeat, by VolumeHost::device_ms (empty without it)
  std::uint32_t slabs = 0;       // slabs of the last volume
  std::uint32_t slab_rows = 0;
};
VolumeTiming time_volume(kernels::Engine& engine, const VolumeHost& host, const VolumeSettings& settings,
                         std::ostream& log);
// T6 on the CPU engine (pageable memory) and on the CUDA engine (page-locked memory, CUDA events). Set `device`.
std::vector<Figure> measure_cpu_volume(const VolumeSettings& settings, std::string& device, std::ostream& log);
std::vector<Figure> measure_cuda_volume(const VolumeSettings& settings, std::string& device, std::ostream& log);

// T9 (targets.md): T2, T3 and T6 on 1..N devices, each engine over a slab of the detector's rows
// (kernels::SlabEngine), with each figure's scaling ratio to one device (goal >= 0.9 x N).
// Engines for one step of the scaling figures: a SlabEngine over the engines of `devices` devices, and how to wait
// until every one of them has finished its queued work (a CUDA engine returns before its GPU work is done).
struct ScalingEngines {
  std::unique_ptr<kernels::Engine> engine;
  std::function<void()> wait;
};
using ScalingEngineMaker = std::function<ScalingEngines(std::size_t devices)>;
struct ScalingSettings {
  std::vector<std::size_t> device_counts;  // the steps measured, the first 1 (the baseline of the ratios)
  unsigned slabs_per_device = 1;           // engines per device: several on one device check the path, not speed
  std::string device_kind = "gpu";         // what a device is, in figure ids and notes ("gpu", "cpu")
};
// The device counts measured for `devices` devices: 1, 2, 4, ... below it, and `devices` itself.
std::vector<std::size_t> scaling_steps(std::size_t devices);
// T2 (wall clock through the whole pipeline, uploads from `frame_data` included) and T3 (three-slice recompute, wall
// clock until every engine is done) of `workload` at each step, and their ratios to the first step.
std::vector<Figure> measure_scaling(const Workload& workload, const Frames& frames,
                                    const std::vector<const void*>& frame_data, const ScalingEngineMaker& make,
                                    const ScalingSettings& scaling, const RunSettings& settings, std::ostream& log);
// T6 (full volume into `host`, wall clock) at each step, and its ratios to the first step.
std::vector<Figure> measure_volume_scaling(const VolumeSettings& volume, const VolumeHost& host,
                                           const ScalingEngineMaker& make, const ScalingSettings& scaling,
                                           std::ostream& log);
// The same over CPU engines (scaling.slabs_per_device per step unit) sharing the machine's cores: a smoke run of the
// scaling code on any machine, pageable frames and host memory.
std::vector<Figure> measure_cpu_scaling(const Workload& workload, const RunSettings& settings,
                                        const ScalingSettings& scaling, std::ostream& log);
std::vector<Figure> measure_cpu_volume_scaling(const VolumeSettings& volume, const ScalingSettings& scaling,
                                               std::ostream& log);
// --gpus: "N" (devices 0..N-1, N >= 1) or a comma-separated list of distinct device indices; nullopt otherwise.
std::optional<std::vector<int>> parse_device_list(const std::string& text);
// CUDA engines on devices[0 .. count), `slabs_per_device` on each (builds with the CUDA engine only), and the
// figures over them: page-locked frames for T2 and T3, page-locked host memory for T6. Set `device`.
std::vector<Figure> measure_cuda_scaling(const Workload& workload, const RunSettings& settings,
                                         const std::vector<int>& devices, unsigned slabs_per_device,
                                         std::string& device, std::ostream& log);
std::vector<Figure> measure_cuda_volume_scaling(const VolumeSettings& volume, const std::vector<int>& devices,
                                                unsigned slabs_per_device, std::string& device, std::ostream& log);

// One line describing a memory plan.
std::string describe_plan(const std::string& what, const kernels::ScanGeometry& geometry,
                          const kernels::EngineMemoryPlan& plan);

}  // namespace tomolive::bench
