// Processing sweeps (PROTOCOL.md 10.8) and the oblique slice (10.9) through a running daemon: sweep_processing
// returns one image per candidate, each what set_processing with it gives, refuses bad candidates with the value named
// and changes nothing; set_oblique_slice publishes an "oblique" slice (with its normal) equal to the XY slice for the
// axial plane, follows later projections of the next scan, takes three points, and is refused for collinear points.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_harness.hpp"

namespace tomolive::testing {
namespace {

using protocol::ErrorCode;
using protocol::SliceKind;

void stream_and_wait_for_end(DaemonFixture& fixture, const sim::ScanSpec& spec) {
  fixture.sender().stream(sim::ScanSimulator(spec));
  ASSERT_TRUE(fixture.subscriber().wait_event([&](const protocol::Event& e) {
    return e.kind == "scan_ended" && e.scan_id == spec.scan_id;
  }));
}

protocol::SweepProcessing ring_sweep() {
  protocol::SweepProcessing request;
  request.parameter = protocol::SweepParameter::ring_size;
  request.start = 3.0;
  request.stop = 9.0;
  request.count = 4;
  request.xy_row = 3u;
  request.region = protocol::SliceRegionField{8, 4, 40, 48};
  return request;
}

TEST(DaemonAlignView, ProcessingSweepImagesAreWhatSetProcessingGives) {
  DaemonFixture fixture;
  stream_and_wait_for_end(fixture, small_scan_spec(1));

  std::vector<float> images;
  const protocol::Reply reply = fixture.control().request(ring_sweep(), &images);
  ASSERT_TRUE(reply.ok()) << reply.error->message;
  const auto& sweep = std::get<protocol::ProcessingSweepResult>(reply.result);
  EXPECT_EQ(sweep.parameter, protocol::SweepParameter::ring_size);
  EXPECT_EQ(sweep.values, (std::vector<double>{3.0, 5.0, 7.0, 9.0}));
  EXPECT_EQ(sweep.labels, (std::vector<std::string>{"ring_size 3", "ring_size 5", "ring_size 7", "ring_size 9"}));
  ASSERT_EQ(sweep.metric.size(), 4u);
  EXPECT_EQ(sweep.best_index, std::min_element(sweep.metric.begin(), sweep.metric.end()) - sweep.metric.begin());
  ASSERT_EQ(images.size(), 4u * 40 * 48);
  // The sweep changed nothing, and reported its progress candidate by candidate (PROTOCOL.md 10.2, "Timeout").
  EXPECT_FALSE(fixture.control().status().processing.rings.enabled);
  EXPECT_TRUE(fixture.subscriber().wait_event([](const protocol::Event& e) {
    return e.kind == "command_progress" && e.message.find("sweep_processing (ring_size): started, 4") == 0;
  }));
  EXPECT_TRUE(fixture.subscriber().wait_event([](const protocol::Event& e) {
    return e.kind == "command_progress" && e.message.find("sweep_processing (ring_size): 4 of 4") == 0;
  }));
  const auto command = fixture.control().status().scan->command;
  ASSERT_TRUE(command.has_value());
  EXPECT_EQ(command->command, "sweep_processing (ring_size)");
  EXPECT_EQ(command->done, 4u);
  EXPECT_EQ(command->total, 4u);

  ASSERT_TRUE(fixture.control().request(protocol::SetSlices{3u, std::nullopt, std::nullopt}).ok());
  for (std::size_t i = 0; i < 4; ++i) {
    SCOPED_TRACE("candidate " + std::to_string(i));
    protocol::SetProcessing set;
    set.rings = protocol::RingsUpdate{true, static_cast<std::uint32_t>(sweep.values[i])};
    ASSERT_TRUE(fixture.control().request(set).ok());
    std::vector<float> slice;
    ASSERT_TRUE(fixture.control().request(protocol::GetSlice{SliceKind::xy}, &slice).ok());
    float peak = 0.f, worst = 0.f;
    for (std::uint32_t r = 0; r < 40; ++r) {
      for (std::uint32_t c = 0; c < 48; ++c) {
        const float expected = slice[(8 + r) * 64 + 4 + c];
        peak = std::max(peak, std::abs(expected));
        worst = std::max(worst, std::abs(images[i * 40 * 48 + r * 48 + c] - expected));
      }
    }
    EXPECT_LE(worst, 1e-5f * peak);
  }
}

TEST(DaemonAlignView, ProcessingSweepRefusesBadCandidates) {
  DaemonFixture fixture;
  protocol::SweepProcessing request = ring_sweep();
  EXPECT_EQ(fixture.control().request(request).error->code, ErrorCode::no_active_scan);
  stream_and_wait_for_end(fixture, small_scan_spec(1));

  const auto refused = [&](const protocol::SweepProcessing& r, const std::string& needle) {
    const protocol::Reply reply = fixture.control().request(r);
    ASSERT_FALSE(reply.ok());
    EXPECT_EQ(reply.error->code, ErrorCode::invalid_argument);
    EXPECT_NE(reply.error->message.find(needle), std::string::npos) << reply.error->message;
  };
  request = ring_sweep();
  request.start.reset();
  request.stop.reset();
  request.count.reset();
  request.values = std::vector<double>{5.0, 6.0};
  refused(request, "ring_size 6 must be an odd integer in 3..255");
  request.parameter = protocol::SweepParameter::delta_over_beta;
  request.values = std::vector<double>{100.0, 0.0};
  refused(request, "delta_over_beta 0 must be > 0");
  request.values.reset();
  request.start = -1.0;
  request.stop = 10.0;
  request.count = 3;
  refused(request, "log spacing needs start and stop > 0");
  request = ring_sweep();
  request.parameter = protocol::SweepParameter::window;
  request.start.reset();
  request.stop.reset();
  request.count.reset();
  request.windows = std::vector<std::string>{"hann", "kaiser"};
  refused(request, "windows[1] \"kaiser\" is not a window");
  request.windows.reset();
  request.region = protocol::SliceRegionField{60, 0, 10, 10};
  refused(request, "must lie inside the 64 x 64 XY slice");
  // The default window sweep: all six.
  request.region.reset();
  std::vector<float> images;
  const protocol::Reply reply = fixture.control().request(request, &images);
  ASSERT_TRUE(reply.ok()) << reply.error->message;
  EXPECT_EQ(std::get<protocol::ProcessingSweepResult>(reply.result).labels.front(), "window ram-lak");
  EXPECT_EQ(images.size(), 6u * 64 * 64);
}

TEST(DaemonAlignView, ObliqueSliceIsPublishedAndEqualsTheAxialPlane) {
  DaemonFixture fixture;
  const sim::ScanSpec spec = small_scan_spec(1);
  stream_and_wait_for_end(fixture, spec);
  const std::uint32_t xy_row = spec.rows / 2;

  protocol::SetObliqueSlice axial{true, std::vector<double>{0.0, 0.0, 2.0}, xy_row - 0.5 * (spec.rows - 1), {}};
  const protocol::Reply reply = fixture.control().request(axial);
  ASSERT_TRUE(reply.ok()) << reply.error->message;
  const auto& result = std::get<protocol::ObliqueResult>(reply.result);
  EXPECT_TRUE(result.enabled);
  EXPECT_EQ(result.normal, (std::vector<double>{0.0, 0.0, 1.0}));
  EXPECT_EQ(result.shape, (std::array<std::uint32_t, 2>{64, 64}));

  std::vector<float> oblique, xy;
  const protocol::Reply got = fixture.control().request(protocol::GetSlice{SliceKind::oblique}, &oblique);
  ASSERT_TRUE(got.ok()) << got.error->message;
  EXPECT_EQ(std::get<protocol::SliceUpdate>(got.result).normal, (std::vector<double>{0.0, 0.0, 1.0}));
  ASSERT_TRUE(fixture.control().request(protocol::GetSlice{SliceKind::xy}, &xy).ok());
  EXPECT_EQ(oblique, xy);
  const auto published = fixture.subscriber().wait_slice(SliceKind::oblique, [](const protocol::SliceUpdate& h) {
    return h.normal.has_value() && h.rows == 64;
  });
  ASSERT_TRUE(published);
  EXPECT_EQ(published->values, xy);

  // The setting stays for the next scan, whose oblique slice is built as its projections arrive.
  stream_and_wait_for_end(fixture, small_scan_spec(2));
  const auto next = fixture.subscriber().wait_slice(SliceKind::oblique, [](const protocol::SliceUpdate& h) {
    return h.scan_id == 2 && h.projections_included == 90;
  });
  ASSERT_TRUE(next);
  ASSERT_TRUE(fixture.control().request(protocol::GetSlice{SliceKind::xy}, &xy).ok());
  EXPECT_EQ(next->values.size(), xy.size());
  float peak = 0.f, worst = 0.f;
  for (std::size_t k = 0; k < xy.size(); ++k) {
    peak = std::max(peak, std::abs(xy[k]));
    worst = std::max(worst, std::abs(next->values[k] - xy[k]));
  }
  EXPECT_LE(worst, 1e-5f * peak) << "incremental oblique slice vs the axial slice";
}

TEST(DaemonAlignView, ObliqueSliceFromPointsAndRefusals) {
  DaemonFixture fixture;
  // Points need a scan (their z are detector rows); a normal may be set before one.
  protocol::SetObliqueSlice points{true, {}, {}, std::vector<double>{0, 4, 0, 10, 4, 3, -5, 4, 7}};
  EXPECT_EQ(fixture.control().request(points).error->code, ErrorCode::no_active_scan);
  stream_and_wait_for_end(fixture, small_scan_spec(1));

  const protocol::Reply reply = fixture.control().request(points);
  ASSERT_TRUE(reply.ok()) << reply.error->message;
  const auto& plane = std::get<protocol::ObliqueResult>(reply.result);
  EXPECT_NEAR(plane.normal[1], 1.0, 1e-6);  // the XZ plane y = 4
  EXPECT_NEAR(plane.offset_px, 4.0, 1e-5);
  EXPECT_EQ(plane.shape, (std::array<std::uint32_t, 2>{8, 64}));

  protocol::SetObliqueSlice collinear{true, {}, {}, std::vector<double>{0, 0, 0, 1, 1, 1, 2, 2, 2}};
  const protocol::Reply refused = fixture.control().request(collinear);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error->code, ErrorCode::invalid_argument);
  EXPECT_NE(refused.error->message.find("collinear"), std::string::npos) << refused.error->message;
  protocol::SetObliqueSlice zero{true, std::vector<double>{0, 0, 0}, 0.0, {}};
  EXPECT_EQ(fixture.control().request(zero).error->code, ErrorCode::invalid_argument);

  const protocol::Reply hidden = fixture.control().request(protocol::SetObliqueSlice{false, {}, {}, {}});
  ASSERT_TRUE(hidden.ok());
  EXPECT_FALSE(std::get<protocol::ObliqueResult>(hidden.result).enabled);
}

}  // namespace
}  // namespace tomolive::testing
