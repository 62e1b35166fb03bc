// The field lists of message_fields.hpp against the codec: every listed required field, when removed, is refused
// as missing_field naming it (with its path in nested maps), and every listed field is written and reads back.
// The lists are walked, not restated, so a field added to a list is tested here without touching this file.
#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "codec_test_support.hpp"
#include "message_fields.hpp"

namespace tomolive::protocol {
namespace {

using namespace testing_support;

// One key of a field list, with the path of its enclosing maps ("scan.memory.total_bytes").
struct ListedField {
  std::string path;
  bool required = false;  // absent -> missing_field (inside an optional map: when that map is present)
  bool map = false;       // a nested map, whose own fields are listed after it
};

template <typename T>
inline constexpr bool kIsOptional = false;
template <typename T>
inline constexpr bool kIsOptional<std::optional<T>> = true;

// A visitor that records every key of a list. Special members (a begin's angles) have rules of their own, tested
// in data_codec_test; they are left out here.
class FieldCollector {
 public:
  explicit FieldCollector(std::string prefix, std::vector<ListedField>& out) : prefix_(std::move(prefix)), out_(out) {}

  template <typename T>
  void field(std::string_view key, const T&) {
    add(key, !kIsOptional<T>, false);
  }
  template <typename T>
  void field(std::string_view key, const T&, const detail::Default<T>&) {
    add(key, false, false);
  }
  template <typename Enum, typename... Rule>
  void name(std::string_view key, const Enum&, const Rule&...) {
    add(key, !kIsOptional<Enum> && sizeof...(Rule) == 1, false);
  }
  template <typename Enum>
  void constant(std::string_view key, Enum, const detail::NameRule<Enum>&, std::string_view) {
    add(key, true, false);
  }
  void shape(std::string_view key, std::uint32_t, std::uint32_t) { add(key, true, false); }
  template <typename T>
  void map(std::string_view key, const T&) {
    add(key, !kIsOptional<T>, true);
    FieldCollector nested(prefix_ + std::string(key) + ".", out_);
    if constexpr (kIsOptional<T>) {
      const typename T::value_type value{};
      detail::visit_fields(nested, value);
    } else {
      const T value{};
      detail::visit_fields(nested, value);
    }
  }
  // A list of maps: optional; its elements' fields are checked through their own samples.
  template <typename T>
  void list(std::string_view key, const std::vector<T>&) {
    add(key, false, false);
  }
  template <typename T>
  void special(std::string_view, const T&) {}

 private:
  void add(std::string_view key, bool required, bool map) {
    out_.push_back({prefix_ + std::string(key), required, map});
  }

