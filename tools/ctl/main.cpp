// tomolive-ctl: the operator's client of a running tomolived. Each subcommand sends one control command over the
// daemon's REQ/REP control socket (PROTOCOL.md 10) and prints the reply as text (--json: as the daemon sent it);
// `watch` shows the status live; `keygen` makes CURVE key pairs; `completion` prints a shell completion script.
// Exit status by class of failure: exit_status.hpp (and the man page, docs/man/tomolive-ctl.1).
#include <iostream>

#include <unistd.h>

#include "command_line.hpp"
#include "completion.hpp"
#include "key_pair.hpp"
#include "send_command.hpp"
#include "text_table.hpp"
#include "watch.hpp"

namespace {

using namespace tomolive::ctl;

ExitStatus watch(const Invocation& invocation) {
  WatchOptions options = invocation.watch;
  options.redraw = !options.json && isatty(STDOUT_FILENO) == 1;
  try {
    ControlClient client(invocation.connection);
    return run_watch(client, options, std::cout, std::cerr);
  } catch (const zmq::error_t& e) {
    std::cerr << "tomolive-ctl: cannot use " << invocation.connection.endpoint << ": " << e.what() << '\n';
    return ExitStatus::no_reply;
  } catch (const std::exception& e) {
    std::cerr << "tomolive-ctl: " << e.what() << '\n';
    return ExitStatus::local_failure;
  }
}

void list_commands() {
  TextTable table({{"subcommand"}, {"sends"}, {"summary"}});
  for (const auto& entry : subcommands()) {
    table.add_row({std::string(entry.name), entry.sends.empty() ? "-" : std::string(entry.sends),
                   std::string(entry.summary)});
  }
  table.print(std::cout, 0);
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine command_line;
  try {
    command_line.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return command_line.exit(e) == 0 ? 0 : to_int(ExitStatus::usage);
  }
  const Invocation& invocation = command_line.invocation();
  const std::string_view name = invocation.subcommand->name;
  if (name == "keygen") {
    return to_int(write_key_pair(invocation.key_prefix, std::cout, std::cerr) ? ExitStatus::ok
                                                                              : ExitStatus::local_failure);
  }
  if (name == "completion") {
    std::cout << completion_script(command_line.app(), invocation.shell);
    return to_int(ExitStatus::ok);
  }
  if (name == "commands") {
    list_commands();
    return to_int(ExitStatus::ok);
  }
  if (name == "watch") return to_int(watch(invocation));
  return to_int(send_command(invocation, std::cout, std::cerr));
}
