// Control messages: requests and replies of every command, argument rules, nested result errors.
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

ControlRequest round_trip(const ControlRequest& request) {
  const Expected<ControlRequest> decoded = decode_control_request(encode(request));
  EXPECT_TRUE(IsOk(decoded));
  return decoded.ok() ? decoded.value() : ControlRequest{};
}

Reply round_trip(const Reply& reply) {
  const Expected<Reply> decoded = decode_reply(encode(reply));
  EXPECT_TRUE(IsOk(decoded));
  return decoded.ok() ? decoded.value() : Reply{};
}

Bytes request_bytes(std::string_view type, const std::vector<std::pair<std::string, std::string>>& fields) {
  RawHeader header(encode(ControlRequest(GetStatus{})));
  header.set("type", std::string(type));
  for (const auto& [key, value] : fields) header.set_raw(key, value);
  return header.bytes();
}

// --- requests ---

TEST(ControlCodecTest, CommandNames) {
  EXPECT_EQ(command_name(GetStatus{}), "get_status");
  EXPECT_EQ(command_name(SetCenter{}), "set_center");
  EXPECT_EQ(command_name(SetSlices{}), "set_slices");
  EXPECT_EQ(command_name(GetSlice{}), "get_slice");
  EXPECT_EQ(command_name(EstimateCenter{}), "estimate_center");
  EXPECT_EQ(command_name(SweepCenter{}), "sweep_center");
  EXPECT_EQ(command_name(SetProcessing{}), "set_processing");
  EXPECT_EQ(command_name(SetScanPlan{}), "set_scan_plan");
  EXPECT_EQ(command_name(ReconstructVolume{}), "reconstruct_volume");
  EXPECT_EQ(command_name(CancelVolume{}), "cancel_volume");
  EXPECT_EQ(command_name(Record{}), "record");
  EXPECT_EQ(command_name(Capture{}), "capture");
  EXPECT_EQ(command_name(CenterSample{}), "center_sample");
}

// command_names lists exactly the types the decoder accepts: each one decodes to its own alternative, or is refused
// for its fields, never as an unknown type.
TEST(ControlCodecTest, CommandNamesListEveryRequest) {
  const auto names = command_names();
  ASSERT_EQ(names.size(), std::variant_size_v<ControlRequest>);
  for (std::size_t index = 0; index < names.size(); ++index) {
    SCOPED_TRACE(std::string(names[index]));
    const auto decoded = decode_control_request(request_bytes(names[index], {}));
    if (decoded.ok()) {
      EXPECT_EQ(decoded.value().index(), index);
    } else {
      EXPECT_NE(decoded.error().code, ErrorCode::unknown_type) << decoded.error().message;
    }
  }
}

// header_type reads "type" alone: whatever else is wrong with the header, and nothing when there is no str "type".
TEST(ControlCodecTest, HeaderTypeReadsOnlyTheType) {
  const Bytes begin = encode(ScanBegin{});
  EXPECT_EQ(header_type(begin), "begin");
  EXPECT_EQ(header_type(RawHeader(begin).set("v", 7).set("shape", "oops").bytes()), "begin");
  EXPECT_EQ(header_type(RawHeader(encode(ControlRequest(GetStatus{}))).set("v", "x").bytes()), "get_status");
  EXPECT_EQ(header_type(RawHeader(begin).set("type", "no such type").bytes()), "no such type");
  EXPECT_EQ(header_type(RawHeader(begin).set("type", 3).bytes()), "");
  EXPECT_EQ(header_type(RawHeader(begin).set_raw("type", packed_nil()).bytes()), "");
  EXPECT_EQ(header_type(to_bytes(packed(std::vector<int>{1, 2}))), "");  // not a map
  EXPECT_EQ(header_type(to_bytes("\x81\xa4typ")), "");                   // truncated
  EXPECT_EQ(header_type(Bytes{}), "");
}

TEST(ControlCodecTest, EveryRequestRoundTrips) {
  const std::vector<ControlRequest> requests = {
      GetStatus{},
      SetCenter{-2.5, std::nullopt},
      SetCenter{std::nullopt, 511.75},
      SetCenter{std::nullopt, std::nullopt, -0.75},
      SetCenter{1.0, std::nullopt, 0.5},
      SetSlices{12u, std::nullopt, std::nullopt},
      SetSlices{std::nullopt, -3.5, 4.0},
      SetSlices{0u, 0.0, 0.0},
      GetSlice{SliceKind::xy},
      GetSlice{SliceKind::xz},
      GetSlice{SliceKind::yz},
      EstimateCenter{},
      EstimateCenter{CenterMethod::metric, true},
      SweepCenter{-4.0, 0.25, 33, std::nullopt, std::nullopt},
      SweepCenter{1.5, 2.0, 64, 7u, SliceRegionField{10, 20, 100, 200}},
      SweepCenter{1.5, 2.0, 64, 7u, SliceRegionField{10, 20, 100, 200}, 3u},
      SetProcessing{FilterWindow::hann, std::nullopt, std::nullopt, std::nullopt, std::nullopt},
      SetProcessing{FilterWindow::shepp_logan, ZingersUpdate{true, 0.3}, PhaseUpdate{true, 20.0, 0.1, 1.0, 100.0},
                    RingsUpdate{true, 21u}, DefectivePixelsUpdate{true, 0.5, 10.0, 12.0}},
      SetProcessing{std::nullopt, ZingersUpdate{false, std::nullopt}, PhaseUpdate{std::nullopt, 35.5, {}, {}, {}},
                    RingsUpdate{std::nullopt, 7u}, std::nullopt},
      SetProcessing{std::nullopt, std::nullopt, std::nullopt, RingsUpdate{}, std::nullopt},
      SetProcessing{std::nullopt, std::nullopt, std::nullopt, std::nullopt,
                    DefectivePixelsUpdate{false, std::nullopt, 6.0, std::nullopt}},
      ReconstructVolume{},
      ReconstructVolume{SliceRegionField{1, 2, 30, 40}, std::array<std::uint32_t, 2>{3, 8}, 4},
      CancelVolume{},
      Record{true},
      Record{false},
      Capture{},
      Capture{12.5},
      GetSlice{SliceKind::oblique},
      SweepProcessing{SweepParameter::delta_over_beta, std::vector<double>{10.0, 100.0}, std::nullopt, std::nullopt,
                      std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt},
      SweepProcessing{SweepParameter::ring_size, std::nullopt, std::nullopt, 5.0, 21.0, 5u, SweepSpacing::linear, 3u,
                      SliceRegionField{1, 2, 30, 40}},
      SweepProcessing{SweepParameter::window, std::nullopt, std::vector<std::string>{"hann", "parzen"},
                      std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt},
      SetObliqueSlice{true, std::vector<double>{0.0, 1.0, 1.0}, 2.5, std::nullopt},
      SetObliqueSlice{true, std::nullopt, std::nullopt, std::vector<double>{0, 0, 0, 1, 0, 0, 0, 1, 1}},
      SetObliqueSlice{false, std::nullopt, std::nullopt, std::nullopt},
      GetDefectivePixels{},
      CenterSample{"xy", std::vector<double>{3.0, 4.5}, std::nullopt, 0.65},
      CenterSample{"projections", std::nullopt, std::nullopt, std::nullopt},
      SetPreview{true, 256u},
      SetPreview{false, std::nullopt},
  };
  for (const ControlRequest& request : requests) {
    SCOPED_TRACE(std::string(command_name(request)));
    EXPECT_EQ(round_trip(request), request);
  }
}

