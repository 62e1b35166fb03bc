#include "tomolive/daemon/counters.hpp"

namespace tomolive::daemon {

protocol::CounterList DaemonCounters::totals() const {
  const auto get = [](const std::atomic<std::uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  return {
      {"messages_received", get(messages_received)},
      {"bytes_received", get(bytes_received)},
      {"darks_accepted", get(darks_accepted)},
      {"flats_accepted", get(flats_accepted)},
      {"projections_accepted", get(projections_accepted)},
      {"projections_reconstructed", get(projections_reconstructed)},
      {"rejected", get(rejected)},
      {"frames_out_of_order", get(frames_out_of_order)},
      {"projections_missing", get(projections_missing)},
      {"clamped_values", get(clamped_values)},
      {"zingers_replaced", get(zingers_replaced)},
      {"refilters", get(refilters)},
      {"ring_passes", get(ring_passes)},
      {"queue_full_waits", get(queue_full_waits)},
      {"queue_dropped", get(queue_dropped)},
      {"frame_buffer_waits", get(frame_buffer_waits)},
      {"masked_pixels_repaired", get(masked_pixels_repaired)},
      {"detector_images_skipped", get(detector_images_skipped)},
      {"series_held", get(series_held)},
      {"projections_awaited_references", get(projections_awaited_references)},
      {"unknown_keys_ignored", get(unknown_keys_ignored)},
      {"scans_begun", get(scans_begun)},
      {"scans_ended", get(scans_ended)},
      {"scans_refused", get(scans_refused)},
      {"slices_published", get(slices_published)},
      {"events_published", get(events_published)},
      {"events_dropped", get(events_dropped)},
      {"control_requests", get(control_requests)},
      {"control_errors", get(control_errors)},
      {"engine_errors", get(engine_errors)},
      {"engines_lost", get(engines_lost)},
      {"slabs_lost", get(slabs_lost)},
      {"commands_cancelled", get(commands_cancelled)},
      {"commands_overran", get(commands_overran)},
      {"slices_non_finite", get(slices_non_finite)},
      {"volumes_started", get(volumes_started)},
      {"volumes_finished", get(volumes_finished)},
      {"volumes_failed", get(volumes_failed)},
      {"volumes_cancelled", get(volumes_cancelled)},
      {"volume_bytes_written", get(volume_bytes_written)},
      {"zmq_auth_accepted", get(zmq_auth_accepted)},
      {"zmq_auth_denied", get(zmq_auth_denied)},
      {"zmq_handshake_failures", get(zmq_handshake_failures)},
      {"http_requests", get(http_requests)},
      {"http_refused", get(http_refused)},
      {"http_connections_refused", get(http_connections_refused)},
      {"ws_connections", get(ws_connections)},
      {"ws_errors", get(ws_errors)},
      {"ws_slices_sent", get(ws_slices_sent)},
      {"ws_slices_superseded", get(ws_slices_superseded)},
      {"ws_events_dropped", get(ws_events_dropped)},
      {"ws_bytes_sent", get(ws_bytes_sent)},
      {"ws_queued_bytes_peak", get(ws_queued_bytes_peak)},
      {"rdma_connections", get(rdma_connections)},
      {"rdma_connections_refused", get(rdma_connections_refused)},
      {"rdma_connection_errors", get(rdma_connection_errors)},
      {"rdma_senders_lost", get(rdma_senders_lost)},
      {"recordings_started", get(recordings_started)},
      {"recordings_completed", get(recordings_completed)},
      {"recordings_stopped", get(recordings_stopped)},
      {"recording_frames_written", get(recording_frames_written)},
      {"recording_bytes_written", get(recording_bytes_written)},
      {"recording_frames_dropped", get(recording_frames_dropped)},
      {"recording_queue_full_waits", get(recording_queue_full_waits)},
      {"recording_frames_compressed", get(recording_frames_compressed)},
      {"captures_started", get(captures_started)},
      {"captures_completed", get(captures_completed)},
      {"captures_failed", get(captures_failed)},
      {"capture_frames_written", get(capture_frames_written)},
      {"defective_pixels_masked", get(defective_pixels_masked)},
  };
}

protocol::CounterList DaemonCounters::rejections() const {
  protocol::CounterList out;
  for (std::size_t i = 0; i < rejected_by_reason.size(); ++i) {
    const std::uint64_t n = rejected_by_reason[i].load(std::memory_order_relaxed);
    if (n > 0) out.emplace_back(std::string(protocol::to_string(static_cast<protocol::ErrorCode>(i))), n);
  }
  return out;
}

}  // namespace tomolive::daemon
