// Center of rotation through a running daemon (PROTOCOL.md 10.4): estimate_center by registration (and its
// refusal when no pair exists), the automatic estimate, and sweep_center images equal to the slice at each center.
#include <array>
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_harness.hpp"

namespace tomolive::testing {
namespace {

// A 360-degree scan whose true axis is `truth` pixels off the detector centre while the begin announces 0.
sim::ScanSpec misaligned_360_scan(std::uint64_t scan_id, double truth) {
  sim::ScanSpec spec = small_scan_spec(scan_id);
  spec.range_deg = 360.0;
  spec.projections_per_turn = 180;
  spec.center_offset_px = truth;
  spec.announced_center_offset_px = 0.0;
  return spec;
}

void stream_and_wait_for_end(DaemonFixture& fixture, const sim::ScanSpec& spec) {
  fixture.sender().stream(sim::ScanSimulator(spec));
  ASSERT_TRUE(fixture.subscriber().wait_event([&](const protocol::Event& e) {
    return e.kind == "scan_ended" && e.scan_id == spec.scan_id;
  }));
}

TEST(DaemonCenter, RegistrationFindsAndAppliesTheAxisOfA360DegreeScan) {
  DaemonFixture fixture;
  constexpr double kTruth = 2.3;
  stream_and_wait_for_end(fixture, misaligned_360_scan(1, kTruth));

  const protocol::Reply reply =
      fixture.control().request(protocol::EstimateCenter{protocol::CenterMethod::registration, true});
  ASSERT_TRUE(reply.ok()) << reply.error->message;
  const auto& estimate = std::get<protocol::CenterEstimateResult>(reply.result);
  EXPECT_EQ(estimate.method, "registration");
  EXPECT_NEAR(estimate.center_offset_px, kTruth, 0.25);  // Q4
  EXPECT_DOUBLE_EQ(estimate.center_column_px, 31.5 + estimate.center_offset_px);
  EXPECT_GT(estimate.samples, 0u);
  EXPECT_GT(estimate.confidence, 0.5);
  EXPECT_LE(estimate.confidence, 1.0);
  EXPECT_TRUE(estimate.applied);

  const protocol::Status status = fixture.control().status();
  ASSERT_TRUE(status.scan && status.scan->center_estimate);
  EXPECT_EQ(*status.scan->center_estimate, estimate);
  EXPECT_NEAR(status.scan->center_offset_px, estimate.center_offset_px, 1e-5);  // applied (the engine keeps float)
}

TEST(DaemonCenter, RegistrationWithoutOpposedProjectionsSaysWhatIsMissing) {
  DaemonFixture fixture;
  sim::ScanSpec spec = small_scan_spec(1);  // 90 projections over [0, 180): no two are 180 degrees apart
  stream_and_wait_for_end(fixture, spec);
  const protocol::Reply reply = fixture.control().request(protocol::EstimateCenter{});
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error->code, protocol::ErrorCode::invalid_argument);
  EXPECT_NE(reply.error->message.find("180 degrees apart"), std::string::npos) << reply.error->message;
  EXPECT_FALSE(fixture.control().status().scan->center_estimate);
}

TEST(DaemonCenter, EstimateBeforeAnyScanIsRefused) {
  DaemonFixture fixture;
  const protocol::Reply reply = fixture.control().request(protocol::EstimateCenter{});
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error->code, protocol::ErrorCode::no_active_scan);
  const protocol::Reply sweep = fixture.control().request(protocol::SweepCenter{0.0, 1.0, 3, {}, {}});
  ASSERT_FALSE(sweep.ok());
  EXPECT_EQ(sweep.error->code, protocol::ErrorCode::no_active_scan);
}

