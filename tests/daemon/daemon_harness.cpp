#include "daemon_harness.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>

#include <gtest/gtest.h>

#include "tomolive/kernels/cpu_engine.hpp"
#include "tomolive/sim/truth.hpp"

namespace tomolive::testing {
namespace {

protocol::ByteView view(const zmq::message_t& message) {
  return {static_cast<const std::byte*>(message.data()), message.size()};
}

std::string text(const zmq::message_t& message) {
  return {static_cast<const char*>(message.data()), message.size()};
}

constexpr std::string_view kLoopback = "tcp://127.0.0.1:*";

// Pearson correlation of two images of equal size.
double correlation(std::span<const float> a, std::span<const float> b) {
  double mean_a = 0, mean_b = 0;
  for (std::size_t i = 0; i < a.size(); ++i) mean_a += a[i], mean_b += b[i];
  mean_a /= static_cast<double>(a.size());
  mean_b /= static_cast<double>(b.size());
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    ab += (a[i] - mean_a) * (b[i] - mean_b);
    aa += (a[i] - mean_a) * (a[i] - mean_a);
    bb += (b[i] - mean_b) * (b[i] - mean_b);
  }
  return ab / std::sqrt(aa * bb);
}

}  // namespace

daemon::DaemonConfig test_config() {
  daemon::DaemonConfig config;
  config.data_endpoints = {std::string(kLoopback)};
  config.slices_endpoint = std::string(kLoopback);
  config.events_endpoint = std::string(kLoopback);
  config.control_endpoint = std::string(kLoopback);
  config.engine.choice = daemon::EngineChoice::cpu;
  config.engine.cpu_threads = 1;
  config.engine.cpu_memory_limit_bytes = 256ull << 20;
  config.publish_hz = 100;
  config.status_interval_s = 0;
  config.http_port = 0;  // any free port: tests run in parallel
  return config;
}

// --- DataSender ---

DataSender::DataSender(zmq::context_t& context, const std::string& endpoint)
    : socket_(context, zmq::socket_type::push) {
  socket_.set(zmq::sockopt::linger, 2000);
  socket_.connect(endpoint);
}

void DataSender::send_parts(const std::vector<std::vector<std::byte>>& parts) {
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const bool last = i + 1 == parts.size();
    socket_.send(zmq::message_t(parts[i].data(), parts[i].size()),
                 last ? zmq::send_flags::none : zmq::send_flags::sndmore);
  }
}

void DataSender::send(const protocol::Bytes& header, std::span<const std::uint16_t> payload) {
  socket_.send(zmq::message_t(header.data(), header.size()), zmq::send_flags::sndmore);
  socket_.send(zmq::message_t(payload.data(), payload.size_bytes()), zmq::send_flags::none);
}

void DataSender::stream(const sim::ScanSimulator& scan) {
  send(protocol::encode(sim::make_scan_begin(scan.spec())));
  std::vector<std::uint16_t> pixels(scan.frame_pixels());
  for (std::size_t i = 0; i < scan.frame_count(); ++i) {
    scan.render(i, pixels);
    send(protocol::encode(scan.header(i)), pixels);
  }
  send(protocol::encode(sim::make_scan_end(scan.spec())));
}

// --- Subscriber ---

Subscriber::Subscriber(zmq::context_t& context, const std::string& slices_endpoint,
                       const std::string& events_endpoint)
    : socket_(context, zmq::socket_type::sub), monitor_(context, zmq::socket_type::pair) {
  socket_.set(zmq::sockopt::subscribe, "");
  socket_.set(zmq::sockopt::rcvhwm, 100000);
  // The monitor must exist before the connections, or their events are lost.
  const std::string monitor_endpoint =
      "inproc://subscriber-monitor-" + std::to_string(reinterpret_cast<std::uintptr_t>(this));
  if (zmq_socket_monitor(socket_.handle(), monitor_endpoint.c_str(), ZMQ_EVENT_HANDSHAKE_SUCCEEDED) != 0) {
    throw zmq::error_t();
  }
  monitor_.connect(monitor_endpoint);
  socket_.connect(slices_endpoint);
  socket_.connect(events_endpoint);
}

