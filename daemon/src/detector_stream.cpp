#include "tomolive/daemon/detector_stream.hpp"

#include <exception>
#include <span>
#include <type_traits>

#include <spdlog/fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "tomolive/detector/detector_decoder.hpp"
#include "tomolive/detector/pixel_decoder.hpp"

namespace tomolive::daemon {
namespace {

using protocol::Error;
using protocol::ErrorCode;

}  // namespace

DetectorStream::DetectorStream(const Sinks& sinks, const Options& options)
    : sinks_(sinks), options_(options), release_(sinks.inbox, sinks.socket, options.max_in_flight) {}

DetectorStream::~DetectorStream() { release_.wait_idle(); }

void DetectorStream::receive(detector::StreamFormat format, std::vector<zmq::message_t> parts,
                             std::int64_t received_ns) {
  poll_plans();
  // Shared before decoding: the decoded image points into the parts, which the decode job keeps alive.
  handle(std::make_shared<Received>(Received{format, std::move(parts), received_ns}));
}

void DetectorStream::poll_plans() {
  if (!translator_ || !translator_->waiting_for_plan() || sinks_.plans.posts() == translator_->posts_seen()) return;
  translator_->release_held();
  std::deque<std::shared_ptr<Received>> held = std::move(held_);
  held_.clear();
  for (const auto& message : held) handle(message);
}

void DetectorStream::handle(const std::shared_ptr<Received>& message) {
  std::vector<protocol::ByteView> views;
  views.reserve(message->parts.size());
  for (const zmq::message_t& part : message->parts) {
    views.emplace_back(static_cast<const std::byte*>(part.data()), part.size());
  }
  protocol::Expected<detector::DetectorMessage> decoded =
      detector::decode_message(message->format, views, options_.decode);
  if (!decoded) {
    reject(decoded.error());
    return;
  }
  const detector::DetectorMessage& detector_message = decoded.value();
  if (const auto* ignored = std::get_if<detector::Ignored>(&detector_message)) {
    spdlog::debug("data socket: {} ignored", ignored->what);
    return;
  }
  report_channels(detector_message);
  if (!message->keys_noted) {
    note_ignored_keys(message->format, detector_message);
    message->keys_noted = true;
  }
  SeriesTranslator& translator = translator_for(message->format);
  SeriesTranslator::Result result;
  if (const auto* start = std::get_if<detector::SeriesStart>(&detector_message)) {
    result = translator.on_start(*start);
    if (!result.held && !(result.rejection && result.rejection->scan_refused && !result.drop_held)) {
      mask_ = start->pixel_mask ? std::make_shared<const detector::PixelMask>(*start->pixel_mask) : nullptr;
    }
  } else if (const auto* image = std::get_if<detector::SeriesImage>(&detector_message)) {
    result = translator.on_image(*image);
  } else {
    result = translator.on_end(std::get<detector::SeriesEnd>(detector_message));
  }
  act(result, message, detector_message);
  sinks_.socket.images_held.store(translator.images_held(), std::memory_order_relaxed);
}

void DetectorStream::act(const SeriesTranslator::Result& result, const std::shared_ptr<Received>& message,
                         const detector::DetectorMessage& decoded) {
  const bool is_image = std::holds_alternative<detector::SeriesImage>(decoded);
  if (result.rejection) {
    const SeriesTranslator::Rejection& rejection = *result.rejection;
    if (rejection.scan_refused) bump(sinks_.counters.scans_refused);
    if (result.drop_held) {
      // The held messages, and the image that found the bound full, are refused for the same reason.
      for (std::size_t i = 0; i < held_.size() + (is_image && !result.held ? 1 : 0); ++i) reject(rejection.error);
      held_.clear();
    } else {
      reject(rejection.error, rejection.scan_id, rejection.frame_id);
    }
  }
  if (result.skipped) bump(sinks_.counters.detector_images_skipped);
  if (result.held) {
    if (held_.empty()) {
      bump(sinks_.counters.series_held);
      spdlog::info("data socket: a {} series arrived without a scan plan; holding it until set_scan_plan",
                   detector::to_string(message->format));
    }
    held_.push_back(message);
  }
  for (const SeriesTranslator::Output& output : result.outputs) {
    if (const auto* frame = std::get_if<protocol::FrameHeader>(&output)) {
      detector::EncodedImage image = std::get<detector::SeriesImage>(decoded).image;
      image.rows = frame->rows;  // the translator's reading of the shape (array-1.0's axis order, see there)
      image.cols = frame->cols;
      decode(*frame, image, message);
    } else {
      IngestItem item;
      item.received_ns = message->received_ns;
      item.format = message->format;
      std::visit([&item](const auto& header) { item.header = header; }, output);
      if (const auto* begin = std::get_if<protocol::ScanBegin>(&output)) {
        item.detector_mask = engine_mask(*begin);
        prepare_frame_buffers(sinks_.frame_buffers, *begin);  // before this stream's frames need them
      }
      hand_on(std::move(item));
    }
  }
}

void DetectorStream::report_channels(const detector::DetectorMessage& message) {
  if (const auto* start = std::get_if<detector::SeriesStart>(&message); start && !start->channels.empty()) {
    sinks_.socket.set_dectris_channels(std::nullopt, start->channels);
  } else if (const auto* image = std::get_if<detector::SeriesImage>(&message); image && !image->channels.empty()) {
    sinks_.socket.set_dectris_channels(image->channel, image->channels);
  }
}

void DetectorStream::note_ignored_keys(detector::StreamFormat format, const detector::DetectorMessage& message) {
  std::visit(
      [&](const auto& decoded) {
        if constexpr (requires { decoded.ignored_keys; }) {
          const bool new_series = std::is_same_v<std::decay_t<decltype(decoded)>, detector::SeriesStart>;
          if (decoded.ignored_keys.empty() && !new_series) return;
          bump(sinks_.counters.unknown_keys_ignored, decoded.ignored_keys.size());
          const std::vector<std::string> added = sinks_.socket.note_ignored_keys(decoded.ignored_keys, new_series);
          if (added.empty()) return;
          spdlog::info("data socket: {} series {} carries keys this version does not read, ignored (counted in "
                       "unknown_keys_ignored): {}",
                       detector::to_string(format), decoded.series_id, fmt::join(added, ", "));
        }
      },
      message);
}

std::shared_ptr<const std::vector<std::uint8_t>> DetectorStream::engine_mask(const protocol::ScanBegin& begin) const {
  if (!mask_ || mask_->rows != begin.rows || mask_->cols != begin.cols) return nullptr;
  auto flags = std::make_shared<std::vector<std::uint8_t>>(mask_->flags.size());
  for (std::size_t k = 0; k < flags->size(); ++k) (*flags)[k] = mask_->flags[k] != 0 ? 1 : 0;
  return flags;
}

void DetectorStream::hand_on(IngestItem item) { release_.complete(release_.reserve(), std::move(item)); }

void DetectorStream::decode(const protocol::FrameHeader& frame, const detector::EncodedImage& image,
                            std::shared_ptr<Received> message) {
  const std::uint64_t ticket = release_.reserve();
  sinks_.decoders.submit([this, ticket, frame, image, message = std::move(message), mask = mask_] {
    IngestItem item;
    item.header = frame;
    item.received_ns = message->received_ns;
    item.format = message->format;
    const std::size_t bytes = image.decoded_bytes();
    std::span<std::byte> pixels;
    try {
      if (sinks_.frame_buffers) {
        item.engine_copy = sinks_.frame_buffers->acquire(bytes);
        pixels = {item.engine_copy.data(), bytes};
      } else {
        item.payload = zmq::message_t(bytes);  // malloc'd: aligned for every pixel type
        pixels = {static_cast<std::byte*>(item.payload.data()), bytes};
      }
    } catch (const std::exception& e) {
      reject(Error{ErrorCode::internal_error, "no buffer for a decoded frame of " + std::to_string(bytes) +
                                                  " bytes: " + e.what()},
             frame.scan_id, frame.frame_id);
      release_.complete(ticket, std::nullopt);
      return;
    }
    std::optional<Error> error = detector::decode_pixels(image, pixels);
    std::size_t repaired = 0;
    if (!error && mask) {
      if (mask->rows == image.rows && mask->cols == image.cols) {
        repaired = detector::repair_masked_pixels(pixels, image.dtype, *mask);
        bump(sinks_.counters.masked_pixels_repaired, repaired);
      } else {
        error = Error{ErrorCode::shape_mismatch, "the series' pixel_mask is " + std::to_string(mask->rows) + " x " +
                                                     std::to_string(mask->cols) + ", its image " +
                                                     std::to_string(image.rows) + " x " + std::to_string(image.cols)};
      }
    }
    if (error) {
      reject(*error, frame.scan_id, frame.frame_id);
      release_.complete(ticket, std::nullopt);
    } else {
      if (options_.keep_payload && item.engine_copy) item.payload = zmq::message_t(pixels.data(), pixels.size());
      // The recorder stores a bslz4 image as it came (PROTOCOL.md 18) when it decodes to exactly these pixels.
      if (options_.keep_payload && image.compression == detector::Compression::bslz4 && repaired == 0) {
        item.bslz4 = Bslz4Chunk{std::shared_ptr<const std::byte>(message, image.bytes.data()), image.bytes.size()};
      }
      release_.complete(ticket, std::move(item));
    }
  });
}

void DetectorStream::reject(const Error& error, std::optional<std::uint64_t> scan_id,
                            std::optional<std::uint64_t> frame_id) {
  bump(sinks_.socket.rejected);
  sinks_.reporter.reject(error, scan_id, frame_id);
}

SeriesTranslator& DetectorStream::translator_for(detector::StreamFormat format) {
  if (translator_format_ != format) {
    SeriesTranslator::Options options;
    options.format_name = std::string(detector::to_string(format));
    options.streams = options_.streams;
    options.max_held_images = options_.max_held_images;
    options.implicit_series = format == detector::StreamFormat::array;
    translator_.emplace(sinks_.plans, options);
    translator_format_ = format;
  }
  return *translator_;
}

}  // namespace tomolive::daemon
