#include "reply_json.hpp"

#include <stdexcept>

#include <nlohmann/json.hpp>

namespace tomolive::ctl {

std::string reply_json(const protocol::Bytes& reply) {
  try {
    const auto* begin = reinterpret_cast<const std::uint8_t*>(reply.data());
    return nlohmann::ordered_json::from_msgpack(begin, begin + reply.size())
        .dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("the reply (" + std::to_string(reply.size()) + " bytes) is not msgpack: " + e.what());
  }
}

}  // namespace tomolive::ctl
