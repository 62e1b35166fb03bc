// Corrupt input: truncated headers, non-maps, trailing bytes, hostile lengths and nesting, random garbage and
// random mutations of valid headers. Every decoder must answer with a value or an error, never crash or throw.
#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "codec_test_support.hpp"

namespace tomolive::protocol {
namespace {

using namespace testing_support;

// Runs every decoder on `bytes`; returns the number that decoded fine. Fails the test when one throws or returns
// an error without a message.
int decode_with_every_decoder(const Bytes& bytes) {
  int ok = 0;
  const auto check = [&](const auto& result) {
    if (result.ok()) {
      ++ok;
    } else {
      EXPECT_FALSE(result.error().message.empty()) << to_string(result.error().code);
    }
  };
  EXPECT_NO_THROW({
    check(decode_data_header(bytes));
    check(decode_slice_update(bytes));
    check(decode_event(bytes));
    check(decode_control_request(bytes));
    check(decode_reply(bytes));
  });
  return ok;
}

std::vector<Bytes> valid_headers() {
  return {
      encode(sample_begin_with_range()),
      encode(sample_begin_with_table()),
      encode(sample_projection()),
      encode(ScanEnd{42}),
      encode(sample_slice()),
      encode(sample_error_event()),
      encode(ControlRequest(SetCenter{1.5, std::nullopt})),
      encode(ControlRequest(SetSlices{3u, 1.0, -1.0})),
      encode(ControlRequest(GetSlice{SliceKind::yz})),
      encode(ControlRequest(SetProcessing{FilterWindow::hann, ZingersUpdate{true, 0.3},
                                          PhaseUpdate{false, 20.0, {}, {}, {}}, RingsUpdate{true, 21u}})),
      encode(Reply{"set_processing", std::nullopt, ProcessingResult{sample_status().processing, {90, 3.5, 2, 0}}}),
      encode(Reply{"get_status", std::nullopt, sample_status()}),
      encode(Reply{"get_slice", std::nullopt, sample_slice()}),
      encode(Reply{"set_center", Error{ErrorCode::invalid_argument, "both"}, {}}),
  };
}

TEST(CorruptionTest, EveryValidHeaderDecodesWithExactlyOneDecoder) {
  for (const Bytes& bytes : valid_headers()) EXPECT_EQ(decode_with_every_decoder(bytes), 1);
}

TEST(CorruptionTest, EveryPrefixOfAValidHeaderIsMalformed) {
  for (const Bytes& bytes : valid_headers()) {
    for (std::size_t length = 0; length < bytes.size(); ++length) {
      SCOPED_TRACE("prefix of " + std::to_string(length) + " / " + std::to_string(bytes.size()) + " bytes");
      const ByteView prefix(bytes.data(), length);
      EXPECT_TRUE(IsError(decode_data_header(prefix), ErrorCode::malformed_header, {"header"}));
      EXPECT_TRUE(IsError(decode_slice_update(prefix), ErrorCode::malformed_header, {"header"}));
      EXPECT_TRUE(IsError(decode_event(prefix), ErrorCode::malformed_header, {"header"}));
      EXPECT_TRUE(IsError(decode_control_request(prefix), ErrorCode::malformed_header, {"header"}));
      EXPECT_TRUE(IsError(decode_reply(prefix), ErrorCode::malformed_header, {"header"}));
    }
  }
}

TEST(CorruptionTest, TruncationIsNamed) {
  const Bytes bytes = encode(sample_projection());
  EXPECT_TRUE(IsError(decode_data_header(ByteView(bytes.data(), bytes.size() - 1)), ErrorCode::malformed_header,
                      {"not valid msgpack", "insufficient bytes"}));
  EXPECT_TRUE(IsError(decode_data_header(ByteView()), ErrorCode::malformed_header, {"empty"}));
}

TEST(CorruptionTest, NonMapHeaderIsMalformed) {
  EXPECT_TRUE(IsError(decode_data_header(to_bytes(packed(std::vector<int>{1, 2}))), ErrorCode::malformed_header,
                      {"array of 2 elements", "expected a map"}));
  EXPECT_TRUE(IsError(decode_data_header(to_bytes(packed(std::string("begin")))), ErrorCode::malformed_header,
                      {"str \"begin\"", "expected a map"}));
  EXPECT_TRUE(IsError(decode_control_request(to_bytes(packed(1))), ErrorCode::malformed_header,
                      {"positive int 1", "expected a map"}));
  EXPECT_TRUE(IsError(decode_reply(to_bytes(packed_nil())), ErrorCode::malformed_header, {"nil", "expected a map"}));
}

TEST(CorruptionTest, BytesAfterTheMapAreMalformed) {
  Bytes bytes = encode(sample_projection());
  bytes.push_back(std::byte{0xc0});
  bytes.push_back(std::byte{0xc0});
  EXPECT_TRUE(IsError(decode_data_header(bytes), ErrorCode::malformed_header, {"2 bytes after"}));
  // Two headers in one part.
  Bytes twice = encode(ScanEnd{1});
  const Bytes second = encode(ScanEnd{2});
  twice.insert(twice.end(), second.begin(), second.end());
  EXPECT_TRUE(IsError(decode_data_header(twice), ErrorCode::malformed_header, {"after its msgpack map"}));
}

TEST(CorruptionTest, InvalidMsgpackByteIsMalformed) {
  const Bytes bytes = {std::byte{0x81}, std::byte{0xc1}, std::byte{0x00}};  // 0xc1 is never used in msgpack
  EXPECT_TRUE(IsError(decode_data_header(bytes), ErrorCode::malformed_header, {"not valid msgpack"}));
}

TEST(CorruptionTest, HostileLengthsAreRejectedWithoutAllocating) {
  // A map claiming 2^32 - 1 entries, an array and a string claiming 4 GiB, each in a few bytes.
  const std::vector<Bytes> hostile = {
      {std::byte{0xdf}, std::byte{0xff}, std::byte{0xff}, std::byte{0xff}, std::byte{0xff}},
      {std::byte{0x81}, std::byte{0xa1}, std::byte{'a'}, std::byte{0xdd}, std::byte{0xff}, std::byte{0xff},
       std::byte{0xff}, std::byte{0xff}},
      {std::byte{0x81}, std::byte{0xa1}, std::byte{'a'}, std::byte{0xdb}, std::byte{0xff}, std::byte{0xff},
       std::byte{0xff}, std::byte{0xff}},
      {std::byte{0x81}, std::byte{0xa1}, std::byte{'a'}, std::byte{0xc6}, std::byte{0xff}, std::byte{0xff},
       std::byte{0xff}, std::byte{0xff}},
  };
  for (const Bytes& bytes : hostile) {
    EXPECT_TRUE(IsError(decode_data_header(bytes), ErrorCode::malformed_header, {"not valid msgpack"}));
  }
}

TEST(CorruptionTest, DeepNestingIsMalformed) {
  // {"x": [[[[ ... ]]]]} nested 10000 deep.
  Bytes bytes = {std::byte{0x81}, std::byte{0xa1}, std::byte{'x'}};
  bytes.insert(bytes.end(), 10000, std::byte{0x91});
  bytes.push_back(std::byte{0xc0});
  EXPECT_TRUE(IsError(decode_data_header(bytes), ErrorCode::malformed_header, {"depth"}));
}

TEST(CorruptionTest, RandomBytesNeverCrash) {
  std::mt19937_64 random(20240611);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<std::size_t> length(0, 96);
  // Half the strings start like a map (fixmap / map16) so the parser gets past the first byte.
  const std::vector<std::byte> map_starts = {std::byte{0x81}, std::byte{0x85}, std::byte{0x8f}, std::byte{0xde}};
  for (int i = 0; i < 4000; ++i) {
    Bytes bytes(length(random));
    for (std::byte& b : bytes) b = static_cast<std::byte>(byte(random));
    if (!bytes.empty() && i % 2 == 0) bytes[0] = map_starts[static_cast<std::size_t>(i / 2) % map_starts.size()];
    decode_with_every_decoder(bytes);
  }
}

TEST(CorruptionTest, RandomMutationsOfValidHeadersNeverCrash) {
  std::mt19937_64 random(42);
  const std::vector<Bytes> valid = valid_headers();
  std::uniform_int_distribution<int> byte(0, 255);
  int decoded_fine = 0;
  for (int i = 0; i < 6000; ++i) {
    Bytes bytes = valid[static_cast<std::size_t>(i) % valid.size()];
    const int edits = 1 + static_cast<int>(random() % 4);
    for (int e = 0; e < edits && !bytes.empty(); ++e) {
      const std::size_t at = random() % bytes.size();
      switch (random() % 4) {
        case 0: bytes[at] = static_cast<std::byte>(byte(random)); break;                                // replace
        case 1: bytes[at] ^= static_cast<std::byte>(1u << (random() % 8)); break;                       // flip a bit
        case 2: bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(at), std::byte{0xff}); break;  // insert
        default: bytes.erase(bytes.begin() + static_cast<std::ptrdiff_t>(at)); break;                   // delete
      }
    }
    decoded_fine += decode_with_every_decoder(bytes);
  }
  // Some mutations only change values (an angle, an id), so some headers still decode: the loop reaches deep code.
  EXPECT_GT(decoded_fine, 100);
}

TEST(CorruptionTest, RandomPayloadSizesAreCheckedWithoutCrash) {
  std::mt19937_64 random(7);
  for (int i = 0; i < 2000; ++i) {
    FrameHeader frame = sample_projection();
    frame.rows = static_cast<std::uint32_t>(random());
    frame.cols = static_cast<std::uint32_t>(random());
    frame.dtype = static_cast<Dtype>(random() % 4);
    const std::size_t bytes = static_cast<std::size_t>(random());
    const std::optional<Error> error = check_frame_payload(frame, bytes);
    if (error) {
      EXPECT_EQ(error->code, ErrorCode::size_mismatch);
    }
  }
}

}  // namespace
}  // namespace tomolive::protocol
