#include "tomolive/daemon/rdma_receiver.hpp"

#include <algorithm>
#include <array>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "tomolive/protocol/clock.hpp"
#include "tomolive/protocol/codec.hpp"
#include "tomolive/rdma/wire.hpp"

namespace tomolive::daemon {
namespace {

using protocol::Error;
using protocol::ErrorCode;
using rdma::WireError;

constexpr std::chrono::milliseconds kPollInterval{100};  // how often a stop request is noticed
constexpr std::chrono::milliseconds kAcceptTimeout{5000};
constexpr std::chrono::milliseconds kErrorGrace{200};  // how long an error message may take to leave before closing
constexpr std::size_t kSlotAlignment = 4096;            // slots start on page boundaries
constexpr std::uint32_t kMinMessageBytes = 256;
constexpr std::uint64_t kSendWorkBase = std::uint64_t{1} << 32;  // work ids of sends; receives are 0..n-1
constexpr std::size_t kErrorMessageBytes = 1024;

std::size_t round_up(std::size_t value, std::size_t multiple) { return (value + multiple - 1) / multiple * multiple; }

// Slots the engine released, on their way back to the sender; shared by the session and the frames it handed out,
// which may outlive it (the deleter of IngestItem::landed). Thread-safe.
class SlotReturns {
 public:
  explicit SlotReturns(rdma::Connection& connection) : connection_(&connection) {}
  void give_back(std::uint32_t slot) {
    std::lock_guard lock(mutex_);
    if (!connection_) return;
    released_.push_back(slot);
    connection_->wake();
  }
  std::vector<std::uint32_t> take() {
    std::lock_guard lock(mutex_);
    return std::exchange(released_, {});
  }
  void detach() {
    std::lock_guard lock(mutex_);
    connection_ = nullptr;
  }

 private:
  std::mutex mutex_;
  rdma::Connection* connection_;
  std::vector<std::uint32_t> released_;
};

// Why the connection ends.
struct Ending {
  WireError error = WireError::none;  // none: the sender disconnected or the daemon stops
  std::string message;
};

}  // namespace

class RdmaReceiver::Session {
 public:
  Session(std::unique_ptr<rdma::Connection> connection, const RdmaLimits& limits, FrameBufferPool::Allocator allocate,
          EngineInbox& inbox, EventReporter& reporter, DaemonCounters& counters)
      : connection_(std::move(connection)), limits_(limits), allocate_(std::move(allocate)), inbox_(inbox),
        reporter_(reporter), counters_(counters), peer_(connection_->peer_name()),
        returns_(std::make_shared<SlotReturns>(*connection_)) {}

  ~Session() {
    returns_->detach();
    // Regions go before the connection that registered them.
    slot_regions_.clear();
    receive_region_.reset();
    send_region_.reset();
    connection_.reset();
  }

  void serve(std::stop_token stop) {
    if (!negotiate()) return;
    std::optional<Ending> ending = run(stop);
    if (stop.stop_requested() && !ending) ending = Ending{WireError::shutting_down, "the daemon is stopping"};
    finish(*ending);
  }

 private:
  struct PendingFrame {
    std::uint32_t slot = 0;
    std::uint64_t sequence = 0;
    std::uint64_t payload_bytes = 0;
    std::uint64_t header_bytes = 0;
    std::optional<protocol::FrameHeader> header;  // nullopt: refused (reported), the slot is returned on arrival
    std::int64_t received_ns = 0;
  };

