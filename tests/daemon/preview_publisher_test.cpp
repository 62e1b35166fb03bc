// The live 3D preview's way to browsers (PROTOCOL.md 10.12, 14.6): quantization to 8 bits over the finite range,
// chunks of whole layers within kPreviewChunkBytes with the TLV1 framing, and PreviewPublisher's throttling (only a
// changed preview, at most once per interval unless asked at once; a disabled preview clears the board), on a clock
// the test moves by hand.
#include "tomolive/daemon/preview_publisher.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tomolive/daemon/preview_frame.hpp"
#include "tomolive/kernels/cpu_engine.hpp"

namespace tomolive::daemon {
namespace {

using namespace std::chrono_literals;

TEST(PreviewFrame, QuantizesOverTheFiniteRange) {
  PreviewSnapshot snapshot;
  const std::vector<float> voxels = {-1.f, 0.f, 1.f, std::numeric_limits<float>::quiet_NaN(), 3.f};
  quantize_preview(voxels, snapshot);
  EXPECT_EQ(snapshot.value_min, -1.f);
  EXPECT_EQ(snapshot.value_max, 3.f);
  EXPECT_EQ(snapshot.non_finite, 1u);
  EXPECT_EQ(snapshot.values, (std::vector<std::uint8_t>{0, 64, 128, 0, 255}));  // 255 / 4 = 63.75 -> 64

  const std::vector<float> flat(3, 2.f);
  quantize_preview(flat, snapshot);
  EXPECT_EQ(snapshot.values, (std::vector<std::uint8_t>{0, 0, 0}));  // an empty range: all q = 0
}

TEST(PreviewFrame, ChunksAreWholeLayersWithinTheBound) {
  PreviewSnapshot snapshot;
  snapshot.layers = 10;
  snapshot.rows = snapshot.cols = 200;  // 40000 bytes a layer: 6 layers fit 256 KiB
  snapshot.values.resize(std::size_t{10} * 200 * 200);
  for (std::size_t k = 0; k < snapshot.values.size(); ++k) snapshot.values[k] = static_cast<std::uint8_t>(k / 40000);
  snapshot.scan_id = 3;
  snapshot.sequence = 9;
  EXPECT_EQ(preview_chunk_layers(snapshot), 6u);
  EXPECT_EQ(preview_chunk_count(snapshot), 2u);

  const std::string chunk = encode_preview_chunk(snapshot, 1, 123);
  ASSERT_GT(chunk.size(), 8u);
  EXPECT_EQ(chunk.substr(0, 4), "TLV1");
  std::uint32_t header_bytes = 0;
  std::memcpy(&header_bytes, chunk.data() + 4, sizeof header_bytes);
  const auto header = nlohmann::json::parse(chunk.substr(8, header_bytes));
  EXPECT_EQ(header.at("type"), "preview");
  EXPECT_EQ(header.at("layers"), nlohmann::json::array({6, 4}));
  EXPECT_EQ(header.at("chunk"), 1);
  EXPECT_EQ(header.at("chunks"), 2);
  EXPECT_EQ(header.at("shape"), nlohmann::json::array({10, 200, 200}));
  EXPECT_EQ(header.at("sequence"), 9);
  const std::size_t data = (8 + header_bytes + 7) / 8 * 8;
  ASSERT_EQ(chunk.size(), data + std::size_t{4} * 40000);
  EXPECT_EQ(static_cast<std::uint8_t>(chunk[data]), 6);  // the first voxel of layer 6
  EXPECT_EQ(static_cast<std::uint8_t>(chunk.back()), 9);
}

// A CPU engine with an 8 x 16 scan and a preview of 16 a side, a board, and a publisher on a hand-moved clock.
class PreviewPublisherTest : public ::testing::Test {
 protected:
  PreviewPublisherTest()
      : engine(kernels::make_cpu_engine({.memory_limit_bytes = 0, .threads = 1})),
        publisher(&board, [this] { ++wakeups; }, 1s, [this] { return now; }) {
    const kernels::ScanGeometry geometry{8, 16, 4, std::numbers::pi_v<float> / 4.f, {}, {}};
    kernels::ReconParams params;
    params.preview = kernels::PreviewParams{true, 16};
    engine->begin_scan(geometry, params);
  }

  void add_projection(std::uint32_t slot) {
    std::vector<float> frame(std::size_t{8} * 16, 0.5f);
    engine->add_projection(slot, 0.3f * static_cast<float>(slot),
                           kernels::FrameView{frame.data(), kernels::PixelType::float32, 8, 16});
  }

  std::chrono::steady_clock::time_point now{std::chrono::seconds(1000)};
  std::unique_ptr<kernels::Engine> engine;
  PreviewBoard board;
  int wakeups = 0;
  PreviewPublisher publisher;
};

TEST_F(PreviewPublisherTest, PublishesAChangedPreviewAtMostOncePerInterval) {
  publisher.maybe_publish(*engine, 5);
  ASSERT_NE(board.latest(), nullptr);
  EXPECT_EQ(board.latest()->sequence, 1u);
  EXPECT_EQ(board.latest()->scan_id, 5u);
  EXPECT_EQ(board.latest()->layers, 8u);
  EXPECT_EQ(board.latest()->values.size(), std::size_t{8} * 16 * 16);
  EXPECT_EQ(wakeups, 1);

  publisher.maybe_publish(*engine, 5);  // unchanged: nothing
  add_projection(0);
  publisher.maybe_publish(*engine, 5);  // changed, but within the interval
  EXPECT_EQ(board.latest()->sequence, 1u);
  now += 1s;
  publisher.maybe_publish(*engine, 5);
  EXPECT_EQ(board.latest()->sequence, 2u);
  EXPECT_GT(board.latest()->value_max, board.latest()->value_min);
  add_projection(1);
  publisher.maybe_publish(*engine, 5, true);  // at once
  EXPECT_EQ(board.latest()->sequence, 3u);
  EXPECT_EQ(publisher.published(), 3u);
  EXPECT_EQ(wakeups, 3);

  engine->set_preview(kernels::PreviewParams{false, 16});
  publisher.maybe_publish(*engine, 5);
  EXPECT_EQ(board.latest(), nullptr);
  EXPECT_EQ(wakeups, 4);
  publisher.maybe_publish(*engine, 5);
  EXPECT_EQ(wakeups, 4);
}

}  // namespace
}  // namespace tomolive::daemon
