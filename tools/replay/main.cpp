// tomolive-replay: streams a recorded scan (an NXtomo file that tomolived --record wrote, or a DXchange file) to the
// daemon over the native protocol, as the detector did, so that yesterday's scan can be re-tuned live.
//
// Sends begin, every frame of the file (NXtomo: in the order they were recorded, but darks and flats before the
// projections; DXchange: darks, flats, projections), each projection with its angle from the file in degrees, then
// end (notes on what was assumed, e.g. generated angles, on stderr), on a PUSH socket (tomolive_frame_push, as
// tomolive-sim). --rate paces the frames (frames/s on an absolute schedule; 0: as fast as possible); one progress
// line per second on stderr. Ctrl-C stops before the next frame and sends end. Exit status: 0 after the whole scan,
// 130 after an interrupt, 1 on an error (unreadable file, neither layout, no daemon), CLI11's codes for bad options.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "tomolive/protocol/clock.hpp"
#include "tomolive/protocol/codec.hpp"
#include "tomolive/replay/recorded_scan.hpp"
#include "tomolive/stream/frame_push.hpp"

namespace {

using namespace tomolive;

struct Options {
  std::string file;
  std::string connect = "tcp://127.0.0.1:5555";
  std::string bind;
  double rate = 0.0;
  std::optional<std::uint64_t> scan_id;
  std::optional<std::string> name;
  bool quiet = false;
};

int stream_file(const Options& options) {
  const replay::RecordedScan scan(options.file);
  protocol::ScanBegin begin = scan.begin();
  if (options.scan_id) begin.scan_id = *options.scan_id;
  if (options.name) begin.name = *options.name;
  if (!options.quiet) {
    std::fprintf(stderr, "tomolive-replay: %s (%s): scan %llu, %u x %u %s, %u darks, %u flats, %u projections\n",
                 options.file.c_str(), scan.layout().c_str(), static_cast<unsigned long long>(begin.scan_id),
                 begin.rows, begin.cols, std::string(protocol::to_string(begin.dtype)).c_str(), begin.num_darks,
                 begin.num_flats, begin.num_projections);
  }
  for (const std::string& note : scan.notes()) std::fprintf(stderr, "tomolive-replay: note: %s\n", note.c_str());

  zmq::context_t context(1);
  const bool connecting = options.bind.empty();
  zmq::socket_t socket =
      stream::open_push_socket(context, connecting ? options.connect : options.bind, !connecting, scan.frame_bytes());
  stream::install_stop_handlers();
  stream::Sender sender(socket);
  zmq::message_t begin_message = stream::header_message(protocol::encode(begin));
  if (!sender.send(begin_message, false, true)) {
    socket.set(zmq::sockopt::linger, 0);  // nothing of this scan was queued
    std::fprintf(stderr, "tomolive-replay: interrupted before begin was sent\n");
    return stream::kExitInterrupted;
  }
  stream::Progress progress("tomolive-replay", begin.scan_id, scan.frames().size(), options.quiet);
  const stream::Pacer pacer(options.rate);
  for (std::size_t i = 0; i < scan.frames().size(); ++i) {
    if (!pacer.wait_for(i)) break;
    const replay::RecordedFrame& frame = scan.frames()[i];
    zmq::message_t payload(scan.frame_bytes());
    scan.read(i, std::span<std::byte>(static_cast<std::byte*>(payload.data()), payload.size()));
    protocol::FrameHeader header{frame.kind, begin.scan_id, frame.frame_id, begin.rows, begin.cols, begin.dtype,
                                 std::nullopt, protocol::unix_time_ns()};
    if (frame.kind == protocol::FrameKind::projection) header.angle_deg = frame.angle_deg;
    zmq::message_t header_message = stream::header_message(protocol::encode(header));
    if (!sender.send(header_message, true, true)) break;
    sender.send(payload, false, false);
    progress.frame_sent(scan.frame_bytes());
  }
  const bool complete = progress.frames() == scan.frames().size();
  zmq::message_t end = stream::header_message(protocol::encode(protocol::ScanEnd{begin.scan_id}));
  sender.send(end, false, false);
  socket.close();
  context.close();  // returns once every queued message is delivered (linger -1)
  progress.finish(complete);
  return complete ? 0 : stream::kExitInterrupted;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{"tomolive-replay: streams a recorded scan (NXtomo from tomolived --record, or DXchange) to the "
               "tomolive daemon over the native protocol (ZeroMQ PUSH), as the detector did"};
  app.option_defaults()->always_capture_default();
  app.add_option("file", options.file, "the HDF5 file (NXtomo or DXchange)")->required()->check(CLI::ExistingFile);
  auto* connect = app.add_option("--connect", options.connect, "endpoint to connect the PUSH socket to");
  app.add_option("--bind", options.bind, "bind the PUSH socket here instead (for a daemon that connects)")
      ->excludes(connect);
  app.add_option("--rate", options.rate, "frames per second, 0 = as fast as possible")->check(CLI::NonNegativeNumber);
  app.add_option("--scan-id", options.scan_id, "scan id to send (default: the file's, or 1)");
  app.add_option("--name", options.name, "scan name to send (default: the file's title)");
  app.add_flag("--quiet", options.quiet, "no progress lines");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    return stream_file(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tomolive-replay: %s\n", e.what());
    return 1;
  }
}
