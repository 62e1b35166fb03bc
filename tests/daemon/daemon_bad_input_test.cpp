// Every error case of PROTOCOL.md sent to a running daemon: the error is published with its reason, its counter
// moves, and a following valid scan still reconstructs exactly as a reference engine does.
#include <thread>

#include <msgpack.hpp>

#include <gtest/gtest.h>

#include "daemon_harness.hpp"

namespace tomolive::testing {
namespace {

using protocol::ErrorCode;

using Packer = msgpack::packer<msgpack::sbuffer>;

// Bytes of a msgpack value written by `write`.
protocol::Bytes pack(const std::function<void(Packer&)>& write) {
  msgpack::sbuffer buffer;
  Packer packer(buffer);
  write(packer);
  const auto* data = reinterpret_cast<const std::byte*>(buffer.data());
  return protocol::Bytes(data, data + buffer.size());
}

protocol::Bytes bytes_of(std::string_view text) {
  const auto* data = reinterpret_cast<const std::byte*>(text.data());
  return protocol::Bytes(data, data + text.size());
}

// A projection header map for scan 1 with `fields` written after "v" and "type" (the caller counts them).
protocol::Bytes projection_map(std::uint32_t field_count, const std::function<void(Packer&)>& fields) {
  return pack([&](Packer& p) {
    p.pack_map(2 + field_count);
    p.pack("v"), p.pack(1);
    p.pack("type"), p.pack("projection");
    fields(p);
  });
}

// Waits for the error event of `code`, checks that its message mentions `mentions`, and that the counter moved.
void expect_rejected(DaemonFixture& fixture, ErrorCode code, const std::string& mentions) {
  const auto event = fixture.subscriber().wait_error(code);
  ASSERT_TRUE(event) << "no " << protocol::to_string(code) << " error event";
  EXPECT_NE(event->message.find(mentions), std::string::npos)
      << "the message \"" << event->message << "\" does not mention \"" << mentions << "\"";
  EXPECT_GE(fixture.control().rejected(code), 1u);
  EXPECT_GE(fixture.control().counter("rejected"), 1u);
}

// begin, darks, flats and the first `projections` projections of small scan `scan_id`.
sim::ScanSimulator start_scan(DaemonFixture& fixture, std::uint64_t scan_id, std::size_t projections) {
  sim::ScanSimulator scan(small_scan_spec(scan_id));
  fixture.sender().send(protocol::encode(sim::make_scan_begin(scan.spec())));
  const std::size_t references = scan.spec().num_darks + scan.spec().num_flats;
  for (std::size_t i = 0; i < references + projections; ++i) {
    fixture.sender().send(protocol::encode(scan.header(i)), scan.render(i));
  }
  return scan;
}

class BadInput : public ::testing::Test {
 protected:
  DaemonFixture fixture;
};

TEST_F(BadInput, GarbageBytesAreAMalformedHeader) {
  fixture.sender().send(bytes_of("\xc1\x01garbage that is no msgpack"));
  expect_rejected(fixture, ErrorCode::malformed_header, "msgpack");
  expect_scan_reconstructs(fixture, 11);
}

TEST_F(BadInput, AHeaderThatIsNotAMapIsMalformed) {
  fixture.sender().send(pack([](Packer& p) { p.pack(std::vector<int>{1, 2, 3}); }));
  expect_rejected(fixture, ErrorCode::malformed_header, "map");
  expect_scan_reconstructs(fixture, 12);
}

TEST_F(BadInput, AThreePartMessageIsMalformed) {
  fixture.sender().send_parts({bytes_of("a"), bytes_of("b"), bytes_of("c")});
  expect_rejected(fixture, ErrorCode::malformed_header, "3 parts");
  expect_scan_reconstructs(fixture, 13);
}

TEST_F(BadInput, BytesAfterTheHeaderMapAreMalformed) {
  protocol::Bytes header = protocol::encode(sim::make_scan_end(small_scan_spec(1)));
  header.push_back(std::byte{0x01});
  fixture.sender().send(header);
  expect_rejected(fixture, ErrorCode::malformed_header, "after");
  expect_scan_reconstructs(fixture, 33);
}

TEST_F(BadInput, AHeaderWithoutVersionIsRefused) {
  fixture.sender().send(pack([](Packer& p) {
    p.pack_map(2);
    p.pack("type"), p.pack("end");
    p.pack("scan_id"), p.pack(1);
  }));
  expect_rejected(fixture, ErrorCode::unsupported_version, "\"v\"");
  expect_scan_reconstructs(fixture, 34);
}

TEST_F(BadInput, AnotherProtocolVersionIsRefused) {
  fixture.sender().send(pack([](Packer& p) {
    p.pack_map(3);
    p.pack("v"), p.pack(7);
    p.pack("type"), p.pack("end");
    p.pack("scan_id"), p.pack(1);
  }));
  expect_rejected(fixture, ErrorCode::unsupported_version, "7");
  expect_scan_reconstructs(fixture, 14);
}

TEST_F(BadInput, AnUnknownMessageTypeIsRefused) {
  fixture.sender().send(pack([](Packer& p) {
    p.pack_map(2);
    p.pack("v"), p.pack(1);
    p.pack("type"), p.pack("calibrate");
  }));
  expect_rejected(fixture, ErrorCode::unknown_type, "calibrate");
  expect_scan_reconstructs(fixture, 15);
}

TEST_F(BadInput, AMissingFieldIsNamed) {
  const std::vector<std::uint16_t> pixels(64 * 8, 1000);
  fixture.sender().send(projection_map(3,
                                       [](Packer& p) {
                                         p.pack("scan_id"), p.pack(1);
                                         p.pack("shape"), p.pack(std::vector<int>{8, 64});
                                         p.pack("dtype"), p.pack("uint16");
                                       }),
                        pixels);
  expect_rejected(fixture, ErrorCode::missing_field, "frame_id");
  expect_scan_reconstructs(fixture, 16);
}

TEST_F(BadInput, AFieldOfTheWrongTypeIsNamed) {
  const std::vector<std::uint16_t> pixels(64 * 8, 1000);
  fixture.sender().send(projection_map(4,
                                       [](Packer& p) {
                                         p.pack("scan_id"), p.pack(1);
                                         p.pack("frame_id"), p.pack("seven");
                                         p.pack("shape"), p.pack(std::vector<int>{8, 64});
                                         p.pack("dtype"), p.pack("uint16");
                                       }),
                        pixels);
  expect_rejected(fixture, ErrorCode::wrong_field_type, "frame_id");
  expect_scan_reconstructs(fixture, 17);
}

TEST_F(BadInput, AnUnknownDtypeIsRefused) {
  const std::vector<std::uint16_t> pixels(64 * 8, 1000);
  fixture.sender().send(projection_map(4,
                                       [](Packer& p) {
                                         p.pack("scan_id"), p.pack(1);
                                         p.pack("frame_id"), p.pack(0);
                                         p.pack("shape"), p.pack(std::vector<int>{8, 64});
                                         p.pack("dtype"), p.pack("int12");
                                       }),
                        pixels);
  expect_rejected(fixture, ErrorCode::bad_dtype, "int12");
  expect_scan_reconstructs(fixture, 18);
}

TEST_F(BadInput, APayloadOfTheWrongSizeIsRefusedWithBothSizes) {
  const sim::ScanSimulator scan = start_scan(fixture, 2, 0);
  const std::vector<std::uint16_t> short_payload(64 * 8 - 1, 1000);
  fixture.sender().send(protocol::encode(scan.header(scan.spec().num_darks + scan.spec().num_flats)), short_payload);
  expect_rejected(fixture, ErrorCode::size_mismatch, "1024");  // 8 x 64 x 2 bytes expected
  expect_scan_reconstructs(fixture, 19);
}

TEST_F(BadInput, AFrameWithoutPayloadIsRefused) {
  const sim::ScanSimulator scan = start_scan(fixture, 2, 0);
  fixture.sender().send(protocol::encode(scan.header(0)));
  expect_rejected(fixture, ErrorCode::missing_payload, "payload");
  expect_scan_reconstructs(fixture, 20);
}

TEST_F(BadInput, ABeginWithAPayloadIsRefused) {
  const sim::ScanSimulator scan(small_scan_spec(3));
  fixture.sender().send_parts({protocol::encode(sim::make_scan_begin(scan.spec())), bytes_of("surprise")});
  expect_rejected(fixture, ErrorCode::unexpected_payload, "begin");
  expect_scan_reconstructs(fixture, 21);
}

TEST_F(BadInput, AnEndWithAPayloadIsRefused) {
  const sim::ScanSimulator scan = start_scan(fixture, 3, 2);
  fixture.sender().send_parts({protocol::encode(sim::make_scan_end(scan.spec())), bytes_of("surprise")});
  expect_rejected(fixture, ErrorCode::unexpected_payload, "end");
  expect_scan_reconstructs(fixture, 35);
}

TEST_F(BadInput, AbsurdGeometriesAreRefusedAtBegin) {
  auto begin = sim::make_scan_begin(small_scan_spec(4));
  begin.rows = 0;
  fixture.sender().send(protocol::encode(begin));
  expect_rejected(fixture, ErrorCode::invalid_geometry, "rows");
  begin.rows = 100000;
  fixture.sender().send(protocol::encode(begin));
  const auto huge = fixture.subscriber().wait_error(ErrorCode::invalid_geometry);
  ASSERT_TRUE(huge);
  EXPECT_NE(huge->message.find("100000"), std::string::npos) << huge->message;
  expect_scan_reconstructs(fixture, 22);
}

TEST_F(BadInput, AScanThatDoesNotFitIsRefusedWithItsMemoryPlan) {
  auto begin = sim::make_scan_begin(small_scan_spec(5));
  begin.rows = 2048;
  begin.cols = 2048;
  begin.num_projections = 3000;
  fixture.sender().send(protocol::encode(begin));
  expect_rejected(fixture, ErrorCode::scan_too_large, "MiB");
  EXPECT_EQ(fixture.control().counter("scans_refused"), 1u);
  // Frames of the refused scan are not silently swallowed either.
  auto frame = sim::make_frame_header(small_scan_spec(5), protocol::FrameKind::projection, 0);
  frame.rows = 2048;
  frame.cols = 2048;
  fixture.sender().send(protocol::encode(frame), std::vector<std::uint16_t>(2048 * 2048, 1));
  expect_rejected(fixture, ErrorCode::no_active_scan, "begin");
  expect_scan_reconstructs(fixture, 23);
}

TEST_F(BadInput, FramesBeforeAnyBeginAreRefused) {
  const sim::ScanSimulator scan(small_scan_spec(6));
  fixture.sender().send(protocol::encode(scan.header(0)), scan.render(0));
  expect_rejected(fixture, ErrorCode::no_active_scan, "no scan is active");
  fixture.sender().send(protocol::encode(sim::make_scan_end(scan.spec())));
  const auto end_error = fixture.subscriber().wait_error(ErrorCode::no_active_scan);
  ASSERT_TRUE(end_error);
  EXPECT_NE(end_error->message.find("end"), std::string::npos);
  expect_scan_reconstructs(fixture, 24);
}

TEST_F(BadInput, FramesOfAnotherScanAreRefused) {
  const sim::ScanSimulator scan = start_scan(fixture, 7, 3);
  auto foreign = scan.header(scan.spec().num_darks + scan.spec().num_flats + 3);
  foreign.scan_id = 99;
  fixture.sender().send(protocol::encode(foreign), scan.render(0));
  expect_rejected(fixture, ErrorCode::scan_id_mismatch, "99");
  expect_scan_reconstructs(fixture, 25);
}

TEST_F(BadInput, AnEndOfAnotherScanIsRefusedAndTheScanContinues) {
  const sim::ScanSimulator scan = start_scan(fixture, 13, 3);
  fixture.sender().send(protocol::encode(protocol::ScanEnd{77}));
  expect_rejected(fixture, ErrorCode::scan_id_mismatch, "77");
  const auto status = fixture.control().status();
  ASSERT_TRUE(status.scan);
  EXPECT_EQ(status.scan->state, "receiving");
  expect_scan_reconstructs(fixture, 36);
}

TEST_F(BadInput, FramesAfterTheEndAreRefused) {
  const sim::ScanSimulator scan = start_scan(fixture, 14, 3);
  fixture.sender().send(protocol::encode(sim::make_scan_end(scan.spec())));
  const std::size_t next = scan.spec().num_darks + scan.spec().num_flats + 3;
  fixture.sender().send(protocol::encode(scan.header(next)), scan.render(next));
  expect_rejected(fixture, ErrorCode::no_active_scan, "ended");
  expect_scan_reconstructs(fixture, 37);
}

TEST_F(BadInput, FramesOfAnotherDtypeAreRefused) {
  const sim::ScanSimulator scan = start_scan(fixture, 15, 3);
  auto wrong = scan.header(scan.spec().num_darks + scan.spec().num_flats + 3);
  wrong.dtype = protocol::Dtype::float32;
  fixture.sender().send(protocol::encode(wrong), std::vector<std::uint16_t>(8 * 64 * 2, 0));
  expect_rejected(fixture, ErrorCode::shape_mismatch, "float32");
  expect_scan_reconstructs(fixture, 38);
}

TEST_F(BadInput, FramesOfAnotherShapeAreRefused) {
  const sim::ScanSimulator scan = start_scan(fixture, 8, 3);
  auto wide = scan.header(scan.spec().num_darks + scan.spec().num_flats + 3);
  wide.cols = 32;
  fixture.sender().send(protocol::encode(wide), std::vector<std::uint16_t>(8 * 32, 1000));
  expect_rejected(fixture, ErrorCode::shape_mismatch, "32");
  expect_scan_reconstructs(fixture, 26);
}

TEST_F(BadInput, MoreFramesThanAnnouncedAreRefused) {
  const sim::ScanSimulator scan = start_scan(fixture, 9, 3);
  auto extra = sim::make_frame_header(scan.spec(), protocol::FrameKind::projection, 90);  // ids are 0..89
  fixture.sender().send(protocol::encode(extra), scan.render(0));
  expect_rejected(fixture, ErrorCode::frame_id_out_of_range, "90");
  expect_scan_reconstructs(fixture, 27);
}

TEST_F(BadInput, DuplicateFramesAreRefusedAndTheFirstIsKept) {
  const sim::ScanSimulator scan = start_scan(fixture, 10, 3);
  const std::size_t first_projection = scan.spec().num_darks + scan.spec().num_flats;
  fixture.sender().send(protocol::encode(scan.header(first_projection + 1)), scan.render(first_projection + 1));
  expect_rejected(fixture, ErrorCode::duplicate_frame, "frame_id 1 ");
  const auto status = fixture.control().status();
  ASSERT_TRUE(status.scan);
  EXPECT_EQ(status.scan->projections_received, 3u);
  expect_scan_reconstructs(fixture, 28);
}

TEST_F(BadInput, DarksAfterTheFirstProjectionAreRefused) {
  sim::ScanSpec spec = small_scan_spec(11);
  spec.num_darks = 3;
  const sim::ScanSimulator scan(spec);
  fixture.sender().send(protocol::encode(sim::make_scan_begin(spec)));
  // Darks 0 and 1, the flats and one projection; then dark 2, too late.
  const std::size_t first_projection = spec.num_darks + spec.num_flats;
  for (const std::size_t i : {std::size_t{0}, std::size_t{1}, first_projection - 2, first_projection - 1,
                              first_projection}) {
    fixture.sender().send(protocol::encode(scan.header(i)), scan.render(i));
  }
  fixture.sender().send(protocol::encode(scan.header(2)), scan.render(2));
  expect_rejected(fixture, ErrorCode::reference_after_projections, "dark 2");
  expect_scan_reconstructs(fixture, 29);
}

TEST_F(BadInput, ARestartedSenderRepeatingTheActiveBeginIsRefusedAndTheScanGoesOn) {
  const sim::ScanSimulator scan = start_scan(fixture, 21, 3);  // one stream: its one begin has arrived
  fixture.sender().send(protocol::encode(sim::make_scan_begin(scan.spec())));
  expect_rejected(fixture, ErrorCode::duplicate_scan,
                  "scan 21 is already active with its 1 announced stream(s); use a new scan_id for a new acquisition");
  EXPECT_EQ(fixture.control().counter("scans_refused"), 1u);
  // The active scan goes on: the rest of its frames and its end complete it, nothing merged or restarted.
  const std::size_t sent = scan.spec().num_darks + scan.spec().num_flats + 3;
  for (std::size_t i = sent; i < scan.frame_count(); ++i) {
    fixture.sender().send(protocol::encode(scan.header(i)), scan.render(i));
  }
  fixture.sender().send(protocol::encode(sim::make_scan_end(scan.spec())));
  expect_slices_match_reference(fixture, scan);
  EXPECT_EQ(fixture.control().counter("scans_begun"), 1u);
  EXPECT_EQ(fixture.control().counter("projections_missing"), 0u);
}

// PROTOCOL.md 3: a str that is not UTF-8 is refused (invalid_field, with the byte offset), and nothing the sender
// wrote comes back raw: the error event and get_status are decoded by the strict codec (which refuses invalid UTF-8
// in every str) without an error.
TEST_F(BadInput, AHeaderTypeThatIsNotUtf8IsRefusedAndNeverEchoedRaw) {
  fixture.sender().send(pack([](Packer& p) {
    p.pack_map(2);
    p.pack("v"), p.pack(1);
    p.pack("type");
    p.pack_str(2), p.pack_str_body("\xff\x01", 2);
  }));
  expect_rejected(fixture, ErrorCode::invalid_field, "field \"type\": str of 2 bytes is not valid UTF-8 (first "
                                                     "invalid byte at offset 0)");
  const protocol::Status status = fixture.control().status();
  EXPECT_FALSE(status.version.empty());
  expect_scan_reconstructs(fixture, 22);
}

TEST_F(BadInput, AScanNameThatIsNotUtf8IsRefused) {
  protocol::ScanBegin begin = sim::make_scan_begin(small_scan_spec(23));
  begin.name = "tomo \xc3";  // a lead byte without its continuation
  fixture.sender().send(protocol::encode(begin));
  expect_rejected(fixture, ErrorCode::invalid_field,
                  "\"name\": str of 6 bytes is not valid UTF-8 (first invalid byte at offset 5)");
  expect_scan_reconstructs(fixture, 24);
}

TEST_F(BadInput, ANewBeginEndsTheActiveScanAndReportsWhatWasMissing) {
  start_scan(fixture, 12, 5);
  expect_scan_reconstructs(fixture, 30);
  EXPECT_EQ(fixture.control().counter("projections_missing"), 85u);  // scan 12 got 5 of 90
}

TEST(BadInputQueue, DropOldestDropsOnlyProjectionsAndCountsAndReportsEachDrop) {
  daemon::DaemonConfig config = test_config();
  config.queue_capacity = 1;
  config.queue_policy = daemon::QueuePolicy::drop_oldest;
  DaemonFixture fixture(config);
  sim::ScanSpec spec = small_scan_spec(40);
  spec.rows = 64;
  spec.cols = 128;
  spec.projections_per_turn = 400;
  spec.num_darks = 20;  // a burst of references that a one-frame queue cannot hold either
  spec.num_flats = 20;
  const sim::ScanSimulator scan(spec);
  fixture.sender().stream(scan);  // as fast as the socket takes it: far faster than the engine
  ASSERT_TRUE(fixture.subscriber().wait_event([](const protocol::Event& e) { return e.kind == "scan_ended"; }, 60s));
  const std::uint64_t dropped = fixture.control().counter("queue_dropped");
  EXPECT_GT(dropped, 0u) << "the burst did not fill a one-frame queue";
  EXPECT_EQ(fixture.control().rejected(ErrorCode::queue_full), dropped);
  const std::uint64_t accepted = fixture.control().counter("darks_accepted") +
                                 fixture.control().counter("flats_accepted") +
                                 fixture.control().counter("projections_accepted");
  EXPECT_EQ(accepted + dropped, scan.frame_count()) << "frames neither accepted nor reported as dropped";
  // Darks and flats are never dropped: with no projection queued to give up, ingest waits for the engine.
  EXPECT_EQ(fixture.control().counter("darks_accepted"), spec.num_darks);
  EXPECT_EQ(fixture.control().counter("flats_accepted"), spec.num_flats);
  if (dropped > 0) {
    EXPECT_TRUE(fixture.subscriber().wait_error(ErrorCode::queue_full));
  }
  // The daemon keeps serving: a scan sent one frame at a time, each once the previous one was taken, loses nothing.
  const sim::ScanSimulator valid(small_scan_spec(41));
  fixture.sender().send(protocol::encode(sim::make_scan_begin(valid.spec())));
  for (std::size_t i = 0; i < valid.frame_count(); ++i) {
    fixture.sender().send(protocol::encode(valid.header(i)), valid.render(i));
    const std::uint64_t expected_taken = accepted + dropped + i + 1;
    for (int attempt = 0; attempt < 500; ++attempt) {
      const std::uint64_t taken = fixture.control().counter("darks_accepted") +
                                  fixture.control().counter("flats_accepted") +
                                  fixture.control().counter("projections_accepted");
      if (taken + dropped >= expected_taken) break;
      std::this_thread::sleep_for(1ms);
    }
  }
  fixture.sender().send(protocol::encode(sim::make_scan_end(valid.spec())));
  expect_slices_match_reference(fixture, valid);
  EXPECT_EQ(fixture.control().counter("queue_dropped"), dropped) << "the paced scan lost frames";
}

// A control request map: "v" = version, "type" = type, then the `extra` fields (written by `fields`).
protocol::Bytes request_map(int version, std::string_view type, std::uint32_t extra,
                            const std::function<void(Packer&)>& fields = [](Packer&) {}) {
  return pack([&](Packer& p) {
    p.pack_map(2 + extra);
    p.pack("v"), p.pack(version);
    p.pack("type"), p.pack(type);
    fields(p);
  });
}

// PROTOCOL.md 10.2: every refusal of a request that is a msgpack map with a str "type" echoes that type as the
// reply's command; "" only when no type could be read.
TEST(BadControl, EveryRefusalEchoesTheRequestsType) {
  struct Refusal {
    std::string command;
    ErrorCode code;
    protocol::Bytes request;
  };
  const std::vector<Refusal> refusals = {
      {"get_status", ErrorCode::unsupported_version, request_map(2, "get_status", 0)},
      {"self_destruct", ErrorCode::unknown_type, request_map(1, "self_destruct", 0)},
      {"", ErrorCode::unknown_type, request_map(1, "", 0)},
      {"get_slice", ErrorCode::missing_field, request_map(1, "get_slice", 0)},
      {"set_slices", ErrorCode::wrong_field_type,
       request_map(1, "set_slices", 1, [](Packer& p) { p.pack("xy_row"), p.pack("top"); })},
      {"set_center", ErrorCode::invalid_argument,
       request_map(1, "set_center", 2,
                   [](Packer& p) {
                     p.pack("center_offset_px"), p.pack(1.0);
                     p.pack("center_column_px"), p.pack(2.0);
                   })},
      {"set_center", ErrorCode::invalid_argument, request_map(1, "set_center", 0)},
      {"set_slices", ErrorCode::invalid_argument, request_map(1, "set_slices", 0)},
      {"get_slice", ErrorCode::invalid_argument,
       request_map(1, "get_slice", 1, [](Packer& p) { p.pack("slice"), p.pack("diagonal"); })},
      {"estimate_center", ErrorCode::invalid_argument,
       request_map(1, "estimate_center", 1, [](Packer& p) { p.pack("method"), p.pack("guess"); })},
      {"sweep_center", ErrorCode::invalid_argument,
       request_map(1, "sweep_center", 3,
                   [](Packer& p) {
                     p.pack("start_offset_px"), p.pack(0.0);
                     p.pack("step_px"), p.pack(1.0);
                     p.pack("count"), p.pack(0);
                   })},
      {"set_processing", ErrorCode::invalid_argument, request_map(1, "set_processing", 0)},
      {"set_center", ErrorCode::no_active_scan,
       request_map(1, "set_center", 1, [](Packer& p) { p.pack("center_offset_px"), p.pack(1.0); })},
      // No type to echo: not msgpack, not a map, no "type", a "type" that is not a str.
      {"", ErrorCode::malformed_header, bytes_of("\xc1 not a request")},
      {"", ErrorCode::malformed_header, pack([](Packer& p) { p.pack("get_status"); })},
      {"", ErrorCode::missing_field, pack([](Packer& p) { p.pack_map(1), p.pack("v"), p.pack(1); })},
      {"", ErrorCode::wrong_field_type,
       pack([](Packer& p) { p.pack_map(2), p.pack("v"), p.pack(1), p.pack("type"), p.pack(7); })},
  };
  DaemonFixture fixture;
  for (const Refusal& refusal : refusals) {
    const protocol::Reply reply = fixture.control().request_bytes(refusal.request);
    ASSERT_FALSE(reply.ok()) << refusal.command;
    EXPECT_EQ(reply.error->code, refusal.code) << refusal.command << ": " << reply.error->message;
    EXPECT_EQ(reply.command, refusal.command) << reply.error->message;
  }
}

TEST(BadControl, RefusedCommandsGetErrorRepliesAndTheDaemonKeepsServing) {
  DaemonFixture fixture;
  const auto garbage = fixture.control().request_bytes(bytes_of("\xc1 not a request"));
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error->code, ErrorCode::malformed_header);