bool Subscriber::wait_handshakes(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int handshakes = 0;
  while (handshakes < 2) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    monitor_.set(zmq::sockopt::rcvtimeo, static_cast<int>(left.count()));
    zmq::message_t event;  // 2 bytes event id, 4 bytes value; then a part with the endpoint
    zmq::message_t endpoint;
    if (!monitor_.recv(event, zmq::recv_flags::none)) return false;
    (void)monitor_.recv(endpoint, zmq::recv_flags::none);
    std::uint16_t id = 0;
    std::memcpy(&id, event.data(), sizeof id);
    if (id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) ++handshakes;
  }
  zmq_socket_monitor(socket_.handle(), nullptr, 0);  // no further events: nothing reads them
  return true;
}

bool Subscriber::receive_one(std::chrono::milliseconds timeout) {
  socket_.set(zmq::sockopt::rcvtimeo, static_cast<int>(timeout.count()));
  zmq::message_t topic;
  if (!socket_.recv(topic, zmq::recv_flags::none)) return false;
  zmq::message_t header;
  EXPECT_TRUE(topic.more());
  (void)socket_.recv(header, zmq::recv_flags::none);
  if (text(topic) == protocol::kEventTopic) {
    auto event = protocol::decode_event(view(header));
    EXPECT_TRUE(event) << event.error().message;
    if (event) events_.push_back(std::move(event.value()));
  } else {
    EXPECT_EQ(text(topic), protocol::kSliceTopic);
    EXPECT_TRUE(header.more());
    zmq::message_t payload;
    (void)socket_.recv(payload, zmq::recv_flags::none);
    auto slice = protocol::decode_slice_update(view(header));
    EXPECT_TRUE(slice) << slice.error().message;
    if (slice) {
      EXPECT_EQ(payload.size(), std::size_t{slice->rows} * slice->cols * sizeof(float));
      const auto* values = static_cast<const float*>(payload.data());
      newest_[slice->slice] = ReceivedSlice{slice.value(), {values, values + payload.size() / sizeof(float)}};
    }
  }
  return true;
}

std::optional<protocol::Event> Subscriber::wait_event(const std::function<bool(const protocol::Event&)>& match,
                                                      std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto found = std::find_if(events_.begin(), events_.end(), match);
    if (found != events_.end()) {
      protocol::Event event = *found;
      events_.erase(found);
      return event;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !receive_one(left)) return std::nullopt;
  }
}

std::optional<protocol::Event> Subscriber::wait_error(protocol::ErrorCode code, std::chrono::milliseconds timeout) {
  return wait_event([code](const protocol::Event& e) { return e.kind == "error" && e.error && e.error->code == code; },
                    timeout);
}

std::optional<ReceivedSlice> Subscriber::wait_slice(protocol::SliceKind kind,
                                                    const std::function<bool(const protocol::SliceUpdate&)>& match,
                                                    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto found = newest_.find(kind);
    if (found != newest_.end() && match(found->second.header)) return found->second;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !receive_one(left)) return std::nullopt;
  }
}

// --- ControlClient ---

ControlClient::ControlClient(zmq::context_t& context, const std::string& endpoint, std::string token)
    : socket_(context, zmq::socket_type::req), token_(std::move(token)) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::rcvtimeo, 20000);
  socket_.connect(endpoint);
}

protocol::Reply ControlClient::request_bytes(const protocol::Bytes& request, std::vector<float>* slice_values) {
  socket_.send(zmq::message_t(request.data(), request.size()), zmq::send_flags::none);
  zmq::message_t reply;
  if (!socket_.recv(reply, zmq::recv_flags::none)) {
    ADD_FAILURE() << "no control reply within 20 s";
    return {};
  }
  if (reply.more()) {
    zmq::message_t payload;
    (void)socket_.recv(payload, zmq::recv_flags::none);
    if (slice_values) {
      const auto* values = static_cast<const float*>(payload.data());
      slice_values->assign(values, values + payload.size() / sizeof(float));
    }
  }
  auto decoded = protocol::decode_reply(view(reply));
  if (!decoded) {
    ADD_FAILURE() << "undecodable control reply: " << decoded.error().message;
    return {};
  }
  return decoded.value();
}

