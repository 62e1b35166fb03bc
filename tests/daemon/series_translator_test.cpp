// SeriesTranslator and ScanPlan: detector series into native scans, without sockets or pixels.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tomolive/daemon/scan_plan.hpp"
#include "tomolive/daemon/scan_plan_board.hpp"
#include "tomolive/daemon/series_translator.hpp"

namespace tomolive::daemon {
namespace {

using detector::SeriesEnd;
using detector::SeriesImage;
using detector::SeriesStart;
using protocol::ErrorCode;
using protocol::FrameKind;
using Json = nlohmann::json;

constexpr std::uint32_t kRows = 4, kCols = 6;

SeriesStart start_of(std::uint64_t series_id, Json user_data, std::optional<std::uint64_t> images = std::nullopt) {
  SeriesStart start;
  start.series_id = series_id;
  start.number_of_images = images;
  start.image_rows = kRows;
  start.image_cols = kCols;
  start.dtype = protocol::Dtype::uint16;
  start.user_data = std::move(user_data);
  return start;
}

SeriesImage image_of(std::uint64_t series_id, std::uint64_t image_id, Json user_data = nullptr,
                     std::uint32_t rows = kRows) {
  SeriesImage image;
  image.series_id = series_id;
  image.image_id = image_id;
  image.image.rows = rows;
  image.image.cols = kCols;
  image.image.dtype = protocol::Dtype::uint16;
  image.user_data = std::move(user_data);
  return image;
}

Json layout_plan(std::uint32_t darks, std::uint32_t flats, std::uint32_t projections) {
  return {{"layout", {"dark", "flat", "projection"}},
          {"n_darks", darks},
          {"n_flats", flats},
          {"n_projections", projections},
          {"angle_range_deg", 180.0}};
}

// The frames of a result: kind and frame id.
std::vector<std::pair<FrameKind, std::uint64_t>> frames_of(const SeriesTranslator::Result& result) {
  std::vector<std::pair<FrameKind, std::uint64_t>> frames;
  for (const auto& output : result.outputs) {
    if (const auto* frame = std::get_if<protocol::FrameHeader>(&output)) frames.emplace_back(frame->kind, frame->frame_id);
  }
  return frames;
}

template <typename T>
const T* only(const SeriesTranslator::Result& result) {
  if (result.outputs.size() != 1) return nullptr;
  return std::get_if<T>(&result.outputs.front());
}

class SeriesTranslatorTest : public ::testing::Test {
 protected:
  SeriesTranslator make(bool implicit_series = false, std::size_t max_held = 3) {
    SeriesTranslator::Options options;
    options.format_name = "dectris2";
    options.implicit_series = implicit_series;
    options.max_held_images = max_held;
    return SeriesTranslator(board, options);
  }
  ScanPlanBoard board;
};

TEST_F(SeriesTranslatorTest, OneSeriesHoldsDarksFlatsAndProjections) {
  SeriesTranslator translator = make();
  const auto started = translator.on_start(start_of(7, layout_plan(2, 1, 4), 7));
  ASSERT_FALSE(started.rejection);
  const auto* begin = only<protocol::ScanBegin>(started);
  ASSERT_NE(begin, nullptr);
  EXPECT_EQ(begin->scan_id, 7u);  // no unique id: the series id
  EXPECT_EQ(begin->rows, kRows);
  EXPECT_EQ(begin->cols, kCols);
  EXPECT_EQ(begin->num_darks, 2u);
  EXPECT_EQ(begin->num_flats, 1u);
  EXPECT_EQ(begin->num_projections, 4u);
  EXPECT_EQ(begin->angles, protocol::AngleSpec(protocol::AngleRange{0.0, 45.0}));
  std::vector<std::pair<FrameKind, std::uint64_t>> frames;
  for (std::uint64_t id = 0; id < 7; ++id) {
    const auto result = translator.on_image(image_of(7, id));
    ASSERT_FALSE(result.rejection) << result.rejection->error.message;
    for (const auto& frame : frames_of(result)) frames.push_back(frame);
  }
  EXPECT_EQ(frames, (std::vector<std::pair<FrameKind, std::uint64_t>>{{FrameKind::dark, 0},
                                                                      {FrameKind::dark, 1},
                                                                      {FrameKind::flat, 0},
                                                                      {FrameKind::projection, 0},
                                                                      {FrameKind::projection, 1},
                                                                      {FrameKind::projection, 2},
                                                                      {FrameKind::projection, 3}}));
  const auto ended = translator.on_end(SeriesEnd{7, {}});
  const auto* end = only<protocol::ScanEnd>(ended);
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->scan_id, 7u);
}

TEST_F(SeriesTranslatorTest, GoniometerOmegaGivesTheAngles) {
  SeriesTranslator translator = make();
  SeriesStart start = start_of(1, layout_plan(1, 1, 2));
  start.omega_start_deg = 10.0;
  start.omega_increment_deg = 0.5;
  const auto started = translator.on_start(start);
  const auto* begin = only<protocol::ScanBegin>(started);
  ASSERT_NE(begin, nullptr);
  EXPECT_EQ(begin->angles, protocol::AngleSpec(protocol::AngleRange{11.0, 0.5}));  // the first projection: image 2
  (void)translator.on_image(image_of(1, 0));
  (void)translator.on_image(image_of(1, 1));
  const auto third = translator.on_image(image_of(1, 3));
  const auto* frame = only<protocol::FrameHeader>(third);
  ASSERT_NE(frame, nullptr);
  EXPECT_EQ(frame->kind, FrameKind::projection);
  EXPECT_EQ(frame->frame_id, 1u);
  EXPECT_EQ(frame->angle_deg, 11.5);
}

// A frame's timestamp_ns: the image's own (Stream V2), else the start's date plus the image's series time (Stream
// V1), else none.
TEST_F(SeriesTranslatorTest, TimestampsComeFromTheImageOrTheSeriesDate) {
  constexpr std::int64_t kDate = 1'796'637'600'000'000'000;  // 2026-12-07T10:00:00Z, ns
  SeriesTranslator translator = make();
  SeriesStart start = start_of(1, layout_plan(1, 1, 2));
  start.date_ns = kDate;
  (void)translator.on_start(start);
  const auto timestamp_of = [&](SeriesImage image) -> std::optional<std::int64_t> {
    const auto result = translator.on_image(image);
    for (const auto& output : result.outputs) {
      if (const auto* frame = std::get_if<protocol::FrameHeader>(&output)) return frame->timestamp_ns;
    }
    ADD_FAILURE() << "no frame for image " << image.image_id;
    return std::nullopt;
  };
  SeriesImage own = image_of(1, 0);
  own.timestamp_ns = 42;
  own.series_time_ns = 5'000'000;  // the image's own timestamp wins
  EXPECT_EQ(timestamp_of(own), 42);
  SeriesImage relative = image_of(1, 1);
  relative.series_time_ns = 5'000'000;
  EXPECT_EQ(timestamp_of(relative), kDate + 5'000'000);
  EXPECT_EQ(timestamp_of(image_of(1, 2)), std::nullopt);

  // A series whose start tells no date: a series time alone gives no timestamp.
  SeriesTranslator undated = make();
  (void)undated.on_start(start_of(2, layout_plan(1, 1, 2)));
  SeriesImage lone = image_of(2, 0);
  lone.series_time_ns = 5'000'000;
  const auto result = undated.on_image(lone);
  bool framed = false;
  for (const auto& output : result.outputs) {
    if (const auto* frame = std::get_if<protocol::FrameHeader>(&output)) {
      framed = true;
      EXPECT_FALSE(frame->timestamp_ns.has_value());
    }
  }
  EXPECT_TRUE(framed);
}

TEST_F(SeriesTranslatorTest, ThreeSeriesInARowMakeOneScan) {
  SeriesTranslator translator = make();
  const auto per_series = [](const char* key) {
    return Json{{"image_key", key}, {"scan_unique_id", "42"}, {"n_darks", 1}, {"n_flats", 2}, {"n_projections", 3},
                {"angle_range_deg", 180.0}};
  };
  const auto started = translator.on_start(start_of(1, per_series("dark"), 1));
  ASSERT_FALSE(started.rejection) << started.rejection->error.message;
  const auto* begin = only<protocol::ScanBegin>(started);
  ASSERT_NE(begin, nullptr);
  EXPECT_EQ(begin->scan_id, 42u);
  EXPECT_EQ(frames_of(translator.on_image(image_of(1, 0))), (decltype(frames_of({})){{FrameKind::dark, 0}}));
  EXPECT_TRUE(translator.on_end(SeriesEnd{1, {}}).outputs.empty());  // the scan goes on
  EXPECT_TRUE(translator.on_start(start_of(2, per_series("flat"), 2)).outputs.empty());
  EXPECT_EQ(frames_of(translator.on_image(image_of(2, 1))), (decltype(frames_of({})){{FrameKind::flat, 1}}));
  EXPECT_TRUE(translator.on_end(SeriesEnd{2, {}}).outputs.empty());
  EXPECT_TRUE(translator.on_start(start_of(3, per_series("projection"), 3)).outputs.empty());
  const auto image = translator.on_image(image_of(3, 2));
  ASSERT_EQ(frames_of(image), (decltype(frames_of({})){{FrameKind::projection, 2}}));
  EXPECT_EQ(std::get<protocol::FrameHeader>(image.outputs.front()).scan_id, 42u);
  const auto ended = translator.on_end(SeriesEnd{3, {}});
  const auto* end = only<protocol::ScanEnd>(ended);
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end->scan_id, 42u);
}