TEST(ControlCodecTest, ReconstructVolumeChecksBinningRegionAndRows) {
  const auto decoded = [](RawHeader header) { return decode_control_request(header.bytes()); };
  const RawHeader volume(
      encode(ControlRequest(ReconstructVolume{SliceRegionField{0, 0, 4, 4}, std::array<std::uint32_t, 2>{0, 2}, 2})));
  EXPECT_EQ(volume.keys(), (std::vector<std::string>{"v", "type", "region", "rows", "binning"}));
  EXPECT_EQ(RawHeader(encode(ControlRequest(ReconstructVolume{}))).keys(),
            (std::vector<std::string>{"v", "type", "binning"}));
  EXPECT_EQ(std::get<ReconstructVolume>(decoded(RawHeader(volume).erase("binning")).value()).binning, 1u);
  const auto refused = [&](RawHeader header, std::string_view names) {
    const auto result = decoded(std::move(header));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, ErrorCode::invalid_argument);
    EXPECT_NE(result.error().message.find(names), std::string::npos) << result.error().message;
  };
  refused(RawHeader(volume).set_raw("binning", packed(0u)), "binning = 0");
  refused(RawHeader(volume).set_raw("binning", packed(17u)), "binning = 17");
  refused(RawHeader(volume).set_raw("region", packed(std::vector<std::uint32_t>{0, 0, 0, 4})), "region [0, 0, 0, 4]");
  refused(RawHeader(volume).set_raw("rows", packed(std::vector<std::uint32_t>{5, 0})), "rows [5, 0]");
  EXPECT_EQ(RawHeader(encode(ControlRequest(CancelVolume{}))).keys(), (std::vector<std::string>{"v", "type"}));
}

TEST(ControlCodecTest, RecordNeedsEnabledAndCaptureABoundedFiniteTime) {
  const auto decoded = [](RawHeader header) { return decode_control_request(header.bytes()); };
  const RawHeader record(encode(ControlRequest(Record{true})));
  EXPECT_EQ(record.keys(), (std::vector<std::string>{"v", "type", "enabled"}));
  EXPECT_EQ(decoded(RawHeader(record).erase("enabled")).error().code, ErrorCode::missing_field);
  EXPECT_EQ(decoded(RawHeader(record).set("enabled", "yes")).error().code, ErrorCode::wrong_field_type);

  const RawHeader capture(encode(ControlRequest(Capture{2.0})));
  EXPECT_EQ(capture.keys(), (std::vector<std::string>{"v", "type", "after_s"}));
  EXPECT_EQ(std::get<Capture>(decoded(RawHeader(capture).erase("after_s")).value()).after_s, 0.0);
  for (const double after_s : {-1.0, 3600.5, std::numeric_limits<double>::infinity()}) {
    SCOPED_TRACE(after_s);
    const auto refused = decoded(RawHeader(capture).set_raw("after_s", packed(after_s)));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, ErrorCode::invalid_argument);
    EXPECT_NE(refused.error().message.find("after_s"), std::string::npos) << refused.error().message;
  }
}

// center_sample (PROTOCOL.md 10.11): a known slice name, exactly one of point and box for a slice, their lengths,
// finite values and a positive pixel size; each refusal names what is wrong.
TEST(ControlCodecTest, CenterSampleChecksItsSliceAndPoint) {
  const auto decoded = [](RawHeader header) { return decode_control_request(header.bytes()); };
  const RawHeader point(encode(ControlRequest(CenterSample{"xz", std::vector<double>{1.0, 2.0}, std::nullopt, 1.5})));
  EXPECT_EQ(point.keys(), (std::vector<std::string>{"v", "type", "slice", "point", "pixel_size_um"}));
  ASSERT_TRUE(decoded(point).ok());
  const auto refused = [&](RawHeader header, std::string_view names) {
    const auto result = decoded(std::move(header));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, ErrorCode::invalid_argument);
    EXPECT_NE(result.error().message.find(names), std::string::npos) << result.error().message;
  };
  refused(RawHeader(point).set("slice", "xx"), "slice = \"xx\" is not one of xy, xz, yz, projections");
  refused(RawHeader(point).erase("point"), "exactly one of point [row, col] and box");
  refused(RawHeader(point).set_raw("box", packed(std::vector<double>{0, 0, 2, 2})), "exactly one of point");
  refused(RawHeader(point).set_raw("point", packed(std::vector<double>{1.0})), "point has 1 values");
  refused(RawHeader(point).set_raw("point", packed(std::vector<double>{1.0, std::nan("")})), "point = nan");
  refused(RawHeader(point).set_raw("pixel_size_um", packed(0.0)), "pixel_size_um = 0 must be > 0");
  refused(RawHeader(point).erase("point").set_raw("box", packed(std::vector<double>{0, 0, -1, 2})), "box rows and cols");
  EXPECT_EQ(decoded(RawHeader(point).erase("slice")).error().code, ErrorCode::missing_field);
  // From the projections no point is needed.
  EXPECT_TRUE(decoded(RawHeader(point).set("slice", "projections").erase("point")).ok());
}

TEST(ControlCodecTest, RequestWireForm) {
  EXPECT_EQ(RawHeader(encode(ControlRequest(GetSlice{SliceKind::yz}))).keys(),
            (std::vector<std::string>{"v", "type", "slice"}));
  EXPECT_EQ(RawHeader(encode(ControlRequest(SetCenter{1.0, std::nullopt}))).keys(),
            (std::vector<std::string>{"v", "type", "center_offset_px"}));
}

