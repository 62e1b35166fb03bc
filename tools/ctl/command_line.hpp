// tomolive-ctl's command line (CLI11): the global options (endpoint, token, CURVE keys, timeout, --json) and one
// CLI11 subcommand per entry of the subcommand table (subcommands.hpp), each turning its options into the control
// request it sends. Parsing fills an Invocation; nothing is sent here.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "control_client.hpp"
#include "subcommands.hpp"
#include "tomolive/protocol/messages.hpp"
#include "watch.hpp"

namespace tomolive::ctl {

// What the command line asks for.
struct Invocation {
  const Subcommand* subcommand = nullptr;          // the one given
  Connection connection;
  bool json = false;                               // print the daemon's replies as JSON
  std::optional<protocol::ControlRequest> request;  // what a subcommand that talks to the daemon sends
  std::string out_path;                            // get-slice, sweep-center, sweep-processing: the .npy to write
  WatchOptions watch;
  std::string key_prefix;                          // keygen
  std::string shell;                               // completion: "bash" or "zsh"
};

class CommandLine {
 public:
  CommandLine();
  CommandLine(const CommandLine&) = delete;
  CommandLine& operator=(const CommandLine&) = delete;

  // Throws CLI::ParseError (CLI::CallForHelp for --help): hand it to exit().
  void parse(int argc, const char* const* argv);
  // Prints the help or the usage error; the exit status CLI11 chose (0 for --help).
  int exit(const CLI::ParseError& error) { return app_.exit(error); }

  const Invocation& invocation() const { return invocation_; }
  const CLI::App& app() const { return app_; }

 private:
  CLI::App* add(std::string_view name);
  void add_connection_options();
  void add_daemon_commands();
  void add_processing_commands();
  void add_alignment_commands();
  void add_volume_and_recording_commands();
  void add_local_commands();

  CLI::App app_{"tomolive-ctl: control a running tomolived (PROTOCOL.md 10)"};
  Invocation invocation_;
  // Option values that become a request after parsing.
  protocol::SetCenter center_;
  protocol::SetSlices slices_;
  std::string slice_name_;
  std::string method_ = "registration";
  protocol::EstimateCenter estimate_;
  protocol::SweepCenter sweep_;
  std::vector<std::uint32_t> sweep_region_;
  protocol::SetProcessing processing_;
  std::optional<std::string> window_, zingers_, phase_, rings_;
  protocol::SweepProcessing processing_sweep_;
  std::string sweep_parameter_, sweep_spacing_;
  std::vector<double> sweep_values_;
  std::vector<std::string> sweep_windows_;
  std::vector<std::uint32_t> processing_sweep_region_;
  protocol::SetObliqueSlice oblique_;
  std::vector<double> oblique_normal_, oblique_points_;
  bool oblique_hide_ = false;
  protocol::CenterSample sample_;
  std::vector<double> sample_point_, sample_box_;
  protocol::SetScanPlan plan_;
  std::vector<double> plan_angles_;
  std::string plan_image_key_;  // "dark", "flat", "projection" or "" (the layout form)
  protocol::ReconstructVolume volume_;
  std::vector<std::uint32_t> volume_region_, volume_rows_;
  std::string record_choice_;
  std::string preview_choice_;
  std::optional<std::uint32_t> preview_side_;
  protocol::Capture capture_;
};

}  // namespace tomolive::ctl
