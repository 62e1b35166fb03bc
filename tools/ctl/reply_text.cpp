#include "reply_text.hpp"

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
  out << fmt::format("rotation axis at offset {} px (detector column {}); slices recomputed in {} ms\n",
                     fixed(center.center_offset_px, 2), fixed(center.center_column_px, 2),
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
}

void print(std::ostream& out, const p::Reply&, const p::SweepResult& sweep) {
  out << fmt::format("sweep of xy row {}, region rows {}..{}, cols {}..{}, in {} ms; best offset {} px\n",
                     sweep.xy_row, sweep.region[0], sweep.region[0] + sweep.region[2], sweep.region[1],
                     sweep.region[1] + sweep.region[3], fixed(sweep.elapsed_ms, 1), fixed(sweep.best_offset_px, 2));
  TextTable table({{"candidate", true}, {"offset px", true}, {"metric", true}, {"best"}});
  for (std::size_t i = 0; i < sweep.centers_px.size(); ++i) {
    const double metric = i < sweep.metric.size() ? sweep.metric[i] : 0.0;
    table.add_row({std::to_string(i), fixed(sweep.centers_px[i], 2), fixed(metric, 4),
                   sweep.centers_px[i] == sweep.best_offset_px ? "*" : ""});
  }
  table.print(out);
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
