#include "send_command.hpp"

#include <ostream>
#include <stdexcept>

#include "payload_files.hpp"
#include "reply_json.hpp"
#include "reply_text.hpp"

namespace tomolive::ctl {

ExitStatus send_command(const Invocation& invocation, std::ostream& out, std::ostream& err) {
  const Connection& connection = invocation.connection;
  std::optional<Exchange> exchange;
  try {
    ControlClient client(connection);
    exchange = client.request(*invocation.request);
  } catch (const zmq::error_t& e) {
    err << "tomolive-ctl: cannot use " << connection.endpoint << ": " << e.what() << '\n';
    return ExitStatus::no_reply;
  } catch (const std::runtime_error& e) {
    err << "tomolive-ctl: " << e.what() << '\n';
    return ExitStatus::local_failure;
  }
  if (!exchange) {
    err << "tomolive-ctl: no reply from " << connection.endpoint << " within " << connection.timeout_ms
        << " ms (is tomolived running there? --control, --timeout-ms)\n";
    return ExitStatus::no_reply;
  }
  const auto decoded = protocol::decode_reply(exchange->reply);
  if (!decoded.ok()) {
    err << "tomolive-ctl: the reply cannot be read: " << decoded.error().message << '\n';
    return ExitStatus::local_failure;
  }
  const protocol::Reply& reply = decoded.value();
  try {
    if (invocation.json) {
      out << reply_json(exchange->reply) << '\n';
    } else if (reply.ok()) {
      print_result(out, reply);
    }
    if (!reply.ok()) {
      print_refusal(err, reply);
      return exit_status_of(reply.error);
    }
    if (const auto wrote = write_payload(reply, exchange->payload, invocation.out_path)) {
      (invocation.json ? err : out) << *wrote << '\n';  // stdout holds only JSON with --json
    }
  } catch (const std::exception& e) {
    err << "tomolive-ctl: " << e.what() << '\n';
    return ExitStatus::local_failure;
  }
  return ExitStatus::ok;
}

}  // namespace tomolive::ctl
