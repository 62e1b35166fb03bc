// Format names and detect_format on each format's first part, native msgpack included.
#include <gtest/gtest.h>

#include <string>

#include "tomolive/detector/stream_format.hpp"
#include "tomolive/protocol/codec.hpp"

namespace tomolive::detector {
namespace {

std::vector<std::byte> bytes_of(std::string_view text) {
  const auto* p = reinterpret_cast<const std::byte*>(text.data());
  return {p, p + text.size()};
}

std::optional<StreamFormat> detect(const std::vector<std::vector<std::byte>>& parts) {
  std::vector<protocol::ByteView> views;
  for (const auto& part : parts) views.emplace_back(part.data(), part.size());
  return detect_format(views);
}

TEST(StreamFormat, NamesRoundTrip) {
  for (auto format : {StreamFormat::native, StreamFormat::dectris2, StreamFormat::dectris1, StreamFormat::array}) {
    EXPECT_EQ(parse_stream_format(to_string(format)), format);
  }
  EXPECT_EQ(to_string(StreamFormat::dectris2), "dectris2");
  EXPECT_EQ(to_string(StreamFormat::array), "array");
  EXPECT_FALSE(parse_stream_format("auto"));
  EXPECT_FALSE(parse_stream_format("DECTRIS2"));
}

TEST(StreamFormat, DetectsNativeMsgpack) {
  protocol::ScanEnd end;
  end.scan_id = 3;
  const auto header = protocol::encode(end);
  EXPECT_EQ(detect({header}), StreamFormat::native);
}

TEST(StreamFormat, DetectsStreamV2ByTheSelfDescribeTag) {
  EXPECT_EQ(detect({{std::byte{0xd9}, std::byte{0xd9}, std::byte{0xf7}, std::byte{0xa0}}}), StreamFormat::dectris2);
}

// A CBOR map without the tag is Stream V2 too: every well-formed map head (0xa0..0xbb, 0xbf); the reserved heads
// 0xbc..0xbe are not CBOR. (The untagged fixtures of make_fixtures.py are cbor2's own output.)
TEST(StreamFormat, DetectsStreamV2ByAnUntaggedCborMap) {
  EXPECT_EQ(detect({{std::byte{0xa1}, std::byte{0x61}, std::byte{0x61}, std::byte{0x01}}}), StreamFormat::dectris2);
  for (unsigned head = 0xa0; head <= 0xbf; ++head) {
    const bool well_formed = head <= 0xbb || head == 0xbf;
    EXPECT_EQ(detect({{static_cast<std::byte>(head), std::byte{0x00}}}),
              well_formed ? std::optional(StreamFormat::dectris2) : std::nullopt)
        << std::hex << head;
  }
}

TEST(StreamFormat, DetectsStreamV1ByEachHtype) {
  for (std::string htype : {"dheader-1.0", "dimage-1.0", "dimage_d-1.0", "dconfig-1.0", "dseries_end-1.0"}) {
    EXPECT_EQ(detect({bytes_of(R"( {"htype": ")" + htype + R"(", "series": 1})")}), StreamFormat::dectris1)
        << htype;
  }
}

TEST(StreamFormat, DetectsArrayInBothHtypeForms) {
  EXPECT_EQ(detect({bytes_of(R"({"htype": "array-1.0", "shape": [2, 3]})"), bytes_of("123456")}),
            StreamFormat::array);
  EXPECT_EQ(detect({bytes_of(R"({"htype": ["array-1.0"], "shape": [2, 3]})"), bytes_of("123456")}),
            StreamFormat::array);
}

TEST(StreamFormat, RecognisesNothingElse) {
  EXPECT_FALSE(detect({}));
  EXPECT_FALSE(detect({{}}));
  EXPECT_FALSE(detect({bytes_of(R"({"htype": "chunk-1.0"})")}));
  EXPECT_FALSE(detect({bytes_of(R"({"type": "image"})")}));
  EXPECT_FALSE(detect({bytes_of(R"(["array-1.0"])")}));
  EXPECT_FALSE(detect({bytes_of(R"({"htype": "array-1.0")")}));  // not JSON
  EXPECT_FALSE(detect({bytes_of("hello")}));
}

}  // namespace
}  // namespace tomolive::detector