TEST(DaemonCenter, AutoCenterAppliesAnEstimateOncePerScan) {
  daemon::DaemonConfig config = test_config();
  config.auto_center = protocol::CenterMethod::registration;
  DaemonFixture fixture(config);
  constexpr double kTruth = -1.6;
  stream_and_wait_for_end(fixture, misaligned_360_scan(1, kTruth));

  const auto event = fixture.subscriber().wait_event([](const protocol::Event& e) { return e.kind == "center_estimated"; });
  ASSERT_TRUE(event);
  EXPECT_NE(event->message.find("applied"), std::string::npos) << event->message;
  const protocol::Status status = fixture.control().status();
  ASSERT_TRUE(status.scan && status.scan->center_estimate);
  EXPECT_TRUE(status.scan->center_estimate->applied);
  EXPECT_NEAR(status.scan->center_offset_px, kTruth, 0.25);
  EXPECT_EQ(status.scan->axis_tilt_deg, 0.0) << "the automatic center applies the offset only";
  // Made once, when half of the 180 slots held projections: not again after that.
  EXPECT_FALSE(fixture.subscriber().wait_event([](const protocol::Event& e) { return e.kind == "center_estimated"; },
                                               500ms));
}

TEST(DaemonCenter, SweepImagesAreTheAxialSliceAtEachCandidateCenter) {
  DaemonFixture fixture;
  const sim::ScanSpec spec = small_scan_spec(1);
  stream_and_wait_for_end(fixture, spec);

  const protocol::SweepCenter request{-1.0, 0.5, 5, 3u, protocol::SliceRegionField{8, 4, 40, 48}};
  std::vector<float> images;
  const protocol::Reply reply = fixture.control().request(request, &images);
  ASSERT_TRUE(reply.ok()) << reply.error->message;
  const auto& sweep = std::get<protocol::SweepResult>(reply.result);
  EXPECT_EQ(sweep.xy_row, 3u);
  EXPECT_EQ(sweep.region, (protocol::SliceRegionField{8, 4, 40, 48}));
  EXPECT_EQ(sweep.pixel_step, 1u);  // the default for a region within 512 a side
  EXPECT_EQ(sweep.shape, (std::array<std::uint32_t, 2>{40, 48}));
  // The same region sampled every 3rd pixel: 14 x 16 images.
  protocol::SweepCenter sampled_request = request;
  sampled_request.pixel_step = 3u;
  std::vector<float> sampled;
  const protocol::Reply sampled_reply = fixture.control().request(sampled_request, &sampled);
  ASSERT_TRUE(sampled_reply.ok()) << sampled_reply.error->message;
  EXPECT_EQ(std::get<protocol::SweepResult>(sampled_reply.result).pixel_step, 3u);
  EXPECT_EQ(std::get<protocol::SweepResult>(sampled_reply.result).shape, (std::array<std::uint32_t, 2>{14, 16}));
  ASSERT_EQ(sampled.size(), 5u * 14 * 16);
  ASSERT_EQ(sweep.centers_px.size(), 5u);
  ASSERT_EQ(sweep.metric.size(), 5u);
  ASSERT_EQ(images.size(), 5u * 40 * 48);
  EXPECT_NE(std::find(sweep.centers_px.begin(), sweep.centers_px.end(), sweep.best_offset_px), sweep.centers_px.end());
  EXPECT_DOUBLE_EQ(*std::min_element(sweep.metric.begin(), sweep.metric.end()),
                   sweep.metric[std::find(sweep.centers_px.begin(), sweep.centers_px.end(), sweep.best_offset_px) -
                                sweep.centers_px.begin()]);
  // The sweep changed nothing.
  EXPECT_DOUBLE_EQ(fixture.control().status().scan->center_offset_px, spec.center_offset_px);
  EXPECT_EQ(fixture.control().status().scan->xy_row, spec.rows / 2);

  // Each candidate equals the XY slice reconstructed with that center, cut to the region.
  ASSERT_TRUE(fixture.control().request(protocol::SetSlices{3u, std::nullopt, std::nullopt}).ok());
  for (std::size_t i = 0; i < 5; ++i) {
    SCOPED_TRACE("candidate " + std::to_string(i));
    EXPECT_DOUBLE_EQ(sweep.centers_px[i], -1.0 + 0.5 * static_cast<double>(i));
    ASSERT_TRUE(fixture.control().request(protocol::SetCenter{sweep.centers_px[i], std::nullopt}).ok());
    std::vector<float> slice;
    ASSERT_TRUE(fixture.control().request(protocol::GetSlice{protocol::SliceKind::xy}, &slice).ok());
    ASSERT_EQ(slice.size(), 64u * 64u);
    float peak = 0.f, worst = 0.f;
    for (std::uint32_t r = 0; r < 40; ++r) {
      for (std::uint32_t c = 0; c < 48; ++c) {
        const float expected = slice[(8 + r) * 64 + 4 + c];
        peak = std::max(peak, std::abs(expected));
        worst = std::max(worst, std::abs(images[i * 40 * 48 + r * 48 + c] - expected));
      }
    }
    EXPECT_LE(worst, 1e-5f * peak);
    float sampled_worst = 0.f;  // pixel (i, j) of the sampled image is the slice's (8 + 3 i, 4 + 3 j)
    for (std::uint32_t r = 0; r < 14; ++r) {
      for (std::uint32_t c = 0; c < 16; ++c) {
        const float expected = slice[(8 + 3 * r) * 64 + 4 + 3 * c];
        sampled_worst = std::max(sampled_worst, std::abs(sampled[i * 14 * 16 + r * 16 + c] - expected));
      }
    }
    EXPECT_LE(sampled_worst, 1e-5f * peak);
  }
}