  std::string prefix_;
  std::vector<ListedField>& out_;
};

template <typename Message>
std::vector<ListedField> listed_fields(const std::string& prefix = "") {
  std::vector<ListedField> fields;
  FieldCollector collector(prefix, fields);
  const Message message{};
  detail::visit_fields(collector, message);
  return fields;
}

// `packed_map` without the key at `path` ("a.b.c": key c of map b of map a).
std::string without(const std::string& packed_map, const std::string& path) {
  const std::size_t dot = path.find('.');
  if (dot == std::string::npos) return RawHeader(packed_map).erase(path).packed_map();
  const std::string outer = path.substr(0, dot);
  RawHeader header(packed_map);
  return header.set_raw(outer, without(header.raw(outer), path.substr(dot + 1))).packed_map();
}

// The paths of the keys of `packed_map`, descending into the listed maps only (a counter list is a map too).
void collect_written(const std::string& packed_map, const std::string& prefix, const std::set<std::string>& maps,
                     std::set<std::string>& out) {
  const RawHeader header(packed_map);
  for (const std::string& key : header.keys()) {
    const std::string path = prefix + key;
    out.insert(path);
    if (maps.count(path) != 0) collect_written(header.raw(key), path + ".", maps, out);
  }
}

// How bytes decode: the error, or whether the decoded value equals the sample's.
using Decoded = std::variant<Error, bool>;

// One message as a test sees it: a sample with every optional field and map set (but `absent`), its bytes, its
// field list and its decoder.
struct Sample {
  std::string name;
  Bytes bytes;
  std::vector<ListedField> fields;
  std::set<std::string> unlisted;  // keys written outside the list: "v", "type", a reply's, the angles'
  std::function<Decoded(const Bytes&)> decode;
  std::set<std::string> absent = {};  // listed keys this sample leaves out (rules across fields need that)
};

template <typename Value, typename Message>
std::function<Decoded(const Bytes&)> decoder(Expected<Value> (*decode)(ByteView), const Message& expected) {
  return [decode, expected](const Bytes& bytes) -> Decoded {
    const Expected<Value> decoded = decode(bytes);
    if (!decoded) return decoded.error();
    return decoded.value() == Value(expected);
  };
}

// The error of `decoded`, or nullopt.
std::optional<Error> error_of(const Decoded& decoded) {
  if (const auto* error = std::get_if<Error>(&decoded)) return *error;
  return std::nullopt;
}

template <typename Message>
Sample data_sample(std::string name, const Message& message, std::set<std::string> special_keys = {}) {
  special_keys.insert({"v", "type"});
  return {std::move(name), encode(message), listed_fields<Message>(), std::move(special_keys),
          decoder(&decode_data_header, message)};
}

template <typename Request>
Sample request_sample(const Request& request, std::set<std::string> absent = {}) {
  return {std::string(command_name(request)), encode(ControlRequest(request)), listed_fields<Request>(),
          {"v", "type"}, decoder(&decode_control_request, ControlRequest(request)), std::move(absent)};
}

// A reply whose result (or error) is `value`: its fields are listed under "result." (or "error.").
template <typename Value>
Sample reply_sample(const std::string& command, const Value& value) {
  Reply reply{command, std::nullopt, {}};
  if constexpr (std::is_same_v<Value, Error>) {
    reply.error = value;
  } else {
    reply.result = value;
  }
  // A failed reply needs its error; an ok one may leave its result out (as a command without one does).
  const bool failed = std::is_same_v<Value, Error>;
  const std::string map = failed ? "error" : "result";
  std::vector<ListedField> fields = listed_fields<Value>(map + ".");
  fields.insert(fields.begin(), ListedField{map, failed, true});
  return {"reply to " + command, encode(reply), std::move(fields), {"v", "type", "command", "ok"},
          decoder(&decode_reply, reply)};
}

SliceUpdate oblique_slice() {
  SliceUpdate slice = sample_slice();
  slice.slice = SliceKind::oblique;
  slice.normal = std::vector<double>{0.0, 0.6, 0.8};
  return slice;
}

ScanBegin begin_with_every_field() {
  ScanBegin begin = sample_begin_with_range();
  begin.angles = AngleRange{0.0, 45.0};  // one full turn over 8 projections, as half acquisition needs
  begin.half_acquisition = true;
  return begin;
}

Status status_with_every_map() {
  Status status = sample_status();
  status.scan->center_estimate = CenterEstimateResult{"registration", 0.5, 3.0, 0.75, 9, 12.5, true, 0.1, 0.9};
  status.scan->command = CommandProgress{"estimate_center (metric)", 64, 98, 1.5, 0.8};
  return status;
}

std::vector<Sample> samples() {
  SetProcessing processing{FilterWindow::cosine, ZingersUpdate{true, 0.2}, PhaseUpdate{true, 20.0, 0.1, 1.0, 50.0},
                           RingsUpdate{true, 9u}, DefectivePixelsUpdate{false, 0.3, 8.0, 12.0}};
  return {
      data_sample("begin", begin_with_every_field(), {"angle_start_deg", "angle_step_deg"}),
      data_sample("projection", sample_projection()),
      data_sample("end", ScanEnd{42}),
      {"slice", encode(sample_slice()), listed_fields<SliceUpdate>(), {"v", "type"},
       decoder(&decode_slice_update, sample_slice()), {"normal"}},  // the oblique slice's only
      {"oblique slice", encode(oblique_slice()), listed_fields<SliceUpdate>(), {"v", "type"},
       decoder(&decode_slice_update, oblique_slice())},
      {"event", encode(sample_error_event()), listed_fields<Event>(), {"v", "type"},
       decoder(&decode_event, sample_error_event())},
      request_sample(SetCenter{1.5, std::nullopt, std::nullopt}, {"center_column_px", "tilt_deg"}),  // one of two
      request_sample(SetCenter{std::nullopt, 2.5, 0.5}, {"center_offset_px"}),
      request_sample(SetSlices{3u, 1.5, -2.5}),
      request_sample(GetSlice{SliceKind::yz}),
      request_sample(EstimateCenter{CenterMethod::metric, true}),
      request_sample(SweepCenter{-2.0, 0.5, 9, 3u, SliceRegionField{1, 2, 3, 4}, 2u}),
      request_sample(processing),
      request_sample(SetScanPlan{2, 3, 10, 6u, std::nullopt, 5.0, 18.0, std::nullopt, 1.5, std::string("bare"),
                                 std::vector<std::string>{"dark", "flat", "projection"}, std::nullopt,
                                 std::string("scan-1")},
                     {"angle_range_deg", "angles_deg", "image_key"}),  // at most one form of angles; of the plan
      request_sample(SetScanPlan{0, 0, 2, std::nullopt, std::nullopt, std::nullopt, std::nullopt,
                                 std::vector<double>{0.0, 90.0}, std::nullopt, std::nullopt, std::nullopt,
                                 FrameKind::projection, std::nullopt},
                     {"first_projection_image_id", "angle_range_deg", "angle_start_deg", "angle_step_deg",
                      "center_offset_px", "name", "layout", "scan_unique_id"}),
      request_sample(ReconstructVolume{SliceRegionField{1, 2, 30, 40}, std::array<std::uint32_t, 2>{3, 8}, 4}),
      request_sample(CancelVolume{}),
      request_sample(Record{true}),
      request_sample(Capture{1.5}),
      request_sample(SweepProcessing{SweepParameter::ring_size, std::nullopt, std::nullopt, 3.0, 9.0, 4u,
                                     SweepSpacing::linear, 3u, SliceRegionField{1, 2, 3, 4}},
                     {"values", "windows"}),  // one form of candidates
      request_sample(SweepProcessing{SweepParameter::delta_over_beta, std::vector<double>{5.0}, std::nullopt,
                                     std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt,
                                     std::nullopt},
                     {"windows", "start", "stop", "count", "spacing", "xy_row", "region"}),
      request_sample(SetObliqueSlice{true, std::vector<double>{0, 0, 1}, 1.5, std::nullopt}, {"points"}),
      request_sample(GetDefectivePixels{}),
      request_sample(SetPreview{true, 128u}),
      request_sample(SetPreview{false, std::nullopt}, {"side"}),
      request_sample(CenterSample{"xy", std::vector<double>{3.0, 4.5}, std::nullopt, 0.65}, {"box"}),  // one of two
      request_sample(CenterSample{"yz", std::nullopt, std::vector<double>{1.0, 2.0, 3.0, 4.0}, std::nullopt},
                     {"point", "pixel_size_um"}),
      reply_sample("get_status", status_with_every_map()),
      reply_sample("set_center", CenterResult{1.0, 2.0, 3.0}),
      reply_sample("set_slices", SlicesResult{1, 2.0, 3.0, 4.0}),
      reply_sample("get_slice", oblique_slice()),  // every field, the oblique slice's normal included
      reply_sample("estimate_center", CenterEstimateResult{"registration", 0.5, 3.0, 0.75, 9, 12.5, false, 0.125, 0.8}),
      reply_sample("sweep_center", SweepResult{2, {0, 0, 4, 6}, {-1.0, 0.0}, {0.5, 0.25}, 0.0, 3.5, 2, {2, 3}}),
      reply_sample("set_processing",
                   ProcessingResult{status_with_every_map().processing, RefilterResult{5, 1.5, 2, 3}}),
      reply_sample("reconstruct_volume", *status_with_every_map().volume),
      reply_sample("cancel_volume", *status_with_every_map().volume),
      reply_sample("record", *status_with_every_map().recording),
      reply_sample("capture", *status_with_every_map().capture),
      reply_sample("sweep_processing", ProcessingSweepResult{SweepParameter::window, 2, {0, 0, 4, 6}, {4.0},
                                                             {"window hann"}, {0.5}, 0, 3.5}),
      reply_sample("set_oblique_slice", ObliqueResult{true, {0.0, 0.0, 1.0}, 2.0, {8, 8}, 1.0}),
      reply_sample("get_defective_pixels",
                   DefectivePixelsResult{7, true, 4, 6, DefectivePixelCounts{1, 1, 0, 1, 2},
                                         {DefectivePixel{0, 5, 9}, DefectivePixel{3, 2, 2}}, false}),
      reply_sample("center_sample", CenterSampleResult{"projections", 1.0, 2.0, 3.0, -1.0, -2.0, -3.0, 0.5, -0.5, -1.0,
                                                       -1.5, 180u, 0.1, 0.7}),
      reply_sample("set_preview", *status_with_every_map().preview),
      reply_sample("set_center", Error{ErrorCode::no_active_scan, "no scan"}),
  };
}

TEST(FieldListTest, EveryListedFieldIsWrittenAndReadBack) {
  for (const Sample& sample : samples()) {
    SCOPED_TRACE(sample.name);
    std::set<std::string> listed = sample.unlisted;
    std::set<std::string> maps;
    for (const ListedField& field : sample.fields) {
      if (sample.absent.count(field.path) == 0) listed.insert(field.path);
      if (field.map) maps.insert(field.path);
    }
    std::set<std::string> written;
    collect_written(RawHeader(sample.bytes).packed_map(), "", maps, written);
    EXPECT_EQ(written, listed);
    const Decoded decoded = sample.decode(sample.bytes);
    const std::optional<Error> error = error_of(decoded);
    ASSERT_FALSE(error.has_value()) << to_string(error->code) << ": " << error->message;
    EXPECT_TRUE(std::get<bool>(decoded)) << "decodes to another value than it was encoded from";
  }
}

TEST(FieldListTest, EveryListedRequiredFieldIsRequired) {
  std::size_t required = 0;
  for (const Sample& sample : samples()) {
    for (const ListedField& field : sample.fields) {
      if (!field.required) continue;
      SCOPED_TRACE(sample.name + ": " + field.path);
      ++required;
      const Bytes bytes = to_bytes(without(RawHeader(sample.bytes).packed_map(), field.path));
      EXPECT_TRUE(IsError(error_of(sample.decode(bytes)), ErrorCode::missing_field, {"\"" + field.path + "\""}));
    }
  }
  EXPECT_GT(required, 100u);  // the walk reached the nested maps
}

TEST(FieldListTest, EveryListedOptionalFieldMayBeLeftOut) {
  for (const Sample& sample : samples()) {
    for (const ListedField& field : sample.fields) {
      if (field.required || sample.absent.count(field.path) != 0) continue;
      SCOPED_TRACE(sample.name + ": " + field.path);
      const Bytes bytes = to_bytes(without(RawHeader(sample.bytes).packed_map(), field.path));
      // Accepted with the field's default, or refused by a rule across fields that needs the field (a
      // half-acquisition begin's offset, set_center's one form): never as missing or of the wrong type.
      if (const std::optional<Error> error = error_of(sample.decode(bytes))) {
        EXPECT_TRUE(error->code == ErrorCode::invalid_geometry || error->code == ErrorCode::invalid_argument)
            << to_string(error->code) << ": " << error->message;
      }
    }
  }
}

}  // namespace
}  // namespace tomolive::protocol