TEST(ControlCodecTest, SetProcessingWireFormHasOnlyTheGivenFields) {
  const RawHeader header(encode(ControlRequest(
      SetProcessing{FilterWindow::ram_lak, std::nullopt, PhaseUpdate{true, std::nullopt, 0.5, {}, {}}, std::nullopt,
                    std::nullopt})));
  EXPECT_EQ(header.keys(), (std::vector<std::string>{"v", "type", "window", "phase"}));
  EXPECT_EQ(header.raw("window"), packed(std::string("ram-lak")));
  EXPECT_EQ(RawHeader(header.raw("phase")).keys(), (std::vector<std::string>{"enabled", "distance_m"}));
}

TEST(ControlCodecTest, SetProcessingNeedsAStepAndKnownNames) {
  EXPECT_TRUE(IsError(decode_control_request(request_bytes("set_processing", {})), ErrorCode::invalid_argument,
                      {"window, zingers, phase, rings", "none"}));
  // nil counts as absent.
  EXPECT_TRUE(IsError(decode_control_request(request_bytes("set_processing", {{"rings", packed_nil()}})),
                      ErrorCode::invalid_argument, {"none"}));
  EXPECT_TRUE(IsError(decode_control_request(request_bytes("set_processing", {{"window", packed(std::string("box"))}})),
                      ErrorCode::invalid_argument,
                      {"\"window\"", "\"box\"", "ram-lak, shepp-logan, cosine, hamming, hann or parzen"}));
  EXPECT_TRUE(IsError(decode_control_request(request_bytes("set_processing", {{"window", packed(3)}})),
                      ErrorCode::wrong_field_type, {"\"window\"", "positive int 3"}));
}

TEST(ControlCodecTest, SetProcessingFieldTypesAreCheckedWithTheirPath) {
  const auto refused = [](const std::string& key, const std::string& value) {
    return decode_control_request(request_bytes("set_processing", {{key, value}}));
  };
  EXPECT_TRUE(IsError(refused("zingers", packed(0.3)), ErrorCode::wrong_field_type, {"\"zingers\"", "a map"}));
  EXPECT_TRUE(IsError(refused("zingers", packed(std::map<std::string, std::string>{{"threshold", "x"}})),
                      ErrorCode::wrong_field_type, {"\"zingers.threshold\"", "str \"x\""}));
  EXPECT_TRUE(IsError(refused("rings", packed(std::map<std::string, int>{{"size", -21}})),
                      ErrorCode::wrong_field_type, {"\"rings.size\"", "negative int -21"}));
  EXPECT_TRUE(IsError(refused("rings", packed(std::map<std::string, double>{{"size", 21.5}})),
                      ErrorCode::wrong_field_type, {"\"rings.size\""}));
  EXPECT_TRUE(IsError(refused("phase", packed(std::map<std::string, int>{{"enabled", 1}})),
                      ErrorCode::wrong_field_type, {"\"phase.enabled\"", "positive int 1"}));
  // Values out of range are the daemon's to refuse (they depend on nothing here, but check_processing owns the
  // rules): the codec passes them on.
  const Expected<ControlRequest> negative =
      refused("zingers", packed(std::map<std::string, double>{{"threshold", -1.0}}));
  ASSERT_TRUE(IsOk(negative));
  EXPECT_EQ(std::get<SetProcessing>(negative.value()).zingers, (ZingersUpdate{std::nullopt, -1.0}));
}

TEST(ControlCodecTest, UnknownRequestKeysAreIgnored) {
  const Bytes bytes = request_bytes("set_slices", {{"xy_row", packed(3)}, {"client", packed(std::string("viewer"))}});
  EXPECT_EQ(decode_control_request(bytes).value(), ControlRequest(SetSlices{3u, std::nullopt, std::nullopt}));
}

TEST(ControlCodecTest, SetCenterNeedsAtMostOneAxisFormAndSomething) {
  EXPECT_TRUE(IsError(decode_control_request(request_bytes("set_center", {})), ErrorCode::invalid_argument,
                      {"center_offset_px", "center_column_px", "tilt_deg", "none"}));
  EXPECT_TRUE(IsError(decode_control_request(request_bytes(
                          "set_center", {{"center_offset_px", packed(1.0)}, {"center_column_px", packed(300)}})),
                      ErrorCode::invalid_argument, {"center_offset_px", "center_column_px", "both"}));
  EXPECT_TRUE(IsError(decode_control_request(request_bytes("set_center", {{"center_offset_px", packed_nil()}})),
                      ErrorCode::invalid_argument, {"none"}));
  // The tilt alone is a whole request (PROTOCOL.md 10.4, "Tilt correction").
  EXPECT_EQ(decode_control_request(request_bytes("set_center", {{"tilt_deg", packed(0.25)}})).value(),
            ControlRequest(SetCenter{std::nullopt, std::nullopt, 0.25}));
  EXPECT_TRUE(IsError(decode_control_request(request_bytes(
                          "set_center", {{"tilt_deg", packed(std::numeric_limits<double>::quiet_NaN())}})),
                      ErrorCode::invalid_argument, {"tilt_deg = nan"}));
}

TEST(ControlCodecTest, SetCenterValuesAreFiniteNumbers) {
  EXPECT_TRUE(
      IsError(decode_control_request(request_bytes("set_center", {{"center_column_px", packed(std::string("300"))}})),
              ErrorCode::wrong_field_type, {"\"center_column_px\"", "str \"300\""}));
  EXPECT_TRUE(IsError(decode_control_request(request_bytes(
                          "set_center", {{"center_offset_px", packed(std::numeric_limits<double>::infinity())}})),
                      ErrorCode::invalid_argument, {"center_offset_px = inf", "finite"}));
  EXPECT_TRUE(IsError(decode_control_request(request_bytes(
                          "set_center", {{"center_column_px", packed(std::numeric_limits<double>::quiet_NaN())}})),
                      ErrorCode::invalid_argument, {"center_column_px = nan"}));
}

TEST(ControlCodecTest, SetSlicesNeedsAtLeastOnePosition) {
  EXPECT_TRUE(IsError(decode_control_request(request_bytes("set_slices", {})), ErrorCode::invalid_argument,
                      {"xy_row", "xz_y_px", "yz_x_px"}));
  EXPECT_TRUE(IsError(decode_control_request(request_bytes(
                          "set_slices", {{"xz_y_px", packed(std::numeric_limits<double>::quiet_NaN())}})),
                      ErrorCode::invalid_argument, {"xz_y_px = nan", "finite"}));
  EXPECT_TRUE(IsError(decode_control_request(request_bytes("set_slices", {{"xy_row", packed(-1)}})),
                      ErrorCode::wrong_field_type, {"\"xy_row\"", "negative int -1"}));
  EXPECT_TRUE(IsError(decode_control_request(request_bytes("set_slices", {{"yz_x_px", packed(true)}})),
                      ErrorCode::wrong_field_type, {"\"yz_x_px\"", "bool true"}));
}