  // Checks the request, sets up the ring and the buffers, accepts; false (after rejecting) when refused.
  bool negotiate() {
    const auto request = rdma::decode_connect_parameters(connection_->request_parameters());
    if (!request || request->version != rdma::kWireVersion) {
      return refuse(WireError::version_mismatch,
                    request ? "RDMA wire version " + std::to_string(request->version) + "; this daemon speaks " +
                                  std::to_string(rdma::kWireVersion)
                            : std::string("connect request without tomolive parameters (magic TLRD)"));
    }
    if (request->slot_bytes == 0 || request->slot_bytes > limits_.max_slot_bytes) {
      return refuse(WireError::slot_size_refused, "slot of " + std::to_string(request->slot_bytes) +
                                                      " bytes asked; this daemon accepts 1.." +
                                                      std::to_string(limits_.max_slot_bytes) + " (--rdma-max-slot-mib)");
    }
    if (request->slot_count == 0 || request->slot_count > limits_.max_slots) {
      return refuse(WireError::slot_count_refused, std::to_string(request->slot_count) +
                                                       " slots asked; this daemon accepts 1.." +
                                                       std::to_string(limits_.max_slots) + " (--rdma-max-slots)");
    }
    if (request->message_bytes < kMinMessageBytes || request->message_bytes > limits_.max_message_bytes) {
      return refuse(WireError::message_size_refused,
                    "messages of " + std::to_string(request->message_bytes) + " bytes asked; this daemon accepts " +
                        std::to_string(kMinMessageBytes) + ".." + std::to_string(limits_.max_message_bytes));
    }
    slot_bytes_ = request->slot_bytes;
    message_bytes_ = request->message_bytes;
    const std::uint32_t slots = request->slot_count;
    const std::size_t stride = round_up(slot_bytes_, kSlotAlignment);
    try {
      ring_ = std::shared_ptr<HostBuffer>(allocate_(stride * slots));
      for (std::uint32_t slot = 0; slot < slots; ++slot) {
        slot_regions_.push_back(connection_->register_memory({ring_->data() + slot * stride, slot_bytes_}));
      }
      // Two receives per slot (a frame's message and its write) and a few for begin and end.
      receive_count_ = 2 * slots + 8;
      receive_memory_.resize(std::size_t{receive_count_} * message_bytes_);
      receive_region_ = connection_->register_memory(receive_memory_);
      send_buffer_bytes_ = std::max({rdma::ring_message_bytes(slots), rdma::credit_message_bytes(slots),
                                     kErrorMessageBytes});
      send_memory_.resize((std::size_t{slots} + 4) * send_buffer_bytes_);
      send_region_ = connection_->register_memory(send_memory_);
      for (std::uint32_t i = 0; i < slots + 4; ++i) free_sends_.push_back(i);
      for (std::uint32_t i = 0; i < receive_count_; ++i) post_receive(i);
    } catch (const std::exception& e) {
      return refuse(WireError::out_of_memory, "cannot set up a ring of " + std::to_string(slots) + " x " +
                                                  std::to_string(slot_bytes_) + " bytes: " + e.what());
    }
    busy_.assign(slots, false);
    try {
      connection_->accept(rdma::encode(rdma::AcceptParameters{rdma::kWireVersion, WireError::none, slot_bytes_,
                                                              slots, message_bytes_}),
                          kAcceptTimeout);
    } catch (const rdma::TransportError& e) {
      report(WireError::connection_error, std::string("accepting failed: ") + e.what());
      return false;
    }
    bump(counters_.rdma_connections);
    rdma::RingMessage ring{slot_bytes_, {}};
    for (const auto& region : slot_regions_) ring.slots.push_back({region->remote_address(), region->remote_key()});
    send(ring);
    spdlog::info("RDMA sender {} connected: {} slots of {} bytes", peer_, slots, slot_bytes_);
    return true;
  }

  bool refuse(WireError error, const std::string& message) {
    connection_->reject(rdma::encode(rdma::AcceptParameters{rdma::kWireVersion, error, limits_.max_slot_bytes,
                                                            limits_.max_slots, limits_.max_message_bytes}));
    bump(counters_.rdma_connections_refused);
    reporter_.reject(Error{ErrorCode::transport_error, "RDMA connection from " + peer_ + " refused (" +
                                                           std::string(rdma::to_string(error)) + "): " + message});
    return false;
  }

  // Serves completions until the connection ends; nullopt when stopped.
  std::optional<Ending> run(const std::stop_token& stop) {
    std::array<rdma::Completion, 32> completions;
    while (!stop.stop_requested()) {
      return_credits();
      const std::size_t n = connection_->poll(completions, kPollInterval);
      for (std::size_t i = 0; i < n; ++i) {
        if (auto ending = handle(completions[i])) return ending;
      }
      if (n == 0 && connection_->disconnected()) return Ending{};
    }
    return std::nullopt;
  }

