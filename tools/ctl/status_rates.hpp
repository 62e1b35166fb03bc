// Rates from two successive get_status replies (PROTOCOL.md 10.3): counter differences over the difference of the
// daemon's uptime, so that the daemon's clock, not the client's, measures the interval.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "tomolive/protocol/messages.hpp"

namespace tomolive::ctl {

struct StatusRates {
  double interval_s = 0.0;             // daemon uptime between the two replies, seconds
  double projections_per_s = 0.0;      // projections_accepted
  double frames_per_s = 0.0;           // darks, flats and projections accepted
  double reconstructed_per_s = 0.0;    // projections_reconstructed
  double bytes_per_s = 0.0;            // bytes_received (all data sockets)
  double slices_per_s = 0.0;           // slices_published
  double rejected_per_s = 0.0;         // rejected
  std::vector<double> socket_bytes_per_s;  // per data socket, in the status's order; empty when the sockets differ
};

// A counter of `status` by name; 0 when the daemon does not report it.
std::uint64_t counter(const protocol::Status& status, std::string_view name);

// The rates from `before` to `after`; nullopt when the daemon's uptime did not advance or went back (a restart).
std::optional<StatusRates> rates_between(const protocol::Status& before, const protocol::Status& after);

}  // namespace tomolive::ctl
