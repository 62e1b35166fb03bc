// SeriesTranslator: turns one data socket's detector series (SeriesStart, SeriesImage, SeriesEnd of a DECTRIS or
// array-1.0 stream) into the daemon's native scan messages (ScanBegin, FrameHeader, ScanEnd), using a ScanPlan
// (PROTOCOL.md "Scan plans"): from the start's user_data, else from the ScanPlanBoard (set_scan_plan, --scan-plan).
//
// A state machine without sockets or pixels: each call says what to hand on, in order, what to refuse and why, and
// whether to hold the message. A series that finds no plan is held: the caller keeps its messages (at most
// max_held_images images) and gives them again, start first, when the board's posts() changes; past the bound the
// series is refused and the caller refuses the held messages with the reason given.
//
// Scan ids: the plan's scan_unique_id, else the start's series_unique_id, read by scan_id_of; else the series id.
// Frames: layout form by image id (darks, flats, then projections from first_projection_image_id; the images
// between the flats and first_projection_image_id are skipped, counted); per-series form: the series' kind, frame
// id = image id; an image's own "image_key" overrides either and takes the next id of its kind (0, 1, ... in
// arrival order). Projection angles: the goniometer's omega (start + image id * increment, degrees) when the start
// gives it, else the plan's. Timestamps: the image's own (Stream V2), else the start's date plus the image's series
// time (Stream V1), else none. Not thread-safe: owned by one socket's receive thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "tomolive/daemon/scan_plan.hpp"
#include "tomolive/daemon/scan_plan_board.hpp"
#include "tomolive/detector/detector_message.hpp"
#include "tomolive/protocol/messages.hpp"

namespace tomolive::daemon {

class SeriesTranslator {
 public:
  struct Options {
    std::string format_name = "detector";  // for messages and default scan names ("dectris2", "array", ...)
    std::uint32_t streams = 1;             // ScanBegin::streams: the data sockets one scan arrives on
    std::size_t max_held_images = 256;     // images held for want of a plan before the series is refused
    // array-1.0 has no start or end: the first image starts a series (its header may carry the plan's keys), and
    // the series ends with the plan's last image (series_images()).
    bool implicit_series = false;
  };

  // One message hands on, in order: a begin, frames (each: decode this message's image as this frame), an end.
  using Output = std::variant<protocol::ScanBegin, protocol::FrameHeader, protocol::ScanEnd>;
  struct Rejection {
    protocol::Error error;
    std::optional<std::uint64_t> scan_id;
    std::optional<std::uint64_t> frame_id;
    bool scan_refused = false;  // a whole series was refused (counted in scans_refused)
  };
  struct Result {
    std::vector<Output> outputs;
    std::optional<Rejection> rejection;
    bool held = false;       // keep this message and give it again when a plan is posted
    bool drop_held = false;  // refuse the held messages (rejection says why) and forget them
    bool skipped = false;    // an image the plan leaves out (between the flats and the first projection)
  };

  SeriesTranslator(ScanPlanBoard& plans, Options options);

  Result on_start(const detector::SeriesStart& start);
  Result on_image(const detector::SeriesImage& image);
  Result on_end(const detector::SeriesEnd& end);

  // Whether a series is held for want of a plan: the caller gives its messages again once the board's posts()
  // has changed since the series was held (see posts_seen()).
  bool waiting_for_plan() const { return phase_ == Phase::waiting; }
  std::uint64_t posts_seen() const { return posts_seen_; }
  // Forgets the held series, so that its messages can be given again from its start.
  void release_held();
  std::size_t images_held() const { return phase_ == Phase::waiting ? images_held_ : 0; }

 private:
  enum class Phase { idle, waiting, active, refused };
  struct Shape {
    std::uint32_t rows = 0, cols = 0;
    protocol::Dtype dtype = protocol::Dtype::uint16;
  };
  struct Series {
    std::uint64_t series_id = 0;
    ScanPlan plan;
    std::optional<Shape> shape;
    std::optional<double> omega_start_deg, omega_increment_deg;
    std::optional<std::int64_t> date_ns;  // what the images' series times count from (SeriesStart::date_ns)
    std::uint64_t images = 0;  // images received
  };
  struct Scan {
    std::uint64_t scan_id = 0;
    std::string unique_id;
    std::optional<protocol::ScanBegin> pending_begin;  // until the first image tells the shape
    std::optional<Shape> shape;                        // once begun
    std::array<std::uint32_t, 3> next_override_id{};   // per kind, for images with their own image_key
  };

  Result start_series(const detector::SeriesStart& start);
  // Ends the series (and its scan, unless more series of a per-series scan follow) into `result`.
  void finish_series(Result& result);
  void open_scan(const detector::SeriesStart& start, const ScanPlan& plan, Result& result);
  void end_scan(Result& result);
  Result refuse_series(protocol::Error error);
  // The image's kind and frame id; nullopt (with `result` saying why) when it is refused or skipped.
  std::optional<std::pair<protocol::FrameKind, std::uint64_t>> place(const detector::SeriesImage& image,
                                                                      Result& result);

  ScanPlanBoard& plans_;
  const Options options_;
  Phase phase_ = Phase::idle;
  std::optional<Series> series_;
  std::optional<Scan> scan_;
  std::string refused_reason_;
  std::uint64_t held_series_id_ = 0;
  std::size_t images_held_ = 0;
  std::uint64_t posts_seen_ = 0;
};

}  // namespace tomolive::daemon
