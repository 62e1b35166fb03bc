#include "detector_encoder.hpp"

#include <bit>
#include <cstring>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "tomolive/detector/pixel_encoder.hpp"

namespace tomolive::sim {
namespace {

using Json = nlohmann::json;
using protocol::FrameKind;

// CBOR tags of DECTRIS Stream V2 (RFC 8949, RFC 8746, DECTRIS).
constexpr std::uint64_t kSelfDescribe = 55799, kMultiDimArray = 40, kUint16LittleEndian = 69, kCompression = 56500;

// Writes CBOR (RFC 8949) items in order: heads with their lengths, then their contents.
class CborWriter {
 public:
  CborWriter& uint(std::uint64_t value) { return head(0, value); }
  CborWriter& text(std::string_view text) {
    head(3, text.size());
    append(std::as_bytes(std::span(text.data(), text.size())));
    return *this;
  }
  CborWriter& bytes(std::span<const std::byte> data) {
    head(2, data.size());
    append(data);
    return *this;
  }
  CborWriter& array(std::size_t items) { return head(4, items); }
  CborWriter& map(std::size_t pairs) { return head(5, pairs); }
  CborWriter& tag(std::uint64_t tag) { return head(6, tag); }
  CborWriter& float64(double value) {
    out_.push_back(std::byte{0xfb});
    const auto bits = std::bit_cast<std::uint64_t>(value);
    for (int shift = 56; shift >= 0; shift -= 8) out_.push_back(static_cast<std::byte>(bits >> shift));
    return *this;
  }
  // A JSON value (user_data) as CBOR: objects, arrays, texts, unsigned integers and numbers.
  CborWriter& json(const Json& value) {
    if (value.is_object()) {
      map(value.size());
      for (const auto& [key, item] : value.items()) text(key).json(item);
    } else if (value.is_array()) {
      array(value.size());
      for (const Json& item : value) json(item);
    } else if (value.is_string()) {
      text(value.get<std::string>());
    } else if (value.is_number_unsigned()) {
      uint(value.get<std::uint64_t>());
    } else {
      float64(value.get<double>());
    }
    return *this;
  }
  std::vector<std::byte> take() { return std::move(out_); }

 private:
  CborWriter& head(unsigned major, std::uint64_t value) {
    const auto initial = static_cast<std::byte>(major << 5);
    if (value < 24) {
      out_.push_back(initial | static_cast<std::byte>(value));
    } else {
      const int bytes = value <= 0xff ? 1 : value <= 0xffff ? 2 : value <= 0xffffffffULL ? 4 : 8;
      out_.push_back(initial | static_cast<std::byte>(bytes == 1 ? 24 : bytes == 2 ? 25 : bytes == 4 ? 26 : 27));
      for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) out_.push_back(static_cast<std::byte>(value >> shift));
    }
    return *this;
  }
  void append(std::span<const std::byte> data) { out_.insert(out_.end(), data.begin(), data.end()); }

  std::vector<std::byte> out_;
};

std::vector<std::byte> json_part(const Json& value) {
  const std::string text = value.dump();
  const auto* begin = reinterpret_cast<const std::byte*>(text.data());
  return {begin, begin + text.size()};
}

std::vector<std::byte> copy_of(std::span<const std::byte> bytes) { return {bytes.begin(), bytes.end()}; }

// A message of `parts`, moved in: a braced list would copy each part (an initializer_list's elements are const), i.e.
// every image's pixels once more, which halved the rate a benchmark's detector could send.
template <class... Parts>
EncodedMessage message_of(Parts&&... parts) {
  EncodedMessage message;
  message.reserve(sizeof...(parts));
  (message.push_back(std::forward<Parts>(parts)), ...);
  return message;
}

std::string_view kind_name(FrameKind kind) { return protocol::to_string(kind); }

}  // namespace

DetectorEncoder::DetectorEncoder(const ScanSimulator& scan, DetectorEncoding encoding)
    : scan_(scan), encoding_(encoding) {}

std::pair<DetectorEncoder::Series, std::uint64_t> DetectorEncoder::place(std::size_t index) const {
  const ScanSpec& spec = scan_.spec();
  const FrameRef frame = scan_.frame_at(index);
  if (!encoding_.three_series) {
    return {Series{spec.scan_id, scan_.frame_count(), std::nullopt}, index};
  }
  const std::uint64_t images = frame.kind == FrameKind::dark   ? spec.num_darks
                               : frame.kind == FrameKind::flat ? spec.num_flats
                                                               : spec.num_projections();
  return {Series{spec.scan_id * 10 + static_cast<std::uint64_t>(frame.kind) + 1, images, frame.kind}, frame.frame_id};
}

std::vector<std::byte> DetectorEncoder::encode_pixels(std::span<const std::uint16_t> pixels) const {
  const auto raw = std::as_bytes(pixels);
  switch (encoding_.compression) {
    case detector::Compression::bslz4:
      return detector::encode_bslz4(raw, sizeof(std::uint16_t));
    case detector::Compression::lz4:
      return detector::encode_lz4(raw, 8192);
    default:
      return copy_of(raw);
  }
}

std::vector<EncodedMessage> DetectorEncoder::frame(std::size_t index, std::span<const std::uint16_t> pixels) {
  return frame_encoded(index, encode_pixels(pixels));
}

