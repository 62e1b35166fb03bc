// Regression (dectris2_fuzz, a timeout): user_data whose map keys are themselves maps, nested, used to be rendered
// as JSON text at each level, each level escaping the one below, so the work doubled per level. Such keys are now
// refused; text and integer keys are kept.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string_view>
#include <vector>

#include "tomolive/detector/detector_decoder.hpp"

namespace tomolive::detector {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

void append_text(std::vector<std::byte>& out, std::string_view text) {
  out.push_back(static_cast<std::byte>(0x60 + text.size()));  // CBOR text of fewer than 24 bytes
  for (char c : text) out.push_back(static_cast<std::byte>(c));
}

// A Stream V2 start message (self-describe tag, then a map) holding only "type": "start" and "user_data": `user`.
std::vector<std::byte> start_with_user_data(const std::vector<std::byte>& user) {
  std::vector<std::byte> out = bytes({0xd9, 0xd9, 0xf7, 0xa2});
  append_text(out, "type");
  append_text(out, "start");
  append_text(out, "user_data");
  out.insert(out.end(), user.begin(), user.end());
  return out;
}

protocol::Expected<DetectorMessage> decode(const std::vector<std::byte>& message) {
  const protocol::ByteView part(message.data(), message.size());
  return decode_message(StreamFormat::dectris2, std::span<const protocol::ByteView>(&part, 1));
}

TEST(Dectris2MapKeys, AMapUsedAsAKeyIsRefusedByName) {
  // user_data = {{1: 2}: 3}
  const auto decoded = decode(start_with_user_data(bytes({0xa1, 0xa1, 0x01, 0x02, 0x03})));
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, protocol::ErrorCode::wrong_field_type);
  EXPECT_NE(decoded.error().message.find("map keys must be text or integers"), std::string::npos)
      << decoded.error().message;
}

TEST(Dectris2MapKeys, DeeplyNestedMapKeysAreRefusedNotExpanded) {
  // {{{{...{1: 2}...}: 0}: 0}: 0}: 30 levels of a map whose only key is the map of the level below.
  constexpr int kLevels = 30;
  std::vector<std::byte> user;
  for (int i = 0; i < kLevels; ++i) user.push_back(std::byte{0xa1});
  user.push_back(std::byte{0x01});
  user.push_back(std::byte{0x02});
  for (int i = 0; i < kLevels; ++i) user.push_back(std::byte{0x00});
  const auto decoded = decode(start_with_user_data(user));
  ASSERT_FALSE(decoded);
  EXPECT_TRUE(decoded.error().code == protocol::ErrorCode::wrong_field_type ||
              decoded.error().code == protocol::ErrorCode::malformed_header)
      << decoded.error().message;
}

}  // namespace
}  // namespace tomolive::detector
