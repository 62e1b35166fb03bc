// What the benchmark feeds: the workloads of ../shared/targets.md, and frames rendered by tomolive_sim (the
// Shepp-Logan phantom through the detector model: structured darks and flats, noise, dead and hot pixels).
// A few distinct projections are rendered once and cycled; projection k is fed at angle k * pi / slots, so the data
// and the angles do not match: the figures time the work and compare engines on identical input, they do not judge
// image quality (the e2e quality test does).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tomolive/kernels/engine.hpp"

namespace tomolive::bench {

struct Workload {
  std::string id;  // W1, W2, W3, or "quick"
  std::uint32_t rows = 0;
  std::uint32_t cols = 0;
  std::uint32_t slots = 0;  // projections per scan, or the sliding window
  bool sliding = false;     // continuous rotation: projection k replaces slot k % slots
  std::string description;

  kernels::ScanGeometry geometry() const;
};

// W1 (kara, 2016 x 2016, 3000 projections), W2 (gigafrost, 1008 x 2016, window of 1000), W3 (dynamic, 1007 x 2000,
// 250 per tomogram), quick (64 x 64, 60: a smoke run). nullopt for an unknown id.
std::optional<Workload> find_workload(const std::string& id);

struct Frames {
  std::uint32_t rows = 0;
  std::uint32_t cols = 0;
  std::vector<std::vector<std::uint16_t>> darks, flats, projections;
};

// Renders `distinct` projections (over 180 degrees), 4 darks and 4 flats of rows x cols, on every hardware thread.
Frames render_frames(std::uint32_t rows, std::uint32_t cols, std::uint32_t distinct);

kernels::FrameView view(const Frames& frames, const std::vector<std::uint16_t>& frame);

// Feeds a workload's scans into an engine: projection k (counted over the feeder's life) goes to slot k % slots at
// angle k * pi / slots; a workload that is not sliding begins a new scan (with darks and flats) whenever its slots
// are full, as dynamic CT does. `frame_data(k)` gives the memory projection k is read from (pageable or pinned).
class Feeder {
 public:
  Feeder(kernels::Engine& engine, const Workload& workload, const Frames& frames);

  void begin_scan();                    // begin_scan + darks + flats
  void projections(std::uint32_t count, const std::vector<const void*>& frame_data);
  std::uint64_t fed() const { return next_; }

 private:
  kernels::Engine& engine_;
  Workload workload_;
  const Frames& frames_;
  std::uint64_t next_ = 0;
  std::uint32_t in_scan_ = 0;
};

// Pointers to the projections of `frames`, for Feeder::projections.
std::vector<const void*> pageable_data(const Frames& frames);

double median(std::vector<double> values);

// Seconds since `start`.
double seconds_since(std::chrono::steady_clock::time_point start);

}  // namespace tomolive::bench
