// The C API of send.h: argument and scan-order checks, msgpack headers (the native protocol's, tomolive_protocol),
// and the channel (ZeroMQ or RDMA) chosen by the URL.
#include <cmath>
#include <cstring>

#include "sender_core.hpp"
#include "tomolive/protocol/codec.hpp"
#include "tomolive/rdma/verbs_transport.hpp"

namespace tomolive::send {

Deadline deadline_after(int timeout_ms) {
  if (timeout_ms < 0) return std::nullopt;
  return std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
}

ResolvedOptions resolve(const tl_options* options) {
  ResolvedOptions resolved;
  if (!options) return resolved;
  if (options->slot_bytes) resolved.slot_bytes = options->slot_bytes;
  if (options->slot_count) resolved.slot_count = options->slot_count;
  if (options->message_bytes) resolved.message_bytes = options->message_bytes;
  if (options->connect_timeout_ms > 0) resolved.connect_timeout = std::chrono::milliseconds(options->connect_timeout_ms);
  if (options->queue_frames > 0) resolved.queue_frames = options->queue_frames;
  return resolved;
}

namespace {

thread_local std::string open_error;

tl_status fail(tl_sender* sender, tl_status status, std::string message) {
  sender->error = std::move(message);
  return status;
}

tl_status take(tl_sender* sender, Outcome outcome) {
  if (outcome) {
    sender->error.clear();
    return TL_OK;
  }
  return fail(sender, outcome.status, std::move(outcome.message));
}

protocol::FrameKind kind_of(tl_frame_kind kind) {
  switch (kind) {
    case TL_DARK: return protocol::FrameKind::dark;
    case TL_FLAT: return protocol::FrameKind::flat;
    case TL_PROJECTION: break;
  }
  return protocol::FrameKind::projection;
}

// Checks and sends one frame; `registered` names the buffer of a zero-copy send.
tl_status send_frame(tl_sender* sender, tl_frame_kind kind, std::uint64_t frame_id, double angle_deg,
                     std::span<const std::byte> pixels, std::optional<std::uint32_t> registered, int timeout_ms,
                     std::uint64_t* ticket) {
  if (!sender) return TL_INVALID_ARGUMENT;
  if (kind != TL_DARK && kind != TL_FLAT && kind != TL_PROJECTION) {
    return fail(sender, TL_INVALID_ARGUMENT, "frame kind " + std::to_string(static_cast<int>(kind)) +
                                                 " (expected TL_DARK, TL_FLAT or TL_PROJECTION)");
  }
  if (!sender->scan) return fail(sender, TL_BAD_STATE, "a frame before begin_scan");
  const protocol::ScanBegin& scan = *sender->scan;
  const std::size_t expected = std::size_t{scan.rows} * scan.cols * protocol::itemsize(scan.dtype);
  if (!pixels.data() || pixels.size() != expected) {
    return fail(sender, TL_INVALID_ARGUMENT, "frame of " + std::to_string(pixels.size()) + " bytes; scan " +
                                                 std::to_string(scan.scan_id) + " has " + std::to_string(scan.rows) +
                                                 " x " + std::to_string(scan.cols) + " " +
                                                 std::string(protocol::to_string(scan.dtype)) + " frames of " +
                                                 std::to_string(expected) + " bytes");
  }
  protocol::FrameHeader header;
  header.kind = kind_of(kind);
  header.scan_id = scan.scan_id;
  header.frame_id = frame_id;
  header.rows = scan.rows;
  header.cols = scan.cols;
  header.dtype = scan.dtype;
  if (kind == TL_PROJECTION && !std::isnan(angle_deg)) header.angle_deg = angle_deg;
  const protocol::Bytes encoded = protocol::encode(header);
  const std::uint64_t number = sender->next_ticket;
  const tl_status status =
      take(sender, sender->channel->send_frame(encoded, {pixels, registered}, number, deadline_after(timeout_ms)));
  if (status != TL_OK) return status;
  ++sender->next_ticket;
  ++sender->frames_sent;
  if (ticket) *ticket = number;
  return TL_OK;
}

}  // namespace

tl_status open_sender(const char* url, const tl_options* options, rdma::Transport& transport, tl_sender** sender) {
  if (!sender) return TL_INVALID_ARGUMENT;
  *sender = nullptr;
  open_error.clear();
  const std::string text = url ? url : "";
  const bool rdma = text.starts_with("rdma://");
  if (!rdma && !text.starts_with("tcp://")) {
    open_error = "URL \"" + text + "\": expected rdma://HOST:PORT or tcp://HOST:PORT";
    return TL_INVALID_ARGUMENT;
  }
  const ResolvedOptions resolved = resolve(options);
  Outcome outcome;
  std::unique_ptr<Channel> channel;
  if (rdma) {
    const std::string where = text.substr(7);
    const std::size_t colon = where.rfind(':');
    int port = -1;
    if (colon != std::string::npos) {
      try {
        port = std::stoi(where.substr(colon + 1));
      } catch (const std::exception&) {
        port = -1;
      }
    }
    if (colon == std::string::npos || colon == 0 || port <= 0 || port > 65535) {
      open_error = "URL \"" + text + "\": expected rdma://HOST:PORT";
      return TL_INVALID_ARGUMENT;
    }
    channel = make_rdma_channel(transport, where.substr(0, colon), static_cast<std::uint16_t>(port), resolved, outcome);
  } else {
    channel = make_zmq_channel(text, resolved, outcome);
  }
  if (!channel) {
    open_error = text + ": " + outcome.message;
    return outcome.status;
  }
  *sender = new tl_sender{};
  (*sender)->channel = std::move(channel);
  return TL_OK;
}

}  // namespace tomolive::send

