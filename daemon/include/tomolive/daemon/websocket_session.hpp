// WebSocketSession: one browser connected to /ws (PROTOCOL.md 14). It reads the browser's JSON messages (control
// commands, slice views, latency reports, pings) and writes, one message at a time, replies, events, status and
// the newest version of each slice, encoded for the browser's view of it.
//
// No browser makes the daemon's memory grow, however it reads or writes:
// - the live 3D preview (to a browser that sent watch_preview) goes out in chunks of whole layers (preview_frame.hpp,
//   at most kPreviewChunkBytes each, encoded only when written), one chunk when a slice would have gone and no slice
//   waits: each new snapshot starts a round of every chunk at the chunk after the last one sent, so a browser slower
//   than the snapshots still sees every part of the volume renewed, and at most one chunk is held per browser;
// - slices wait as "the newest version" (a newer one replaces it, counted in ws_slices_superseded), status and the
//   pong to a ping as the newest only (a flood of pings gets one pong, for the newest), and at most
//   kMaxQueuedMessages events (beyond, the oldest is dropped and counted in ws_events_dropped);
// - replies and a sweep's frames are never dropped; instead the next message is not read while kMaxQueuedBytes or
//   more wait to be written, or while kMaxPendingCommands of this browser's control commands are running, so a
//   browser that does not read stops being read (TCP holds its messages back);
// - messages beyond the MessageBudget are refused unread (counted in ws_errors) with one reply that counts them
//   (queue_full), not one reply each; ControlAdmission decides which control commands run (read-only viewers:
//   get_status only; one sweep or estimate at a time).
// WebSocket ping frames (not the JSON ping) are answered by Beast itself, one pong at a time: reading waits while
// it is written. ws_queued_bytes_peak records the most bytes one browser's queue held. All of it is freed when the browser goes.
//
// All state lives on the session's strand; the public methods may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "tomolive/daemon/browser_messages.hpp"
#include "tomolive/daemon/connection_limit.hpp"
#include "tomolive/daemon/control_admission.hpp"
#include "tomolive/daemon/control_handlers.hpp"
#include "tomolive/daemon/counters.hpp"
#include "tomolive/daemon/log_limiter.hpp"
#include "tomolive/daemon/message_budget.hpp"
#include "tomolive/daemon/preview_board.hpp"
#include "tomolive/daemon/slice_board.hpp"
#include "tomolive/daemon/viewer_access.hpp"

namespace tomolive::daemon {

// What every session of one server shares. Each member outlives the sessions.
struct WebSocketShared {
  SliceBoard& board;
  ControlHandlers& handlers;
  DaemonCounters& counters;
  boost::asio::thread_pool& control_pool;                           // runs control commands (they may block)
  std::function<void(std::uint64_t scan_id, const std::vector<double>& samples_us)> record_latency;  // T5
  std::atomic<bool> stopping{false};  // commands not yet started are answered "stopping" instead of run
  LogLimiter slow_browsers_log{};     // events dropped for slow browsers: one line per burst
  PreviewBoard* preview = nullptr;    // the live 3D preview's snapshots; null: none are sent
};

class WebSocketSession : public std::enable_shared_from_this<WebSocketSession> {
 public:
  static constexpr std::size_t kMaxQueuedMessages = 1000;
  static constexpr std::size_t kMaxMessageBytes = 64 * 1024;  // browser -> daemon
  static constexpr std::size_t kMaxQueuedBytes = 1024 * 1024;  // reading pauses at this many waiting to be written
  static constexpr int kMaxPendingCommands = 4;                // reading pauses at this many running

  using Upgrade = boost::beast::http::request<boost::beast::http::string_body>;

  // hello: the first message to send (hello_json). slot: this connection's place under the server's cap.
  WebSocketSession(boost::beast::tcp_stream&& stream, WebSocketShared& shared, ViewerAccess::Decision access,
                   std::string hello, ConnectionLimit::Slot slot);
  ~WebSocketSession();

