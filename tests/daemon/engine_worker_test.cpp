// EngineWorker without sockets: data messages go straight into its inbox, events into a recording sink, and the
// engine is a CPU engine behind a wrapper that can make begin_scan fail (the fault the daemon cannot provoke).
#include "tomolive/daemon/engine_worker.hpp"

#include <condition_variable>
#include <mutex>

#include <gtest/gtest.h>

#include "daemon_harness.hpp"
#include "tomolive/kernels/cpu_engine.hpp"

namespace tomolive::daemon {
namespace {

using namespace std::chrono_literals;
using protocol::ErrorCode;

// Holds the engine thread inside Engine::set_center while closed, so that a test can queue commands behind it.
class SetCenterGate {
 public:
  void close() { set_open(false); }
  void open() { set_open(true); }
  // Called by the engine: counts the call, then waits until the gate is open.
  void pass() {
    std::unique_lock lock(mutex_);
    ++entered_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return open_; });
  }
  // Waits (at most 10 s) until `count` calls have entered; false on timeout.
  bool wait_entered(int count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] { return entered_ >= count; });
  }
  int entered() {
    std::lock_guard lock(mutex_);
    return entered_;
  }

 private:
  void set_open(bool open) {
    {
      std::lock_guard lock(mutex_);
      open_ = open;
    }
    changed_.notify_all();
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = true;
  int entered_ = 0;
};

// A CPU engine whose begin_scan throws while fail_begin_scan is set, and whose set_center passes `gate` first.
class FaultyEngine final : public kernels::Engine {
 public:
  FaultyEngine(std::atomic<bool>& fail_begin_scan, SetCenterGate& gate)
      : inner_(kernels::make_cpu_engine({})), fail_begin_scan_(fail_begin_scan), gate_(gate) {}

  std::string name() const override { return inner_->name(); }
  kernels::EngineMemoryPlan plan(const kernels::ScanGeometry& g) const override { return inner_->plan(g); }
  void begin_scan(const kernels::ScanGeometry& g, const kernels::ReconParams& params) override {
    if (fail_begin_scan_) throw kernels::EngineError("injected allocation failure");
    inner_->begin_scan(g, params);
  }
  void add_dark(const kernels::FrameView& frame) override { inner_->add_dark(frame); }
  void add_flat(const kernels::FrameView& frame) override { inner_->add_flat(frame); }
  void set_detector_mask(std::span<const std::uint8_t> mask) override { inner_->set_detector_mask(mask); }
  const kernels::DefectivePixelMap* defective_pixels() const override { return inner_->defective_pixels(); }
  kernels::ProjectionStats add_projection(std::uint32_t slot, float angle_rad,
                                          const kernels::FrameView& frame) override {
    return inner_->add_projection(slot, angle_rad, frame);
  }
  void set_center(float center_offset_px) override {
    gate_.pass();
    inner_->set_center(center_offset_px);
  }
  void set_slices(const kernels::SlicePositions& positions) override { inner_->set_slices(positions); }
  kernels::RefilterReport set_processing(const kernels::ProcessingParams& processing) override {
    return inner_->set_processing(processing);
  }
  kernels::RefilterReport set_axis_tilt(float tilt_deg) override { return inner_->set_axis_tilt(tilt_deg); }
  const kernels::ReconParams& params() const override { return inner_->params(); }
  std::uint32_t projections_in_store() const override { return inner_->projections_in_store(); }
  std::pair<std::uint32_t, std::uint32_t> slice_shape(kernels::Orthoslice slice) const override {
    return inner_->slice_shape(slice);
  }
  void copy_slice(kernels::Orthoslice slice, std::span<float> out) const override { inner_->copy_slice(slice, out); }
  std::optional<float> slot_angle(std::uint32_t slot) const override { return inner_->slot_angle(slot); }
  void copy_projection(std::uint32_t slot, std::span<float> out) const override {
    inner_->copy_projection(slot, out);
  }
  void copy_corrected_projection(std::uint32_t slot, std::span<float> out) const override {
    inner_->copy_corrected_projection(slot, out);
  }
  void sweep_center(std::uint32_t xy_row, std::span<const float> offsets, const kernels::SliceRegion& region,
                    std::uint32_t pixel_step, std::span<float> out) override {
    inner_->sweep_center(xy_row, offsets, region, pixel_step, out);
  }
  void sweep_processing(std::uint32_t xy_row, std::span<const kernels::ProcessingParams> candidates,
                        const kernels::SliceRegion& region, std::span<float> out) override {
    inner_->sweep_processing(xy_row, candidates, region, out);
  }
  void set_oblique_slice(const kernels::ObliqueSlice& oblique) override { inner_->set_oblique_slice(oblique); }
  std::pair<std::uint32_t, std::uint32_t> oblique_shape() const override { return inner_->oblique_shape(); }
  void copy_oblique_slice(std::span<float> out) const override { inner_->copy_oblique_slice(out); }
  kernels::PreviewParams default_preview() const override { return inner_->default_preview(); }
  void set_preview(const kernels::PreviewParams& preview) override { inner_->set_preview(preview); }
  kernels::PreviewGrid preview_shape() const override { return inner_->preview_shape(); }
  void copy_preview(std::span<float> out) const override { inner_->copy_preview(out); }
  std::uint64_t preview_version() const override { return inner_->preview_version(); }
  std::uint32_t volume_slab_rows(const kernels::SliceRegion& region) const override {
    return inner_->volume_slab_rows(region);
  }
  bool reconstruct_volume(const kernels::VolumeBox& box, std::uint32_t slab_rows, kernels::VolumeSink& sink) override {
    return inner_->reconstruct_volume(box, slab_rows, sink);
  }

