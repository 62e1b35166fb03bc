// tomolive-sim: streams a simulated scan to the daemon over the native protocol, as a detector would.
// --format dectris2|dectris1|array speaks a detector's own stream instead (detector_encoder.hpp; with --bind as a
// detector does, for a daemon started with --data-connect).
//
// On a ZeroMQ PUSH socket (connecting to --connect, or bound to --bind for a daemon that connects) it sends begin,
// the darks, the flats, the projections and end; each frame is two parts, the msgpack header and rows * cols uint16
// pixels handed to ZeroMQ without a copy. Frames are paced at --rate frames/s on an absolute schedule (frame i is due
// at start + i / rate, so the rate does not drift); 0 sends as fast as frames can be generated.
//
// Several streams (--streams S --stream-index i, one process per stream, each connected to its own daemon data
// endpoint): every stream sends begin and end, stream 0 sends the darks and flats, and stream i the projections
// k with k mod S == i. Start stream 0 first and the others once the daemon has its darks and flats.
// --prerender K renders K projections once and sends projection k with the pixels of projection k mod K, for
// throughput benchmarks that the renderer must not limit (the reconstruction is then meaningless).
// Both work for --format dectris2 too: each stream is one of a detector's PUSH sockets, sending its own start
// (announcing the whole series) and end around its share of the images, which keep their image ids; the K
// projections are compressed once and only wrapped in their image message per frame. A detector stream's scan plan
// has no sliding window, so --turns stays 1 there (send one series of many projections instead).
//
// The socket lingers without limit, so every queued frame reaches the daemon before the program exits.
// Ctrl-C (SIGINT) or SIGTERM stops before the next frame, sends end for the frames sent so far, flushes and exits
// 130; a second Ctrl-C aborts at once. Exit status: 0 after the whole scan and its end were sent, 130 after an
// interrupt, 1 on an error, CLI11's codes for bad options.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>  // defines __GLIBC__ where the C library is glibc
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "detector_encoder.hpp"
#include "tomolive/protocol/clock.hpp"
#include "tomolive/protocol/codec.hpp"
#include "tomolive/sim/npy.hpp"
#include "tomolive/sim/scan_simulator.hpp"
#include "tomolive/sim/stream_frames.hpp"
#include "tomolive/sim/truth.hpp"
#include "tomolive/stream/frame_push.hpp"

namespace {

using namespace tomolive;

constexpr unsigned kTruthSupersample = 3;

using stream::kExitInterrupted;

// Frame buffers lent to ZeroMQ: a payload message owns its buffer until ZeroMQ's I/O thread has sent it and calls
// release(), which returns it for reuse. The pool must outlive the ZeroMQ context. Thread-safe.
class PayloadPool {
 public:
  struct Buffer {
    PayloadPool* pool;
    std::vector<std::uint16_t> pixels;
  };

  explicit PayloadPool(std::size_t pixels) : pixels_(pixels) {}

  std::unique_ptr<Buffer> acquire() {
    {
      std::lock_guard lock(mutex_);
      if (!free_.empty()) {
        std::unique_ptr<Buffer> buffer = std::move(free_.back());
        free_.pop_back();
        return buffer;
      }
    }
    return std::make_unique<Buffer>(Buffer{this, std::vector<std::uint16_t>(pixels_)});
  }

  // A message that sends the buffer's pixels without copying them and gives the buffer back when ZeroMQ is done.
  static zmq::message_t into_message(std::unique_ptr<Buffer> buffer) {
    void* data = buffer->pixels.data();
    const std::size_t bytes = buffer->pixels.size() * sizeof(std::uint16_t);
    return zmq::message_t(data, bytes, &PayloadPool::release, buffer.release());
  }

 private:
  static void release(void* /*data*/, void* hint) {
    std::unique_ptr<Buffer> buffer(static_cast<Buffer*>(hint));
    PayloadPool* pool = buffer->pool;
    std::lock_guard lock(pool->mutex_);
    pool->free_.push_back(std::move(buffer));
  }

