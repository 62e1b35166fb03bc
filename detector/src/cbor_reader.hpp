// A pull reader over one CBOR buffer, built on libcbor's streaming decoder (cbor_stream_decode): each next()
// decodes one data item's head. Byte and text strings come back as views into the buffer, so image bytes are never
// copied (cbor_load would build a tree and copy every string). The reader checks lengths against the buffer (a
// truncated item is an error, never a read past the end). Not thread-safe; one reader per message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tomolive/protocol/codec.hpp"
#include "tomolive/protocol/expected.hpp"

namespace tomolive::detector {

struct CborHead {
  enum class Kind : std::uint8_t {
    uint,         // value
    negint,       // the integer -1 - value
    bytes,        // definite byte string: bytes
    text,         // definite text string: bytes (UTF-8 as sent)
    array,        // definite array of `value` items
    map,          // definite map of `value` pairs
    tag,          // tag number `value`; the tagged item follows
    floating,     // number (half, single or double precision)
    boolean,      // flag
    null,
    undefined,
    indef_bytes,  // indefinite byte string: definite chunks follow, then brk
    indef_text,   // indefinite text string: definite chunks follow, then brk
    indef_array,  // items follow, then brk
    indef_map,    // pairs follow, then brk
    brk,          // the "break" ending an indefinite item
  };
  Kind kind = Kind::null;
  std::uint64_t value = 0;
  double number = 0.0;
  bool flag = false;
  protocol::ByteView bytes;
};

// "unsigned integer", "text string", ... for error messages.
std::string_view describe(CborHead::Kind kind);

class CborReader {
 public:
  explicit CborReader(protocol::ByteView data) : data_(data) {}

  // The next item head; malformed_header when the bytes end inside an item or are not well-formed CBOR.
  protocol::Expected<CborHead> next();
  bool at_end() const { return offset_ == data_.size(); }
  std::size_t offset() const { return offset_; }
  std::size_t size() const { return data_.size(); }

 private:
  protocol::ByteView data_;
  std::size_t offset_ = 0;
};

}  // namespace tomolive::detector
