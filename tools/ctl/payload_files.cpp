#include "payload_files.hpp"

#include <span>
#include <stdexcept>
#include <vector>

#include <spdlog/fmt/fmt.h>

#include "tomolive/sim/npy.hpp"

namespace tomolive::ctl {
namespace {

std::string write_floats(const std::optional<zmq::message_t>& payload, const std::vector<std::size_t>& shape,
                         const std::string& path) {
  std::size_t values = 1;
  for (const auto side : shape) values *= side;
  if (!payload || payload->size() != values * sizeof(float)) {
    throw std::runtime_error(fmt::format("the reply's float32 part is {} bytes, expected {} ({})",
                                         payload ? payload->size() : 0, values * sizeof(float),
                                         fmt::join(shape, " x ")));
  }
  sim::write_npy(path, std::span<const float>(static_cast<const float*>(payload->data()), values), shape);
  return fmt::format("wrote {} ({})", path, fmt::join(shape, " x "));
}

}  // namespace

std::optional<std::string> write_payload(const protocol::Reply& reply, const std::optional<zmq::message_t>& payload,
                                         const std::string& path) {
  if (const auto* slice = std::get_if<protocol::SliceUpdate>(&reply.result)) {
    return write_floats(payload, {slice->rows, slice->cols}, path);
  }
  if (const auto* sweep = std::get_if<protocol::SweepResult>(&reply.result)) {
    return write_floats(payload, {sweep->centers_px.size(), sweep->shape[0], sweep->shape[1]}, path);
  }
  if (const auto* sweep = std::get_if<protocol::ProcessingSweepResult>(&reply.result)) {
    return write_floats(payload, {sweep->labels.size(), sweep->region[2], sweep->region[3]}, path);
  }
  return std::nullopt;
}

}  // namespace tomolive::ctl