  std::optional<Ending> handle(const rdma::Completion& completion) {
    using Op = rdma::Completion::Op;
    if (completion.status != rdma::WorkStatus::success) {
      if (completion.status == rdma::WorkStatus::flushed && connection_->disconnected()) return Ending{};
      return Ending{WireError::connection_error,
                    std::string("queue pair error: ") + rdma::to_string(completion.status)};
    }
    if (completion.op == Op::send) {
      free_sends_.push_back(static_cast<std::uint32_t>(completion.work_id - kSendWorkBase));
      return std::nullopt;
    }
    const auto receive = static_cast<std::uint32_t>(completion.work_id);
    std::optional<Ending> ending;
    if (completion.op == Op::receive_write_immediate) {
      ending = on_write(completion);
    } else {
      ending = on_message(std::span<const std::byte>(receive_memory_).subspan(
          std::size_t{receive} * message_bytes_, completion.byte_length));
    }
    if (!ending) post_receive(receive);
    return ending;
  }

  std::optional<Ending> on_message(std::span<const std::byte> bytes) {
    auto decoded = rdma::decode_message(bytes);
    if (const auto* problem = std::get_if<std::string>(&decoded)) return Ending{WireError::bad_message, *problem};
    auto& message = std::get<rdma::Message>(decoded);
    if (auto* header = std::get_if<rdma::HeaderMessage>(&message)) return on_header(header->header);
    if (auto* frame = std::get_if<rdma::FrameMessage>(&message)) return on_frame(*frame);
    if (const auto* error = std::get_if<rdma::ErrorMessage>(&message)) {
      report_peer_error(*error);
      return Ending{WireError::none, "the sender ended the connection"};
    }
    return Ending{WireError::bad_message, "a sender sends header, frame or error messages, not ring or credit"};
  }

  std::optional<Ending> on_header(std::span<const std::byte> header) {
    bump(counters_.messages_received);
    bump(counters_.bytes_received, header.size());
    auto decoded = protocol::decode_data_header(header);
    if (!decoded) {
      if (protocol::header_type(header) == "begin") bump(counters_.scans_refused);
      reporter_.reject(decoded.error());
      return std::nullopt;
    }
    if (std::holds_alternative<protocol::FrameHeader>(decoded.value())) {
      return Ending{WireError::bad_message, "a frame header came in a header message; frames come in frame messages"};
    }
    if (const auto* begin = std::get_if<protocol::ScanBegin>(&decoded.value())) {
      scan_ = begin->scan_id;
      frames_in_scan_ = 0;
    } else {
      scan_.reset();
    }
    IngestItem item;
    item.header = std::move(decoded.value());
    item.received_ns = protocol::unix_time_ns();
    inbox_.push_data(std::move(item));
    return std::nullopt;
  }

  std::optional<Ending> on_frame(rdma::FrameMessage& frame) {
    if (pending_) {
      return Ending{WireError::unexpected_write, "frame " + std::to_string(frame.sequence) +
                                                     " announced before the write of frame " +
                                                     std::to_string(pending_->sequence)};
    }
    if (frame.sequence != next_sequence_) {
      return Ending{WireError::sequence_gap, "frame sequence " + std::to_string(frame.sequence) + ", expected " +
                                                 std::to_string(next_sequence_)};
    }
    if (frame.slot >= busy_.size()) {
      return Ending{WireError::unexpected_write, "slot " + std::to_string(frame.slot) + " announced; the ring has " +
                                                     std::to_string(busy_.size())};
    }
    if (busy_[frame.slot]) {
      return Ending{WireError::slot_busy, "slot " + std::to_string(frame.slot) +
                                              " announced while the daemon still holds it (no credit returned yet)"};
    }
    if (frame.payload_bytes > slot_bytes_) {
      return Ending{WireError::frame_too_large, "frame of " + std::to_string(frame.payload_bytes) +
                                                    " bytes announced; a slot holds " + std::to_string(slot_bytes_)};
    }
    PendingFrame pending{frame.slot, frame.sequence, frame.payload_bytes, frame.header.size(), std::nullopt,
                         protocol::unix_time_ns()};
    auto decoded = protocol::decode_data_header(frame.header);
    if (!decoded) {
      reporter_.reject(decoded.error());
    } else if (auto* header = std::get_if<protocol::FrameHeader>(&decoded.value())) {
      if (auto error = protocol::check_frame_payload(*header, frame.payload_bytes)) {
        reporter_.reject(*error, header->scan_id, header->frame_id);
      } else {
        pending.header = *header;
      }
    } else {
      return Ending{WireError::bad_message, "a frame message carries a begin or end header"};
    }
    pending_ = std::move(pending);
    return std::nullopt;
  }

