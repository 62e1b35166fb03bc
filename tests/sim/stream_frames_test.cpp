// Which frames each stream of a simulated scan sends, and prerendered projections.
#include "tomolive/sim/stream_frames.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace tomolive::sim {
namespace {

using protocol::FrameKind;

ScanSpec three_stream_spec() {
  ScanSpec spec;
  spec.rows = 8;
  spec.cols = 16;
  spec.projections_per_turn = 7;
  spec.num_darks = 2;
  spec.num_flats = 1;
  spec.streams = 3;
  return spec;
}

TEST(StreamFrames, StreamZeroSendsTheReferencesAndEachStreamItsShareOfProjections) {
  const ScanSimulator scan(three_stream_spec());
  std::vector<std::size_t> every;
  for (std::uint32_t stream = 0; stream < 3; ++stream) {
    const std::vector<std::size_t> frames = stream_frames(scan, stream);
    for (const std::size_t index : frames) {
      const FrameRef frame = scan.frame_at(index);
      if (frame.kind == FrameKind::projection) {
        EXPECT_EQ(frame.frame_id % 3, stream) << index;
      } else {
        EXPECT_EQ(stream, 0u) << index;
      }
    }
    EXPECT_TRUE(std::is_sorted(frames.begin(), frames.end()));
    every.insert(every.end(), frames.begin(), frames.end());
  }
  std::sort(every.begin(), every.end());
  std::vector<std::size_t> all(scan.frame_count());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  EXPECT_EQ(every, all);  // each frame on exactly one stream
  EXPECT_EQ(stream_frames(scan, 0).size(), 2u + 1u + 3u);  // projections 0, 3, 6
}

TEST(PrerenderedProjections, ProjectionKCarriesThePixelsOfProjectionKModCount) {
  ScanSpec spec = three_stream_spec();
  spec.streams = 1;
  const ScanSimulator scan(spec);
  const PrerenderedProjections prerendered(scan, 2);
  ASSERT_FALSE(prerendered.empty());
  EXPECT_EQ(prerendered.block().size(), 2 * scan.frame_pixels());
  const std::size_t first_projection = scan.frame_count() - spec.num_projections();
  for (std::uint64_t k = 0; k < 5; ++k) {
    const std::vector<std::uint16_t> expected = scan.render(first_projection + k % 2);
    const auto pixels = prerendered.pixels(k);
    EXPECT_TRUE(std::equal(pixels.begin(), pixels.end(), expected.begin(), expected.end())) << k;
    EXPECT_EQ(prerendered.offset_of(k), (k % 2) * scan.frame_pixels());
  }
  EXPECT_TRUE(PrerenderedProjections(scan, 0).empty());
  EXPECT_EQ(PrerenderedProjections(scan, 100).block().size(), spec.num_projections() * scan.frame_pixels());
}

}  // namespace
}  // namespace tomolive::sim