TEST(DaemonCenter, SweepArgumentsAreCheckedAgainstTheScan) {
  DaemonFixture fixture;
  stream_and_wait_for_end(fixture, small_scan_spec(1));
  const auto refused = [&](const protocol::SweepCenter& request, const std::string& words) {
    const protocol::Reply reply = fixture.control().request(request);
    ASSERT_FALSE(reply.ok());
    EXPECT_EQ(reply.error->code, protocol::ErrorCode::invalid_argument);
    EXPECT_NE(reply.error->message.find(words), std::string::npos) << reply.error->message;
  };
  refused({30.0, 1.0, 4, {}, {}}, "outside the detector");                        // 33 >= 64 / 2
  refused({0.0, 1.0, 4, 8u, {}}, "xy_row 8");                                     // 8 rows
  refused({0.0, 1.0, 4, {}, protocol::SliceRegionField{40, 0, 30, 10}}, "inside the 64 x 64");
  refused({0.0, 1.0, 4, {}, protocol::SliceRegionField{0, 0, 0, 10}}, "inside the 64 x 64");
}

// center_sample (PROTOCOL.md 10.11) through the control socket: a point of the XY slice gives the frame's
// coordinates at the slice positions the status shows, and the projections give a fit over every stored one.
TEST(DaemonCenter, CenterSampleFromASlicePointAndFromTheProjections) {
  DaemonFixture fixture;
  const protocol::Reply before = fixture.control().request(protocol::CenterSample{"xy", std::vector<double>{1, 2}, {}, {}});
  ASSERT_FALSE(before.ok());
  EXPECT_EQ(before.error->code, protocol::ErrorCode::no_active_scan);

  sim::ScanSpec spec = small_scan_spec(1);
  stream_and_wait_for_end(fixture, spec);
  const protocol::ScanStatus scan = *fixture.control().status().scan;

  const protocol::Reply picked =
      fixture.control().request(protocol::CenterSample{"xy", std::vector<double>{10.0, 40.0}, {}, 2.0});
  ASSERT_TRUE(picked.ok()) << picked.error->message;
  const auto& motions = std::get<protocol::CenterSampleResult>(picked.result);
  EXPECT_EQ(motions.slice, "xy");
  EXPECT_DOUBLE_EQ(motions.x_px, 40.0 - 31.5);
  EXPECT_DOUBLE_EQ(motions.y_px, 31.5 - 10.0);
  EXPECT_DOUBLE_EQ(motions.z_px, 3.5 - scan.xy_row);
  EXPECT_DOUBLE_EQ(motions.move_x_px, -motions.x_px);
  EXPECT_DOUBLE_EQ(*motions.move_x_um, -2.0 * motions.x_px);
  EXPECT_FALSE(motions.projections.has_value());

  const protocol::Reply fitted = fixture.control().request(protocol::CenterSample{"projections", {}, {}, {}});
  ASSERT_TRUE(fitted.ok()) << fitted.error->message;
  const auto& fit = std::get<protocol::CenterSampleResult>(fitted.result);
  EXPECT_EQ(*fit.projections, spec.projections_per_turn);
  EXPECT_LT(*fit.fit_rms_px, 1.0);
  // The Shepp-Logan phantom's centre of mass sits near the axis; the fit's own axis near the true one.
  EXPECT_LT(std::hypot(fit.x_px, fit.y_px), 3.0);
  EXPECT_NEAR(*fit.axis_offset_px, spec.center_offset_px, 0.5);
  EXPECT_FALSE(fit.move_x_um.has_value()) << "no pixel size: none in the begin, none in the request";

  const protocol::Reply outside =
      fixture.control().request(protocol::CenterSample{"xz", std::vector<double>{8.0, 1.0}, {}, {}});
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.error->code, protocol::ErrorCode::invalid_argument);
  EXPECT_NE(outside.error->message.find("outside the xz slice"), std::string::npos) << outside.error->message;
}

}  // namespace
}  // namespace tomolive::testing

