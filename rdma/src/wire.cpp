#include "tomolive/rdma/wire.hpp"

#include <cstring>
#include <type_traits>

namespace tomolive::rdma {
namespace {

// Little-endian writer and bounds-checked reader over bytes.
class Writer {
 public:
  explicit Writer(std::size_t reserve) { bytes_.reserve(reserve); }
  template <typename T>
  void put(T value) {
    static_assert(std::is_unsigned_v<T>);
    for (std::size_t i = 0; i < sizeof(T); ++i) bytes_.push_back(static_cast<std::byte>((value >> (8 * i)) & 0xFF));
  }
  void put_bytes(std::span<const std::byte> data) { bytes_.insert(bytes_.end(), data.begin(), data.end()); }
  std::vector<std::byte> take() { return std::move(bytes_); }

 private:
  std::vector<std::byte> bytes_;
};

class Reader {
 public:
  explicit Reader(std::span<const std::byte> bytes) : bytes_(bytes) {}
  template <typename T>
  std::optional<T> get() {
    if (bytes_.size() - offset_ < sizeof(T)) return std::nullopt;
    T value = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      value = static_cast<T>(value | (static_cast<T>(std::to_integer<std::uint8_t>(bytes_[offset_ + i])) << (8 * i)));
    }
    offset_ += sizeof(T);
    return value;
  }
  std::span<const std::byte> rest() const { return bytes_.subspan(offset_); }
  std::size_t remaining() const { return bytes_.size() - offset_; }

 private:
  std::span<const std::byte> bytes_;
  std::size_t offset_ = 0;
};

constexpr std::size_t kRingPrefix = 12, kRingSlot = 16, kHeaderPrefix = 4, kFramePrefix = 24, kCreditPrefix = 8,
                      kErrorPrefix = 8;

void put_kind(Writer& out, MessageKind kind) {
  out.put(static_cast<std::uint8_t>(kind));
  out.put(std::uint8_t{0});
  out.put(std::uint16_t{0});
}

std::vector<std::byte> encode_parameters(std::uint16_t version, std::uint16_t status, std::uint32_t slot_bytes,
                                         std::uint32_t slot_count, std::uint32_t message_bytes) {
  Writer out(kParametersBytes);
  out.put(kMagic);
  out.put(version);
  out.put(status);
  out.put(slot_bytes);
  out.put(slot_count);
  out.put(message_bytes);
  return out.take();
}

struct RawParameters {
  std::uint16_t version, status;
  std::uint32_t slot_bytes, slot_count, message_bytes;
};

std::optional<RawParameters> decode_parameters(std::span<const std::byte> bytes) {
  Reader in(bytes);
  if (in.get<std::uint32_t>() != kMagic) return std::nullopt;
  const auto version = in.get<std::uint16_t>();
  const auto status = in.get<std::uint16_t>();
  const auto slot_bytes = in.get<std::uint32_t>();
  const auto slot_count = in.get<std::uint32_t>();
  const auto message_bytes = in.get<std::uint32_t>();
  if (!message_bytes) return std::nullopt;
  return RawParameters{*version, *status, *slot_bytes, *slot_count, *message_bytes};
}

std::string short_message(std::string_view kind, std::size_t got, std::size_t needed) {
  return std::string(kind) + " message of " + std::to_string(got) + " bytes; its layout needs " +
         std::to_string(needed);
}

}  // namespace

std::string_view to_string(WireError error) {
  switch (error) {
    case WireError::none: return "none";
    case WireError::version_mismatch: return "version_mismatch";
    case WireError::slot_size_refused: return "slot_size_refused";
    case WireError::slot_count_refused: return "slot_count_refused";
    case WireError::message_size_refused: return "message_size_refused";
    case WireError::bad_message: return "bad_message";
    case WireError::frame_too_large: return "frame_too_large";
    case WireError::unexpected_write: return "unexpected_write";
    case WireError::sequence_gap: return "sequence_gap";
    case WireError::slot_busy: return "slot_busy";
    case WireError::connection_error: return "connection_error";
    case WireError::shutting_down: return "shutting_down";
    case WireError::out_of_memory: return "out_of_memory";
  }
  return "unknown";
}

std::vector<std::byte> encode(const ConnectParameters& p) {
  return encode_parameters(p.version, 0, p.slot_bytes, p.slot_count, p.message_bytes);
}

std::vector<std::byte> encode(const AcceptParameters& p) {
  return encode_parameters(p.version, static_cast<std::uint16_t>(p.status), p.slot_bytes, p.slot_count,
                           p.message_bytes);
}

std::optional<ConnectParameters> decode_connect_parameters(std::span<const std::byte> bytes) {
  const auto raw = decode_parameters(bytes);
  if (!raw) return std::nullopt;
  return ConnectParameters{raw->version, raw->slot_bytes, raw->slot_count, raw->message_bytes};
}

std::optional<AcceptParameters> decode_accept_parameters(std::span<const std::byte> bytes) {
  const auto raw = decode_parameters(bytes);
  if (!raw) return std::nullopt;
  return AcceptParameters{raw->version, static_cast<WireError>(raw->status), raw->slot_bytes, raw->slot_count,
                          raw->message_bytes};
}

std::uint32_t sequence_low(std::uint64_t sequence) {
  return static_cast<std::uint32_t>(sequence & ((1U << kSequenceBits) - 1));
}

