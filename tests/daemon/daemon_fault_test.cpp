// Engine faults through a running daemon (FaultyEngine behind the daemon's engine factory): each fault yields a
// clear error (an event or a reply with the reason), a counter, a daemon that keeps serving and a correct next scan.
// Also the command time budget (a stalled command is answered "still running"; one queued behind it is cancelled
// and never runs) and the recovery from a lost engine (rebuilt, the scan reported lost from that point).
#include <cmath>

#include <gtest/gtest.h>

#include "daemon_harness.hpp"
#include "faulty_engine.hpp"

namespace tomolive::testing {
namespace {

using protocol::ErrorCode;

// A daemon whose engines come from faulty_engine_factory, with the faults the test sets.
struct FaultyDaemon {
  explicit FaultyDaemon(std::chrono::milliseconds command_timeout = 10s) : fixture(config(faults, command_timeout)) {}
  // Runs before the fixture is destroyed: a stalled engine thread must be let go for the daemon to stop.
  ~FaultyDaemon() { faults->release_stalls(); }

  static daemon::DaemonConfig config(const std::shared_ptr<EngineFaults>& faults,
                                     std::chrono::milliseconds command_timeout) {
    daemon::DaemonConfig config = test_config();
    config.engine_factory = faulty_engine_factory(faults, config.engine);
    config.command_timeout = command_timeout;
    return config;
  }

  std::uint64_t counter(const std::string& name) { return fixture.control().counter(name); }
  std::optional<protocol::Event> wait_error(ErrorCode code, const std::string& text) {
    return fixture.subscriber().wait_event([&](const protocol::Event& e) {
      return e.error && e.error->code == code && e.error->message.find(text) != std::string::npos;
    });
  }

  std::shared_ptr<EngineFaults> faults = std::make_shared<EngineFaults>();
  DaemonFixture fixture;
};

std::function<bool(const protocol::Event&)> event_of(std::string kind, std::uint64_t scan_id) {
  return [kind = std::move(kind), scan_id](const protocol::Event& e) { return e.kind == kind && e.scan_id == scan_id; };
}

void expect_error_reply(const protocol::Reply& reply, const std::string& text) {
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error->code, ErrorCode::internal_error);
  EXPECT_NE(reply.error->message.find(text), std::string::npos) << reply.error->message;
}

TEST(DaemonFault, BeginScanErrorRefusesThatScanAndTheNextOneWorks) {
  FaultyDaemon daemon;
  daemon.faults->inject(EngineCall::begin_scan, Fault::error);
  daemon.fixture.sender().send(protocol::encode(sim::make_scan_begin(small_scan_spec(1))));
  const auto error = daemon.wait_error(ErrorCode::internal_error, "begin_scan failed: injected fault: begin_scan");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->scan_id, 1u);
  EXPECT_EQ(daemon.counter("engine_errors"), 1u);
  EXPECT_EQ(daemon.counter("scans_refused"), 1u);
  expect_scan_reconstructs(daemon.fixture, 2);
}

TEST(DaemonFault, AddProjectionErrorLosesThatProjectionOnly) {
  FaultyDaemon daemon;
  daemon.faults->inject(EngineCall::add_projection, Fault::error, 10);
  daemon.fixture.sender().stream(sim::ScanSimulator(small_scan_spec(1)));
  const auto error = daemon.wait_error(ErrorCode::internal_error, "injected fault: add_projection failed");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->scan_id, 1u);
  EXPECT_TRUE(error->frame_id);
  ASSERT_TRUE(daemon.fixture.subscriber().wait_event(event_of("scan_ended", 1)));
  EXPECT_EQ(daemon.counter("engine_errors"), 1u);
  const protocol::ScanStatus status = *daemon.fixture.control().status().scan;
  EXPECT_EQ(status.state, "ended");
  EXPECT_EQ(status.projections_reconstructed, 89u);
  expect_scan_reconstructs(daemon.fixture, 2);
}

TEST(DaemonFault, SetProcessingErrorIsAnsweredAndKeepsTheSetting) {
  FaultyDaemon daemon;
  expect_scan_reconstructs(daemon.fixture, 1);
  daemon.faults->inject(EngineCall::set_processing, Fault::error);
  protocol::SetProcessing request;
  request.window = protocol::FilterWindow::hann;
  expect_error_reply(daemon.fixture.control().request(request), "engine: injected fault: set_processing failed");
  EXPECT_EQ(daemon.counter("engine_errors"), 1u);
  // The next scan equals the reference engine's with the default (Ram-Lak) setting: the refused one was not kept.
  expect_scan_reconstructs(daemon.fixture, 2);
}