protocol::Status ControlClient::status() {
  const protocol::Reply reply = request(protocol::GetStatus{});
  EXPECT_TRUE(reply.ok());
  const auto* status = std::get_if<protocol::Status>(&reply.result);
  return status ? *status : protocol::Status{};
}

std::uint64_t ControlClient::counter(const std::string& name) {
  for (const auto& [key, value] : status().counters) {
    if (key == name) return value;
  }
  ADD_FAILURE() << "get_status has no counter " << name;
  return 0;
}

std::uint64_t ControlClient::rejected(protocol::ErrorCode code) {
  for (const auto& [key, value] : status().rejected_by_reason) {
    if (key == protocol::to_string(code)) return value;
  }
  return 0;
}

bool ControlClient::republish_processing() {
  protocol::SetProcessing unchanged;
  unchanged.window = status().processing.window;
  return request_bytes(protocol::encode(protocol::ControlRequest{unchanged}, token_)).ok();
}

// --- DaemonFixture ---

DaemonFixture::DaemonFixture(daemon::DaemonConfig config) : context_(1) {
  daemon_ = std::make_unique<daemon::Daemon>(config);
  subscriber_ = std::make_unique<Subscriber>(context_, daemon_->slices_endpoint(), daemon_->events_endpoint());
  sender_ = std::make_unique<DataSender>(context_, daemon_->data_endpoints().front());
  control_ = std::make_unique<ControlClient>(context_, daemon_->control_endpoint(), config.http_token);
  // The handshakes put the subscription on the wire; the probe event proves the events PUB has taken it. Slices are
  // republished with rising sequence numbers and tests wait for the newest, so the handshake suffices for them.
  if (!subscriber_->wait_handshakes()) {
    ADD_FAILURE() << "the subscriber's handshakes with the daemon did not complete within 10 s";
    return;
  }
  if (!control_->republish_processing()) {
    ADD_FAILURE() << "the daemon refused the subscriber probe (set_processing with the window in use)";
    return;
  }
  if (!subscriber_->wait_event([](const protocol::Event& e) { return e.kind == "processing_changed"; }, 20s)) {
    ADD_FAILURE() << "the subscriber received no event within 20 s";
  }
}

DaemonFixture::~DaemonFixture() {
  control_.reset();
  sender_.reset();
  subscriber_.reset();
  daemon_->stop();
}

// --- scans ---

sim::ScanSpec small_scan_spec(std::uint64_t scan_id) {
  sim::ScanSpec spec;
  spec.scan_id = scan_id;
  spec.name = "harness";
  spec.rows = 8;
  spec.cols = 64;
  spec.projections_per_turn = 90;
  spec.num_darks = 2;
  spec.num_flats = 2;
  spec.center_offset_px = 0.75;
  spec.seed = scan_id;
  spec.defects = false;  // a hot pixel's ring would dominate a 64-pixel slice; the e2e test covers defects
  return spec;
}