  std::optional<Ending> on_write(const rdma::Completion& completion) {
    const rdma::Immediate immediate = rdma::unpack_immediate(completion.immediate);
    if (!pending_) {
      return Ending{WireError::unexpected_write,
                    "a write into slot " + std::to_string(immediate.slot) + " that no frame message announced"};
    }
    const PendingFrame pending = std::move(*pending_);
    pending_.reset();
    if (immediate.slot != pending.slot) {
      return Ending{WireError::unexpected_write, "a write into slot " + std::to_string(immediate.slot) +
                                                     "; frame " + std::to_string(pending.sequence) +
                                                     " announced slot " + std::to_string(pending.slot)};
    }
    if (immediate.sequence_low != rdma::sequence_low(pending.sequence)) {
      return Ending{WireError::sequence_gap, "a write with sequence " + std::to_string(immediate.sequence_low) +
                                                 " (mod 2^20); frame " + std::to_string(pending.sequence) +
                                                 " was announced"};
    }
    if (completion.byte_length != pending.payload_bytes) {
      return Ending{WireError::unexpected_write, "a write of " + std::to_string(completion.byte_length) +
                                                     " bytes; frame " + std::to_string(pending.sequence) +
                                                     " announced " + std::to_string(pending.payload_bytes)};
    }
    ++next_sequence_;
    ++frames_in_scan_;
    bump(counters_.messages_received);
    bump(counters_.bytes_received, pending.header_bytes + pending.payload_bytes);
    if (!pending.header) {
      returned_.push_back(pending.slot);  // refused: the slot goes back at once
      return std::nullopt;
    }
    busy_[pending.slot] = true;
    IngestItem item;
    item.header = *pending.header;
    item.received_ns = pending.received_ns;
    const std::size_t stride = round_up(slot_bytes_, kSlotAlignment);
    std::byte* pixels = ring_->data() + std::size_t{pending.slot} * stride;
    item.landed = std::shared_ptr<const std::byte>(
        pixels, [returns = returns_, ring = ring_, slot = pending.slot](const std::byte*) { returns->give_back(slot); });
    inbox_.push_data(std::move(item));
    return std::nullopt;
  }

  // Sends a credit for every slot the engine released (and every refused frame's slot).
  void return_credits() {
    for (std::uint32_t slot : returns_->take()) {
      busy_[slot] = false;
      returned_.push_back(slot);
    }
    if (returned_.empty() || free_sends_.empty()) return;
    send(rdma::CreditMessage{std::exchange(returned_, {})});
  }

  void post_receive(std::uint32_t index) {
    connection_->post_receive(index, *receive_region_,
                              std::span<std::byte>(receive_memory_).subspan(std::size_t{index} * message_bytes_,
                                                                            message_bytes_));
  }

  // Posts a message in a free send buffer; false when none is free.
  bool send(const rdma::Message& message) {
    if (free_sends_.empty()) return false;
    const std::uint32_t index = free_sends_.back();
    free_sends_.pop_back();
    std::vector<std::byte> bytes = rdma::encode(message);
    bytes.resize(std::min(bytes.size(), send_buffer_bytes_));
    const auto buffer = std::span<std::byte>(send_memory_).subspan(std::size_t{index} * send_buffer_bytes_, bytes.size());
    std::copy(bytes.begin(), bytes.end(), buffer.begin());
    connection_->post_send(kSendWorkBase + index, *send_region_, buffer);
    return true;
  }

