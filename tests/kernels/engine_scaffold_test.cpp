// The scaffolding both engines share: slot bookkeeping (engine_slots.hpp), frame checks (frame_checks.hpp) and
// pixel-type dispatch (pixel_dispatch.hpp).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <numbers>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "test_support.hpp"
#include "tomolive/kernels/engine_slots.hpp"
#include "tomolive/kernels/frame_checks.hpp"
#include "tomolive/kernels/pixel_dispatch.hpp"

namespace tomolive::kernels {
namespace {

using testing::expect_engine_error;

std::vector<std::uint32_t> occupied_slots(const EngineSlots& slots) {
  std::vector<std::uint32_t> visited;
  slots.for_each_occupied([&](std::uint32_t slot) { visited.push_back(slot); });
  return visited;
}

TEST(EngineSlots, StartEmpty) {
  EngineSlots slots;
  slots.reset(4);
  EXPECT_EQ(slots.slots(), 4u);
  EXPECT_EQ(slots.count(), 0u);
  for (std::uint32_t s = 0; s < 4; ++s) {
    EXPECT_FALSE(slots.occupied(s));
    EXPECT_FALSE(slots.angle_rad(s).has_value());
    EXPECT_FALSE(slots.outgoing(s).has_value());
  }
  EXPECT_TRUE(occupied_slots(slots).empty());
}

TEST(EngineSlots, RecordKeepsTheAngleInBothForms) {
  EngineSlots slots;
  slots.reset(3);
  const float angle = std::numbers::pi_v<float> / 3;
  const ProjectionAngle recorded = slots.record(1, angle);
  EXPECT_EQ(recorded.cos_t, projection_angle(angle).cos_t);
  EXPECT_EQ(recorded.sin_t, projection_angle(angle).sin_t);
  EXPECT_TRUE(slots.occupied(1));
  EXPECT_EQ(slots.angle(1).cos_t, recorded.cos_t);
  EXPECT_EQ(slots.angle_rad(1), angle);
  EXPECT_EQ(slots.count(), 1u);
}

// A sliding window: recording into an occupied slot replaces its projection; outgoing() names the replaced angle
// beforehand, and the count does not grow.
TEST(EngineSlots, ReplacingASlotKeepsTheCountAndNamesTheOutgoingAngle) {
  EngineSlots slots;
  slots.reset(2);
  slots.record(0, 0.5f);
  slots.record(1, 1.f);
  const std::optional<ProjectionAngle> outgoing = slots.outgoing(0);
  ASSERT_TRUE(outgoing.has_value());
  EXPECT_EQ(outgoing->cos_t, projection_angle(0.5f).cos_t);
  EXPECT_EQ(outgoing->sin_t, projection_angle(0.5f).sin_t);
  slots.record(0, 2.f);
  EXPECT_EQ(slots.count(), 2u);
  EXPECT_EQ(slots.angle_rad(0), 2.f);
  EXPECT_EQ(slots.outgoing(0)->cos_t, projection_angle(2.f).cos_t);
}

// Passes over the store visit the occupied slots in increasing slot order, whatever the order they were filled in.
TEST(EngineSlots, OccupiedSlotsAreVisitedInSlotOrder) {
  EngineSlots slots;
  slots.reset(8);
  for (const std::uint32_t s : {6u, 1u, 4u, 0u}) slots.record(s, 0.f);
  EXPECT_EQ(occupied_slots(slots), (std::vector<std::uint32_t>{0, 1, 4, 6}));
}

TEST(EngineSlots, ResetEmptiesEverySlot) {
  EngineSlots slots;
  slots.reset(3);
  slots.record(2, 1.f);
  slots.reset(3);
  EXPECT_EQ(slots.count(), 0u);
  EXPECT_FALSE(slots.occupied(2));
  EXPECT_FALSE(slots.angle_rad(2).has_value());
  slots.reset(5);
  EXPECT_EQ(slots.slots(), 5u);
  EXPECT_TRUE(occupied_slots(slots).empty());
}

class FrameChecks : public ::testing::Test {
 protected:
  FrameView frame(std::uint32_t rows, std::uint32_t cols, PixelType type = PixelType::uint16) {
    return FrameView{pixels_.data(), type, rows, cols};
  }
  ScanGeometry geometry_{4, 6, 10, std::numbers::pi_v<float> / 10, {}, {}};
  std::vector<std::uint16_t> pixels_ = std::vector<std::uint16_t>(4 * 6);
};

TEST_F(FrameChecks, AcceptsMatchingFramesOfEveryPixelType) {
  for (const PixelType type : {PixelType::uint8, PixelType::uint16, PixelType::uint32, PixelType::float32}) {
    EXPECT_NO_THROW(check_frame(frame(4, 6, type), geometry_, "dark"));
    EXPECT_NO_THROW(check_reference_frame(frame(4, 6, type), geometry_, 0, "flat"));
    EXPECT_NO_THROW(check_projection_frame(9, 0.5f, frame(4, 6, type), geometry_));
  }
}

TEST_F(FrameChecks, NameTheWrongShapeTheMissingDataAndTheUnknownPixelType) {
  expect_engine_error([&] { check_frame(frame(5, 6), geometry_, "dark"); },
                      "dark frame is 5 x 6 but the scan's detector is 4 x 6 (rows x cols)");
  expect_engine_error([&] { check_frame(FrameView{nullptr, PixelType::uint16, 4, 6}, geometry_, "flat"); },
                      "flat frame has no data");
  expect_engine_error([&] { check_frame(frame(4, 6, static_cast<PixelType>(9)), geometry_, "projection"); },
                      "projection frame: unknown pixel type 9");
}

TEST_F(FrameChecks, ReferencesMustComeBeforeTheFirstProjection) {
  expect_engine_error([&] { check_reference_frame(frame(4, 6), geometry_, 3, "dark"); },
                      "dark frame after 3 projection(s): darks and flats must come before the first projection");
  // The order comes first: a late frame of the wrong shape is refused for being late.
  expect_engine_error([&] { check_reference_frame(frame(5, 6), geometry_, 1, "flat"); }, "flat frame after 1");
}

TEST_F(FrameChecks, ProjectionsCheckSlotThenAngleThenFrame) {
  expect_engine_error([&] { check_projection_frame(10, 0.f, frame(4, 6), geometry_); },
                      "slot 10 out of range: the scan has 10 slots (0..9)");
  expect_engine_error([&] { check_projection_frame(10, std::numeric_limits<float>::quiet_NaN(), frame(5, 6),
                                                   geometry_); },
                      "slot 10");
  expect_engine_error([&] { check_projection_frame(0, std::numeric_limits<float>::infinity(), frame(5, 6),
                                                   geometry_); },
                      "projection angle inf rad is not a finite number");
  expect_engine_error([&] { check_projection_frame(0, 0.f, frame(4, 7), geometry_); }, "projection frame is 4 x 7");
}

template <class T>
constexpr std::size_t size_of(std::type_identity<T>) {
  return sizeof(T);
}

TEST(PixelDispatch, MapsEveryPixelTypeToItsCppType) {
  const auto is = [](PixelType type, auto expected) {
    return visit_pixel_type(type, [&]<class T>(std::type_identity<T>) {
      return std::is_same_v<T, typename decltype(expected)::type>;
    });
  };
  EXPECT_TRUE(is(PixelType::uint8, std::type_identity<std::uint8_t>{}));
  EXPECT_TRUE(is(PixelType::uint16, std::type_identity<std::uint16_t>{}));
  EXPECT_TRUE(is(PixelType::uint32, std::type_identity<std::uint32_t>{}));
  EXPECT_TRUE(is(PixelType::float32, std::type_identity<float>{}));
  for (const PixelType type : {PixelType::uint8, PixelType::uint16, PixelType::uint32, PixelType::float32}) {
    EXPECT_EQ(visit_pixel_type(type, [](auto t) { return size_of(t); }), pixel_bytes(type));
  }
}

// An unknown value is refused with an EngineError naming it; the callable is never called.
TEST(PixelDispatch, RefusesAnUnknownValueNamingIt) {
  bool called = false;
  expect_engine_error([&] { visit_pixel_type(static_cast<PixelType>(4), [&](auto) { called = true; }); },
                      "unknown pixel type 4 (expected 0 uint8, 1 uint16, 2 uint32 or 3 float32)");
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace tomolive::kernels