std::uint32_t pack_immediate(std::uint32_t slot, std::uint64_t sequence) {
  return (slot << kSequenceBits) | sequence_low(sequence);
}

Immediate unpack_immediate(std::uint32_t immediate) {
  return {immediate >> kSequenceBits, immediate & ((1U << kSequenceBits) - 1)};
}

std::size_t ring_message_bytes(std::size_t slots) { return kRingPrefix + kRingSlot * slots; }
std::size_t credit_message_bytes(std::size_t slots) { return kCreditPrefix + 4 * slots; }
std::size_t frame_message_bytes(std::size_t header_bytes) { return kFramePrefix + header_bytes; }

std::vector<std::byte> encode(const Message& message) {
  struct Encoder {
    std::vector<std::byte> operator()(const RingMessage& m) const {
      Writer out(ring_message_bytes(m.slots.size()));
      put_kind(out, MessageKind::ring);
      out.put(m.slot_bytes);
      out.put(static_cast<std::uint32_t>(m.slots.size()));
      for (const RingMessage::Slot& slot : m.slots) {
        out.put(slot.address);
        out.put(slot.remote_key);
        out.put(std::uint32_t{0});
      }
      return out.take();
    }
    std::vector<std::byte> operator()(const HeaderMessage& m) const {
      Writer out(kHeaderPrefix + m.header.size());
      put_kind(out, MessageKind::header);
      out.put_bytes(m.header);
      return out.take();
    }
    std::vector<std::byte> operator()(const FrameMessage& m) const {
      Writer out(frame_message_bytes(m.header.size()));
      put_kind(out, MessageKind::frame);
      out.put(m.slot);
      out.put(m.sequence);
      out.put(m.payload_bytes);
      out.put_bytes(m.header);
      return out.take();
    }
    std::vector<std::byte> operator()(const CreditMessage& m) const {
      Writer out(credit_message_bytes(m.slots.size()));
      put_kind(out, MessageKind::credit);
      out.put(static_cast<std::uint32_t>(m.slots.size()));
      for (std::uint32_t slot : m.slots) out.put(slot);
      return out.take();
    }
    std::vector<std::byte> operator()(const ErrorMessage& m) const {
      Writer out(kErrorPrefix + m.message.size());
      out.put(static_cast<std::uint8_t>(MessageKind::error));
      out.put(std::uint8_t{0});
      out.put(static_cast<std::uint16_t>(m.error));
      out.put(static_cast<std::uint32_t>(m.message.size()));
      out.put_bytes(std::as_bytes(std::span(m.message)));
      return out.take();
    }
  };
  return std::visit(Encoder{}, message);
}

std::variant<Message, std::string> decode_message(std::span<const std::byte> bytes) {
  Reader in(bytes);
  const auto kind = in.get<std::uint8_t>();
  if (!kind) return std::string("empty message");
  (void)in.get<std::uint8_t>();
  const auto field = in.get<std::uint16_t>();  // reserved, or the error code
  switch (static_cast<MessageKind>(*kind)) {
    case MessageKind::ring: {
      const auto slot_bytes = in.get<std::uint32_t>();
      const auto count = in.get<std::uint32_t>();
      if (!count) return short_message("ring", bytes.size(), kRingPrefix);
      if (in.remaining() < kRingSlot * std::size_t{*count}) {
        return short_message("ring", bytes.size(), ring_message_bytes(*count));
      }
      RingMessage ring{*slot_bytes, {}};
      for (std::uint32_t i = 0; i < *count; ++i) {
        const auto address = in.get<std::uint64_t>();
        const auto key = in.get<std::uint32_t>();
        (void)in.get<std::uint32_t>();
        ring.slots.push_back({*address, *key});
      }
      return Message{std::move(ring)};
    }
    case MessageKind::header: {
      if (!field) return short_message("header", bytes.size(), kHeaderPrefix);
      const auto rest = in.rest();
      return Message{HeaderMessage{{rest.begin(), rest.end()}}};
    }
    case MessageKind::frame: {
      const auto slot = in.get<std::uint32_t>();
      const auto sequence = in.get<std::uint64_t>();
      const auto payload = in.get<std::uint64_t>();
      if (!payload) return short_message("frame", bytes.size(), kFramePrefix);
      const auto rest = in.rest();
      return Message{FrameMessage{*slot, *sequence, *payload, {rest.begin(), rest.end()}}};
    }
    case MessageKind::credit: {
      const auto count = in.get<std::uint32_t>();
      if (!count) return short_message("credit", bytes.size(), kCreditPrefix);
      if (in.remaining() < 4 * std::size_t{*count}) {
        return short_message("credit", bytes.size(), credit_message_bytes(*count));
      }
      CreditMessage credit;
      for (std::uint32_t i = 0; i < *count; ++i) credit.slots.push_back(*in.get<std::uint32_t>());
      return Message{std::move(credit)};
    }
    case MessageKind::error: {
      const auto length = in.get<std::uint32_t>();
      if (!length) return short_message("error", bytes.size(), kErrorPrefix);
      if (in.remaining() < *length) return short_message("error", bytes.size(), kErrorPrefix + *length);
      const auto text = in.rest().first(*length);
      return Message{ErrorMessage{static_cast<WireError>(*field),
                                  std::string(reinterpret_cast<const char*>(text.data()), text.size())}};
    }
  }
  return "unknown message kind " + std::to_string(*kind) + " (expected 1..5: ring, header, frame, credit, error)";
}

}  // namespace tomolive::rdma
