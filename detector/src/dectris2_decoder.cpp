// One pass over the message's top-level map with a pull reader: each key the format defines is read and checked
// where it stands (image bytes stay views into the message), unknown keys are skipped, and the message is built by
// its "type" at the end.
#include "dectris2_decoder.hpp"

#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "cbor_reader.hpp"
#include "date_time.hpp"
#include "json_part.hpp"
#include "tomolive/detector/pixel_decoder.hpp"
#include "typed_array.hpp"
#include "utf8.hpp"

namespace tomolive::detector {
namespace {

using protocol::ByteView;
using protocol::Error;
using protocol::ErrorCode;
using protocol::Expected;
using Kind = CborHead::Kind;
using MaybeError = std::optional<Error>;

constexpr std::uint64_t kSelfDescribeTag = 55799;
constexpr std::uint64_t kDateTimeTag = 0;  // RFC 8949 standard date/time string
constexpr std::uint64_t kMultiDimensionalRowMajorTag = 40;
constexpr std::uint64_t kDectrisCompressionTag = 56500;
constexpr int kMaxDepth = 64;  // nesting limit for skipped keys and user_data

// What the top-level map held, whatever the message type; the type decides which are required.
struct Fields {
  std::optional<std::string> type;
  std::optional<std::uint64_t> series_id, image_id, number_of_images, image_size_x, image_size_y;
  std::optional<std::string> series_unique_id;
  std::optional<double> omega_start, omega_increment;
  std::optional<protocol::Dtype> image_dtype;
  std::optional<PixelMask> pixel_mask;
  std::optional<EncodedImage> image;
  std::optional<std::vector<std::string>> channels;       // the start's "channels"
  std::vector<std::string> data_channels, mask_channels;  // the keys of "data" and "pixel_mask", in order
  std::string data_channel;                               // the channel of "data" taken
  std::optional<std::int64_t> series_date_ns, start_time_ns;  // an image's "series_date", "start_time" (relative)
  nlohmann::json user_data;
};

class Parser {
 public:
  Parser(ByteView bytes, const DecodeOptions& options) : reader_(bytes), options_(options) {}

  Expected<DetectorMessage> parse() {
    CborHead head;
    if (auto error = next(head)) return *error;
    if (head.kind == Kind::tag && head.value == kSelfDescribeTag) {
      if (auto error = next(head)) return *error;
    }
    if (head.kind != Kind::map && head.kind != Kind::indef_map) {
      return fail(ErrorCode::malformed_header, "the message is a CBOR " + std::string(describe(head.kind)) +
                                                   ", expected a map");
    }
    Fields fields;
    if (auto error = for_each_entry(head, "", 0, [&](const std::string& key, const CborHead& value) {
          return read_top_level(key, value, fields);
        })) {
      return *error;
    }
    if (!reader_.at_end()) {
      return fail(ErrorCode::malformed_header, std::to_string(reader_.size() - reader_.offset()) +
                                                   " bytes after the message's map");
    }
    return build(std::move(fields));
  }

 private:
  // --- errors ---
  Error fail(ErrorCode code, const std::string& what) const { return Error{code, context_ + what}; }
  Error wrong_type(const std::string& path, std::string_view expected, const CborHead& found) const {
    return fail(ErrorCode::wrong_field_type, "\"" + path + "\" is a " + std::string(describe(found.kind)) +
                                                 (found.kind == Kind::tag ? " " + std::to_string(found.value) : "") +
                                                 ", expected " + std::string(expected));
  }

  MaybeError next(CborHead& head) {
    auto item = reader_.next();
    if (!item) return fail(item.error().code, item.error().message);
    head = item.value();
    return std::nullopt;
  }

