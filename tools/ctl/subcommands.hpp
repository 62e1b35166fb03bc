// The table of tomolive-ctl's subcommands: each one's name on the command line, the control command it sends
// (PROTOCOL.md 10.1) and its one-line summary. The command line, the shell completion and the man page's check are
// all built from this one table, and a test holds it against the protocol library's command list, so that a control
// command the protocol gains cannot be missing from tomolive-ctl.
#pragma once

#include <span>
#include <string_view>

namespace tomolive::ctl {

struct Subcommand {
  std::string_view name;     // on the command line, e.g. "set-center"
  std::string_view sends;    // the control command's wire "type", e.g. "set_center"; "" when it runs locally
  std::string_view summary;  // one line, for --help and the man page
  std::string_view words;    // the words its positional argument takes, space-separated, for completion ("" none)
};

// Every subcommand, in the order --help lists them.
std::span<const Subcommand> subcommands();
// The entry called `name`; throws std::out_of_range when there is none (a programming error).
const Subcommand& subcommand(std::string_view name);

}  // namespace tomolive::ctl
