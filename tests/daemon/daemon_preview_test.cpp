// The live 3D preview through a running daemon (PROTOCOL.md 10.12), over ZeroMQ control: off by default with the CPU
// engine; set_preview without a scan is kept for the next one, whose status then reports the preview's grid, memory
// and first published snapshot; a side out of range is refused with the value named; disabled, it stays disabled for
// later scans; --preview on at start enables it from the first scan.
#include <gtest/gtest.h>

#include "daemon_harness.hpp"

namespace tomolive::testing {
namespace {

using protocol::ErrorCode;

void stream_and_wait_for_end(DaemonFixture& fixture, const sim::ScanSpec& spec) {
  fixture.sender().stream(sim::ScanSimulator(spec));
  ASSERT_TRUE(fixture.subscriber().wait_event([&](const protocol::Event& e) {
    return e.kind == "scan_ended" && e.scan_id == spec.scan_id;
  }));
}

TEST(DaemonPreview, SetPreviewIsKeptForTheNextScanAndReported) {
  DaemonFixture fixture;
  const protocol::Status idle = fixture.control().status();
  ASSERT_TRUE(idle.preview.has_value());
  EXPECT_FALSE(idle.preview->enabled);  // the CPU engine's default
  EXPECT_EQ(idle.preview->side, 64u);

  const protocol::Reply set = fixture.control().request(protocol::SetPreview{true, 16u});
  ASSERT_TRUE(set.ok()) << set.error->message;
  const auto& result = std::get<protocol::PreviewStatus>(set.result);
  EXPECT_TRUE(result.enabled);
  EXPECT_EQ(result.side, 16u);
  EXPECT_EQ(result.shape, (std::array<std::uint32_t, 3>{0, 0, 0}));  // no scan yet

  stream_and_wait_for_end(fixture, small_scan_spec(1));  // 8 x 64: binning 4
  const protocol::Status status = fixture.control().status();
  ASSERT_TRUE(status.preview.has_value());
  EXPECT_EQ(status.preview->shape, (std::array<std::uint32_t, 3>{2, 16, 16}));
  EXPECT_EQ(status.preview->binning, 4u);
  EXPECT_EQ(status.preview->bytes, 2u * 16 * 16 * 4);
  ASSERT_TRUE(status.scan.has_value());
  EXPECT_GT(status.scan->memory.preview_bytes, 0u);
  EXPECT_EQ(status.preview->budget_bytes, status.scan->memory.preview_bytes);
  EXPECT_GE(status.scan->memory.slice_bytes, status.scan->memory.preview_bytes);
  EXPECT_GT(status.preview->version, 0u);
  EXPECT_GE(status.preview->published, 1u);  // at least the scan's first snapshot, at its begin
  EXPECT_EQ(status.preview->interval_s, 1.0);

  const protocol::Reply small = fixture.control().request(protocol::SetPreview{true, 8u});
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(small.error->code, ErrorCode::invalid_argument);
  EXPECT_NE(small.error->message.find("side = 8"), std::string::npos) << small.error->message;
  EXPECT_TRUE(fixture.control().status().preview->enabled);  // unchanged

  const protocol::Reply off = fixture.control().request(protocol::SetPreview{false, std::nullopt});
  ASSERT_TRUE(off.ok()) << off.error->message;
  EXPECT_EQ(std::get<protocol::PreviewStatus>(off.result).shape, (std::array<std::uint32_t, 3>{0, 0, 0}));
  stream_and_wait_for_end(fixture, small_scan_spec(2));
  const protocol::Status later = fixture.control().status();
  EXPECT_FALSE(later.preview->enabled);
  EXPECT_EQ(later.preview->side, 16u);  // kept for when it is on again
  EXPECT_EQ(later.preview->bytes, 0u);
}

TEST(DaemonPreview, ThePreviewOptionEnablesItFromTheFirstScan) {
  daemon::DaemonConfig config = test_config();
  config.preview_enabled = true;
  config.preview_side = 32;
  DaemonFixture fixture(config);
  stream_and_wait_for_end(fixture, small_scan_spec(1));  // 8 x 64: binning 2
  const protocol::Status status = fixture.control().status();
  ASSERT_TRUE(status.preview.has_value());
  EXPECT_TRUE(status.preview->enabled);
  EXPECT_EQ(status.preview->shape, (std::array<std::uint32_t, 3>{4, 32, 32}));
}

}  // namespace
}  // namespace tomolive::testing
