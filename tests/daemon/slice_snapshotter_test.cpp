#include "tomolive/daemon/slice_snapshotter.hpp"

#include <numbers>

#include <gtest/gtest.h>

#include "faulty_engine.hpp"
#include "tomolive/kernels/cpu_engine.hpp"

namespace tomolive::daemon {
namespace {

using namespace std::chrono_literals;
using protocol::SliceKind;

constexpr auto kInterval = 100ms;

// A CPU engine holding an empty 4 x 8 scan, a board, and a snapshotter on a clock the test moves by hand.
class SliceSnapshotterTest : public ::testing::Test {
 protected:
  SliceSnapshotterTest()
      : engine(kernels::make_cpu_engine({})),
        snapshotter(board, [this] { ++wakeups; }, kInterval, [this] { return now; }) {
    kernels::ScanGeometry geometry;
    geometry.rows = 4;
    geometry.cols = 8;
    geometry.slots = 4;
    geometry.angle_weight_rad = std::numbers::pi_v<float> / 4.f;
    kernels::ReconParams params;
    params.slices.xy_row = 1;
    params.slices.xz_y_px = 0.5f;
    params.slices.yz_x_px = -1.f;
    engine->begin_scan(geometry, params);
  }

  std::chrono::steady_clock::time_point now{std::chrono::seconds(1000)};
  std::unique_ptr<kernels::Engine> engine;
  SliceBoard board;
  int wakeups = 0;
  SliceSnapshotter snapshotter;
};

TEST_F(SliceSnapshotterTest, NothingIsDueUntilTheSlicesChange) {
  EXPECT_FALSE(snapshotter.dirty());
  EXPECT_FALSE(snapshotter.due());
  snapshotter.projection_added(5);
  EXPECT_TRUE(snapshotter.dirty());
  EXPECT_TRUE(snapshotter.due()) << "the first snapshot waits for no interval";
}

TEST_F(SliceSnapshotterTest, ASnapshotPutsAllThreeSlicesOnTheBoardAndWakesThePublisher) {
  snapshotter.projection_added(1234);
  snapshotter.snapshot(*engine, 42, DetectorOffsetPx(0.75));
  EXPECT_EQ(wakeups, 1);
  EXPECT_FALSE(snapshotter.dirty());
  EXPECT_EQ(snapshotter.last_sequence(), 3u);
  const double positions[] = {1.0, 0.5, -1.0};
  std::uint64_t sequence = 0;
  for (const SliceKind kind : {SliceKind::xy, SliceKind::xz, SliceKind::yz}) {
    const SliceBoard::Version version = board.latest(kind);
    ASSERT_TRUE(version);
    const protocol::SliceUpdate& header = version->header;
    EXPECT_EQ(header.scan_id, 42u);
    EXPECT_EQ(header.slice, kind);
    EXPECT_EQ(header.sequence, ++sequence) << "versions are numbered 1, 2, 3 across the kinds";
    EXPECT_DOUBLE_EQ(header.position, positions[static_cast<int>(kind)]);
    EXPECT_DOUBLE_EQ(header.center_offset_px, 0.75);
    EXPECT_EQ(header.received_ns, 1234);
    EXPECT_EQ(header.projections_included, 0u);
    EXPECT_EQ(version->values.size(), std::size_t{header.rows} * header.cols);
  }
  EXPECT_EQ(board.latest(SliceKind::xy)->header.cols, 8u);
}

// A slice the engine refuses (e.g. the axial slice of a lost slab's row) is left out; the others are published, and
// the next due snapshot tries it again.
TEST_F(SliceSnapshotterTest, ASliceTheEngineRefusesIsLeftOutAndTriedAgain) {
  const auto faults = std::make_shared<testing::EngineFaults>();
  faults->inject(testing::EngineCall::copy_slice, testing::Fault::error);  // the first copy: the axial slice
  const std::unique_ptr<kernels::Engine> faulty = testing::make_faulty_engine(std::move(engine), faults);
  snapshotter.projection_added(1);
  const SliceSnapshotter::Outcome outcome = snapshotter.snapshot(*faulty, 7, DetectorOffsetPx(0.0));
  EXPECT_NE(outcome.refused[static_cast<std::size_t>(SliceKind::xy)].find("injected fault: copy_slice failed"),
            std::string::npos);
  EXPECT_TRUE(outcome.refused[static_cast<std::size_t>(SliceKind::xz)].empty());
  EXPECT_FALSE(board.latest(SliceKind::xy)) << "nothing is put on the board for the refused slice";
  ASSERT_TRUE(board.latest(SliceKind::xz));
  ASSERT_TRUE(board.latest(SliceKind::yz));
  EXPECT_EQ(wakeups, 1) << "the slices that were copied are published";
  EXPECT_TRUE(snapshotter.dirty()) << "the refused slice is tried again";
  EXPECT_FALSE(snapshotter.due()) << "at the next interval, not at once";
  now += kInterval;
  ASSERT_TRUE(snapshotter.due());
  const SliceSnapshotter::Outcome again = snapshotter.snapshot(*faulty, 7, DetectorOffsetPx(0.0));
  EXPECT_TRUE(again.refused[static_cast<std::size_t>(SliceKind::xy)].empty());
  EXPECT_TRUE(board.latest(SliceKind::xy));
  EXPECT_FALSE(snapshotter.dirty());

  faults->inject(testing::EngineCall::copy_slice, testing::Fault::lost);  // an unusable engine is not a refusal
  EXPECT_THROW(snapshotter.snapshot(*faulty, 7, DetectorOffsetPx(0.0)), kernels::EngineLostError);
}

TEST_F(SliceSnapshotterTest, ChangesWithinThePublishIntervalWaitForIt) {
  snapshotter.projection_added(1);
  snapshotter.snapshot(*engine, 1, DetectorOffsetPx(0.0));
  snapshotter.projection_added(2);
  EXPECT_FALSE(snapshotter.due()) << "no time has passed";
  now += kInterval - 1ms;
  EXPECT_FALSE(snapshotter.due());
  now += 1ms;
  EXPECT_TRUE(snapshotter.due());
}

TEST_F(SliceSnapshotterTest, AChangedPublishIntervalCountsFromTheNewestSnapshot) {
  snapshotter.projection_added(1);
  snapshotter.snapshot(*engine, 1, DetectorOffsetPx(0.0));
  snapshotter.projection_added(2);
  now += kInterval / 2;
  EXPECT_FALSE(snapshotter.due());
  snapshotter.set_publish_interval(kInterval / 4);  // a configuration reload raised the publish rate
  EXPECT_TRUE(snapshotter.due());
  snapshotter.set_publish_interval(kInterval * 2);
  EXPECT_FALSE(snapshotter.due());
}

TEST_F(SliceSnapshotterTest, AQuietIntervalMakesNothingDue) {
  snapshotter.projection_added(1);
  snapshotter.snapshot(*engine, 1, DetectorOffsetPx(0.0));
  now += 10 * kInterval;
  EXPECT_FALSE(snapshotter.due()) << "not dirty: nothing to publish";
  snapshotter.mark_dirty();  // e.g. a re-filter
  EXPECT_TRUE(snapshotter.due());
}

TEST_F(SliceSnapshotterTest, AnImmediateSnapshotIgnoresTheIntervalAndRestartsIt) {
  snapshotter.projection_added(1);
  snapshotter.snapshot(*engine, 1, DetectorOffsetPx(0.0));
  now += kInterval / 2;
  snapshotter.snapshot(*engine, 1, DetectorOffsetPx(2.0));  // a recompute: at once
  EXPECT_EQ(wakeups, 2);
  EXPECT_EQ(board.latest(SliceKind::yz)->header.sequence, 6u);
  EXPECT_DOUBLE_EQ(board.latest(SliceKind::xy)->header.center_offset_px, 2.0);
  snapshotter.projection_added(2);
  now += kInterval / 2 + 10ms;
  EXPECT_FALSE(snapshotter.due()) << "the interval counts from the newest snapshot";
  now += kInterval / 2;
  EXPECT_TRUE(snapshotter.due());
}

TEST_F(SliceSnapshotterTest, TheNewestReceivedTimeNeverGoesBackAndRestartsWithAScan) {
  snapshotter.projection_added(500);
  snapshotter.projection_added(300);  // an older frame reconstructed later
  snapshotter.snapshot(*engine, 1, DetectorOffsetPx(0.0));
  EXPECT_EQ(board.latest(SliceKind::xy)->header.received_ns, 500);
  snapshotter.begin_scan();
  snapshotter.snapshot(*engine, 2, DetectorOffsetPx(0.0));
  EXPECT_EQ(board.latest(SliceKind::xy)->header.received_ns, 0);
  EXPECT_EQ(board.latest(SliceKind::xy)->header.scan_id, 2u);
  EXPECT_EQ(board.latest(SliceKind::xy)->header.sequence, 4u) << "sequence numbers keep rising across scans";
}

TEST_F(SliceSnapshotterTest, ASnapshotCountsNonFiniteValuesPerSlice) {
  // A sound engine's slices are finite (NaN from a faulty engine: DaemonFault.NonFiniteSlices...).
  const SliceSnapshotter::Outcome outcome = snapshotter.snapshot(*engine, 1, DetectorOffsetPx(0.0));
  EXPECT_EQ(outcome.non_finite, SliceSnapshotter::NonFiniteCounts{});
  EXPECT_EQ(outcome.refused, SliceSnapshotter::RefusedSlices{}) << "and it refuses none";
}

}  // namespace
}  // namespace tomolive::daemon
