// ZmqIngest: the native-protocol ZeroMQ ingest adapter. One thread owns a PULL socket (bound, or connected to a
// detector's bound PUSH), receives multipart messages, decodes and validates each header and payload size, and
// hands valid messages to the EngineInbox with the payload moved, not copied. Invalid messages are rejected through
// the EventReporter (counter, log, event) and the adapter keeps serving; a refused message whose header says it is a
// begin also counts in scans_refused (the engine worker counts the begins it refuses itself). The thread never
// touches the engine.
#pragma once

#include <cstdint>
#include <stop_token>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "tomolive/daemon/counters.hpp"
#include "tomolive/daemon/engine_inbox.hpp"
#include "tomolive/daemon/event_reporter.hpp"
#include "tomolive/daemon/socket_security.hpp"

namespace tomolive::daemon {

class ZmqIngest {
 public:
  struct Options {
    std::string endpoint = "tcp://127.0.0.1:5555";
    bool connect = false;      // connect to a detector's bound PUSH instead of binding
    int receive_hwm = 1000;    // ZMQ_RCVHWM, messages buffered in ZeroMQ before the sender blocks
    SocketSecurity security;   // applied before binding (a connecting socket stays plain)
    // Keep the received message in IngestItem::payload also when its pixels were copied into a frame buffer:
    // persistence (the Recorder) takes the message as it arrived, without another copy.
    bool keep_payload = false;
  };

  // Binds or connects at once; throws zmq::error_t if the endpoint is unusable (e.g. address in use).
  // With `frame_buffers`, frame payloads are copied into its buffers on this thread (see FrameBufferPool).
  ZmqIngest(zmq::context_t& context, const Options& options, EngineInbox& inbox, EventReporter& reporter,
            DaemonCounters& counters, FrameBufferPool* frame_buffers);
  // Stops receiving and joins the thread. Messages already handed to the inbox stay there.
  ~ZmqIngest();
  ZmqIngest(const ZmqIngest&) = delete;
  ZmqIngest& operator=(const ZmqIngest&) = delete;

  void stop();
  // The endpoint as bound (with the port the OS chose for "tcp://*:0") or as connected.
  const std::string& endpoint() const { return endpoint_; }

 private:
  void run(std::stop_token stop);
  // Receives the rest of a message whose first part is `header`; false if the inbox was closed.
  bool receive_message(zmq::message_t& header);
  // Rejects a message refused before its header was decoded (or because it could not be).
  void refuse_undecoded(const zmq::message_t& header, const protocol::Error& error);

  zmq::socket_t socket_;
  std::string endpoint_;
  EngineInbox& inbox_;
  EventReporter& reporter_;
  DaemonCounters& counters_;
  FrameBufferPool* frame_buffers_;  // may be null
  const bool keep_payload_;
  std::jthread thread_;  // last member: started after everything it uses exists
};

}  // namespace tomolive::daemon