TEST_F(SeriesTranslatorTest, AnImagesOwnKeyOverridesThePlan) {
  SeriesTranslator translator = make();
  (void)translator.on_start(start_of(1, layout_plan(0, 0, 4)));
  EXPECT_EQ(frames_of(translator.on_image(image_of(1, 0, {{"image_key", "flat"}}))),
            (decltype(frames_of({})){{FrameKind::flat, 0}}));
  EXPECT_EQ(frames_of(translator.on_image(image_of(1, 1, {{"image_key", "flat"}}))),
            (decltype(frames_of({})){{FrameKind::flat, 1}}));
  const auto wrong = translator.on_image(image_of(1, 2, {{"image_key", "bright"}}));
  ASSERT_TRUE(wrong.rejection);
  EXPECT_EQ(wrong.rejection->error.code, ErrorCode::invalid_argument);
  EXPECT_NE(wrong.rejection->error.message.find("\"bright\""), std::string::npos);
}

TEST_F(SeriesTranslatorTest, ImagesBetweenTheFlatsAndTheFirstProjectionAreSkipped) {
  SeriesTranslator translator = make();
  Json plan = layout_plan(1, 0, 2);
  plan["first_projection_image_id"] = 3;
  const auto started = translator.on_start(start_of(1, plan, 5));
  ASSERT_FALSE(started.rejection) << started.rejection->error.message;
  EXPECT_EQ(frames_of(translator.on_image(image_of(1, 0))), (decltype(frames_of({})){{FrameKind::dark, 0}}));
  const auto skipped = translator.on_image(image_of(1, 1));
  EXPECT_TRUE(skipped.skipped);
  EXPECT_TRUE(skipped.outputs.empty());
  EXPECT_FALSE(skipped.rejection);
  EXPECT_EQ(frames_of(translator.on_image(image_of(1, 3))), (decltype(frames_of({})){{FrameKind::projection, 0}}));
  const auto beyond = translator.on_image(image_of(1, 5));
  ASSERT_TRUE(beyond.rejection);
  EXPECT_EQ(beyond.rejection->error.code, ErrorCode::frame_id_out_of_range);
}

