// DetectorStream: what one data socket does with the messages of a detector stream (DECTRIS Stream V2/V1,
// array-1.0; the native protocol stays with ZmqIngest). On the receive thread it decodes each message's header
// (detector::decode_message), translates series into native scan messages (SeriesTranslator) and holds a series
// that waits for a scan plan; the images' pixels are decoded on the FrameDecodePool, straight into the engine's
// frame buffers (FrameBufferPool) or a fresh aligned buffer, masked pixels repaired (the start's pixel_mask,
// counted in masked_pixels_repaired), and handed to the EngineInbox in receive order (OrderedRelease). The Stream V2
// channels of each start and image go to the socket's counters (the status shows them), and so do the keys the
// decoder does not read (counted, the first names of each series listed and logged; PROTOCOL.md 16.8).
// Every refusal goes through the EventReporter and the socket's counters.
// Not thread-safe: receive() and poll_plans() are called by the socket's receive thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include <zmq.hpp>

#include "tomolive/daemon/counters.hpp"
#include "tomolive/daemon/data_socket_counters.hpp"
#include "tomolive/daemon/engine_inbox.hpp"
#include "tomolive/daemon/event_reporter.hpp"
#include "tomolive/daemon/frame_buffer_pool.hpp"
#include "tomolive/daemon/frame_decode_pool.hpp"
#include "tomolive/daemon/ordered_release.hpp"
#include "tomolive/daemon/scan_plan_board.hpp"
#include "tomolive/daemon/series_translator.hpp"
#include "tomolive/detector/detector_decoder.hpp"
#include "tomolive/detector/stream_format.hpp"

namespace tomolive::daemon {

class DetectorStream {
 public:
  struct Sinks {
    EngineInbox& inbox;
    EventReporter& reporter;
    DaemonCounters& counters;
    DataSocketCounters& socket;
    FrameBufferPool* frame_buffers;  // may be null: frames go into fresh ZeroMQ messages
    FrameDecodePool& decoders;
    ScanPlanBoard& plans;
  };
  struct Options {
    std::uint32_t streams = 1;          // data sockets one scan arrives on (ScanBegin::streams)
    std::size_t max_held_images = 256;  // per series waiting for a plan
    std::size_t max_in_flight = 64;     // items reserved and not yet handed to the inbox
    // Also leave each decoded frame in IngestItem::payload when it was decoded into a frame buffer (a copy on the
    // decode pool): persistence records the decoded frame without holding the engine's buffers. A bslz4 image whose
    // decoded pixels need no mask repair also keeps its compressed bytes (IngestItem::bslz4, no copy).
    bool keep_payload = false;
    detector::DecodeOptions decode;  // the Stream V2 channel taken
  };

  DetectorStream(const Sinks& sinks, const Options& options);
  // Waits until every image already received has been decoded and handed on.
  ~DetectorStream();
  DetectorStream(const DetectorStream&) = delete;
  DetectorStream& operator=(const DetectorStream&) = delete;

  // One received message (all its parts) in `format` (not native); received_ns: when it arrived (Unix epoch).
  void receive(detector::StreamFormat format, std::vector<zmq::message_t> parts, std::int64_t received_ns);
  // Waits until every image already received has been decoded and handed on.
  void drain() { release_.wait_idle(); }
  // Gives a held series its messages again once a plan has been posted since it was held.
  void poll_plans();

 private:
  struct Received {  // a message as held for want of a plan
    detector::StreamFormat format;
    std::vector<zmq::message_t> parts;
    std::int64_t received_ns = 0;
    bool keys_noted = false;  // its ignored keys are counted (a held message is decoded again when released)
  };

  void handle(const std::shared_ptr<Received>& message);
  void act(const SeriesTranslator::Result& result, const std::shared_ptr<Received>& message,
           const detector::DetectorMessage& decoded);
  void reject(const protocol::Error& error, std::optional<std::uint64_t> scan_id = std::nullopt,
              std::optional<std::uint64_t> frame_id = std::nullopt);
  void hand_on(IngestItem item);
  // Tells the socket's counters the Stream V2 channels of a start or image.
  void report_channels(const detector::DetectorMessage& message);
  // Counts the keys of a start, image or end that the decoder does not read (unknown_keys_ignored), notes the first
  // distinct names of the series in the socket's counters (the status) and logs the new ones with the format.
  void note_ignored_keys(detector::StreamFormat format, const detector::DetectorMessage& message);
  // The current series' pixel mask as the engine takes it (one byte a pixel, 1 = defective), when it has the begin's
  // shape; else nullptr. The detector library repairs the masked pixels' counts as well (mask_repair), so the two
  // agree; the engine's repair (in transmission, before -log) is the one that counts.
  std::shared_ptr<const std::vector<std::uint8_t>> engine_mask(const protocol::ScanBegin& begin) const;
  // Queues the image of `message` for decoding as `frame`.
  void decode(const protocol::FrameHeader& frame, const detector::EncodedImage& image,
              std::shared_ptr<Received> message);
  SeriesTranslator& translator_for(detector::StreamFormat format);

  Sinks sinks_;
  const Options options_;
  OrderedRelease release_;
  std::optional<detector::StreamFormat> translator_format_;
  std::optional<SeriesTranslator> translator_;
  std::shared_ptr<const detector::PixelMask> mask_;  // the current series' pixel_mask, if any
  std::deque<std::shared_ptr<Received>> held_;       // the series waiting for a plan, start first
};

}  // namespace tomolive::daemon