  // --- generic walking ---
  MaybeError check_depth(int depth) const {
    if (depth > kMaxDepth) {
      return fail(ErrorCode::malformed_header, "CBOR nested deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    return std::nullopt;
  }

  // Calls on_entry(key, value head) for each pair of a map whose head was read; on_entry reads the value.
  MaybeError for_each_entry(const CborHead& map, const std::string& path, int depth,
                            const std::function<MaybeError(const std::string&, const CborHead&)>& on_entry) {
    if (auto error = check_depth(depth)) return error;
    const bool indefinite = map.kind == Kind::indef_map;
    for (std::uint64_t i = 0; indefinite || i < map.value; ++i) {
      CborHead key;
      if (auto error = next(key)) return error;
      if (indefinite && key.kind == Kind::brk) break;
      if (key.kind != Kind::text) {
        return fail(ErrorCode::wrong_field_type, "a key of " + (path.empty() ? "the message" : "\"" + path + "\"") +
                                                     " is a " + std::string(describe(key.kind)) +
                                                     ", expected a text string");
      }
      std::string name;
      if (auto error = text_of(path, key, name)) return error;
      CborHead value;
      if (auto error = next(value)) return error;
      if (auto error = on_entry(path.empty() ? name : path + "." + name, value)) return error;
    }
    return std::nullopt;
  }

  MaybeError text_of(const std::string& path, const CborHead& head, std::string& out) const {
    const std::string_view text(reinterpret_cast<const char*>(head.bytes.data()), head.bytes.size());
    if (auto bad = protocol::detail::first_invalid_utf8(text)) {
      return fail(ErrorCode::invalid_field, "text in \"" + path + "\" is not valid UTF-8 at byte " +
                                                std::to_string(*bad));
    }
    out.assign(text);
    return std::nullopt;
  }

  // Skips the item whose head was read (and everything inside it).
  MaybeError skip(const CborHead& head, int depth) {
    nlohmann::json ignored;
    return convert(head, "", depth, ignored, false);
  }

  // Reads the item whose head was read into JSON (Any-typed values: user_data). Tags are dropped (their content
  // kept), byte strings become JSON binary values, non-text map keys their JSON text. With keep == false the item
  // is only walked.
  MaybeError convert(const CborHead& head, const std::string& path, int depth, nlohmann::json& out, bool keep) {
    if (auto error = check_depth(depth)) return error;
    switch (head.kind) {
      case Kind::uint:
        if (keep) out = head.value;
        return std::nullopt;
      case Kind::negint:
        if (keep) {
          if (head.value <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            out = -1 - static_cast<std::int64_t>(head.value);
          } else {
            out = -1.0 - static_cast<double>(head.value);
          }
        }
        return std::nullopt;
      case Kind::floating:
        if (keep) out = head.number;
        return std::nullopt;
      case Kind::boolean:
        if (keep) out = head.flag;
        return std::nullopt;
      case Kind::null:
      case Kind::undefined:
        if (keep) out = nullptr;
        return std::nullopt;
      case Kind::bytes:
        if (keep) {
          const auto* p = reinterpret_cast<const std::uint8_t*>(head.bytes.data());
          out = nlohmann::json::binary(std::vector<std::uint8_t>(p, p + head.bytes.size()));
        }
        return std::nullopt;
      case Kind::text: {
        std::string text;
        if (auto error = text_of(path, head, text)) return error;
        if (keep) out = std::move(text);
        return std::nullopt;
      }
      case Kind::indef_bytes:
      case Kind::indef_text: {
        const Kind chunk_kind = head.kind == Kind::indef_bytes ? Kind::bytes : Kind::text;
        std::string joined;
        for (;;) {
          CborHead chunk;
          if (auto error = next(chunk)) return error;
          if (chunk.kind == Kind::brk) break;
          if (chunk.kind != chunk_kind) return wrong_type(path, std::string(describe(chunk_kind)) + " chunk", chunk);
          joined.append(reinterpret_cast<const char*>(chunk.bytes.data()), chunk.bytes.size());
        }
        if (!keep) return std::nullopt;
        if (chunk_kind == Kind::bytes) {
          out = nlohmann::json::binary(std::vector<std::uint8_t>(joined.begin(), joined.end()));
          return std::nullopt;
        }
        if (auto bad = protocol::detail::first_invalid_utf8(joined)) {
          return fail(ErrorCode::invalid_field, "text in \"" + path + "\" is not valid UTF-8 at byte " +
                                                    std::to_string(*bad));
        }
        out = std::move(joined);
        return std::nullopt;
      }
      case Kind::array:
      case Kind::indef_array: {
        if (keep) out = nlohmann::json::array();
        const bool indefinite = head.kind == Kind::indef_array;
        for (std::uint64_t i = 0; indefinite || i < head.value; ++i) {
          CborHead item;
          if (auto error = next(item)) return error;
          if (indefinite && item.kind == Kind::brk) break;
          nlohmann::json element;
          if (auto error = convert(item, path, depth + 1, element, keep)) return error;
          if (keep) out.push_back(std::move(element));
        }
        return std::nullopt;
      }
      case Kind::map:
      case Kind::indef_map: {
        if (keep) out = nlohmann::json::object();
        const bool indefinite = head.kind == Kind::indef_map;
        for (std::uint64_t i = 0; indefinite || i < head.value; ++i) {
          CborHead key;
          if (auto error = next(key)) return error;
          if (indefinite && key.kind == Kind::brk) break;
          nlohmann::json key_json, value_json;
          if (auto error = convert(key, path, depth + 1, key_json, keep)) return error;
          CborHead value;
          if (auto error = next(value)) return error;
          if (auto error = convert(value, path, depth + 1, value_json, keep)) return error;
          if (!keep) continue;
          // JSON objects have text keys: an integer key becomes its decimal text; any other key (an array, a map, a
          // float...) is refused rather than rendered as text, which would nest escapes one level per map level.
          if (key_json.is_string()) {
            out[key_json.get<std::string>()] = std::move(value_json);
          } else if (key_json.is_number_integer()) {
            out[key_json.dump()] = std::move(value_json);
          } else {
            return fail(ErrorCode::wrong_field_type, "a key in \"" + path + "\" is a " +
                                                         std::string(describe(key.kind)) +
                                                         "; map keys must be text or integers");
          }
        }
        return std::nullopt;
      }
      case Kind::tag: {
        CborHead content;
        if (auto error = next(content)) return error;
        return convert(content, path, depth + 1, out, keep);
      }
      case Kind::brk:
        return fail(ErrorCode::malformed_header, "a CBOR break outside an indefinite-length item in \"" + path + "\"");
    }
    return std::nullopt;
  }

  // --- typed fields ---
  MaybeError read_uint(const std::string& path, const CborHead& head, std::optional<std::uint64_t>& out) {
    if (head.kind != Kind::uint) return wrong_type(path, "an unsigned integer", head);
    out = head.value;
    return std::nullopt;
  }
  MaybeError read_number(const std::string& path, const CborHead& head, std::optional<double>& out) {
    if (head.kind == Kind::floating) {
      out = head.number;
    } else if (head.kind == Kind::uint) {
      out = static_cast<double>(head.value);
    } else if (head.kind == Kind::negint) {
      out = -1.0 - static_cast<double>(head.value);
    } else {
      return wrong_type(path, "a number", head);
    }
    if (!std::isfinite(*out)) return fail(ErrorCode::wrong_field_type, "\"" + path + "\" is not a finite number");
    return std::nullopt;
  }
  MaybeError read_text(const std::string& path, const CborHead& head, std::optional<std::string>& out) {
    if (head.kind != Kind::text) return wrong_type(path, "a text string", head);
    std::string text;
    if (auto error = text_of(path, head, text)) return error;
    out = std::move(text);
    return std::nullopt;
  }

  MaybeError read_top_level(const std::string& key, const CborHead& value, Fields& fields) {
    if (key == "type") {
      if (auto error = read_text(key, value, fields.type)) return error;
      context_ = "dectris2 " + abbreviated(*fields.type) + ": ";
      return std::nullopt;
    }
    if (key == "series_id") return read_uint(key, value, fields.series_id);
    if (key == "image_id") return read_uint(key, value, fields.image_id);
    if (key == "number_of_images") return read_uint(key, value, fields.number_of_images);
    if (key == "image_size_x") return read_uint(key, value, fields.image_size_x);
    if (key == "image_size_y") return read_uint(key, value, fields.image_size_y);
    if (key == "series_unique_id") return read_text(key, value, fields.series_unique_id);
    if (key == "image_dtype") {
      std::optional<std::string> name;
      if (auto error = read_text(key, value, name)) return error;
      fields.image_dtype = protocol::parse_dtype(*name);
      if (!fields.image_dtype) {
        return fail(ErrorCode::bad_dtype, "\"image_dtype\" is \"" + abbreviated(*name) +
                                              "\", expected uint8, uint16, uint32 or float32");
      }
      return std::nullopt;
    }
    if (key == "goniometer") return read_goniometer(value, fields);
    if (key == "user_data") return convert(value, key, 1, fields.user_data, true);
    if (key == "channels") return read_text_array(key, value, fields.channels);
    if (key == "series_date") return read_date(key, value, fields.series_date_ns);
    if (key == "start_time") return read_rational_ns(key, value, fields.start_time_ns);
    if (key == "data") {
      return read_channel(key, value, fields.data_channels, [&](const std::string& channel, EncodedImage image) {
        fields.image = image;
        fields.data_channel = channel;
        return MaybeError{};
      });
    }
    if (key == "pixel_mask") {
      return read_channel(key, value, fields.mask_channels, [&](const std::string&, EncodedImage image) {
        return read_mask(key, image, fields);
      });
    }
    ignored_keys_.push_back(key);  // a key this version does not use
    return skip(value, 1);
  }

  MaybeError read_goniometer(const CborHead& value, Fields& fields) {
    if (value.kind != Kind::map && value.kind != Kind::indef_map) return wrong_type("goniometer", "a map", value);
    const auto on_axis = [&](const std::string& axis_path, const CborHead& axis) -> MaybeError {
      if (axis_path != "goniometer.omega") return skip(axis, 2);
      if (axis.kind != Kind::map && axis.kind != Kind::indef_map) return wrong_type(axis_path, "a map", axis);
      return for_each_entry(axis, axis_path, 2, [&](const std::string& path, const CborHead& item) -> MaybeError {
        if (path == "goniometer.omega.start") return read_number(path, item, fields.omega_start);
        if (path == "goniometer.omega.increment") return read_number(path, item, fields.omega_increment);
        return skip(item, 3);
      });
    };
    return for_each_entry(value, "goniometer", 1, on_axis);
  }

  // A Map(TextString -> MultiDimArray) of channels: the array of the channel options_ names (the first when it
  // names none) goes to on_image(channel name, image), the others are checked for well-formedness only. The
  // channel names, in order, go to `names`.
  MaybeError read_channel(const std::string& path, const CborHead& value, std::vector<std::string>& names,
                          const std::function<MaybeError(const std::string&, EncodedImage)>& on_image) {
    if (value.kind != Kind::map && value.kind != Kind::indef_map) return wrong_type(path, "a map of channels", value);
    const std::string& wanted = options_.dectris_channel;
    bool taken = false;
    if (auto error = for_each_entry(value, path, 1, [&](const std::string& channel, const CborHead& array) {
          EncodedImage image;
          if (auto bad = read_multidim(channel, array, image)) return bad;
          const std::string name = channel.substr(path.size() + 1);
          names.push_back(name);
          if (taken || !(wanted.empty() || name == wanted)) return MaybeError{};
          taken = true;
          return on_image(name, image);
        })) {
      return error;
    }
    if (names.empty()) return fail(ErrorCode::missing_field, "\"" + path + "\" holds no channel");
    if (!taken) {
      std::string seen;
      for (const std::string& name : names) seen += (seen.empty() ? "\"" : ", \"") + abbreviated(name) + "\"";
      return fail(ErrorCode::missing_field, "\"" + path + "\" has no channel \"" + abbreviated(wanted) +
                                                "\" (the channel asked for); it has " + seen);
    }
    return std::nullopt;
  }

  // DateTime: tag 0 around an RFC 3339 text (the text alone is taken too).
  MaybeError read_date(const std::string& path, CborHead head, std::optional<std::int64_t>& out_ns) {
    if (head.kind == Kind::tag && head.value == kDateTimeTag) {
      if (auto error = next(head)) return error;
    }
    std::optional<std::string> text;
    if (auto error = read_text(path, head, text)) return error;
    out_ns = parse_rfc3339_ns(*text);
    if (!out_ns) {
      return fail(ErrorCode::invalid_field, "\"" + path + "\" is \"" + abbreviated(*text) +
                                                "\", expected an RFC 3339 date such as 2026-12-07T10:00:00.5Z");
    }
    return std::nullopt;
  }

  // Rational: [numerator, denominator] seconds.
  MaybeError read_rational_ns(const std::string& path, const CborHead& head, std::optional<std::int64_t>& out_ns) {
    if (head.kind != Kind::array || head.value != 2) return wrong_type(path, "[numerator, denominator]", head);
    std::optional<std::uint64_t> numerator, denominator;
    CborHead item;
    if (auto error = next(item)) return error;
    if (auto error = read_uint(path + " numerator", item, numerator)) return error;
    if (auto error = next(item)) return error;
    if (auto error = read_uint(path + " denominator", item, denominator)) return error;
    out_ns = rational_seconds_ns(*numerator, *denominator);
    if (!out_ns) {
      return fail(ErrorCode::invalid_field, "\"" + path + "\" is [" + std::to_string(*numerator) + ", " +
                                                std::to_string(*denominator) +
                                                "], expected seconds as [numerator, denominator > 0] within 292 "
                                                "years");
    }
    return std::nullopt;
  }

  MaybeError read_text_array(const std::string& path, const CborHead& head,
                             std::optional<std::vector<std::string>>& out) {
    if (head.kind != Kind::array) return wrong_type(path, "an array of text strings", head);
    out.emplace();
    for (std::uint64_t i = 0; i < head.value; ++i) {
      CborHead item;
      if (auto error = next(item)) return error;
      std::optional<std::string> text;
      if (auto error = read_text(path + "." + std::to_string(i), item, text)) return error;
      out->push_back(std::move(*text));
    }
    return std::nullopt;
  }

  // tag 40 [[rows, cols], typed array], the typed array's content a byte string or tag 56500 [algorithm,
  // modifier, byte string].
  MaybeError read_multidim(const std::string& path, const CborHead& head, EncodedImage& image) {
    if (head.kind != Kind::tag || head.value != kMultiDimensionalRowMajorTag) {
      return wrong_type(path, "tag 40 (multi-dimensional array, row-major)", head);
    }
    CborHead item;
    if (auto error = next(item)) return error;
    if (item.kind != Kind::array || item.value != 2) {
      return wrong_type(path, "an array of [dimensions, typed array] in tag 40", item);
    }
    if (auto error = next(item)) return error;
    if (item.kind != Kind::array || item.value != 2) {
      return fail(ErrorCode::wrong_field_type, "\"" + path + "\" dimensions are a " +
                                                   std::string(describe(item.kind)) +
                                                   (item.kind == Kind::array ? " of " + std::to_string(item.value)
                                                                             : std::string()) +
                                                   ", expected [rows, cols]");
    }
    std::uint64_t dims[2] = {0, 0};
    for (auto& dim : dims) {
      if (auto error = next(item)) return error;
      if (item.kind != Kind::uint) return wrong_type(path + " dimension", "an unsigned integer", item);
      if (item.value == 0 || item.value > protocol::kMaxDetectorPixelsPerSide) {
        return fail(ErrorCode::wrong_field_type, "\"" + path + "\" dimension " + std::to_string(item.value) +
                                                     " is outside 1.." +
                                                     std::to_string(protocol::kMaxDetectorPixelsPerSide));
      }
      dim = item.value;
    }
    image.rows = static_cast<std::uint32_t>(dims[0]);
    image.cols = static_cast<std::uint32_t>(dims[1]);

    if (auto error = next(item)) return error;
    if (item.kind != Kind::tag || item.value < kFirstTypedArrayTag || item.value > kLastTypedArrayTag) {
      return wrong_type(path, "a typed array (tags 64..87)", item);
    }
    const auto dtype = typed_array_dtype(item.value);
    if (!dtype) {
      return fail(ErrorCode::bad_dtype, "\"" + path + "\" is a typed array of " + typed_array_name(item.value) +
                                            " (tag " + std::to_string(item.value) +
                                            "), expected uint8 (64), uint16 (69), uint32 (70) little-endian or "
                                            "float32 little-endian (85)");
    }
    image.dtype = *dtype;
    if (auto error = next(item)) return error;
    if (item.kind == Kind::tag && item.value == kDectrisCompressionTag) {
      if (auto error = read_compressed(path, image)) return error;
    } else if (item.kind == Kind::bytes) {
      image.compression = Compression::none;
      image.bytes = item.bytes;
      if (image.bytes.size() != image.decoded_bytes()) {
        return fail(ErrorCode::size_mismatch, "\"" + path + "\" holds " + std::to_string(image.bytes.size()) +
                                                  " bytes, a " + std::to_string(image.rows) + " x " +
                                                  std::to_string(image.cols) + " " +
                                                  std::string(protocol::to_string(image.dtype)) + " image needs " +
                                                  std::to_string(image.decoded_bytes()));
      }
    } else {
      return wrong_type(path, "a byte string or tag 56500 (compressed) in the typed array", item);
    }
    return std::nullopt;
  }

  MaybeError read_compressed(const std::string& path, EncodedImage& image) {
    CborHead item;
    if (auto error = next(item)) return error;
    if (item.kind != Kind::array || item.value != 3) {
      return wrong_type(path, "[algorithm, modifier, data] in tag 56500", item);
    }
    std::optional<std::string> algorithm;
    if (auto error = next(item)) return error;
    if (auto error = read_text(path + " compression algorithm", item, algorithm)) return error;
    std::optional<std::uint64_t> modifier;
    if (auto error = next(item)) return error;
    if (auto error = read_uint(path + " compression modifier", item, modifier)) return error;
    if (*algorithm == "bslz4") {
      image.compression = Compression::bslz4;
      if (*modifier != protocol::itemsize(image.dtype)) {
        return fail(ErrorCode::bad_dtype, "\"" + path + "\" bslz4 elem_size " + std::to_string(*modifier) +
                                              " does not match its " +
                                              std::string(protocol::to_string(image.dtype)) + " typed array (" +
                                              std::to_string(protocol::itemsize(image.dtype)) + " bytes)");
      }
    } else if (*algorithm == "lz4") {
      image.compression = Compression::lz4;
    } else {
      return fail(ErrorCode::wrong_field_type, "\"" + path + "\" compression \"" + abbreviated(*algorithm) +
                                                   "\" is not supported, expected bslz4 or lz4");
    }
    if (auto error = next(item)) return error;
    if (item.kind != Kind::bytes) return wrong_type(path + " compressed data", "a byte string", item);
    image.bytes = item.bytes;
    return std::nullopt;
  }

  // The mask is small and arrives once per series: decoded here into flags.
  MaybeError read_mask(const std::string& path, const EncodedImage& image, Fields& fields) {
    if (image.dtype != protocol::Dtype::uint32) {
      return fail(ErrorCode::bad_dtype, "\"" + path + "\" is " + std::string(protocol::to_string(image.dtype)) +
                                            ", expected uint32 flags");
    }
    PixelMask mask{image.rows, image.cols, std::vector<std::uint32_t>(std::size_t{image.rows} * image.cols)};
    if (auto error = decode_pixels(image, std::as_writable_bytes(std::span(mask.flags)))) {
      return fail(error->code, "\"" + path + "\": " + error->message);
    }
    fields.pixel_mask = std::move(mask);
    return std::nullopt;
  }

  // --- messages ---
  Expected<DetectorMessage> build(Fields fields) {
    if (!fields.type) return fail(ErrorCode::missing_field, "no \"type\" key");
    const std::string& type = *fields.type;
    if (type != "start" && type != "image" && type != "end") {
      return fail(ErrorCode::unknown_type, "\"type\" is \"" + abbreviated(type) + "\", expected start, image or end");
    }
    if (!fields.series_id) return fail(ErrorCode::missing_field, "no \"series_id\"");
    if (type == "start") {
      SeriesStart start;
      start.series_id = *fields.series_id;
      start.series_unique_id = fields.series_unique_id.value_or("");
      start.number_of_images = fields.number_of_images;
      if (fields.image_size_y) {
        if (auto error = check_size("image_size_y", *fields.image_size_y)) return *error;
        start.image_rows = static_cast<std::uint32_t>(*fields.image_size_y);
      }
      if (fields.image_size_x) {
        if (auto error = check_size("image_size_x", *fields.image_size_x)) return *error;
        start.image_cols = static_cast<std::uint32_t>(*fields.image_size_x);
      }
      start.dtype = fields.image_dtype;
      start.omega_start_deg = fields.omega_start;
      start.omega_increment_deg = fields.omega_increment;
      start.pixel_mask = std::move(fields.pixel_mask);
      start.channels = fields.channels ? std::move(*fields.channels) : std::move(fields.mask_channels);
      start.user_data = std::move(fields.user_data);
      start.ignored_keys = std::move(ignored_keys_);
      return DetectorMessage{std::move(start)};
    }
    if (type == "image") {
      if (!fields.image_id) return fail(ErrorCode::missing_field, "no \"image_id\"");
      if (!fields.image) return fail(ErrorCode::missing_field, "no \"data\"");
      SeriesImage image;
      image.series_id = *fields.series_id;
      image.image_id = *fields.image_id;
      image.image = *fields.image;
      image.channel = std::move(fields.data_channel);
      image.channels = std::move(fields.data_channels);
      if (fields.series_date_ns && fields.start_time_ns) {
        if (*fields.start_time_ns > std::numeric_limits<std::int64_t>::max() - *fields.series_date_ns) {
          return fail(ErrorCode::invalid_field, "\"series_date\" + \"start_time\" lies beyond the year 2261");
        }
        image.timestamp_ns = *fields.series_date_ns + *fields.start_time_ns;
      }
      image.user_data = std::move(fields.user_data);
      image.ignored_keys = std::move(ignored_keys_);
      return DetectorMessage{std::move(image)};
    }
    return DetectorMessage{SeriesEnd{*fields.series_id, std::move(ignored_keys_)}};
  }

  std::optional<Error> check_size(std::string_view key, std::uint64_t value) const {
    if (value == 0 || value > protocol::kMaxDetectorPixelsPerSide) {
      return fail(ErrorCode::wrong_field_type, quoted(key) + " is " + std::to_string(value) +
                                                   ", expected 1.." +
                                                   std::to_string(protocol::kMaxDetectorPixelsPerSide));
    }
    return std::nullopt;
  }

  CborReader reader_;
  const DecodeOptions& options_;
  std::string context_ = "dectris2: ";
  IgnoredKeys ignored_keys_;  // the top-level keys skipped, in order
};

}  // namespace

Expected<DetectorMessage> decode_dectris2(std::span<const ByteView> parts, const DecodeOptions& options) {
  if (parts.size() != 1) {
    return Error{ErrorCode::malformed_header, "dectris2: message has " + std::to_string(parts.size()) +
                                                  " parts, Stream V2 sends exactly 1"};
  }
  return Parser(parts[0], options).parse();
}

}  // namespace tomolive::detector