std::vector<EncodedMessage> DetectorEncoder::frame_encoded(std::size_t index, std::span<const std::byte> data) {
  std::vector<EncodedMessage> messages;
  const auto [series, image_id] = place(index);
  const bool implicit = encoding_.format == detector::StreamFormat::array;
  if (!open_ || open_->id != series.id) {
    if (open_ && !implicit) messages.push_back(end_message(*open_));
    if (!implicit) messages.push_back(start_message(series));
    open_ = series;
  }
  messages.push_back(image_message(series, image_id, data, index == 0));
  return messages;
}

std::vector<EncodedMessage> DetectorEncoder::finish() {
  std::vector<EncodedMessage> messages;
  if (open_ && encoding_.format != detector::StreamFormat::array) messages.push_back(end_message(*open_));
  open_.reset();
  return messages;
}

namespace {

// The scan plan of PROTOCOL.md "Scan plans" for a series of `kind` (nullopt: one series holding all three).
Json plan_of(const ScanSpec& spec, std::optional<FrameKind> kind) {
  Json plan{{"n_darks", spec.num_darks},
            {"n_flats", spec.num_flats},
            {"n_projections", spec.num_projections()},
            {"angle_range_deg", spec.angle_step_deg() * spec.num_projections()},
            {"scan_unique_id", std::to_string(spec.scan_id)},
            {"name", spec.name}};
  if (kind) {
    plan["image_key"] = kind_name(*kind);
  } else {
    plan["layout"] = Json::array({"dark", "flat", "projection"});
  }
  return plan;
}

}  // namespace

EncodedMessage DetectorEncoder::start_message(const Series& series) const {
  const ScanSpec& spec = scan_.spec();
  const Json plan = plan_of(spec, series.kind);
  if (encoding_.format == detector::StreamFormat::dectris1) {
    EncodedMessage message{json_part({{"htype", "dheader-1.0"}, {"series", series.id}, {"header_detail", "basic"}}),
                           json_part({{"nimages", series.images},
                                      {"ntrigger", 1},
                                      {"x_pixels_in_detector", spec.cols},
                                      {"y_pixels_in_detector", spec.rows},
                                      {"bit_depth_image", 16},
                                      {"description", "tomolive-sim"}})};
    if (encoding_.user_data) message.push_back(json_part(plan));
    return message;
  }
  CborWriter cbor;
  cbor.tag(kSelfDescribe).map(encoding_.user_data ? 8 : 7);
  cbor.text("type").text("start").text("series_id").uint(series.id).text("series_unique_id").text(
      std::to_string(spec.scan_id));
  cbor.text("number_of_images").uint(series.images).text("image_size_x").uint(spec.cols);
  cbor.text("image_size_y").uint(spec.rows).text("image_dtype").text("uint16");
  if (encoding_.user_data) cbor.text("user_data").json(plan);
  return message_of(cbor.take());
}

EncodedMessage DetectorEncoder::image_message(const Series& series, std::uint64_t image_id,
                                              std::span<const std::byte> data, bool first_of_scan) const {
  const ScanSpec& spec = scan_.spec();
  switch (encoding_.format) {
    case detector::StreamFormat::dectris1: {
      const std::string encoding = encoding_.compression == detector::Compression::bslz4 ? "bs16-lz4<" : "<";
      const std::size_t size = data.size();
      return message_of(
          json_part({{"htype", "dimage-1.0"}, {"series", series.id}, {"frame", image_id}, {"hash", ""}}),
          json_part({{"htype", "dimage_d-1.0"},
                     {"shape", {spec.cols, spec.rows}},
                     {"type", "uint16"},
                     {"encoding", encoding},
                     {"size", size}}),
          copy_of(data),
          json_part({{"htype", "dconfig-1.0"}, {"start_time", 0}, {"stop_time", 0}, {"real_time", 0}}));
    }
    case detector::StreamFormat::array: {
      Json header{{"htype", "array-1.0"}, {"shape", {spec.rows, spec.cols}}, {"type", "uint16"}, {"frame", image_id}};
      if (encoding_.compression == detector::Compression::bslz4) header["encoding"] = "bslz4";
      if (first_of_scan && encoding_.user_data) header.update(plan_of(spec, std::nullopt));
      return message_of(json_part(header), copy_of(data));
    }
    default: {
      CborWriter cbor;
      cbor.tag(kSelfDescribe).map(5);
      cbor.text("type").text("image").text("series_id").uint(series.id).text("series_unique_id").text(
          std::to_string(spec.scan_id));
      cbor.text("image_id").uint(image_id).text("data").map(1).text("threshold_1");
      cbor.tag(kMultiDimArray).array(2).array(2).uint(spec.rows).uint(spec.cols).tag(kUint16LittleEndian);
      if (encoding_.compression == detector::Compression::none) {
        cbor.bytes(data);
      } else {
        const bool bslz4 = encoding_.compression == detector::Compression::bslz4;
        cbor.tag(kCompression).array(3).text(bslz4 ? "bslz4" : "lz4").uint(bslz4 ? sizeof(std::uint16_t) : 0);
        cbor.bytes(data);
      }
      return message_of(cbor.take());
    }
  }
}

EncodedMessage DetectorEncoder::end_message(const Series& series) const {
  if (encoding_.format == detector::StreamFormat::dectris1) {
    return message_of(json_part({{"htype", "dseries_end-1.0"}, {"series", series.id}}));
  }
  CborWriter cbor;
  cbor.tag(kSelfDescribe).map(3).text("type").text("end").text("series_id").uint(series.id);
  cbor.text("series_unique_id").text(std::to_string(scan_.spec().scan_id));
  return message_of(cbor.take());
}

}  // namespace tomolive::sim
