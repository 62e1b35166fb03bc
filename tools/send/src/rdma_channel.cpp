// The RDMA path of the sender library (PROTOCOL.md "RDMA"): one RC queue pair to the daemon; begin and end as
// header messages, each frame as a frame message followed by an RDMA WRITE WITH IMMEDIATE of its pixels into a free
// slot of the daemon's ring. A slot is used again only after the daemon's credit message gave it back.
#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <set>
#include <vector>

#include "channel.hpp"
#include "tomolive/rdma/wire.hpp"

namespace tomolive::send {
namespace {

constexpr std::chrono::milliseconds kPollSlice{100};
constexpr std::size_t kControlBytes = 4096;  // receive buffers: ring, credit and error messages
// Work ids: receives 0..n-1, message sends kSendBase + buffer, writes kWriteBase + ticket.
constexpr std::uint64_t kSendBase = std::uint64_t{1} << 40;
constexpr std::uint64_t kWriteBase = std::uint64_t{1} << 41;

class RdmaChannel : public Channel {
 public:
  RdmaChannel(std::unique_ptr<rdma::Connection> connection, const ResolvedOptions& options)
      : connection_(std::move(connection)), options_(options) {}

  ~RdmaChannel() override {
    registered_.clear();
    staging_region_.reset();
    send_region_.reset();
    receive_region_.reset();
    connection_.reset();
  }

  // Posts receives, connects, waits for the ring. The outcome says why not.
  Outcome connect() {
    const std::size_t control_bytes =
        std::max({kControlBytes, rdma::ring_message_bytes(options_.slot_count), rdma::credit_message_bytes(options_.slot_count)});
    receive_count_ = options_.slot_count + 8;
    control_bytes_ = control_bytes;
    receive_memory_.resize(receive_count_ * control_bytes);
    send_memory_.resize(std::size_t{options_.slot_count + 4} * options_.message_bytes);
    staging_.resize(std::size_t{options_.slot_count} * options_.slot_bytes);
    try {
      receive_region_ = connection_->register_memory(receive_memory_);
      send_region_ = connection_->register_memory(send_memory_);
      staging_region_ = connection_->register_memory(staging_);
      for (std::uint32_t i = 0; i < receive_count_; ++i) post_receive(i);
      for (std::uint32_t i = 0; i < options_.slot_count + 4; ++i) free_sends_.push_back(i);
      const auto result = connection_->connect(
          rdma::encode(rdma::ConnectParameters{rdma::kWireVersion, options_.slot_bytes, options_.slot_count,
                                               options_.message_bytes}),
          options_.connect_timeout);
      if (!result.accepted) return refused(result.reply);
    } catch (const rdma::TransportError& e) {
      const std::string what = e.what();
      return {what.starts_with("no RDMA device") ? TL_NO_DEVICE : TL_CONNECT_FAILED, what};
    }
    Outcome outcome = wait_for([&] { return !slots_.empty(); },
                               std::chrono::steady_clock::now() + options_.connect_timeout);
    if (outcome.status == TL_TIMED_OUT) return {TL_CONNECT_FAILED, "the daemon sent no ring after accepting"};
    return outcome;
  }

  Outcome send_header(std::span<const std::byte> header, Deadline deadline) override {
    if (Outcome outcome = settle(); !outcome) return outcome;
    const std::vector<std::byte> message = rdma::encode(rdma::HeaderMessage{{header.begin(), header.end()}});
    if (message.size() > options_.message_bytes) return too_large(message.size());
    if (Outcome outcome = wait_for([&] { return !free_sends_.empty(); }, deadline); !outcome) return outcome;
    post_message(message);
    return Outcome::ok();
  }

