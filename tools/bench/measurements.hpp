// The engine figures of ../shared/targets.md for one workload: T2 (projections per second through preprocessing,
// filter, store and slice update), T3 (three-slice recompute), T7 (memory plan), T8 (center sweep at 64 candidate
// centers), the float16 store's error, re-filter times (set_processing, no target: reported), the CPU engine's
// rates for reference, and T6 (full volume from the store, and its file write beside the disk's dd floor). Each
// function prints the memory plan it uses.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
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
// T6 on the CPU engine (pageable memory) and on the CUDA engine (page-locked memory, CUDA events). Set `device`.
std::vector<Figure> measure_cpu_volume(const VolumeSettings& settings, std::string& device, std::ostream& log);
std::vector<Figure> measure_cuda_volume(const VolumeSettings& settings, std::string& device, std::ostream& log);

// One line describing a memory plan.
std::string describe_plan(const std::string& what, const kernels::ScanGeometry& geometry,
                          const kernels::EngineMemoryPlan& plan);

}  // namespace tomolive::bench