TEST_F(SeriesTranslatorTest, ShapeUnknownAtStartComesWithTheFirstImage) {
  SeriesTranslator translator = make();
  SeriesStart start = start_of(1, layout_plan(0, 0, 2));
  start.image_rows.reset();
  start.image_cols.reset();
  EXPECT_TRUE(translator.on_start(start).outputs.empty());
  const auto first = translator.on_image(image_of(1, 0));
  ASSERT_EQ(first.outputs.size(), 2u);
  const auto& begin = std::get<protocol::ScanBegin>(first.outputs[0]);
  EXPECT_EQ(begin.rows, kRows);
  EXPECT_TRUE(std::holds_alternative<protocol::FrameHeader>(first.outputs[1]));
}

TEST_F(SeriesTranslatorTest, BadSequencesAreRefusedAndTheNextSeriesWorks) {
  SeriesTranslator translator = make();
  const auto early = translator.on_image(image_of(1, 0));
  ASSERT_TRUE(early.rejection);
  EXPECT_EQ(early.rejection->error.code, ErrorCode::no_active_scan);
  EXPECT_NE(early.rejection->error.message.find("without its series' start"), std::string::npos);
  const auto lone_end = translator.on_end(SeriesEnd{1, {}});
  ASSERT_TRUE(lone_end.rejection);
  EXPECT_EQ(lone_end.rejection->error.code, ErrorCode::no_active_scan);

  // Counts that disagree with the plan: the series is refused, its images too.
  const auto refused = translator.on_start(start_of(2, layout_plan(1, 1, 4), 9));
  ASSERT_TRUE(refused.rejection);
  EXPECT_TRUE(refused.rejection->scan_refused);
  EXPECT_EQ(refused.rejection->error.code, ErrorCode::invalid_geometry);
  EXPECT_NE(refused.rejection->error.message.find("announces 9 images"), std::string::npos);
  EXPECT_NE(refused.rejection->error.message.find("expects 6"), std::string::npos);
  const auto orphan = translator.on_image(image_of(2, 0));
  ASSERT_TRUE(orphan.rejection);
  EXPECT_NE(orphan.rejection->error.message.find("refused series"), std::string::npos);
  EXPECT_TRUE(translator.on_end(SeriesEnd{2, {}}).outputs.empty());

  // A shape that differs from the start.
  ASSERT_NE(only<protocol::ScanBegin>(translator.on_start(start_of(3, layout_plan(0, 0, 2), 2))), nullptr);
  const auto wrong_shape = translator.on_image(image_of(3, 0, nullptr, kRows + 1));
  ASSERT_TRUE(wrong_shape.rejection);
  EXPECT_EQ(wrong_shape.rejection->error.code, ErrorCode::shape_mismatch);
  EXPECT_EQ(frames_of(translator.on_image(image_of(3, 0))), (decltype(frames_of({})){{FrameKind::projection, 0}}));
  const auto other_series = translator.on_image(image_of(4, 1));
  ASSERT_TRUE(other_series.rejection);
  EXPECT_EQ(other_series.rejection->error.code, ErrorCode::scan_id_mismatch);
  EXPECT_NE(only<protocol::ScanEnd>(translator.on_end(SeriesEnd{3, {}})), nullptr);
}

