// DetectorEncoder: a simulated scan's messages in a detector's own stream format (tomolive-sim --format), so that the
// demo and the benchmarks can speak DECTRIS Stream V2 (CBOR, bslz4/lz4/raw images), Stream V1 (multipart JSON) and
// array-1.0 (JSON header + blob) as PROTOCOL.md "Detector streams" describes them. The scan plan ("Scan plans")
// travels in the start's user_data (V2), the header appendix (V1) or the first image's header (array-1.0), unless
// the encoding is bare: then the daemon needs set_scan_plan or --scan-plan. Compression uses the detector library's
// encoders (bitshuffle + LZ4 in the HDF5-filter framing). Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "tomolive/detector/detector_message.hpp"
#include "tomolive/detector/stream_format.hpp"
#include "tomolive/sim/scan_simulator.hpp"

namespace tomolive::sim {

struct DetectorEncoding {
  detector::StreamFormat format = detector::StreamFormat::dectris2;  // not native
  detector::Compression compression = detector::Compression::bslz4;  // none, bslz4 or lz4 (V1 and array: no lz4)
  bool three_series = false;  // dectris2/dectris1: darks, flats and projections as three series, one scan
  bool user_data = true;      // the plan in the stream; false: a bare detector
};

// One multipart message: its parts' bytes.
using EncodedMessage = std::vector<std::vector<std::byte>>;

class DetectorEncoder {
 public:
  // `scan` outlives the encoder. Precondition: frames are given in scan order (frame_at's indices increasing): all of
  // them, or one stream's share (sim::stream_frames). One series (the layout form): each stream sends its own start
  // (announcing the whole series) and end, and its frames keep their image ids, as a detector with several PUSH
  // sockets does (PROTOCOL.md "Scan plans", Streams). Three series: one stream only.
  DetectorEncoder(const ScanSimulator& scan, DetectorEncoding encoding);

  // The image data of `pixels` as the encoding sends it: compressed (bslz4, lz4) or the raw little-endian bytes.
  std::vector<std::byte> encode_pixels(std::span<const std::uint16_t> pixels) const;
  // The messages of frame `index` (rendered `pixels`), with the series starts and ends due before and after it.
  std::vector<EncodedMessage> frame(std::size_t index, std::span<const std::uint16_t> pixels);
  // The same for image data encode_pixels() made earlier (copied into the message): prerendered projections are
  // compressed once and sent many times.
  std::vector<EncodedMessage> frame_encoded(std::size_t index, std::span<const std::byte> data);
  // The end of the series open after the frames sent (none for array-1.0, which has no ends).
  std::vector<EncodedMessage> finish();

 private:
  struct Series {
    std::uint64_t id = 0;
    std::uint64_t images = 0;
    std::optional<protocol::FrameKind> kind;  // three series: the series' kind
  };
  EncodedMessage start_message(const Series& series) const;
  EncodedMessage image_message(const Series& series, std::uint64_t image_id, std::span<const std::byte> data,
                               bool first_of_scan) const;
  EncodedMessage end_message(const Series& series) const;
  // The series frame `index` belongs to and its image id in it.
  std::pair<Series, std::uint64_t> place(std::size_t index) const;

  const ScanSimulator& scan_;
  const DetectorEncoding encoding_;
  std::optional<Series> open_;
};

}  // namespace tomolive::sim
