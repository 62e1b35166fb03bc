#include "dectris1_decoder.hpp"

#include <algorithm>
#include <initializer_list>
#include <string>

#include "date_time.hpp"
#include "image_shape.hpp"
#include "json_part.hpp"
#include "tomolive/detector/pixel_decoder.hpp"
#include "utf8.hpp"

namespace tomolive::detector {
namespace {

using protocol::ByteView;
using protocol::Error;
using protocol::ErrorCode;
using protocol::Expected;
using MaybeError = std::optional<Error>;

// The parts a dheader-1.0 with header_detail "all" carries after its config, each followed by a binary part.
constexpr std::string_view kFlatfieldHtype = "dflatfield-1.0";
constexpr std::string_view kPixelMaskHtype = "dpixelmask-1.0";
constexpr std::string_view kCountrateHtype = "dcountrate_table-1.0";

// Appends to `ignored` the keys of the JSON object `part` that are not in `read` (the keys this decoder reads from
// that part), each after `prefix`.
void note_ignored_keys(const nlohmann::json& part, std::initializer_list<std::string_view> read,
                       std::string_view prefix, IgnoredKeys& ignored) {
  for (const auto& item : part.items()) {
    if (std::find(read.begin(), read.end(), item.key()) == read.end()) {
      ignored.push_back(std::string(prefix) + item.key());
    }
  }
}

Error malformed(const std::string& context, const std::string& what) {
  return Error{ErrorCode::malformed_header, context + ": " + what};
}

// A header or image appendix: the user's data, JSON when it parses as JSON, else its text.
Expected<nlohmann::json> read_appendix(ByteView part, const std::string& context) {
  if (auto value = parse_json(part)) return std::move(value.value());
  const std::string_view text(reinterpret_cast<const char*>(part.data()), part.size());
  if (auto bad = protocol::detail::first_invalid_utf8(text)) {
    return Error{ErrorCode::invalid_field,
                 context + ": appendix is neither JSON nor UTF-8 text (invalid byte at " + std::to_string(*bad) + ")"};
  }
  return nlohmann::json(std::string(text));
}

// The JSON object in `part` when it is a header of htype `htype`; nullopt otherwise (another part, or not JSON).
std::optional<nlohmann::json> header_of_type(ByteView part, std::string_view htype) {
  auto value = parse_json(part);
  if (!value || !value->is_object() || htype_of(*value) != std::string(htype)) return std::nullopt;
  return value;
}

// "bs16-lz4<" and its relatives: the DECTRIS encoding string of a V1 image.
MaybeError parse_encoding(const std::string& encoding, protocol::Dtype dtype, const JsonFields& fields,
                          Compression& compression) {
  if (!encoding.empty() && encoding.back() == '>') {
    return fields.error(ErrorCode::wrong_field_type, "\"encoding\" \"" + abbreviated(encoding) +
                                                         "\" is big-endian; tomolive reads little-endian (\"<\")");
  }
  if (encoding == "<") {
    compression = Compression::none;
  } else if (encoding == "lz4<") {
    compression = Compression::lz4_block;
  } else if (encoding.starts_with("bs") && encoding.ends_with("-lz4<")) {
    const std::string bits = encoding.substr(2, encoding.size() - 2 - 5);
    const std::string expected = std::to_string(8 * protocol::itemsize(dtype));
    if (bits != expected) {
      return fields.error(ErrorCode::bad_dtype, "\"encoding\" \"" + abbreviated(encoding) + "\" shuffles " +
                                                    abbreviated(bits) + "-bit elements, the image is " +
                                                    std::string(protocol::to_string(dtype)) + " (bs" + expected +
                                                    "-lz4<)");
    }
    compression = Compression::bslz4;
  } else {
    return fields.error(ErrorCode::wrong_field_type, "\"encoding\" \"" + abbreviated(encoding) +
                                                         "\" is not supported, expected \"<\", \"lz4<\" or "
                                                         "\"bs<bits>-lz4<\"");
  }
  return std::nullopt;
}

// A dimage_d-1.0-style description ({"shape": [x, y], "type": ...}) of the binary part `data`.
MaybeError read_described_array(const nlohmann::json& header, const std::string& context, ByteView data,
                                bool with_encoding, EncodedImage& image, IgnoredKeys& ignored) {
  const JsonFields fields(header, context);
  note_ignored_keys(header, {"htype", "shape", "type", "encoding", "size"}, "", ignored);
  std::vector<std::uint64_t> shape;
  std::optional<std::string> type, encoding;
  std::optional<std::uint64_t> size;
  if (auto error = fields.get_shape("shape", shape, true)) return error;
  if (auto error = fields.get_text("type", type, true)) return error;
  if (with_encoding) {
    if (auto error = fields.get_text("encoding", encoding, true)) return error;
    if (auto error = fields.get_uint("size", size, false)) return error;
  }
  auto dtype = parse_pixel_type(*type, fields);
  if (!dtype) return dtype.error();
  auto dims = resolve_image_shape(shape, AxisOrder::fastest_first, fields);
  if (!dims) return dims.error();
  image = EncodedImage{dims->rows, dims->cols, dtype.value(), Compression::none, data};
  if (encoding) {
    if (auto error = parse_encoding(*encoding, dtype.value(), fields, image.compression)) return error;
  }
  if (size && *size != data.size()) {
    return fields.error(ErrorCode::size_mismatch, "\"size\" is " + std::to_string(*size) + ", the data part has " +
                                                      std::to_string(data.size()) + " bytes");
  }
  if (image.compression == Compression::none && data.size() != image.decoded_bytes()) {
    return fields.error(ErrorCode::size_mismatch, "data part of " + std::to_string(data.size()) + " bytes, a " +
                                                      shape_text(shape) + " " + *type + " image needs " +
                                                      std::to_string(image.decoded_bytes()));
  }
  return std::nullopt;
}

MaybeError read_config(const nlohmann::json& config, const std::string& context, SeriesStart& start) {
  const JsonFields fields(config, context + " config");
  note_ignored_keys(config,
                    {"nimages", "ntrigger", "x_pixels_in_detector", "y_pixels_in_detector", "bit_depth_image",
                     "omega_start", "omega_increment", "data_collection_date"},
                    "config.", start.ignored_keys);
  std::optional<std::uint64_t> nimages, ntrigger, x_pixels, y_pixels, bit_depth;
  if (auto error = fields.get_uint("nimages", nimages, false)) return error;
  if (auto error = fields.get_uint("ntrigger", ntrigger, false)) return error;
  if (auto error = fields.get_uint("x_pixels_in_detector", x_pixels, false)) return error;
  if (auto error = fields.get_uint("y_pixels_in_detector", y_pixels, false)) return error;
  if (auto error = fields.get_uint("bit_depth_image", bit_depth, false)) return error;
  if (auto error = fields.get_number("omega_start", start.omega_start_deg, false)) return error;
  if (auto error = fields.get_number("omega_increment", start.omega_increment_deg, false)) return error;
  std::optional<std::string> date;
  if (auto error = fields.get_text("data_collection_date", date, false)) return error;
  if (date && !(start.date_ns = parse_rfc3339_ns(*date))) {
    return fields.error(ErrorCode::invalid_field, "\"data_collection_date\" is \"" + abbreviated(*date) +
                                                      "\", expected an RFC 3339 date such as "
                                                      "2026-12-07T11:00:00.000+01:00");
  }
  if (nimages) start.number_of_images = *nimages * (ntrigger && *ntrigger > 0 ? *ntrigger : 1);
  for (auto [key, value, out] : {std::tuple{"x_pixels_in_detector", x_pixels, &start.image_cols},
                                 std::tuple{"y_pixels_in_detector", y_pixels, &start.image_rows}}) {
    if (!value) continue;
    if (*value == 0 || *value > protocol::kMaxDetectorPixelsPerSide) {
      return fields.error(ErrorCode::wrong_field_type, quoted(key) + " is " + std::to_string(*value) +
                                                           ", expected 1.." +
                                                           std::to_string(protocol::kMaxDetectorPixelsPerSide));
    }
    *out = static_cast<std::uint32_t>(*value);
  }
  if (bit_depth) {
    switch (*bit_depth) {
      case 8: start.dtype = protocol::Dtype::uint8; break;
      case 16: start.dtype = protocol::Dtype::uint16; break;
      case 32: start.dtype = protocol::Dtype::uint32; break;
      default:
        return fields.error(ErrorCode::bad_dtype, "\"bit_depth_image\" is " + std::to_string(*bit_depth) +
                                                      ", expected 8, 16 or 32");
    }
  }
  return std::nullopt;
}

Expected<DetectorMessage> decode_header(std::span<const ByteView> parts, const nlohmann::json& first) {
  std::string context = "dectris1 dheader-1.0";
  const JsonFields fields(first, context);
  std::optional<std::uint64_t> series;
  std::optional<std::string> detail;
  if (auto error = fields.get_uint("series", series, true)) return *error;
  if (auto error = fields.get_text("header_detail", detail, false)) return *error;
  const std::string level = detail.value_or("none");
  if (level != "all" && level != "basic" && level != "none") {
    return fields.error(ErrorCode::wrong_field_type, "\"header_detail\" is \"" + abbreviated(level) +
                                                         "\", expected all, basic or none");
  }
  context += " (header_detail " + level + ")";
  SeriesStart start;
  start.series_id = *series;
  note_ignored_keys(first, {"htype", "series", "header_detail"}, "", start.ignored_keys);
  std::size_t next = 1;
  if (level != "none") {
    if (parts.size() < 2) return malformed(context, "no config part (message has 1 part)");
    auto config = parse_json_object(parts[1], context + " config");
    if (!config) return config.error();
    if (auto error = read_config(config.value(), context, start)) return *error;
    next = 2;
  }
  // header_detail "all": flatfield, pixel mask and count-rate table, each a JSON part and a binary part.
  while (next + 1 < parts.size()) {
    std::optional<nlohmann::json> header;
    std::string_view htype;
    for (std::string_view candidate : {kFlatfieldHtype, kPixelMaskHtype, kCountrateHtype}) {
      if ((header = header_of_type(parts[next], candidate))) {
        htype = candidate;
        break;
      }
    }
    if (!header) break;
    if (htype == kPixelMaskHtype) {
      EncodedImage mask_image;
      if (auto error = read_described_array(header.value(), context + " dpixelmask-1.0", parts[next + 1], false,
                                            mask_image, start.ignored_keys)) {
        return *error;
      }
      if (mask_image.dtype != protocol::Dtype::uint32) {
        return Error{ErrorCode::bad_dtype, context + " dpixelmask-1.0: \"type\" is " +
                                               std::string(protocol::to_string(mask_image.dtype)) +
                                               ", expected uint32"};
      }
      PixelMask mask{mask_image.rows, mask_image.cols,
                     std::vector<std::uint32_t>(std::size_t{mask_image.rows} * mask_image.cols)};
      if (auto error = decode_pixels(mask_image, std::as_writable_bytes(std::span(mask.flags)))) return *error;
      start.pixel_mask = std::move(mask);
    }
    next += 2;
  }
  if (parts.size() - next > 1) {
    return malformed(context, "message has " + std::to_string(parts.size()) + " parts; after part " +
                                  std::to_string(next) + " only the header appendix may follow");
  }
  if (next < parts.size()) {
    auto appendix = read_appendix(parts[next], context);
    if (!appendix) return appendix.error();
    start.user_data = std::move(appendix.value());
  }
  return DetectorMessage{std::move(start)};
}

// An image's dconfig-1.0 part: "start_time" (ns after the series' start; a number) is the image's series time.
MaybeError read_image_times(const nlohmann::json& times, SeriesImage& image) {
  const JsonFields fields(times, "dectris1 dconfig-1.0");
  note_ignored_keys(times, {"htype", "start_time"}, "", image.ignored_keys);
  std::optional<double> start_time;
  if (auto error = fields.get_number("start_time", start_time, false)) return error;
  if (!start_time) return std::nullopt;
  // Below 2^63 ns (292 years): exactly what int64 holds.
  if (!(*start_time >= 0.0 && *start_time < 9.2e18)) {
    return fields.error(ErrorCode::invalid_field, "\"start_time\" is " + abbreviated(times.at("start_time").dump()) +
                                                      ", expected ns after the series' start (0 or more)");
  }
  image.series_time_ns = static_cast<std::int64_t>(*start_time);
  return std::nullopt;
}

Expected<DetectorMessage> decode_image(std::span<const ByteView> parts, const nlohmann::json& first) {
  const std::string context = "dectris1 dimage-1.0";
  const JsonFields fields(first, context);
  std::optional<std::uint64_t> series, frame;
  if (auto error = fields.get_uint("series", series, true)) return *error;
  if (auto error = fields.get_uint("frame", frame, true)) return *error;
  if (parts.size() < 3) {
    return malformed(context, "message has " + std::to_string(parts.size()) +
                                  " parts, expected dimage-1.0, dimage_d-1.0, data[, dconfig-1.0[, appendix]]");
  }
  auto description = parse_json_object(parts[1], context + " part 2");
  if (!description) return description.error();
  if (htype_of(description.value()) != std::string("dimage_d-1.0")) {
    return malformed(context, "part 2 has htype " + abbreviated(description->value("htype", nlohmann::json()).dump()) +
                                  ", expected dimage_d-1.0");
  }
  SeriesImage image;
  image.series_id = *series;
  image.image_id = *frame;
  note_ignored_keys(first, {"htype", "series", "frame"}, "", image.ignored_keys);
  if (auto error = read_described_array(description.value(), "dectris1 dimage_d-1.0", parts[2], true, image.image,
                                        image.ignored_keys)) {
    return *error;
  }
  std::size_t next = 3;
  if (next < parts.size()) {
    if (const std::optional<nlohmann::json> times = header_of_type(parts[next], "dconfig-1.0")) {
      if (auto error = read_image_times(times.value(), image)) return *error;
      ++next;
    }
  }
  if (parts.size() - next > 1) {
    return malformed(context, "message has " + std::to_string(parts.size()) +
                                  " parts, expected dimage-1.0, dimage_d-1.0, data[, dconfig-1.0[, appendix]]");
  }
  if (next < parts.size()) {
    auto appendix = read_appendix(parts[next], context);
    if (!appendix) return appendix.error();
    image.user_data = std::move(appendix.value());
  }
  return DetectorMessage{std::move(image)};
}

Expected<DetectorMessage> decode_series_end(std::span<const ByteView> parts, const nlohmann::json& first) {
  const std::string context = "dectris1 dseries_end-1.0";
  if (parts.size() != 1) {
    return malformed(context, "message has " + std::to_string(parts.size()) + " parts, expected 1");
  }
  std::optional<std::uint64_t> series;
  if (auto error = JsonFields(first, context).get_uint("series", series, true)) return *error;
  SeriesEnd end{*series, {}};
  note_ignored_keys(first, {"htype", "series"}, "", end.ignored_keys);
  return DetectorMessage{std::move(end)};
}

}  // namespace

Expected<DetectorMessage> decode_dectris1(std::span<const ByteView> parts) {
  if (parts.empty()) return Error{ErrorCode::malformed_header, "dectris1: message has no parts"};
  auto first = parse_json_object(parts[0], "dectris1");
  if (!first) return first.error();
  const auto htype = htype_of(first.value());
  if (!htype) return Error{ErrorCode::missing_field, "dectris1: part 1 has no \"htype\""};
  if (*htype == "dheader-1.0") return decode_header(parts, first.value());
  if (*htype == "dimage-1.0") return decode_image(parts, first.value());
  if (*htype == "dseries_end-1.0") return decode_series_end(parts, first.value());
  if (*htype == "dconfig-1.0") return DetectorMessage{Ignored{"dectris1 dconfig-1.0"}};
  if (*htype == "dimage_d-1.0") {
    return Error{ErrorCode::malformed_header, "dectris1: message starts with dimage_d-1.0, which only follows a "
                                              "dimage-1.0 part"};
  }
  return Error{ErrorCode::unknown_type, "dectris1: htype \"" + abbreviated(*htype) +
                                            "\" is not dheader-1.0, dimage-1.0, dseries_end-1.0 or dconfig-1.0"};
}

}  // namespace tomolive::detector
