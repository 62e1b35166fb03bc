#include "status_rates.hpp"

#include <algorithm>

namespace tomolive::ctl {
namespace {

// The increase of a counter per second; a counter that went down (it cannot, short of a restart) counts as 0.
double per_second(std::uint64_t before, std::uint64_t after, double interval_s) {
  return after > before ? static_cast<double>(after - before) / interval_s : 0.0;
}

}  // namespace

std::uint64_t counter(const protocol::Status& status, std::string_view name) {
  const auto found = std::ranges::find(status.counters, name, &protocol::CounterList::value_type::first);
  return found == status.counters.end() ? 0 : found->second;
}

std::optional<StatusRates> rates_between(const protocol::Status& before, const protocol::Status& after) {
  const double interval_s = after.uptime_s - before.uptime_s;
  if (!(interval_s > 0.0)) return std::nullopt;
  const auto rate = [&](std::string_view name) {
    return per_second(counter(before, name), counter(after, name), interval_s);
  };
  StatusRates rates;
  rates.interval_s = interval_s;
  rates.projections_per_s = rate("projections_accepted");
  rates.frames_per_s = rate("darks_accepted") + rate("flats_accepted") + rates.projections_per_s;
  rates.reconstructed_per_s = rate("projections_reconstructed");
  rates.bytes_per_s = rate("bytes_received");
  rates.slices_per_s = rate("slices_published");
  rates.rejected_per_s = rate("rejected");
  const auto& sockets_before = before.data_sockets;
  const auto& sockets_after = after.data_sockets;
  const bool same_sockets = std::ranges::equal(sockets_before, sockets_after, {}, &protocol::DataSocketStatus::endpoint,
                                               &protocol::DataSocketStatus::endpoint);
  if (same_sockets) {
    for (std::size_t i = 0; i < sockets_after.size(); ++i) {
      rates.socket_bytes_per_s.push_back(per_second(sockets_before[i].bytes, sockets_after[i].bytes, interval_s));
    }
  }
  return rates;
}

}  // namespace tomolive::ctl
