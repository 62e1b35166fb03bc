// Every fixture of make_fixtures.py (messages made by python3-cbor2, python3-bitshuffle, python3-lz4) decodes to
// what its .json says: the message fields, the pixels (through decode_pixels), or the refusal's code and reason;
// decoded with the DecodeOptions its .json gives (the Stream V2 channel).
#include <gtest/gtest.h>

#include <set>
#include <utility>

#include "fixture_support.hpp"
#include "tomolive/detector/detector_decoder.hpp"
#include "tomolive/detector/pixel_decoder.hpp"

namespace tomolive::detector {
namespace {

using testing_support::Fixture;
using testing_support::fixture_names;
using testing_support::load_fixture;

StreamFormat format_of(const Fixture& fixture) {
  return parse_stream_format(fixture.expect.at("format").get<std::string>()).value();
}

DecodeOptions options_of(const Fixture& fixture) {
  DecodeOptions options;
  if (fixture.expect.contains("decode_options")) {
    options.dectris_channel = fixture.expect.at("decode_options").at("dectris_channel").get<std::string>();
  }
  return options;
}

// A list of names the fixture gives under `key`; empty when it gives none.
std::vector<std::string> names_of(const nlohmann::json& expect, const char* key) {
  return expect.contains(key) ? expect.at(key).get<std::vector<std::string>>() : std::vector<std::string>{};
}

// Every refusal's message is short and valid UTF-8, whatever the sender put in the message.
constexpr std::size_t kLongestErrorMessage = 400;

void expect_error(const protocol::Error& error, const nlohmann::json& expect) {
  EXPECT_EQ(to_string(error.code), expect.at("code").get<std::string>()) << error.message;
  EXPECT_LE(error.message.size(), kLongestErrorMessage) << error.message;
  EXPECT_NO_THROW((void)nlohmann::json(error.message).dump()) << "not valid UTF-8: " << error.message;
  EXPECT_NE(error.message.find(expect.at("contains").get<std::string>()), std::string::npos)
      << "message: " << error.message << "\nexpected it to contain: " << expect.at("contains");
}

template <typename T>
void expect_optional(const nlohmann::json& expect, const char* key, const std::optional<T>& actual) {
  if (expect.contains(key)) {
    ASSERT_TRUE(actual.has_value()) << key;
    EXPECT_EQ(*actual, expect.at(key).get<T>()) << key;
  } else {
    EXPECT_FALSE(actual.has_value()) << key;
  }
}

void expect_mask(const nlohmann::json& expect, const std::optional<PixelMask>& mask) {
  if (!expect.contains("mask_rows")) {
    EXPECT_FALSE(mask.has_value());
    return;
  }
  ASSERT_TRUE(mask.has_value());
  EXPECT_EQ(mask->rows, expect.at("mask_rows").get<std::uint32_t>());
  EXPECT_EQ(mask->cols, expect.at("mask_cols").get<std::uint32_t>());
  ASSERT_EQ(mask->flags.size(), std::size_t{mask->rows} * mask->cols);
  std::set<std::pair<std::uint32_t, std::uint32_t>> masked, expected;
  for (std::uint32_t r = 0; r < mask->rows; ++r) {
    for (std::uint32_t c = 0; c < mask->cols; ++c) {
      if (mask->flags[std::size_t{r} * mask->cols + c] != 0) masked.emplace(r, c);
    }
  }
  for (const auto& rc : expect.at("masked")) {
    expected.emplace(rc.at(0).get<std::uint32_t>(), rc.at(1).get<std::uint32_t>());
  }
  EXPECT_EQ(masked, expected);
}

void expect_start(const Fixture& fixture, const SeriesStart& start) {
  const auto& expect = fixture.expect;
  EXPECT_EQ(start.series_id, expect.at("series_id").get<std::uint64_t>());
  EXPECT_EQ(start.series_unique_id, expect.at("series_unique_id").get<std::string>());
  expect_optional<std::uint64_t>(expect, "number_of_images", start.number_of_images);
  expect_optional<std::uint32_t>(expect, "image_rows", start.image_rows);
  expect_optional<std::uint32_t>(expect, "image_cols", start.image_cols);
  expect_optional<double>(expect, "omega_start_deg", start.omega_start_deg);
  expect_optional<double>(expect, "omega_increment_deg", start.omega_increment_deg);
  if (expect.contains("dtype")) {
    ASSERT_TRUE(start.dtype.has_value());
    EXPECT_EQ(protocol::to_string(*start.dtype), expect.at("dtype").get<std::string>());
  } else {
    EXPECT_FALSE(start.dtype.has_value());
  }
  EXPECT_EQ(start.user_data, expect.at("user_data"));
  expect_mask(expect, start.pixel_mask);
  EXPECT_EQ(start.channels, names_of(expect, "channels"));
  expect_optional<std::int64_t>(expect, "date_ns", start.date_ns);
}

bool points_into(protocol::ByteView inner, const std::vector<protocol::ByteView>& parts) {
  for (const auto& part : parts) {
    if (inner.data() >= part.data() && inner.data() + inner.size() <= part.data() + part.size()) return true;
  }
  return false;
}

void expect_image(const Fixture& fixture, const std::vector<protocol::ByteView>& parts, const SeriesImage& image) {
  const auto& expect = fixture.expect;
  EXPECT_EQ(image.series_id, expect.at("series_id").get<std::uint64_t>());
  EXPECT_EQ(image.image_id, expect.at("image_id").get<std::uint64_t>());
  EXPECT_EQ(image.image.rows, expect.at("rows").get<std::uint32_t>());
  EXPECT_EQ(image.image.cols, expect.at("cols").get<std::uint32_t>());
  EXPECT_EQ(protocol::to_string(image.image.dtype), expect.at("dtype").get<std::string>());
  EXPECT_EQ(to_string(image.image.compression), expect.at("compression").get<std::string>());
  EXPECT_EQ(image.shape_order_by_convention, expect.at("format") == "array");
  if (expect.at("user_data").is_null()) {
    EXPECT_TRUE(image.user_data.is_null()) << image.user_data.dump();
  } else {
    EXPECT_EQ(image.user_data, expect.at("user_data"));
  }
  EXPECT_EQ(image.channel, expect.value("channel", ""));
  EXPECT_EQ(image.channels, names_of(expect, "channels"));
  expect_optional<std::int64_t>(expect, "timestamp_ns", image.timestamp_ns);
  expect_optional<std::int64_t>(expect, "series_time_ns", image.series_time_ns);
  EXPECT_TRUE(points_into(image.image.bytes, parts)) << "the image bytes are copied, not a view into the message";
  ASSERT_TRUE(fixture.pixels.has_value());
  std::vector<std::byte> pixels(image.image.decoded_bytes());
  const auto error = decode_pixels(image.image, pixels);
  ASSERT_FALSE(error) << error->message;
  EXPECT_EQ(pixels, *fixture.pixels);
}

TEST(FixtureDecode, EveryFixtureDecodesAsItsJsonSays) {
  const auto names = fixture_names();
  ASSERT_GT(names.size(), 50u) << "fixtures missing from " << testing_support::fixture_dir();
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    const Fixture fixture = load_fixture(name);
    const auto parts = fixture.views();
    const auto kind = fixture.expect.at("kind").get<std::string>();
    const auto message = decode_message(format_of(fixture), parts, options_of(fixture));
    if (kind == "error") {
      ASSERT_FALSE(message.ok()) << "accepted";
      expect_error(message.error(), fixture.expect);
      continue;
    }
    ASSERT_TRUE(message.ok()) << message.error().message;
    EXPECT_EQ(detect_format(parts), format_of(fixture));
    const auto& value = message.value();
    if (fixture.expect.contains("ignored_keys")) {  // the keys this version does not read, in order (16.8)
      std::visit(
          [&](const auto& decoded) {
            if constexpr (requires { decoded.ignored_keys; }) {
              EXPECT_EQ(decoded.ignored_keys, names_of(fixture.expect, "ignored_keys"));
            } else {
              ADD_FAILURE() << "a message of this kind reports no ignored keys";
            }
          },
          value);
    }
    if (kind == "start") {
      ASSERT_TRUE(std::holds_alternative<SeriesStart>(value));
      expect_start(fixture, std::get<SeriesStart>(value));
    } else if (kind == "image") {
      ASSERT_TRUE(std::holds_alternative<SeriesImage>(value));
      expect_image(fixture, parts, std::get<SeriesImage>(value));
    } else if (kind == "end") {
      ASSERT_TRUE(std::holds_alternative<SeriesEnd>(value));
      EXPECT_EQ(std::get<SeriesEnd>(value).series_id, fixture.expect.at("series_id").get<std::uint64_t>());
    } else if (kind == "ignored") {
      ASSERT_TRUE(std::holds_alternative<Ignored>(value));
      EXPECT_FALSE(std::get<Ignored>(value).what.empty());
    } else if (kind == "pixel_error") {
      ASSERT_TRUE(std::holds_alternative<SeriesImage>(value));
      const auto& image = std::get<SeriesImage>(value).image;
      std::vector<std::byte> pixels(image.decoded_bytes());
      const auto error = decode_pixels(image, pixels);
      ASSERT_TRUE(error) << "lying pixel data accepted";
      expect_error(*error, fixture.expect);
    } else {
      FAIL() << "unknown fixture kind " << kind;
    }
  }
}

TEST(FixtureDecode, NativeIsNotDecodedHere) {
  const auto fixture = load_fixture("dectris2_end");
  const auto parts = fixture.views();
  const auto message = decode_message(StreamFormat::native, parts);
  ASSERT_FALSE(message.ok());
  EXPECT_EQ(message.error().code, protocol::ErrorCode::invalid_argument);
}

// A message in one format given to another format's decoder is refused, never misread.
TEST(FixtureDecode, WrongFormatIsRefused) {
  const auto v2 = load_fixture("dectris2_image_bslz4_uint16");
  const auto v1 = load_fixture("dectris1_image_bs16");
  const auto array = load_fixture("array_slowest_first");
  const auto v2_parts = v2.views(), v1_parts = v1.views(), array_parts = array.views();
  EXPECT_FALSE(decode_message(StreamFormat::dectris1, v2_parts).ok());
  EXPECT_FALSE(decode_message(StreamFormat::array, v2_parts).ok());
  EXPECT_FALSE(decode_message(StreamFormat::dectris2, v1_parts).ok());
  EXPECT_FALSE(decode_message(StreamFormat::array, v1_parts).ok());
  EXPECT_FALSE(decode_message(StreamFormat::dectris1, array_parts).ok());
  EXPECT_FALSE(decode_message(StreamFormat::dectris2, array_parts).ok());
}

}  // namespace
}  // namespace tomolive::detector