 private:
  std::unique_ptr<kernels::Engine> inner_;
  std::atomic<bool>& fail_begin_scan_;
  SetCenterGate& gate_;
};

// Records every event; wait() blocks until one matches.
class RecordingSink final : public EventSink {
 public:
  void post_event(protocol::Event event) override {
    {
      std::lock_guard lock(mutex_);
      events_.push_back(std::move(event));
    }
    changed_.notify_all();
  }
  std::vector<protocol::Event> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }
  std::optional<protocol::Event> wait(const std::function<bool(const protocol::Event&)>& match) {
    std::unique_lock lock(mutex_);
    std::optional<protocol::Event> found;
    changed_.wait_for(lock, 10s, [&] {
      for (const auto& e : events_) {
        if (match(e)) found = e;
      }
      return found.has_value();
    });
    return found;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<protocol::Event> events_;
};

class EngineWorkerTest : public ::testing::Test {
 protected:
  EngineWorkerTest()
      : inbox(64, QueuePolicy::block, counters, nullptr), reporter(counters, sink),
        worker(std::make_unique<FaultyEngine>(fail_begin_scan, gate), inbox, board, reporter, counters, nullptr, {}) {}

  void push(protocol::DataMessage header) {
    IngestItem item;
    item.header = std::move(header);
    ASSERT_TRUE(inbox.push_data(std::move(item)));
  }
  void push_frames(const sim::ScanSimulator& scan, std::size_t first, std::size_t last) {
    for (std::size_t i = first; i < last; ++i) {
      const std::vector<std::uint16_t> pixels = scan.render(i);
      IngestItem item;
      item.header = scan.header(i);
      item.payload = zmq::message_t(pixels.data(), pixels.size() * sizeof(std::uint16_t));
      ASSERT_TRUE(inbox.push_data(std::move(item)));
    }
  }

  std::atomic<bool> fail_begin_scan{false};
  SetCenterGate gate;
  DaemonCounters counters;
  RecordingSink sink;
  EngineInbox inbox;
  EventReporter reporter;
  SliceBoard board;
  EngineWorker worker;
};

