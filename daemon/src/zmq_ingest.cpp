#include "tomolive/daemon/zmq_ingest.hpp"

#include <chrono>
#include <cstring>
#include <optional>
#include <vector>

#include "tomolive/protocol/clock.hpp"
#include "tomolive/protocol/codec.hpp"

namespace tomolive::daemon {
namespace {

using protocol::Error;
using protocol::ErrorCode;

constexpr std::chrono::milliseconds kPollInterval{100};  // how often the thread checks for a stop request

protocol::ByteView bytes_of(const zmq::message_t& message) {
  return {static_cast<const std::byte*>(message.data()), message.size()};
}

}  // namespace

ZmqIngest::ZmqIngest(zmq::context_t& context, const Options& options, EngineInbox& inbox, EventReporter& reporter,
                     DaemonCounters& counters, FrameBufferPool* frame_buffers)
    : socket_(context, zmq::socket_type::pull), inbox_(inbox), reporter_(reporter), counters_(counters),
      frame_buffers_(frame_buffers),
      keep_payload_(options.keep_payload) {
  socket_.set(zmq::sockopt::rcvhwm, options.receive_hwm);
  socket_.set(zmq::sockopt::linger, 0);
  if (options.connect) {
    socket_.connect(options.endpoint);
    endpoint_ = options.endpoint;
  } else {
    options.security.apply(socket_);
    socket_.bind(options.endpoint);
    endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
  }
  thread_ = std::jthread([this](std::stop_token stop) { run(std::move(stop)); });
}

ZmqIngest::~ZmqIngest() { stop(); }

void ZmqIngest::stop() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

void ZmqIngest::run(std::stop_token stop) {
  zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
  while (!stop.stop_requested()) {
    if (zmq::poll(&item, 1, kPollInterval) == 0) continue;
    // Drain what is ready before polling again.
    for (;;) {
      zmq::message_t header;
      if (!socket_.recv(header, zmq::recv_flags::dontwait)) break;
      if (!receive_message(header)) return;
      if (stop.stop_requested()) return;
    }
  }
}

bool ZmqIngest::receive_message(zmq::message_t& header) {
  bump(counters_.messages_received);
  std::uint64_t bytes = header.size();
  std::optional<zmq::message_t> payload;
  std::size_t parts = 1;
  bool more = header.more();
  while (more) {
    zmq::message_t part;
    (void)socket_.recv(part, zmq::recv_flags::none);  // the rest of a multipart message is already here
    bytes += part.size();
    more = part.more();
    if (++parts == 2) payload = std::move(part);
  }
  bump(counters_.bytes_received, bytes);
  const auto received_ns = protocol::unix_time_ns();

  if (parts > 2) {
    refuse_undecoded(header, Error{ErrorCode::malformed_header,
                                   "message has " + std::to_string(parts) +
                                       " parts; a data message has 1 (begin, end) or 2 (header and payload of a "
                                       "frame)"});
    return true;
  }
  auto decoded = protocol::decode_data_header(bytes_of(header));
  if (!decoded) {
    refuse_undecoded(header, decoded.error());
    return true;
  }
  IngestItem item;
  item.header = std::move(decoded.value());
  item.received_ns = received_ns;
  if (const auto* frame = std::get_if<protocol::FrameHeader>(&item.header)) {
    const std::optional<std::size_t> payload_bytes =
        payload ? std::optional<std::size_t>(payload->size()) : std::nullopt;
    if (auto error = protocol::check_frame_payload(*frame, payload_bytes)) {
      reporter_.reject(*error, frame->scan_id, frame->frame_id);
      return true;
    }
    if (frame_buffers_) {
      item.engine_copy = frame_buffers_->acquire(payload->size());
      std::memcpy(item.engine_copy.data(), payload->data(), payload->size());
      if (keep_payload_) item.payload = std::move(*payload);
    } else if (reinterpret_cast<std::uintptr_t>(payload->data()) % protocol::itemsize(frame->dtype) != 0) {
      // Engines read pixels as their type: keep them aligned (ZeroMQ may place small payloads at any offset).
      item.payload = zmq::message_t(payload->data(), payload->size());  // a fresh, malloc-aligned copy
    } else {
      item.payload = std::move(*payload);
    }
  } else if (payload) {
    const bool is_begin = std::holds_alternative<protocol::ScanBegin>(item.header);
    const std::uint64_t scan_id = is_begin ? std::get<protocol::ScanBegin>(item.header).scan_id
                                           : std::get<protocol::ScanEnd>(item.header).scan_id;
    if (is_begin) bump(counters_.scans_refused);
    reporter_.reject(Error{ErrorCode::unexpected_payload,
                           std::string(is_begin ? "begin" : "end") + " carries a " + std::to_string(payload->size()) +
                               "-byte second part; only frames have a payload"},
                     scan_id);
    return true;
  }
  return inbox_.push_data(std::move(item));
}

void ZmqIngest::refuse_undecoded(const zmq::message_t& header, const Error& error) {
  if (protocol::header_type(bytes_of(header)) == "begin") bump(counters_.scans_refused);
  reporter_.reject(error);
}

}  // namespace tomolive::daemon