TEST_F(SeriesTranslatorTest, ABareSeriesWaitsForAPlan) {
  SeriesTranslator translator = make();
  const SeriesStart start = start_of(5, nullptr, 3);
  const auto held = translator.on_start(start);
  EXPECT_TRUE(held.held);
  EXPECT_TRUE(held.outputs.empty());
  EXPECT_TRUE(translator.on_image(image_of(5, 0)).held);
  EXPECT_EQ(translator.images_held(), 1u);
  EXPECT_EQ(translator.posts_seen(), board.posts());

  protocol::SetScanPlan command;
  command.n_flats = 1;
  command.n_projections = 2;
  board.post(plan_from_command(command));
  EXPECT_NE(translator.posts_seen(), board.posts());
  translator.release_held();  // the caller gives the held messages again, start first
  const auto replayed = translator.on_start(start);
  const auto* begin = only<protocol::ScanBegin>(replayed);
  ASSERT_NE(begin, nullptr);
  EXPECT_EQ(begin->num_flats, 1u);
  EXPECT_EQ(frames_of(translator.on_image(image_of(5, 0))), (decltype(frames_of({})){{FrameKind::flat, 0}}));

  // The posted plan was taken by series 5: the next bare series waits again.
  (void)translator.on_end(SeriesEnd{5, {}});
  EXPECT_TRUE(translator.on_start(start_of(6, nullptr)).held);
}

