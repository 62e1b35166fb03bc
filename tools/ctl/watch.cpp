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

// One get_status: the reply, or nullopt when none came; `interrupted` when a signal (Ctrl-C) cut the wait short.
std::optional<Exchange> sample(ControlClient& client, bool& interrupted) {
  interrupted = false;
  try {
    return client.request(protocol::GetStatus{});
  } catch (const zmq::error_t& e) {
    if (e.num() != EINTR) throw;
    interrupted = true;  // QuitRequest's pipe holds the signal
    return std::nullopt;
  }
}

// Shows one reply with the rates since `previous`, which it then replaces. nullopt to go on; an exit status to stop
// with when the reply cannot be read or get_status was refused.
std::optional<ExitStatus> show(const Exchange& exchange, const WatchOptions& options,
                               std::optional<protocol::Status>& previous, std::ostream& out, std::ostream& err) {
  const auto decoded = protocol::decode_reply(exchange.reply);
  if (!decoded.ok()) {
    err << "tomolive-ctl: the reply cannot be read: " << decoded.error().message << '\n';
    return ExitStatus::local_failure;
  }
  const protocol::Reply& reply = decoded.value();
  if (options.json) out << reply_json(exchange.reply) << std::endl;
  if (!reply.ok()) {
    print_refusal(err, reply);
    return exit_status_of(reply.error);
  }
  const auto* status = std::get_if<protocol::Status>(&reply.result);
  if (status == nullptr) {
    err << "tomolive-ctl: get_status was answered without a status\n";
    return ExitStatus::local_failure;
  }
  const auto rates = previous ? rates_between(*previous, *status) : std::nullopt;
  const StatusRates* known_rates = rates ? &*rates : nullptr;
  if (options.redraw) {
    print_status(out, *status, {known_rates, false});
    out << std::flush;
  } else if (!options.json) {
    out << status_line(*status, known_rates) << std::endl;
  }
  previous = *status;
  return std::nullopt;
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
    bool interrupted = false;
    const auto exchange = sample(client, interrupted);
    if (interrupted && quit.wait(std::chrono::milliseconds(0))) break;
    if (options.redraw) {
      out << kClearScreen
          << fmt::format("tomolive-ctl watch {} every {} (q quits)\n\n", endpoint, duration_text(options.interval_s));
    }
    if (exchange) {
      if (const auto stop = show(*exchange, options, previous, out, err)) return *stop;
      last = ExitStatus::ok;
    } else {
      last = ExitStatus::no_reply;
      const std::string line = fmt::format("no reply from {} within {} ms", endpoint, client.connection().timeout_ms);
      (options.json ? err : out) << line << std::endl;  // JSON Lines hold replies only
    }
    if (options.count != 0 && taken + 1 == options.count) break;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next - std::chrono::steady_clock::now());
    if (quit.wait(std::max(left, std::chrono::milliseconds(0)))) break;
  }
  return last;
}

}  // namespace tomolive::ctl
