// Reloading the configuration file while the daemon runs (SIGHUP; ConfigReloader): the token, the publish rate and
// the processing options apply at once, a key that needs a restart is named and left as it runs, and a bad file is
// refused with its line while the running configuration is kept. The status's config map reports each reload.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_harness.hpp"
#include "tomolive/daemon/config_reloader.hpp"

namespace tomolive::testing {
namespace {

class ConfigReload : public ::testing::Test {
 protected:
  ConfigReload() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tomolive-reload-XXXXXX").string();
    directory_ = ::mkdtemp(pattern.data());
    file_ = (directory_ / "tomolive.toml").string();
  }
  ~ConfigReload() override { std::filesystem::remove_all(directory_); }

  void write(const std::string& text) const { std::ofstream(file_, std::ios::trunc) << text; }
  std::vector<std::string> arguments() const { return {"--config", file_}; }

  // The daemon as the file configures it, on the harness's ephemeral loopback sockets and CPU engine.
  daemon::DaemonConfig daemon_config(const daemon::LoadedConfig& loaded) const {
    daemon::DaemonConfig config = test_config();
    config.http_token = loaded.config.http_token;
    config.publish_hz = loaded.config.publish_hz;
    config.processing = loaded.config.processing;
    return config;
  }

  std::filesystem::path directory_;
  std::string file_;
};

bool contains(const std::vector<std::string>& keys, const std::string& key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

TEST_F(ConfigReload, AppliesTokenRateAndProcessingAndNamesWhatNeedsARestart) {
  write("publish-hz = 50.0\ndata-hwm = 1000\n");
  auto loaded = daemon::load_config(arguments());
  ASSERT_TRUE(std::holds_alternative<daemon::LoadedConfig>(loaded));
  DaemonFixture fixture(daemon_config(std::get<daemon::LoadedConfig>(loaded)));
  daemon::ConfigReloader reloader(arguments(), std::get<daemon::LoadedConfig>(std::move(loaded)), fixture.daemon());
  protocol::Status status = fixture.control().status();
  ASSERT_TRUE(status.config.has_value());
  EXPECT_EQ(status.config->file, file_);
  EXPECT_EQ(status.config->reloads, 0u);
  EXPECT_FALSE(status.config->loaded_at.empty());
  EXPECT_FALSE(status.security->control_token);
  EXPECT_TRUE(fixture.control().republish_processing()) << "no token yet: control is open";

  write("publish-hz = 5.0\ndata-hwm = 2000\nhttp-token = \"n3w\"\nfilter-window = \"hann\"\n");
  const daemon::ConfigReloader::Outcome outcome = reloader.reload();
  EXPECT_EQ(outcome.error, "");
  EXPECT_TRUE(contains(outcome.applied, "publish-hz"));
  EXPECT_TRUE(contains(outcome.applied, "http-token"));
  EXPECT_TRUE(contains(outcome.applied, "filter-window"));
  EXPECT_EQ(outcome.restart_needed, (std::vector<std::string>{"data-hwm"}));
  EXPECT_NE(outcome.log_line.find("publish-hz 50.0 -> 5.0"), std::string::npos) << outcome.log_line;
  EXPECT_NE(outcome.log_line.find("needs a restart, not applied: data-hwm 1000 -> 2000"), std::string::npos)
      << outcome.log_line;
  EXPECT_EQ(outcome.log_line.find("n3w"), std::string::npos) << "the token is never logged: " << outcome.log_line;

  // The new token is needed from now on; the restart-only key still runs with its old value.
  EXPECT_DOUBLE_EQ(fixture.daemon().publish_hz(), 5.0);
  EXPECT_EQ(reloader.running().data_receive_hwm, 1000);
  EXPECT_FALSE(fixture.control().republish_processing()) << "control without the new token is refused";
  ControlClient with_token(fixture.context(), fixture.daemon().control_endpoint(), "n3w");
  EXPECT_TRUE(with_token.republish_processing());
  status = fixture.control().status();
  EXPECT_EQ(status.processing.window, protocol::FilterWindow::hann);
  EXPECT_TRUE(status.security->control_token);
  EXPECT_EQ(status.config->reloads, 1u);
  EXPECT_EQ(status.config->restart_needed, "data-hwm");
  EXPECT_EQ(status.config->last_error, "");

  // A bad file is refused with its line; what runs stays as it was.
  write("publish-hz = 7.0\nhttp-token = \"other\"\ndata-hwm = \"lots\"\n");
  const daemon::ConfigReloader::Outcome refused = reloader.reload();
  EXPECT_EQ(refused.error.rfind(file_ + ":3:12: key 'data-hwm': ", 0), 0u) << refused.error;
  EXPECT_TRUE(refused.applied.empty());
  EXPECT_DOUBLE_EQ(fixture.daemon().publish_hz(), 5.0);
  EXPECT_TRUE(with_token.republish_processing()) << "the token of the refused file is not taken";
  status = fixture.control().status();
  EXPECT_EQ(status.config->reloads, 1u);
  EXPECT_EQ(status.config->last_error, refused.error);
}

TEST_F(ConfigReload, AnUnchangedFileAppliesNothing) {
  write("publish-hz = 50.0\n");
  auto loaded = daemon::load_config(arguments());
  ASSERT_TRUE(std::holds_alternative<daemon::LoadedConfig>(loaded));
  DaemonFixture fixture(daemon_config(std::get<daemon::LoadedConfig>(loaded)));
  daemon::ConfigReloader reloader(arguments(), std::get<daemon::LoadedConfig>(std::move(loaded)), fixture.daemon());
  const daemon::ConfigReloader::Outcome outcome = reloader.reload();
  EXPECT_TRUE(outcome.applied.empty());
  EXPECT_TRUE(outcome.restart_needed.empty());
  EXPECT_NE(outcome.log_line.find("nothing to apply"), std::string::npos) << outcome.log_line;
  EXPECT_EQ(fixture.control().status().config->reloads, 1u);
}

}  // namespace
}  // namespace tomolive::testing
