#include "reply_text.hpp"

#include <array>
#include <cmath>
#include <ostream>
#include <variant>

#include <spdlog/fmt/fmt.h>

#include "quantity_text.hpp"
#include "status_text.hpp"
#include "text_table.hpp"

namespace tomolive::ctl {
namespace {

namespace p = protocol;

void print(std::ostream& out, const p::Reply& reply, std::monostate) {
  if (reply.command == p::command_name(p::SetScanPlan{})) {
    out << "scan plan posted: it applies to the next detector series that brings none\n";
  } else {
    out << reply.command << ": done\n";
  }
}

void print(std::ostream& out, const p::Reply&, const p::Status& status) { print_status(out, status); }

void print(std::ostream& out, const p::Reply&, const p::CenterResult& center) {
  out << fmt::format("rotation axis at offset {} px (detector column {}), tilt {} deg corrected; slices recomputed in "
                     "{} ms\n",
                     fixed(center.center_offset_px, 2), fixed(center.center_column_px, 2), fixed(center.tilt_deg, 3),
                     fixed(center.recompute_ms, 1));
}

void print(std::ostream& out, const p::Reply&, const p::SlicesResult& slices) {
  out << fmt::format("slices at xy row {}, xz at y {} px, yz at x {} px; recomputed in {} ms\n", slices.xy_row,
                     fixed(slices.xz_y_px, 2), fixed(slices.yz_x_px, 2), fixed(slices.recompute_ms, 1));
}

void print(std::ostream& out, const p::Reply&, const p::SliceUpdate& slice) {
  out << fmt::format("{} slice of scan {} at {}: {} x {} pixels, {} projections, version {}, center offset {} px\n",
                     p::to_string(slice.slice), slice.scan_id, fixed(slice.position, 2), slice.rows, slice.cols,
                     slice.projections_included, slice.sequence, fixed(slice.center_offset_px, 2));
}

void print(std::ostream& out, const p::Reply&, const p::CenterEstimateResult& estimate) {
  out << fmt::format("{} estimate: offset {} px (detector column {}), confidence {}, {} samples, {} ms; {}\n",
                     estimate.method, fixed(estimate.center_offset_px, 2), fixed(estimate.center_column_px, 2),
                     fixed(estimate.confidence, 2), estimate.samples, fixed(estimate.elapsed_ms, 1),
                     estimate.applied ? "applied" : "not applied (--apply applies it)");
  if (estimate.tilt_deg) {
    // An applied estimate sets its tilt too, within set_center's limit of 10 degrees (PROTOCOL.md 10.1, 10.4).
    const char* correction = !estimate.applied ? "not corrected (--apply corrects it with the offset)"
                             : std::abs(*estimate.tilt_deg) <= 10.0
                                 ? "corrected"
                                 : "not corrected: beyond set_center's 10 degrees (a misaligned stage)";
    out << fmt::format("axis tilt {} deg (confidence {}), {}\n", fixed(*estimate.tilt_deg, 3),
                       fixed(estimate.tilt_confidence.value_or(0.0), 2), correction);
  }
}

void print(std::ostream& out, const p::Reply&, const p::SweepResult& sweep) {
  out << fmt::format("sweep of xy row {}, region rows {}..{}, cols {}..{}, images {} x {} (every {} px), in {} ms; "
                     "best offset {} px\n",
                     sweep.xy_row, sweep.region[0], sweep.region[0] + sweep.region[2], sweep.region[1],
                     sweep.region[1] + sweep.region[3], sweep.shape[0], sweep.shape[1], sweep.pixel_step,
                     fixed(sweep.elapsed_ms, 1), fixed(sweep.best_offset_px, 2));
  TextTable table({{"candidate", true}, {"offset px", true}, {"metric", true}, {"best"}});
  for (std::size_t i = 0; i < sweep.centers_px.size(); ++i) {
    const double metric = i < sweep.metric.size() ? sweep.metric[i] : 0.0;
    table.add_row({std::to_string(i), fixed(sweep.centers_px[i], 2), fixed(metric, 4),
                   sweep.centers_px[i] == sweep.best_offset_px ? "*" : ""});
  }
  table.print(out);
}

void print(std::ostream& out, const p::Reply&, const p::ProcessingSweepResult& sweep) {
  const std::string best = sweep.best_index < sweep.labels.size() ? sweep.labels[sweep.best_index] : "-";
  out << fmt::format("{} sweep of xy row {}, region rows {}..{}, cols {}..{}, in {} ms; sharpest: {}\n",
                     p::to_string(sweep.parameter), sweep.xy_row, sweep.region[0], sweep.region[0] + sweep.region[2],
                     sweep.region[1], sweep.region[1] + sweep.region[3], fixed(sweep.elapsed_ms, 1), best);
  TextTable table({{"candidate", true}, {"label"}, {"metric", true}, {"best"}});
  for (std::size_t i = 0; i < sweep.labels.size(); ++i) {
    const double metric = i < sweep.metric.size() ? sweep.metric[i] : 0.0;
    table.add_row({std::to_string(i), sweep.labels[i], fixed(metric, 4), i == sweep.best_index ? "*" : ""});
  }
  table.print(out);
}

void print(std::ostream& out, const p::Reply&, const p::ObliqueResult& oblique) {
  if (!oblique.enabled) {
    out << "oblique slice hidden\n";
    return;
  }
  const auto component = [&](std::size_t i) { return i < oblique.normal.size() ? oblique.normal[i] : 0.0; };
  out << fmt::format("oblique slice on the plane with unit normal [{}, {}, {}] at offset {} px: {} x {} pixels; "
                     "computed in {} ms\n",
                     fixed(component(0), 4), fixed(component(1), 4), fixed(component(2), 4),
                     fixed(oblique.offset_px, 2), oblique.shape[0], oblique.shape[1],
                     fixed(oblique.recompute_ms, 1));
}

// A defective pixel's kind bits (1 dead, 2 hot, 4 noisy, 8 detector_mask) as names, e.g. "dead+hot".
std::string kind_text(std::uint32_t kind) {
  static constexpr std::array<std::string_view, 4> kNames = {"dead", "hot", "noisy", "detector_mask"};
  std::string text;
  for (std::size_t bit = 0; bit < kNames.size(); ++bit) {
    if ((kind & (1u << bit)) == 0) continue;
    if (!text.empty()) text += '+';
    text += kNames[bit];
  }
  return text.empty() ? fmt::format("unknown ({})", kind) : text;
}

void print(std::ostream& out, const p::Reply&, const p::DefectivePixelsResult& map) {
  if (!map.built) {
    out << fmt::format("scan {} has no defective-pixel map yet (it is built at the first projection, when detection "
                       "is on)\n",
                       map.scan_id);
    return;
  }
  const auto& counts = map.counts;
  out << fmt::format("scan {}: {} defective pixels of {} x {} ({} dead, {} hot, {} noisy, {} detector_mask)\n",
                     map.scan_id, counts.total, map.rows, map.cols, counts.dead, counts.hot, counts.noisy,
                     counts.detector_mask);
  if (map.pixels.empty()) return;
  TextTable table({{"row", true}, {"col", true}, {"kind"}});
  for (const auto& pixel : map.pixels) table.add_row({std::to_string(pixel.row), std::to_string(pixel.col),
                                                      kind_text(pixel.kind)});
  table.print(out);
  if (map.truncated) out << fmt::format("  (only the first {} are listed)\n", map.pixels.size());
}

void print(std::ostream& out, const p::Reply&, const p::CenterSampleResult& sample) {
  const std::string from = sample.slice == "projections" ? std::string("the projections")
                                                         : fmt::format("the {} slice's point", sample.slice);
  out << fmt::format("{} lies at x {} y {} z {} px from the axis; move the sample by", from, fixed(sample.x_px, 2),
                     fixed(sample.y_px, 2), fixed(sample.z_px, 2));
  if (sample.move_x_um && sample.move_y_um && sample.move_z_um && sample.pixel_size_um) {
    out << fmt::format(" x {} y {} z {} um ({} px, {} px, {} px at {} um/px)\n", fixed(*sample.move_x_um, 2),
                       fixed(*sample.move_y_um, 2), fixed(*sample.move_z_um, 2), fixed(sample.move_x_px, 2),
                       fixed(sample.move_y_px, 2), fixed(sample.move_z_px, 2), fixed(*sample.pixel_size_um, 3));
  } else {
    out << fmt::format(" x {} y {} z {} px (no pixel size known: --pixel-size-um gives micrometres)\n",
                       fixed(sample.move_x_px, 2), fixed(sample.move_y_px, 2), fixed(sample.move_z_px, 2));
  }
  if (sample.projections) {
    out << fmt::format("fit over {} projections: RMS residual {} px, axis offset {} px\n", *sample.projections,
                       fixed(sample.fit_rms_px.value_or(0.0), 3), fixed(sample.axis_offset_px.value_or(0.0), 2));
  }
}

void print(std::ostream& out, const p::Reply&, const p::ProcessingResult& result) {
  const auto& refilter = result.refilter;
  if (refilter.projections == 0) {
    out << "processing set; no projections held: it applies from the next scan on\n";
  } else {
    out << fmt::format("processing set; re-filtered {} projections in {} ms ({} zingers replaced, {} values clamped "
                       "after phase retrieval)\n",
                       refilter.projections, fixed(refilter.elapsed_ms, 1), refilter.zingers_replaced,
                       refilter.clamped_values);
  }
  print_processing(out, result.processing);
}

void print(std::ostream& out, const p::Reply& reply, const p::VolumeStatus& volume) {
  const bool cancel = reply.command == p::command_name(p::CancelVolume{});
  out << fmt::format("{} of scan {}: {}\n", cancel ? "cancelling the volume" : "volume started", volume.scan_id,
                     volume.state);
  print_volume(out, volume);
}

void print(std::ostream& out, const p::Reply&, const p::RecordingStatus& recording) {
  out << (recording.next_scan ? "the next scan will be recorded\n" : "the next scan will not be recorded\n");
  print_recording(out, recording);
}

void print(std::ostream& out, const p::Reply&, const p::PreviewStatus& preview) {
  if (!preview.enabled) {
    out << fmt::format("3D preview off (side {} when on)\n", preview.side);
    return;
  }
  out << fmt::format("3D preview on: side {}, {} x {} x {} voxels (z, y, x; binning {}), {} bytes, {} snapshots "
                     "sent\n",
                     preview.side, preview.shape[0], preview.shape[1], preview.shape[2], preview.binning,
                     preview.bytes, preview.published);
}

void print(std::ostream& out, const p::Reply&, const p::CaptureStatus& capture) {
  out << fmt::format("capture {}: {}\n", capture.state, capture.file);
  print_capture(out, capture);
}

}  // namespace

void print_result(std::ostream& out, const p::Reply& reply) {
  std::visit([&](const auto& result) { print(out, reply, result); }, reply.result);
}

void print_refusal(std::ostream& out, const p::Reply& reply) {
  if (!reply.error) return;
  const std::string command = reply.command.empty() ? std::string("the request") : reply.command;
  out << fmt::format("tomolive-ctl: {} refused ({}): {}\n", command, p::to_string(reply.error->code),
                     reply.error->message);
}

}  // namespace tomolive::ctl
