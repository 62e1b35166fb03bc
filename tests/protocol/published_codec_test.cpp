// Published messages: slice headers and events.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "codec_test_support.hpp"

namespace tomolive::protocol {
namespace {

using namespace testing_support;

TEST(PublishedCodecTest, SliceOfEveryKindRoundTrips) {
  for (SliceKind kind : {SliceKind::xy, SliceKind::xz, SliceKind::yz}) {
    SliceUpdate slice = sample_slice();
    slice.slice = kind;
    const Expected<SliceUpdate> decoded = decode_slice_update(encode(slice));
    ASSERT_TRUE(IsOk(decoded));
    EXPECT_EQ(decoded.value(), slice);
  }
}

TEST(PublishedCodecTest, SliceHeaderCarriesTheDocumentedKeys) {
  const RawHeader header(encode(sample_slice()));
  EXPECT_EQ(header.keys(), (std::vector<std::string>{"v", "type", "scan_id", "slice", "position", "shape", "dtype",
                                                     "projections_included", "sequence", "center_offset_px",
                                                     "received_ns", "published_ns"}));
  EXPECT_EQ(header.raw("type"), packed(std::string("slice")));
  EXPECT_EQ(header.raw("dtype"), packed(std::string("float32")));
  EXPECT_EQ(header.raw("shape"), packed(std::vector<int>{4, 6}));
}

TEST(PublishedCodecTest, EventRoundTripsWithAndWithoutOptionalFields) {
  Event event = sample_error_event();
  Expected<Event> decoded = decode_event(encode(event));
  ASSERT_TRUE(IsOk(decoded));
  EXPECT_EQ(decoded.value(), event);

  event = Event{"scan_ended", 42, std::nullopt, std::nullopt, "scan 42 ended: 1 projection missing", 5};
  decoded = decode_event(encode(event));
  ASSERT_TRUE(IsOk(decoded));
  EXPECT_EQ(decoded.value(), event);

  event = Event{"error", std::nullopt, std::nullopt, Error{ErrorCode::malformed_header, "not msgpack"}, "", -1};
  decoded = decode_event(encode(event));
  ASSERT_TRUE(IsOk(decoded));
  EXPECT_EQ(decoded.value(), event);
}

TEST(PublishedCodecTest, EveryErrorCodeTravelsInAnEvent) {
  for (std::size_t i = 0; i < kErrorCodeCount; ++i) {
    Event event = sample_error_event();
    event.error->code = static_cast<ErrorCode>(i);
    const Expected<Event> decoded = decode_event(encode(event));
    ASSERT_TRUE(IsOk(decoded));
    EXPECT_EQ(decoded.value(), event);
  }
}

TEST(PublishedCodecTest, SliceFieldsOfTheWrongTypeAreNamed) {
  const RawHeader header(encode(sample_slice()));
  EXPECT_TRUE(IsError(decode_slice_update(RawHeader(header).set("slice", std::string("xx")).bytes()),
                      ErrorCode::wrong_field_type, {"\"slice\"", "\"xx\"", "xy, xz, yz or oblique"}));
  EXPECT_TRUE(IsError(decode_slice_update(RawHeader(header).set("position", std::string("1")).bytes()),
                      ErrorCode::wrong_field_type, {"\"position\"", "str \"1\""}));
  EXPECT_TRUE(IsError(decode_slice_update(RawHeader(header).set("published_ns", 1.5).bytes()),
                      ErrorCode::wrong_field_type, {"\"published_ns\"", "float64 1.5"}));
}

TEST(PublishedCodecTest, SliceMustBeFloat32) {
  const RawHeader header(encode(sample_slice()));
  EXPECT_TRUE(IsError(decode_slice_update(RawHeader(header).set("dtype", std::string("uint16")).bytes()),
                      ErrorCode::bad_dtype, {"\"dtype\"", "\"uint16\"", "float32"}));
  EXPECT_TRUE(IsError(decode_slice_update(RawHeader(header).set("dtype", std::string("f4")).bytes()),
                      ErrorCode::bad_dtype, {"\"f4\""}));
}

TEST(PublishedCodecTest, EventErrorMapIsChecked) {
  const RawHeader header(encode(sample_error_event()));
  const RawHeader error(header.raw("error"));
  EXPECT_TRUE(IsError(
      decode_event(
          RawHeader(header).set_raw("error", RawHeader(error).set("code", std::string("oops")).packed_map()).bytes()),
      ErrorCode::wrong_field_type, {"\"error.code\"", "\"oops\""}));
  EXPECT_TRUE(IsError(
      decode_event(RawHeader(header).set_raw("error", RawHeader(error).erase("message").packed_map()).bytes()),
      ErrorCode::missing_field, {"\"error.message\""}));
  EXPECT_TRUE(IsError(decode_event(RawHeader(header).set("error", std::string("size_mismatch")).bytes()),
                      ErrorCode::wrong_field_type, {"\"error\"", "expected a map"}));
}

TEST(PublishedCodecTest, DecodersAcceptOnlyTheirOwnType) {
  EXPECT_TRUE(IsError(decode_event(encode(sample_slice())), ErrorCode::unknown_type, {"\"slice\"", "event"}));
  EXPECT_TRUE(IsError(decode_slice_update(encode(sample_error_event())), ErrorCode::unknown_type, {"\"event\""}));
  EXPECT_TRUE(IsError(decode_data_header(encode(sample_slice())), ErrorCode::unknown_type, {"\"slice\""}));
}

}  // namespace
}  // namespace tomolive::protocol
