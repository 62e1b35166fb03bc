// The RDMA wire format of tomolive (PROTOCOL.md, "RDMA"): the connection parameters exchanged as private data of
// the connect request and its reply, the immediate value of a frame's write, and the small messages sent as SENDs.
// Every integer is little endian. Decoders never read past their input and return nullopt (or an error) for bytes
// that do not follow the layout. Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tomolive::rdma {

inline constexpr std::uint16_t kWireVersion = 1;
inline constexpr std::uint32_t kMagic = 0x44524C54;  // "TLRD" as little-endian bytes
inline constexpr std::uint32_t kMaxSlots = 4096;     // the immediate's slot field has 12 bits
inline constexpr std::uint32_t kSequenceBits = 20;   // the immediate's sequence field
inline constexpr std::size_t kParametersBytes = 20;  // private data of the request and of the reply

// Why a connection was refused or ended; the wire form is the number, to_string gives the name.
enum class WireError : std::uint16_t {
  none = 0,
  version_mismatch = 1,      // the request's magic or version is not this one
  slot_size_refused = 2,     // slot_bytes is 0 or above the receiver's limit
  slot_count_refused = 3,    // slot_count is 0 or above the receiver's limit
  message_size_refused = 4,  // message_bytes is below 256 or above the receiver's limit
  bad_message = 5,           // a SEND whose layout is wrong (short, unknown kind)
  frame_too_large = 6,       // a frame announced with more bytes than a slot holds
  unexpected_write = 7,      // a write that no frame announced, or into another slot than announced
  sequence_gap = 8,          // a frame whose sequence is not the previous one + 1
  slot_busy = 9,             // a frame into a slot the receiver has not given back yet
  connection_error = 10,     // the queue pair failed (a completion with an error)
  shutting_down = 11,        // the receiver is stopping
  out_of_memory = 12,        // the receiver could not allocate or register the ring
};
std::string_view to_string(WireError error);

// The sender's connect request: what ring it wants.
struct ConnectParameters {
  std::uint16_t version = kWireVersion;
  std::uint32_t slot_bytes = 0;     // the largest frame payload the sender will write, bytes
  std::uint32_t slot_count = 0;     // slots (= frames in flight) it asks for
  std::uint32_t message_bytes = 0;  // the largest SEND it will post (prefix + msgpack header), bytes
  bool operator==(const ConnectParameters&) const = default;
};
// The receiver's reply. Accepted: status none and the ring granted. Refused: status says why, and the sizes are the
// receiver's limits (what it would have accepted).
struct AcceptParameters {
  std::uint16_t version = kWireVersion;
  WireError status = WireError::none;
  std::uint32_t slot_bytes = 0;
  std::uint32_t slot_count = 0;
  std::uint32_t message_bytes = 0;
  bool operator==(const AcceptParameters&) const = default;
};
std::vector<std::byte> encode(const ConnectParameters& parameters);
std::vector<std::byte> encode(const AcceptParameters& parameters);
// nullopt when the bytes are too short or the magic is wrong (version is returned as found, for the caller to check).
std::optional<ConnectParameters> decode_connect_parameters(std::span<const std::byte> bytes);
std::optional<AcceptParameters> decode_accept_parameters(std::span<const std::byte> bytes);

// The immediate of a frame's write: slot in the top 12 bits, the low 20 bits of the frame sequence below.
std::uint32_t pack_immediate(std::uint32_t slot, std::uint64_t sequence);
struct Immediate {
  std::uint32_t slot = 0;
  std::uint32_t sequence_low = 0;  // sequence mod 2^20
};
Immediate unpack_immediate(std::uint32_t immediate);
std::uint32_t sequence_low(std::uint64_t sequence);

// --- messages (SENDs); each starts with a one-byte kind ---
enum class MessageKind : std::uint8_t { ring = 1, header = 2, frame = 3, credit = 4, error = 5 };

// Receiver -> sender, once, right after the connection is established: where each slot is.
struct RingMessage {
  struct Slot {
    std::uint64_t address = 0;
    std::uint32_t remote_key = 0;
    bool operator==(const Slot&) const = default;
  };
  std::uint32_t slot_bytes = 0;
  std::vector<Slot> slots;
  bool operator==(const RingMessage&) const = default;
};
// Sender -> receiver: a begin or end, as the native protocol's msgpack header.
struct HeaderMessage {
  std::vector<std::byte> header;
  bool operator==(const HeaderMessage&) const = default;
};
// Sender -> receiver: a frame's msgpack header; its payload_bytes follow as the next write, into `slot`, with
// immediate pack_immediate(slot, sequence).
struct FrameMessage {
  std::uint32_t slot = 0;
  std::uint64_t sequence = 0;  // 0 for the connection's first frame, then + 1 per frame
  std::uint64_t payload_bytes = 0;
  std::vector<std::byte> header;
  bool operator==(const FrameMessage&) const = default;
};
// Receiver -> sender: these slots are free again (the engine released their frames).
struct CreditMessage {
  std::vector<std::uint32_t> slots;
  bool operator==(const CreditMessage&) const = default;
};
// Either way: the connection is ending because of `error`; `message` says what was wrong (UTF-8).
struct ErrorMessage {
  WireError error = WireError::none;
  std::string message;
  bool operator==(const ErrorMessage&) const = default;
};
using Message = std::variant<RingMessage, HeaderMessage, FrameMessage, CreditMessage, ErrorMessage>;

std::vector<std::byte> encode(const Message& message);
// The bytes encode() produces for a ring of `slots` slots or a credit of `slots` slots; a frame or header message
// with a header of `header_bytes`.
std::size_t ring_message_bytes(std::size_t slots);
std::size_t credit_message_bytes(std::size_t slots);
std::size_t frame_message_bytes(std::size_t header_bytes);
// The message, or what is wrong with the bytes.
std::variant<Message, std::string> decode_message(std::span<const std::byte> bytes);

}  // namespace tomolive::rdma
