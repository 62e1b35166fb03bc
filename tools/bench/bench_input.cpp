#include "bench_input.hpp"

#include <algorithm>
#include <numbers>
#include <stdexcept>

#include "tomolive/sim/scan_simulator.hpp"

namespace tomolive::bench {

kernels::ScanGeometry Workload::geometry() const {
  return {rows, cols, slots, std::numbers::pi_v<float> / static_cast<float>(slots), {}, {}};
}

std::optional<Workload> find_workload(const std::string& id) {
  if (id == "W1") return Workload{"W1", 2016, 2016, 3000, false, "kara: 3000 projections of 2016 x 2016 over 180 deg"};
  if (id == "W2") {
    return Workload{"W2", 1008, 2016, 1000, true, "gigafrost: 1008 x 2016, sliding window of 1000 per 180 deg"};
  }
  if (id == "W3") return Workload{"W3", 1007, 2000, 250, false, "dynamic: 250 projections of 1007 x 2000 per tomogram"};
  if (id == "quick") return Workload{"quick", 64, 64, 60, false, "smoke run: 60 projections of 64 x 64"};
  return std::nullopt;
}

Frames render_frames(std::uint32_t rows, std::uint32_t cols, std::uint32_t distinct) {
  sim::ScanSpec spec;
  spec.rows = rows;
  spec.cols = cols;
  spec.num_darks = 4;
  spec.num_flats = 4;
  spec.projections_per_turn = distinct;
  const sim::ScanSimulator scan(spec, 0);
  Frames frames;
  frames.rows = rows;
  frames.cols = cols;
  for (std::size_t k = 0; k < scan.frame_count(); ++k) {
    std::vector<std::uint16_t> pixels = scan.render(k);
    switch (scan.frame_at(k).kind) {
      case protocol::FrameKind::dark: frames.darks.push_back(std::move(pixels)); break;
      case protocol::FrameKind::flat: frames.flats.push_back(std::move(pixels)); break;
      case protocol::FrameKind::projection: frames.projections.push_back(std::move(pixels)); break;
    }
  }
  return frames;
}

kernels::FrameView view(const Frames& frames, const std::vector<std::uint16_t>& frame) {
  return {frame.data(), kernels::PixelType::uint16, frames.rows, frames.cols};
}

Feeder::Feeder(kernels::Engine& engine, const Workload& workload, const Frames& frames)
    : engine_(engine), workload_(workload), frames_(frames) {
  if (frames.rows != workload.rows || frames.cols != workload.cols) {
    throw std::invalid_argument("frames of " + std::to_string(frames.rows) + " x " + std::to_string(frames.cols) +
                                " do not match workload " + workload.id);
  }
}

void Feeder::begin_scan() {
  engine_.begin_scan(workload_.geometry(), {});
  for (const auto& d : frames_.darks) engine_.add_dark(view(frames_, d));
  for (const auto& f : frames_.flats) engine_.add_flat(view(frames_, f));
  in_scan_ = 0;
}

void Feeder::projections(std::uint32_t count, const std::vector<const void*>& frame_data) {
  for (std::uint32_t n = 0; n < count; ++n, ++next_) {
    if (!workload_.sliding && in_scan_ == workload_.slots) begin_scan();
    const auto slot = static_cast<std::uint32_t>(next_ % workload_.slots);
    const float angle = static_cast<float>(static_cast<double>(next_) * std::numbers::pi / workload_.slots);
    const void* data = frame_data[next_ % frame_data.size()];
    engine_.add_projection(slot, angle, {data, kernels::PixelType::uint16, frames_.rows, frames_.cols});
    ++in_scan_;
  }
}

std::vector<const void*> pageable_data(const Frames& frames) {
  std::vector<const void*> data;
  for (const auto& p : frames.projections) data.push_back(p.data());
  return data;
}

double median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 != 0 ? values[mid] : 0.5 * (values[mid - 1] + values[mid]);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace tomolive::bench
