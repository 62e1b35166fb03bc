#include "tomolive/daemon/zmq_ingest.hpp"

#include <array>
#include <chrono>
#include <cstring>
#include <optional>
#include <tuple>
#include <vector>

#include <spdlog/spdlog.h>

#include "tomolive/daemon/thread_name.hpp"
#include "tomolive/protocol/clock.hpp"
#include "tomolive/protocol/codec.hpp"

namespace tomolive::daemon {
namespace {

using protocol::Error;
using protocol::ErrorCode;

constexpr std::chrono::milliseconds kPollInterval{100};  // how often the thread checks for a stop request
// How long a connecting socket waits to connect again after its server refused it (libzmq does not reconnect then).
constexpr std::chrono::seconds kReconnectAfterRefusal{1};

protocol::ByteView bytes_of(const zmq::message_t& message) {
  return {static_cast<const std::byte*>(message.data()), message.size()};
}

DetectorStream::Options detector_options(const ZmqIngest::Options& options) {
  DetectorStream::Options detector = options.detector;
  detector.keep_payload = options.keep_payload;
  return detector;
}

}  // namespace

ZmqIngest::ZmqIngest(zmq::context_t& context, const Options& options, const Sinks& sinks)
    : options_(options), socket_(context, zmq::socket_type::pull), inbox_(sinks.inbox), reporter_(sinks.reporter),
      counters_(sinks.counters), frame_buffers_(sinks.frame_buffers),
      detector_(DetectorStream::Sinks{sinks.inbox, sinks.reporter, sinks.counters, socket_counters_,
                                      sinks.frame_buffers, sinks.decoders, sinks.plans},
                detector_options(options)),
      handshakes_(context, socket_, options.endpoint, socket_counters_.handshake_failures,
                  sinks.counters.zmq_handshake_failures) {
  socket_.set(zmq::sockopt::rcvhwm, options.receive_hwm);
  socket_.set(zmq::sockopt::linger, 0);
  if (options.io_thread) socket_.set(zmq::sockopt::affinity, std::uint64_t{1} << *options.io_thread);
  if (options.connect) {
    if (options.curve_client) options.curve_client->apply(socket_);
    socket_.connect(options.endpoint);
    endpoint_ = options.endpoint;
  } else {
    options.security.apply(socket_);
    socket_.bind(options.endpoint);
    endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
  }
  thread_ = std::jthread([this, name = indexed_thread_name("data-recv", options.index)](std::stop_token stop) {
    name_this_thread(name);
    run(std::move(stop));
  });
}

ZmqIngest::~ZmqIngest() { stop(); }

void ZmqIngest::stop() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
  detector_.drain();  // the images received so far reach the inbox before it closes
}