  // Completes the upgrade and starts reading and writing.
  void start(Upgrade upgrade);
  // New slice versions are on the board.
  void notify_slices();
  void send_event(std::shared_ptr<const std::string> event);
  void send_status(std::shared_ptr<const std::string> status);
  // Starts a clean close (the daemon is stopping).
  void close();
  // Closes the connection at once. Only when no I/O thread runs (after the server's threads have stopped).
  void abort();

 private:
  using Stream = boost::beast::websocket::stream<boost::beast::tcp_stream>;

  // Reads the next message unless one is being read or the limits above hold reading back.
  void read_next();
  void on_read(boost::beast::error_code error, std::size_t bytes);
  void refuse_over_budget();
  void handle(BrowserMessage message);
  // Runs `control` on the control pool if ControlAdmission admits it, else answers the refusal.
  void admit_control(BrowserControl control);
  void run_control(BrowserControl control);
  // Queues the reply to `control` (and a sweep's frames).
  void answer(const BrowserControl& control, const ControlHandlers::Answer& answer);
  struct Outgoing {
    std::shared_ptr<const std::string> message;
    bool binary = false;
    bool droppable = false;  // an event (a reply or a sweep frame must arrive)
  };
  void queue(Outgoing outgoing);
  void queue_reply(std::string text) { queue({std::make_shared<const std::string>(std::move(text)), false, false}); }
  // Replaces the newest-only message in `slot` (status, pong, the over-budget refusal).
  void replace(std::shared_ptr<const std::string>& slot, std::shared_ptr<const std::string> message);
  void note_queue_peak();
  void refresh_slices();
  void pump();
  bool write_next_slice();
  // Takes the newest preview snapshot into preview_ (a new one starts a round of its chunks).
  void refresh_preview();
  bool write_next_preview_chunk();
  void write(std::shared_ptr<const std::string> message, bool binary);
  void on_written(boost::beast::error_code error, std::size_t bytes);

  Stream ws_;
  WebSocketShared& shared_;
  ControlAdmission admission_;
  const ConnectionLimit::Slot slot_;
  MessageBudget budget_;
  boost::beast::flat_buffer read_buffer_;
  Upgrade upgrade_;       // the upgrade request, kept until the handshake completes
  bool counted_ = false;  // counted in ws_clients (handshake done)
  bool open_ = false;     // handshake done, not closed
  bool writing_ = false;  // one write in flight
  bool reading_ = false;  // one read in flight
  bool slice_turn_ = false;  // alternate texts and slices so that neither starves the other

  std::deque<Outgoing> queued_;    // hello, replies, sweep frames, events
  std::size_t queued_events_ = 0;  // the droppable ones among them
  std::size_t queued_bytes_ = 0;   // of the messages in queued_
  std::shared_ptr<const std::string> status_;             // newest status not yet written
  std::shared_ptr<const std::string> pong_;               // answer to the newest ping, not yet written
  std::shared_ptr<const std::string> refusal_;            // "messages refused over the budget", not yet written
  std::uint64_t refused_unreported_ = 0;                  // messages over the budget since refusal_ was written
  std::shared_ptr<const std::string> in_flight_;          // the message being written

  struct SliceState {
    SliceView view;
    std::uint64_t sent_sequence = 0;     // of the version last written (0: none)
    std::uint64_t waiting_sequence = 0;  // of the newest version waiting to be written (0: none)
    bool resend = false;                 // the view changed: write the newest version again
  };
  std::array<SliceState, protocol::kSliceKinds.size()> slices_;
  std::size_t next_slice_ = 0;  // round robin over the three slices
  std::uint64_t sweeps_ = 0;    // sweep_id of the newest sweep answered

  bool preview_watched_ = false;      // the browser sent watch_preview with enabled true
  PreviewBoard::Version preview_;     // the snapshot whose chunks go out now
  std::uint32_t preview_chunk_ = 0;   // the next chunk to send
  std::uint32_t preview_left_ = 0;    // chunks of preview_ still to send in this round
};

}  // namespace tomolive::daemon
