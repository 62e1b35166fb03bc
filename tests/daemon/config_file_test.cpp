// tomolived's configuration file (README "Configuration file"): TOML keys named as the command-line options, the
// command line over the file over the defaults, refusals with FILE:LINE:COLUMN, --print-config round trips, and the
// example packaging/tomolive.toml that documents every key.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tomolive/daemon/config.hpp"
#include "tomolive/daemon/config_file.hpp"
#include "tomolive/daemon/config_reloader.hpp"

namespace tomolive::daemon {
namespace {

// A file in a scratch directory, removed with the object.
class ScratchFile {
 public:
  explicit ScratchFile(const std::string& text = "") {
    std::string pattern = (std::filesystem::temp_directory_path() / "tomolive-config-XXXXXX").string();
    directory_ = ::mkdtemp(pattern.data());
    path_ = (directory_ / "tomolive.toml").string();
    write(text);
  }
  ~ScratchFile() { std::filesystem::remove_all(directory_); }
  void write(const std::string& text) const { std::ofstream(path_, std::ios::trunc) << text; }
  const std::string& path() const { return path_; }
  std::string missing_sibling() const { return (directory_ / "absent.toml").string(); }

 private:
  std::filesystem::path directory_;
  std::string path_;
};

// load_config with no default file (the machine's /etc/tomolive/tomolive.toml must not leak into the tests).
std::variant<LoadedConfig, ConfigRefusal> load(const std::vector<std::string>& arguments,
                                               const std::string& default_file = "/nonexistent/tomolive.toml") {
  return load_config(arguments, default_file);
}

LoadedConfig loaded_ok(const std::vector<std::string>& arguments,
                       const std::string& default_file = "/nonexistent/tomolive.toml") {
  auto loaded = load(arguments, default_file);
  if (const auto* refusal = std::get_if<ConfigRefusal>(&loaded)) {
    ADD_FAILURE() << "refused: " << refusal->message;
    return {};
  }
  return std::get<LoadedConfig>(std::move(loaded));
}

// The refusal's message (fails the test when the configuration was accepted).
std::string refusal(const std::vector<std::string>& arguments) {
  auto loaded = load(arguments);
  if (!std::holds_alternative<ConfigRefusal>(loaded)) {
    ADD_FAILURE() << "accepted";
    return "";
  }
  EXPECT_EQ(std::get<ConfigRefusal>(loaded).exit_code, 2);
  return std::get<ConfigRefusal>(loaded).message;
}

const Setting& setting(const LoadedConfig& loaded, const std::string& key) {
  for (const Setting& s : loaded.settings) {
    if (s.key == key) return s;
  }
  throw std::runtime_error("no setting " + key);
}

// Every setting as its TOML line, keyed by name: the form in which two configurations are compared.
std::map<std::string, std::string> lines(const LoadedConfig& loaded) {
  std::map<std::string, std::string> result;
  for (const Setting& s : loaded.settings) result[s.key] = format_setting(s.key, s.kind, s.values);
  return result;
}

TEST(ConfigFile, KeysAreTheOptionsNamesWithTheValueKindsOfTheirOptions) {
  const ScratchFile file(
      "data-hwm = 2000\n"
      "publish-hz = 12\n"
      "filter-window = \"hann\"\n"
      "rings = 21\n"
      "data = [\"tcp://127.0.0.1:6000\", \"tcp://127.0.0.1:6001\"]\n"
      "volume-at-end = true\n"
      "engine = \"CPU\"\n"
      "queue-policy = \"drop_oldest\"\n"
      "scan-plan = \"2,2,90,180\"\n"
      "http = \"off\"\n");
  const LoadedConfig loaded = loaded_ok({"--config", file.path()});
  const DaemonConfig& config = loaded.config;
  EXPECT_EQ(loaded.file, file.path());
  EXPECT_EQ(config.data_receive_hwm, 2000);
  EXPECT_DOUBLE_EQ(config.publish_hz, 12.0);
  EXPECT_EQ(config.processing.window, kernels::FilterWindow::hann);
  EXPECT_EQ(config.processing.rings, (kernels::RingRemoval{true, 21}));
  EXPECT_EQ(config.data_endpoints, (std::vector<std::string>{"tcp://127.0.0.1:6000", "tcp://127.0.0.1:6001"}));
  EXPECT_TRUE(config.volume.at_end);
  EXPECT_EQ(config.engine.choice, EngineChoice::cpu);
  EXPECT_EQ(setting(loaded, "engine").values, (std::vector<std::string>{"cpu"}))
      << "choices are taken in any case and shown in lower case";
  EXPECT_EQ(config.queue_policy, QueuePolicy::drop_oldest);
  ASSERT_TRUE(config.scan_plan.has_value());
  EXPECT_EQ(config.scan_plan->n_projections, 90u);
  EXPECT_FALSE(config.http_enabled);
  EXPECT_EQ(setting(loaded, "data-hwm").source, (SettingSource{SettingSource::Kind::file, 1}));
  EXPECT_EQ(setting(loaded, "http").source, (SettingSource{SettingSource::Kind::file, 10}));
  EXPECT_EQ(setting(loaded, "queue-capacity").source.kind, SettingSource::Kind::default_value);
}

TEST(ConfigFile, ZmqIoThreadsTakesAnIntegerOrAuto) {
  const ScratchFile count("zmq-io-threads = 4\n");
  const LoadedConfig four = loaded_ok({"--config", count.path()});
  EXPECT_EQ(zmq_io_threads_for(four.config), 4);
  EXPECT_EQ(setting(four, "zmq-io-threads").source, (SettingSource{SettingSource::Kind::file, 1}));
  const ScratchFile automatic(
      "data = [\"tcp://127.0.0.1:6000\", \"tcp://127.0.0.1:6001\"]\n"
      "zmq-io-threads = \"auto\"\n");
  EXPECT_EQ(zmq_io_threads_for(loaded_ok({"--config", automatic.path()}).config), 2) << "one per data socket";
  const ScratchFile zero("zmq-io-threads = 0\n");
  EXPECT_NE(refusal({"--config", zero.path()}).find(":1:18: key 'zmq-io-threads'"), std::string::npos)
      << refusal({"--config", zero.path()});
}

TEST(ConfigFile, CommandLineOverridesTheFileWhichOverridesTheDefaults) {
  const ScratchFile file("publish-hz = 10.0\ndata-hwm = 2000\ndata = [\"tcp://127.0.0.1:6000\"]\n");
  const LoadedConfig loaded =
      loaded_ok({"--config", file.path(), "--publish-hz", "20", "--data", "tcp://127.0.0.1:7000"});
  EXPECT_DOUBLE_EQ(loaded.config.publish_hz, 20.0);
  EXPECT_EQ(loaded.config.data_receive_hwm, 2000);
  EXPECT_EQ(loaded.config.data_endpoints, (std::vector<std::string>{"tcp://127.0.0.1:7000"}))
      << "a list on the command line replaces the file's, it does not add to it";
  EXPECT_EQ(loaded.config.queue_capacity, DaemonConfig{}.queue_capacity);
  EXPECT_EQ(setting(loaded, "publish-hz").source.kind, SettingSource::Kind::command_line);
  EXPECT_EQ(setting(loaded, "data").source.kind, SettingSource::Kind::command_line);
  EXPECT_EQ(setting(loaded, "data-hwm").source, (SettingSource{SettingSource::Kind::file, 2}));
  EXPECT_EQ(setting(loaded, "queue-capacity").source.kind, SettingSource::Kind::default_value);
}

TEST(ConfigFile, TheDefaultFileIsReadWhenItExistsUnlessNoConfig) {
  const ScratchFile file("data-hwm = 3000\n");
  EXPECT_EQ(loaded_ok({}, file.path()).config.data_receive_hwm, 3000);
  EXPECT_EQ(loaded_ok({}, file.path()).file, file.path());
  const LoadedConfig ignored = loaded_ok({"--no-config"}, file.path());
  EXPECT_EQ(ignored.config.data_receive_hwm, DaemonConfig{}.data_receive_hwm);
  EXPECT_EQ(ignored.file, "");
  EXPECT_EQ(loaded_ok({}, file.missing_sibling()).file, "") << "no default file: the defaults";
  EXPECT_FALSE(std::holds_alternative<LoadedConfig>(load({"--config", file.path(), "--no-config"})));
}

TEST(ConfigFile, EveryRefusalNamesFileLineColumnKeyAndReason) {
  struct Case {
    std::string text;
    std::string where;                // "LINE:COLUMN"
    std::vector<std::string> words;  // in the message after FILE:LINE:COLUMN
  };
  const std::vector<Case> cases = {
      {"data-hwm = 10\nno-such-option = 3\n", "2:1", {"key 'no-such-option'", "unknown key"}},
      {"[processing]\nzingers = 0.3\n", "1:2", {"key 'processing'", "unknown key"}},
      {"data-hwm = \"many\"\n", "1:12", {"key 'data-hwm'", "expected an integer", "\"many\""}},
      {"publish-hz = true\n", "1:14", {"key 'publish-hz'", "expected a number", "boolean"}},
      {"volume-at-end = \"yes\"\n", "1:17", {"key 'volume-at-end'", "expected true or false"}},
      {"data = [1.5, true]\n", "1:8", {"key 'data'", "array of strings", "boolean"}},
      {"\n\ndata-hwm = 0\n", "3:12", {"key 'data-hwm'", "0", "1 to 1000000"}},
      {"publish-hz = 0.01\n", "1:14", {"key 'publish-hz'", "0.01"}},
      {"engine = \"gpu\"\n", "1:10", {"key 'engine'", "gpu", "auto", "cuda"}},
      {"zingers = \"much\"\n", "1:11", {"key 'zingers'", "THRESHOLD"}},
      {"rings = 20\n", "1:9", {"key 'rings'", "ring removal size 20", "odd"}},
      {"http = \"nowhere\"\n", "1:8", {"key 'http'", "\"nowhere\" is not ADDRESS:PORT"}},
      {"scan-plan = \"4,4\"\n", "1:13", {"key 'scan-plan'", "DARKS,FLATS,PROJECTIONS"}},
      {"data-hwm = = 3\n", "1:12", {}},  // TOML syntax: toml++'s message
      {"data-hwm = 3\ndata-hwm = 4\n", "2:12", {"data-hwm"}},  // toml++: "cannot redefine"
      {"data = []\n", "1:8", {"key 'data'", "empty array"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    const ScratchFile file(c.text);
    const std::string message = refusal({"--config", file.path()});
    EXPECT_EQ(message.rfind(file.path() + ":" + c.where + ": ", 0), 0u) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << "one line: " << message;
    for (const std::string& word : c.words) EXPECT_NE(message.find(word), std::string::npos) << message;
  }
}

TEST(ConfigFile, ABadValueIsRefusedEvenWhenTheCommandLineOverridesIt) {
  const ScratchFile file("data-hwm = -5\n");
  const std::string message = refusal({"--config", file.path(), "--data-hwm", "10"});
  EXPECT_EQ(message.rfind(file.path() + ":1:12: key 'data-hwm': ", 0), 0u) << message;
}

TEST(ConfigFile, AnUnreadableFileIsRefusedByName) {
  const ScratchFile file;
  const std::string message = refusal({"--config", file.missing_sibling()});
  EXPECT_NE(message.find(file.missing_sibling()), std::string::npos) << message;
  EXPECT_NE(message.find("cannot be read"), std::string::npos) << message;
}

TEST(ConfigFile, OptionsThatDoNotGoTogetherAreRefusedAcrossFileAndCommandLine) {
  const ScratchFile file("volume-format = \"tiff\"\n");
  const std::string message = refusal({"--config", file.path(), "--volume-dtype", "uint16"});
  EXPECT_NE(message.find("--volume-dtype uint16 needs hdf5 or zarr"), std::string::npos) << message;
}

// The printed configuration is a configuration file: loaded back (with nothing on the command line), every option
// has the same value and comes from the file. Since the settings are CLI11's options, an option that the file could
// not set would come back as a default here, and fail.
TEST(ConfigFile, PrintConfigIsAFileThatLoadsBackToTheSameConfiguration) {
  const ScratchFile file("data-hwm = 2000\nfilter-window = \"hann\"\nrdma = [\"10.0.0.1:7471\"]\n");
  const LoadedConfig first = loaded_ok({"--config", file.path(), "--publish-hz", "12.5", "--volume-overwrite",
                                        "--zingers", "0.25", "--data", "tcp://127.0.0.1:6000", "--data",
                                        "tcp://127.0.0.1:6001", "--http-token", "tab\t\"quoted\""});
  const std::string printed = format_effective_config(first);
  EXPECT_NE(printed.find("data-hwm = 2000  # " + file.path() + ":1"), std::string::npos) << printed;
  EXPECT_NE(printed.find("publish-hz = 12.5  # command line"), std::string::npos) << printed;
  EXPECT_NE(printed.find("queue-capacity = 256  # default"), std::string::npos) << printed;

  const ScratchFile saved(printed);
  const LoadedConfig second = loaded_ok({"--config", saved.path()});
  EXPECT_EQ(lines(second), lines(first));
  EXPECT_EQ(second.config.http_token, "tab\t\"quoted\"");
  EXPECT_EQ(second.config.rdma_endpoints, (std::vector<std::string>{"10.0.0.1:7471"}));
  ASSERT_EQ(second.settings.size(), first.settings.size());
  for (const Setting& s : second.settings) {
    EXPECT_EQ(s.source.kind, SettingSource::Kind::file) << "--" << s.key << " cannot be set in the file";
  }
}

TEST(ConfigFile, PrintConfigThroughTheCommandLineExitsZero) {
  const std::vector<std::string> arguments{"tomolived", "--no-config", "--print-config", "--data-hwm", "7"};
  std::vector<char*> argv;
  for (const std::string& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
  ::testing::internal::CaptureStdout();
  const auto result = parse_command_line(static_cast<int>(argv.size()), argv.data());
  const std::string printed = ::testing::internal::GetCapturedStdout();
  ASSERT_TRUE(std::holds_alternative<int>(result));
  EXPECT_EQ(std::get<int>(result), 0);
  EXPECT_NE(printed.find("data-hwm = 7  # command line"), std::string::npos) << printed;
  EXPECT_NE(printed.find("configuration file read: none"), std::string::npos) << printed;
}

// The example documents every key (a comment, then the key commented out with its default; "[reload]" in the comment
// exactly for the keys a reload applies), loads as it is, and loads with every key uncommented to the daemon's
// defaults: it cannot go stale without this test failing.
TEST(ConfigFile, TheExampleFileDocumentsEveryKeyWithItsDefault) {
  const std::string example = TOMOLIVE_EXAMPLE_CONFIG;
  const LoadedConfig as_shipped = loaded_ok({"--config", example});
  const LoadedConfig defaults = loaded_ok({"--no-config"});
  EXPECT_EQ(lines(as_shipped), lines(defaults)) << "the example leaves every option at its default";

  std::ifstream stream(example);
  std::stringstream uncommented;
  std::map<std::string, int> documented;  // key -> its line
  const std::regex key_line(R"(^# ([a-z0-9-]+) = (.*)$)");
  std::string line, comment;  // comment: the lines since the previous blank line
  for (int number = 1; std::getline(stream, line); ++number) {
    std::smatch match;
    if (std::regex_match(line, match, key_line)) {
      const std::string key = match[1];
      documented[key] = number;
      EXPECT_FALSE(comment.empty()) << key << ": a comment line must explain the key";
      EXPECT_EQ(comment.find("[reload]") != std::string::npos, ConfigReloader::reloadable_keys().contains(key))
          << key << ": [reload] must mark exactly the keys a reload applies";
      uncommented << key << " = " << match[2] << "\n";
    }
    comment = line.empty() ? "" : comment + line + "\n";
  }
  for (const Setting& s : defaults.settings) EXPECT_TRUE(documented.contains(s.key)) << s.key << " is undocumented";

  const ScratchFile all_keys(uncommented.str());
  const LoadedConfig every_key = loaded_ok({"--config", all_keys.path()});
  const std::map<std::string, std::string> shown = lines(every_key), wanted = lines(defaults);
  for (const auto& [key, text] : wanted) {
    // Where the viewer's files are depends on the installation: the example shows the packaged path.
    // data-connect and rdma show an example of their form; their default is none.
    if (key == "viewer-dir" || key == "data-connect" || key == "rdma") continue;
    EXPECT_EQ(shown.at(key), text) << "the example's default of " << key << " is not the daemon's";
  }
}

}  // namespace
}  // namespace tomolive::daemon
