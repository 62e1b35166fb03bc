#include "tomolive/sim/scan_simulator.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <thread>

namespace tomolive::sim {
namespace {

const ScanSpec& validated(const ScanSpec& spec) {
  if (const auto problem = validate(spec)) throw std::invalid_argument("invalid scan: " + *problem);
  return spec;
}

DetectorConfig detector_config(const ScanSpec& spec) {
  DetectorConfig config;
  config.rows = spec.rows;
  config.cols = spec.cols;
  config.photons = spec.photons;
  config.noise = spec.noise;
  config.defects = spec.defects;
  config.seed = spec.seed;
  return config;
}

}  // namespace

ScanSimulator::ScanSimulator(ScanSpec spec, unsigned threads)
    : ScanSimulator(spec, shepp_logan_3d(validated(spec).geometry(), 2.0, spec.field_of_view()), threads) {}

ScanSimulator::ScanSimulator(ScanSpec spec, Phantom phantom, unsigned threads)
    : spec_(std::move(spec)),
      phantom_(std::move(phantom)),
      detector_(detector_config(validated(spec_))),
      threads_(threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : threads) {}

std::size_t ScanSimulator::frame_count() const {
  return std::size_t{spec_.num_darks} + spec_.num_flats + spec_.num_projections();
}

FrameRef ScanSimulator::frame_at(std::size_t index) const {
  if (index >= frame_count()) {
    throw std::out_of_range("frame " + std::to_string(index) + " of a scan of " + std::to_string(frame_count()));
  }
  if (index < spec_.num_darks) return {protocol::FrameKind::dark, index};
  index -= spec_.num_darks;
  if (index < spec_.num_flats) return {protocol::FrameKind::flat, index};
  return {protocol::FrameKind::projection, index - spec_.num_flats};
}

protocol::FrameHeader ScanSimulator::header(std::size_t index, std::optional<std::int64_t> timestamp_ns) const {
  const FrameRef frame = frame_at(index);
  return make_frame_header(spec_, frame.kind, frame.frame_id, timestamp_ns);
}

void ScanSimulator::render(std::size_t index, std::span<std::uint16_t> pixels) const {
  const FrameRef frame = frame_at(index);
  if (pixels.size() != frame_pixels()) {
    throw std::invalid_argument("render: buffer of " + std::to_string(pixels.size()) + " pixels, frame has " +
                                std::to_string(frame_pixels()));
  }
  const std::uint32_t rows = spec_.rows;
  const unsigned workers = std::min(threads_, rows);
  if (workers <= 1) {
    render_rows(frame, 0, rows, pixels);
    return;
  }
  const auto chunk_begin = [&](unsigned w) { return static_cast<std::uint32_t>(std::uint64_t{rows} * w / workers); };
  {
    std::vector<std::jthread> helpers;
    helpers.reserve(workers - 1);
    for (unsigned w = 1; w < workers; ++w) {
      helpers.emplace_back([&, w] { render_rows(frame, chunk_begin(w), chunk_begin(w + 1), pixels); });
    }
    render_rows(frame, 0, chunk_begin(1), pixels);
  }  // joins the helpers
}

std::vector<std::uint16_t> ScanSimulator::render(std::size_t index) const {
  std::vector<std::uint16_t> pixels(frame_pixels());
  render(index, pixels);
  return pixels;
}

void ScanSimulator::render_rows(FrameRef frame, std::uint32_t row_begin, std::uint32_t row_end,
                                std::span<std::uint16_t> pixels) const {
  const std::size_t cols = spec_.cols;
  const bool projection = frame.kind == protocol::FrameKind::projection;
  std::vector<float> integrals(projection ? cols : 0);
  const double angle = projection ? spec_.angle_deg(static_cast<std::uint32_t>(frame.frame_id)) : 0.0;
  for (std::uint32_t row = row_begin; row < row_end; ++row) {
    if (projection) phantom_.project(spec_.geometry(), angle, row, row + 1, integrals);
    detector_.expose_row(frame.kind, frame.frame_id, row, integrals, pixels.subspan(row * cols, cols));
  }
}

}  // namespace tomolive::sim
