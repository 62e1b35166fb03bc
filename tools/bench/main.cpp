// tomolive-bench: the engine benchmark of ../shared/targets.md. Measures, for one workload, T2 (projections per
// second through preprocessing, filter, store and slice update), T3 (three-slice recompute), T7 (memory plan), T8
// (center sweep), the float16 store's error against float32, re-filter times (--refilter), and the CPU engine's rates
// for reference; prints every figure beside its target and floor, last, and writes them as JSON with --json.
// --volume measures T6 instead: the full volume from the store into host memory, and its file write beside the
// disk's dd floor.
//
//   tomolive-bench --workload W1 --json out/W1.json        (CUDA engine, the GPU machine)
//   tomolive-bench --engine cpu --quick                    (smoke run, any machine)
//   tomolive-bench --volume --t6 --volume-dir /scratch     (T6 at 2048^3 from 3000 projections, the GPU machine)
//   tomolive-bench --volume --engine cpu                   (T6 small: 128^3 from 180 projections)
//   tomolive-bench --center-cpu --repeats 3                (metric / registration center estimates, CPU engine)
//   tomolive-bench --sweep-only --workload W1              (T8, T8r, T8-1024-step2: 64-candidate sweeps)
//   tomolive-bench --gpus 4 --workload W2                  (T9: T2 and T3 on 1, 2 and 4 GPUs, scaling ratios)
//   tomolive-bench --gpus 0,1 --volume --t6                (T9: T6 on 1 and 2 GPUs)
//   tomolive-bench --gpus 1 --slabs-per-device 2 --quick   (two engines on one GPU: the slab path, not a speed-up)
//   tomolive-bench --engine cpu --gpus 2 --quick           (the scaling code over 1 and 2 CPU engines, any machine)
#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>
#include <string>

#include "bench_input.hpp"
#include "measurements.hpp"
#include "report.hpp"

#if TOMOLIVE_BENCH_CUDA
#include "tomolive/kernels/cuda_engine.hpp"
#endif

