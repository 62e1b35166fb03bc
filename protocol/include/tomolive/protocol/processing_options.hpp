// The text forms of set_processing's fields (PROTOCOL.md 10.5) that command lines take: tomolived's options
// (--filter-window, --zingers, --phase, --rings) and tomolive-ctl set-processing. One parser for both, so that the
// daemon and its client read the same text alike. Only the form is checked here (names, numbers, how many); the
// daemon judges the ranges. Errors are invalid_argument, their message naming the text and the form expected.
// Pure functions, thread-safe.
#pragma once

#include <string_view>

#include "tomolive/protocol/expected.hpp"
#include "tomolive/protocol/messages.hpp"

namespace tomolive::protocol {

// NAME: one of the six window names.
Expected<FilterWindow> parse_window_text(std::string_view text);
// THRESHOLD (a number: enabled with it) or "off" (disabled, the threshold kept).
Expected<ZingersUpdate> parse_zingers_text(std::string_view text);
// ENERGY_KEV,DISTANCE_M,PIXEL_UM,DELTA_OVER_BETA (four numbers: enabled with them) or "off".
Expected<PhaseUpdate> parse_phase_text(std::string_view text);
// SIZE (an unsigned integer: enabled with it) or "off".
Expected<RingsUpdate> parse_rings_text(std::string_view text);

}  // namespace tomolive::protocol