// set_scan_plan in the per-series form: one post gives a bare detector's three series in a row (darks, flats,
// projections) their kinds, and they make one scan; the projections series uses the post up.
TEST_F(SeriesTranslatorTest, APostedPerSeriesPlanMakesThreeBareSeriesOneScan) {
  SeriesTranslator translator = make();
  protocol::SetScanPlan command;
  command.image_key = FrameKind::dark;
  command.scan_unique_id = "42";
  command.n_darks = 1;
  command.n_flats = 2;
  command.n_projections = 3;
  ASSERT_FALSE(protocol::check_scan_plan(command));
  board.post(plan_from_command(command));

  std::vector<std::pair<FrameKind, std::uint64_t>> frames;
  std::size_t begins = 0, ends = 0;
  const auto collect = [&](const SeriesTranslator::Result& result) {
    ASSERT_FALSE(result.rejection) << result.rejection->error.message;
    ASSERT_FALSE(result.held);
    for (const auto& frame : frames_of(result)) frames.push_back(frame);
    for (const auto& output : result.outputs) {
      if (std::holds_alternative<protocol::ScanBegin>(output)) ++begins;
      if (const auto* end = std::get_if<protocol::ScanEnd>(&output)) {
        ++ends;
        EXPECT_EQ(end->scan_id, 42u);
      }
    }
  };
  for (const auto& [series, images] : {std::pair{1u, 1u}, std::pair{2u, 2u}, std::pair{3u, 3u}}) {
    collect(translator.on_start(start_of(series, nullptr, images)));
    for (std::uint64_t id = 0; id < images; ++id) collect(translator.on_image(image_of(series, id)));
    collect(translator.on_end(SeriesEnd{series, {}}));
  }
  EXPECT_EQ(frames, (std::vector<std::pair<FrameKind, std::uint64_t>>{{FrameKind::dark, 0},
                                                                      {FrameKind::flat, 0},
                                                                      {FrameKind::flat, 1},
                                                                      {FrameKind::projection, 0},
                                                                      {FrameKind::projection, 1},
                                                                      {FrameKind::projection, 2}}));
  EXPECT_EQ(begins, 1u);
  EXPECT_EQ(ends, 1u);
  EXPECT_TRUE(translator.on_start(start_of(4, nullptr)).held) << "the post is used up";
}

// --scan-plan-per-series: the standing plan gives every scan's series their kinds in turn, scan after scan; the
// same series on another data socket (the same key) gets the same kind.
TEST(ScanPlanBoard, AStandingPerSeriesPlanCyclesThroughTheKinds) {
  protocol::SetScanPlan command;
  command.image_key = FrameKind::flat;  // no darks
  command.n_flats = 2;
  command.n_projections = 3;
  ScanPlanBoard board(plan_from_command(command));
  std::vector<FrameKind> kinds;
  for (const char* key : {"1/", "1/", "2/", "3/", "4/"}) kinds.push_back(*board.take(key)->series_kind);
  EXPECT_EQ(kinds, (std::vector<FrameKind>{FrameKind::flat, FrameKind::flat, FrameKind::projection, FrameKind::flat,
                                           FrameKind::projection}));
}

TEST_F(SeriesTranslatorTest, AHeldSeriesIsRefusedAtTheBound) {
  SeriesTranslator translator = make(false, 2);
  EXPECT_TRUE(translator.on_start(start_of(5, nullptr)).held);
  EXPECT_TRUE(translator.on_image(image_of(5, 0)).held);
  EXPECT_TRUE(translator.on_image(image_of(5, 1)).held);
  const auto full = translator.on_image(image_of(5, 2));
  EXPECT_FALSE(full.held);
  EXPECT_TRUE(full.drop_held);
  ASSERT_TRUE(full.rejection);
  EXPECT_TRUE(full.rejection->scan_refused);
  EXPECT_NE(full.rejection->error.message.find("set_scan_plan"), std::string::npos);
  EXPECT_EQ(translator.images_held(), 0u);
}