TEST_F(EngineWorkerTest, AnEngineFailureAtBeginIsARefusedScanAndSaysThePreviousOneIsLost) {
  const sim::ScanSimulator first(testing::small_scan_spec(1));
  push(sim::make_scan_begin(first.spec()));
  push_frames(first, 0, first.frame_count() / 2);
  ASSERT_TRUE(sink.wait([](const protocol::Event& e) { return e.kind == "scan_begun" && e.scan_id == 1u; }));

  fail_begin_scan = true;
  push(sim::make_scan_begin(testing::small_scan_spec(2)));
  const auto refused = sink.wait([](const protocol::Event& e) {
    return e.kind == "error" && e.error && e.error->code == ErrorCode::internal_error;
  });
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->scan_id, 2u);
  EXPECT_NE(refused->message.find("begin_scan failed: injected allocation failure"), std::string::npos)
      << refused->message;
  EXPECT_NE(refused->message.find("the previous scan 1, ended by this begin, is lost"), std::string::npos)
      << refused->message;
  EXPECT_EQ(counters.scans_refused.load(), 1u);
  EXPECT_EQ(counters.scans_ended.load(), 1u) << "a begin that fitted its plan ended scan 1 before the engine failed";
  EXPECT_EQ(counters.scans_begun.load(), 1u);

  // Nothing is active any more; with the fault gone, the next scan begins.
  fail_begin_scan = false;
  push_frames(first, first.frame_count() / 2, first.frame_count() / 2 + 1);
  ASSERT_TRUE(sink.wait([](const protocol::Event& e) {
    return e.kind == "error" && e.error && e.error->code == ErrorCode::no_active_scan;
  }));
  push(sim::make_scan_begin(testing::small_scan_spec(3)));
  ASSERT_TRUE(sink.wait([](const protocol::Event& e) { return e.kind == "scan_begun" && e.scan_id == 3u; }));
  EXPECT_EQ(counters.scans_refused.load(), 1u);
}

TEST_F(EngineWorkerTest, AnEngineFailureAtBeginAfterAnEndedScanSaysThatScanIsLost) {
  const sim::ScanSimulator first(testing::small_scan_spec(5));
  push(sim::make_scan_begin(first.spec()));
  push_frames(first, 0, first.frame_count());
  push(sim::make_scan_end(first.spec()));
  ASSERT_TRUE(sink.wait([](const protocol::Event& e) { return e.kind == "scan_ended" && e.scan_id == 5u; }));
  fail_begin_scan = true;
  push(sim::make_scan_begin(testing::small_scan_spec(6)));
  const auto refused = sink.wait([](const protocol::Event& e) { return e.kind == "error" && e.scan_id == 6u; });
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->message.find("; the previous scan 5 is lost"), std::string::npos) << refused->message;
  EXPECT_EQ(counters.scans_refused.load(), 1u);
  EXPECT_EQ(counters.scans_ended.load(), 1u) << "scan 5 had ended already";
}

// Shutdown (Daemon::stop refuses commands first): commands queued behind a busy engine are answered at once with
// "the daemon is shutting down" instead of being run; only the command already running finishes.
TEST_F(EngineWorkerTest, RefusedCommandsAreAnsweredAtOnceWithoutRunning) {
  const sim::ScanSimulator scan(testing::small_scan_spec(8));
  push(sim::make_scan_begin(scan.spec()));
  push_frames(scan, 0, scan.frame_count() / 2);
  ASSERT_TRUE(sink.wait([](const protocol::Event& e) { return e.kind == "scan_begun" && e.scan_id == 8u; }));

  gate.close();
  protocol::Reply running_reply;
  std::jthread running([&] { running_reply = worker.set_center(protocol::SetCenter{0.5, std::nullopt}); });
  ASSERT_TRUE(gate.wait_entered(1)) << "the first command never reached the engine";
  constexpr int kQueued = 3;
  std::vector<protocol::Reply> queued_replies(kQueued);
  {
    std::vector<std::jthread> queued;
    for (int i = 0; i < kQueued; ++i) {
      queued.emplace_back(
          [&, i] { queued_replies[i] = worker.set_center(protocol::SetCenter{1.0 + i, std::nullopt}); });
    }
    inbox.refuse_commands();
  }  // every queued caller has its answer while the engine is still held in the first command
  for (const protocol::Reply& reply : queued_replies) {
    ASSERT_FALSE(reply.ok());
    EXPECT_EQ(reply.command, "set_center");
    EXPECT_EQ(reply.error->message, "the daemon is shutting down");
  }
  EXPECT_EQ(gate.entered(), 1) << "a refused command reached the engine";
  gate.open();
  running.join();
  EXPECT_TRUE(running_reply.ok()) << running_reply.error->message;
  EXPECT_EQ(gate.entered(), 1);
}

