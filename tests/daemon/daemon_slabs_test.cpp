// The detector's rows split over several engines (PROTOCOL.md 10.13) through a running daemon, on any machine: CPU
// engines over row slabs (--cpu-slabs) reconstruct like one engine and show their slabs in get_status; a slab whose
// engine is lost mid-scan (a FaultyEngine among the slab engines) is reported once (event, counter, status) while
// the other slabs go on and the daemon keeps serving.
#include <cmath>

#include <gtest/gtest.h>

#include "daemon_harness.hpp"
#include "faulty_engine.hpp"
#include "tomolive/kernels/cpu_engine.hpp"
#include "tomolive/kernels/slab_engine.hpp"

namespace tomolive::testing {
namespace {

using protocol::ErrorCode;

// Rows enough for two slabs of at least kernels::kMinSlabRows each.
sim::ScanSpec two_slab_scan_spec(std::uint64_t scan_id) {
  sim::ScanSpec spec = small_scan_spec(scan_id);
  spec.rows = 4 * kernels::kMinSlabRows;
  return spec;
}

daemon::DaemonConfig cpu_slabs_config(unsigned slabs) {
  daemon::DaemonConfig config = test_config();
  config.engine.cpu_slabs = slabs;
  config.engine.halo_rows = 4;  // less than a slab: each engine sees only part of the detector
  return config;
}

TEST(DaemonSlabs, TwoCpuSlabsReconstructLikeOneEngineAndShowTheirSlabs) {
  DaemonFixture fixture(cpu_slabs_config(2));
  const sim::ScanSpec spec = two_slab_scan_spec(1);
  expect_scan_reconstructs(fixture, spec);  // the slices equal one CPU engine's over the whole detector

  const protocol::Status status = fixture.control().status();
  ASSERT_TRUE(status.engine_slabs.has_value()) << "an engine over several slabs shows them";
  const protocol::EngineSlabsStatus& slabs = *status.engine_slabs;
  EXPECT_EQ(slabs.halo_rows, 4u);
  EXPECT_EQ(slabs.lost, 0u);
  ASSERT_EQ(slabs.slabs.size(), 2u);
  std::uint32_t next_row = 0;
  for (const protocol::EngineSlab& slab : slabs.slabs) {
    SCOPED_TRACE(slab.engine);
    EXPECT_EQ(slab.rows[0], next_row) << "the slabs own consecutive rows, top first";
    EXPECT_GE(slab.rows[1], kernels::kMinSlabRows);
    EXPECT_LE(slab.frame_rows[0], slab.rows[0]);
    EXPECT_GE(slab.frame_rows[0] + slab.frame_rows[1], slab.rows[0] + slab.rows[1]);
    EXPECT_LE(slab.frame_rows[1], slab.rows[1] + 2 * slabs.halo_rows) << "the halo on each side at most";
    EXPECT_FALSE(slab.lost);
    EXPECT_TRUE(slab.lost_reason.empty());
    next_row = slab.rows[0] + slab.rows[1];
  }
  EXPECT_EQ(next_row, spec.rows) << "together they own every row";
  EXPECT_EQ(slabs.edge_rows_approximate, slabs.halo_needed_rows > slabs.halo_rows);

  ASSERT_TRUE(status.scan.has_value());
  const protocol::MemoryPlan& memory = status.scan->memory;
  ASSERT_EQ(memory.slabs.size(), 2u) << "the memory plan per slab";
  EXPECT_EQ(memory.total_bytes, memory.slabs[0].total_bytes + memory.slabs[1].total_bytes);
  EXPECT_TRUE(memory.fits_one_device) << "a small scan also fits on one engine";
  EXPECT_EQ(fixture.control().counter("slabs_lost"), 0u);
  const auto begun = fixture.subscriber().wait_event(
      [](const protocol::Event& e) { return e.kind == "scan_begun" && e.scan_id == 1u; });
  ASSERT_TRUE(begun);
  EXPECT_NE(begun->message.find("over 2 slabs (it would also fit on one device); slab 0: "), std::string::npos)
      << "the scan_begun event gives the plan per slab: " << begun->message;
}

TEST(DaemonSlabs, OneCpuSlabIsThePlainEngine) {
  DaemonFixture fixture(cpu_slabs_config(1));
  expect_scan_reconstructs(fixture, two_slab_scan_spec(1));
  const protocol::Status status = fixture.control().status();
  EXPECT_FALSE(status.engine_slabs.has_value()) << "one engine: no slabs, no composite";
  ASSERT_TRUE(status.scan.has_value());
  EXPECT_TRUE(status.scan->memory.slabs.empty());
  EXPECT_TRUE(status.scan->memory.fits_one_device);
}

// A slab engine over two CPU engines, the first behind a FaultyEngine that meets `faults`.
daemon::EngineFactory slabs_with_a_faulty_first(std::shared_ptr<EngineFaults> faults) {
  return [faults = std::move(faults)] {
    kernels::CpuEngineOptions cpu;
    cpu.threads = 1;
    cpu.memory_limit_bytes = 128ull << 20;
    std::vector<std::unique_ptr<kernels::Engine>> engines;
    engines.push_back(make_faulty_engine(kernels::make_cpu_engine(cpu), faults));
    engines.push_back(kernels::make_cpu_engine(cpu));
    return daemon::EngineSelection{kernels::make_slab_engine(std::move(engines), kernels::SlabEngineOptions{4}),
                                   "two cpu slabs, the first faulty (tests)", nullptr};
  };
}

TEST(DaemonSlabs, ASlabLostMidScanIsReportedOnceAndTheOthersGoOn) {
  const auto faults = std::make_shared<EngineFaults>();
  daemon::DaemonConfig config = test_config();
  config.engine_factory = slabs_with_a_faulty_first(faults);
  DaemonFixture fixture(config);
  faults->inject(EngineCall::add_projection, Fault::lost, 30);  // the first slab's device fails at projection 30
  const sim::ScanSpec spec = two_slab_scan_spec(1);
  fixture.sender().stream(sim::ScanSimulator(spec));

  const auto lost = fixture.subscriber().wait_event([](const protocol::Event& e) {
    return e.error && e.error->code == ErrorCode::internal_error &&
           e.error->message.find("slab 0 (detector rows 0..") != std::string::npos;
  });
  ASSERT_TRUE(lost) << "no event naming the lost slab";
  EXPECT_EQ(lost->scan_id, 1u);
  EXPECT_NE(lost->error->message.find("injected fault: add_projection failed"), std::string::npos)
      << "the event says why: " << lost->error->message;
  EXPECT_NE(lost->error->message.find("the other slabs go on"), std::string::npos) << lost->error->message;

  // The other slab goes on: the scan ends normally, every projection reconstructed.
  const auto ended = fixture.subscriber().wait_event(
      [](const protocol::Event& e) { return e.kind == "scan_ended" && e.scan_id == 1u; }, 20s);
  ASSERT_TRUE(ended);
  const protocol::Status status = fixture.control().status();
  ASSERT_TRUE(status.scan.has_value());
  EXPECT_EQ(status.scan->state, "ended") << "one slab lost does not lose the scan";
  EXPECT_EQ(status.scan->projections_reconstructed, spec.projections_per_turn);
  ASSERT_TRUE(status.engine_slabs.has_value());
  EXPECT_EQ(status.engine_slabs->lost, 1u);
  ASSERT_EQ(status.engine_slabs->slabs.size(), 2u);
  EXPECT_TRUE(status.engine_slabs->slabs[0].lost);
  EXPECT_NE(status.engine_slabs->slabs[0].lost_reason.find("injected fault"), std::string::npos);
  EXPECT_FALSE(status.engine_slabs->slabs[1].lost);
  EXPECT_EQ(fixture.control().counter("slabs_lost"), 1u) << "once per slab, whatever was called since";
  EXPECT_EQ(fixture.control().counter("engines_lost"), 0u) << "the composite engine is not lost";
  EXPECT_NE(fixture.daemon().metrics().find("tomolive_slabs_lost_total 1"), std::string::npos);

  // The daemon keeps serving: the surviving slab's rows are there in the vertical slice.
  std::vector<float> xz;
  const protocol::Reply reply = fixture.control().request(protocol::GetSlice{protocol::SliceKind::xz}, &xz);
  ASSERT_TRUE(reply.ok()) << reply.error->message;
  const auto& header = std::get<protocol::SliceUpdate>(reply.result);
  ASSERT_EQ(header.rows, spec.rows);
  const std::uint32_t surviving_row = status.engine_slabs->slabs[1].rows[0];
  EXPECT_TRUE(std::isfinite(xz[std::size_t{surviving_row} * header.cols + header.cols / 2]));

  // The next scan goes to the engine left, and reconstructs like one engine; the lost slab is not reported again.
  expect_scan_reconstructs(fixture, two_slab_scan_spec(2));
  EXPECT_EQ(fixture.control().counter("slabs_lost"), 1u);
  EXPECT_EQ(fixture.control().status().engine_slabs->lost, 1u);
}

}  // namespace
}  // namespace tomolive::testing