  const auto unknown = fixture.control().request_bytes(pack([](Packer& p) {
    p.pack_map(2);
    p.pack("v"), p.pack(1);
    p.pack("type"), p.pack("self_destruct");
  }));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error->code, ErrorCode::unknown_type);
  EXPECT_NE(unknown.error->message.find("self_destruct"), std::string::npos);

  const auto too_early = fixture.control().request(protocol::SetCenter{1.0, std::nullopt});
  ASSERT_FALSE(too_early.ok());
  EXPECT_EQ(too_early.error->code, ErrorCode::no_active_scan);
  protocol::SetSlices early_move;
  early_move.xy_row = 1;
  EXPECT_EQ(fixture.control().request(early_move).error->code, ErrorCode::no_active_scan);
  EXPECT_EQ(fixture.control().request(protocol::GetSlice{protocol::SliceKind::yz}).error->code,
            ErrorCode::no_active_scan);

  const auto bad_name = fixture.control().request_bytes(pack([](Packer& p) {
    p.pack_map(3);
    p.pack("v"), p.pack(1);
    p.pack("type"), p.pack("get_slice");
    p.pack("slice"), p.pack("diagonal");
  }));
  ASSERT_FALSE(bad_name.ok());
  EXPECT_EQ(bad_name.error->code, ErrorCode::invalid_argument);
  EXPECT_NE(bad_name.error->message.find("diagonal"), std::string::npos);

