// tomolive-send: streams a scan to tomolived through the sender library (send.h), over RDMA (rdma://HOST:PORT) or
// the native ZeroMQ protocol (tcp://HOST:PORT): a simulated phantom scan (tools/sim, as tomolive-sim renders it),
// or the frames of .npy files (--projections-npy, with --darks-npy and --flats-npy; HDF5 is not read: convert with
// numpy first). Frames are paced at --rate frames/s (0: as fast as the daemon takes them). Prints the throughput at
// the end. Exit status: 0 after the scan and its end were sent, 1 on an error (named), CLI11's codes for bad options.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "npy_stack.hpp"
#include "tomolive/send.h"
#include "tomolive/sim/scan_simulator.hpp"

namespace {

using namespace tomolive;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string url = "tcp://127.0.0.1:5555";
  sim::ScanSpec spec;
  double rate = 0.0;
  std::string projections_npy, darks_npy, flats_npy;
  double angle_step_deg = 0.0;  // for npy input; 0: 180 / projections
  tl_options connection{};
  bool zero_copy = false;
  int timeout_ms = 30000;
};

// The frames to send: kind, id and pixels (rendered on demand for the simulator).
class FrameSource {
 public:
  virtual ~FrameSource() = default;
  virtual tl_scan scan() const = 0;
  virtual std::size_t count() const = 0;
  virtual tl_frame_kind kind(std::size_t index) const = 0;
  virtual std::uint64_t frame_id(std::size_t index) const = 0;
  virtual std::span<const std::byte> pixels(std::size_t index) = 0;
};

class SimulatedFrames : public FrameSource {
 public:
  explicit SimulatedFrames(const sim::ScanSpec& spec) : scan_(spec, 0), pixels_(scan_.frame_pixels()) {}
  tl_scan scan() const override {
    const protocol::ScanBegin begin = sim::make_scan_begin(scan_.spec());
    const auto& range = std::get<protocol::AngleRange>(begin.angles);
    tl_scan out{};
    out.scan_id = begin.scan_id;
    out.name = scan_.spec().name.c_str();
    out.rows = begin.rows;
    out.cols = begin.cols;
    out.dtype = TL_UINT16;
    out.num_darks = begin.num_darks;
    out.num_flats = begin.num_flats;
    out.num_projections = begin.num_projections;
    out.angle_start_deg = range.start_deg;
    out.angle_step_deg = range.step_deg;
    out.window = begin.window;
    out.center_offset_px = begin.center_offset_px;
    return out;
  }
  std::size_t count() const override { return scan_.frame_count(); }
  tl_frame_kind kind(std::size_t index) const override {
    return static_cast<tl_frame_kind>(static_cast<int>(scan_.frame_at(index).kind));
  }
  std::uint64_t frame_id(std::size_t index) const override { return scan_.frame_at(index).frame_id; }
  std::span<const std::byte> pixels(std::size_t index) override {
    scan_.render(index, pixels_);
    return std::as_bytes(std::span(pixels_));
  }

 private:
  sim::ScanSimulator scan_;
  std::vector<std::uint16_t> pixels_;
};