TEST(ControlCodecTest, GetSliceNeedsAKnownSlice) {
  EXPECT_TRUE(IsError(decode_control_request(request_bytes("get_slice", {{"slice", packed(std::string("xyz"))}})),
                      ErrorCode::invalid_argument, {"\"slice\"", "\"xyz\"", "xy, xz, yz or oblique"}));
  EXPECT_TRUE(
      IsError(decode_control_request(request_bytes("get_slice", {})), ErrorCode::missing_field, {"\"slice\""}));
  EXPECT_TRUE(IsError(decode_control_request(request_bytes("get_slice", {{"slice", packed(0)}})),
                      ErrorCode::wrong_field_type, {"\"slice\"", "positive int 0"}));
}

TEST(ControlCodecTest, EstimateCenterDefaultsAndMethods) {
  EXPECT_EQ(decode_control_request(request_bytes("estimate_center", {})).value(),
            ControlRequest(EstimateCenter{CenterMethod::registration, false}));
  EXPECT_EQ(decode_control_request(request_bytes("estimate_center", {{"method", packed(std::string("metric"))},
                                                                     {"apply", packed(true)}}))
                .value(),
            ControlRequest(EstimateCenter{CenterMethod::metric, true}));
  EXPECT_TRUE(IsError(decode_control_request(request_bytes("estimate_center", {{"method", packed(std::string("guess"))}})),
                      ErrorCode::invalid_argument, {"\"method\"", "\"guess\"", "registration or metric"}));
  EXPECT_TRUE(IsError(decode_control_request(request_bytes("estimate_center", {{"apply", packed(1)}})),
                      ErrorCode::wrong_field_type, {"\"apply\""}));
}

TEST(ControlCodecTest, SweepCenterArgumentsAreChecked) {
  const auto sweep = [](std::vector<std::pair<std::string, std::string>> extra) {
    std::vector<std::pair<std::string, std::string>> fields = {
        {"start_offset_px", packed(-2.0)}, {"step_px", packed(0.5)}, {"count", packed(9)}};
    for (auto& field : extra) {
      std::erase_if(fields, [&](const auto& f) { return f.first == field.first; });
      fields.push_back(std::move(field));
    }
    return decode_control_request(request_bytes("sweep_center", fields));
  };
  EXPECT_EQ(sweep({}).value(), ControlRequest(SweepCenter{-2.0, 0.5, 9, std::nullopt, std::nullopt}));
  EXPECT_TRUE(IsError(sweep({{"count", packed(0)}}), ErrorCode::invalid_argument, {"count = 0", "1..64"}));
  EXPECT_TRUE(IsError(sweep({{"count", packed(65)}}), ErrorCode::invalid_argument, {"count = 65", "1..64"}));
  EXPECT_TRUE(IsError(sweep({{"step_px", packed(0.0)}}), ErrorCode::invalid_argument, {"step_px = 0", "> 0"}));
  EXPECT_TRUE(IsError(sweep({{"step_px", packed(std::numeric_limits<double>::quiet_NaN())}}),
                      ErrorCode::invalid_argument, {"step_px = nan"}));
  EXPECT_TRUE(IsError(sweep({{"region", packed(std::vector<int>{1, 2, 3})}}), ErrorCode::wrong_field_type,
                      {"\"region\"", "[row0, col0, rows, cols]"}));
  EXPECT_TRUE(IsError(decode_control_request(request_bytes("sweep_center", {{"step_px", packed(1.0)}})),
                      ErrorCode::missing_field, {"\"start_offset_px\""}));
  // pixel_step: absent is the daemon's default; 1..8 taken; 0 and 9 refused; not an unsigned integer: a wrong type.
  SweepCenter stepped{-2.0, 0.5, 9, std::nullopt, std::nullopt};
  stepped.pixel_step = 8u;
  EXPECT_EQ(sweep({{"pixel_step", packed(8)}}).value(), ControlRequest(stepped));
  EXPECT_TRUE(IsError(sweep({{"pixel_step", packed(0)}}), ErrorCode::invalid_argument, {"pixel_step = 0", "1..8"}));
  EXPECT_TRUE(IsError(sweep({{"pixel_step", packed(9)}}), ErrorCode::invalid_argument, {"pixel_step = 9", "1..8"}));
  EXPECT_TRUE(IsError(sweep({{"pixel_step", packed(-2)}}), ErrorCode::wrong_field_type, {"\"pixel_step\""}));
  EXPECT_TRUE(IsError(sweep({{"pixel_step", packed(1.5)}}), ErrorCode::wrong_field_type, {"\"pixel_step\""}));
}

TEST(ControlCodecTest, SweepProcessingTakesOneFormOfCandidates) {
  const auto sweep = [](std::vector<std::pair<std::string, std::string>> fields) {
    return decode_control_request(request_bytes("sweep_processing", fields));
  };
  const std::string dob = packed(std::string("delta_over_beta"));
  EXPECT_EQ(sweep({{"parameter", dob}, {"start", packed(10.0)}, {"stop", packed(1000.0)}, {"count", packed(5)}})
                .value(),
            ControlRequest(SweepProcessing{SweepParameter::delta_over_beta, std::nullopt, std::nullopt, 10.0, 1000.0,
                                           5u, std::nullopt, std::nullopt, std::nullopt}));
  EXPECT_TRUE(IsError(sweep({{"parameter", packed(std::string("gamma"))}, {"values", packed(std::vector<double>{1})}}),
                      ErrorCode::invalid_argument, {"\"parameter\"", "delta_over_beta, ring_size or window"}));
  EXPECT_TRUE(IsError(sweep({{"parameter", dob}}), ErrorCode::invalid_argument, {"needs values or start"}));
  EXPECT_TRUE(IsError(sweep({{"parameter", dob}, {"values", packed(std::vector<double>{1})}, {"count", packed(3)}}),
                      ErrorCode::invalid_argument, {"one of values, windows"}));
  EXPECT_TRUE(IsError(sweep({{"parameter", dob}, {"start", packed(1.0)}, {"count", packed(3)}}),
                      ErrorCode::invalid_argument, {"no stop"}));
  EXPECT_TRUE(IsError(sweep({{"parameter", dob}, {"start", packed(1.0)}, {"stop", packed(2.0)}, {"count", packed(33)}}),
                      ErrorCode::invalid_argument, {"33 candidates", "1..32"}));
  EXPECT_TRUE(IsError(sweep({{"parameter", dob}, {"values", packed(std::vector<double>{})}}),
                      ErrorCode::invalid_argument, {"0 candidates"}));
  EXPECT_TRUE(IsError(sweep({{"parameter", dob}, {"values", packed(std::vector<double>{1.0, std::nan("")})}}),
                      ErrorCode::invalid_argument, {"values[1] = nan"}));
  EXPECT_TRUE(IsError(sweep({{"parameter", dob}, {"windows", packed(std::vector<std::string>{"hann"})}}),
                      ErrorCode::invalid_argument, {"windows is for parameter window"}));
  EXPECT_TRUE(IsError(sweep({{"parameter", packed(std::string("window"))}, {"values", packed(std::vector<double>{1})}}),
                      ErrorCode::invalid_argument, {"a window sweep takes windows"}));
  EXPECT_TRUE(IsError(sweep({{"parameter", dob}, {"start", packed(1.0)}, {"stop", packed(2.0)}, {"count", packed(3)},
                             {"spacing", packed(std::string("cubic"))}}),
                      ErrorCode::invalid_argument, {"\"spacing\"", "log or linear"}));
  EXPECT_TRUE(IsError(sweep({{"values", packed(std::vector<double>{1})}}), ErrorCode::missing_field,
                      {"\"parameter\""}));
}

