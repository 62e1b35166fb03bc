// The engine figures of ../shared/targets.md for one workload: T2 (projections per second through preprocessing,
// filter, store and slice update), T3 (three-slice recompute), T7 (memory plan), T8 (center sweep at 64 candidate
// centers), the float16 store's error, re-filter times (set_processing, no target: reported), and the CPU engine's
// rates for reference. Each function prints the memory plan it uses.
#pragma once

#include <cstdint>
#include <ostream>
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

// CUDA engine (builds with the CUDA engine only). Sets `device`.
std::vector<Figure> measure_cuda(const Workload& workload, const RunSettings& settings, std::string& device,
                                 std::ostream& log);

// One line describing a memory plan.
std::string describe_plan(const std::string& what, const kernels::ScanGeometry& geometry,
                          const kernels::EngineMemoryPlan& plan);

}  // namespace tomolive::bench
