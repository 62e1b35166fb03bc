// tomolive-send: streams one scan to tomolived through the sender library (send.h), over RDMA (rdma://HOST:PORT) or
// the native ZeroMQ protocol (tcp://HOST:PORT). The scan comes from (frame_source.hpp):
//   - the simulator (default): the phantom scan tomolive-sim renders; with --streams/--stream-index the part one of
//     several data connections sends; --prerender K cycles K projections rendered once (throughput benchmarks);
//   - --file: an HDF5 file in NXtomo (what tomolived --record writes) or DXchange layout;
//   - --raw: a raw file of darks, flats and projections whose shape, dtype, counts and angles are given as options;
//   - --projections-npy (with --darks-npy, --flats-npy): .npy stacks.
// Frames are paced at --rate frames/s on an absolute schedule (0: as fast as the daemon takes them), with one
// progress line per second on stderr and a summary at the end (tomolive_frame_push, as tomolive-sim and
// tomolive-replay). --zero-copy sends from registered memory: frames that stay in memory (prerendered projections,
// .npy projections) in place, the others through one staging frame.
// Ctrl-C (SIGINT) or SIGTERM stops before the next frame and sends end; a second one aborts at once.
// Exit status: 0 after the whole scan and its end were sent, 130 after an interrupt, 1 on an error (a bad file or
// option, the daemon unreachable, a library error: each named), CLI11's codes for bad options.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "frame_kinds.hpp"
#include "frame_source.hpp"
#include "tomolive/protocol/messages.hpp"
#include "tomolive/send.h"
#include "tomolive/stream/frame_push.hpp"

namespace {

using namespace tomolive;

struct Options {
  std::string url = "tcp://127.0.0.1:5555";
  send::SimulatedScan simulation;
  send::NpyFiles npy;
  std::string hdf5_file;
  send::RawFile raw;
  std::string raw_dtype = "uint16";
  send::AngleSteps angles;  // raw and .npy
  std::optional<std::uint64_t> scan_id;
  std::optional<std::string> name;
  double rate = 0.0;
  tl_options connection{};
  bool zero_copy = false;
  bool quiet = false;
  int timeout_ms = 30000;
};

int fail(const char* step, const send::Sender& sender, tl_status status) {
  std::fprintf(stderr, "tomolive-send: %s: %s: %s\n", step, tl_status_name(status), sender.last_error().c_str());
  return 1;
}

// Where the frames of a zero-copy send come from: the source's resident memory, registered once, and one staging
// frame for the others, released before it is refilled.
class RegisteredFrames {
 public:
  RegisteredFrames(send::Sender& sender, const send::FrameSource& source, std::size_t frame_bytes)
      : staging_(frame_bytes) {
    const std::span<const std::byte> resident = source.resident();
    if (!resident.empty()) {
      status_ = sender.register_buffer(const_cast<std::byte*>(resident.data()), resident.size(), resident_);
    }
    if (status_ == TL_OK) status_ = sender.register_buffer(staging_.data(), staging_.size(), staging_id_);
  }
  tl_status status() const { return status_; }

  // Sends frame `index` from registered memory; `step` names what failed.
  tl_status send(send::Sender& sender, send::FrameSource& source, std::size_t index, int timeout_ms,
                 const char*& step) {
    const tl_frame_kind kind = source.kind(index);
    const std::uint64_t id = source.frame_id(index);
    if (const std::optional<std::size_t> offset = source.resident_offset(index)) {
      step = "send_registered";
      return sender.send_registered(kind, id, resident_, *offset, staging_.size(), timeout_ms, nullptr,
                                    source.angle_deg(index));
    }
    if (staging_ticket_) {
      step = "wait_released";
      if (const tl_status status = sender.wait_released(staging_ticket_, timeout_ms); status != TL_OK) return status;
    }
    const std::span<const std::byte> pixels = source.pixels(index);
    std::copy(pixels.begin(), pixels.end(), staging_.begin());
    step = "send_registered";
    return sender.send_registered(kind, id, staging_id_, 0, staging_.size(), timeout_ms, &staging_ticket_,
                                  source.angle_deg(index));
  }