TEST(ControlCodecTest, SetPreviewTakesASideInRange) {
  const auto preview = [](std::vector<std::pair<std::string, std::string>> fields) {
    return decode_control_request(request_bytes("set_preview", fields));
  };
  EXPECT_EQ(preview({}).value(), ControlRequest(SetPreview{true, std::nullopt}));
  EXPECT_EQ(preview({{"enabled", packed(false)}}).value(), ControlRequest(SetPreview{false, std::nullopt}));
  EXPECT_EQ(preview({{"side", packed(std::uint32_t{16})}}).value(), ControlRequest(SetPreview{true, 16u}));
  EXPECT_TRUE(IsError(preview({{"side", packed(std::uint32_t{15})}}), ErrorCode::invalid_argument,
                      {"side = 15 voxels", "16..512"}));
  EXPECT_TRUE(IsError(preview({{"side", packed(std::uint32_t{513})}}), ErrorCode::invalid_argument, {"513"}));
  EXPECT_TRUE(IsError(preview({{"side", packed(std::string("big"))}}), ErrorCode::wrong_field_type, {"side"}));
}

TEST(ControlCodecTest, SetObliqueSliceTakesANormalOrThreePoints) {
  const auto oblique = [](std::vector<std::pair<std::string, std::string>> fields) {
    return decode_control_request(request_bytes("set_oblique_slice", fields));
  };
  EXPECT_EQ(oblique({{"normal", packed(std::vector<double>{0, 0, 1})}}).value(),
            ControlRequest(SetObliqueSlice{true, std::vector<double>{0, 0, 1}, std::nullopt, std::nullopt}));
  EXPECT_EQ(oblique({{"enabled", packed(false)}}).value(),
            ControlRequest(SetObliqueSlice{false, std::nullopt, std::nullopt, std::nullopt}));
  EXPECT_TRUE(IsError(oblique({}), ErrorCode::invalid_argument, {"exactly one of normal", "neither"}));
  EXPECT_TRUE(IsError(oblique({{"normal", packed(std::vector<double>{0, 0, 1})},
                               {"points", packed(std::vector<double>(9, 0.0))}}),
                      ErrorCode::invalid_argument, {"both"}));
  EXPECT_TRUE(IsError(oblique({{"normal", packed(std::vector<double>{0, 1})}}), ErrorCode::invalid_argument,
                      {"normal has 2 numbers; expected 3"}));
  EXPECT_TRUE(IsError(oblique({{"points", packed(std::vector<double>(8, 0.0))}}), ErrorCode::invalid_argument,
                      {"points has 8 numbers; expected 9"}));
  EXPECT_TRUE(IsError(oblique({{"points", packed(std::vector<double>(9, 0.0))}, {"offset_px", packed(1.0)}}),
                      ErrorCode::invalid_argument, {"offset_px goes with normal"}));
  EXPECT_TRUE(IsError(oblique({{"normal", packed(std::vector<double>{0, 0, 1})},
                               {"offset_px", packed(std::numeric_limits<double>::infinity())}}),
                      ErrorCode::invalid_argument, {"offset_px = inf"}));
}

TEST(ControlCodecTest, UnknownCommandIsUnknownType) {
  EXPECT_TRUE(IsError(decode_control_request(request_bytes("reconstruct_everything", {})), ErrorCode::unknown_type,
                      {"\"reconstruct_everything\"",
                       "get_status, set_center, set_slices, get_slice, estimate_center, sweep_center, "
                       "set_processing"}));
  EXPECT_TRUE(IsError(decode_control_request(encode(ScanEnd{1})), ErrorCode::unknown_type, {"\"end\""}));
}

TEST(ControlCodecTest, RequestVersionIsChecked) {
  const Bytes bytes = RawHeader(encode(ControlRequest(GetStatus{}))).set("v", 0).bytes();
  EXPECT_TRUE(IsError(decode_control_request(bytes), ErrorCode::unsupported_version, {"positive int 0", "1"}));
}

// --- replies ---

