#include "tomolive/daemon/series_translator.hpp"

#include <limits>
#include <utility>

#include "tomolive/protocol/codec.hpp"

namespace tomolive::daemon {
namespace {

using protocol::Error;
using protocol::ErrorCode;
using protocol::FrameKind;

std::string series_key(const detector::SeriesStart& start) {
  return std::to_string(start.series_id) + "/" + start.series_unique_id;
}

std::string shape_text(std::uint32_t rows, std::uint32_t cols, protocol::Dtype dtype) {
  return std::to_string(rows) + " x " + std::to_string(cols) + " " + std::string(protocol::to_string(dtype));
}

}  // namespace

SeriesTranslator::SeriesTranslator(ScanPlanBoard& plans, Options options)
    : plans_(plans), options_(std::move(options)) {}

SeriesTranslator::Result SeriesTranslator::on_start(const detector::SeriesStart& start) {
  Result result;
  if (phase_ == Phase::active) finish_series(result);  // a start without the previous series' end
  if (phase_ == Phase::waiting) {
    result.drop_held = true;
    result.rejection = Rejection{Error{ErrorCode::no_active_scan,
                                       options_.format_name + " series " + std::to_string(held_series_id_) +
                                           " was held for want of a scan plan and is superseded by series " +
                                           std::to_string(start.series_id)},
                                 std::nullopt, std::nullopt, true};
    phase_ = Phase::idle;
  }
  Result started = start_series(start);
  result.outputs.insert(result.outputs.end(), started.outputs.begin(), started.outputs.end());
  if (started.rejection) result.rejection = started.rejection;
  result.held = started.held;
  return result;
}

SeriesTranslator::Result SeriesTranslator::start_series(const detector::SeriesStart& start) {
  Result result;
  protocol::Expected<std::optional<ScanPlan>> own = plan_from_user_data(start.user_data);
  if (!own) return refuse_series(own.error());
  posts_seen_ = plans_.posts();
  std::optional<ScanPlan> plan = std::move(own).value();
  if (!plan) plan = plans_.take(series_key(start));
  if (!plan) {
    phase_ = Phase::waiting;
    held_series_id_ = start.series_id;
    images_held_ = 0;
    result.held = true;
    return result;
  }
  if (start.number_of_images && *start.number_of_images != plan->series_images()) {
    return refuse_series(Error{ErrorCode::invalid_geometry,
              options_.format_name + " series " + std::to_string(start.series_id) + " announces " +
                  std::to_string(*start.number_of_images) + " images; its scan plan expects " +
                  std::to_string(plan->series_images()) +
                  (plan->series_kind ? " (n_" + std::string(protocol::to_string(*plan->series_kind)) + "s)"
                                     : " (first_projection_image_id + n_projections)")});
  }
  Series series;
  series.series_id = start.series_id;
  series.plan = *plan;
  if (start.image_rows && start.image_cols && start.dtype) {
    series.shape = Shape{*start.image_rows, *start.image_cols, *start.dtype};
  }
  series.omega_start_deg = start.omega_start_deg;
  series.date_ns = start.date_ns;
  series.omega_increment_deg = start.omega_increment_deg;
  const bool joins_open_scan = scan_ && plan->series_kind && plan->scan_unique_id == scan_->unique_id;
  if (scan_ && !joins_open_scan) end_scan(result);
  series_ = std::move(series);
  phase_ = Phase::active;
  if (!scan_) open_scan(start, *plan, result);
  if (result.rejection) return result;
  if (scan_->shape && series_->shape &&
      (scan_->shape->rows != series_->shape->rows || scan_->shape->cols != series_->shape->cols ||
       scan_->shape->dtype != series_->shape->dtype)) {
    const Shape scan_shape = *scan_->shape;
    Result refused = refuse_series(Error{ErrorCode::shape_mismatch,
                               options_.format_name + " series " + std::to_string(start.series_id) + " has images of " +
                                   shape_text(series_->shape->rows, series_->shape->cols, series_->shape->dtype) +
                                   ", the scan it joins " +
                                   shape_text(scan_shape.rows, scan_shape.cols, scan_shape.dtype)});
    result.rejection = refused.rejection;
  }
  return result;
}

void SeriesTranslator::open_scan(const detector::SeriesStart& start, const ScanPlan& plan, Result& result) {
  Scan scan;
  std::optional<std::uint64_t> id = scan_id_of(plan.scan_unique_id);
  if (!id) id = scan_id_of(start.series_unique_id);
  scan.scan_id = id.value_or(start.series_id);
  scan.unique_id = plan.scan_unique_id;
  protocol::ScanBegin begin;
  begin.scan_id = scan.scan_id;
  begin.name = !plan.name.empty()                   ? plan.name
               : !start.series_unique_id.empty()    ? start.series_unique_id
                                                    : options_.format_name + " series " + std::to_string(start.series_id);
  begin.num_darks = plan.n_darks;
  begin.num_flats = plan.n_flats;
  begin.num_projections = plan.n_projections;
  begin.angles = plan.angles;
  if (start.omega_start_deg && start.omega_increment_deg && plan.series_kind != FrameKind::dark &&
      plan.series_kind != FrameKind::flat) {
    const double first = plan.series_kind ? 0.0 : static_cast<double>(plan.first_projection_image_id);
    begin.angles = protocol::AngleRange{*start.omega_start_deg + first * *start.omega_increment_deg,
                                        *start.omega_increment_deg};
  }
  begin.streams = options_.streams;
  begin.center_offset_px = plan.center_offset_px;
  scan.pending_begin = std::move(begin);
  scan_ = std::move(scan);
  if (series_->shape) {
    scan_->pending_begin->rows = series_->shape->rows;
    scan_->pending_begin->cols = series_->shape->cols;
    scan_->pending_begin->dtype = series_->shape->dtype;
    if (std::optional<Error> invalid = protocol::check_geometry(*scan_->pending_begin)) {
      scan_.reset();
      result.rejection = refuse_series(*invalid).rejection;
      return;
    }
    scan_->shape = series_->shape;
    result.outputs.emplace_back(std::move(*scan_->pending_begin));
    scan_->pending_begin.reset();
  }
}

SeriesTranslator::Result SeriesTranslator::on_image(const detector::SeriesImage& image) {
  Result result;
  if (phase_ == Phase::idle && options_.implicit_series) {
    detector::SeriesStart start;
    start.series_id = image.series_id;
    start.user_data = image.user_data;
    result = start_series(start);
    if (result.held || result.rejection) {
      if (result.held) ++images_held_;
      return result;
    }
  }
  const std::string what = options_.format_name + " image " + std::to_string(image.image_id) + " of series " +
                           std::to_string(image.series_id);
  switch (phase_) {
    case Phase::idle:
      result.rejection = Rejection{
          Error{ErrorCode::no_active_scan, what + " arrived without its series' start"}, std::nullopt, std::nullopt};
      return result;
    case Phase::refused:
      result.rejection = Rejection{
          Error{ErrorCode::no_active_scan, what + " belongs to a refused series: " + refused_reason_}, std::nullopt,
          std::nullopt};
      return result;
    case Phase::waiting:
      if (++images_held_ > options_.max_held_images) {
        const std::size_t held = images_held_ - 1;
        result = refuse_series(Error{ErrorCode::no_active_scan,
                                     options_.format_name + " series " + std::to_string(held_series_id_) + ": " +
                                         std::to_string(held) +
                                         " images held without a scan plan, the most the daemon holds; give one "
                                         "with set_scan_plan or --scan-plan, or in the start's user_data"});
        result.drop_held = true;
        return result;
      }
      result.held = true;
      return result;
    case Phase::active:
      break;
  }
  if (image.series_id != series_->series_id) {
    result.rejection = Rejection{Error{ErrorCode::scan_id_mismatch, what + " arrived during series " +
                                                                         std::to_string(series_->series_id)},
                                 scan_->scan_id, std::nullopt};
    return result;
  }
  detector::EncodedImage pixels = image.image;
  const Shape expected = series_->shape ? *series_->shape : scan_->shape.value_or(Shape{pixels.rows, pixels.cols, pixels.dtype});
  // array-1.0's axis order is a convention the bytes cannot confirm: an image that is the scan's [cols, rows]
  // holds the scan's [rows, cols] (the same bytes, row-major).
  if (image.shape_order_by_convention && pixels.rows != pixels.cols && pixels.rows == expected.cols &&
      pixels.cols == expected.rows) {
    std::swap(pixels.rows, pixels.cols);
  }
  if (pixels.rows != expected.rows || pixels.cols != expected.cols || pixels.dtype != expected.dtype) {
    result.rejection = Rejection{
        Error{ErrorCode::shape_mismatch, what + " is " + shape_text(pixels.rows, pixels.cols, pixels.dtype) +
                                             ", its series " + shape_text(expected.rows, expected.cols, expected.dtype)},
        scan_->scan_id, std::nullopt};
    return result;
  }
  series_->shape = expected;
  if (scan_->pending_begin) {
    protocol::ScanBegin& begin = *scan_->pending_begin;
    begin.rows = expected.rows;
    begin.cols = expected.cols;
    begin.dtype = expected.dtype;
    if (std::optional<Error> invalid = protocol::check_geometry(begin)) {
      scan_.reset();
      return refuse_series(*invalid);
    }
    scan_->shape = expected;
    result.outputs.emplace_back(std::move(begin));
    scan_->pending_begin.reset();
  }
  ++series_->images;
  if (const auto placed = place(image, result)) {
    protocol::FrameHeader frame;
    frame.kind = placed->first;
    frame.scan_id = scan_->scan_id;
    frame.frame_id = placed->second;
    frame.rows = pixels.rows;
    frame.cols = pixels.cols;
    frame.dtype = pixels.dtype;
    if (frame.kind == FrameKind::projection && series_->omega_start_deg && series_->omega_increment_deg) {
      frame.angle_deg = *series_->omega_start_deg + static_cast<double>(image.image_id) * *series_->omega_increment_deg;
    }
    frame.timestamp_ns = image.timestamp_ns;
    if (!frame.timestamp_ns && image.series_time_ns && series_->date_ns &&
        *image.series_time_ns <= std::numeric_limits<std::int64_t>::max() - *series_->date_ns) {
      frame.timestamp_ns = *series_->date_ns + *image.series_time_ns;
    }
    result.outputs.emplace_back(frame);
  }
  if (options_.implicit_series && series_->images >= series_->plan.series_images()) finish_series(result);
  return result;
}

std::optional<std::pair<FrameKind, std::uint64_t>> SeriesTranslator::place(const detector::SeriesImage& image,
                                                                            Result& result) {
  const ScanPlan& plan = series_->plan;
  protocol::Expected<std::optional<FrameKind>> own = image_key_of(image.user_data);
  if (!own) {
    result.rejection = Rejection{own.error(), scan_->scan_id, image.image_id};
    return std::nullopt;
  }
  if (const std::optional<FrameKind> kind = own.value()) {
    return std::pair{*kind, std::uint64_t{scan_->next_override_id[static_cast<std::size_t>(*kind)]++}};
  }
  if (plan.series_kind) return std::pair{*plan.series_kind, image.image_id};
  const std::uint64_t id = image.image_id;
  const std::uint64_t references = std::uint64_t{plan.n_darks} + plan.n_flats;
  if (id < plan.n_darks) return std::pair{FrameKind::dark, id};
  if (id < references) return std::pair{FrameKind::flat, id - plan.n_darks};
  if (id >= plan.first_projection_image_id && id < plan.series_images()) {
    return std::pair{FrameKind::projection, id - plan.first_projection_image_id};
  }
  if (id < plan.first_projection_image_id) {
    result.skipped = true;
    return std::nullopt;
  }
  result.rejection = Rejection{
      Error{ErrorCode::frame_id_out_of_range,
            options_.format_name + " image " + std::to_string(id) + " of series " + std::to_string(image.series_id) +
                " lies beyond its scan plan's " + std::to_string(plan.series_images()) +
                " images (first_projection_image_id + n_projections)"},
      scan_->scan_id, id};
  return std::nullopt;
}

SeriesTranslator::Result SeriesTranslator::on_end(const detector::SeriesEnd& end) {
  Result result;
  switch (phase_) {
    case Phase::idle:
      result.rejection = Rejection{Error{ErrorCode::no_active_scan, options_.format_name + " end of series " +
                                                                         std::to_string(end.series_id) +
                                                                         " arrived without its series' start"},
                                   std::nullopt, std::nullopt};
      return result;
    case Phase::refused:
      phase_ = Phase::idle;  // the series was refused already
      return result;
    case Phase::waiting:
      result.held = true;
      return result;
    case Phase::active:
      break;
  }
  if (end.series_id != series_->series_id) {
    result.rejection = Rejection{Error{ErrorCode::scan_id_mismatch,
                                       options_.format_name + " end of series " + std::to_string(end.series_id) +
                                           " arrived during series " + std::to_string(series_->series_id)},
                                 scan_->scan_id, std::nullopt};
    return result;
  }
  finish_series(result);
  return result;
}

void SeriesTranslator::finish_series(Result& result) {
  const bool scan_continues = series_->plan.series_kind && series_->plan.series_kind != FrameKind::projection;
  if (scan_->pending_begin) {
    // No image came: the shape, and so the scan, never became known.
    result.rejection = Rejection{Error{ErrorCode::no_active_scan, options_.format_name + " series " +
                                                                      std::to_string(series_->series_id) +
                                                                      " ended before any image arrived"},
                                 scan_->scan_id, std::nullopt, true};
    scan_.reset();
  } else if (!scan_continues) {
    end_scan(result);
  }
  series_.reset();
  phase_ = Phase::idle;
}

void SeriesTranslator::end_scan(Result& result) {
  if (!scan_->pending_begin) result.outputs.emplace_back(protocol::ScanEnd{scan_->scan_id});
  scan_.reset();
}

SeriesTranslator::Result SeriesTranslator::refuse_series(Error error) {
  Result result;
  // Without an end to wait for, an implicit series' next image tries again (and is refused again, counted).
  phase_ = options_.implicit_series ? Phase::idle : Phase::refused;
  refused_reason_ = error.message;
  series_.reset();
  result.rejection = Rejection{std::move(error), std::nullopt, std::nullopt, true};
  return result;
}

void SeriesTranslator::release_held() {
  if (phase_ == Phase::waiting) phase_ = Phase::idle;
  images_held_ = 0;
}

}  // namespace tomolive::daemon
