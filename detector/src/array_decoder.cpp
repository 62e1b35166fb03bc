#include "array_decoder.hpp"

#include <array>
#include <string>

#include "image_shape.hpp"
#include "json_part.hpp"

namespace tomolive::detector {

using protocol::ByteView;
using protocol::Error;
using protocol::ErrorCode;
using protocol::Expected;

namespace {

// The header keys array-1.0 defines; every other key is the sender's and goes to SeriesImage::user_data.
// "endianess" is the PCO example's spelling.
constexpr std::array<std::string_view, 8> kFormatKeys = {"htype",      "shape",     "type",     "frame",
                                                          "endianness", "endianess", "encoding", "source"};

std::optional<Error> check_endianness(const JsonFields& fields) {
  for (std::string_view key : {"endianness", "endianess"}) {
    std::optional<std::string> endianness;
    if (auto error = fields.get_text(key, endianness, false)) return error;
    if (endianness && *endianness != "little") {
      return fields.error(ErrorCode::bad_dtype, quoted(key) + " is \"" + abbreviated(*endianness) +
                                                    "\"; tomolive reads little-endian pixels only");
    }
  }
  return std::nullopt;
}

Expected<Compression> parse_encoding(const std::optional<std::string>& encoding, const JsonFields& fields) {
  if (!encoding || encoding->empty() || *encoding == "none" || *encoding == "raw") return Compression::none;
  if (*encoding == "bslz4" || *encoding == "bitshuffle_lz4") return Compression::bslz4;
  if (*encoding == "lz4") return Compression::lz4;
  return fields.error(ErrorCode::wrong_field_type, "\"encoding\" \"" + abbreviated(*encoding) +
                                                       "\" is not supported, expected \"\" (raw), bslz4 or lz4");
}

}  // namespace

Expected<DetectorMessage> decode_array(std::span<const ByteView> parts) {
  const std::string context = "array-1.0";
  if (parts.size() != 2) {
    return Error{ErrorCode::malformed_header, context + ": message has " + std::to_string(parts.size()) +
                                                  " parts, expected 2 parts (JSON header, data)"};
  }
  auto header = parse_json_object(parts[0], context);
  if (!header) return header.error();
  const auto htype_it = header->find("htype");
  if (htype_of(header.value()) != std::string("array-1.0")) {
    return Error{ErrorCode::unknown_type,
                 context + ": htype is " + (htype_it == header->end() ? "missing" : abbreviated(htype_it->dump())) +
                     ", expected \"array-1.0\""};
  }
  const AxisOrder order = htype_it->is_array() ? AxisOrder::fastest_first : AxisOrder::slowest_first;
  const JsonFields fields(header.value(), context);
  std::vector<std::uint64_t> shape;
  std::optional<std::string> type, encoding;
  std::optional<std::uint64_t> frame;
  if (auto error = fields.get_shape("shape", shape, true)) return *error;
  if (auto error = fields.get_text("type", type, true)) return *error;
  if (auto error = fields.get_uint("frame", frame, true)) return *error;
  if (auto error = fields.get_text("encoding", encoding, false)) return *error;
  if (auto error = check_endianness(fields)) return *error;
  auto dtype = parse_pixel_type(*type, fields);
  if (!dtype) return dtype.error();
  auto compression = parse_encoding(encoding, fields);
  if (!compression) return compression.error();
  auto dims = resolve_image_shape(shape, order, fields);
  if (!dims) return dims.error();

  SeriesImage image;
  image.image_id = *frame;
  image.image = EncodedImage{dims->rows, dims->cols, dtype.value(), compression.value(), parts[1]};
  image.shape_order_by_convention = true;
  if (image.image.compression == Compression::none && parts[1].size() != image.image.decoded_bytes()) {
    return fields.error(ErrorCode::size_mismatch, "data part of " + std::to_string(parts[1].size()) + " bytes, a " +
                                                      shape_text(shape) + " " + *type + " image needs " +
                                                      std::to_string(image.image.decoded_bytes()));
  }
  image.user_data = nlohmann::json::object();
  for (const auto& [key, value] : header->items()) {
    if (std::find(kFormatKeys.begin(), kFormatKeys.end(), key) == kFormatKeys.end()) image.user_data[key] = value;
  }
  return DetectorMessage{std::move(image)};
}

}  // namespace tomolive::detector
