#include "tomolive/daemon/auto_center_schedule.hpp"

#include <algorithm>

namespace tomolive::daemon {

AutoCenterSchedule::AutoCenterSchedule(std::uint32_t slots)
    : next_try_at_(slots / 2 + slots % 2), retry_step_(std::max<std::uint32_t>(1, slots / 10)), done_(false) {}

}  // namespace tomolive::daemon