class NpyFrames : public FrameSource {
 public:
  explicit NpyFrames(const Options& options)
      : projections_(send::read_npy_stack(options.projections_npy)), scan_id_(options.spec.scan_id) {
    if (!options.darks_npy.empty()) darks_ = send::read_npy_stack(options.darks_npy);
    if (!options.flats_npy.empty()) flats_ = send::read_npy_stack(options.flats_npy);
    for (const send::NpyStack* refs : {&darks_, &flats_}) {
      if (refs->frames && (refs->rows != projections_.rows || refs->cols != projections_.cols ||
                           refs->dtype != projections_.dtype)) {
        throw std::runtime_error("the darks and flats must have the projections' rows, cols and dtype");
      }
    }
    step_ = options.angle_step_deg > 0 ? options.angle_step_deg : 180.0 / static_cast<double>(projections_.frames);
  }
  tl_scan scan() const override {
    tl_scan out{};
    out.scan_id = scan_id_;
    out.name = "tomolive-send";
    out.rows = static_cast<std::uint32_t>(projections_.rows);
    out.cols = static_cast<std::uint32_t>(projections_.cols);
    out.dtype = projections_.dtype;
    out.num_darks = static_cast<std::uint32_t>(darks_.frames);
    out.num_flats = static_cast<std::uint32_t>(flats_.frames);
    out.num_projections = static_cast<std::uint32_t>(projections_.frames);
    out.angle_step_deg = step_;
    return out;
  }
  std::size_t count() const override { return darks_.frames + flats_.frames + projections_.frames; }
  tl_frame_kind kind(std::size_t index) const override {
    if (index < darks_.frames) return TL_DARK;
    return index < darks_.frames + flats_.frames ? TL_FLAT : TL_PROJECTION;
  }
  std::uint64_t frame_id(std::size_t index) const override {
    if (index < darks_.frames) return index;
    if (index < darks_.frames + flats_.frames) return index - darks_.frames;
    return index - darks_.frames - flats_.frames;
  }
  std::span<const std::byte> pixels(std::size_t index) override {
    const std::uint64_t id = frame_id(index);
    switch (kind(index)) {
      case TL_DARK: return darks_.frame(id);
      case TL_FLAT: return flats_.frame(id);
      case TL_PROJECTION: break;
    }
    return projections_.frame(id);
  }

 private:
  send::NpyStack projections_, darks_, flats_;
  std::uint64_t scan_id_;
  double step_ = 0.0;
};

int fail(const char* step, const send::Sender& sender, tl_status status) {
  std::fprintf(stderr, "tomolive-send: %s: %s: %s\n", step, tl_status_name(status), sender.last_error().c_str());
  return 1;
}

