// The simulator's detector-format encoder (tomolive-sim --format), read back with the daemon's own decoders: the
// share of a series each stream sends, and images whose pixels were encoded once (--prerender).
#include "detector_encoder.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <variant>
#include <vector>

#include "tomolive/detector/detector_decoder.hpp"
#include "tomolive/detector/pixel_decoder.hpp"
#include "tomolive/sim/stream_frames.hpp"

namespace tomolive::sim {
namespace {

using detector::Compression;

ScanSpec two_stream_spec() {
  ScanSpec spec;
  spec.rows = 8;
  spec.cols = 16;
  spec.projections_per_turn = 5;
  spec.num_darks = 2;
  spec.num_flats = 1;
  spec.streams = 2;
  spec.scan_id = 7;
  return spec;
}

DetectorEncoding dectris2(Compression compression) {
  DetectorEncoding encoding;
  encoding.format = detector::StreamFormat::dectris2;
  encoding.compression = compression;
  return encoding;
}

detector::DetectorMessage decoded(const EncodedMessage& message) {
  std::vector<protocol::ByteView> parts;
  for (const auto& part : message) parts.emplace_back(part.data(), part.size());
  auto result = detector::decode_message(detector::StreamFormat::dectris2, parts);
  EXPECT_TRUE(result) << (result ? "" : result.error().message);
  return result ? std::move(result).value() : detector::DetectorMessage{detector::Ignored{"undecodable"}};
}

std::vector<std::uint16_t> pixels_of(const detector::SeriesImage& image) {
  std::vector<std::uint16_t> pixels(image.image.rows * image.image.cols);
  const auto error = detector::decode_pixels(image.image, std::as_writable_bytes(std::span(pixels)));
  EXPECT_FALSE(error) << (error ? error->message : "");
  return pixels;
}

// What one stream sends, in order: the encoded messages (which the decoded images point into) and their decoding.
struct StreamMessages {
  std::vector<EncodedMessage> encoded;
  std::vector<detector::DetectorMessage> decoded;
};

StreamMessages stream_messages(const ScanSimulator& scan, std::uint32_t stream_index, Compression compression) {
  DetectorEncoder encoder(scan, dectris2(compression));
  StreamMessages messages;
  for (const std::size_t index : stream_frames(scan, stream_index)) {
    for (EncodedMessage& message : encoder.frame(index, scan.render(index))) {
      messages.encoded.push_back(std::move(message));
    }
  }
  for (EncodedMessage& message : encoder.finish()) messages.encoded.push_back(std::move(message));
  for (const EncodedMessage& message : messages.encoded) messages.decoded.push_back(decoded(message));
  return messages;
}

class EachCompression : public ::testing::TestWithParam<Compression> {};

TEST_P(EachCompression, EachStreamSendsItsOwnStartAndEndAroundItsShareWithTheSeriesImageIds) {
  const ScanSimulator scan(two_stream_spec());
  const std::uint64_t references = 2 + 1;
  for (std::uint32_t stream = 0; stream < 2; ++stream) {
    const StreamMessages sent = stream_messages(scan, stream, GetParam());
    const std::vector<detector::DetectorMessage>& messages = sent.decoded;
    ASSERT_GE(messages.size(), 3u);
    const auto* start = std::get_if<detector::SeriesStart>(&messages.front());
    ASSERT_NE(start, nullptr) << "stream " << stream;
    EXPECT_EQ(start->series_id, 7u);
    EXPECT_EQ(start->number_of_images, scan.frame_count());  // the whole series, on every stream
    EXPECT_EQ(start->user_data.at("layout").size(), 3u);
    const auto* end = std::get_if<detector::SeriesEnd>(&messages.back());
    ASSERT_NE(end, nullptr) << "stream " << stream;
    EXPECT_EQ(end->series_id, 7u);

    std::vector<std::uint64_t> ids;
    for (std::size_t m = 1; m + 1 < messages.size(); ++m) {
      const auto* image = std::get_if<detector::SeriesImage>(&messages[m]);
      ASSERT_NE(image, nullptr) << "stream " << stream << " message " << m;
      EXPECT_EQ(image->image.compression, GetParam());
      EXPECT_EQ(pixels_of(*image), scan.render(image->image_id)) << "image " << image->image_id;
      ids.push_back(image->image_id);
    }
    // Stream 0: the darks, the flats and projections 0, 2, 4; stream 1: projections 1, 3 (image ids after the
    // references, as in the one-stream series).
    const std::vector<std::uint64_t> expected =
        stream == 0 ? std::vector<std::uint64_t>{0, 1, 2, references + 0, references + 2, references + 4}
                    : std::vector<std::uint64_t>{references + 1, references + 3};
    EXPECT_EQ(ids, expected) << "stream " << stream;
  }
}

INSTANTIATE_TEST_SUITE_P(Dectris2, EachCompression, ::testing::Values(Compression::bslz4, Compression::lz4),
                         [](const auto& param_info) {
                           return param_info.param == Compression::bslz4 ? "bslz4" : "lz4";
                         });

TEST(DetectorEncoder, AnImageEncodedOnceIsSentAsTheSameMessageAsOneEncodedForItsFrame) {
  ScanSpec spec = two_stream_spec();
  spec.streams = 1;
  const ScanSimulator scan(spec);
  const PrerenderedProjections prerendered(scan, 2);
  ASSERT_EQ(prerendered.count(), 2u);
  DetectorEncoder once(scan, dectris2(Compression::bslz4));
  DetectorEncoder every(scan, dectris2(Compression::bslz4));
  const std::vector<std::byte> encoded = once.encode_pixels(prerendered.pixels(1));
  const std::size_t first_projection = scan.frame_count() - spec.num_projections();
  // Projection 3 is sent with the pixels of projection 3 mod 2 = 1: as if its frame had those pixels.
  const std::size_t index = first_projection + 3;
  const std::vector<EncodedMessage> reused = once.frame_encoded(index, encoded);
  const std::vector<EncodedMessage> fresh = every.frame(index, prerendered.pixels(1));
  EXPECT_EQ(reused, fresh);
  ASSERT_EQ(reused.size(), 2u);  // the series' start, then the image
  const auto image = std::get<detector::SeriesImage>(decoded(reused[1]));
  EXPECT_EQ(image.image_id, index);
  const auto pixels = prerendered.pixels(1);
  EXPECT_EQ(pixels_of(image), std::vector<std::uint16_t>(pixels.begin(), pixels.end()));
}

}  // namespace
}  // namespace tomolive::sim