TEST(ControlCodecTest, EveryReplyVariantRoundTrips) {
  Status without_scan = sample_status();
  without_scan.scan.reset();
  without_scan.counters.clear();
  ScanStatus no_pixel_size = *sample_status().scan;
  no_pixel_size.pixel_size_um.reset();
  Status with_scan_without_pixel_size = sample_status();
  with_scan_without_pixel_size.scan = no_pixel_size;
  Status with_estimate = sample_status();
  with_estimate.scan->center_estimate =
      CenterEstimateResult{"metric", -3.5, 252.0, 0.4, 96, 812.0, false, std::nullopt, std::nullopt};
  Status without_refilter = sample_status();
  without_refilter.scan->refilter.reset();
  without_refilter.processing = ProcessingSetting{};

  const std::vector<Reply> replies = {
      Reply{"get_status", std::nullopt, sample_status()},
      Reply{"get_status", std::nullopt, without_scan},
      Reply{"get_status", std::nullopt, with_scan_without_pixel_size},
      Reply{"get_status", std::nullopt, with_estimate},
      Reply{"get_status", std::nullopt, without_refilter},
      Reply{"set_center", std::nullopt, CenterResult{-1.5, 254.0, 12.25}},
      Reply{"set_center", std::nullopt, CenterResult{-1.5, 254.0, 12.25, 0.5}},
      Reply{"set_slices", std::nullopt, SlicesResult{7, -2.0, 3.5, 0.5}},
      Reply{"get_slice", std::nullopt, sample_slice()},
      Reply{"estimate_center", std::nullopt,
            CenterEstimateResult{"registration", 1.25, 256.75, 0.9, 4, 31.5, true, -0.25, 0.6}},
      Reply{"sweep_center", std::nullopt,
            SweepResult{12, {0, 8, 64, 48}, {-1.0, -0.5, 0.0}, {3.5, 3.25, 3.75}, -0.5, 4.5, 1, {64, 48}}},
      Reply{"sweep_center", std::nullopt,
            SweepResult{12, {0, 8, 63, 47}, {-1.0, -0.5, 0.0}, {3.5, 3.25, 3.75}, -0.5, 4.5, 2, {32, 24}}},
      Reply{"set_processing", std::nullopt,
            ProcessingResult{sample_status().processing, RefilterResult{90, 12.5, 7, 1ULL << 40}}},
      Reply{"set_processing", std::nullopt, ProcessingResult{ProcessingSetting{}, RefilterResult{}}},
      Reply{"reconstruct_volume", std::nullopt, *sample_status().volume},
      Reply{"cancel_volume", std::nullopt, VolumeStatus{}},
      Reply{"record", std::nullopt, *sample_status().recording},
      Reply{"capture", std::nullopt, *sample_status().capture},
      Reply{"sweep_processing", std::nullopt,
            ProcessingSweepResult{SweepParameter::ring_size, 3, {0, 0, 8, 8}, {5.0, 7.0},
                                  {"ring_size 5", "ring_size 7"}, {2.5, 2.25}, 1, 12.5}},
      Reply{"set_oblique_slice", std::nullopt, ObliqueResult{true, {0.0, 0.6, 0.8}, 1.5, {64, 64}, 3.25}},
      Reply{"set_preview", std::nullopt, *sample_status().preview},
      Reply{"set_center", Error{ErrorCode::invalid_argument, "set_center needs exactly one; got both"}, {}},
      Reply{"", Error{ErrorCode::malformed_header, "header is empty (0 bytes)"}, {}},
      Reply{"get_status", std::nullopt, std::monostate{}},
  };
  for (const Reply& reply : replies) {
    SCOPED_TRACE(reply.command + " " + std::to_string(reply.result.index()));
    EXPECT_EQ(round_trip(reply), reply);
  }
}

TEST(ControlCodecTest, CounterOrderIsKept) {
  Status status = sample_status();
  status.counters = {{"zeta", 1}, {"alpha", 2}, {"mu", 3}, {"beta", std::numeric_limits<std::uint64_t>::max()}};
  const Reply reply{"get_status", std::nullopt, status};
  EXPECT_EQ(std::get<Status>(round_trip(reply).result).counters, status.counters);
}

TEST(ControlCodecTest, ReplyWireForm) {
  const RawHeader ok(encode(Reply{"set_slices", std::nullopt, SlicesResult{}}));
  EXPECT_EQ(ok.keys(), (std::vector<std::string>{"v", "type", "command", "ok", "result"}));
  EXPECT_EQ(ok.raw("type"), packed(std::string("reply")));
  EXPECT_EQ(ok.raw("ok"), packed(true));
  EXPECT_EQ(RawHeader(ok.raw("result")).keys(),
            (std::vector<std::string>{"xy_row", "xz_y_px", "yz_x_px", "recompute_ms"}));

  const RawHeader failed(encode(Reply{"get_slice", Error{ErrorCode::internal_error, "boom"}, {}}));
  EXPECT_EQ(failed.keys(), (std::vector<std::string>{"v", "type", "command", "ok", "error"}));
  EXPECT_EQ(failed.raw("ok"), packed(false));
  EXPECT_EQ(RawHeader(failed.raw("error")).raw("code"), packed(std::string("internal_error")));

  const RawHeader status(RawHeader(encode(Reply{"get_status", std::nullopt, sample_status()})).raw("result"));
  EXPECT_EQ(status.keys(), (std::vector<std::string>{"version", "engine", "uptime_s", "counters",
                                                     "rejected_by_reason", "processing", "scan", "security",
                                                     "rdma", "data_sockets", "volume", "recording", "capture",
                                                     "config", "preview", "engine_slabs"}));
  EXPECT_EQ(RawHeader(status.raw("rdma")).keys(),
            (std::vector<std::string>{"endpoints", "memory", "gpudirect", "connections"}));
  EXPECT_EQ(RawHeader(status.raw("volume")).keys(),
            (std::vector<std::string>{"scan_id", "state", "path", "format", "dtype", "shape", "region", "rows",
                                      "binning", "slab_rows", "slabs_total", "slabs_done", "slabs_written",
                                      "bytes_written", "compute_s", "elapsed_s", "error"}));
  const RawHeader scan(status.raw("scan"));
  EXPECT_EQ(RawHeader(scan.raw("memory")).keys(),
            (std::vector<std::string>{"device", "store_precision", "store_bytes", "corrected_store_bytes",
                                      "slice_bytes", "other_bytes", "total_bytes", "available_bytes",
                                      "preview_bytes", "slabs", "fits_one_device"}));
  EXPECT_EQ(RawHeader(status.raw("engine_slabs")).keys(),
            (std::vector<std::string>{"halo_rows", "halo_needed_rows", "edge_rows_approximate", "lost", "slabs"}));
  EXPECT_EQ(RawHeader(status.raw("preview")).keys(),
            (std::vector<std::string>{"enabled", "side", "shape", "binning", "bytes", "budget_bytes", "version",
                                      "published", "interval_s"}));
  EXPECT_EQ(RawHeader(scan.raw("refilter")).keys(),
            (std::vector<std::string>{"reason", "projections", "elapsed_ms", "zingers_replaced", "clamped_values"}));

  const RawHeader processing(status.raw("processing"));
  EXPECT_EQ(processing.keys(),
            (std::vector<std::string>{"window", "zingers", "phase", "rings", "half_acquisition", "defective_pixels"}));
  EXPECT_EQ(processing.raw("window"), packed(std::string("hann")));
  EXPECT_EQ(RawHeader(processing.raw("zingers")).keys(), (std::vector<std::string>{"enabled", "threshold"}));
  EXPECT_EQ(RawHeader(processing.raw("phase")).keys(),
            (std::vector<std::string>{"enabled", "energy_kev", "distance_m", "pixel_size_um", "delta_over_beta"}));
  EXPECT_EQ(RawHeader(processing.raw("rings")).keys(), (std::vector<std::string>{"enabled", "size"}));
  EXPECT_EQ(RawHeader(processing.raw("half_acquisition")).keys(),
            (std::vector<std::string>{"enabled", "detector_col0", "detector_cols"}));

  const RawHeader set_processing(
      RawHeader(encode(Reply{"set_processing", std::nullopt, ProcessingResult{}})).raw("result"));
  EXPECT_EQ(set_processing.keys(), (std::vector<std::string>{"processing", "refilter"}));
  EXPECT_EQ(RawHeader(set_processing.raw("refilter")).keys(),
            (std::vector<std::string>{"projections", "elapsed_ms", "zingers_replaced", "clamped_values"}));
}

