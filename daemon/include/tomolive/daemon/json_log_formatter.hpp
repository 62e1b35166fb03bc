// JsonLogFormatter: formats each log line as one JSON object on one line (--log-json), for machine ingestion:
//   {"time":"2026-12-07T04:03:38.123Z","level":"warn","event":"rejected","scan_id":12,"message":"...","count":1}
// time: ISO 8601, UTC, milliseconds; level: spdlog's name (trace, debug, info, warning, error, critical); event,
// scan_id, count: from log_event (current_log_event()); a line logged through spdlog directly has "event":"log",
// "scan_id":null and "count":1. message: the text without the "scan <id>: " prefix and the count note. Invalid
// UTF-8 in a message is replaced (U+FFFD), never dropped. Stateless.
#pragma once

#include <memory>

#include <spdlog/formatter.h>

namespace tomolive::daemon {

class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

}  // namespace tomolive::daemon