int main(int argc, char** argv) {
  using namespace tomolive::bench;
  CLI::App app{"tomolive-bench: engine figures against the targets of shared/targets.md"};
  std::string engine = TOMOLIVE_BENCH_CUDA ? "cuda" : "cpu";
  std::string workload_id = "W1";
  bool quick = false;
  std::string json_path;
  RunSettings settings;
  app.add_option("--engine", engine, "cuda or cpu")->check(CLI::IsMember({"cpu", "cuda"}));
  app.add_option("--workload", workload_id, "W1 (kara), W2 (gigafrost), W3 (dynamic)");
  app.add_flag("--quick", quick, "smoke run: 64 x 64 frames, few repeats");
  app.add_option("--json", json_path, "write the figures as JSON to this file");
  app.add_option("--repeats", settings.repeats, "timed repeats per figure (medians)");
  app.add_option("--projections", settings.projections, "projections per timed throughput repeat");
  app.add_option("--recomputes", settings.recomputes, "timed recomputes");
  app.add_option("--device", settings.device, "CUDA device index");
  app.add_flag("--recompute-only", settings.recompute_only,
               "CUDA: recompute figures only (T3, its axial and vertical parts, the float16 error)");
  app.add_flag("--sweep-only", settings.sweep_only,
               "CUDA: T8 only (center sweep of a 512^2 and a 1024^2 region) and the processing sweeps (T8p-*)");
  app.add_flag("--refilter", settings.refilter_only,
               "CUDA: re-filter times only (set_processing on a full store: window change, phase on, rings on)");
  app.add_flag("--staged-filter", settings.staged_filter,
               "CUDA: filter through the staged path (preprocess, cuFFT, store) even where the fused kernel applies");
  bool center_cpu = false;
  app.add_flag("--center-cpu", center_cpu,
               "the metric and registration center estimates on the CPU engine at 256 x 360 (180 and 360 degrees): "
               "time (target: metric under 2 s) and error");
  bool volume = false, t6 = false;
  VolumeSettings volume_settings;
  std::string volume_dir = ".";
  app.add_flag("--volume", volume, "T6 only: full volume from the store into host memory, then its HDF5 file write "
                                   "beside the disk's dd-style floor");
  app.add_option("--volume-size", volume_settings.size, "T6: N (N x N projections, N^3 voxels)")
      ->capture_default_str()
      ->check(CLI::Range(8u, 4096u));
  app.add_option("--volume-projections", volume_settings.projections, "T6: projections in the store")
      ->capture_default_str()
      ->check(CLI::Range(1u, 20000u));
  app.add_option("--volume-dir", volume_dir, "T6: where the volume file and the dd floor file are written (and "
                                             "removed)")
      ->capture_default_str();
  app.add_option("--volume-write-layers", volume_settings.write_layers,
                 "T6: layers of the volume written to the file (0: all N); the dd floor writes the same bytes")
      ->capture_default_str();
  app.add_flag("--t6", t6, "T6 at its target size: --volume-size 2048 --volume-projections 3000 "
                           "--volume-write-layers 512 (8.6 GB on disk; the host needs 34 GB)");
  std::string gpus;
  unsigned slabs_per_device = 1;
  app.add_option("--gpus", gpus,
                 "T9: N (devices 0..N-1) or a comma-separated list of CUDA devices: T2 (pipeline, uploads included) "
                 "and T3, or with --volume T6, on 1, 2, 4, ... and all of them through a SlabEngine, each with its "
                 "scaling ratio to one device (goal >= 0.9 x N); with --engine cpu: N CPU engines");
  app.add_option("--slabs-per-device", slabs_per_device,
                 "T9: engines per device (several on one device check the slab path, they do not speed it up)")
      ->check(CLI::Range(1u, 16u));
  CLI11_PARSE(app, argc, argv);
  std::vector<int> devices;
  if (!gpus.empty() || slabs_per_device > 1) {
    const auto parsed = parse_device_list(gpus.empty() ? "1" : gpus);
    if (!parsed) {
      std::cerr << "tomolive-bench: --gpus " << gpus
                << ": expected N or a comma-separated list of distinct device indices\n";
      return 2;
    }
    devices = *parsed;
  }
  if (t6) {
    volume = true;
    volume_settings.size = 2048;
    volume_settings.projections = 3000;
    if (volume_settings.write_layers == 0) volume_settings.write_layers = 512;
  }
  if (quick) {
    workload_id = "quick";
    settings.repeats = 2;
    settings.projections = 20;
    settings.warmup = 4;
    settings.recomputes = 3;
    settings.distinct_frames = 4;
  }
  volume_settings.repeats = settings.repeats;
  volume_settings.directory = volume_dir;
  volume_settings.device = settings.device;
  const auto workload = find_workload(workload_id);
  if (!workload) {
    std::cerr << "tomolive-bench: unknown workload " << workload_id << " (W1, W2, W3)\n";
    return 2;
  }

  Report report;
  report.commit = TOMOLIVE_BENCH_COMMIT;
  report.date = today();
  report.workload = volume ? "T6-" + std::to_string(volume_settings.size) + "x" +
                                 std::to_string(volume_settings.projections)
                           : workload->id;
  std::string what = workload->id + " (" + workload->description + ")";
  if (volume) {
    what = "T6, " + std::to_string(volume_settings.size) + "^3 from " + std::to_string(volume_settings.projections) +
           " projections";
  }
  if (center_cpu) what = "center estimates at 256 x 360";
  std::cout << "tomolive-bench: " << what << ", " << (center_cpu ? "cpu" : engine) << " engine\n";
  try {
    if (!devices.empty()) {
      report.workload = "T9-" + report.workload;
      if (engine == "cpu") {
        ScalingSettings scaling;
        scaling.device_counts = scaling_steps(devices.size());
        scaling.slabs_per_device = slabs_per_device;
        scaling.device_kind = "cpu";
        report.device = std::to_string(devices.size()) + " CPU engine(s) sharing this machine's cores";
        report.figures = volume ? measure_cpu_volume_scaling(volume_settings, scaling, std::cout)
                                : measure_cpu_scaling(*workload, settings, scaling, std::cout);
      } else {
#if TOMOLIVE_BENCH_CUDA
        for (const int device : devices) {
          if (const auto reason = tomolive::kernels::cuda_unavailable_reason(device)) {
            std::cerr << "tomolive-bench: CUDA device " << device << " cannot be used: " << *reason << "\n";
            return 2;
          }
        }
        report.figures =
            volume ? measure_cuda_volume_scaling(volume_settings, devices, slabs_per_device, report.device, std::cout)
                   : measure_cuda_scaling(*workload, settings, devices, slabs_per_device, report.device, std::cout);
#else
        std::cerr << "tomolive-bench: this build has no CUDA engine (configured without a CUDA compiler)\n";
        return 2;
#endif
      }
    } else if (center_cpu) {
      report.workload = "center-256x360";
      report.figures = measure_center_cpu(settings, report.device, std::cout);
    } else if (engine == "cpu" && volume) {
      report.figures = measure_cpu_volume(volume_settings, report.device, std::cout);
    } else if (engine == "cpu") {
      report.figures = measure_cpu(*workload, settings, report.device, std::cout);
    } else {
#if TOMOLIVE_BENCH_CUDA
      if (const auto reason = tomolive::kernels::cuda_unavailable_reason(settings.device)) {
        std::cerr << "tomolive-bench: no usable CUDA device: " << *reason << "\n";
        return 2;
      }
      report.figures = volume ? measure_cuda_volume(volume_settings, report.device, std::cout)
                              : measure_cuda(*workload, settings, report.device, std::cout);
#else
      std::cerr << "tomolive-bench: this build has no CUDA engine (configured without a CUDA compiler)\n";
      return 2;
#endif
    }
  } catch (const std::exception& e) {
    std::cerr << "tomolive-bench: " << e.what() << "\n";
    return 1;
  }
  std::cout << "\n";
  print_table(std::cout, report);
  if (!json_path.empty()) {
    try {
      write_json(json_path, report);
    } catch (const std::exception& e) {
      std::cerr << "tomolive-bench: " << e.what() << "\n";
      return 1;
    }
    std::cout << "figures written to " << json_path << "\n";
  }
  return 0;
}