TEST(ControlCodecTest, ResultOfAnUnknownCommandIsSkipped) {
  const Bytes bytes = RawHeader(encode(Reply{"set_center", std::nullopt, CenterResult{}}))
                          .set("command", std::string("a_later_command"))
                          .bytes();
  const Expected<Reply> decoded = decode_reply(bytes);
  ASSERT_TRUE(IsOk(decoded));
  EXPECT_EQ(decoded->command, "a_later_command");
  EXPECT_TRUE(decoded->ok());
  EXPECT_TRUE(std::holds_alternative<std::monostate>(decoded->result));
}

TEST(ControlCodecTest, FailedReplyNeedsItsError) {
  const Bytes bytes =
      RawHeader(encode(Reply{"get_slice", Error{ErrorCode::internal_error, "boom"}, {}})).erase("error").bytes();
  EXPECT_TRUE(IsError(decode_reply(bytes), ErrorCode::missing_field, {"\"error\""}));
}

TEST(ControlCodecTest, ReplyFieldsAreChecked) {
  const RawHeader header(encode(Reply{"set_center", std::nullopt, CenterResult{1, 2, 3}}));
  EXPECT_TRUE(IsError(decode_reply(RawHeader(header).erase("ok").bytes()), ErrorCode::missing_field, {"\"ok\""}));
  EXPECT_TRUE(IsError(decode_reply(RawHeader(header).set("ok", 1).bytes()), ErrorCode::wrong_field_type,
                      {"\"ok\"", "positive int 1", "a bool"}));
  EXPECT_TRUE(
      IsError(decode_reply(RawHeader(header).erase("command").bytes()), ErrorCode::missing_field, {"\"command\""}));
  EXPECT_TRUE(IsError(decode_reply(RawHeader(header).set("result", std::vector<double>{1, 2, 3}).bytes()),
                      ErrorCode::wrong_field_type, {"\"result\"", "array of 3 elements", "a map"}));
  const std::string result = RawHeader(header.raw("result")).erase("recompute_ms").packed_map();
  EXPECT_TRUE(IsError(decode_reply(RawHeader(header).set_raw("result", result).bytes()), ErrorCode::missing_field,
                      {"\"result.recompute_ms\""}));
  EXPECT_TRUE(IsError(decode_reply(encode(ControlRequest(GetStatus{}))), ErrorCode::unknown_type,
                      {"\"get_status\"", "reply"}));
}

TEST(ControlCodecTest, SetScanPlanDefaultsAndRules) {
  const Expected<ControlRequest> minimal = decode_control_request(request_bytes("set_scan_plan", {{"n_projections", packed(180)}}));
  ASSERT_TRUE(IsOk(minimal));
  SetScanPlan expected;
  expected.n_projections = 180;
  EXPECT_EQ(std::get<SetScanPlan>(minimal.value()), expected);
  const auto refused = [](const std::vector<std::pair<std::string, std::string>>& fields) {
    return decode_control_request(request_bytes("set_scan_plan", fields));
  };
  EXPECT_TRUE(IsError(refused({}), ErrorCode::missing_field, {"\"n_projections\""}));
  EXPECT_TRUE(IsError(refused({{"n_projections", packed(0)}}), ErrorCode::invalid_argument,
                      {"n_projections = 0", "1..1000000"}));
  EXPECT_TRUE(IsError(refused({{"n_projections", packed(4)}, {"n_darks", packed(20000)}}), ErrorCode::invalid_argument,
                      {"n_darks = 20000"}));
  EXPECT_TRUE(IsError(refused({{"n_projections", packed(4)}, {"n_darks", packed(2)}, {"n_flats", packed(2)},
                               {"first_projection_image_id", packed(3)}}),
                      ErrorCode::invalid_argument, {"first_projection_image_id = 3", ">= 4"}));
  EXPECT_TRUE(IsError(refused({{"n_projections", packed(4)}, {"angle_start_deg", packed(0.0)}}),
                      ErrorCode::invalid_argument, {"angle_start_deg and angle_step_deg go together"}));
  EXPECT_TRUE(IsError(refused({{"n_projections", packed(4)}, {"angle_range_deg", packed(180.0)},
                               {"angles_deg", packed(std::vector<double>{0, 1, 2, 3})}}),
                      ErrorCode::invalid_argument, {"at most one of", "got 2"}));
  EXPECT_TRUE(IsError(refused({{"n_projections", packed(4)}, {"angles_deg", packed(std::vector<double>{0, 1})}}),
                      ErrorCode::invalid_argument, {"angles_deg has 2 angles", "4"}));
  EXPECT_TRUE(IsError(refused({{"n_projections", packed(4)}, {"angle_range_deg", packed(std::nan(""))}}),
                      ErrorCode::invalid_argument, {"angle_range_deg = nan"}));
}