  Outcome send_frame(std::span<const std::byte> header, const FramePayload& payload, std::uint64_t ticket,
                     Deadline deadline) override {
    if (Outcome outcome = settle(); !outcome) return outcome;
    if (payload.bytes.size() > slot_bytes_) {
      return {TL_FRAME_TOO_LARGE, "frame of " + std::to_string(payload.bytes.size()) + " bytes; the daemon's slots hold " +
                                      std::to_string(slot_bytes_) + " (tl_options.slot_bytes at open)"};
    }
    if (rdma::frame_message_bytes(header.size()) > options_.message_bytes) {
      return too_large(rdma::frame_message_bytes(header.size()));
    }
    const rdma::MemoryRegion* source = staging_region_.get();
    if (payload.registered) {
      const auto found = registered_.find(*payload.registered);
      if (found == registered_.end()) return {TL_UNKNOWN_BUFFER, "buffer " + std::to_string(*payload.registered) + " is not registered"};
      source = found->second.get();
    }
    if (free_slots_.empty()) ++waits_;
    if (Outcome outcome = wait_for([&] { return !free_slots_.empty() && !free_sends_.empty(); }, deadline); !outcome) {
      if (outcome.status == TL_WOULD_BLOCK || outcome.status == TL_TIMED_OUT) {
        outcome.message = "no free slot: all " + std::to_string(slots_.size()) +
                          " slots of the daemon's ring are in flight and no credit came back" +
                          (outcome.status == TL_TIMED_OUT ? " before the timeout" : "");
      }
      return outcome;
    }
    const std::uint32_t slot = *free_slots_.begin();
    free_slots_.erase(free_slots_.begin());
    std::span<const std::byte> data = payload.bytes;
    if (!payload.registered) {
      const auto stage = std::span<std::byte>(staging_).subspan(std::size_t{slot} * options_.slot_bytes, data.size());
      std::memcpy(stage.data(), data.data(), data.size());
      data = stage;
    }
    post_message(rdma::encode(rdma::FrameMessage{slot, sequence_, data.size(), {header.begin(), header.end()}}));
    connection_->post_write_with_immediate(kWriteBase + ticket, *source, data,
                                           {slots_[slot].address, slots_[slot].remote_key},
                                           rdma::pack_immediate(slot, sequence_));
    ++sequence_;
    in_flight_.insert(ticket);
    return Outcome::ok();
  }

  Outcome register_buffer(std::span<std::byte> memory, std::uint32_t id) override {
    try {
      registered_[id] = connection_->register_memory(memory);
    } catch (const rdma::TransportError& e) {
      return {TL_INTERNAL, e.what()};
    }
    return Outcome::ok();
  }

  Outcome wait_released(std::optional<std::uint64_t> ticket, Deadline deadline) override {
    if (Outcome outcome = settle(); !outcome) return outcome;
    return wait_for([&] { return ticket ? !in_flight_.contains(*ticket) : in_flight_.empty(); }, deadline);
  }

  std::uint64_t backpressure_waits() const override { return waits_; }

 private:
  Outcome refused(const std::vector<std::byte>& reply) {
    const auto limits = rdma::decode_accept_parameters(reply);
    if (!limits) return {TL_REFUSED, "the daemon refused the connection without tomolive parameters"};
    return {TL_REFUSED, "the daemon refused the connection (" + std::string(rdma::to_string(limits->status)) +
                            "): asked " + std::to_string(options_.slot_count) + " slots of " +
                            std::to_string(options_.slot_bytes) + " bytes and messages of " +
                            std::to_string(options_.message_bytes) + " bytes, wire version " +
                            std::to_string(rdma::kWireVersion) + "; it accepts at most " +
                            std::to_string(limits->slot_count) + " slots of " + std::to_string(limits->slot_bytes) +
                            " bytes and messages of " + std::to_string(limits->message_bytes) + " bytes, version " +
                            std::to_string(limits->version)};
  }

  Outcome too_large(std::size_t bytes) const {
    return {TL_HEADER_TOO_LARGE, "a message of " + std::to_string(bytes) + " bytes; the connection's messages hold " +
                                     std::to_string(options_.message_bytes) + " (tl_options.message_bytes at open)"};
  }

  // Handles completions until `done()`, the deadline or a broken connection: TL_WOULD_BLOCK when the deadline had
  // already passed at the call (after handling the completions already there), TL_TIMED_OUT when it passed waiting.
  template <typename Done>
  Outcome wait_for(Done done, const Deadline& deadline) {
    const bool no_wait = deadline && *deadline <= std::chrono::steady_clock::now();
    bool polled = false;
    for (;;) {
      if (broken_) return *broken_;
      if (done()) return Outcome::ok();
      auto wait = kPollSlice;
      if (deadline) {
        wait = std::min(wait, std::max(std::chrono::milliseconds{0},
                                       std::chrono::duration_cast<std::chrono::milliseconds>(
                                           *deadline - std::chrono::steady_clock::now())));
        if (wait.count() == 0 && polled) {
          return {no_wait ? TL_WOULD_BLOCK : TL_TIMED_OUT, no_wait ? "no room now" : "no room before the timeout"};
        }
      }
      pump(wait);
      polled = true;
    }
  }

  // Handles the completions already there (credits, the daemon's error), without waiting.
  Outcome settle() {
    if (!broken_) pump(std::chrono::milliseconds{0});
    return broken_ ? *broken_ : Outcome::ok();
  }

  // Polls up to `wait` and handles what came.
  void pump(std::chrono::milliseconds wait) {
    std::array<rdma::Completion, 32> completions;
    const std::size_t n = connection_->poll(completions, wait);
    for (std::size_t i = 0; i < n && !broken_; ++i) handle(completions[i]);
    if (!broken_ && n == 0 && connection_->disconnected()) {
      broken_ = Outcome{TL_DISCONNECTED, "the daemon at " + connection_->peer_name() + " disconnected"};
    }
  }