namespace tomolive::testing {
namespace {

// set_center's tilt_deg (PROTOCOL.md 10.4, "Tilt correction"): the tilt alone re-filters and changes the slices while
// the center stays, the status and the reply report it, a tilt out of range is refused with the reason, 0 gives the
// uncorrected slices back, and the tilt is kept for the next scan.
TEST(DaemonCenter, SetCenterCorrectsATiltAndKeepsItForLaterScans) {
  DaemonFixture fixture;
  const sim::ScanSpec spec = small_scan_spec(1);
  stream_and_wait_for_end(fixture, spec);
  std::vector<float> plain;
  ASSERT_TRUE(fixture.control().request(protocol::GetSlice{protocol::SliceKind::xz}, &plain).ok());

  const protocol::Reply tilted = fixture.control().request(protocol::SetCenter{std::nullopt, std::nullopt, 1.5});
  ASSERT_TRUE(tilted.ok()) << tilted.error->message;
  const auto& result = std::get<protocol::CenterResult>(tilted.result);
  EXPECT_DOUBLE_EQ(result.tilt_deg, 1.5);
  EXPECT_DOUBLE_EQ(result.center_offset_px, spec.center_offset_px);
  EXPECT_DOUBLE_EQ(fixture.control().status().scan->axis_tilt_deg, 1.5);
  std::vector<float> corrected;
  ASSERT_TRUE(fixture.control().request(protocol::GetSlice{protocol::SliceKind::xz}, &corrected).ok());
  ASSERT_EQ(corrected.size(), plain.size());
  float change = 0.f, peak = 0.f;
  for (std::size_t k = 0; k < plain.size(); ++k) {
    change = std::max(change, std::abs(corrected[k] - plain[k]));
    peak = std::max(peak, std::abs(plain[k]));
  }
  EXPECT_GT(change, 1e-3f * peak) << "the rotation changes the vertical slice";

  const protocol::Reply refused = fixture.control().request(protocol::SetCenter{0.5, std::nullopt, 12.0});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error->code, protocol::ErrorCode::invalid_argument);
  EXPECT_NE(refused.error->message.find("tilt_deg 12"), std::string::npos) << refused.error->message;
  EXPECT_DOUBLE_EQ(fixture.control().status().scan->center_offset_px, spec.center_offset_px) << "nothing changed";

