// The detector streams' times as the protocol's unit (nanoseconds since the Unix epoch, protocol/clock.hpp): RFC 3339
// dates (Stream V2 DateTime, tag 0; Stream V1 "data_collection_date") and rational seconds (Stream V2 Rational).
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tomolive::detector {

// "2026-12-07T10:00:00Z", "2026-12-07T11:00:00.123456+01:00" (RFC 3339: a date, 'T' or 't' or ' ', a time with up
// to 9 fraction digits kept (more are cut), then 'Z', 'z' or an offset ±HH:MM) as ns since the Unix epoch; nullopt
// when the text is not such a date or lies outside what int64 ns can hold (years 1678..2261).
std::optional<std::int64_t> parse_rfc3339_ns(std::string_view text);

// numerator / denominator seconds as ns, rounded toward zero; nullopt for a zero denominator or beyond int64 ns.
std::optional<std::int64_t> rational_seconds_ns(std::uint64_t numerator, std::uint64_t denominator);

}  // namespace tomolive::detector
