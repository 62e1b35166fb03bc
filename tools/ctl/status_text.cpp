#include "status_text.hpp"

#include <chrono>
#include <ostream>

#include <spdlog/fmt/fmt.h>
#include <spdlog/fmt/chrono.h>

#include "quantity_text.hpp"
#include "text_table.hpp"

namespace tomolive::ctl {
namespace {

using protocol::Status;

std::string received_of(std::uint32_t received, std::uint32_t expected) {
  return fmt::format("{} / {}", received, expected);
}

std::string microseconds_text(std::uint64_t us) { return fixed(static_cast<double>(us) / 1000.0, 1) + " ms"; }

// "p50 1.2 ms, p99 3.4 ms over 4096 updates", or "no samples".
std::string latency_text(const Status& status, std::string_view prefix) {
  const std::string name(prefix);
  const auto samples = counter(status, name + "_samples");
  if (samples == 0) return "no samples";
  return fmt::format("p50 {}, p99 {} over {} sample(s)", microseconds_text(counter(status, name + "_p50_us")),
                     microseconds_text(counter(status, name + "_p99_us")), samples);
}

void print_heading(std::ostream& out, std::string_view heading) { out << '\n' << heading << '\n'; }

void print_summary(std::ostream& out, const Status& status) {
  out << "tomolived " << status.version << ", " << status.engine << " engine, up " << duration_text(status.uptime_s)
      << '\n';
  if (status.security) {
    out << "security: CURVE " << on_off(status.security->curve) << ", control token "
        << on_off(status.security->control_token) << ", plain sockets beyond loopback "
        << on_off(status.security->insecure_network) << '\n';
  }
}

void print_scan(std::ostream& out, const protocol::ScanStatus& scan) {
  print_heading(out, fmt::format("Scan {} \"{}\": {}", scan.scan_id, scan.name, scan.state));
  Fields fields;
  fields.emplace_back("detector", fmt::format("{} x {} pixels (rows x cols), slices {} columns, window {}, half "
                                              "acquisition {}",
                                              scan.rows, scan.cols, scan.slice_cols,
                                              scan.window == 0 ? std::string("none") : std::to_string(scan.window),
                                              on_off(scan.half_acquisition)));
  fields.emplace_back("darks", received_of(scan.darks_received, scan.darks_expected));
  fields.emplace_back("flats", received_of(scan.flats_received, scan.flats_expected));
  fields.emplace_back("projections", fmt::format("{} received, {} reconstructed, {} missing, {} /s",
                                                 received_of(scan.projections_received, scan.projections_expected),
                                                 scan.projections_reconstructed, scan.projections_missing,
                                                 fixed(scan.projection_rate_hz, 1)));
  fields.emplace_back("center", fmt::format("offset {} px (detector column {}), tilt {} deg",
                                            fixed(scan.center_offset_px, 2), fixed(scan.center_column_px, 2),
                                            fixed(scan.axis_tilt_deg, 3)));
  fields.emplace_back("slices", fmt::format("xy row {}, xz at y {} px, yz at x {} px", scan.xy_row,
                                            fixed(scan.xz_y_px, 2), fixed(scan.yz_x_px, 2)));
  if (scan.pixel_size_um) fields.emplace_back("pixel size", fixed(*scan.pixel_size_um, 3) + " um");
  const auto& memory = scan.memory;
  fields.emplace_back("memory", fmt::format("{} of {} on {}: store {} ({}), corrected store {}, slices {}, other {}",
                                            bytes_text(static_cast<double>(memory.total_bytes)),
                                            bytes_text(static_cast<double>(memory.available_bytes)), memory.device,
                                            bytes_text(static_cast<double>(memory.store_bytes)),
                                            memory.store_precision,
                                            bytes_text(static_cast<double>(memory.corrected_store_bytes)),
                                            bytes_text(static_cast<double>(memory.slice_bytes)),
                                            bytes_text(static_cast<double>(memory.other_bytes))));
  if (const auto& estimate = scan.center_estimate) {
    fields.emplace_back("center estimate",
                        fmt::format("{}: offset {} px, confidence {}, {} samples{}", estimate->method,
                                    fixed(estimate->center_offset_px, 2), fixed(estimate->confidence, 2),
                                    estimate->samples, estimate->applied ? ", applied" : ", not applied"));
    if (estimate->tilt_deg) {
      fields.emplace_back("axis tilt", fmt::format("{} deg, confidence {}", fixed(*estimate->tilt_deg, 3),
                                                   fixed(estimate->tilt_confidence.value_or(0.0), 2)));
    }
  }
  if (const auto& command = scan.command) {
    fields.emplace_back("command", fmt::format("{}: {} of {} steps in {}, about {} left", command->command,
                                               command->done, command->total, duration_text(command->elapsed_s),
                                               duration_text(command->remaining_s)));
  }
  if (const auto& defective = scan.defective_pixels) {
    fields.emplace_back("defective pixels", fmt::format("{} ({} dead, {} hot, {} noisy, {} detector_mask)",
                                                        defective->total, defective->dead, defective->hot,
                                                        defective->noisy, defective->detector_mask));
  }
  if (const auto& refilter = scan.refilter) {
    fields.emplace_back("re-filter",
                        fmt::format("{}: {} projections", refilter->reason, refilter->refilter.projections));
  }
  print_fields(out, fields);
}

void print_frames(std::ostream& out, const Status& status, const StatusRates* rates) {
  print_heading(out, "Frames");
  Fields fields;
  fields.emplace_back("received", fmt::format("{} messages, {}", counter(status, "messages_received"),
                                              bytes_text(static_cast<double>(counter(status, "bytes_received")))));
  fields.emplace_back("accepted", fmt::format("{} darks, {} flats, {} projections", counter(status, "darks_accepted"),
                                              counter(status, "flats_accepted"),
                                              counter(status, "projections_accepted")));
  fields.emplace_back("reconstructed", count_text(counter(status, "projections_reconstructed")) + " projections");
  fields.emplace_back("irregular", fmt::format("{} out of order, {} missing, {} rejected",
                                               counter(status, "frames_out_of_order"),
                                               counter(status, "projections_missing"), counter(status, "rejected")));
  fields.emplace_back("scans", fmt::format("{} begun, {} ended, {} refused", counter(status, "scans_begun"),
                                           counter(status, "scans_ended"), counter(status, "scans_refused")));
  if (rates) {
    fields.emplace_back("rates", fmt::format("{} projections/s, {} frames/s, {}/s, {} reconstructed/s, {} slices/s, "
                                             "{} rejected/s (over {})",
                                             fixed(rates->projections_per_s, 1), fixed(rates->frames_per_s, 1),
                                             bytes_text(rates->bytes_per_s), fixed(rates->reconstructed_per_s, 1),
                                             fixed(rates->slices_per_s, 1), fixed(rates->rejected_per_s, 1),
                                             duration_text(rates->interval_s)));
  }
  print_fields(out, fields);
}

void print_queue(std::ostream& out, const Status& status) {
  print_heading(out, "Queue");
  print_fields(out, {{"depth", fmt::format("{} of {} frames", counter(status, "queue_depth"),
                                           counter(status, "queue_capacity"))},
                     {"waits", fmt::format("{} full-queue waits, {} frame-buffer waits",
                                           counter(status, "queue_full_waits"), counter(status, "frame_buffer_waits"))},
                     {"dropped", count_text(counter(status, "queue_dropped")) + " projections (drop_oldest)"}});
}

void print_engine_times(std::ostream& out, const Status& status) {
  print_heading(out, "Engine and latency");
  Fields fields;
  fields.emplace_back("received -> published (T4)", latency_text(status, "publish_latency"));
  fields.emplace_back("received -> drawn (T5)", latency_text(status, "viewer_latency"));
  if (status.scan && status.scan->refilter) {
    fields.emplace_back("newest re-filter", fixed(status.scan->refilter->refilter.elapsed_ms, 1) + " ms");
  }
  if (status.scan && status.scan->center_estimate) {
    fields.emplace_back("newest center estimate", fixed(status.scan->center_estimate->elapsed_ms, 1) + " ms");
  }
  fields.emplace_back("failures", fmt::format("{} engine errors, {} engines lost, {} slabs lost, {} commands "
                                              "cancelled, {} overran",
                                              counter(status, "engine_errors"), counter(status, "engines_lost"),
                                              counter(status, "slabs_lost"),
                                              counter(status, "commands_cancelled"),
                                              counter(status, "commands_overran")));
  print_fields(out, fields);
}

void print_data_sockets(std::ostream& out, const Status& status, const StatusRates* rates) {
  print_heading(out, "Data sockets");
  if (status.data_sockets.empty()) {
    out << "  none reported\n";
    return;
  }
  const bool with_rates = rates && rates->socket_bytes_per_s.size() == status.data_sockets.size();
  std::vector<TextTable::Column> columns = {{"endpoint"},         {"mode"},         {"format"},
                                            {"messages", true},   {"bytes", true},  {"frames", true},
                                            {"rejected", true},   {"held", true},   {"curve"},
                                            {"handshakes failed", true}};
  if (with_rates) columns.push_back({"rate", true});
  TextTable table(std::move(columns));
  for (std::size_t i = 0; i < status.data_sockets.size(); ++i) {
    const auto& socket = status.data_sockets[i];
    const std::string format = socket.format.empty() ? "-" : socket.format;
    std::vector<std::string> row = {socket.endpoint,
                                    socket.connected ? "connect" : "bind",
                                    socket.format_option == "auto" ? format + " (auto)" : format,
                                    count_text(socket.messages),
                                    bytes_text(static_cast<double>(socket.bytes)),
                                    count_text(socket.frames),
                                    count_text(socket.rejected),
                                    count_text(socket.images_held),
                                    on_off(socket.curve),
                                    count_text(socket.handshake_failures)};
    if (with_rates) row.push_back(bytes_text(rates->socket_bytes_per_s[i]) + "/s");
    table.add_row(std::move(row));
  }
  table.print(out);
  for (const auto& socket : status.data_sockets) {
    if (socket.dectris_channels.empty()) continue;
    std::string channels;
    for (const std::string& channel : socket.dectris_channels) channels += (channels.empty() ? "" : ", ") + channel;
    out << "  " << socket.endpoint << ": Stream V2 channel "
        << (socket.dectris_channel.empty() ? "-" : socket.dectris_channel) << " of " << channels << "\n";
  }
}

void print_rejections(std::ostream& out, const Status& status) {
  print_heading(out, "Rejections by reason");
  if (status.rejected_by_reason.empty()) {
    out << "  none\n";
    return;
  }
  TextTable table({{"reason"}, {"count", true}});
  for (const auto& [reason, count] : status.rejected_by_reason) table.add_row({reason, count_text(count)});
  table.print(out);
}

// The engine's slabs when it spans several devices (PROTOCOL.md 10.13): one row per slab, then the halo.
void print_engine_slabs(std::ostream& out, const protocol::EngineSlabsStatus& slabs) {
  print_heading(out, "Slabs");
  TextTable table({{"rows"}, {"with halo"}, {"engine"}, {"state"}});
  for (const protocol::EngineSlab& slab : slabs.slabs) {
    // Detector rows first .. last.
    table.add_row({fmt::format("{} .. {}", slab.rows[0], slab.rows[0] + slab.rows[1] - 1),
                   fmt::format("{} .. {}", slab.frame_rows[0], slab.frame_rows[0] + slab.frame_rows[1] - 1),
                   slab.engine,
                   slab.lost ? "LOST: " + slab.lost_reason : std::string("ok")});
  }
  if (slabs.slabs.empty()) {
    out << "  none yet (no scan)\n";
  } else {
    table.print(out);
  }
  print_fields(out, {{"halo", fmt::format("{} rows each side, {} needed{}", slabs.halo_rows, slabs.halo_needed_rows,
                                          slabs.edge_rows_approximate ? ": rows near the slabs' edges are approximate"
                                                                      : "")}});
}

void print_rdma(std::ostream& out, const protocol::RdmaStatus& rdma) {
  print_heading(out, "RDMA");
  print_fields(out, {{"endpoints", rdma.endpoints},
                     {"memory", rdma.memory},
                     {"GPUDirect", rdma.gpudirect},
                     {"connections", std::to_string(rdma.connections)}});
}

// Every counter by name, three name/value pairs a line.
void print_counters(std::ostream& out, const Status& status) {
  print_heading(out, "Counters");
  constexpr std::size_t kPairs = 3;
  std::vector<TextTable::Column> columns;
  for (std::size_t i = 0; i < kPairs; ++i) {
    columns.push_back({"name"});
    columns.push_back({"value", true});
  }
  TextTable table(std::move(columns));
  for (std::size_t first = 0; first < status.counters.size(); first += kPairs) {
    std::vector<std::string> row;
    for (std::size_t i = first; i < std::min(first + kPairs, status.counters.size()); ++i) {
      row.push_back(status.counters[i].first);
      row.push_back(count_text(status.counters[i].second));
    }
    table.add_row(std::move(row));
  }
  table.print(out);
}

}  // namespace

void print_processing(std::ostream& out, const protocol::ProcessingSetting& processing) {
  const auto& phase = processing.phase;
  const auto& half = processing.half_acquisition;
  print_fields(out, {{"window", std::string(protocol::to_string(processing.window))},
                     {"zingers", fmt::format("{} (threshold {:g})", on_off(processing.zingers.enabled),
                                             processing.zingers.threshold)},
                     {"phase", fmt::format("{} ({:g} keV, {:g} m, {:g} um, delta/beta {:g})", on_off(phase.enabled),
                                           phase.energy_kev, phase.distance_m, phase.pixel_size_um,
                                           phase.delta_over_beta)},
                     {"rings", fmt::format("{} (size {} px)", on_off(processing.rings.enabled), processing.rings.size)},
                     {"half acquisition", half.enabled ? fmt::format("on (detector columns {} .. {})",
                                                                     half.detector_col0,
                                                                     half.detector_col0 + half.detector_cols)
                                                       : std::string("off")}});
}

void print_volume(std::ostream& out, const protocol::VolumeStatus& volume) {
  Fields fields = {
      {"scan", std::to_string(volume.scan_id)},
      {"state", volume.state},
      {"shape", fmt::format("{} x {} x {} voxels (z, y, x), binning {}, {} {}", volume.shape[0], volume.shape[1],
                            volume.shape[2], volume.binning, volume.format, volume.dtype)},
      {"slabs", fmt::format("{} computed, {} written of {} ({} rows each)", volume.slabs_done, volume.slabs_written,
                            volume.slabs_total, volume.slab_rows)},
      {"written", bytes_text(static_cast<double>(volume.bytes_written))},
      {"time", fmt::format("{} computing, {} in all", duration_text(volume.compute_s),
                           duration_text(volume.elapsed_s))},
      {"path", volume.path}};
  if (volume.error) fields.emplace_back("error", *volume.error);
  print_fields(out, fields);
}

void print_recording(std::ostream& out, const protocol::RecordingStatus& recording) {
  Fields fields = {
      {"recorder", recording.enabled ? fmt::format("on, into {} (policy {})", recording.directory, recording.policy)
                                     : std::string("off (no --record directory)")},
      {"next scan", recording.next_scan ? "recorded" : "not recorded"},
      {"state", recording.state}};
  if (recording.scan_id) {
    fields.emplace_back("scan", std::to_string(*recording.scan_id));
    fields.emplace_back("file", recording.file);
    fields.emplace_back("frames", fmt::format("{} written, {} durable, {} dropped ({})", recording.frames_written,
                                              recording.frames_durable, recording.frames_dropped,
                                              bytes_text(static_cast<double>(recording.bytes_written))));
    if (!recording.encoding.empty()) fields.emplace_back("encoding", recording.encoding);
  }
  fields.emplace_back("queue", fmt::format("{} of {} frames", recording.queue_frames, recording.queue_capacity));
  if (!recording.error.empty()) fields.emplace_back("error", recording.error);
  print_fields(out, fields);
}

void print_capture(std::ostream& out, const protocol::CaptureStatus& capture) {
  Fields fields = {
      {"ring", capture.enabled ? fmt::format("{} frames, {} spanning {} (keeps {} s, at most {})", capture.ring_frames,
                                             bytes_text(static_cast<double>(capture.ring_bytes)),
                                             duration_text(capture.ring_span_s), capture.ring_s,
                                             bytes_text(static_cast<double>(capture.ring_capacity_bytes)))
                               : std::string("off (no --capture-ring-s)")},
      {"state", capture.state}};
  if (capture.scan_id) {
    fields.emplace_back("scan", std::to_string(*capture.scan_id));
    fields.emplace_back("file", capture.file);
    fields.emplace_back("frames", fmt::format("{} written, {} to go", capture.frames_written,
                                              duration_text(capture.remaining_s)));
  }
  if (!capture.error.empty()) fields.emplace_back("error", capture.error);
  print_fields(out, fields);
}

void print_status(std::ostream& out, const Status& status, const StatusTextOptions& options) {
  print_summary(out, status);
  if (status.scan) {
    print_scan(out, *status.scan);
  } else {
    print_heading(out, "Scan");
    out << "  none yet\n";
  }
  print_frames(out, status, options.rates);
  print_queue(out, status);
  print_engine_times(out, status);
  if (status.engine_slabs) print_engine_slabs(out, *status.engine_slabs);
  print_data_sockets(out, status, options.rates);
  print_rejections(out, status);
  print_heading(out, "Processing");
  print_processing(out, status.processing);
  if (status.volume) {
    print_heading(out, "Volume");
    print_volume(out, *status.volume);
  }
  if (status.recording) {
    print_heading(out, "Recording");
    print_recording(out, *status.recording);
  }
  if (status.capture) {
    print_heading(out, "Capture");
    print_capture(out, *status.capture);
  }
  if (status.rdma) print_rdma(out, *status.rdma);
  if (options.all_counters) print_counters(out, status);
}

std::string status_line(const Status& status, const StatusRates* rates) {
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  std::string line = fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", now);
  if (status.scan) {
    const auto& scan = *status.scan;
    line += fmt::format(" scan {} {} projections {}/{} reconstructed {}", scan.scan_id, scan.state,
                        scan.projections_received, scan.projections_expected, scan.projections_reconstructed);
  } else {
    line += " scan none";
  }
  if (rates) {
    line += fmt::format(" rate {} proj/s {}/s", fixed(rates->projections_per_s, 1), bytes_text(rates->bytes_per_s));
  } else {
    line += " rate - proj/s -/s";
  }
  line += fmt::format(" queue {}/{} rejected {}", counter(status, "queue_depth"), counter(status, "queue_capacity"),
                      counter(status, "rejected"));
  const auto samples = counter(status, "publish_latency_samples");
  line += samples == 0 ? std::string(" T4 p99 -")
                       : " T4 p99 " + microseconds_text(counter(status, "publish_latency_p99_us"));
  return line;
}

}  // namespace tomolive::ctl
