// tomolived's command line: the projection processing options (PROTOCOL.md 10.5), the HTTP limits (PROTOCOL.md 14),
// their defaults and their errors.
#include "tomolive/daemon/config.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace tomolive::daemon {
namespace {

struct Parsed {
  std::variant<DaemonConfig, int> result;
  std::string errors;  // what was printed to stderr
};

Parsed parse(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), "tomolived");
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  ::testing::internal::CaptureStderr();
  auto result = parse_command_line(static_cast<int>(argv.size()), argv.data());
  return {std::move(result), ::testing::internal::GetCapturedStderr()};
}

TEST(DaemonOptions, ProcessingDefaultsToRamLakWithEveryStepOff) {
  const Parsed parsed = parse({});
  ASSERT_TRUE(std::holds_alternative<DaemonConfig>(parsed.result)) << parsed.errors;
  EXPECT_EQ(std::get<DaemonConfig>(parsed.result).processing, kernels::ProcessingParams{});
}

TEST(DaemonOptions, ProcessingOptionsSetEveryStep) {
  const Parsed parsed = parse({"--filter-window", "shepp-logan", "--zingers", "0.25", "--phase", "30,0.5,0.65,250",
                               "--rings", "31"});
  ASSERT_TRUE(std::holds_alternative<DaemonConfig>(parsed.result)) << parsed.errors;
  const kernels::ProcessingParams& processing = std::get<DaemonConfig>(parsed.result).processing;
  EXPECT_EQ(processing.window, kernels::FilterWindow::shepp_logan);
  EXPECT_EQ(processing.zingers, (kernels::ZingerFilter{true, 0.25f}));
  EXPECT_EQ(processing.phase, (kernels::PhaseRetrieval{true, 30.0, 0.5, 0.65, 250.0}));
  EXPECT_EQ(processing.rings, (kernels::RingRemoval{true, 31}));

  const Parsed off = parse({"--zingers", "off", "--phase", "off", "--rings", "off"});
  ASSERT_TRUE(std::holds_alternative<DaemonConfig>(off.result)) << off.errors;
  EXPECT_EQ(std::get<DaemonConfig>(off.result).processing, kernels::ProcessingParams{});
}

TEST(DaemonOptions, DefectivePixelsAreOnByDefaultAndTheOptionsSetThem) {
  const Parsed defaults = parse({});
  ASSERT_TRUE(std::holds_alternative<DaemonConfig>(defaults.result)) << defaults.errors;
  EXPECT_EQ(std::get<DaemonConfig>(defaults.result).processing.defective_pixels,
            (kernels::DefectivePixelDetection{true, 0.5f, 10.f, 10.f}));
  const Parsed set = parse({"--defective-pixels", "off", "--dead-threshold", "0.3", "--hot-threshold", "6",
                            "--noisy-threshold", "12.5"});
  ASSERT_TRUE(std::holds_alternative<DaemonConfig>(set.result)) << set.errors;
  EXPECT_EQ(std::get<DaemonConfig>(set.result).processing.defective_pixels,
            (kernels::DefectivePixelDetection{false, 0.3f, 6.f, 12.5f}));
}

TEST(DaemonOptions, BadProcessingOptionsAreUsageErrorsThatSayWhy) {
  const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> cases = {
      {{"--filter-window", "box"},
       {"--filter-window", "\"box\"", "ram-lak, shepp-logan, cosine, hamming, hann, parzen"}},
      {{"--zingers", "much"}, {"--zingers", "THRESHOLD", "or off"}},
      {{"--zingers", "0"}, {"zinger threshold 0", "> 0"}},
      {{"--phase", "20,0.1,1"}, {"--phase", "ENERGY_KEV,DISTANCE_M,PIXEL_UM,DELTA_OVER_BETA"}},
      {{"--phase", "20,-0.1,1,100"}, {"phase retrieval distance -0.1"}},
      {{"--rings", "20"}, {"ring removal size 20", "odd"}},
      {{"--rings", "on"}, {"--rings", "SIZE"}},
      {{"--defective-pixels", "maybe"}, {"--defective-pixels", "maybe"}},
      {{"--dead-threshold", "1.5"}, {"dead-pixel threshold 1.5", "a fraction in (0, 1)"}},
      {{"--hot-threshold", "0"}, {"hot-pixel threshold 0", "robust sigmas > 0"}},
  };
  for (const auto& [arguments, words] : cases) {
    SCOPED_TRACE(arguments[0] + " " + arguments[1]);
    const Parsed parsed = parse(arguments);
    ASSERT_TRUE(std::holds_alternative<int>(parsed.result));
    EXPECT_EQ(std::get<int>(parsed.result), 2);
    for (const std::string& word : words) EXPECT_NE(parsed.errors.find(word), std::string::npos) << parsed.errors;
  }
}