  const auto both = fixture.control().request_bytes(pack([](Packer& p) {
    p.pack_map(4);
    p.pack("v"), p.pack(1);
    p.pack("type"), p.pack("set_center");
    p.pack("center_offset_px"), p.pack(1.0);
    p.pack("center_column_px"), p.pack(30.0);
  }));
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.error->code, ErrorCode::invalid_argument);

  const auto nothing = fixture.control().request_bytes(pack([](Packer& p) {
    p.pack_map(2);
    p.pack("v"), p.pack(1);
    p.pack("type"), p.pack("set_slices");
  }));
  ASSERT_FALSE(nothing.ok());
  EXPECT_EQ(nothing.error->code, ErrorCode::invalid_argument);

  expect_scan_reconstructs(fixture, 31);

  const auto outside = fixture.control().request(protocol::SetCenter{500.0, std::nullopt});
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.error->code, ErrorCode::invalid_argument);
  EXPECT_NE(outside.error->message.find("500"), std::string::npos);

  protocol::SetSlices bad_row;
  bad_row.xy_row = 8;  // rows are 0..7
  const auto row = fixture.control().request(bad_row);
  ASSERT_FALSE(row.ok());
  EXPECT_EQ(row.error->code, ErrorCode::invalid_argument);
  EXPECT_NE(row.error->message.find("0..7"), std::string::npos);

  protocol::SetSlices far_away;
  far_away.xz_y_px = 40.0;  // the slice is 64 wide: |y| <= 31.5
  const auto far = fixture.control().request(far_away);
  ASSERT_FALSE(far.ok());
  EXPECT_EQ(far.error->code, ErrorCode::invalid_argument);
  EXPECT_NE(far.error->message.find("xz_y_px"), std::string::npos);

  EXPECT_EQ(fixture.control().counter("control_errors"), 11u);
  expect_scan_reconstructs(fixture, 32);
}

}  // namespace
}  // namespace tomolive::testing