using namespace tomolive;

extern "C" {

const char* tl_status_name(tl_status status) {
  switch (status) {
    case TL_OK: return "TL_OK";
    case TL_WOULD_BLOCK: return "TL_WOULD_BLOCK";
    case TL_TIMED_OUT: return "TL_TIMED_OUT";
    case TL_INVALID_ARGUMENT: return "TL_INVALID_ARGUMENT";
    case TL_BAD_STATE: return "TL_BAD_STATE";
    case TL_FRAME_TOO_LARGE: return "TL_FRAME_TOO_LARGE";
    case TL_HEADER_TOO_LARGE: return "TL_HEADER_TOO_LARGE";
    case TL_NO_DEVICE: return "TL_NO_DEVICE";
    case TL_CONNECT_FAILED: return "TL_CONNECT_FAILED";
    case TL_REFUSED: return "TL_REFUSED";
    case TL_DISCONNECTED: return "TL_DISCONNECTED";
    case TL_RECEIVER_ERROR: return "TL_RECEIVER_ERROR";
    case TL_UNKNOWN_BUFFER: return "TL_UNKNOWN_BUFFER";
    case TL_INTERNAL: return "TL_INTERNAL";
  }
  return "TL_UNKNOWN_STATUS";
}

tl_status tl_open(const char* url, const tl_options* options, tl_sender** sender) {
  static rdma::VerbsTransport verbs;
  try {
    return send::open_sender(url, options, verbs, sender);
  } catch (const std::exception& e) {
    send::open_error = e.what();
    return TL_INTERNAL;
  }
}

const char* tl_open_error(void) { return send::open_error.c_str(); }

void tl_close(tl_sender* sender, int timeout_ms) {
  if (!sender) return;
  (void)sender->channel->wait_released(std::nullopt, send::deadline_after(timeout_ms));
  delete sender;
}

const char* tl_last_error(const tl_sender* sender) { return sender ? sender->error.c_str() : "null sender"; }

tl_status tl_begin_scan(tl_sender* sender, const tl_scan* scan, int timeout_ms) {
  if (!sender) return TL_INVALID_ARGUMENT;
  if (!scan) return send::fail(sender, TL_INVALID_ARGUMENT, "null scan");
  if (sender->scan) {
    return send::fail(sender, TL_BAD_STATE, "begin_scan while scan " + std::to_string(sender->scan->scan_id) +
                                                " is open; end_scan first");
  }
  if (scan->dtype < TL_UINT8 || scan->dtype > TL_FLOAT32) {
    return send::fail(sender, TL_INVALID_ARGUMENT, "dtype " + std::to_string(static_cast<int>(scan->dtype)) +
                                                       " (expected TL_UINT8, TL_UINT16, TL_UINT32 or TL_FLOAT32)");
  }
  protocol::ScanBegin begin;
  begin.scan_id = scan->scan_id;
  begin.name = scan->name ? scan->name : "";
  begin.rows = scan->rows;
  begin.cols = scan->cols;
  begin.dtype = static_cast<protocol::Dtype>(scan->dtype);
  begin.num_darks = scan->num_darks;
  begin.num_flats = scan->num_flats;
  begin.num_projections = scan->num_projections;
  if (scan->angles_deg) {
    begin.angles = protocol::AngleTable{{scan->angles_deg, scan->angles_deg + scan->angles_count}};
  } else {
    begin.angles = protocol::AngleRange{scan->angle_start_deg, scan->angle_step_deg};
  }
  begin.window = scan->window;
  begin.streams = scan->streams ? scan->streams : 1;
  begin.center_offset_px = scan->center_offset_px;
  if (scan->pixel_size_um > 0) begin.pixel_size_um = scan->pixel_size_um;
  begin.half_acquisition = scan->half_acquisition != 0;
  // The daemon's own rules (5.1), so that a wrong begin is named here rather than refused there.
  const protocol::Bytes encoded = protocol::encode(begin);
  if (auto decoded = protocol::decode_data_header(encoded); !decoded) {
    return send::fail(sender, TL_INVALID_ARGUMENT,
                      std::string(protocol::to_string(decoded.error().code)) + ": " + decoded.error().message);
  }
  const tl_status status = send::take(sender, sender->channel->send_header(encoded, send::deadline_after(timeout_ms)));
  if (status == TL_OK) sender->scan = begin;
  return status;
}

tl_status tl_send_dark(tl_sender* sender, uint64_t frame_id, const void* pixels, size_t bytes, int timeout_ms) {
  return send::send_frame(sender, TL_DARK, frame_id, NAN, {static_cast<const std::byte*>(pixels), bytes},
                          std::nullopt, timeout_ms, nullptr);
}

tl_status tl_send_flat(tl_sender* sender, uint64_t frame_id, const void* pixels, size_t bytes, int timeout_ms) {
  return send::send_frame(sender, TL_FLAT, frame_id, NAN, {static_cast<const std::byte*>(pixels), bytes},
                          std::nullopt, timeout_ms, nullptr);
}

tl_status tl_send_projection(tl_sender* sender, uint64_t frame_id, double angle_deg, const void* pixels, size_t bytes,
                             int timeout_ms) {
  return send::send_frame(sender, TL_PROJECTION, frame_id, angle_deg, {static_cast<const std::byte*>(pixels), bytes},
                          std::nullopt, timeout_ms, nullptr);
}

tl_status tl_register_buffer(tl_sender* sender, void* memory, size_t bytes, uint32_t* buffer_id) {
  if (!sender) return TL_INVALID_ARGUMENT;
  if (!memory || bytes == 0 || !buffer_id) {
    return send::fail(sender, TL_INVALID_ARGUMENT, "register_buffer needs memory, a size above 0 and buffer_id");
  }
  const std::uint32_t id = sender->next_buffer;
  const std::span<std::byte> span(static_cast<std::byte*>(memory), bytes);
  const tl_status status = send::take(sender, sender->channel->register_buffer(span, id));
  if (status != TL_OK) return status;
  sender->buffers.emplace(id, span);
  ++sender->next_buffer;
  *buffer_id = id;
  return TL_OK;
}

tl_status tl_send_registered(tl_sender* sender, tl_frame_kind kind, uint64_t frame_id, double angle_deg,
                             uint32_t buffer_id, size_t offset, size_t bytes, int timeout_ms, uint64_t* ticket) {
  if (!sender) return TL_INVALID_ARGUMENT;
  const auto buffer = sender->buffers.find(buffer_id);
  if (buffer == sender->buffers.end()) {
    return send::fail(sender, TL_UNKNOWN_BUFFER, "buffer " + std::to_string(buffer_id) + " is not registered");
  }
  if (offset > buffer->second.size() || bytes > buffer->second.size() - offset) {
    return send::fail(sender, TL_UNKNOWN_BUFFER, "bytes [" + std::to_string(offset) + ", " +
                                                     std::to_string(offset + bytes) + ") are outside buffer " +
                                                     std::to_string(buffer_id) + " of " +
                                                     std::to_string(buffer->second.size()) + " bytes");
  }
  return send::send_frame(sender, kind, frame_id, angle_deg, buffer->second.subspan(offset, bytes), buffer_id,
                          timeout_ms, ticket);
}

tl_status tl_wait_released(tl_sender* sender, uint64_t ticket, int timeout_ms) {
  if (!sender) return TL_INVALID_ARGUMENT;
  return send::take(sender, sender->channel->wait_released(ticket, send::deadline_after(timeout_ms)));
}

tl_status tl_end_scan(tl_sender* sender, int timeout_ms) {
  if (!sender) return TL_INVALID_ARGUMENT;
  if (!sender->scan) return send::fail(sender, TL_BAD_STATE, "end_scan without begin_scan");
  const send::Deadline deadline = send::deadline_after(timeout_ms);
  const tl_status status =
      send::take(sender, sender->channel->send_header(protocol::encode(protocol::ScanEnd{sender->scan->scan_id}), deadline));
  if (status != TL_OK) return status;
  sender->scan.reset();
  return send::take(sender, sender->channel->wait_released(std::nullopt, deadline));
}

uint64_t tl_frames_sent(const tl_sender* sender) { return sender ? sender->frames_sent : 0; }
uint64_t tl_backpressure_waits(const tl_sender* sender) { return sender ? sender->channel->backpressure_waits() : 0; }

}  // extern "C"
