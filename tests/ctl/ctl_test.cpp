// tomolive-ctl's own tests (no daemon): the subcommand table covers every control command of the protocol library,
// of PROTOCOL.md 10.1, of the man page and of the shipped completion; each subcommand builds the request it claims to
// send; the status renders as aligned sections; rates, exit statuses and --json follow their contracts.
#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "command_line.hpp"
#include "completion.hpp"
#include "exit_status.hpp"
#include "reply_json.hpp"
#include "reply_text.hpp"
#include "status_rates.hpp"
#include "status_text.hpp"
#include "subcommands.hpp"
#include "text_table.hpp"
#include "tomolive/protocol/codec.hpp"

namespace {

using namespace tomolive;
using namespace tomolive::ctl;

std::string read_source_file(const std::string& relative) {
  std::ifstream file(std::string(TOMOLIVE_SOURCE_DIR) + "/" + relative);
  EXPECT_TRUE(file) << relative << " cannot be read";
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

std::set<std::string> protocol_commands() {
  std::set<std::string> names;
  for (const auto name : protocol::command_names()) names.emplace(name);
  return names;
}

// The command line after parsing `args` (without the program name); parse errors propagate.
std::unique_ptr<CommandLine> parsed(std::vector<std::string> args) {
  args.insert(args.begin(), "tomolive-ctl");
  std::vector<const char*> argv;
  for (const auto& arg : args) argv.push_back(arg.c_str());
  auto command_line = std::make_unique<CommandLine>();
  command_line->parse(static_cast<int>(argv.size()), argv.data());
  return command_line;
}

// --- the table against the protocol ---

TEST(CtlCommandTable, EveryProtocolCommandHasASubcommand) {
  for (const auto& name : protocol_commands()) {
    const auto entries = subcommands();
    EXPECT_TRUE(std::ranges::any_of(entries, [&](const Subcommand& entry) { return entry.sends == name; }))
        << "the protocol's control command " << name << " has no tomolive-ctl subcommand (tools/ctl/subcommands.cpp)";
  }
}

TEST(CtlCommandTable, EverySubcommandSendsAProtocolCommandOrRunsLocally) {
  const auto names = protocol_commands();
  for (const auto& entry : subcommands()) {
    if (entry.sends.empty()) continue;
    EXPECT_TRUE(names.contains(std::string(entry.sends))) << entry.name;
  }
}

TEST(CtlCommandTable, ProtocolDocumentListsTheSameCommands) {
  const std::string text = read_source_file("protocol/PROTOCOL.md");
  const auto start = text.find("### 10.1 Requests");
  const auto end = text.find("### 10.2 Replies");
  ASSERT_NE(start, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  const std::string requests = text.substr(start, end - start);
  std::set<std::string> documented;
  const std::regex row(R"(\n\| `([a-z_]+)` \|)");
  for (auto it = std::sregex_iterator(requests.begin(), requests.end(), row); it != std::sregex_iterator(); ++it) {
    documented.insert((*it)[1]);
  }
  documented.erase("type");  // the table's header row: | `type` | fields | rules |
  EXPECT_EQ(documented, protocol_commands());
}

TEST(CtlCommandTable, CommandLineHasExactlyTheTableSubcommands) {
  CommandLine command_line;
  std::set<std::string> on_command_line;
  for (const CLI::App* sub : command_line.app().get_subcommands({})) on_command_line.insert(sub->get_name());
  std::set<std::string> in_table;
  for (const auto& entry : subcommands()) in_table.emplace(entry.name);
  EXPECT_EQ(on_command_line, in_table);
}

// Each subcommand that talks to the daemon, with arguments, and the request it must build.
TEST(CtlCommandLine, EachSubcommandSendsItsCommand) {
  const std::map<std::string, std::vector<std::string>> examples = {
      {"status", {}},
      {"watch", {"--count", "2"}},
      {"set-center", {"--offset", "1.5"}},
      {"set-slices", {"--xy-row", "4"}},
      {"get-slice", {"xz", "--out", "x.npy"}},
      {"estimate-center", {"--method", "metric", "--apply"}},
      {"sweep-center", {"--start", "-2", "--step", "0.5", "--count", "8", "--out", "s.npy"}},
      {"set-processing", {"--window", "hann", "--rings", "21"}},
      {"scan-plan", {"--projections", "90", "--darks", "2", "--angles", "0", "1", "2"}},
      {"volume", {"--binning", "2", "--rows", "0", "8"}},
      {"cancel-volume", {}},
      {"record", {"on"}},
      {"capture", {"--after", "2.5"}},
      {"sweep-processing", {"ring_size", "--values", "5", "11", "--out", "r.npy"}},
      {"set-oblique", {"--normal", "0", "1", "1", "--offset", "3"}},
      {"defective-pixels", {}},
      {"center-sample", {"xy", "--point", "10", "20"}},
      {"preview", {"on", "--side", "128"}},
  };
  for (const auto& entry : subcommands()) {
    if (entry.sends.empty()) continue;
    SCOPED_TRACE(std::string(entry.name));
    const auto example = examples.find(std::string(entry.name));
    ASSERT_NE(example, examples.end()) << "add an example for " << entry.name;
    std::vector<std::string> args = {"--json", std::string(entry.name)};
    args.insert(args.end(), example->second.begin(), example->second.end());
    const auto command_line = parsed(args);
    const Invocation& invocation = command_line->invocation();
    ASSERT_EQ(invocation.subcommand, &entry);
    ASSERT_TRUE(invocation.request.has_value());
    EXPECT_EQ(protocol::command_name(*invocation.request), entry.sends);
    EXPECT_TRUE(invocation.json);
  }
}

TEST(CtlCommandLine, OptionsBecomeRequestFields) {
  const auto plan = parsed({"scan-plan", "--projections", "3", "--angles", "0", "60", "120", "--name", "s"});
  const auto& request = std::get<protocol::SetScanPlan>(*plan->invocation().request);
  EXPECT_EQ(request.n_projections, 3u);
  EXPECT_EQ(request.angles_deg, (std::vector<double>{0, 60, 120}));
  EXPECT_EQ(request.name, "s");
  EXPECT_FALSE(request.image_key);

  const auto series = parsed({"scan-plan", "--projections", "90", "--darks", "4", "--flats", "4", "--image-key",
                              "dark", "--scan-unique-id", "scan-7", "--range", "180"});
  const auto& per_series = std::get<protocol::SetScanPlan>(*series->invocation().request);
  EXPECT_EQ(per_series.image_key, protocol::FrameKind::dark);
  EXPECT_EQ(per_series.scan_unique_id, "scan-7");
  EXPECT_EQ(per_series.n_darks, 4u);

  const auto processing = parsed({"set-processing", "--zingers", "0.3", "--phase", "off"});
  const auto& setting = std::get<protocol::SetProcessing>(*processing->invocation().request);
  ASSERT_TRUE(setting.zingers && setting.zingers->threshold);
  EXPECT_DOUBLE_EQ(*setting.zingers->threshold, 0.3);
  ASSERT_TRUE(setting.phase && setting.phase->enabled);
  EXPECT_FALSE(*setting.phase->enabled);

  const auto watch = parsed({"--timeout-ms", "500", "watch", "--interval", "0.25", "--count", "3"});
  EXPECT_DOUBLE_EQ(watch->invocation().watch.interval_s, 0.25);
  EXPECT_EQ(watch->invocation().watch.count, 3u);
  EXPECT_EQ(watch->invocation().connection.timeout_ms, 500);

  const auto after = parsed({"status", "--json", "--control", "ipc:///tmp/x"});  // global options after it too
  EXPECT_TRUE(after->invocation().json);
  EXPECT_EQ(after->invocation().connection.endpoint, "ipc:///tmp/x");
  EXPECT_DOUBLE_EQ(parsed({"watch", "-n", "2"})->invocation().watch.interval_s, 2.0);

  const auto sampled = parsed({"sweep-center", "--start", "-2", "--step", "0.5", "--count", "8", "--region", "0", "0",
                               "1024", "1024", "--pixel-step", "4", "--out", "s.npy"});
  EXPECT_EQ(std::get<protocol::SweepCenter>(*sampled->invocation().request).pixel_step, 4u);
  const auto default_step =
      parsed({"sweep-center", "--start", "-2", "--step", "0.5", "--count", "8", "--out", "s.npy"});
  EXPECT_FALSE(std::get<protocol::SweepCenter>(*default_step->invocation().request).pixel_step);  // the daemon's
}

TEST(CtlCommandLine, AlignmentOptionsBecomeRequestFields) {
  const auto range = parsed({"sweep-processing", "delta_over_beta", "--start", "10", "--stop", "1000", "--count",
                             "5", "--spacing", "linear", "--xy-row", "7", "--region", "1", "2", "3", "4", "--out",
                             "d.npy"});
  const auto& sweep = std::get<protocol::SweepProcessing>(*range->invocation().request);
  EXPECT_EQ(sweep.parameter, protocol::SweepParameter::delta_over_beta);
  EXPECT_EQ(sweep.start, 10.0);
  EXPECT_EQ(sweep.stop, 1000.0);
  EXPECT_EQ(sweep.count, 5u);
  EXPECT_EQ(sweep.spacing, protocol::SweepSpacing::linear);
  EXPECT_EQ(sweep.xy_row, 7u);
  EXPECT_EQ(sweep.region, (protocol::SliceRegionField{1, 2, 3, 4}));
  EXPECT_FALSE(sweep.values.has_value());
  EXPECT_EQ(range->invocation().out_path, "d.npy");
  const auto windows = parsed({"sweep-processing", "window", "--windows", "hann", "parzen", "--out", "w.npy"});
  EXPECT_EQ(std::get<protocol::SweepProcessing>(*windows->invocation().request).windows,
            (std::vector<std::string>{"hann", "parzen"}));

  const auto normal = parsed({"set-oblique", "--normal", "1", "0", "2", "--offset", "-4.5"});
  const auto& plane = std::get<protocol::SetObliqueSlice>(*normal->invocation().request);
  EXPECT_TRUE(plane.enabled);
  EXPECT_EQ(plane.normal, (std::vector<double>{1, 0, 2}));
  EXPECT_EQ(plane.offset_px, -4.5);
  EXPECT_FALSE(plane.points.has_value());
  const auto points = parsed({"set-oblique", "--points", "0", "0", "0", "1", "0", "0", "0", "1", "1"});
  EXPECT_EQ(std::get<protocol::SetObliqueSlice>(*points->invocation().request).points,
            (std::vector<double>{0, 0, 0, 1, 0, 0, 0, 1, 1}));
  const auto hide = parsed({"set-oblique", "--hide"});
  const auto& hidden = std::get<protocol::SetObliqueSlice>(*hide->invocation().request);
  EXPECT_FALSE(hidden.enabled);
  EXPECT_FALSE(hidden.normal || hidden.points);

  EXPECT_EQ(std::get<protocol::SetPreview>(*parsed({"preview", "on", "--side", "96"})->invocation().request),
            (protocol::SetPreview{true, 96u}));
  EXPECT_EQ(std::get<protocol::SetPreview>(*parsed({"preview", "off"})->invocation().request),
            (protocol::SetPreview{false, std::nullopt}));

  const auto box = parsed({"center-sample", "yz", "--box", "10", "20", "4", "6", "--pixel-size-um", "0.65"});
  const auto& sample = std::get<protocol::CenterSample>(*box->invocation().request);
  EXPECT_EQ(sample.slice, "yz");
  EXPECT_EQ(sample.box, (std::vector<double>{10, 20, 4, 6}));
  EXPECT_FALSE(sample.point.has_value());
  EXPECT_EQ(sample.pixel_size_um, 0.65);
  const auto projections = parsed({"center-sample", "projections"});
  const auto& from_projections = std::get<protocol::CenterSample>(*projections->invocation().request);
  EXPECT_EQ(from_projections.slice, "projections");
  EXPECT_FALSE(from_projections.point || from_projections.box);

  EXPECT_EQ(std::get<protocol::GetSlice>(*parsed({"get-slice", "oblique", "--out", "o.npy"})->invocation().request)
                .slice,
            protocol::SliceKind::oblique);
  EXPECT_TRUE(std::holds_alternative<protocol::GetDefectivePixels>(
      *parsed({"defective-pixels"})->invocation().request));
}

TEST(CtlCommandLine, BadAlignmentArgumentsAreUsageErrors) {
  EXPECT_THROW(parsed({"sweep-processing", "gamma", "--values", "1", "--out", "x.npy"}), CLI::ParseError);
  EXPECT_THROW(parsed({"sweep-processing", "ring_size", "--values", "5", "--start", "3", "--stop", "9", "--count",
                       "3", "--out", "x.npy"}),
               CLI::ParseError);  // two forms
  EXPECT_THROW(parsed({"sweep-processing", "delta_over_beta", "--start", "1", "--out", "x.npy"}),
               CLI::ParseError);  // a range needs stop and count
  EXPECT_THROW(parsed({"sweep-processing", "window", "--windows", "gauss", "--out", "x.npy"}), CLI::ParseError);
  EXPECT_THROW(parsed({"sweep-processing", "window", "--windows", "hann"}), CLI::ParseError);  // no --out
  EXPECT_THROW(parsed({"set-oblique"}), CLI::ParseError);
  EXPECT_THROW(parsed({"set-oblique", "--normal", "1", "0"}), CLI::ParseError);              // two components
  EXPECT_THROW(parsed({"set-oblique", "--offset", "3"}), CLI::ParseError);                   // offset of no normal
  EXPECT_THROW(parsed({"set-oblique", "--hide", "--normal", "0", "0", "1"}), CLI::ParseError);
  EXPECT_THROW(parsed({"set-oblique", "--normal", "0", "0", "1", "--points", "0", "0", "0", "1", "0", "0", "0", "1",
                       "0"}),
               CLI::ParseError);
  EXPECT_THROW(parsed({"center-sample", "xy"}), CLI::ParseError);  // a slice needs a point or a box
  EXPECT_THROW(parsed({"center-sample", "xy", "--point", "1", "2", "--box", "0", "0", "2", "2"}), CLI::ParseError);
  EXPECT_THROW(parsed({"center-sample", "projections", "--point", "1", "2"}), CLI::ParseError);
  EXPECT_THROW(parsed({"center-sample", "volume", "--point", "1", "2"}), CLI::ParseError);
  EXPECT_THROW(parsed({"center-sample", "xy", "--point", "1", "2", "--pixel-size-um", "0"}), CLI::ParseError);
}

TEST(CtlCommandLine, BadArgumentsAreUsageErrors) {
  EXPECT_THROW(parsed({"set-center"}), CLI::ParseError);                              // neither option
  EXPECT_THROW(parsed({"set-center", "--offset", "1", "--column", "2"}), CLI::ParseError);  // both
  EXPECT_EQ(*parsed({"set-center", "--tilt", "0.5"})->invocation().request,
            protocol::ControlRequest(protocol::SetCenter{std::nullopt, std::nullopt, 0.5}));
  EXPECT_EQ(*parsed({"set-center", "--offset", "1", "--tilt", "-0.5"})->invocation().request,
            protocol::ControlRequest(protocol::SetCenter{1.0, std::nullopt, -0.5}));
  EXPECT_THROW(parsed({"set-processing", "--window", "gauss"}), CLI::ParseError);
  EXPECT_THROW(parsed({"watch", "--interval", "0"}), CLI::ParseError);
  EXPECT_THROW(parsed({"get-slice", "ab", "--out", "x.npy"}), CLI::ParseError);
  EXPECT_THROW(parsed({"no-such-command"}), CLI::ParseError);
}

// --- documentation and completion follow the table ---

TEST(CtlManPage, ListsEverySubcommandAndOption) {
  std::string page = read_source_file("docs/man/tomolive-ctl.1");
  page = std::regex_replace(page, std::regex(R"(\\-)"), "-");
  CommandLine command_line;
  const auto check_options = [&](const CLI::App& app, const std::string& where) {
    for (const CLI::Option* option : app.get_options()) {
      for (const auto& name : option->get_lnames()) {
        EXPECT_NE(page.find("--" + name), std::string::npos)
            << "--" << name << " of " << where << " is not in the man page";
      }
    }
  };
  check_options(command_line.app(), "tomolive-ctl");
  for (const auto& entry : subcommands()) {
    const std::regex heading("\n\\.SS " + std::string(entry.name) + "( |\n)");
    EXPECT_TRUE(std::regex_search(page, heading)) << "no .SS section for " << entry.name << " in the man page";
    check_options(*command_line.app().get_subcommand(std::string(entry.name)), std::string(entry.name));
  }
  for (int status = 0; status <= to_int(ExitStatus::local_failure); ++status) {
    EXPECT_NE(page.find(".B " + std::to_string(status) + "\n"), std::string::npos) << "exit status " << status;
  }
}

TEST(CtlCompletion, ShippedBashScriptIsTheGeneratedOne) {
  CommandLine command_line;
  EXPECT_EQ(read_source_file("tools/ctl/completion/tomolive-ctl.bash"), completion_script(command_line.app(), "bash"))
      << "regenerate: tomolive-ctl completion bash > tools/ctl/completion/tomolive-ctl.bash";
}

TEST(CtlCompletion, ScriptsNameEverySubcommand) {
  CommandLine command_line;
  for (const std::string shell : {"bash", "zsh"}) {
    const std::string script = completion_script(command_line.app(), shell);
    for (const auto& entry : subcommands()) {
      EXPECT_NE(script.find("    " + std::string(entry.name) + ") words="), std::string::npos)
          << shell << " " << entry.name;
    }
  }
  EXPECT_NE(completion_script(command_line.app(), "zsh").find("bashcompinit"), std::string::npos);
  EXPECT_THROW(completion_script(command_line.app(), "fish"), std::invalid_argument);
}

// --- output ---

protocol::Status sample_status(double uptime_s, std::uint64_t projections, std::uint64_t bytes) {
  protocol::Status status;
  status.version = "0.1.0";
  status.engine = "cpu";
  status.uptime_s = uptime_s;
  status.counters = {{"messages_received", projections + 9},
                     {"bytes_received", bytes},
                     {"darks_accepted", 4},
                     {"flats_accepted", 4},
                     {"projections_accepted", projections},
                     {"rejected", 3},
                     {"queue_depth", 7},
                     {"queue_capacity", 256},
                     {"publish_latency_samples", 10},
                     {"publish_latency_p50_us", 1500},
                     {"publish_latency_p99_us", 4200}};
  status.rejected_by_reason = {{"invalid_geometry", 1}, {"duplicate_frame", 2}};
  protocol::ScanStatus scan;
  scan.scan_id = 5;
  scan.name = "phantom";
  scan.state = "receiving";
  scan.rows = 16;
  scan.cols = 32;
  scan.projections_received = static_cast<std::uint32_t>(projections);
  scan.projections_expected = 90;
  status.scan = scan;
  status.data_sockets = {{"tcp://0.0.0.0:5555", false, "auto", "native", 100, bytes, projections, 3, 0, false},
                         {"tcp://detector.example:9999", true, "dectris2", "dectris2", 5, 123456, 0, 0, 2, true, 7,
                          "threshold_2", {"threshold_1", "threshold_2"}}};
  return status;
}

// The column in which `needle` starts on the line of `text` that holds it; npos when absent.
std::size_t column_of(const std::string& text, const std::string& needle) {
  const auto at = text.find(needle);
  if (at == std::string::npos) return std::string::npos;
  const auto line_start = text.rfind('\n', at);
  return line_start == std::string::npos ? at : at - line_start - 1;
}

TEST(CtlStatusText, ShowsEverySectionWithAlignedTables) {
  std::ostringstream out;
  print_status(out, sample_status(65.0, 40, 2048));
  const std::string text = out.str();
  for (const char* section : {"tomolived 0.1.0, cpu engine, up 1m 05s", "Scan 5 \"phantom\": receiving", "\nFrames\n",
                              "\nQueue\n", "\nEngine and latency\n", "\nData sockets\n", "\nRejections by reason\n",
                              "\nProcessing\n", "\nCounters\n"}) {
    EXPECT_NE(text.find(section), std::string::npos) << section << " missing from:\n" << text;
  }
  EXPECT_NE(text.find("40 / 90 received"), std::string::npos) << text;
  EXPECT_NE(text.find("7 of 256 frames"), std::string::npos) << text;
  EXPECT_NE(text.find("p50 1.5 ms, p99 4.2 ms over 10 sample(s)"), std::string::npos) << text;
  EXPECT_NE(text.find("native (auto)"), std::string::npos) << text;
  EXPECT_NE(text.find("dectris2"), std::string::npos) << text;
  // Rejections: one row per reason, counts right-aligned under their header.
  const auto reasons = text.substr(text.find("Rejections by reason"));
  EXPECT_NE(reasons.find("invalid_geometry"), std::string::npos);
  EXPECT_EQ(column_of(reasons, "duplicate_frame"), column_of(reasons, "invalid_geometry"));
  // Data sockets: the two endpoints and the "bytes" column line up.
  const auto sockets = text.substr(text.find("Data sockets"));
  EXPECT_EQ(column_of(sockets, "tcp://0.0.0.0:5555"), column_of(sockets, "tcp://detector.example:9999"));
  EXPECT_EQ(column_of(sockets, "connect"), column_of(sockets, "bind"));
  // Failed handshakes are a column; a Stream V2 socket's channels a line of their own.
  EXPECT_NE(sockets.find("handshakes failed"), std::string::npos) << sockets;
  EXPECT_NE(sockets.find("tcp://detector.example:9999: Stream V2 channel threshold_2 of threshold_1, threshold_2"),
            std::string::npos)
      << sockets;
}

TEST(CtlStatusText, WithoutScanSaysSo) {
  protocol::Status status = sample_status(1.0, 0, 0);
  status.scan.reset();
  status.rejected_by_reason.clear();
  std::ostringstream out;
  print_status(out, status);
  EXPECT_NE(out.str().find("Scan\n  none yet"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("Rejections by reason\n  none"), std::string::npos) << out.str();
}

TEST(CtlStatusRates, FromCountersOverTheDaemonsUptime) {
  const auto before = sample_status(10.0, 100, 1000);
  const auto after = sample_status(12.0, 300, 5000);
  const auto rates = rates_between(before, after);
  ASSERT_TRUE(rates.has_value());
  EXPECT_DOUBLE_EQ(rates->interval_s, 2.0);
  EXPECT_DOUBLE_EQ(rates->projections_per_s, 100.0);
  EXPECT_DOUBLE_EQ(rates->frames_per_s, 100.0);  // darks and flats did not change
  EXPECT_DOUBLE_EQ(rates->bytes_per_s, 2000.0);
  ASSERT_EQ(rates->socket_bytes_per_s.size(), 2u);
  EXPECT_DOUBLE_EQ(rates->socket_bytes_per_s[0], 2000.0);
  EXPECT_DOUBLE_EQ(rates->socket_bytes_per_s[1], 0.0);
  EXPECT_FALSE(rates_between(after, before).has_value()) << "a restarted daemon (uptime went back) has no rate";

  std::ostringstream out;
  print_status(out, after, {&*rates, false});
  EXPECT_NE(out.str().find("100.0 projections/s"), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find("\nCounters\n"), std::string::npos);
  const std::string line = status_line(after, &*rates);
  EXPECT_NE(line.find("scan 5 receiving projections 300/90"), std::string::npos) << line;
  EXPECT_NE(line.find("rate 100.0 proj/s"), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_NE(status_line(after, nullptr).find("rate - proj/s"), std::string::npos);
}

TEST(CtlReplies, RefusalsByClass) {
  using protocol::Error;
  using protocol::ErrorCode;
  EXPECT_EQ(exit_status_of(std::nullopt), ExitStatus::ok);
  EXPECT_EQ(exit_status_of(Error{ErrorCode::invalid_argument, ""}), ExitStatus::refused);
  EXPECT_EQ(exit_status_of(Error{ErrorCode::no_active_scan, ""}), ExitStatus::refused);
  EXPECT_EQ(exit_status_of(Error{ErrorCode::permission_denied, ""}), ExitStatus::permission_denied);
  EXPECT_EQ(exit_status_of(Error{ErrorCode::internal_error, ""}), ExitStatus::daemon_failed);
  EXPECT_EQ(exit_status_of(Error{ErrorCode::disk_error, ""}), ExitStatus::daemon_failed);

  const protocol::Reply refused{"set_center", Error{ErrorCode::invalid_argument, "offset 9999 is off the detector"},
                                {}};
  std::ostringstream out;
  print_refusal(out, refused);
  EXPECT_EQ(out.str(), "tomolive-ctl: set_center refused (invalid_argument): offset 9999 is off the detector\n");
}

TEST(CtlReplies, ResultsAsSentences) {
  std::ostringstream out;
  print_result(out, {"set_center", std::nullopt, protocol::CenterResult{1.5, 17.0, 3.25, -0.25}});
  EXPECT_EQ(out.str(),
            "rotation axis at offset 1.50 px (detector column 17.00), tilt -0.250 deg corrected; slices recomputed in "
            "3.2 ms\n");
  out.str("");
  protocol::SweepResult sweep;
  sweep.region = {0, 0, 8, 8};
  sweep.centers_px = {-1.0, 0.0, 1.0};
  sweep.metric = {3.0, 1.0, 2.0};
  sweep.best_offset_px = 0.0;
  sweep.pixel_step = 2;
  sweep.shape = {4, 4};
  print_result(out, {"sweep_center", std::nullopt, sweep});
  EXPECT_NE(out.str().find("best offset 0.00 px"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("images 4 x 4 (every 2 px)"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("0.00  1.0000  *"), std::string::npos) << out.str();
}

TEST(CtlReplies, AlignmentResultsAsSentences) {
  std::ostringstream out;
  protocol::ProcessingSweepResult sweep;
  sweep.parameter = protocol::SweepParameter::ring_size;
  sweep.xy_row = 3;
  sweep.region = {0, 0, 8, 8};
  sweep.values = {5, 11};
  sweep.labels = {"ring_size 5", "ring_size 11"};
  sweep.metric = {2.0, 1.0};
  sweep.best_index = 1;
  print_result(out, {"sweep_processing", std::nullopt, sweep});
  EXPECT_NE(out.str().find("ring_size sweep of xy row 3"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("sharpest: ring_size 11"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("ring_size 11  1.0000  *"), std::string::npos) << out.str();

  out.str("");
  protocol::ObliqueResult oblique{true, {0.0, 0.6, 0.8}, 2.5, {16, 32}, 4.0};
  print_result(out, {"set_oblique_slice", std::nullopt, oblique});
  EXPECT_EQ(out.str(), "oblique slice on the plane with unit normal [0.0000, 0.6000, 0.8000] at offset 2.50 px: "
                       "16 x 32 pixels; computed in 4.0 ms\n");
  out.str("");
  print_result(out, {"set_oblique_slice", std::nullopt, protocol::ObliqueResult{}});
  EXPECT_EQ(out.str(), "oblique slice hidden\n");

  out.str("");
  print_result(out, {"set_preview", std::nullopt, protocol::PreviewStatus{true, 64, {8, 32, 32}, 2, 32768, 1 << 20, 3,
                                                                          5, 1.0}});
  EXPECT_EQ(out.str(),
            "3D preview on: side 64, 8 x 32 x 32 voxels (z, y, x; binning 2), 32768 bytes, 5 snapshots sent\n");
  out.str("");
  print_result(out, {"set_preview", std::nullopt, protocol::PreviewStatus{false, 64, {}, 0, 0, 0, 0, 0, 1.0}});
  EXPECT_EQ(out.str(), "3D preview off (side 64 when on)\n");

  out.str("");
  protocol::DefectivePixelsResult map;
  map.scan_id = 4;
  map.built = true;
  map.rows = 16;
  map.cols = 32;
  map.counts = {1, 1, 0, 0, 2};
  map.pixels = {{2, 5, 1}, {10, 30, 2 | 8}};
  map.truncated = true;
  print_result(out, {"get_defective_pixels", std::nullopt, map});
  EXPECT_NE(out.str().find("scan 4: 2 defective pixels of 16 x 32 (1 dead, 1 hot, 0 noisy, 0 detector_mask)"),
            std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("10   30  hot+detector_mask"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("only the first 2 are listed"), std::string::npos) << out.str();
  out.str("");
  print_result(out, {"get_defective_pixels", std::nullopt, protocol::DefectivePixelsResult{}});
  EXPECT_NE(out.str().find("no defective-pixel map yet"), std::string::npos) << out.str();

  out.str("");
  protocol::CenterSampleResult sample;
  sample.slice = "xy";
  sample.x_px = 12.0;
  sample.move_x_px = -12.0;
  print_result(out, {"center_sample", std::nullopt, sample});
  EXPECT_NE(out.str().find("move the sample by x -12.00 y 0.00 z 0.00 px"), std::string::npos) << out.str();
  out.str("");
  sample.slice = "projections";
  sample.pixel_size_um = 0.5;
  sample.move_x_um = -6.0;
  sample.move_y_um = 0.0;
  sample.move_z_um = 0.0;
  sample.projections = 90;
  sample.fit_rms_px = 0.125;
  sample.axis_offset_px = 1.5;
  print_result(out, {"center_sample", std::nullopt, sample});
  EXPECT_NE(out.str().find("x -6.00 y 0.00 z 0.00 um"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("fit over 90 projections: RMS residual 0.125 px, axis offset 1.50 px"), std::string::npos)
      << out.str();

  out.str("");
  protocol::CenterEstimateResult estimate;
  estimate.method = "registration";
  estimate.tilt_deg = 0.25;
  estimate.tilt_confidence = 0.9;
  print_result(out, {"estimate_center", std::nullopt, estimate});
  EXPECT_NE(out.str().find("axis tilt 0.250 deg (confidence 0.90), not corrected (--apply"), std::string::npos)
      << out.str();
  out.str("");
  estimate.applied = true;
  print_result(out, {"estimate_center", std::nullopt, estimate});
  EXPECT_NE(out.str().find("axis tilt 0.250 deg (confidence 0.90), corrected\n"), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find("reported only"), std::string::npos) << out.str();
}

TEST(CtlStatusText, ShowsProgressTiltAndDefectivePixels) {
  protocol::Status status = sample_status(1.0, 10, 100);
  protocol::CenterEstimateResult estimate;
  estimate.method = "registration";
  estimate.tilt_deg = -0.5;
  estimate.tilt_confidence = 0.75;
  status.scan->center_estimate = estimate;
  status.scan->command = protocol::CommandProgress{"estimate_center (metric)", 2, 3, 4.0, 2.0};
  status.scan->defective_pixels = protocol::DefectivePixelCounts{3, 1, 0, 0, 4};
  std::ostringstream out;
  print_status(out, status);
  EXPECT_NE(out.str().find("-0.500 deg, confidence 0.75"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("estimate_center (metric): 2 of 3 steps"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("4 (3 dead, 1 hot, 0 noisy, 0 detector_mask)"), std::string::npos) << out.str();
}

TEST(CtlStatusText, ShowsTheSlabsOfAnEngineOverSeveralDevices) {
  protocol::Status status = sample_status(1.0, 10, 100);
  std::ostringstream plain;
  print_status(plain, status);
  EXPECT_EQ(plain.str().find("\nSlabs\n"), std::string::npos) << "one device: no slabs section";
  status.engine_slabs = protocol::EngineSlabsStatus{
      4, 9, true, 1,
      {protocol::EngineSlab{"cuda (cuda:0 H100)", {0, 16}, {0, 20}, false, ""},
       protocol::EngineSlab{"cuda (cuda:1 H100)", {16, 16}, {12, 20}, true, "cudaErrorIllegalAddress"}}};
  std::ostringstream out;
  print_status(out, status);
  const std::string text = out.str();
  ASSERT_NE(text.find("\nSlabs\n"), std::string::npos) << text;
  const std::string slabs = text.substr(text.find("\nSlabs\n"));
  EXPECT_NE(slabs.find("16 .. 31"), std::string::npos) << slabs;
  EXPECT_NE(slabs.find("12 .. 31"), std::string::npos) << slabs;
  EXPECT_NE(slabs.find("LOST: cudaErrorIllegalAddress"), std::string::npos) << slabs;
  EXPECT_EQ(column_of(slabs, "cuda (cuda:0"), column_of(slabs, "cuda (cuda:1"));
  EXPECT_NE(slabs.find("4 rows each side, 9 needed: rows near the slabs' edges are approximate"), std::string::npos)
      << slabs;
}

TEST(CtlReplies, JsonIsTheReplyMap) {
  const protocol::Reply reply{"set_center", std::nullopt, protocol::CenterResult{1.5, 17.0, 3.25}};
  const std::string json = reply_json(protocol::encode(reply));
  EXPECT_EQ(json.find('\n'), std::string::npos);
  EXPECT_NE(json.find(R"("command":"set_center")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("ok":true)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("center_offset_px":1.5)"), std::string::npos) << json;
  EXPECT_THROW(reply_json(protocol::Bytes{std::byte{0xc1}}), std::runtime_error);
}

TEST(CtlTextTable, AlignsColumns) {
  TextTable table({{"name"}, {"count", true}});
  table.add_row({"a", "1"});
  table.add_row({"longer", "12345"});
  std::ostringstream out;
  table.print(out, 0);
  EXPECT_EQ(out.str(), "name    count\na           1\nlonger  12345\n");
  EXPECT_THROW(table.add_row({"a", "b", "c"}), std::invalid_argument);
}

}  // namespace
