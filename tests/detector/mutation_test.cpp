// A bounded mutation loop over every fixture (fixed seed, so a failure replays): random byte flips, truncations,
// dropped and duplicated parts. Every result must be a message or an Error, never a crash or a read out of bounds
// (the sanitizer builds check the latter); accepted images must also survive decode_pixels.
#include <gtest/gtest.h>

#include <random>

#include "fixture_support.hpp"
#include "tomolive/detector/detector_decoder.hpp"
#include "tomolive/detector/pixel_decoder.hpp"

namespace tomolive::detector {
namespace {

constexpr int kMutationsPerFixture = 150;

void mutate(std::vector<std::vector<std::byte>>& parts, std::mt19937& random) {
  if (parts.empty()) return;
  auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(random); };
  auto& part = parts[pick(parts.size())];
  switch (pick(5)) {
    case 0:  // flip a few bytes
    case 1:
      for (std::size_t i = 0, n = 1 + pick(4); i < n && !part.empty(); ++i) {
        part[pick(part.size())] ^= static_cast<std::byte>(1 + pick(255));
      }
      break;
    case 2:  // truncate
      part.resize(part.empty() ? 0 : pick(part.size()));
      break;
    case 3:  // drop a part
      parts.erase(parts.begin() + static_cast<std::ptrdiff_t>(pick(parts.size())));
      break;
    default:  // duplicate a part
      parts.push_back(parts[pick(parts.size())]);
      break;
  }
}

TEST(Mutation, MutatedFixturesGiveMessagesOrErrors) {
  std::mt19937 random(20261207);
  std::size_t accepted = 0, refused = 0;
  for (const auto& name : testing_support::fixture_names()) {
    const auto fixture = testing_support::load_fixture(name);
    const auto format = parse_stream_format(fixture.expect.at("format").get<std::string>()).value();
    for (int i = 0; i < kMutationsPerFixture; ++i) {
      auto parts = fixture.parts;
      mutate(parts, random);
      std::vector<protocol::ByteView> views;
      for (const auto& part : parts) views.emplace_back(part.data(), part.size());
      (void)detect_format(views);
      const auto message = decode_message(format, views);
      if (!message.ok()) {
        EXPECT_FALSE(message.error().message.empty()) << name;
        ++refused;
        continue;
      }
      ++accepted;
      if (const auto* image = std::get_if<SeriesImage>(&message.value())) {
        std::vector<std::byte> pixels(image->image.decoded_bytes());
        const auto error = decode_pixels(image->image, pixels);
        if (error) {
          EXPECT_FALSE(error->message.empty()) << name;
        }
      }
    }
  }
  EXPECT_GT(accepted, 0u);
  EXPECT_GT(refused, 0u);
}

}  // namespace
}  // namespace tomolive::detector