TEST(DaemonFault, CopySliceErrorIsReportedAndLaterSlicesArePublished) {
  FaultyDaemon daemon;
  daemon.faults->inject(EngineCall::copy_slice, Fault::error);  // the first read-back: at scan 1's begin
  expect_scan_reconstructs(daemon.fixture, 1);
  const auto error =
      daemon.wait_error(ErrorCode::internal_error, "reading the slices back failed: injected fault: copy_slice failed");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->scan_id, 1u);
  EXPECT_EQ(daemon.counter("engine_errors"), 1u);
  expect_scan_reconstructs(daemon.fixture, 2);
}

TEST(DaemonFault, SweepErrorIsAnsweredAndTheNextSweepWorks) {
  FaultyDaemon daemon;
  expect_scan_reconstructs(daemon.fixture, 1);
  daemon.faults->inject(EngineCall::sweep_center, Fault::error);
  const protocol::SweepCenter sweep{0.0, 1.0, 3, {}, {}};
  expect_error_reply(daemon.fixture.control().request(sweep), "engine: injected fault: sweep_center failed");
  EXPECT_EQ(daemon.counter("engine_errors"), 1u);
  EXPECT_TRUE(daemon.fixture.control().request(sweep).ok());
  expect_scan_reconstructs(daemon.fixture, 2);
}

TEST(DaemonFault, NonFiniteSlicesArePublishedAndReportedPerSlice) {
  FaultyDaemon daemon;
  expect_scan_reconstructs(daemon.fixture, 1);
  daemon.faults->inject(EngineCall::copy_slice, Fault::corrupt, 0, 3);  // one snapshot: xy, xz, yz
  ASSERT_TRUE(daemon.fixture.control().request(protocol::SetCenter{1.5, std::nullopt}).ok());
  const auto slice = daemon.fixture.subscriber().wait_slice(protocol::SliceKind::xy, [](const protocol::SliceUpdate& s) {
    return s.scan_id == 1 && s.center_offset_px == 1.5;
  });
  ASSERT_TRUE(slice);
  EXPECT_TRUE(std::isnan(slice->values.at(0))) << "published as the engine produced it";
  for (const char* kind : {"xy", "xz", "yz"}) {
    EXPECT_TRUE(daemon.wait_error(ErrorCode::internal_error,
                                  std::string("the ") + kind + " slice of scan 1 has 1 non-finite values"))
        << kind;
  }
  EXPECT_EQ(daemon.counter("slices_non_finite"), 3u);
  expect_scan_reconstructs(daemon.fixture, 2);
}

TEST(DaemonFault, CommandOverItsBudgetIsStillRunningAndOneQueuedBehindIsCancelled) {
  FaultyDaemon daemon(1000ms);
  expect_scan_reconstructs(daemon.fixture, 1);
  ControlClient& control = daemon.fixture.control();
  const double center_before = control.status().scan->center_offset_px;

  daemon.faults->inject(EngineCall::sweep_center, Fault::stall);
  expect_error_reply(control.request(protocol::SweepCenter{0.0, 1.0, 3, {}, {}}),
                     "still running after 1000 ms: the engine is slow or stalled; the command will take effect");
  ASSERT_TRUE(daemon.faults->wait_until_stalled(0ms)) << "the sweep has started and is held in the engine";
  expect_error_reply(control.request(protocol::SetCenter{5.0, std::nullopt}),
                     "cancelled: the engine did not take it up within 1000 ms (it is busy with earlier work); it has "
                     "not run and will not run");
  EXPECT_EQ(control.counter("commands_overran"), 1u);
  EXPECT_EQ(control.counter("commands_cancelled"), 1u);

  daemon.faults->release_stalls();
  // Commands run in order: once this one has run, the sweep has finished and the cancelled set_center was skipped.
  ASSERT_TRUE(control.request(protocol::SetSlices{2, std::nullopt, std::nullopt}).ok());
  const protocol::ScanStatus status = *control.status().scan;
  EXPECT_EQ(status.xy_row, 2u);
  EXPECT_EQ(status.center_offset_px, center_before) << "the cancelled set_center must never run";
  expect_scan_reconstructs(daemon.fixture, 2);
}