std::map<protocol::SliceKind, std::vector<float>> reference_slices(const sim::ScanSimulator& scan) {
  const sim::ScanSpec& spec = scan.spec();
  auto engine = kernels::make_cpu_engine({});
  const std::uint32_t slots = store_slots(spec);
  kernels::ScanGeometry geometry{spec.rows, spec.cols, slots, std::numbers::pi_v<float> / static_cast<float>(slots), {}, {}};
  kernels::ReconParams params;
  params.center_offset_px = static_cast<float>(spec.center_offset_px);
  params.slices.xy_row = spec.rows / 2;
  engine->begin_scan(geometry, params);
  std::vector<std::uint16_t> pixels(scan.frame_pixels());
  for (std::size_t i = 0; i < scan.frame_count(); ++i) {
    scan.render(i, pixels);
    const kernels::FrameView frame{pixels.data(), kernels::PixelType::uint16, spec.rows, spec.cols};
    const sim::FrameRef ref = scan.frame_at(i);
    switch (ref.kind) {
      case protocol::FrameKind::dark: engine->add_dark(frame); break;
      case protocol::FrameKind::flat: engine->add_flat(frame); break;
      case protocol::FrameKind::projection: {
        const auto k = static_cast<std::uint32_t>(ref.frame_id);
        engine->add_projection(k % slots, static_cast<float>(spec.angle_deg(k) * std::numbers::pi / 180.0), frame);
        break;
      }
    }
  }
  std::map<protocol::SliceKind, std::vector<float>> slices;
  const std::pair<protocol::SliceKind, kernels::Orthoslice> kinds[] = {
      {protocol::SliceKind::xy, kernels::Orthoslice::xy},
      {protocol::SliceKind::xz, kernels::Orthoslice::xz},
      {protocol::SliceKind::yz, kernels::Orthoslice::yz}};
  for (const auto& [kind, ortho] : kinds) {
    const auto [rows, cols] = engine->slice_shape(ortho);
    slices[kind].resize(std::size_t{rows} * cols);
    engine->copy_slice(ortho, slices[kind]);
  }
  return slices;
}

std::uint32_t store_slots(const sim::ScanSpec& spec) {
  return spec.turns > 1 ? spec.projections_per_turn : spec.num_projections();
}

void expect_scan_reconstructs(DaemonFixture& fixture, std::uint64_t scan_id) {
  expect_scan_reconstructs(fixture, small_scan_spec(scan_id));
}

void expect_scan_reconstructs(DaemonFixture& fixture, const sim::ScanSpec& spec) {
  SCOPED_TRACE("valid scan " + std::to_string(spec.scan_id));
  const sim::ScanSimulator scan(spec);
  fixture.sender().stream(scan);
  expect_slices_match_reference(fixture, scan);
}

void expect_slices_match_reference(DaemonFixture& fixture, const sim::ScanSimulator& scan) {
  const sim::ScanSpec& spec = scan.spec();
  const std::uint64_t scan_id = spec.scan_id;
  const auto ended = fixture.subscriber().wait_event(
      [&](const protocol::Event& e) { return e.kind == "scan_ended" && e.scan_id == scan_id; }, 20s);
  ASSERT_TRUE(ended) << "no scan_ended event for scan " << scan_id;
  const auto reference = reference_slices(scan);
  for (const auto kind : {protocol::SliceKind::xy, protocol::SliceKind::xz, protocol::SliceKind::yz}) {
    SCOPED_TRACE(std::string(protocol::to_string(kind)) + " slice");
    std::vector<float> served;
    const protocol::Reply reply = fixture.control().request(protocol::GetSlice{kind}, &served);
    ASSERT_TRUE(reply.ok());
    const auto& header = std::get<protocol::SliceUpdate>(reply.result);
    EXPECT_EQ(header.scan_id, scan_id);
    EXPECT_EQ(header.projections_included, store_slots(spec));
    const auto& expected = reference.at(kind);
    ASSERT_EQ(served.size(), expected.size());
    float peak = 0.f, worst = 0.f;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      peak = std::max(peak, std::abs(expected[i]));
      worst = std::max(worst, std::abs(served[i] - expected[i]));
    }
    EXPECT_LE(worst, 1e-5f * peak) << "the daemon's slice differs from the reference engine's";
    const auto published = fixture.subscriber().wait_slice(
        kind, [&](const protocol::SliceUpdate& h) { return h.sequence >= header.sequence; });
    ASSERT_TRUE(published) << "the final slice was not published";
    EXPECT_EQ(published->values, served);
  }
  const sim::Image truth = sim::truth_xy(scan.phantom(), scan.spec().rows, scan.spec().cols,
                                         scan.spec().rows / 2, 3);
  EXPECT_GT(correlation(reference.at(protocol::SliceKind::xy), truth.pixels), 0.8)
      << "the axial slice does not resemble the phantom";
}

}  // namespace tomolive::testing
