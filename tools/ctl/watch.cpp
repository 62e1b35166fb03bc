#include "watch.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <optional>
#include <ostream>

#include <spdlog/fmt/fmt.h>

#include "quantity_text.hpp"
#include "quit_request.hpp"
#include "reply_json.hpp"
#include "reply_text.hpp"
#include "status_text.hpp"

namespace tomolive::ctl {
namespace {

constexpr std::string_view kClearScreen = "\x1b[H\x1b[2J";

// One get_status: the reply, or nullopt when none came (or the wait was interrupted by a signal).
std::optional<Exchange> sample(ControlClient& client) {
  try {
    return client.request(protocol::GetStatus{});
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) return std::nullopt;  // Ctrl-C during the wait: QuitRequest has it
    throw;
  }
}

}  // namespace

ExitStatus run_watch(ControlClient& client, const WatchOptions& options, std::ostream& out, std::ostream& err) {
  QuitRequest quit;
  const auto interval = std::chrono::milliseconds(static_cast<std::int64_t>(options.interval_s * 1000.0));
  const std::string& endpoint = client.connection().endpoint;
  std::optional<protocol::Status> previous;
  ExitStatus last = ExitStatus::ok;
  for (std::uint64_t taken = 0; options.count == 0 || taken < options.count; ++taken) {
    const auto next = std::chrono::steady_clock::now() + interval;
    const auto exchange = sample(client);
    if (options.redraw) out << kClearScreen << fmt::format("tomolive-ctl watch {} every {} (q quits)\n\n", endpoint,
                                                           duration_text(options.interval_s));
    if (!exchange) {
      last = ExitStatus::no_reply;
      const std::string line = fmt::format("no reply from {} within {} ms", endpoint, client.connection().timeout_ms);
      (options.json ? err : out) << line << std::endl;  // JSON Lines hold replies only
    } else {
      const auto reply = protocol::decode_reply(exchange->reply);
      if (!reply.ok()) {
        err << "tomolive-ctl: the reply cannot be read: " << reply.error().message << '\n';
        return ExitStatus::local_failure;
      }
      if (!reply.value().ok()) {
        print_refusal(err, reply.value());
        return exit_status_of(reply.value().error);
      }
      const auto* status = std::get_if<protocol::Status>(&reply.value().result);
      if (status == nullptr) {
        err << "tomolive-ctl: get_status was answered without a status\n";
        return ExitStatus::local_failure;
      }
      const auto rates = previous ? rates_between(*previous, *status) : std::nullopt;
      const StatusRates* known_rates = rates ? &*rates : nullptr;
      if (options.json) {
        out << reply_json(exchange->reply) << std::endl;
      } else if (options.redraw) {
        print_status(out, *status, {known_rates, false});
        out << std::flush;
      } else {
        out << status_line(*status, known_rates) << std::endl;
      }
      previous = *status;
      last = ExitStatus::ok;
    }
    if (options.count != 0 && taken + 1 == options.count) break;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next - std::chrono::steady_clock::now());
    if (quit.wait(std::max(left, std::chrono::milliseconds(0)))) break;
  }
  return last;
}

}  // namespace tomolive::ctl
