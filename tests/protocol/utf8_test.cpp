// The UTF-8 rule of the wire (PROTOCOL.md 3): the validator itself, the codec's refusal of every str that breaks
// it (invalid_field, naming the field and the byte offset), and quote(), which never lets a received byte out raw.
#include "utf8.hpp"

#include <msgpack.hpp>

#include <gtest/gtest.h>

#include "msgpack_reader.hpp"
#include "tomolive/protocol/codec.hpp"

namespace tomolive::protocol {
namespace {

using detail::first_invalid_utf8;
using Packer = msgpack::packer<msgpack::sbuffer>;

Bytes pack(const std::function<void(Packer&)>& write) {
  msgpack::sbuffer buffer;
  Packer packer(buffer);
  write(packer);
  const auto* data = reinterpret_cast<const std::byte*>(buffer.data());
  return Bytes(data, data + buffer.size());
}

// A msgpack str holding exactly these bytes.
void pack_raw_str(Packer& p, std::string_view bytes) {
  p.pack_str(static_cast<std::uint32_t>(bytes.size()));
  p.pack_str_body(bytes.data(), static_cast<std::uint32_t>(bytes.size()));
}

TEST(Utf8, AcceptsAsciiAndEveryEncodingLength) {
  EXPECT_EQ(first_invalid_utf8(""), std::nullopt);
  EXPECT_EQ(first_invalid_utf8("scan 12"), std::nullopt);
  EXPECT_EQ(first_invalid_utf8("\xc3\xa9"), std::nullopt);          // U+00E9
  EXPECT_EQ(first_invalid_utf8("\xe2\x82\xac"), std::nullopt);      // U+20AC
  EXPECT_EQ(first_invalid_utf8("\xf0\x9f\x94\xac"), std::nullopt);  // U+1F52C
  EXPECT_EQ(first_invalid_utf8("\xf4\x8f\xbf\xbf"), std::nullopt);  // U+10FFFF
}

TEST(Utf8, FindsTheFirstInvalidByte) {
  EXPECT_EQ(first_invalid_utf8("\xff\x01"), 0u);
  EXPECT_EQ(first_invalid_utf8("ab\x80"), 2u);                // a stray continuation byte
  EXPECT_EQ(first_invalid_utf8("a\xc0\x80"), 1u);             // overlong NUL
  EXPECT_EQ(first_invalid_utf8("\xe0\x80\xaf"), 0u);          // overlong '/'
  EXPECT_EQ(first_invalid_utf8("x\xed\xa0\x80"), 1u);         // a UTF-16 surrogate
  EXPECT_EQ(first_invalid_utf8("\xf4\x90\x80\x80"), 0u);      // above U+10FFFF
  EXPECT_EQ(first_invalid_utf8("\xf5\x80\x80\x80"), 0u);
  EXPECT_EQ(first_invalid_utf8("\xc3\xa9\xe2\x82"), 2u);      // cut at the end
  EXPECT_EQ(first_invalid_utf8("\xe2\x28\xa1"), 0u);          // a bad second byte
}

TEST(Utf8, QuoteEscapesControlCharactersAndInvalidBytesAndCutsOnACharacter) {
  EXPECT_EQ(detail::quote("a\nb"), "\"a\\x0ab\"");
  EXPECT_EQ(detail::quote("\xff\x01"), "\"\\xff\\x01\"");
  EXPECT_EQ(detail::quote("say \"hi\" \\"), "\"say \\\"hi\\\" \\\\\"");
  EXPECT_EQ(detail::quote("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
  const std::string long_text = std::string(63, 'a') + "\xe2\x82\xac" + "tail";  // the euro sign spans byte 64
  const std::string quoted = detail::quote(long_text);
  EXPECT_EQ(first_invalid_utf8(quoted), std::nullopt);
  EXPECT_EQ(quoted, "\"" + std::string(63, 'a') + "\xe2\x82\xac...\"");
  for (int byte = 0; byte < 256; ++byte) {
    const std::string one(1, static_cast<char>(byte));
    EXPECT_EQ(first_invalid_utf8(detail::quote(one)), std::nullopt) << byte;
  }
}

TEST(Utf8, AHeaderTypeThatIsNotUtf8IsAnInvalidFieldAndIsNeverEchoed) {
  const Bytes header = pack([](Packer& p) {
    p.pack_map(2);
    p.pack("v"), p.pack(1);
    p.pack("type"), pack_raw_str(p, "\xff\x01");
  });
  for (const Error& error : {decode_data_header(header).error(), decode_control_request(header).error()}) {
    SCOPED_TRACE(error.message);
    EXPECT_EQ(error.code, ErrorCode::invalid_field);
    EXPECT_EQ(error.message, "field \"type\": str of 2 bytes is not valid UTF-8 (first invalid byte at offset 0)");
  }
  EXPECT_EQ(header_type(header), "");
  const Bytes control_chars = pack([](Packer& p) {
    p.pack_map(2);
    p.pack("v"), p.pack(1);
    p.pack("type"), p.pack("get_status\n");
  });
  EXPECT_EQ(header_type(control_chars), "");
}

TEST(Utf8, AnUnknownTypeIsQuotedWithItsControlCharactersEscaped) {
  const Bytes header = pack([](Packer& p) {
    p.pack_map(2);
    p.pack("v"), p.pack(1);
    p.pack("type"), p.pack("cal\x01ib\nrate");
  });
  const Error error = decode_data_header(header).error();
  EXPECT_EQ(error.code, ErrorCode::unknown_type);
  EXPECT_NE(error.message.find("\"cal\\x01ib\\x0arate\""), std::string::npos) << error.message;
}

TEST(Utf8, AScanNameThatIsNotUtf8IsRefusedWithTheFieldAndOffset) {
  ScanBegin begin;
  begin.scan_id = 3;
  begin.rows = 4;
  begin.cols = 8;
  begin.num_projections = 10;
  begin.angles = AngleRange{0.0, 18.0};
  begin.name = "run \xc3\x28";  // a two-byte lead followed by '('
  const Error error = decode_data_header(encode(begin)).error();
  EXPECT_EQ(error.code, ErrorCode::invalid_field);
  EXPECT_NE(error.message.find("\"name\""), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("offset 4"), std::string::npos) << error.message;
}

TEST(Utf8, CounterNamesInAStatusMustBeUtf8Too) {
  Status status;
  status.version = "1.0";
  status.counters = {{"ok", 1}, {"bad\xfe", 2}};
  Reply reply;
  reply.command = "get_status";
  reply.result = status;
  const Expected<Reply> decoded = decode_reply(encode(reply));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code, ErrorCode::invalid_field);
  EXPECT_NE(decoded.error().message.find("counters"), std::string::npos) << decoded.error().message;
  EXPECT_NE(decoded.error().message.find("offset 3"), std::string::npos) << decoded.error().message;
}

}  // namespace
}  // namespace tomolive::protocol