TEST_F(SeriesTranslatorTest, ImplicitSeriesEndWithThePlansLastImage) {
  protocol::SetScanPlan command;
  command.n_darks = 1;
  command.n_projections = 2;
  ScanPlanBoard standing(plan_from_command(command));
  SeriesTranslator::Options options;
  options.format_name = "array";
  options.implicit_series = true;
  SeriesTranslator translator(standing, options);
  const auto first = translator.on_image(image_of(0, 0));
  ASSERT_EQ(first.outputs.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<protocol::ScanBegin>(first.outputs[0]));
  EXPECT_EQ(frames_of(first), (decltype(frames_of({})){{FrameKind::dark, 0}}));
  EXPECT_EQ(translator.on_image(image_of(0, 1)).outputs.size(), 1u);
  const auto last = translator.on_image(image_of(0, 2));
  ASSERT_EQ(last.outputs.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<protocol::ScanEnd>(last.outputs[1]));
  // The standing plan serves the next series too.
  EXPECT_TRUE(std::holds_alternative<protocol::ScanBegin>(translator.on_image(image_of(0, 0)).outputs.front()));
}

TEST_F(SeriesTranslatorTest, AnArrayImageInTheOtherAxisOrderIsTheScansShape) {
  SeriesTranslator translator = make();
  ASSERT_NE(only<protocol::ScanBegin>(translator.on_start(start_of(1, layout_plan(0, 0, 2)))), nullptr);
  SeriesImage transposed = image_of(1, 0);
  std::swap(transposed.image.rows, transposed.image.cols);
  transposed.shape_order_by_convention = true;
  const auto result = translator.on_image(transposed);
  ASSERT_FALSE(result.rejection) << result.rejection->error.message;
  const auto& frame = std::get<protocol::FrameHeader>(result.outputs.front());
  EXPECT_EQ(frame.rows, kRows);
  EXPECT_EQ(frame.cols, kCols);
  transposed.image_id = 1;
  transposed.shape_order_by_convention = false;  // a DECTRIS image says its order: no swap
  const auto refused = translator.on_image(transposed);
  ASSERT_TRUE(refused.rejection);
  EXPECT_EQ(refused.rejection->error.code, ErrorCode::shape_mismatch);
}

TEST(ScanPlanTest, UserDataKeysAreChecked) {
  EXPECT_FALSE(plan_from_user_data(nullptr).value().has_value());
  EXPECT_FALSE(plan_from_user_data(Json{{"operator", "x"}}).value().has_value());
  const auto refused = [](Json user_data) { return plan_from_user_data(user_data).error(); };
  Json plan = layout_plan(1, 1, 4);
  plan["n_projections"] = "4";
  EXPECT_NE(refused(plan).message.find("\"n_projections\""), std::string::npos);
  plan = layout_plan(1, 1, 4);
  plan["layout"] = Json::array({"projection", "dark"});
  EXPECT_NE(refused(plan).message.find("\"layout\""), std::string::npos);
  plan = layout_plan(1, 1, 0);
  EXPECT_NE(refused(plan).message.find("n_projections = 0"), std::string::npos);
  const Json per_series{{"image_key", "dark"}, {"n_darks", 0}, {"n_projections", 4}};
  EXPECT_NE(refused(per_series).message.find("n_darks = 0"), std::string::npos) << refused(per_series).message;
  EXPECT_EQ(refused(per_series).code, ErrorCode::invalid_argument);
}

TEST(ScanPlanTest, ScanIdsFromUniqueIds) {
  EXPECT_EQ(scan_id_of(""), std::nullopt);
  EXPECT_EQ(scan_id_of("1234"), 1234u);
  const std::optional<std::uint64_t> hashed = scan_id_of("scan-2027-03-01-a");
  ASSERT_TRUE(hashed);
  EXPECT_LT(*hashed, std::uint64_t{1} << 53);
  EXPECT_EQ(hashed, scan_id_of("scan-2027-03-01-a"));
  EXPECT_NE(hashed, scan_id_of("scan-2027-03-01-b"));
  EXPECT_LT(*scan_id_of("18446744073709551615"), std::uint64_t{1} << 53);  // beyond 2^53: hashed
}

}  // namespace
}  // namespace tomolive::daemon
