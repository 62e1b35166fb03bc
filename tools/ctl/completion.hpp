// Shell completion scripts for tomolive-ctl, generated from its command line (every subcommand, its long options and
// the words its argument takes) so that they cannot fall behind it. tools/ctl/completion/tomolive-ctl.bash is this
// output for bash, checked in for packagers; a test keeps the two equal.
#pragma once

#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

namespace tomolive::ctl {

// The script for `shell` ("bash" or "zsh"; zsh loads the bash function through bashcompinit). Throws
// std::invalid_argument for another shell.
std::string completion_script(const CLI::App& app, std::string_view shell);

}  // namespace tomolive::ctl
