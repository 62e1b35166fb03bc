// Whole daemons fed by the sender library: a phantom scan sent through tomolive-send over the native ZeroMQ
// protocol, and over RDMA (the daemon's receiver on the fake transport), reconstructs exactly as the same frames fed
// to a reference engine (what the native path gives, tests/daemon); the status reports the RDMA endpoint.
#include <gtest/gtest.h>

#include <filesystem>

#include "daemon_harness.hpp"
#include "sender_core.hpp"
#include "tomolive/rdma/fake_transport.hpp"
#include "tomolive/sim/scan_spec.hpp"

namespace tomolive::testing {
namespace {

struct SenderCloser {
  void operator()(tl_sender* sender) const { tl_close(sender, 5000); }
};
using SenderPtr = std::unique_ptr<tl_sender, SenderCloser>;

// begin, every frame (copied, or zero-copy from one registered buffer), end — as a detector using the library would.
void stream_with_library(tl_sender* sender, const sim::ScanSimulator& scan, bool zero_copy) {
  const protocol::ScanBegin begin = sim::make_scan_begin(scan.spec());
  const auto& range = std::get<protocol::AngleRange>(begin.angles);
  tl_scan description{};
  description.scan_id = begin.scan_id;
  description.name = "library";
  description.rows = begin.rows;
  description.cols = begin.cols;
  description.dtype = TL_UINT16;
  description.num_darks = begin.num_darks;
  description.num_flats = begin.num_flats;
  description.num_projections = begin.num_projections;
  description.angle_start_deg = range.start_deg;
  description.angle_step_deg = range.step_deg;
  description.center_offset_px = begin.center_offset_px;
  const std::uint64_t sent_before = tl_frames_sent(sender);
  ASSERT_EQ(tl_begin_scan(sender, &description, 5000), TL_OK) << tl_last_error(sender);
  std::vector<std::uint16_t> pixels(scan.frame_pixels());
  const std::size_t bytes = pixels.size() * sizeof(std::uint16_t);
  std::uint32_t buffer = 0;
  if (zero_copy) {
    ASSERT_EQ(tl_register_buffer(sender, pixels.data(), bytes, &buffer), TL_OK);
  }
  std::uint64_t ticket = 0;
  for (std::size_t i = 0; i < scan.frame_count(); ++i) {
    if (ticket) {
      ASSERT_EQ(tl_wait_released(sender, ticket, 5000), TL_OK) << tl_last_error(sender);
    }
    scan.render(i, pixels);
    const sim::FrameRef frame = scan.frame_at(i);
    tl_status status;
    if (zero_copy) {
      status = tl_send_registered(sender, static_cast<tl_frame_kind>(static_cast<int>(frame.kind)), frame.frame_id,
                                  NAN, buffer, 0, bytes, 5000, &ticket);
    } else if (frame.kind == protocol::FrameKind::dark) {
      status = tl_send_dark(sender, frame.frame_id, pixels.data(), bytes, 5000);
    } else if (frame.kind == protocol::FrameKind::flat) {
      status = tl_send_flat(sender, frame.frame_id, pixels.data(), bytes, 5000);
    } else {
      status = tl_send_projection(sender, frame.frame_id, NAN, pixels.data(), bytes, 5000);
    }
    ASSERT_EQ(status, TL_OK) << tl_last_error(sender);
  }
  ASSERT_EQ(tl_end_scan(sender, 5000), TL_OK) << tl_last_error(sender);
  EXPECT_EQ(tl_frames_sent(sender) - sent_before, scan.frame_count());
}

TEST(DaemonSendLibrary, PhantomScanOverZeroMqReconstructsAsTheNativePath) {
  DaemonFixture fixture;
  tl_sender* raw = nullptr;
  ASSERT_EQ(tl_open(fixture.daemon().data_endpoints()[0].c_str(), nullptr, &raw), TL_OK) << tl_open_error();
  SenderPtr sender(raw);
  const sim::ScanSimulator scan(small_scan_spec(1));
  stream_with_library(sender.get(), scan, false);
  expect_slices_match_reference(fixture, scan);
  const sim::ScanSimulator zero_copy(small_scan_spec(2));
  stream_with_library(sender.get(), zero_copy, true);
  expect_slices_match_reference(fixture, zero_copy);
  EXPECT_EQ(fixture.control().counter("rejected"), 0u);
}

TEST(DaemonSendLibrary, PhantomScanOverRdmaReconstructsAsTheNativePath) {
  auto transport = std::make_shared<rdma::FakeTransport>();
  daemon::DaemonConfig config = test_config();
  config.rdma_transport = transport;
  config.rdma_endpoints = {"10.0.0.1:7471"};
  DaemonFixture fixture(config);
  tl_options options{};
  options.slot_bytes = 64 * 8 * 2;
  options.slot_count = 4;
  tl_sender* raw = nullptr;
  ASSERT_EQ(send::open_sender("rdma://10.0.0.1:7471", &options, *transport, &raw), TL_OK) << tl_open_error();
  SenderPtr sender(raw);
  const sim::ScanSimulator scan(small_scan_spec(1));
  stream_with_library(sender.get(), scan, false);
  expect_slices_match_reference(fixture, scan);
  const sim::ScanSimulator zero_copy(small_scan_spec(2));
  stream_with_library(sender.get(), zero_copy, true);
  expect_slices_match_reference(fixture, zero_copy);

  const protocol::Status status = fixture.control().status();
  ASSERT_TRUE(status.rdma);
  EXPECT_EQ(status.rdma->endpoints, "10.0.0.1:7471 on fake");
  EXPECT_EQ(status.rdma->connections, 1u);
  EXPECT_NE(status.rdma->memory.find("host"), std::string::npos);
  EXPECT_FALSE(status.rdma->gpudirect.empty());
  EXPECT_EQ(fixture.control().counter("rdma_connections"), 1u);
  EXPECT_EQ(fixture.control().counter("rejected"), 0u);
}

// The memory path and the GPUDirect verdict in the status, from a faked probe: GPUDirect possible (nvidia-peermem
// loaded) is reported and not used; absent, the reason names what is missing. The harness's CPU engine reads the
// slots in plain host memory.
TEST(DaemonSendLibrary, StatusReportsTheMemoryPathAndWhyNotGpuDirect) {
  const std::filesystem::path modules = std::filesystem::temp_directory_path() / "tomolive-daemon-rdma-modules";
  std::filesystem::remove_all(modules);
  std::filesystem::create_directories(modules / "nvidia_peermem");
  const auto status_with = [&](const std::filesystem::path& sys_module) {
    daemon::DaemonConfig config = test_config();
    config.rdma_transport = std::make_shared<rdma::FakeTransport>();
    config.rdma_endpoints = {"10.0.0.1:7471"};
    config.gpudirect_probe.sys_module = sys_module;
    config.gpudirect_probe.exports = [](const std::string&, const std::string&) { return false; };
    DaemonFixture fixture(config);
    return *fixture.control().status().rdma;
  };
  const protocol::RdmaStatus with_peermem = status_with(modules);
  EXPECT_EQ(with_peermem.memory, "host");
  EXPECT_EQ(with_peermem.gpudirect.rfind("possible, not used: the engine takes frames from host memory", 0), 0u)
      << with_peermem.gpudirect;
  EXPECT_NE(with_peermem.gpudirect.find("nvidia-peermem loaded"), std::string::npos) << with_peermem.gpudirect;

  const protocol::RdmaStatus without = status_with(modules / "nvidia_peermem");  // a folder with no modules in it
  EXPECT_EQ(without.memory, "host");
  EXPECT_EQ(without.gpudirect.rfind("not possible (peer memory: no nvidia_peermem", 0), 0u) << without.gpudirect;
  EXPECT_NE(without.gpudirect.find("dma-buf: libibverbs.so.1 has no ibv_reg_dmabuf_mr"), std::string::npos)
      << without.gpudirect;
  std::filesystem::remove_all(modules);
}

TEST(DaemonSendLibrary, StatusHasNoRdmaWithoutRdmaEndpoints) {
  DaemonFixture fixture;
  EXPECT_FALSE(fixture.control().status().rdma);
}

TEST(DaemonConfigRdma, RdmaOptionsAreParsedAndCheckedAtStart) {
  const char* good[] = {"tomolived", "--rdma", "192.168.1.5:7471", "--rdma", "[fe80::1]:7472",
                        "--rdma-max-slot-mib", "16", "--rdma-max-slots", "8"};
  const auto parsed = daemon::parse_command_line(9, const_cast<char**>(good));
  ASSERT_TRUE(std::holds_alternative<daemon::DaemonConfig>(parsed));
  const auto& config = std::get<daemon::DaemonConfig>(parsed);
  EXPECT_EQ(config.rdma_endpoints, (std::vector<std::string>{"192.168.1.5:7471", "[fe80::1]:7472"}));
  EXPECT_EQ(config.rdma_limits.max_slot_bytes, 16u << 20);
  EXPECT_EQ(config.rdma_limits.max_slots, 8u);
  const char* bad[] = {"tomolived", "--rdma", "mlx5_0"};
  const auto refused = daemon::parse_command_line(3, const_cast<char**>(bad));
  ASSERT_TRUE(std::holds_alternative<int>(refused));
  EXPECT_EQ(std::get<int>(refused), 2);
}

}  // namespace
}  // namespace tomolive::testing
