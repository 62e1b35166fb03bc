// Data messages: round trips of begin/frames/end, every rejection rule of decode_data_header, the payload rule.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "codec_test_support.hpp"

namespace tomolive::protocol {
namespace {

using namespace testing_support;

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

template <typename T>
T decode_as(const Bytes& bytes) {
  Expected<DataMessage> decoded = decode_data_header(bytes);
  EXPECT_TRUE(IsOk(decoded));
  EXPECT_TRUE(decoded.ok() && std::holds_alternative<T>(decoded.value()));
  return decoded.ok() && std::holds_alternative<T>(decoded.value()) ? std::get<T>(decoded.value()) : T{};
}

Expected<DataMessage> decode_begin_with(const std::string& key, const std::string& packed_value) {
  return decode_data_header(RawHeader(encode(sample_begin_with_range())).set_raw(key, packed_value).bytes());
}

Expected<DataMessage> decode_begin(const ScanBegin& begin) { return decode_data_header(encode(begin)); }

// --- round trips ---

TEST(DataCodecTest, BeginWithAngleRangeRoundTrips) {
  const ScanBegin begin = sample_begin_with_range();
  EXPECT_EQ(decode_as<ScanBegin>(encode(begin)), begin);
}

TEST(DataCodecTest, BeginWithAngleTableAndWindowRoundTrips) {
  const ScanBegin begin = sample_begin_with_table();
  EXPECT_EQ(decode_as<ScanBegin>(encode(begin)), begin);
}

TEST(DataCodecTest, BeginWithoutOptionalFieldsRoundTrips) {
  ScanBegin begin = sample_begin_with_range();
  begin.name.clear();
  begin.pixel_size_um.reset();
  begin.center_offset_px = 0.0;
  const Bytes bytes = encode(begin);
  EXPECT_EQ(decode_as<ScanBegin>(bytes), begin);
  const std::vector<std::string> keys = RawHeader(bytes).keys();
  EXPECT_EQ(std::count(keys.begin(), keys.end(), "name"), 0);
  EXPECT_EQ(std::count(keys.begin(), keys.end(), "pixel_size_um"), 0);
}

TEST(DataCodecTest, BeginOmittingOptionalKeysGetsDefaults) {
  const Bytes bytes = RawHeader(encode(sample_begin_with_range()))
                          .erase("name")
                          .erase("window")
                          .erase("streams")
                          .erase("center_offset_px")
                          .erase("pixel_size_um")
                          .bytes();
  const ScanBegin begin = decode_as<ScanBegin>(bytes);
  EXPECT_EQ(begin.name, "");
  EXPECT_EQ(begin.window, 0u);
  EXPECT_EQ(begin.streams, 1u);
  EXPECT_EQ(begin.center_offset_px, 0.0);
  EXPECT_FALSE(begin.pixel_size_um.has_value());
  EXPECT_FALSE(begin.half_acquisition);
}

TEST(DataCodecTest, FramesOfEveryKindRoundTripWithAndWithoutOptionalFields) {
  for (FrameKind kind : {FrameKind::dark, FrameKind::flat, FrameKind::projection}) {
    for (Dtype dtype : {Dtype::uint8, Dtype::uint16, Dtype::uint32, Dtype::float32}) {
      SCOPED_TRACE(std::string(to_string(kind)) + " " + std::string(to_string(dtype)));
      FrameHeader frame = sample_projection();
      frame.kind = kind;
      frame.dtype = dtype;
      EXPECT_EQ(decode_as<FrameHeader>(encode(frame)), frame);
      frame.angle_deg.reset();
      frame.timestamp_ns.reset();
      EXPECT_EQ(decode_as<FrameHeader>(encode(frame)), frame);
    }
  }
}

TEST(DataCodecTest, FrameExtremeIntegersRoundTrip) {
  FrameHeader frame = sample_projection();
  frame.scan_id = std::numeric_limits<std::uint64_t>::max();
  frame.frame_id = std::numeric_limits<std::uint64_t>::max();
  frame.rows = std::numeric_limits<std::uint32_t>::max();
  frame.timestamp_ns = std::numeric_limits<std::int64_t>::min();
  EXPECT_EQ(decode_as<FrameHeader>(encode(frame)), frame);
  frame.timestamp_ns = -1;
  EXPECT_EQ(decode_as<FrameHeader>(encode(frame)), frame);
}

TEST(DataCodecTest, EndRoundTrips) {
  const ScanEnd end{123456789012345ULL};
  EXPECT_EQ(decode_as<ScanEnd>(encode(end)), end);
}

TEST(DataCodecTest, WireFormUsesDocumentedKeys) {
  const msgpack::object_handle handle = msgpack::unpack(
      reinterpret_cast<const char*>(encode(sample_projection()).data()), encode(sample_projection()).size());
  const auto map = handle.get().as<std::map<std::string, msgpack::object>>();
  EXPECT_EQ(map.at("v").as<int>(), 1);
  EXPECT_EQ(map.at("type").as<std::string>(), "projection");
  EXPECT_EQ(map.at("shape").as<std::vector<int>>(), (std::vector<int>{4, 6}));
  EXPECT_EQ(map.at("dtype").as<std::string>(), "uint16");
  EXPECT_EQ(map.at("angle_deg").as<double>(), 157.5);
  EXPECT_EQ(map.size(), 8u);
}

TEST(DataCodecTest, DoublesAreAlwaysFloat64OnTheWire) {
  FrameHeader frame = sample_projection();
  frame.angle_deg = 90.0;
  EXPECT_EQ(RawHeader(encode(frame)).raw("angle_deg"), packed_float64(90.0));
  frame.angle_deg = -0.0;
  const FrameHeader decoded = decode_as<FrameHeader>(encode(frame));
  ASSERT_TRUE(decoded.angle_deg.has_value());
  EXPECT_TRUE(std::signbit(*decoded.angle_deg));
}

// --- lenient reading ---

TEST(DataCodecTest, UnknownKeysAreIgnored) {
  const ScanBegin begin = sample_begin_with_table();
  const Bytes bytes = RawHeader(encode(begin))
                          .set("detector", std::string("eiger"))
                          .set("future_nested", std::map<std::string, std::vector<int>>{{"a", {1, 2}}})
                          .append_raw(packed(7), packed(std::string("an integer key")))
                          .bytes();
  EXPECT_EQ(decode_as<ScanBegin>(bytes), begin);
}

TEST(DataCodecTest, NilOptionalFieldIsAbsent) {
  FrameHeader frame = sample_projection();
  const Bytes bytes = RawHeader(encode(frame)).set_raw("angle_deg", packed_nil()).bytes();
  frame.angle_deg.reset();
  EXPECT_EQ(decode_as<FrameHeader>(bytes), frame);
}

TEST(DataCodecTest, FirstOccurrenceOfARepeatedKeyCounts) {
  const Bytes bytes =
      RawHeader(encode(sample_projection())).append_raw(packed(std::string("frame_id")), packed(99)).bytes();
  EXPECT_EQ(decode_as<FrameHeader>(bytes).frame_id, 7u);
}

TEST(DataCodecTest, IntegersAndFloat32AreAcceptedForDoubleFields) {
  const Bytes bytes = RawHeader(encode(sample_begin_with_range()))
                          .set("angle_start_deg", -90)
                          .set_raw("angle_step_deg", packed_float32(0.5f))
                          .set("center_offset_px", 2)
                          .set("pixel_size_um", 1u)
                          .bytes();
  const ScanBegin begin = decode_as<ScanBegin>(bytes);
  EXPECT_EQ(std::get<AngleRange>(begin.angles).start_deg, -90.0);
  EXPECT_EQ(std::get<AngleRange>(begin.angles).step_deg, 0.5);
  EXPECT_EQ(begin.center_offset_px, 2.0);
  EXPECT_EQ(begin.pixel_size_um, 1.0);

  const Bytes table = RawHeader(encode(sample_begin_with_range()))
                          .erase("angle_start_deg")
                          .erase("angle_step_deg")
                          .set_raw("angles_deg", packed(std::vector<int>{0, -1, 2, 3, 4, 5, 6, 7}))
                          .bytes();
  EXPECT_EQ(std::get<AngleTable>(decode_as<ScanBegin>(table).angles).angles_deg,
            (std::vector<double>{0, -1, 2, 3, 4, 5, 6, 7}));
}

// --- envelope and type ---

TEST(DataCodecTest, MissingVersionIsUnsupportedVersion) {
  const Bytes bytes = RawHeader(encode(sample_projection())).erase("v").bytes();
  EXPECT_TRUE(IsError(decode_data_header(bytes), ErrorCode::unsupported_version, {"\"v\"", "supported: 1"}));
}

TEST(DataCodecTest, OtherVersionIsUnsupportedVersion) {
  const RawHeader header(encode(sample_projection()));
  EXPECT_TRUE(IsError(decode_data_header(RawHeader(header).set("v", 2).bytes()), ErrorCode::unsupported_version,
                      {"positive int 2", "supported: 1"}));
  EXPECT_TRUE(IsError(decode_data_header(RawHeader(header).set("v", -1).bytes()), ErrorCode::unsupported_version,
                      {"negative int -1"}));
  EXPECT_TRUE(IsError(decode_data_header(RawHeader(header).set("v", std::string("1")).bytes()),
                      ErrorCode::unsupported_version, {"str \"1\"", "supported: 1"}));
  EXPECT_TRUE(IsError(decode_data_header(RawHeader(header).set_raw("v", packed_float64(1.0)).bytes()),
                      ErrorCode::unsupported_version, {"float64 1"}));
}

TEST(DataCodecTest, MissingTypeIsMissingField) {
  const Bytes bytes = RawHeader(encode(sample_projection())).erase("type").bytes();
  EXPECT_TRUE(IsError(decode_data_header(bytes), ErrorCode::missing_field, {"\"type\""}));
}

TEST(DataCodecTest, NonStringTypeIsWrongFieldType) {
  const Bytes bytes = RawHeader(encode(sample_projection())).set("type", 2).bytes();
  EXPECT_TRUE(IsError(decode_data_header(bytes), ErrorCode::wrong_field_type, {"\"type\"", "positive int 2", "str"}));
}

TEST(DataCodecTest, UnknownTypeIsNamed) {
  for (const char* type : {"Projection", "slice", "get_status", ""}) {
    const Bytes bytes = RawHeader(encode(sample_projection())).set("type", std::string(type)).bytes();
    EXPECT_TRUE(IsError(decode_data_header(bytes), ErrorCode::unknown_type,
                        {"\"" + std::string(type) + "\"", "begin, dark, flat, projection, end"}));
  }
}

// --- missing and mistyped fields ---

// The fields of each list are tested by field_list_test; the angles have rules of their own.
TEST(DataCodecTest, EveryAngleFieldIsRequiredInItsForm) {
  const std::vector<std::pair<Bytes, std::vector<std::string>>> cases = {
      {encode(sample_begin_with_range()), {"angle_start_deg", "angle_step_deg"}},
      {encode(sample_begin_with_table()), {"angles_deg"}},
  };
  for (const auto& [bytes, keys] : cases) {
    for (const std::string& key : keys) {
      SCOPED_TRACE(key);
      const Expected<DataMessage> decoded = decode_data_header(RawHeader(bytes).erase(key).bytes());
      EXPECT_TRUE(IsError(decoded, ErrorCode::missing_field, {key}));
    }
  }
}

TEST(DataCodecTest, NilRequiredFieldIsWrongFieldType) {
  const Bytes bytes = RawHeader(encode(sample_projection())).set_raw("frame_id", packed_nil()).bytes();
  EXPECT_TRUE(IsError(decode_data_header(bytes), ErrorCode::wrong_field_type, {"\"frame_id\"", "found nil"}));
}

struct WrongValue {
  std::string key;
  std::string packed_value;
  std::vector<std::string> mentions;  // besides the key
};

void expect_wrong_field_type(const Bytes& valid, const std::vector<WrongValue>& cases) {
  for (const WrongValue& wrong : cases) {
    SCOPED_TRACE(wrong.key + " <- " + wrong.mentions.front());
    const Expected<DataMessage> decoded =
        decode_data_header(RawHeader(valid).set_raw(wrong.key, wrong.packed_value).bytes());
    ASSERT_TRUE(IsError(decoded, ErrorCode::wrong_field_type, {"\"" + wrong.key + "\""}));
    for (const std::string& mention : wrong.mentions)
      EXPECT_NE(decoded.error().message.find(mention), std::string::npos)
          << decoded.error().message << " lacks " << mention;
  }
}

TEST(DataCodecTest, BeginFieldsOfTheWrongTypeAreNamed) {
  const std::string uint32_range = "expected an unsigned integer 0..4294967295";
  expect_wrong_field_type(
      encode(sample_begin_with_range()),
      {
          {"scan_id", packed(std::string("42")), {"str \"42\"", "unsigned integer"}},
          {"scan_id", packed(-1), {"negative int -1", "0..18446744073709551615"}},
          {"scan_id", packed_float64(1.0), {"float64 1", "unsigned integer"}},
          {"name", packed(5), {"positive int 5", "expected a str"}},
          {"shape", packed(std::string("4x6")), {"str \"4x6\"", "[rows, cols]"}},
          {"shape", packed(std::vector<int>{4, 6, 1}), {"array of 3 elements", "[rows, cols]"}},
          {"shape", packed(std::vector<int>{4}), {"array of 1 elements", "[rows, cols]"}},
          {"shape", packed(std::vector<std::string>{"4", "6"}), {"str \"4\" as rows", uint32_range}},
          {"shape", packed(std::vector<std::int64_t>{4, -6}), {"negative int -6 as cols", uint32_range}},
          {"shape", packed(std::vector<std::uint64_t>{4, 1ULL << 32}), {"positive int 4294967296 as cols"}},
          {"dtype", packed(16), {"positive int 16", "expected a str"}},
          {"num_darks", packed(true), {"bool true", uint32_range}},
          {"num_flats", packed(-3), {"negative int -3", uint32_range}},
          {"num_projections", packed(1ULL << 32), {"positive int 4294967296", uint32_range}},
          {"num_projections", packed_float64(180.0), {"float64 180", uint32_range}},
          {"angle_start_deg", packed(std::string("0")), {"str \"0\"", "a number"}},
          {"angle_step_deg", packed(std::vector<double>{1.0}), {"array of 1 elements", "a number"}},
          {"window", packed(-1), {"negative int -1", uint32_range}},
          {"center_offset_px", packed(std::string("0")), {"str \"0\"", "a number"}},
          {"pixel_size_um", packed(true), {"bool true", "a number"}},
          {"half_acquisition", packed(1), {"positive int 1", "a bool"}},
      });
  expect_wrong_field_type(
      encode(sample_begin_with_table()),
      {
          {"angles_deg", packed_float64(45.0), {"float64 45", "an array of numbers"}},
          {"angles_deg", packed(std::vector<std::string>{"0"}), {"str \"0\" at index 0", "a number"}},
      });
}

TEST(DataCodecTest, FrameFieldsOfTheWrongTypeAreNamed) {
  expect_wrong_field_type(
      encode(sample_projection()),
      {
          {"scan_id", packed(-42), {"negative int -42"}},
          {"frame_id", packed(std::string("7")), {"str \"7\"", "unsigned integer"}},
          {"frame_id", packed_float64(7.5), {"float64 7.5"}},
          {"shape", packed(std::map<std::string, int>{{"rows", 4}}), {"map of 1 entries", "[rows, cols]"}},
          {"dtype", packed(std::vector<int>{}), {"array of 0 elements", "a str"}},
          {"angle_deg", packed(std::string("90")), {"str \"90\"", "a number"}},
          {"angle_deg", packed_float64(kNan), {"float64 nan", "finite"}},
          {"angle_deg", packed_float64(-kInf), {"float64 -inf", "finite"}},
          {"timestamp_ns",
           packed(std::numeric_limits<std::uint64_t>::max()),
           {"positive int 18446744073709551615", "-9223372036854775808..9223372036854775807"}},
          {"timestamp_ns", packed_float64(1.5e18), {"float64 1.5e+18", "integer"}},
      });
}

TEST(DataCodecTest, LongStringsAreCutInMessages) {
  const std::string long_value(1000, 'x');
  const Bytes bytes = RawHeader(encode(sample_projection())).set("frame_id", long_value).bytes();
  const Expected<DataMessage> decoded = decode_data_header(bytes);
  ASSERT_TRUE(IsError(decoded, ErrorCode::wrong_field_type, {"\"frame_id\"", "...\""}));
  EXPECT_LT(decoded.error().message.size(), 200u);
}

TEST(DataCodecTest, UnknownDtypeIsBadDtype) {
  for (const char* dtype : {"int16", "float64", "UINT16", "<u2", ""}) {
    const Bytes bytes = RawHeader(encode(sample_projection())).set("dtype", std::string(dtype)).bytes();
    EXPECT_TRUE(IsError(decode_data_header(bytes), ErrorCode::bad_dtype,
                        {"\"dtype\"", "\"" + std::string(dtype) + "\"", "uint8, uint16, uint32, float32"}));
  }
  EXPECT_TRUE(IsError(decode_begin_with("dtype", packed(std::string("int8"))), ErrorCode::bad_dtype, {"\"int8\""}));
}

// --- angle forms ---

TEST(DataCodecTest, BothAngleFormsAreInvalidGeometry) {
  const Bytes bytes = RawHeader(encode(sample_begin_with_table())).set("angle_start_deg", 0.0).bytes();
  EXPECT_TRUE(IsError(decode_data_header(bytes), ErrorCode::invalid_geometry, {"angles_deg", "angle_start_deg"}));
}

TEST(DataCodecTest, NoAngleFormIsMissingField) {
  const Bytes bytes =
      RawHeader(encode(sample_begin_with_range())).erase("angle_start_deg").erase("angle_step_deg").bytes();
  EXPECT_TRUE(IsError(decode_data_header(bytes), ErrorCode::missing_field, {"angles_deg", "angle_start_deg"}));
}

TEST(DataCodecTest, HalfARangeIsMissingTheOtherHalf) {
  const RawHeader header(encode(sample_begin_with_range()));
  EXPECT_TRUE(IsError(decode_data_header(RawHeader(header).erase("angle_step_deg").bytes()), ErrorCode::missing_field,
                      {"\"angle_step_deg\""}));
  EXPECT_TRUE(IsError(decode_data_header(RawHeader(header).erase("angle_start_deg").bytes()),
                      ErrorCode::missing_field, {"\"angle_start_deg\""}));
}

// --- geometry limits ---

TEST(DataCodecTest, DetectorSizeLimits) {
  for (std::uint32_t bad : {0u, kMaxDetectorPixelsPerSide + 1}) {
    ScanBegin begin = sample_begin_with_range();
    begin.rows = bad;
    EXPECT_TRUE(IsError(decode_begin(begin), ErrorCode::invalid_geometry, {"rows", std::to_string(bad), "1..16384"}));
    begin = sample_begin_with_range();
    begin.cols = bad;
    EXPECT_TRUE(IsError(decode_begin(begin), ErrorCode::invalid_geometry, {"cols", std::to_string(bad), "1..16384"}));
  }
  ScanBegin largest = sample_begin_with_range();
  largest.rows = largest.cols = kMaxDetectorPixelsPerSide;
  EXPECT_TRUE(IsOk(decode_begin(largest)));
}

TEST(DataCodecTest, FrameCountLimits) {
  ScanBegin begin = sample_begin_with_range();
  begin.num_projections = 0;
  EXPECT_TRUE(IsError(decode_begin(begin), ErrorCode::invalid_geometry, {"num_projections = 0", "1..1000000"}));
  begin.num_projections = kMaxProjections + 1;
  EXPECT_TRUE(IsError(decode_begin(begin), ErrorCode::invalid_geometry, {"num_projections = 1000001", "1..1000000"}));
  begin.num_projections = kMaxProjections;
  EXPECT_TRUE(IsOk(decode_begin(begin)));

  begin = sample_begin_with_range();
  begin.num_darks = kMaxReferenceFrames + 1;
  EXPECT_TRUE(IsError(decode_begin(begin), ErrorCode::invalid_geometry, {"num_darks = 10001", "0..10000"}));
  begin = sample_begin_with_range();
  begin.num_flats = kMaxReferenceFrames + 1;
  EXPECT_TRUE(IsError(decode_begin(begin), ErrorCode::invalid_geometry, {"num_flats = 10001", "0..10000"}));
  begin.num_flats = kMaxReferenceFrames;
  begin.num_darks = 0;
  EXPECT_TRUE(IsOk(decode_begin(begin)));
}

TEST(DataCodecTest, StreamLimits) {
  ScanBegin begin = sample_begin_with_range();
  for (std::uint32_t bad : {0u, kMaxStreams + 1}) {
    begin.streams = bad;
    EXPECT_TRUE(IsError(decode_begin(begin), ErrorCode::invalid_geometry,
                        {"streams = " + std::to_string(bad), "1.." + std::to_string(kMaxStreams)}));
  }
  for (std::uint32_t good : {1u, 8u, kMaxStreams}) {
    begin.streams = good;
    EXPECT_TRUE(IsOk(decode_begin(begin)));
  }
}

TEST(DataCodecTest, WindowLimits) {
  ScanBegin begin = sample_begin_with_range();  // 8 projections
  for (std::uint32_t bad : {1u, 9u}) {
    begin.window = bad;
    EXPECT_TRUE(IsError(decode_begin(begin), ErrorCode::invalid_geometry,
                        {"window = " + std::to_string(bad), "0 (no window) or 2..num_projections = 2..8"}));
  }
  for (std::uint32_t good : {0u, 2u, 8u}) {
    begin.window = good;
    EXPECT_TRUE(IsOk(decode_begin(begin)));
  }
}

TEST(DataCodecTest, AngleTableLength) {
  ScanBegin begin = sample_begin_with_table();              // 8 projections, 8 angles, window 4
  std::get<AngleTable>(begin.angles).angles_deg.resize(4);  // one per window slot
  EXPECT_TRUE(IsOk(decode_begin(begin)));
  std::get<AngleTable>(begin.angles).angles_deg.resize(5);
  EXPECT_TRUE(IsError(decode_begin(begin), ErrorCode::invalid_geometry,
                      {"angles_deg has 5 entries", "num_projections = 8 or window = 4"}));
  begin.window = 0;
  std::get<AngleTable>(begin.angles).angles_deg.resize(4);
  EXPECT_TRUE(IsError(decode_begin(begin), ErrorCode::invalid_geometry,
                      {"angles_deg has 4 entries", "expected num_projections = 8"}));
  std::get<AngleTable>(begin.angles).angles_deg.clear();
  EXPECT_TRUE(IsError(decode_begin(begin), ErrorCode::invalid_geometry, {"angles_deg has 0 entries"}));
}

TEST(DataCodecTest, AnglesMustBeFinite) {
  for (double bad : {kNan, kInf, -kInf}) {
    const std::string text = bad != bad ? "nan" : (bad > 0 ? "inf" : "-inf");
    ScanBegin begin = sample_begin_with_table();
    std::get<AngleTable>(begin.angles).angles_deg[5] = bad;
    EXPECT_TRUE(IsError(decode_begin(begin), ErrorCode::invalid_geometry, {"angles_deg[5] = " + text, "finite"}));
    begin = sample_begin_with_range();
    begin.angles = AngleRange{bad, 1.0};
    EXPECT_TRUE(IsError(decode_begin(begin), ErrorCode::invalid_geometry, {"angle_start_deg = " + text, "finite"}));
    begin.angles = AngleRange{0.0, bad};
    EXPECT_TRUE(IsError(decode_begin(begin), ErrorCode::invalid_geometry, {"angle_step_deg = " + text, "finite"}));
  }
}

TEST(DataCodecTest, ZeroStepOnlyForASingleProjection) {
  ScanBegin begin = sample_begin_with_range();
  begin.angles = AngleRange{10.0, 0.0};
  EXPECT_TRUE(IsError(decode_begin(begin), ErrorCode::invalid_geometry,
                      {"angle_step_deg = 0", "non-zero", "num_projections = 8"}));
  begin.num_projections = 1;
  EXPECT_TRUE(IsOk(decode_begin(begin)));
  begin.angles = AngleRange{10.0, -0.5};  // rotating backwards is fine
  begin.num_projections = 8;
  EXPECT_TRUE(IsOk(decode_begin(begin)));
}

TEST(DataCodecTest, CenterOffsetWithinTheDetector) {
  ScanBegin begin = sample_begin_with_range();  // 6 columns
  for (double bad : {3.0, -3.0, 1e9, kNan, kInf}) {
    begin.center_offset_px = bad;
    EXPECT_TRUE(IsError(decode_begin(begin), ErrorCode::invalid_geometry,
                        {"center_offset_px = " + number_text(bad), "|center_offset_px| < cols / 2 = 3"}));
  }
  begin.center_offset_px = -2.99;
  EXPECT_TRUE(IsOk(decode_begin(begin)));
}

// A valid half-acquisition begin: 8 projections over one full turn, the axis 1.25 px left of the centre of 6 columns.
ScanBegin sample_half_acquisition_begin() {
  ScanBegin begin = sample_begin_with_range();
  begin.angles = AngleRange{0.0, 45.0};
  begin.half_acquisition = true;
  return begin;
}

TEST(DataCodecTest, HalfAcquisitionRoundTripsAndIsWrittenOnlyWhenTrue) {
  const ScanBegin begin = sample_half_acquisition_begin();
  const Bytes bytes = encode(begin);
  EXPECT_EQ(decode_as<ScanBegin>(bytes), begin);
  const auto has_key = [](const Bytes& header) {
    const std::vector<std::string> keys = RawHeader(header).keys();
    return std::count(keys.begin(), keys.end(), "half_acquisition") == 1;
  };
  EXPECT_TRUE(has_key(bytes));
  EXPECT_FALSE(has_key(encode(sample_begin_with_range())));
  // An explicit false is the default.
  const Bytes explicit_false =
      RawHeader(encode(sample_begin_with_range())).set_raw("half_acquisition", packed(false)).bytes();
  EXPECT_FALSE(decode_as<ScanBegin>(explicit_false).half_acquisition);
}

TEST(DataCodecTest, HalfAcquisitionNeedsOneFullTurn) {
  ScanBegin begin = sample_half_acquisition_begin();
  for (double step : {22.5, 40.0, 50.0, 90.0}) {  // 180, 320, 400 and 720 degrees over 8 projections
    begin.angles = AngleRange{0.0, step};
    EXPECT_TRUE(IsError(decode_begin(begin), ErrorCode::invalid_geometry, {"half_acquisition", "360 degrees"}))
        << "step " << step;
  }
  for (double step : {45.0, -45.0, 44.0, 46.0}) {  // within half a step (22.5 degrees) of one turn
    begin.angles = AngleRange{10.0, step};
    EXPECT_TRUE(IsOk(decode_begin(begin))) << "step " << step;
  }
  // A table: 8 entries 0..315 span one turn; 0..157.5 only half of one.
  begin.angles = AngleTable{{0.0, 45.0, 90.0, 135.0, 180.0, 225.0, 270.0, 315.0}};
  EXPECT_TRUE(IsOk(decode_begin(begin)));
  begin.angles = AngleTable{{0.0, 22.5, 45.0, 67.5, 90.0, 112.5, 135.0, 157.5}};
  EXPECT_TRUE(IsError(decode_begin(begin), ErrorCode::invalid_geometry, {"half_acquisition", "full turn"}));
  // With a window the window's slots must cover the turn: 4 slots of 90 degrees.
  begin.angles = AngleRange{0.0, 90.0};
  begin.window = 4;
  EXPECT_TRUE(IsOk(decode_begin(begin)));
  begin.angles = AngleRange{0.0, 45.0};
  EXPECT_TRUE(IsError(decode_begin(begin), ErrorCode::invalid_geometry, {"angles of the window"}));
}

TEST(DataCodecTest, HalfAcquisitionNeedsTheAxisOffTheCentre) {
  ScanBegin begin = sample_half_acquisition_begin();  // 6 columns
  for (double bad : {0.0, 0.2, -0.24}) {
    begin.center_offset_px = bad;
    EXPECT_TRUE(IsError(decode_begin(begin), ErrorCode::invalid_geometry,
                        {"center_offset_px = " + number_text(bad), ">= 0.25 with half_acquisition"}));
  }
  for (double bad : {3.0, -3.5}) {  // the axis off the detector: the general rule
    begin.center_offset_px = bad;
    EXPECT_TRUE(IsError(decode_begin(begin), ErrorCode::invalid_geometry, {"|center_offset_px| < cols / 2 = 3"}));
  }
  for (double good : {0.25, -0.25, 2.9}) {
    begin.center_offset_px = good;
    EXPECT_TRUE(IsOk(decode_begin(begin))) << good;
  }
}

TEST(DataCodecTest, PixelSizeIsPositive) {
  ScanBegin begin = sample_begin_with_range();
  for (double bad : {0.0, -0.65, kNan, kInf}) {
    begin.pixel_size_um = bad;
    EXPECT_TRUE(
        IsError(decode_begin(begin), ErrorCode::invalid_geometry, {"pixel_size_um = " + number_text(bad), "> 0"}));
  }
}

// --- payload rule ---

TEST(DataCodecTest, PayloadOfExactSizeIsAccepted) {
  FrameHeader frame = sample_projection();  // 4 x 6 uint16
  EXPECT_FALSE(check_frame_payload(frame, 48).has_value());
  frame.dtype = Dtype::float32;
  EXPECT_FALSE(check_frame_payload(frame, 96).has_value());
  frame.dtype = Dtype::uint8;
  EXPECT_FALSE(check_frame_payload(frame, 24).has_value());
}

TEST(DataCodecTest, PayloadOfOtherSizeIsSizeMismatch) {
  const FrameHeader frame = sample_projection();
  EXPECT_TRUE(IsError(check_frame_payload(frame, 47), ErrorCode::size_mismatch,
                      {"payload is 47 bytes, expected 4 x 6 x 2 = 48 bytes", "uint16"}));
  EXPECT_TRUE(IsError(check_frame_payload(frame, 0), ErrorCode::size_mismatch, {"payload is 0 bytes"}));
  EXPECT_TRUE(IsError(check_frame_payload(frame, 96), ErrorCode::size_mismatch, {"payload is 96 bytes"}));
}

TEST(DataCodecTest, NoPayloadIsMissingPayload) {
  EXPECT_TRUE(IsError(check_frame_payload(sample_projection(), std::nullopt), ErrorCode::missing_payload,
                      {"projection frame 7", "part 2", "48 bytes"}));
}

TEST(DataCodecTest, PayloadSizeUses64BitArithmetic) {
  FrameHeader frame = sample_projection();
  frame.rows = 100'000;
  frame.cols = 100'000;
  frame.dtype = Dtype::float32;  // 4e10 bytes: overflows 32 bits
  EXPECT_FALSE(check_frame_payload(frame, 40'000'000'000ULL).has_value());
  EXPECT_TRUE(IsError(check_frame_payload(frame, 40'000'000'000ULL % (1ULL << 32)), ErrorCode::size_mismatch,
                      {"= 40000000000 bytes"}));
  frame.rows = frame.cols = std::numeric_limits<std::uint32_t>::max();  // rows * cols * 4 overflows 64 bits
  EXPECT_TRUE(IsError(check_frame_payload(frame, 0), ErrorCode::size_mismatch, {"more than 2^64"}));
}

}  // namespace
}  // namespace tomolive::protocol