  std::size_t pixels_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Buffer>> free_;
};

// One detector row of every frame sent, for --write-raw: a Python test rebuilds the sinogram of that row from them.
class RawRowRecorder {
 public:
  RawRowRecorder(const sim::ScanSimulator& scan, std::uint32_t row) : scan_(scan), row_(row) {}

  // Appends the recorded row of frame `index` (cols values, copied from the frame by row_of()).
  void record(std::size_t index, std::span<const std::uint16_t> row) {
    const sim::FrameRef frame = scan_.frame_at(index);
    std::vector<std::uint16_t>& rows = frame.kind == protocol::FrameKind::dark   ? darks_
                                       : frame.kind == protocol::FrameKind::flat ? flats_
                                                                                 : projections_;
    rows.insert(rows.end(), row.begin(), row.end());
    if (frame.kind == protocol::FrameKind::projection) {
      angles_.push_back(static_cast<float>(scan_.spec().angle_deg(static_cast<std::uint32_t>(frame.frame_id))));
    }
  }

  std::vector<std::uint16_t> row_of(const std::vector<std::uint16_t>& pixels) const {
    const std::size_t cols = scan_.spec().cols;
    const auto first = pixels.begin() + static_cast<std::ptrdiff_t>(row_ * cols);
    return {first, first + static_cast<std::ptrdiff_t>(cols)};
  }

  // darks_row.npy, flats_row.npy, projections_row.npy: [frames sent, cols] uint16; angles_deg.npy: float32.
  void write(const std::filesystem::path& dir) const {
    const std::size_t cols = scan_.spec().cols;
    std::filesystem::create_directories(dir);
    sim::write_npy(dir / "darks_row.npy", std::span<const std::uint16_t>(darks_), {darks_.size() / cols, cols});
    sim::write_npy(dir / "flats_row.npy", std::span<const std::uint16_t>(flats_), {flats_.size() / cols, cols});
    sim::write_npy(dir / "projections_row.npy", std::span<const std::uint16_t>(projections_),
                   {projections_.size() / cols, cols});
    sim::write_npy(dir / "angles_deg.npy", std::span<const float>(angles_), {angles_.size()});
  }

