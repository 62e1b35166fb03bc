// The text forms of set_processing's fields that tomolived's options and tomolive-ctl take.
#include "tomolive/protocol/processing_options.hpp"

#include <gtest/gtest.h>

#include "codec_test_support.hpp"

namespace tomolive::protocol {
namespace {

using testing_support::IsError;

TEST(ProcessingOptions, WindowByName) {
  EXPECT_EQ(parse_window_text("hann").value(), FilterWindow::hann);
  EXPECT_EQ(parse_window_text("shepp-logan").value(), FilterWindow::shepp_logan);
  EXPECT_TRUE(IsError(parse_window_text("Hann"), ErrorCode::invalid_argument,
                      {"\"Hann\"", "ram-lak, shepp-logan, cosine, hamming, hann, parzen"}));
}

TEST(ProcessingOptions, ZingersAreAThresholdOrOff) {
  EXPECT_EQ(parse_zingers_text("0.3").value(), (ZingersUpdate{true, 0.3}));
  EXPECT_EQ(parse_zingers_text("off").value(), (ZingersUpdate{false, std::nullopt}));
  // The form only: a threshold out of range is the daemon's to refuse.
  EXPECT_EQ(parse_zingers_text("-1").value(), (ZingersUpdate{true, -1.0}));
  for (const char* text : {"", "0.3x", "on", "0.3,0.4", " 0.3"}) {
    EXPECT_TRUE(IsError(parse_zingers_text(text), ErrorCode::invalid_argument, {"THRESHOLD", "or off"})) << text;
  }
}

TEST(ProcessingOptions, PhaseIsFourNumbersOrOff) {
  EXPECT_EQ(parse_phase_text("20,0.1,1.5,100").value(), (PhaseUpdate{true, 20.0, 0.1, 1.5, 100.0}));
  EXPECT_EQ(parse_phase_text("off").value(), (PhaseUpdate{false, {}, {}, {}, {}}));
  for (const char* text :
       {"", "20,0.1,1", "20,0.1,1,100,5", "20,0.1,,100", "20,0.1,1,100,", "20;0.1;1;100", "x,1,1,1"}) {
    EXPECT_TRUE(IsError(parse_phase_text(text), ErrorCode::invalid_argument,
                        {"ENERGY_KEV,DISTANCE_M,PIXEL_UM,DELTA_OVER_BETA", "four numbers"}))
        << text;
  }
}

TEST(ProcessingOptions, RingsAreASizeOrOff) {
  EXPECT_EQ(parse_rings_text("21").value(), (RingsUpdate{true, 21u}));
  EXPECT_EQ(parse_rings_text("off").value(), (RingsUpdate{false, std::nullopt}));
  EXPECT_EQ(parse_rings_text("20").value(), (RingsUpdate{true, 20u}));  // even: the daemon refuses it
  for (const char* text : {"", "21.0", "-21", "4294967296", "twenty-one"}) {
    EXPECT_TRUE(IsError(parse_rings_text(text), ErrorCode::invalid_argument, {"SIZE", "or off"})) << text;
  }
}

}  // namespace
}  // namespace tomolive::protocol
