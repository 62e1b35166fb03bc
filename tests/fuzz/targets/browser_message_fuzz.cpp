// Fuzzes the parser of browsers' JSON text messages (PROTOCOL.md 14.2): any text, never a crash or an escaping
// exception; the reply or pong the daemon builds from the result serialises, whatever the input held (invalid UTF-8
// in a type or request_id included).
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "fuzz_require.hpp"
#include "tomolive/daemon/browser_messages.hpp"

using namespace tomolive::daemon;
using tomolive::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const ParsedBrowserMessage parsed = parse_browser_message(text);
  if (const auto* refusal = std::get_if<BrowserMessageError>(&parsed)) {
    const tomolive::protocol::Reply reply{refusal->command, refusal->error, std::monostate{}};
    require(!reply_json(reply, refusal->request_id).empty(), "a refusal serialises as a reply");
    return 0;
  }
  const auto& message = std::get<BrowserMessage>(parsed);
  if (const auto* ping = std::get_if<BrowserPing>(&message)) {
    require(!pong_json(ping->t, 0).empty(), "a ping's pong serialises");
  } else if (const auto* latency = std::get_if<BrowserLatency>(&message)) {
    require(latency->samples_us.size() <= BrowserLatency::kMaxSamples, "latency samples are bounded");
  } else if (const auto* control = std::get_if<BrowserControl>(&message)) {
    const tomolive::protocol::Reply reply{std::string(tomolive::protocol::command_name(control->request)),
                                          std::nullopt, std::monostate{}};
    require(!reply_json(reply, control->request_id).empty(), "a command's reply serialises");
  }
  return 0;
}