 private:
  const sim::ScanSimulator& scan_;
  std::uint32_t row_;
  std::vector<std::uint16_t> darks_, flats_, projections_;
  std::vector<float> angles_;
};

void write_parameters(const std::filesystem::path& file, const sim::ScanSimulator& scan, std::uint32_t xy_row,
                      std::optional<std::uint32_t> raw_row) {
  const sim::ScanSpec& spec = scan.spec();
  std::ofstream out(file);
  out.precision(12);
  out << "# tomolive-sim parameters: one 'key value' per line; lengths in detector pixels, angles in degrees,\n"
         "# attenuation in 1/pixel; z = (rows - 1) / 2 - detector row (up is positive)\n"
      << "scan_id " << spec.scan_id << "\nrows " << spec.rows << "\ncols " << spec.cols << "\nnum_darks "
      << spec.num_darks << "\nnum_flats " << spec.num_flats << "\nprojections_per_turn " << spec.projections_per_turn
      << "\nturns " << spec.turns << "\nrange_deg " << spec.range_deg << "\nangle_step_deg " << spec.angle_step_deg()
      << "\ncenter_offset_px " << spec.center_offset_px << "\nannounced_center_offset_px "
      << spec.announced_center_offset_px.value_or(spec.center_offset_px) << "\nphotons " << spec.photons
      << "\nhalf_acquisition " << spec.half_acquisition << "\nnoise " << spec.noise << "\ndefects " << spec.defects
      << "\nseed " << spec.seed << "\nxy_row " << xy_row
      << "\nxz_y_px 0\nyz_x_px 0\ntruth_supersample " << kTruthSupersample << "\n";
  if (raw_row) out << "raw_row " << *raw_row << "\n";
  out << "# ellipsoid x y z a b c angle_deg density\n";
  for (const sim::Ellipsoid& e : scan.phantom().ellipsoids()) {
    out << "ellipsoid " << e.x << ' ' << e.y << ' ' << e.z << ' ' << e.a << ' ' << e.b << ' ' << e.c << ' '
        << e.angle_deg << ' ' << e.density << "\n";
  }
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

// xy.npy (axial slice at row rows / 2), xz.npy (y = 0), yz.npy (x = 0) and params.txt.
void write_truth(const std::filesystem::path& dir, const sim::ScanSimulator& scan,
                 std::optional<std::uint32_t> raw_row) {
  const sim::ScanSpec& spec = scan.spec();
  const std::uint32_t xy_row = spec.rows / 2;
  std::filesystem::create_directories(dir);
  const auto write = [&](const char* name, const sim::Image& image) {
    sim::write_npy(dir / name, std::span<const float>(image.pixels), {image.rows, image.cols});
  };
  // As wide as the daemon's slices (wider than the detector with half acquisition).
  const std::uint32_t n = spec.slice_cols();
  write("xy.npy", sim::truth_xy(scan.phantom(), spec.rows, n, xy_row, kTruthSupersample));
  write("xz.npy", sim::truth_xz(scan.phantom(), spec.rows, n, 0.0, kTruthSupersample));
  write("yz.npy", sim::truth_yz(scan.phantom(), spec.rows, n, 0.0, kTruthSupersample));
  write_parameters(dir / "params.txt", scan, xy_row, raw_row);
}

struct Options {
  sim::ScanSpec spec;
  std::string connect = "tcp://127.0.0.1:5555";
  std::string bind;
  double rate = 60.0;
  unsigned threads = 0;
  std::string truth_dir;
  std::string raw_dir;
  std::optional<std::uint32_t> raw_row;
  std::uint32_t stream_index = 0;
  std::uint32_t prerender = 0;
  bool quiet = false;
  // The stream format; for the detector formats, how they are encoded (detector_encoder.hpp).
  detector::StreamFormat format = detector::StreamFormat::native;
  sim::DetectorEncoding detector;
};

// A ZeroMQ message that owns `bytes` and sends them without a copy.
zmq::message_t message_owning(std::vector<std::byte> bytes) {
  using Bytes = std::vector<std::byte>;
  if (bytes.empty()) return zmq::message_t();
  auto owned = std::make_unique<Bytes>(std::move(bytes));
  Bytes& sent = *owned;
  // ZeroMQ frees the vector (the hint) once the message is sent.
  return zmq::message_t(sent.data(), sent.size(),
                        [](void*, void* hint) { const std::unique_ptr<Bytes> done(static_cast<Bytes*>(hint)); },
                        owned.release());
}

// Sends `message`'s parts (moved into ZeroMQ, no copy); false (nothing sent) when a stop was requested before its
// first part was queued.
bool send_message(stream::Sender& sender, sim::EncodedMessage& message, bool interruptible) {
  for (std::size_t i = 0; i < message.size(); ++i) {
    zmq::message_t part = message_owning(std::move(message[i]));
    if (!sender.send(part, i + 1 < message.size(), interruptible && i == 0)) return false;
  }
  return true;
}

// Streams this process's frames of the scan (its stream's share) in a detector's own format (--format); returns the
// exit status. The `prerendered` projections (none without --prerender) are encoded once, here, and reused.
int stream_detector_format(const Options& options, const sim::ScanSimulator& scan,
                           const sim::PrerenderedProjections& prerendered, stream::Sender& sender,
                           RawRowRecorder* recorder) {
  sim::DetectorEncoder encoder(scan, options.detector);
  std::vector<std::vector<std::byte>> encoded(prerendered.count());
  for (std::size_t k = 0; k < encoded.size(); ++k) encoded[k] = encoder.encode_pixels(prerendered.pixels(k));

  const std::vector<std::size_t> indices = sim::stream_frames(scan, options.stream_index);
  stream::Progress progress("tomolive-sim", scan.spec().scan_id, indices.size(), options.quiet);
  const stream::Pacer pacer(options.rate);
  std::vector<std::uint16_t> pixels(scan.frame_pixels());
  bool complete = true;
  for (std::size_t n = 0; n < indices.size() && complete; ++n) {
    if (!pacer.wait_for(n)) {
      complete = false;
      break;
    }
    const std::size_t index = indices[n];
    const sim::FrameRef frame = scan.frame_at(index);
    const bool reused = frame.kind == protocol::FrameKind::projection && !encoded.empty();
    if (!reused) scan.render(index, pixels);
    std::vector<sim::EncodedMessage> messages =
        reused ? encoder.frame_encoded(index, encoded[frame.frame_id % encoded.size()]) : encoder.frame(index, pixels);
    std::size_t bytes = 0;
    for (sim::EncodedMessage& message : messages) {
      for (const auto& part : message) bytes += part.size();
      if (!send_message(sender, message, true)) {
        complete = false;
        break;
      }
    }
    if (!complete) break;
    if (recorder) recorder->record(index, recorder->row_of(pixels));  // never with --prerender (main checks)
    progress.frame_sent(bytes);
  }
  for (sim::EncodedMessage& message : encoder.finish()) send_message(sender, message, false);
  progress.finish(complete);
  return complete ? 0 : kExitInterrupted;
}

// Streams the scan; returns the exit status.
int send_scan(const Options& options) {
  const sim::ScanSimulator scan(options.spec, options.threads);
  const sim::ScanSpec& spec = scan.spec();
  const std::uint32_t raw_row = options.raw_row.value_or(spec.rows / 2);
  if (raw_row >= spec.rows) {
    std::fprintf(stderr, "tomolive-sim: --raw-row %u: the detector has %u rows\n", raw_row, spec.rows);
    return 1;
  }
  if (!options.truth_dir.empty()) {
    write_truth(options.truth_dir, scan,
                options.raw_dir.empty() ? std::nullopt : std::optional<std::uint32_t>(raw_row));
  }
  std::optional<RawRowRecorder> recorder;
  if (!options.raw_dir.empty()) recorder.emplace(scan, raw_row);

  const std::size_t frame_bytes = scan.frame_pixels() * sizeof(std::uint16_t);
  PayloadPool pool(scan.frame_pixels());  // outlives the context below
  const sim::PrerenderedProjections prerendered(scan, options.prerender);  // lent to ZeroMQ: outlives the context
  zmq::context_t context(1);
  const bool connecting = options.bind.empty();
  zmq::socket_t socket =
      stream::open_push_socket(context, connecting ? options.connect : options.bind, !connecting, frame_bytes);
  stream::install_stop_handlers();

  stream::Sender sender(socket);
  if (options.format != detector::StreamFormat::native) {
    const int status =
        stream_detector_format(options, scan, prerendered, sender, recorder ? &*recorder : nullptr);
    socket.close();
    context.close();  // returns once every queued message is delivered (linger -1)
    if (recorder) recorder->write(options.raw_dir);
    return status;
  }
  zmq::message_t begin = stream::header_message(protocol::encode(sim::make_scan_begin(spec)));
  if (!sender.send(begin, false, true)) {
    socket.set(zmq::sockopt::linger, 0);  // nothing of this scan was queued
    std::fprintf(stderr, "tomolive-sim: interrupted before begin was sent\n");
    return kExitInterrupted;
  }

  const std::vector<std::size_t> indices = sim::stream_frames(scan, options.stream_index);
  stream::Progress progress("tomolive-sim", spec.scan_id, indices.size(), options.quiet);
  const stream::Pacer pacer(options.rate);
  for (std::size_t n = 0; n < indices.size(); ++n) {
    if (!pacer.wait_for(n)) break;
    const std::size_t index = indices[n];
    const sim::FrameRef frame = scan.frame_at(index);
    zmq::message_t payload;
    std::vector<std::uint16_t> raw;
    if (frame.kind == protocol::FrameKind::projection && !prerendered.empty()) {
      const std::span<const std::uint16_t> pixels = prerendered.pixels(frame.frame_id);
      payload = zmq::message_t(const_cast<std::uint16_t*>(pixels.data()), pixels.size_bytes(), [](void*, void*) {},
                               nullptr);
    } else {
      std::unique_ptr<PayloadPool::Buffer> buffer = pool.acquire();
      scan.render(index, buffer->pixels);
      if (recorder) raw = recorder->row_of(buffer->pixels);
      payload = PayloadPool::into_message(std::move(buffer));
    }
    zmq::message_t header = stream::header_message(protocol::encode(scan.header(index, protocol::unix_time_ns())));
    if (!sender.send(header, true, true)) break;
    sender.send(payload, false, false);
    if (recorder) recorder->record(index, raw);
    progress.frame_sent(frame_bytes);
  }
  const bool complete = progress.frames() == indices.size();
  if (!complete) {
    std::fprintf(stderr, "tomolive-sim: stopping after %zu frames, sending end (Ctrl-C again aborts)\n",
                 progress.frames());
  }
  zmq::message_t end = stream::header_message(protocol::encode(sim::make_scan_end(spec)));
  sender.send(end, false, false);
  socket.close();
  context.close();  // returns once every queued message is delivered (linger -1)
  progress.finish(complete);
  if (recorder) recorder->write(options.raw_dir);
  return complete ? 0 : kExitInterrupted;
}

// Why the options cannot be sent in their detector format (none for native or a combination that works).
std::optional<std::string> detector_format_problem(const Options& options) {
  const sim::ScanSpec& spec = options.spec;
  const sim::DetectorEncoding& detector = options.detector;
  if (options.format == detector::StreamFormat::native) return std::nullopt;
  const bool dectris2 = options.format == detector::StreamFormat::dectris2;
  if (spec.turns > 1) {
    return "--turns: a detector stream's scan plan has no sliding window; send one series of more --projections";
  }
  if ((spec.streams > 1 || options.prerender > 0) && !dectris2) return "--streams and --prerender need dectris2";
  if (spec.streams > 1 && detector.three_series) {
    return "--streams sends one series per stream (the plan's layout form), not --three-series";
  }
  if (detector.compression == detector::Compression::lz4 && !dectris2) return "lz4 is for dectris2 only";
  if (detector.three_series && options.format == detector::StreamFormat::array) {
    return "--three-series is for dectris2/dectris1 (array-1.0 has no series)";
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
#if defined(__GLIBC__)
  // Each detector image goes out as a fresh message of a few MB that ZeroMQ's I/O thread frees once sent: keep such
  // blocks in the heap, and its freed top mapped, instead of mapping, trimming and faulting them in again for every
  // message (the daemon does the same for what it receives: daemon/include/tomolive/daemon/heap_trim.hpp).
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
  Options options;
  sim::ScanSpec& spec = options.spec;
  CLI::App app{"tomolive-sim: streams a simulated scan of a 3D Shepp-Logan phantom to the tomolive daemon over the "
               "native protocol (ZeroMQ PUSH), as a detector would"};
  app.option_defaults()->always_capture_default();
  auto* connect = app.add_option("--connect", options.connect, "endpoint to connect the PUSH socket to");
  app.add_option("--bind", options.bind, "bind the PUSH socket here instead (for a daemon that connects)")
      ->excludes(connect);
  app.add_option("--rows", spec.rows, "detector rows");
  app.add_option("--cols", spec.cols, "detector columns");
  app.add_option("--projections", spec.projections_per_turn, "projections per turn");
  app.add_option("--turns", spec.turns, "turns of continuous rotation (> 1: the daemon keeps a one-turn window)")
      ->check(CLI::PositiveNumber);
  app.add_option("--darks", spec.num_darks, "dark frames");
  app.add_option("--flats", spec.num_flats, "flat frames");
  app.add_option("--range", spec.range_deg, "rotation per turn, degrees")->check(CLI::IsMember({180.0, 360.0}));
  app.add_option("--center-offset", spec.center_offset_px, "true rotation-axis offset from (cols - 1) / 2, pixels");
  app.add_option("--announced-offset", spec.announced_center_offset_px,
                 "axis offset announced in begin, pixels (default: the true one)");
  app.add_option("--rate", options.rate, "frames per second, 0 = as fast as possible")->check(CLI::NonNegativeNumber);
  app.add_option("--scan-id", spec.scan_id, "scan id");
  app.add_option("--name", spec.name, "scan name shown by the daemon");
  app.add_option("--photons", spec.photons, "I0: open-beam counts above dark at the beam peak")
      ->check(CLI::PositiveNumber);
  app.add_flag("--no-noise", [&spec](std::int64_t) { spec.noise = false; }, "no read or photon noise");
  app.add_flag("--half-acquisition", spec.half_acquisition,
               "360 degree scan with an offset axis: the phantom fills the extended field of view");
  app.add_flag("--no-defects", [&spec](std::int64_t) { spec.defects = false; }, "no dead or hot pixels");
  app.add_option("--seed", spec.seed, "seed of the detector maps, defects and noise");
  app.add_option("--threads", options.threads, "threads rendering a frame (0 = one per hardware thread)");
  app.add_option("--write-truth", options.truth_dir,
                 "write xy.npy (row rows/2), xz.npy (y = 0), yz.npy (x = 0) and params.txt to this directory");
  app.add_option("--write-raw", options.raw_dir,
                 "write darks_row.npy, flats_row.npy, projections_row.npy ([frames, cols] uint16, detector row "
                 "--raw-row) and angles_deg.npy (float32) to this directory");
  app.add_option("--raw-row", options.raw_row, "detector row recorded by --write-raw (default rows / 2)");
  app.add_option("--streams", spec.streams,
                 "data connections the scan is sent on (one process per stream; native and dectris2)");
  app.add_option("--stream-index", options.stream_index, "which stream this process sends, 0..streams-1");
  app.add_option("--prerender", options.prerender,
                 "render this many projections once and cycle them (throughput benchmarks; 0 = render every frame)");
  app.add_flag("--quiet", options.quiet, "no progress lines");
  std::string format = "native", compression;
  app.add_option("--format", format,
                 "stream format: native (tomolive's), dectris2 (DECTRIS Stream V2, CBOR), dectris1 (Stream V1, "
                 "JSON) or array (array-1.0); the detector formats carry the scan plan (PROTOCOL.md \"Scan plans\")")
      ->check(CLI::IsMember({"native", "dectris2", "dectris1", "array"}));
  app.add_option("--compression", compression,
                 "detector formats: none, bslz4 (bitshuffle + LZ4) or lz4 (dectris2 only); default bslz4 for "
                 "dectris2, none otherwise")
      ->check(CLI::IsMember({"none", "bslz4", "lz4"}));
  app.add_flag("--three-series", options.detector.three_series,
               "dectris2/dectris1: darks, flats and projections as three series of one scan (else one series)");
  app.add_flag("--bare", [&options](std::int64_t) { options.detector.user_data = false; },
               "detector formats: no scan plan in the stream (the daemon needs set_scan_plan or --scan-plan)");
  CLI11_PARSE(app, argc, argv);

  options.format = *detector::parse_stream_format(format);
  options.detector.format = options.format;
  if (compression.empty()) compression = options.format == detector::StreamFormat::dectris2 ? "bslz4" : "none";
  options.detector.compression = compression == "bslz4" ? detector::Compression::bslz4
                                 : compression == "lz4"  ? detector::Compression::lz4
                                                         : detector::Compression::none;
  if (const auto problem = detector_format_problem(options)) {
    std::fprintf(stderr, "tomolive-sim: --format %s: %s\n", format.c_str(), problem->c_str());
    return 1;
  }
  if (options.stream_index >= spec.streams) {
    std::fprintf(stderr, "tomolive-sim: --stream-index %u: expected 0..%u\n", options.stream_index, spec.streams - 1);
    return 1;
  }
  if ((spec.streams > 1 || options.prerender > 0) && !options.raw_dir.empty()) {
    std::fprintf(stderr, "tomolive-sim: --write-raw needs every frame rendered and sent by this process "
                         "(one stream, no --prerender)\n");
    return 1;
  }
  if (const auto problem = sim::validate(spec)) {
    std::fprintf(stderr, "tomolive-sim: %s\n", problem->c_str());
    return 1;
  }
  try {
    return send_scan(options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "tomolive-sim: %s\n", error.what());
    return 1;
  }
}