  void finish(const Ending& ending) {
    if (ending.error != WireError::none && ending.error != WireError::connection_error) {
      // Tell the sender why, and give the message a moment to leave before the connection closes.
      try {
        if (send(rdma::ErrorMessage{ending.error, ending.message})) {
          std::array<rdma::Completion, 8> completions;
          connection_->poll(completions, kErrorGrace);
        }
      } catch (const rdma::TransportError&) {
      }
    }
    if (ending.error == WireError::shutting_down) {
      spdlog::info("RDMA sender {}: closed, the daemon is stopping", peer_);
    } else if (ending.error != WireError::none) {
      report(ending.error, ending.message);
    } else {
      spdlog::info("RDMA sender {} disconnected", peer_);
    }
    if (scan_ && ending.error != WireError::shutting_down) {
      bump(counters_.rdma_senders_lost);
      reporter_.reject(Error{ErrorCode::transport_error,
                             "RDMA sender " + peer_ + " went away during scan " + std::to_string(*scan_) + " after " +
                                 std::to_string(frames_in_scan_) + " frames, without its end"},
                       *scan_);
    }
  }

  void report(WireError error, const std::string& message) {
    bump(counters_.rdma_connection_errors);
    reporter_.reject(Error{ErrorCode::transport_error, "RDMA connection from " + peer_ + " ended (" +
                                                           std::string(rdma::to_string(error)) + "): " + message},
                     scan_);
  }

  void report_peer_error(const rdma::ErrorMessage& error) {
    bump(counters_.rdma_connection_errors);
    reporter_.reject(Error{ErrorCode::transport_error, "RDMA sender " + peer_ + " ended the connection (" +
                                                           std::string(rdma::to_string(error.error)) +
                                                           "): " + error.message},
                     scan_);
  }

  std::unique_ptr<rdma::Connection> connection_;
  const RdmaLimits limits_;
  const FrameBufferPool::Allocator allocate_;
  EngineInbox& inbox_;
  EventReporter& reporter_;
  DaemonCounters& counters_;
  const std::string peer_;
  std::shared_ptr<SlotReturns> returns_;

  std::uint32_t slot_bytes_ = 0;
  std::uint32_t message_bytes_ = 0;
  std::uint32_t receive_count_ = 0;
  std::size_t send_buffer_bytes_ = 0;
  std::shared_ptr<HostBuffer> ring_;  // shared with the frames handed to the engine
  std::vector<std::unique_ptr<rdma::MemoryRegion>> slot_regions_;
  std::vector<std::byte> receive_memory_;
  std::unique_ptr<rdma::MemoryRegion> receive_region_;
  std::vector<std::byte> send_memory_;
  std::unique_ptr<rdma::MemoryRegion> send_region_;
  std::vector<std::uint32_t> free_sends_;
  std::vector<bool> busy_;                // slots held by the engine
  std::vector<std::uint32_t> returned_;   // slots to credit in the next credit message
  std::optional<PendingFrame> pending_;   // announced, its write not yet arrived
  std::uint64_t next_sequence_ = 0;
  std::optional<std::uint64_t> scan_;     // after a begin, until its end
  std::uint64_t frames_in_scan_ = 0;
};

RdmaReceiver::RdmaReceiver(std::unique_ptr<rdma::Connection> connection, const RdmaLimits& limits,
                           FrameBufferPool::Allocator allocate, EngineInbox& inbox, EventReporter& reporter,
                           DaemonCounters& counters)
    : session_(std::make_unique<Session>(std::move(connection), limits, std::move(allocate), inbox, reporter,
                                         counters)) {}

RdmaReceiver::~RdmaReceiver() = default;

void RdmaReceiver::serve(std::stop_token stop) { session_->serve(std::move(stop)); }

}  // namespace tomolive::daemon
