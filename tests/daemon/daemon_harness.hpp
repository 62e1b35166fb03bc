// Test harness for a whole daemon in-process: a Daemon on ephemeral loopback ports, and the three kinds of peers
// a real deployment has (a detector pushing data, a subscriber, a control client), all speaking the public protocol.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "tomolive/daemon/daemon.hpp"
#include "tomolive/protocol/codec.hpp"
#include "tomolive/sim/scan_simulator.hpp"

namespace tomolive::testing {

using namespace std::chrono_literals;

// CPU engine, one worker thread, fast publishing, no status lines, every socket on 127.0.0.1 with an OS-chosen port.
daemon::DaemonConfig test_config();

// A detector: a PUSH socket connected to the daemon's data endpoint.
class DataSender {
 public:
  DataSender(zmq::context_t& context, const std::string& endpoint);
  // Sends the given parts as one multipart message.
  void send_parts(const std::vector<std::vector<std::byte>>& parts);
  void send(const protocol::Bytes& header) { send_parts({header}); }
  void send(const protocol::Bytes& header, std::span<const std::uint16_t> payload);
  // begin, every frame, end of a simulated scan.
  void stream(const sim::ScanSimulator& scan);

 private:
  zmq::socket_t socket_;
};

struct ReceivedSlice {
  protocol::SliceUpdate header;
  std::vector<float> values;
};

// A subscriber to everything the daemon publishes: one SUB socket connected to the slice and the event endpoints.
class Subscriber {
 public:
  Subscriber(zmq::context_t& context, const std::string& slices_endpoint, const std::string& events_endpoint);
  // Whether the ZeroMQ handshake (after which the SUB sends its subscription) completed with both endpoints within
  // `timeout`; learnt from a socket monitor, so it does not depend on how long the connections take.
  bool wait_handshakes(std::chrono::milliseconds timeout = 10s);
  // The first event (not yet returned) that satisfies `match`, waiting up to `timeout`.
  std::optional<protocol::Event> wait_event(const std::function<bool(const protocol::Event&)>& match,
                                            std::chrono::milliseconds timeout = 5s);
  std::optional<protocol::Event> wait_error(protocol::ErrorCode code, std::chrono::milliseconds timeout = 5s);
  // The newest slice of `kind` that satisfies `match`, waiting up to `timeout`.
  std::optional<ReceivedSlice> wait_slice(protocol::SliceKind kind,
                                          const std::function<bool(const protocol::SliceUpdate&)>& match,
                                          std::chrono::milliseconds timeout = 10s);

 private:
  // Receives one message (up to `timeout`) and files it; false on timeout.
  bool receive_one(std::chrono::milliseconds timeout);

  zmq::socket_t socket_;
  zmq::socket_t monitor_;  // PAIR receiving socket_'s handshake events until wait_handshakes() has seen both
  std::vector<protocol::Event> events_;
  std::map<protocol::SliceKind, ReceivedSlice> newest_;
};

// A control client (REQ).
class ControlClient {
 public:
  // token: sent with requests that change something (the daemon's --http-token; "" for none).
  ControlClient(zmq::context_t& context, const std::string& endpoint, std::string token = "");
  // Sends raw request bytes; returns the decoded reply (fails the test on timeout or an undecodable reply).
  protocol::Reply request_bytes(const protocol::Bytes& request, std::vector<float>* slice_values = nullptr);
  protocol::Reply request(const protocol::ControlRequest& request, std::vector<float>* slice_values = nullptr) {
    return request_bytes(protocol::encode(request), slice_values);
  }
  protocol::Status status();
  std::uint64_t counter(const std::string& name);
  std::uint64_t rejected(protocol::ErrorCode code);
  // Sends set_processing with the window already in use: it changes no setting, moves only counters that no test
  // pins (control_requests, events_published; a rejected data message would move `rejected`, which tests expect to
  // be 0) and makes the daemon publish a processing_changed event. Returns whether the daemon accepted it.
  bool republish_processing();

 private:
  zmq::socket_t socket_;
  std::string token_;
};

// A daemon with its three peers connected. The constructor returns once the subscriber is proven to receive what
// the daemon publishes (ZeroMQ's "slow joiner": a SUB misses what is published before its subscription arrives):
// both SUB handshakes completed, then a probe event (republish_processing) arrived. The probe's event is consumed.
class DaemonFixture {
 public:
  explicit DaemonFixture(daemon::DaemonConfig config = test_config());
  ~DaemonFixture();

  daemon::Daemon& daemon() { return *daemon_; }
  zmq::context_t& context() { return context_; }
  DataSender& sender() { return *sender_; }
  Subscriber& subscriber() { return *subscriber_; }
  ControlClient& control() { return *control_; }

 private:
  zmq::context_t context_;
  std::unique_ptr<daemon::Daemon> daemon_;
  std::unique_ptr<Subscriber> subscriber_;
  std::unique_ptr<DataSender> sender_;
  std::unique_ptr<ControlClient> control_;
};

// A small noisy Shepp-Logan scan without dead/hot pixels (64 columns, 8 rows, 90 projections over 180 degrees).
sim::ScanSpec small_scan_spec(std::uint64_t scan_id);

// Projections the store holds for a simulated scan: one turn for continuous rotation, else all.
std::uint32_t store_slots(const sim::ScanSpec& spec);

// The slices a CPU engine computes from the same frames, fed directly (no daemon, no sockets).
std::map<protocol::SliceKind, std::vector<float>> reference_slices(const sim::ScanSimulator& scan);

// Checks, once scan `spec.scan_id` has ended, that the daemon's three slices equal the reference engine's.
void expect_slices_match_reference(DaemonFixture& fixture, const sim::ScanSimulator& scan);

// Streams a valid scan to the fixture's daemon and checks, once it has ended, that all three slices (as get_slice
// returns them and as they were published) equal the reference engine's (the daemon lost nothing and mixed nothing
// up) and that the axial slice resembles the phantom.
void expect_scan_reconstructs(DaemonFixture& fixture, const sim::ScanSpec& spec);
void expect_scan_reconstructs(DaemonFixture& fixture, std::uint64_t scan_id);  // small_scan_spec(scan_id)

}  // namespace tomolive::testing
