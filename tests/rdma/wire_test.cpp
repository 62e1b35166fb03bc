// The RDMA wire format (PROTOCOL.md "RDMA"): parameters, immediates and messages round-trip; the byte layout is the
// documented one; malformed bytes are refused with a reason.
#include <gtest/gtest.h>

#include "tomolive/rdma/wire.hpp"

namespace tomolive::rdma {
namespace {

std::uint32_t le32(const std::vector<std::byte>& bytes, std::size_t offset) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) value |= std::to_integer<std::uint32_t>(bytes[offset + i]) << (8 * i);
  return value;
}

TEST(RdmaWire, ConnectParametersHaveTheDocumentedLayout) {
  const ConnectParameters request{kWireVersion, 8u << 20, 16, 65536};
  const auto bytes = encode(request);
  ASSERT_EQ(bytes.size(), kParametersBytes);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(bytes.data()), 4), "TLRD");
  EXPECT_EQ(std::to_integer<int>(bytes[4]), 1);  // version
  EXPECT_EQ(le32(bytes, 8), 8u << 20);
  EXPECT_EQ(le32(bytes, 12), 16u);
  EXPECT_EQ(le32(bytes, 16), 65536u);
  EXPECT_EQ(decode_connect_parameters(bytes), request);
}

TEST(RdmaWire, AcceptParametersCarryTheRefusalAndTheLimits) {
  const AcceptParameters refused{kWireVersion, WireError::slot_size_refused, 1u << 20, 8, 4096};
  const auto decoded = decode_accept_parameters(encode(refused));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, refused);
  EXPECT_EQ(to_string(decoded->status), "slot_size_refused");
}

TEST(RdmaWire, ParametersWithoutTheMagicOrTooShortAreRefused) {
  auto bytes = encode(ConnectParameters{kWireVersion, 1, 1, 256});
  EXPECT_FALSE(decode_connect_parameters(std::span(bytes).first(12)));
  bytes[0] = std::byte{'X'};
  EXPECT_FALSE(decode_connect_parameters(bytes));
}

TEST(RdmaWire, ImmediateCarriesSlotAndLowSequenceBits) {
  const std::uint32_t immediate = pack_immediate(4095, (std::uint64_t{7} << 20) + 12345);
  const Immediate unpacked = unpack_immediate(immediate);
  EXPECT_EQ(unpacked.slot, 4095u);
  EXPECT_EQ(unpacked.sequence_low, 12345u);
  EXPECT_EQ(immediate, (4095u << 20) | 12345u);
}

TEST(RdmaWire, EveryMessageRoundTrips) {
  const std::vector<Message> messages = {
      RingMessage{4096, {{0x1000, 7}, {0x2000, 8}}},
      HeaderMessage{{std::byte{0x81}, std::byte{0xA1}}},
      FrameMessage{3, 99, 8192, {std::byte{0x80}}},
      CreditMessage{{1, 2, 5}},
      ErrorMessage{WireError::sequence_gap, "expected 5, got 7"},
  };
  for (const Message& message : messages) {
    const auto bytes = encode(message);
    const auto decoded = decode_message(bytes);
    ASSERT_TRUE(std::holds_alternative<Message>(decoded)) << std::get<std::string>(decoded);
    EXPECT_EQ(std::get<Message>(decoded), message);
  }
  EXPECT_EQ(encode(RingMessage{1, {{1, 1}, {2, 2}}}).size(), ring_message_bytes(2));
  EXPECT_EQ(encode(CreditMessage{{1, 2, 3}}).size(), credit_message_bytes(3));
  EXPECT_EQ(encode(FrameMessage{0, 0, 0, std::vector<std::byte>(10)}).size(), frame_message_bytes(10));
}

TEST(RdmaWire, MalformedMessagesAreNamed) {
  auto credit = encode(CreditMessage{{1, 2, 3}});
  const auto short_credit = decode_message(std::span(credit).first(credit.size() - 1));
  ASSERT_TRUE(std::holds_alternative<std::string>(short_credit));
  EXPECT_NE(std::get<std::string>(short_credit).find("credit message"), std::string::npos);
  const std::vector<std::byte> unknown{std::byte{9}, std::byte{0}, std::byte{0}, std::byte{0}};
  const auto decoded = decode_message(unknown);
  ASSERT_TRUE(std::holds_alternative<std::string>(decoded));
  EXPECT_NE(std::get<std::string>(decoded).find("unknown message kind 9"), std::string::npos);
  EXPECT_TRUE(std::holds_alternative<std::string>(decode_message({})));
}

}  // namespace
}  // namespace tomolive::rdma
