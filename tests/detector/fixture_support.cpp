#include "fixture_support.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace tomolive::detector::testing_support {

std::vector<protocol::ByteView> Fixture::views() const {
  std::vector<protocol::ByteView> out;
  for (const auto& part : parts) out.emplace_back(part.data(), part.size());
  return out;
}

std::string fixture_dir() { return TOMOLIVE_DETECTOR_FIXTURES; }

std::vector<std::byte> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open fixture " + path + " (run the detector_make_fixtures test)");
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(bytes.size());
  if (!bytes.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

namespace {
template <typename T>
T read_le(const std::vector<std::byte>& bytes, std::size_t& offset) {
  if (offset + sizeof(T) > bytes.size()) throw std::runtime_error("fixture message truncated");
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  offset += sizeof(T);
  return value;
}
}  // namespace

Fixture load_fixture(const std::string& name) {
  const std::string base = fixture_dir() + "/" + name;
  Fixture fixture;
  fixture.name = name;
  const auto message = read_file(base + ".msg");
  std::size_t offset = 0;
  const auto count = read_le<std::uint32_t>(message, offset);
  for (std::uint32_t i = 0; i < count; ++i) {
    const auto size = static_cast<std::size_t>(read_le<std::uint64_t>(message, offset));
    if (offset + size > message.size()) throw std::runtime_error("fixture part truncated: " + name);
    fixture.parts.emplace_back(message.begin() + static_cast<std::ptrdiff_t>(offset),
                               message.begin() + static_cast<std::ptrdiff_t>(offset + size));
    offset += size;
  }
  const auto json_bytes = read_file(base + ".json");
  fixture.expect = nlohmann::json::parse(reinterpret_cast<const char*>(json_bytes.data()),
                                         reinterpret_cast<const char*>(json_bytes.data()) + json_bytes.size());
  if (std::filesystem::exists(base + ".pixels")) fixture.pixels = read_file(base + ".pixels");
  return fixture;
}

std::vector<std::string> fixture_names() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(fixture_dir())) {
    if (entry.path().extension() == ".msg") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace tomolive::detector::testing_support