// The per-series form (image_key) and the layout form's own key, with their rules; a key the command does not know
// is refused by name, never ignored (a misspelt count would make another scan).
TEST(ControlCodecTest, SetScanPlanFormsAndUnknownKeys) {
  const auto decoded = [](const std::vector<std::pair<std::string, std::string>>& fields) {
    return decode_control_request(request_bytes("set_scan_plan", fields));
  };
  const Expected<ControlRequest> per_series =
      decoded({{"n_projections", packed(180)}, {"n_darks", packed(4)}, {"image_key", packed(std::string("dark"))},
               {"scan_unique_id", packed(std::string("scan-9"))}});
  ASSERT_TRUE(IsOk(per_series));
  const SetScanPlan& plan = std::get<SetScanPlan>(per_series.value());
  EXPECT_EQ(plan.image_key, FrameKind::dark);
  EXPECT_EQ(plan.scan_unique_id, "scan-9");
  EXPECT_TRUE(IsOk(decoded({{"n_projections", packed(4)},
                            {"layout", packed(std::vector<std::string>{"dark", "flat", "projection"})}})));

  EXPECT_TRUE(IsError(decoded({{"n_projections", packed(4)}, {"image_key", packed(std::string("bright"))}}),
                      ErrorCode::invalid_argument, {"\"image_key\"", "dark, flat or projection"}));
  EXPECT_TRUE(IsError(decoded({{"n_projections", packed(4)}, {"image_key", packed(std::string("flat"))}}),
                      ErrorCode::invalid_argument, {"n_flats = 0"}));
  EXPECT_TRUE(IsError(decoded({{"n_projections", packed(4)}, {"image_key", packed(std::string("projection"))},
                               {"layout", packed(std::vector<std::string>{"dark", "flat", "projection"})}}),
                      ErrorCode::invalid_argument, {"not both"}));
  EXPECT_TRUE(IsError(decoded({{"n_projections", packed(4)}, {"image_key", packed(std::string("projection"))},
                               {"first_projection_image_id", packed(2)}}),
                      ErrorCode::invalid_argument, {"first_projection_image_id belongs to the layout form"}));
  EXPECT_TRUE(IsError(decoded({{"n_projections", packed(4)},
                               {"layout", packed(std::vector<std::string>{"projection", "dark"})}}),
                      ErrorCode::invalid_argument, {"layout must be"}));
  EXPECT_TRUE(IsError(decoded({{"n_projections", packed(4)}, {"n_dark", packed(4)}}), ErrorCode::invalid_argument,
                      {"unknown field \"n_dark\" of set_scan_plan", "n_darks"}));
  // The envelope's keys are not fields: a token is allowed.
  EXPECT_TRUE(IsOk(decoded({{"n_projections", packed(4)}, {"token", packed(std::string("secret"))}})));
}

TEST(ControlCodecTest, DataSocketsAreAListOfMaps) {
  const RawHeader reply(encode(Reply{"get_status", std::nullopt, sample_status()}));
  const RawHeader status(reply.raw("result"));
  const auto with_status = [&](const RawHeader& edited) {
    return decode_reply(RawHeader(reply).set_raw("result", edited.packed_map()).bytes());
  };
  // Absent (an older daemon): no sockets.
  const Expected<Reply> older = with_status(RawHeader(status).erase("data_sockets"));
  ASSERT_TRUE(IsOk(older));
  EXPECT_TRUE(std::get<Status>(older.value().result).data_sockets.empty());
  EXPECT_TRUE(IsError(with_status(RawHeader(status).set("data_sockets", 3)), ErrorCode::wrong_field_type,
                      {"\"result.data_sockets\"", "an array of maps"}));
  EXPECT_TRUE(IsError(with_status(RawHeader(status).set("data_sockets", std::vector<int>{1})),
                      ErrorCode::wrong_field_type, {"\"result.data_sockets.0\"", "a map"}));
  EXPECT_TRUE(IsError(with_status(RawHeader(status).set("data_sockets",
                                                        std::vector<std::map<std::string, int>>{{{"endpoint", 1}}})),
                      ErrorCode::wrong_field_type, {"\"result.data_sockets.0.endpoint\""}));
}

TEST(ControlCodecTest, NestedStatusErrorsNameTheirPath) {
  const RawHeader reply(encode(Reply{"get_status", std::nullopt, sample_status()}));
  const RawHeader status(reply.raw("result"));
  const RawHeader scan(status.raw("scan"));
  const RawHeader memory(scan.raw("memory"));

  const auto with_status = [&](const RawHeader& edited) {
    return decode_reply(RawHeader(reply).set_raw("result", edited.packed_map()).bytes());
  };
  const auto with_scan = [&](const RawHeader& edited) {
    return with_status(RawHeader(status).set_raw("scan", edited.packed_map()));
  };

  EXPECT_TRUE(
      IsError(with_scan(RawHeader(scan).set_raw("memory", RawHeader(memory).erase("total_bytes").packed_map())),
              ErrorCode::missing_field, {"\"result.scan.memory.total_bytes\""}));
  EXPECT_TRUE(IsError(with_scan(RawHeader(scan).set("rows", std::string("4"))), ErrorCode::wrong_field_type,
                      {"\"result.scan.rows\"", "str \"4\""}));
  EXPECT_TRUE(
      IsError(with_scan(RawHeader(scan).erase("memory")), ErrorCode::missing_field, {"\"result.scan.memory\""}));
  EXPECT_TRUE(IsError(with_status(RawHeader(status).set("counters", std::map<std::string, int>{{"frames", -1}})),
                      ErrorCode::wrong_field_type, {"\"result.counters\"", "negative int -1", "\"frames\""}));
  EXPECT_TRUE(IsError(with_status(RawHeader(status).set("rejected_by_reason", std::map<int, int>{{1, 1}})),
                      ErrorCode::wrong_field_type, {"\"result.rejected_by_reason\"", "positive int 1 as a key"}));
  EXPECT_TRUE(
      IsError(with_status(RawHeader(status).erase("uptime_s")), ErrorCode::missing_field, {"\"result.uptime_s\""}));
  const RawHeader processing(status.raw("processing"));
  const std::string bad_rings = RawHeader(processing.raw("rings")).set("size", -1).packed_map();
  EXPECT_TRUE(IsError(with_status(RawHeader(status).set_raw(
                          "processing", RawHeader(processing).set_raw("rings", bad_rings).packed_map())),
                      ErrorCode::wrong_field_type, {"\"result.processing.rings.size\"", "negative int -1"}));
  EXPECT_TRUE(IsError(with_status(RawHeader(status).set_raw(
                          "processing", RawHeader(processing).set("window", std::string("box")).packed_map())),
                      ErrorCode::wrong_field_type, {"\"result.processing.window\"", "\"box\""}));
  EXPECT_TRUE(IsError(with_status(RawHeader(status).erase("processing")), ErrorCode::missing_field,
                      {"\"result.processing\""}));
  EXPECT_TRUE(IsError(with_scan(RawHeader(scan).set_raw(
                          "refilter", RawHeader(scan.raw("refilter")).erase("reason").packed_map())),
                      ErrorCode::missing_field, {"\"result.scan.refilter.reason\""}));
  // "scan" is optional: nil means no scan yet.
  const Expected<Reply> no_scan = with_status(RawHeader(status).set_raw("scan", packed_nil()));
  ASSERT_TRUE(IsOk(no_scan));
  EXPECT_FALSE(std::get<Status>(no_scan->result).scan.has_value());
}

}  // namespace
}  // namespace tomolive::protocol
