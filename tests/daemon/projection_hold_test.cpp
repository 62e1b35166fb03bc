// ProjectionHold: projections kept for a scan's darks and flats go on in frame-id order, with their pixels.
#include "tomolive/daemon/projection_hold.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tomolive::daemon {
namespace {

IngestItem item_with(const std::string& pixels) {
  IngestItem item;
  item.payload = zmq::message_t(pixels.data(), pixels.size());
  return item;
}

TEST(ProjectionHold, GivesTheHeldProjectionsBackInFrameIdOrderWithTheirPixels) {
  ProjectionHold hold(3);
  EXPECT_TRUE(hold.empty());
  for (const std::uint64_t id : {7u, 3u, 5u}) {
    protocol::FrameHeader frame;
    frame.kind = protocol::FrameKind::projection;
    frame.frame_id = id;
    hold.hold(frame, item_with("frame " + std::to_string(id)));
  }
  EXPECT_TRUE(hold.full());
  EXPECT_EQ(hold.size(), 3u);
  std::vector<std::uint64_t> ids;
  for (ProjectionHold::Held& held : hold.take_all()) {
    ids.push_back(held.frame.frame_id);
    EXPECT_EQ(held.item.payload.to_string(), "frame " + std::to_string(held.frame.frame_id));
  }
  EXPECT_EQ(ids, (std::vector<std::uint64_t>{3, 5, 7}));
  EXPECT_TRUE(hold.empty());
  EXPECT_FALSE(hold.full());
}

}  // namespace
}  // namespace tomolive::daemon