TEST_F(EngineWorkerTest, ReconstructionFinishedComesOnceBeforeTheEnd) {
  const sim::ScanSimulator scan(testing::small_scan_spec(4));
  push(sim::make_scan_begin(scan.spec()));
  push_frames(scan, 0, scan.frame_count());
  const auto finished =
      sink.wait([](const protocol::Event& e) { return e.kind == "reconstruction_finished" && e.scan_id == 4u; });
  ASSERT_TRUE(finished);
  EXPECT_NE(finished->message.find("all 90 projections reconstructed in"), std::string::npos) << finished->message;
  const auto status = worker.scan_status();
  ASSERT_TRUE(status);
  EXPECT_EQ(status->state, "receiving");
  push(sim::make_scan_end(scan.spec()));
  ASSERT_TRUE(sink.wait([](const protocol::Event& e) { return e.kind == "scan_ended" && e.scan_id == 4u; }));
  std::vector<std::string> lifecycle;
  for (const auto& e : sink.events()) {
    if (e.kind != "error") lifecycle.push_back(e.kind);
  }
  EXPECT_EQ(lifecycle, (std::vector<std::string>{"scan_begun", "reconstruction_finished", "scan_ended"}));
}

// A persistence sink that counts what it is handed and keeps frames only while `wants` is set.
class CountingRawSink final : public RawStreamSink {
 public:
  std::atomic<bool> wants{false};
  std::atomic<int> begun{0}, frames{0}, ended{0};

  void scan_begun(const protocol::ScanBegin&, std::int64_t) override { ++begun; }
  bool wants_frames() const override { return wants; }
  void frame_accepted(const RawFrame&) override { ++frames; }
  void scan_ended(std::uint64_t, bool, std::int64_t, const nlohmann::json&) override { ++ended; }
};

// Frames go to persistence only while a sink keeps them: a frame that nobody keeps is not copied out of the engine's
// buffer for it (that copy cost the engine thread a 4 MB allocation and copy per W2 frame, and capped T1).
TEST(EngineWorkerPersistence, FramesGoToPersistenceOnlyWhileASinkKeepsThem) {
  DaemonCounters counters;
  RecordingSink sink;
  EngineInbox inbox(64, QueuePolicy::block, counters, nullptr);
  EventReporter reporter(counters, sink);
  SliceBoard board;
  CountingRawSink persistence;
  EngineWorker::Options options;
  options.raw_stream = &persistence;
  EngineWorker worker(kernels::make_cpu_engine({}), inbox, board, reporter, counters, nullptr, options);
  const auto run_scan = [&](std::uint64_t scan_id) {
    const sim::ScanSimulator scan(testing::small_scan_spec(scan_id));
    IngestItem begin;
    begin.header = sim::make_scan_begin(scan.spec());
    ASSERT_TRUE(inbox.push_data(std::move(begin)));
    for (std::size_t i = 0; i < scan.frame_count(); ++i) {
      const std::vector<std::uint16_t> pixels = scan.render(i);
      IngestItem item;
      item.header = scan.header(i);
      item.payload = zmq::message_t(pixels.data(), pixels.size() * sizeof(std::uint16_t));
      ASSERT_TRUE(inbox.push_data(std::move(item)));
    }
    IngestItem end;
    end.header = sim::make_scan_end(scan.spec());
    ASSERT_TRUE(inbox.push_data(std::move(end)));
    ASSERT_TRUE(sink.wait([&](const protocol::Event& e) { return e.kind == "scan_ended" && e.scan_id == scan_id; }));
  };
  run_scan(5);
  EXPECT_EQ(persistence.begun, 1);
  EXPECT_EQ(persistence.ended, 1);
  EXPECT_EQ(persistence.frames, 0) << "frames handed on although no sink keeps them";
  persistence.wants = true;
  run_scan(6);
  EXPECT_EQ(persistence.frames, static_cast<int>(sim::ScanSimulator(testing::small_scan_spec(6)).frame_count()));
  EXPECT_EQ(persistence.ended, 2);
}

}  // namespace
}  // namespace tomolive::daemon
