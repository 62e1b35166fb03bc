// ZmqIngest: one data socket. One thread owns a PULL socket (bound, or connected to a detector's bound PUSH),
// receives multipart messages and tells each one's format (detector::detect_format, or the one --data-format
// forces). Native messages: it decodes and validates each header and payload size, and hands valid messages to the
// EngineInbox with the payload moved, not copied. Detector streams (DECTRIS Stream V2/V1, array-1.0) go to the
// socket's DetectorStream, which translates them and decodes their pixels on the FrameDecodePool. Invalid messages are rejected through
// the EventReporter (counter, log, event) and the adapter keeps serving; a refused message whose header says it is a
// begin also counts in scans_refused (the engine worker counts the begins it refuses itself). Failed handshakes
// (a CURVE peer with other keys, either side refusing the other) are counted per socket and logged
// (HandshakeMonitor); a connecting socket that its server refused, which libzmq then gives up, connects again
// after a second. The thread never touches the engine.
#pragma once

#include <chrono>
#include <cstdint>
#include <stop_token>
#include <string>
#include <thread>

#include <zmq.hpp>

#include <memory>
#include <optional>
#include <vector>

#include "tomolive/daemon/counters.hpp"
#include "tomolive/daemon/data_socket_counters.hpp"
#include "tomolive/daemon/detector_stream.hpp"
#include "tomolive/daemon/engine_inbox.hpp"
#include "tomolive/daemon/event_reporter.hpp"
#include "tomolive/daemon/handshake_monitor.hpp"
#include "tomolive/daemon/socket_security.hpp"
#include "tomolive/detector/stream_format.hpp"

namespace tomolive::daemon {

class ZmqIngest {
 public:
  struct Options {
    std::string endpoint = "tcp://127.0.0.1:5555";
    std::size_t index = 0;     // the data socket's number among the daemon's, from 0: its thread is data-recv/<index>
    bool connect = false;      // connect to a detector's bound PUSH instead of binding
    int receive_hwm = 1000;    // ZMQ_RCVHWM, messages buffered in ZeroMQ before the sender blocks
    SocketSecurity security;   // applied before binding
    std::optional<CurveClientKeys> curve_client;  // applied before connecting; none: a plain connection
    std::optional<detector::StreamFormat> format;  // every message is taken as this; none: detected per message
    // The ZeroMQ I/O thread (an index below the context's io_threads, and below 64) that reads this socket's
    // connections from the kernel (ZMQ_AFFINITY). None: libzmq picks the least loaded one when the socket connects
    // or accepts, by loads that are updated asynchronously; sockets that connect one after another at start-up then
    // all land on the same thread (libzmq 4.3.4: the connections of 8 --data-connect sockets all on I/O thread 0),
    // which then copies every stream's bytes on one core. The daemon gives data socket k the thread k mod io_threads.
    std::optional<unsigned> io_thread;
    DetectorStream::Options detector;  // its keep_payload is this Options' keep_payload
    // Leave every frame's pixels, as recorded, in IngestItem::payload also when the engine's copy is in a frame
    // buffer: persistence (the Recorder, the CaptureRing) shares that message instead of copying on the engine
    // thread. Native frames: the message as received (moved, no copy). Detector frames: the decoded frame (in a
    // message of its own when decoded into a frame buffer, one copy on the decode pool).
    bool keep_payload = false;
  };
  // Where the socket's messages go. frame_buffers may be null; the rest outlive the ZmqIngest.
  struct Sinks {
    EngineInbox& inbox;
    EventReporter& reporter;
    DaemonCounters& counters;
    FrameBufferPool* frame_buffers;  // with it, frames are copied (or decoded) into its buffers (FrameBufferPool)
    FrameDecodePool& decoders;
    ScanPlanBoard& plans;
  };

  // Binds or connects at once; throws zmq::error_t if the endpoint is unusable (e.g. address in use).
  ZmqIngest(zmq::context_t& context, const Options& options, const Sinks& sinks);
  // Stops receiving and joins the thread. Messages already handed to the inbox stay there.
  ~ZmqIngest();
  ZmqIngest(const ZmqIngest&) = delete;
  ZmqIngest& operator=(const ZmqIngest&) = delete;

  void stop();
  // The endpoint as bound (with the port the OS chose for "tcp://*:0") or as connected.
  const std::string& endpoint() const { return endpoint_; }
  // This socket as get_status reports it.
  protocol::DataSocketStatus status() const;
  // This socket's counters, split by wire format among others (/metrics).
  const DataSocketCounters& counters() const { return socket_counters_; }

 private:
  void run(std::stop_token stop);
  // Receives the rest of a message whose first part is `first`; false if the inbox was closed.
  bool receive_message(zmq::message_t& first);
  // Handles a native message (1 or more parts); false if the inbox was closed.
  bool receive_native(std::vector<zmq::message_t>& parts, std::int64_t received_ns);
  // Connects the socket again (connect mode), after its server refused it.
  void reconnect();
  // Rejects a message refused before its header was decoded (or because it could not be).
  void refuse_undecoded(const zmq::message_t& header, const protocol::Error& error);

  const Options options_;
  zmq::socket_t socket_;
  std::string endpoint_;
  EngineInbox& inbox_;
  EventReporter& reporter_;
  DaemonCounters& counters_;
  FrameBufferPool* frame_buffers_;  // may be null
  DataSocketCounters socket_counters_;
  DetectorStream detector_;
  HandshakeMonitor handshakes_;  // watches socket_ from before it binds or connects
  std::optional<std::chrono::steady_clock::time_point> reconnect_at_;  // when to connect again; receive thread only
  std::jthread thread_;  // last member: started after everything it uses exists
};

}  // namespace tomolive::daemon