 private:
  std::vector<std::byte> staging_;
  std::uint32_t resident_ = 0, staging_id_ = 0;
  std::uint64_t staging_ticket_ = 0;
  tl_status status_ = TL_OK;
};

tl_status send_copy(send::Sender& sender, send::FrameSource& source, std::size_t index, int timeout_ms) {
  const std::span<const std::byte> pixels = source.pixels(index);
  const std::uint64_t id = source.frame_id(index);
  switch (source.kind(index)) {
    case TL_DARK: return sender.send_dark(id, pixels.data(), pixels.size(), timeout_ms);
    case TL_FLAT: return sender.send_flat(id, pixels.data(), pixels.size(), timeout_ms);
    case TL_PROJECTION: break;
  }
  return sender.send_projection(id, pixels.data(), pixels.size(), timeout_ms, source.angle_deg(index));
}

int stream_scan(const Options& options, send::FrameSource& source) {
  tl_scan scan = source.scan();
  if (options.scan_id) scan.scan_id = *options.scan_id;
  if (options.name) scan.name = options.name->c_str();
  const std::size_t frame_bytes = std::size_t{scan.rows} * scan.cols * send::itemsize(scan.dtype);
  if (!options.quiet) {
    std::fprintf(stderr, "tomolive-send: %s: scan %llu, %u x %u %s, %u darks, %u flats, %u projections, %zu frames "
                 "from this process, to %s\n",
                 source.description().c_str(), static_cast<unsigned long long>(scan.scan_id), scan.rows, scan.cols,
                 std::string(protocol::to_string(static_cast<protocol::Dtype>(scan.dtype))).c_str(), scan.num_darks,
                 scan.num_flats, scan.num_projections, source.count(), options.url.c_str());
  }
  tl_options connection = options.connection;
  if (!connection.slot_bytes) connection.slot_bytes = static_cast<std::uint32_t>(frame_bytes);
  if (!connection.queue_frames) connection.queue_frames = stream::send_queue_frames(frame_bytes);
  send::Sender sender = send::Sender::open(options.url, &connection);
  if (!sender) {
    std::fprintf(stderr, "tomolive-send: open: %s: %s\n", tl_status_name(sender.open_status()),
                 sender.last_error().c_str());
    return 1;
  }
  stream::install_stop_handlers();
  if (const tl_status status = sender.begin_scan(scan, options.timeout_ms); status != TL_OK) {
    return fail("begin_scan", sender, status);
  }
  std::optional<RegisteredFrames> registered;
  if (options.zero_copy) {
    registered.emplace(sender, source, frame_bytes);
    if (registered->status() != TL_OK) return fail("register_buffer", sender, registered->status());
  }
  stream::Progress progress("tomolive-send", scan.scan_id, source.count(), options.quiet);
  const stream::Pacer pacer(options.rate);
  for (std::size_t index = 0; index < source.count(); ++index) {
    if (!pacer.wait_for(index)) break;
    const char* step = "send";
    const tl_status status = registered ? registered->send(sender, source, index, options.timeout_ms, step)
                                        : send_copy(sender, source, index, options.timeout_ms);
    if (status != TL_OK) return fail(step, sender, status);
    progress.frame_sent(frame_bytes);
  }
  const bool complete = progress.frames() == source.count();
  if (const tl_status status = sender.end_scan(options.timeout_ms); status != TL_OK) {
    return fail("end_scan", sender, status);
  }
  progress.finish(complete);
  if (!options.quiet) {
    std::fprintf(stderr, "tomolive-send: %llu frames sent, %llu found no room at once (back-pressure waits)\n",
                 static_cast<unsigned long long>(sender.frames_sent()),
                 static_cast<unsigned long long>(sender.backpressure_waits()));
  }
  return complete ? 0 : stream::kExitInterrupted;
}

std::unique_ptr<send::FrameSource> open_source(Options& options) {
  if (!options.hdf5_file.empty()) return send::hdf5_frames(options.hdf5_file);
  if (!options.raw.path.empty()) {
    const std::optional<protocol::Dtype> dtype = protocol::parse_dtype(options.raw_dtype);
    if (!dtype) {
      throw std::runtime_error("--dtype " + options.raw_dtype + ": expected uint8, uint16, uint32 or float32");
    }
    const sim::ScanSpec& shape = options.simulation.spec;  // where --rows, --cols and the counts went
    send::RawFile& raw = options.raw;
    raw.dtype = send::dtype_of(*dtype);
    raw.rows = shape.rows;
    raw.cols = shape.cols;
    raw.num_darks = shape.num_darks;
    raw.num_flats = shape.num_flats;
    raw.num_projections = shape.projections_per_turn;
    raw.angles = options.angles;
    return send::raw_frames(raw);
  }
  if (!options.npy.projections.empty()) {
    options.npy.angles = options.angles;
    return send::npy_frames(options.npy);
  }
  return send::simulated_frames(options.simulation);
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  sim::ScanSpec& spec = options.simulation.spec;
  CLI::App app{"tomolive-send: streams a scan (simulated, or from an HDF5, raw or .npy file) to tomolived through "
               "the tomolive-send library, over RDMA (rdma://HOST:PORT) or ZeroMQ (tcp://HOST:PORT)"};
  app.option_defaults()->always_capture_default();
  app.add_option("--url", options.url, "rdma://HOST:PORT (the daemon's --rdma) or tcp://HOST:PORT (its --data)");

  auto* file = app.add_option("--file", options.hdf5_file, "send this HDF5 file: NXtomo or DXchange layout")
                   ->check(CLI::ExistingFile);
  auto* raw = app.add_option("--raw", options.raw.path,
                             "send this raw file: --darks, --flats, then --projections frames of --rows x --cols "
                             "--dtype, little endian, nothing else in the file")
                  ->check(CLI::ExistingFile);
  auto* npy = app.add_option("--projections-npy", options.npy.projections,
                             "send these .npy frames (frames, rows, cols), uint8/uint16/uint32/float32");
  file->excludes(raw)->excludes(npy);
  raw->excludes(npy);
  app.add_option("--darks-npy", options.npy.darks, "dark frames (.npy) to send before the projections")->needs(npy);
  app.add_option("--flats-npy", options.npy.flats, "flat frames (.npy) to send before the projections")->needs(npy);

  // The shape and counts: of the simulation, or of the raw file (open_source copies them).
  const std::vector<CLI::Option*> shape = {
      app.add_option("--rows", spec.rows, "detector rows"),
      app.add_option("--cols", spec.cols, "detector columns"),
      app.add_option("--projections", spec.projections_per_turn, "projections (simulation: per turn)"),
      app.add_option("--darks", spec.num_darks, "dark frames"),
      app.add_option("--flats", spec.num_flats, "flat frames")};
  for (CLI::Option* option : shape) option->excludes(file)->excludes(npy);
  app.add_option("--dtype", options.raw_dtype, "raw file: pixel type, uint8, uint16, uint32 or float32")->needs(raw);
  app.add_option("--angle-start", options.angles.start_deg, "raw and .npy: angle of projection 0, degrees")
      ->excludes(file);
  app.add_option("--angle-step", options.angles.step_deg,
                 "raw and .npy: degrees between projections (0: 180 / projections)")
      ->excludes(file);

  const std::vector<CLI::Option*> simulation = {
      app.add_option("--turns", spec.turns, "simulation: turns of continuous rotation (> 1: a one-turn window)")
          ->check(CLI::PositiveNumber),
      app.add_option("--center-offset", spec.center_offset_px, "simulation: rotation-axis offset, pixels"),
      app.add_flag("--no-noise", [&spec](std::int64_t) { spec.noise = false; }, "simulation: no read or photon noise"),
      app.add_option("--seed", spec.seed, "simulation: seed of the detector"),
      app.add_option("--streams", spec.streams, "simulation: data connections the scan is sent on (one process each)"),
      app.add_option("--stream-index", options.simulation.stream_index, "simulation: which stream this process sends"),
      app.add_option("--prerender", options.simulation.prerender,
                     "simulation: render this many projections once and cycle them (throughput benchmarks; 0: render "
                     "every frame)"),
      app.add_option("--threads", options.simulation.threads,
                     "simulation: threads rendering a frame (0: one per hardware thread)")};
  for (CLI::Option* option : simulation) option->excludes(file)->excludes(raw)->excludes(npy);

  app.add_option("--scan-id", options.scan_id, "scan id to send (default: the file's, else 1)");
  app.add_option("--name", options.name, "scan name to send (default: the file's title or name)");
  app.add_option("--rate", options.rate, "frames per second, 0 = as fast as the daemon takes them")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--slot-bytes", options.connection.slot_bytes, "RDMA slot size, bytes (0: one frame)");
  app.add_option("--slots", options.connection.slot_count, "RDMA slots (frames in flight; 0: the library's 16)");
  app.add_option("--queue-frames", options.connection.queue_frames,
                 "ZeroMQ send high-water mark, messages (0: about 512 MB of frames, as tomolive-sim)");
  app.add_flag("--zero-copy", options.zero_copy, "send from registered memory instead of copying each frame");
  app.add_option("--timeout-ms", options.timeout_ms, "longest wait for room for one frame, ms (-1: no limit)");
  app.add_flag("--quiet", options.quiet, "no progress lines");
  CLI11_PARSE(app, argc, argv);
  if (*raw && !(app.count("--rows") && app.count("--cols") && app.count("--projections"))) {
    std::fprintf(stderr, "tomolive-send: --raw needs the frames' --rows, --cols and --projections (and --darks, "
                         "--flats, --dtype when not 0, 0, uint16)\n");
    return 1;
  }
  try {
    const std::unique_ptr<send::FrameSource> source = open_source(options);
    return stream_scan(options, *source);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "tomolive-send: %s\n", error.what());
    return 1;
  }
}