  void handle(const rdma::Completion& completion) {
    if (completion.status != rdma::WorkStatus::success) {
      if (!broken_) {
        broken_ = Outcome{TL_DISCONNECTED, "the connection to " + connection_->peer_name() + " broke: " +
                                               rdma::to_string(completion.status) +
                                               (completion.status == rdma::WorkStatus::remote_access_error
                                                    ? " (a write outside the daemon's slot)"
                                                    : "")};
      }
      return;
    }
    switch (completion.op) {
      case rdma::Completion::Op::send:
        free_sends_.push_back(static_cast<std::uint32_t>(completion.work_id - kSendBase));
        return;
      case rdma::Completion::Op::write:
        in_flight_.erase(completion.work_id - kWriteBase);
        return;
      case rdma::Completion::Op::receive: {
        const auto index = static_cast<std::uint32_t>(completion.work_id);
        on_message(std::span<const std::byte>(receive_memory_).subspan(std::size_t{index} * control_bytes_,
                                                                       completion.byte_length));
        if (!broken_) post_receive(index);
        return;
      }
      case rdma::Completion::Op::receive_write_immediate:
        broken_ = Outcome{TL_RECEIVER_ERROR, "the daemon wrote into this sender's memory; it never should"};
        return;
    }
  }

  void on_message(std::span<const std::byte> bytes) {
    auto decoded = rdma::decode_message(bytes);
    if (const auto* problem = std::get_if<std::string>(&decoded)) {
      broken_ = Outcome{TL_RECEIVER_ERROR, "the daemon sent a malformed message: " + *problem};
      return;
    }
    auto& message = std::get<rdma::Message>(decoded);
    if (auto* ring = std::get_if<rdma::RingMessage>(&message)) {
      slots_ = ring->slots;
      slot_bytes_ = ring->slot_bytes;
      for (std::uint32_t slot = 0; slot < slots_.size(); ++slot) free_slots_.insert(slot);
    } else if (const auto* credit = std::get_if<rdma::CreditMessage>(&message)) {
      for (std::uint32_t slot : credit->slots) {
        if (slot < slots_.size()) free_slots_.insert(slot);
      }
    } else if (const auto* error = std::get_if<rdma::ErrorMessage>(&message)) {
      broken_ = Outcome{TL_RECEIVER_ERROR, "the daemon ended the connection (" + std::string(rdma::to_string(error->error)) +
                                               "): " + error->message};
    } else {
      broken_ = Outcome{TL_RECEIVER_ERROR, "the daemon sent a header or frame message; only senders do"};
    }
  }

  void post_receive(std::uint32_t index) {
    connection_->post_receive(index, *receive_region_,
                              std::span<std::byte>(receive_memory_).subspan(std::size_t{index} * control_bytes_,
                                                                            control_bytes_));
  }

  void post_message(const std::vector<std::byte>& message) {
    const std::uint32_t index = free_sends_.back();
    free_sends_.pop_back();
    const auto buffer =
        std::span<std::byte>(send_memory_).subspan(std::size_t{index} * options_.message_bytes, message.size());
    std::memcpy(buffer.data(), message.data(), message.size());
    connection_->post_send(kSendBase + index, *send_region_, buffer);
  }

  std::unique_ptr<rdma::Connection> connection_;
  const ResolvedOptions options_;
  std::uint32_t receive_count_ = 0;
  std::size_t control_bytes_ = 0;
  std::vector<std::byte> receive_memory_, send_memory_, staging_;
  std::unique_ptr<rdma::MemoryRegion> receive_region_, send_region_, staging_region_;
  std::map<std::uint32_t, std::unique_ptr<rdma::MemoryRegion>> registered_;
  std::vector<std::uint32_t> free_sends_;
  std::vector<rdma::RingMessage::Slot> slots_;
  std::uint32_t slot_bytes_ = 0;
  std::set<std::uint32_t> free_slots_;
  std::set<std::uint64_t> in_flight_;  // tickets whose write has not completed
  std::uint64_t sequence_ = 0;
  std::uint64_t waits_ = 0;
  std::optional<Outcome> broken_;
};

}  // namespace

std::unique_ptr<Channel> make_rdma_channel(rdma::Transport& transport, const std::string& host, std::uint16_t port,
                                           const ResolvedOptions& options, Outcome& outcome) {
  std::unique_ptr<rdma::Connection> connection;
  try {
    connection = transport.open(host, port, options.connect_timeout);
  } catch (const rdma::TransportError& e) {
    const std::string what = e.what();
    outcome = {what.starts_with("no RDMA device") ? TL_NO_DEVICE : TL_CONNECT_FAILED, what};
    return nullptr;
  }
  auto channel = std::make_unique<RdmaChannel>(std::move(connection), options);
  outcome = channel->connect();
  if (!outcome) return nullptr;
  return channel;
}

}  // namespace tomolive::send