TEST(DaemonOptions, HttpMaxConnectionsDefaultsTo256AndMustBePositive) {
  const Parsed defaults = parse({});
  ASSERT_TRUE(std::holds_alternative<DaemonConfig>(defaults.result)) << defaults.errors;
  EXPECT_EQ(std::get<DaemonConfig>(defaults.result).http_max_connections, 256);
  const Parsed four = parse({"--http-max-connections", "4"});
  ASSERT_TRUE(std::holds_alternative<DaemonConfig>(four.result)) << four.errors;
  EXPECT_EQ(std::get<DaemonConfig>(four.result).http_max_connections, 4);
  const Parsed zero = parse({"--http-max-connections", "0"});
  ASSERT_TRUE(std::holds_alternative<int>(zero.result));
  EXPECT_NE(zero.errors.find("--http-max-connections"), std::string::npos) << zero.errors;
}

}  // namespace
}  // namespace tomolive::daemon

namespace tomolive::daemon {
namespace {

TEST(DaemonOptions, ZmqIoThreadsDefaultToOnePerDataSocketWithinOneTo16) {
  const auto io_threads = [](std::vector<std::string> arguments) {
    const Parsed parsed = parse(std::move(arguments));
    EXPECT_TRUE(std::holds_alternative<DaemonConfig>(parsed.result)) << parsed.errors;
    return std::holds_alternative<DaemonConfig>(parsed.result)
               ? zmq_io_threads_for(std::get<DaemonConfig>(parsed.result))
               : -1;
  };
  std::vector<std::string> three_bound;
  std::vector<std::string> twenty_connected;
  for (int k = 0; k < 3; ++k) {
    three_bound.insert(three_bound.end(), {"--data", "tcp://127.0.0.1:" + std::to_string(7000 + k)});
  }
  for (int k = 0; k < 20; ++k) {
    twenty_connected.insert(twenty_connected.end(), {"--data-connect", "tcp://10.0.0.1:" + std::to_string(7000 + k)});
  }
  EXPECT_EQ(io_threads({}), 1) << "the default --data";
  EXPECT_EQ(io_threads(three_bound), 3);
  EXPECT_EQ(io_threads(twenty_connected), kMaxAutoZmqIoThreads);
  std::vector<std::string> three_auto = three_bound;
  three_auto.insert(three_auto.end(), {"--zmq-io-threads", "auto"});
  EXPECT_EQ(io_threads(three_auto), 3);
  std::vector<std::string> three_on_two = three_bound;
  three_on_two.insert(three_on_two.end(), {"--zmq-io-threads", "2"});
  EXPECT_EQ(io_threads(three_on_two), 2) << "an explicit count is kept";
  twenty_connected.insert(twenty_connected.end(), {"--zmq-io-threads", "64"});
  EXPECT_EQ(io_threads(twenty_connected), 64) << "an explicit count is not clamped to the automatic limit";

  DaemonConfig no_data;
  no_data.data_endpoints.clear();
  EXPECT_EQ(zmq_io_threads_for(no_data), 1) << "control and publishers need one";

  for (const char* bad : {"0", "65", "-1", "two", ""}) {
    const Parsed parsed = parse({"--zmq-io-threads", bad});
    ASSERT_TRUE(std::holds_alternative<int>(parsed.result)) << bad;
    EXPECT_NE(parsed.errors.find("--zmq-io-threads"), std::string::npos) << parsed.errors;
  }
}

TEST(DaemonOptions, CommandTimeoutDefaultsTo10SecondsPerStage) {
  const Parsed defaults = parse({});
  ASSERT_TRUE(std::holds_alternative<DaemonConfig>(defaults.result)) << defaults.errors;
  EXPECT_EQ(std::get<DaemonConfig>(defaults.result).command_timeout, std::chrono::milliseconds(10000));
  const Parsed short_budget = parse({"--command-timeout-ms", "250"});
  ASSERT_TRUE(std::holds_alternative<DaemonConfig>(short_budget.result)) << short_budget.errors;
  EXPECT_EQ(std::get<DaemonConfig>(short_budget.result).command_timeout, std::chrono::milliseconds(250));
  const Parsed zero = parse({"--command-timeout-ms", "0"});
  ASSERT_TRUE(std::holds_alternative<int>(zero.result));
  EXPECT_NE(zero.errors.find("--command-timeout-ms"), std::string::npos) << zero.errors;
}

TEST(DaemonOptions, DetectorStreamOptions) {
  const Parsed defaults = parse({});
  ASSERT_TRUE(std::holds_alternative<DaemonConfig>(defaults.result)) << defaults.errors;
  EXPECT_FALSE(std::get<DaemonConfig>(defaults.result).data_format.has_value());  // auto
  EXPECT_FALSE(std::get<DaemonConfig>(defaults.result).scan_plan.has_value());
  EXPECT_EQ(std::get<DaemonConfig>(defaults.result).dectris_channel, "");  // the first channel

  const Parsed parsed = parse({"--data-format", "dectris2", "--decode-threads", "6", "--scan-plan", "4,2,180,360",
                               "--max-held-images", "10", "--dectris-channel", "threshold_2"});
  ASSERT_TRUE(std::holds_alternative<DaemonConfig>(parsed.result)) << parsed.errors;
  const DaemonConfig& config = std::get<DaemonConfig>(parsed.result);
  EXPECT_EQ(config.data_format, detector::StreamFormat::dectris2);
  EXPECT_EQ(config.decode_threads, 6u);
  EXPECT_EQ(config.max_held_images, 10u);
  EXPECT_EQ(config.dectris_channel, "threshold_2");
  ASSERT_TRUE(config.scan_plan.has_value());
  EXPECT_EQ(config.scan_plan->n_darks, 4u);
  EXPECT_EQ(config.scan_plan->n_flats, 2u);
  EXPECT_EQ(config.scan_plan->n_projections, 180u);
  EXPECT_EQ(config.scan_plan->angle_range_deg, 360.0);
  EXPECT_FALSE(config.scan_plan->image_key) << "the layout form unless --scan-plan-per-series";

  const Parsed per_series = parse({"--scan-plan", "0,2,180", "--scan-plan-per-series"});
  ASSERT_TRUE(std::holds_alternative<DaemonConfig>(per_series.result)) << per_series.errors;
  const auto& series_plan = std::get<DaemonConfig>(per_series.result).scan_plan;
  ASSERT_TRUE(series_plan.has_value());
  EXPECT_EQ(series_plan->image_key, protocol::FrameKind::flat) << "no darks: the flats series comes first";
}

// Expects the command line to be refused as a usage error (exit code 2) whose message says `says`.
void refused(std::vector<std::string> arguments, const std::string& says) {
  SCOPED_TRACE(arguments[0] + " " + arguments[1]);
  const Parsed parsed = parse(std::move(arguments));
  EXPECT_EQ(std::get_if<int>(&parsed.result) ? std::get<int>(parsed.result) : 0, 2);
  EXPECT_NE(parsed.errors.find(says), std::string::npos) << parsed.errors;
}

TEST(DaemonOptions, DetectorStreamOptionErrors) {
  refused({"--data-format", "hdf5"}, "--data-format");
  refused({"--scan-plan", "4,4"}, "DARKS,FLATS,PROJECTIONS");
  refused({"--scan-plan-per-series", "--max-held-images", "4"}, "--scan-plan-per-series needs --scan-plan");
  refused({"--scan-plan", "4,4,0"}, "n_projections = 0");
  refused({"--data-curve-secret-key", "k"}, "needs --curve-clients");
  refused({"--data-connect", "tcp://d:1", "--data-curve-secret-key", "k"}, "needs --data-curve-server-key");
  refused({"--data-curve-server-key", "p"}, "needs --data-connect and --data-curve-secret-key");
}

TEST(DaemonOptions, SeveralDevicesDefaultToEveryUsableGpuAndOneCpuEngine) {
  const Parsed defaults = parse({});
  ASSERT_TRUE(std::holds_alternative<DaemonConfig>(defaults.result)) << defaults.errors;
  const EngineOptions& engine = std::get<DaemonConfig>(defaults.result).engine;
  EXPECT_TRUE(engine.cuda_devices.empty()) << "--gpus all: every usable device";
  EXPECT_EQ(engine.halo_rows, kernels::kDefaultHaloRows);
  EXPECT_EQ(engine.cpu_slabs, 1u);

  const Parsed set = parse({"--gpus", "2,0,5", "--gpu-halo-rows", "8"});
  ASSERT_TRUE(std::holds_alternative<DaemonConfig>(set.result)) << set.errors;
  EXPECT_EQ(std::get<DaemonConfig>(set.result).engine.cuda_devices, (std::vector<int>{2, 0, 5}))
      << "the devices in the order given";
  EXPECT_EQ(std::get<DaemonConfig>(set.result).engine.halo_rows, 8u);

  const Parsed cpu = parse({"--engine", "cpu", "--cpu-slabs", "3", "--gpus", "all"});
  ASSERT_TRUE(std::holds_alternative<DaemonConfig>(cpu.result)) << cpu.errors;
  EXPECT_EQ(std::get<DaemonConfig>(cpu.result).engine.cpu_slabs, 3u);
}

TEST(DaemonOptions, BadDeviceOptionsAreUsageErrorsThatSayWhy) {
  refused({"--gpus", "0,1,0"}, "lists CUDA device 0 twice");
  refused({"--gpus", "first"}, "is not all or a comma-separated list of CUDA device indices");
  refused({"--gpus", "0,,1"}, "is not all or a comma-separated list");
  refused({"--gpus", "-1"}, "is not all or a comma-separated list");
  refused({"--gpus", ""}, "is not all or a comma-separated list");
  refused({"--gpus", "99999"}, "is not all or a comma-separated list");
  refused({"--gpu-halo-rows", "-3"}, "--gpu-halo-rows");
  refused({"--gpu-halo-rows", "5000"}, "--gpu-halo-rows");
  refused({"--cpu-slabs", "0"}, "--cpu-slabs");
  refused({"--cpu-slabs", "65"}, "--cpu-slabs");
  refused({"--gpus", "0,1", "--engine", "cpu"}, "--engine cpu uses none");
  refused({"--cpu-slabs", "2", "--engine", "cuda"}, "--engine cuda uses none");
}

}  // namespace
}  // namespace tomolive::daemon
