// DaemonCounters: the daemon's totals since start (messages, bytes, frames, rejections by reason, queue and
// publisher events). Every drop, rejection, gap and retry increments one of these; get_status reports them all.
// Thread-safe: all members are atomics, updated with relaxed ordering (they are statistics, not synchronisation).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "tomolive/protocol/messages.hpp"

namespace tomolive::daemon {

struct DaemonCounters {
  std::atomic<std::uint64_t> messages_received{0};  // data messages, valid or not
  std::atomic<std::uint64_t> bytes_received{0};     // all parts of data messages
  std::atomic<std::uint64_t> darks_accepted{0};
  std::atomic<std::uint64_t> flats_accepted{0};
  std::atomic<std::uint64_t> projections_accepted{0};
  std::atomic<std::uint64_t> projections_reconstructed{0};
  std::atomic<std::uint64_t> rejected{0};               // all rejections; by reason below
  std::atomic<std::uint64_t> frames_out_of_order{0};    // accepted, but with an id below the newest of its kind
  std::atomic<std::uint64_t> projections_missing{0};    // ids never received, counted when a scan ends
  std::atomic<std::uint64_t> clamped_values{0};         // pixels clamped when projections arrived (-log, phase)
  std::atomic<std::uint64_t> zingers_replaced{0};       // pixels the zinger filter replaced, on arrival and re-filter
  std::atomic<std::uint64_t> refilters{0};              // re-filters of a scan's store (set_processing, ring passes)
  std::atomic<std::uint64_t> ring_passes{0};            // the automatic ring passes among them (PROTOCOL.md 10.5)
  std::atomic<std::uint64_t> queue_full_waits{0};       // ingest waited for the engine (block policy)
  std::atomic<std::uint64_t> queue_dropped{0};          // frames dropped by the drop_oldest policy
  std::atomic<std::uint64_t> frame_buffer_waits{0};     // ingest waited for a free engine frame buffer
  // Detector streams (PROTOCOL.md "Detector streams", "Scan plans").
  std::atomic<std::uint64_t> masked_pixels_repaired{0};   // pixels of a start's pixel_mask interpolated
  std::atomic<std::uint64_t> detector_images_skipped{0};  // images a scan plan leaves out (before the projections)
  std::atomic<std::uint64_t> series_held{0};              // series held for want of a scan plan
  // Projections of a scan on several streams that waited for the scan's darks and flats (ProjectionHold).
  std::atomic<std::uint64_t> projections_awaited_references{0};
  // Keys of detector messages that this version does not read (PROTOCOL.md 16.8): ignored, not refused; one per key
  // and message.
  std::atomic<std::uint64_t> unknown_keys_ignored{0};
  std::atomic<std::uint64_t> scans_begun{0};
  std::atomic<std::uint64_t> scans_ended{0};
  std::atomic<std::uint64_t> scans_refused{0};
  std::atomic<std::uint64_t> slices_published{0};
  std::atomic<std::uint64_t> events_published{0};
  std::atomic<std::uint64_t> events_dropped{0};         // event queue overflow (oldest dropped)
  std::atomic<std::uint64_t> control_requests{0};
  std::atomic<std::uint64_t> control_errors{0};
  // Engine failures (EngineWorker): calls that threw EngineError, engines lost (EngineLostError) and rebuilt,
  // commands cancelled or still running when their time budget passed, slice versions with non-finite values.
  std::atomic<std::uint64_t> engine_errors{0};
  std::atomic<std::uint64_t> engines_lost{0};
  // Slabs of an engine over several devices whose engine was lost (PROTOCOL.md 10.13), once per slab.
  std::atomic<std::uint64_t> slabs_lost{0};
  std::atomic<std::uint64_t> commands_cancelled{0};
  std::atomic<std::uint64_t> commands_overran{0};
  std::atomic<std::uint64_t> slices_non_finite{0};
  // Full volumes (VolumeJob): started, finished, failed (disk or engine), cancelled (cancel_volume, the next scan's
  // begin, shutdown), and the bytes written to volume files.
  std::atomic<std::uint64_t> volumes_started{0};
  std::atomic<std::uint64_t> volumes_finished{0};
  std::atomic<std::uint64_t> volumes_failed{0};
  std::atomic<std::uint64_t> volumes_cancelled{0};
  std::atomic<std::uint64_t> volume_bytes_written{0};
  // ZeroMQ CURVE authentication (SocketSecurity, ZapHandler): connections allowed and refused.
  std::atomic<std::uint64_t> zmq_auth_accepted{0};
  std::atomic<std::uint64_t> zmq_auth_denied{0};
  // ZeroMQ handshakes of the data sockets that failed, bound and connected (--data-connect) ones alike, summed over
  // the sockets (each also in its data_sockets[].handshake_failures): a peer with other CURVE keys, a refusal.
  std::atomic<std::uint64_t> zmq_handshake_failures{0};
  // HTTP and WebSocket (PROTOCOL.md 14).
  std::atomic<std::uint64_t> http_requests{0};         // HTTP requests read, static files and upgrades
  // Answered 4xx: bad method, path outside the viewer, missing file, Host not loopback (403), URL too long (414),
  // request line and headers too long (431).
  std::atomic<std::uint64_t> http_refused{0};
  std::atomic<std::uint64_t> http_connections_refused{0};  // answered 503: --http-max-connections were open
  std::atomic<std::uint64_t> ws_connections{0};        // WebSocket upgrades accepted since start
  // WebSocket messages refused: not JSON, unknown type, bad fields, over the message budget, a second sweep or
  // estimate while one runs.
  std::atomic<std::uint64_t> ws_errors{0};
  std::atomic<std::uint64_t> ws_slices_sent{0};
  std::atomic<std::uint64_t> ws_slices_superseded{0};  // versions a browser never got because a newer one replaced it
  std::atomic<std::uint64_t> ws_events_dropped{0};     // events beyond a slow browser's queue (oldest dropped)
  std::atomic<std::uint64_t> ws_bytes_sent{0};
  std::atomic<std::uint64_t> ws_queued_bytes_peak{0};  // the most bytes one browser's queue held at once (see
                                                       // WebSocketSession; raised with raise_to_at_least)
  // RDMA receiver (PROTOCOL.md, "RDMA"): sender connections accepted and refused at connect (their parameters),
  // connections ended by an error (a broken rule of the RDMA section or a queue-pair error, each also a
  // transport_error rejection), and senders gone during a scan (disconnected after its begin, before its end).
  std::atomic<std::uint64_t> rdma_connections{0};
  std::atomic<std::uint64_t> rdma_connections_refused{0};
  std::atomic<std::uint64_t> rdma_connection_errors{0};
  std::atomic<std::uint64_t> rdma_senders_lost{0};
  // Recordings of the raw stream (Recorder, PROTOCOL.md 18): files begun, renamed complete, stopped early (disk
  // error, queue overrun, scan cut off); frames and pixel bytes written; frames of recorded scans that will not be
  // in their file; waits of the engine thread for the writer (policy block); frames of a bslz4 recording that did not
  // arrive as bslz4 chunks and were compressed by the writer.
  std::atomic<std::uint64_t> recordings_started{0};
  std::atomic<std::uint64_t> recordings_completed{0};
  std::atomic<std::uint64_t> recordings_stopped{0};
  std::atomic<std::uint64_t> recording_frames_written{0};
  std::atomic<std::uint64_t> recording_bytes_written{0};
  std::atomic<std::uint64_t> recording_frames_dropped{0};
  std::atomic<std::uint64_t> recording_queue_full_waits{0};
  std::atomic<std::uint64_t> recording_frames_compressed{0};
  // Triggered captures (PROTOCOL.md 18.1).
  std::atomic<std::uint64_t> captures_started{0};
  std::atomic<std::uint64_t> captures_completed{0};
  std::atomic<std::uint64_t> captures_failed{0};
  std::atomic<std::uint64_t> capture_frames_written{0};
  // Pixels masked in the scans' defective-pixel maps (PROTOCOL.md 10.10), summed over scans.
  std::atomic<std::uint64_t> defective_pixels_masked{0};
  std::atomic<std::uint64_t> ws_clients{0};            // gauge: browsers connected now (not in totals())
  std::array<std::atomic<std::uint64_t>, protocol::kErrorCodeCount> rejected_by_reason{};

  void count_rejection(protocol::ErrorCode code) {
    rejected.fetch_add(1, std::memory_order_relaxed);
    rejected_by_reason[static_cast<std::size_t>(code)].fetch_add(1, std::memory_order_relaxed);
  }

  // Name -> value, in declaration order (the order get_status reports).
  protocol::CounterList totals() const;
  // ErrorCode name -> count, only the codes that occurred.
  protocol::CounterList rejections() const;
};

// Raises a peak gauge to `value` when it is below.
inline void raise_to_at_least(std::atomic<std::uint64_t>& peak, std::uint64_t value) {
  std::uint64_t seen = peak.load(std::memory_order_relaxed);
  while (seen < value && !peak.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

inline void bump(std::atomic<std::uint64_t>& counter, std::uint64_t by = 1) {
  counter.fetch_add(by, std::memory_order_relaxed);
}

}  // namespace tomolive::daemon
