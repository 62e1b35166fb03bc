// Loading the fixtures make_fixtures.py writes (see there for the file layout), and small helpers shared by the
// detector tests.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tomolive/protocol/codec.hpp"

namespace tomolive::detector::testing_support {

struct Fixture {
  std::string name;
  std::vector<std::vector<std::byte>> parts;
  nlohmann::json expect;
  std::optional<std::vector<std::byte>> pixels;

  // Views of the parts, as a receiver hands them to decode_message.
  std::vector<protocol::ByteView> views() const;
};

std::string fixture_dir();
std::vector<std::byte> read_file(const std::string& path);
Fixture load_fixture(const std::string& name);
// Names (without extension) of the message fixtures, sorted.
std::vector<std::string> fixture_names();

}  // namespace tomolive::detector::testing_support
