// The detector streams' dates and rational times as ns since the Unix epoch (detector/src/date_time.hpp): the forms
// RFC 3339 allows, and refusal of everything else. The fixtures check the same against Python's datetime.
#include "date_time.hpp"

#include <gtest/gtest.h>

namespace tomolive::detector {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t k2026_12_07 = 1796601600;  // 2026-12-07T00:00:00Z, s (date -u -d 2026-12-07 +%s)

TEST(DateTime, ReadsRfc3339DatesInUtcWithFractionsAndOffsets) {
  EXPECT_EQ(parse_rfc3339_ns("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339_ns("2026-12-07T00:00:00Z"), k2026_12_07 * kSecond);
  EXPECT_EQ(parse_rfc3339_ns("2026-12-07t00:00:00z"), k2026_12_07 * kSecond);
  EXPECT_EQ(parse_rfc3339_ns("2026-12-07 00:00:00.5Z"), k2026_12_07 * kSecond + kSecond / 2);
  EXPECT_EQ(parse_rfc3339_ns("2026-12-07T01:30:00.000000001+01:30"), k2026_12_07 * kSecond + 1);
  EXPECT_EQ(parse_rfc3339_ns("2026-12-06T22:00:00-02:00"), k2026_12_07 * kSecond);
  // Digits past the nanosecond are cut, not rounded.
  EXPECT_EQ(parse_rfc3339_ns("2026-12-07T00:00:00.1234567899Z"), k2026_12_07 * kSecond + 123456789);
  EXPECT_EQ(parse_rfc3339_ns("1969-12-31T23:59:59Z"), -kSecond);
}

TEST(DateTime, RefusesWhatIsNotAnRfc3339Date) {
  for (const char* text : {"", "2026-12-07", "2026-12-07T10:00:00", "2026-13-07T10:00:00Z", "2026-02-30T10:00:00Z",
                           "2026-12-07T24:00:00Z", "2026-12-07T10:60:00Z", "2026-12-07T10:00:00.Z",
                           "2026-12-07T10:00:00+0100", "2026-12-07T10:00:00Z ", "2026/12/07T10:00:00Z",
                           "9999-12-31T00:00:00Z", "1066-10-14T09:00:00Z", "yesterday"}) {
    EXPECT_FALSE(parse_rfc3339_ns(text).has_value()) << text;
  }
}

TEST(DateTime, RationalSecondsBecomeNanoseconds) {
  EXPECT_EQ(rational_seconds_ns(150, 100000), 1'500'000);
  EXPECT_EQ(rational_seconds_ns(1, 3), 333'333'333);  // toward zero
  EXPECT_EQ(rational_seconds_ns(0, 7), 0);
  // A numerator whose product with 1e9 exceeds 64 bits, over a denominator that brings it back.
  EXPECT_EQ(rational_seconds_ns(18'000'000'000'000'000'000u, 100'000'000'000u), 180'000'000'000'000'000);
  EXPECT_FALSE(rational_seconds_ns(1, 0).has_value());
  EXPECT_FALSE(rational_seconds_ns(10'000'000'000u, 1).has_value());  // 317 years of ns: beyond int64
}

}  // namespace
}  // namespace tomolive::detector