// Issue 19: the running stage's budget restarts at every progress report, so an estimate that takes longer than the
// budget in all, but reports progress within it, succeeds (with the old fixed budget it was "still running").
TEST(DaemonFault, MetricEstimateLongerThanTheBudgetSucceedsByReportingProgress) {
  FaultyDaemon daemon(3000ms);
  expect_scan_reconstructs(daemon.fixture, 1);
  ControlClient& control = daemon.fixture.control();
  // Each pass of the metric estimate (the coarse and the fit pass on this 64-column scan) is one sweep_center call,
  // made 1600 ms slow: over 3200 ms in all, so past one budget for certain, and 1600 ms plus the pass's own work
  // between progress reports. That work takes 0.05 s on an idle machine and was seen at 0.25 s on a 2-core machine
  // loaded 7 times over; a 700 ms budget with 500 ms delays left too little room for it and failed there.
  daemon.faults->set_slow_delay(1600ms);
  daemon.faults->inject(EngineCall::sweep_center, Fault::slow, 0, 2);
  const protocol::Reply reply = control.request(protocol::EstimateCenter{protocol::CenterMethod::metric, false});
  ASSERT_TRUE(reply.ok()) << reply.error->message;
  const auto& estimate = std::get<protocol::CenterEstimateResult>(reply.result);
  EXPECT_GT(estimate.elapsed_ms, 3000.0) << "the estimate must have outlasted one budget";
  EXPECT_EQ(control.counter("commands_overran"), 0u);

  // It said so at once, then after each pass; the status holds the last report.
  EXPECT_TRUE(daemon.fixture.subscriber().wait_event([](const protocol::Event& e) {
    return e.kind == "command_progress" && e.message.find("estimate_center (metric): started") != std::string::npos;
  }));
  const protocol::ScanStatus status = *control.status().scan;
  ASSERT_TRUE(status.command.has_value());
  EXPECT_EQ(status.command->command, "estimate_center (metric)");
  EXPECT_EQ(status.command->done, estimate.samples);
  EXPECT_EQ(status.command->total, estimate.samples);
  EXPECT_EQ(status.command->remaining_s, 0.0);
}

TEST(DaemonFault, LostEngineIsRebuiltAndTheScanIsLostFromThatPoint) {
  FaultyDaemon daemon;
  daemon.faults->inject(EngineCall::add_projection, Fault::lost, 30);
  daemon.fixture.sender().stream(sim::ScanSimulator(small_scan_spec(1)));
  const auto lost = daemon.wait_error(ErrorCode::internal_error,
                                     "engine lost during projection 30: injected fault: add_projection failed and the "
                                     "engine is unusable; the engine was lost and has been rebuilt (cpu engine); scan "
                                     "1 is lost after 30 of 90 projections");
  ASSERT_TRUE(lost);
  EXPECT_EQ(lost->scan_id, 1u);
  EXPECT_EQ(lost->frame_id, 30u) << "the projection that met the fault";
  const auto ended = daemon.fixture.subscriber().wait_event(event_of("scan_ended", 1));
  ASSERT_TRUE(ended);
  EXPECT_NE(ended->message.find("lost: the engine failed after 30 of its projections: injected fault"),
            std::string::npos)
      << ended->message;
  // Its later frames and its end are refused, naming the loss.
  EXPECT_TRUE(daemon.wait_error(ErrorCode::no_active_scan, "for scan 1 refused: scan 1 was lost"));
  EXPECT_TRUE(daemon.wait_error(ErrorCode::no_active_scan, "end for scan 1 refused: scan 1 was lost"));
  const protocol::Status status = daemon.fixture.control().status();
  EXPECT_EQ(status.scan->state, "lost");
  EXPECT_EQ(status.scan->projections_reconstructed, 30u);
  EXPECT_EQ(status.engine, "cpu");
  EXPECT_EQ(daemon.counter("engines_lost"), 1u);
  EXPECT_EQ(daemon.faults->engines_made(), 2u);
  expect_scan_reconstructs(daemon.fixture, 2);
}

TEST(DaemonFault, LostEngineDuringACommandIsRebuiltWhenItCanBe) {
  FaultyDaemon daemon;
  expect_scan_reconstructs(daemon.fixture, 1);
  daemon.faults->fail_builds(2);  // at the loss and at the next begin
  daemon.faults->inject(EngineCall::set_processing, Fault::lost);
  protocol::SetProcessing request;
  request.window = protocol::FilterWindow::hann;
  expect_error_reply(daemon.fixture.control().request(request),
                     "engine: injected fault: set_processing failed and the engine is unusable; the engine was lost "
                     "and could not be rebuilt (injected fault: no engine can be made); scan 1 is lost after 90 of 90 "
                     "projections");
  ASSERT_TRUE(daemon.wait_error(ErrorCode::internal_error, "engine lost during set_processing"));
  EXPECT_EQ(daemon.fixture.control().status().scan->state, "lost") << "its slices can no longer be recomputed";
  EXPECT_EQ(daemon.counter("engines_lost"), 1u);

  daemon.fixture.sender().send(protocol::encode(sim::make_scan_begin(small_scan_spec(2))));
  ASSERT_TRUE(daemon.wait_error(ErrorCode::internal_error,
                                "scan 2 refused: the engine was lost and cannot be rebuilt: injected fault: no engine "
                                "can be made"));
  // The next begin rebuilds the engine, and its scan reconstructs.
  expect_scan_reconstructs(daemon.fixture, 3);
  EXPECT_EQ(daemon.faults->engines_made(), 2u);
  EXPECT_EQ(daemon.counter("scans_refused"), 1u);
}

}  // namespace
}  // namespace tomolive::testing