  ASSERT_TRUE(fixture.control().request(protocol::SetCenter{std::nullopt, std::nullopt, 0.0}).ok());
  EXPECT_DOUBLE_EQ(fixture.control().status().scan->axis_tilt_deg, 0.0);
  std::vector<float> back;
  ASSERT_TRUE(fixture.control().request(protocol::GetSlice{protocol::SliceKind::xz}, &back).ok());
  ASSERT_EQ(back.size(), plain.size());
  for (std::size_t k = 0; k < plain.size(); ++k) ASSERT_NEAR(back[k], plain[k], 1e-5f * peak) << "pixel " << k;

  ASSERT_TRUE(fixture.control().request(protocol::SetCenter{std::nullopt, std::nullopt, -0.5}).ok());
  stream_and_wait_for_end(fixture, small_scan_spec(2));
  EXPECT_EQ(fixture.control().status().scan->scan_id, 2u);
  EXPECT_DOUBLE_EQ(fixture.control().status().scan->axis_tilt_deg, -0.5) << "kept for the next scan";
}

// estimate_center with apply sets the estimated tilt too (PROTOCOL.md 10.4): on a scan whose axis is straight but
// whose projections are corrected by a wrong tilt of 0.8 degrees, the estimate reports the detector's tilt (the one
// in use plus what remains, nearer 0 than the wrong one) and applying it sets that tilt; the offset applies as
// before.
TEST(DaemonCenter, EstimateWithApplySetsTheTiltItMeasured) {
  DaemonFixture fixture;
  constexpr double kTruth = 2.3;
  sim::ScanSpec spec = misaligned_360_scan(1, kTruth);
  spec.rows = 64;  // 0.8 degrees move the axis by 0.9 px from the top row to the bottom one
  stream_and_wait_for_end(fixture, spec);
  ASSERT_TRUE(fixture.control().request(protocol::SetCenter{std::nullopt, std::nullopt, 0.8}).ok());
  ASSERT_NEAR(fixture.control().status().scan->axis_tilt_deg, 0.8, 1e-6);

  const protocol::Reply reply =
      fixture.control().request(protocol::EstimateCenter{protocol::CenterMethod::registration, true});
  ASSERT_TRUE(reply.ok()) << reply.error->message;
  const auto& estimate = std::get<protocol::CenterEstimateResult>(reply.result);
  ASSERT_TRUE(estimate.tilt_deg) << "the registration measured no tilt";
  EXPECT_LT(std::abs(*estimate.tilt_deg), 0.6) << "the straight axis's tilt, whatever correction is in use";
  EXPECT_TRUE(estimate.applied);
  const protocol::Status status = fixture.control().status();
  EXPECT_NEAR(status.scan->axis_tilt_deg, *estimate.tilt_deg, 1e-6) << "the estimated tilt is applied";
  EXPECT_NEAR(status.scan->center_offset_px, estimate.center_offset_px, 1e-5) << "and the offset";
  EXPECT_NEAR(status.scan->center_offset_px, kTruth, 0.25);
}

// Without apply the estimate only reports: neither the tilt in use nor the offset changes.
TEST(DaemonCenter, EstimateWithoutApplyChangesNothing) {
  DaemonFixture fixture;
  sim::ScanSpec spec = misaligned_360_scan(1, 2.3);
  spec.rows = 32;
  stream_and_wait_for_end(fixture, spec);
  ASSERT_TRUE(fixture.control().request(protocol::SetCenter{std::nullopt, std::nullopt, 0.5}).ok());
  const protocol::Reply reply =
      fixture.control().request(protocol::EstimateCenter{protocol::CenterMethod::registration, false});
  ASSERT_TRUE(reply.ok()) << reply.error->message;
  EXPECT_FALSE(std::get<protocol::CenterEstimateResult>(reply.result).applied);
  EXPECT_DOUBLE_EQ(fixture.control().status().scan->axis_tilt_deg, 0.5);
  EXPECT_DOUBLE_EQ(fixture.control().status().scan->center_offset_px, 0.0);
}

}  // namespace
}  // namespace tomolive::testing