int stream(const Options& options, FrameSource& source) {
  tl_options connection = options.connection;
  const tl_scan scan = source.scan();
  const std::size_t itemsize = scan.dtype == TL_UINT8 ? 1 : scan.dtype == TL_UINT16 ? 2 : 4;
  const std::size_t frame_bytes = std::size_t{scan.rows} * scan.cols * itemsize;
  if (!connection.slot_bytes) connection.slot_bytes = static_cast<std::uint32_t>(frame_bytes);
  send::Sender sender = send::Sender::open(options.url, &connection);
  if (!sender) {
    std::fprintf(stderr, "tomolive-send: open: %s: %s\n", tl_status_name(sender.open_status()),
                 sender.last_error().c_str());
    return 1;
  }
  if (tl_status status = sender.begin_scan(scan, options.timeout_ms); status != TL_OK) {
    return fail("begin_scan", sender, status);
  }
  // Zero-copy: one registered staging frame per in-flight frame would be the detector's ring; here one frame,
  // released before it is refilled.
  std::vector<std::byte> staging(options.zero_copy ? frame_bytes : 0);
  std::uint32_t buffer = 0;
  if (options.zero_copy) {
    if (tl_status status = sender.register_buffer(staging.data(), staging.size(), buffer); status != TL_OK) {
      return fail("register_buffer", sender, status);
    }
  }
  const auto start = Clock::now();
  std::uint64_t ticket = 0;
  for (std::size_t index = 0; index < source.count(); ++index) {
    if (options.rate > 0) {
      std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(
                                                std::chrono::duration<double>(static_cast<double>(index) / options.rate)));
    }
    const std::span<const std::byte> pixels = source.pixels(index);
    const tl_frame_kind kind = source.kind(index);
    const std::uint64_t id = source.frame_id(index);
    tl_status status;
    if (options.zero_copy) {
      if (ticket && (status = sender.wait_released(ticket, options.timeout_ms)) != TL_OK) {
        return fail("wait_released", sender, status);
      }
      std::copy(pixels.begin(), pixels.end(), staging.begin());
      status = sender.send_registered(kind, id, buffer, 0, frame_bytes, options.timeout_ms, &ticket);
    } else if (kind == TL_DARK) {
      status = sender.send_dark(id, pixels.data(), pixels.size(), options.timeout_ms);
    } else if (kind == TL_FLAT) {
      status = sender.send_flat(id, pixels.data(), pixels.size(), options.timeout_ms);
    } else {
      status = sender.send_projection(id, pixels.data(), pixels.size(), options.timeout_ms);
    }
    if (status != TL_OK) return fail("send", sender, status);
  }
  if (tl_status status = sender.end_scan(options.timeout_ms); status != TL_OK) return fail("end_scan", sender, status);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::fprintf(stderr,
               "tomolive-send: scan %llu: %llu frames to %s in %.3f s: %.1f frames/s, %.3f GB/s, %llu back-pressure "
               "waits\n",
               static_cast<unsigned long long>(scan.scan_id), static_cast<unsigned long long>(sender.frames_sent()),
               options.url.c_str(), seconds, static_cast<double>(sender.frames_sent()) / seconds,
               static_cast<double>(sender.frames_sent() * frame_bytes) / seconds * 1e-9,
               static_cast<unsigned long long>(sender.backpressure_waits()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  sim::ScanSpec& spec = options.spec;
  CLI::App app{"tomolive-send: streams a scan to tomolived through the tomolive-send library, over RDMA "
               "(rdma://HOST:PORT) or ZeroMQ (tcp://HOST:PORT)"};
  app.option_defaults()->always_capture_default();
  app.add_option("--url", options.url, "rdma://HOST:PORT (the daemon's --rdma) or tcp://HOST:PORT (its --data)");
  app.add_option("--rows", spec.rows, "simulated detector rows");
  app.add_option("--cols", spec.cols, "simulated detector columns");
  app.add_option("--projections", spec.projections_per_turn, "simulated projections over 180 degrees");
  app.add_option("--darks", spec.num_darks, "simulated dark frames");
  app.add_option("--flats", spec.num_flats, "simulated flat frames");
  app.add_option("--center-offset", spec.center_offset_px, "simulated rotation-axis offset, pixels");
  app.add_flag("--no-noise", [&spec](std::int64_t) { spec.noise = false; }, "no read or photon noise");
  app.add_option("--seed", spec.seed, "seed of the simulated detector");
  app.add_option("--scan-id", spec.scan_id, "scan id");
  app.add_option("--projections-npy", options.projections_npy,
                 "send these frames instead of a simulation: .npy of shape (frames, rows, cols), uint8/uint16/"
                 "uint32/float32");
  app.add_option("--darks-npy", options.darks_npy, "dark frames (.npy) to send before the projections");
  app.add_option("--flats-npy", options.flats_npy, "flat frames (.npy) to send before the projections");
  app.add_option("--angle-step", options.angle_step_deg, "degrees between .npy projections (0: 180 / count)");
  app.add_option("--rate", options.rate, "frames per second, 0 = as fast as the daemon takes them")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--slot-bytes", options.connection.slot_bytes, "RDMA slot size, bytes (0: one frame)");
  app.add_option("--slots", options.connection.slot_count, "RDMA slots (frames in flight; 0: the library's 16)");
  app.add_flag("--zero-copy", options.zero_copy, "send from a registered buffer instead of copying each frame");
  app.add_option("--timeout-ms", options.timeout_ms, "longest wait for room for one frame, ms (-1: no limit)");
  CLI11_PARSE(app, argc, argv);
  try {
    if (!options.projections_npy.empty()) {
      NpyFrames frames(options);
      return stream(options, frames);
    }
    if (const auto problem = sim::validate(spec)) throw std::runtime_error(*problem);
    SimulatedFrames frames(spec);
    return stream(options, frames);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "tomolive-send: %s\n", error.what());
    return 1;
  }
}