protocol::DataSocketStatus ZmqIngest::status() const {
  const auto get = [](const std::atomic<std::uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  protocol::DataSocketStatus status;
  status.endpoint = endpoint_;
  status.connected = options_.connect;
  status.format_option = options_.format ? std::string(detector::to_string(*options_.format)) : "auto";
  if (const auto format = socket_counters_.format()) status.format = detector::to_string(*format);
  status.messages = get(socket_counters_.messages);
  status.bytes = get(socket_counters_.bytes);
  status.frames = get(socket_counters_.frames);
  status.rejected = get(socket_counters_.rejected);
  status.images_held = get(socket_counters_.images_held);
  status.handshake_failures = get(socket_counters_.handshake_failures);
  std::tie(status.dectris_channel, status.dectris_channels) = socket_counters_.dectris_channels();
  status.ignored_keys = socket_counters_.ignored_keys();
  status.curve = options_.connect ? options_.curve_client.has_value() : options_.security.curve.has_value();
  return status;
}

void ZmqIngest::run(std::stop_token stop) {
  std::array<zmq::pollitem_t, 2> items{zmq::pollitem_t{socket_.handle(), 0, ZMQ_POLLIN, 0},
                                        zmq::pollitem_t{handshakes_.events().handle(), 0, ZMQ_POLLIN, 0}};
  while (!stop.stop_requested()) {
    zmq::poll(items.data(), items.size(), kPollInterval);
    if ((items[1].revents & ZMQ_POLLIN) && handshakes_.read_events() > 0 && options_.connect && !reconnect_at_) {
      reconnect_at_ = std::chrono::steady_clock::now() + kReconnectAfterRefusal;
    }
    if (reconnect_at_ && std::chrono::steady_clock::now() >= *reconnect_at_) reconnect();
    if (!(items[0].revents & ZMQ_POLLIN)) {
      detector_.poll_plans();
      continue;
    }
    // Drain what is ready before polling again.
    for (;;) {
      zmq::message_t first;
      if (!socket_.recv(first, zmq::recv_flags::dontwait)) break;
      if (!receive_message(first)) return;
      if (stop.stop_requested()) return;
    }
  }
}

void ZmqIngest::reconnect() {
  reconnect_at_.reset();
  try {
    socket_.disconnect(options_.endpoint);
  } catch (const zmq::error_t&) {
    // ENOENT: libzmq has already forgotten the refused connection. Either way it is gone now.
  }
  try {
    socket_.connect(options_.endpoint);
  } catch (const zmq::error_t& e) {
    spdlog::error("data socket {}: connecting again failed: {}", options_.endpoint, e.what());
    reconnect_at_ = std::chrono::steady_clock::now() + kReconnectAfterRefusal;
  }
}

bool ZmqIngest::receive_message(zmq::message_t& first) {
  bump(counters_.messages_received);
  bump(socket_counters_.messages);
  std::uint64_t bytes = first.size();
  std::vector<zmq::message_t> parts;
  parts.reserve(2);
  bool more = first.more();
  parts.push_back(std::move(first));
  while (more) {
    zmq::message_t part;
    (void)socket_.recv(part, zmq::recv_flags::none);  // the rest of a multipart message is already here
    bytes += part.size();
    more = part.more();
    parts.push_back(std::move(part));
  }
  bump(counters_.bytes_received, bytes);
  bump(socket_counters_.bytes, bytes);
  const auto received_ns = protocol::unix_time_ns();

  std::optional<detector::StreamFormat> format = options_.format;
  if (!format) {
    std::vector<protocol::ByteView> views;
    views.reserve(parts.size());
    for (const zmq::message_t& part : parts) views.push_back(bytes_of(part));
    // What no format claims is refused by the native decoder, with its reason.
    format = detector::detect_format(views).value_or(detector::StreamFormat::native);
  }
  socket_counters_.count_message(*format, bytes);
  if (*format == detector::StreamFormat::native) return receive_native(parts, received_ns);
  detector_.receive(*format, std::move(parts), received_ns);
  return true;
}

bool ZmqIngest::receive_native(std::vector<zmq::message_t>& parts, std::int64_t received_ns) {
  const zmq::message_t& header = parts.front();
  zmq::message_t* payload = parts.size() == 2 ? &parts[1] : nullptr;
  if (parts.size() > 2) {
    refuse_undecoded(header, Error{ErrorCode::malformed_header,
                                   "message has " + std::to_string(parts.size()) +
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
      bump(socket_counters_.rejected);
      reporter_.reject(*error, frame->scan_id, frame->frame_id);
      return true;
    }
    if (frame_buffers_) {
      item.engine_copy = frame_buffers_->acquire(payload->size());
      std::memcpy(item.engine_copy.data(), payload->data(), payload->size());
      if (options_.keep_payload) item.payload = std::move(*payload);
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
    bump(socket_counters_.rejected);
    reporter_.reject(Error{ErrorCode::unexpected_payload,
                           std::string(is_begin ? "begin" : "end") + " carries a " + std::to_string(payload->size()) +
                               "-byte second part; only frames have a payload"},
                     scan_id);
    return true;
  }
  if (const auto* begin = std::get_if<protocol::ScanBegin>(&item.header)) prepare_frame_buffers(frame_buffers_, *begin);
  const bool frame = std::holds_alternative<protocol::FrameHeader>(item.header);
  if (!inbox_.push_data(std::move(item))) return false;
  if (frame) socket_counters_.count_frame(detector::StreamFormat::native);
  return true;
}

void ZmqIngest::refuse_undecoded(const zmq::message_t& header, const Error& error) {
  if (protocol::header_type(bytes_of(header)) == "begin") bump(counters_.scans_refused);
  bump(socket_counters_.rejected);
  reporter_.reject(error);
}

}  // namespace tomolive::daemon
