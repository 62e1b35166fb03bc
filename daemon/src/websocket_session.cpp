#include "tomolive/daemon/websocket_session.hpp"

#include <chrono>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>
#include <spdlog/spdlog.h>

#include "tomolive/daemon/preview_frame.hpp"
#include "tomolive/daemon/slice_frame.hpp"
#include "tomolive/protocol/clock.hpp"

namespace tomolive::daemon {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace websocket = beast::websocket;

std::size_t size_of(const std::shared_ptr<const std::string>& message) { return message ? message->size() : 0; }

}  // namespace

WebSocketSession::WebSocketSession(beast::tcp_stream&& stream, WebSocketShared& shared,
                                   ViewerAccess::Decision access, std::string hello, ConnectionLimit::Slot slot)
    : ws_(std::move(stream)), shared_(shared), admission_(std::move(access)), slot_(std::move(slot)) {
  queued_bytes_ = hello.size();
  queued_.push_back({std::make_shared<const std::string>(std::move(hello)), false, false});
}

WebSocketSession::~WebSocketSession() {
  if (counted_) shared_.counters.ws_clients.fetch_sub(1, std::memory_order_relaxed);
}

void WebSocketSession::start(Upgrade upgrade) {
  upgrade_ = std::move(upgrade);
  beast::get_lowest_layer(ws_).expires_never();  // the websocket's own timeouts below take over
  beast::get_lowest_layer(ws_).socket().set_option(net::ip::tcp::no_delay(true));
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& response) { response.set(beast::http::field::server, "tomolived"); }));
  ws_.read_message_max(kMaxMessageBytes);
  ws_.async_accept(upgrade_, [self = shared_from_this()](beast::error_code error) {
    if (error) {
      spdlog::debug("websocket handshake failed: {}", error.message());
      return;
    }
    self->open_ = true;
    self->counted_ = true;
    bump(self->shared_.counters.ws_connections);
    bump(self->shared_.counters.ws_clients);
    self->read_next();
    self->refresh_slices();
    self->pump();
  });
}

void WebSocketSession::notify_slices() {
  net::post(ws_.get_executor(), [self = shared_from_this()] {
    self->refresh_slices();
    self->pump();
  });
}

void WebSocketSession::send_event(std::shared_ptr<const std::string> event) {
  net::post(ws_.get_executor(), [self = shared_from_this(), event = std::move(event)]() mutable {
    self->queue({std::move(event), false, true});
  });
}

void WebSocketSession::send_status(std::shared_ptr<const std::string> status) {
  net::post(ws_.get_executor(), [self = shared_from_this(), status = std::move(status)]() mutable {
    self->replace(self->status_, std::move(status));
  });
}

void WebSocketSession::close() {
  net::post(ws_.get_executor(), [self = shared_from_this()] {
    if (!self->open_) return;
    self->open_ = false;
    self->ws_.async_close(websocket::close_code::going_away, [self](beast::error_code) {});
  });
}

void WebSocketSession::abort() {
  open_ = false;
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
}

void WebSocketSession::read_next() {
  if (!open_ || reading_ || queued_bytes_ >= kMaxQueuedBytes || admission_.running() >= kMaxPendingCommands) return;
  reading_ = true;
  ws_.async_read(read_buffer_, beast::bind_front_handler(&WebSocketSession::on_read, shared_from_this()));
}

void WebSocketSession::on_read(beast::error_code error, std::size_t /*bytes*/) {
  reading_ = false;
  if (error) {
    if (error != websocket::error::closed) spdlog::debug("websocket read ended: {}", error.message());
    open_ = false;
    return;
  }
  if (!budget_.take(std::chrono::steady_clock::now())) {
    read_buffer_.clear();
    refuse_over_budget();
    read_next();
    return;
  }
  if (!ws_.got_text()) {
    read_buffer_.clear();
    bump(shared_.counters.ws_errors);
    queue_reply(reply_json(protocol::Reply{"", protocol::Error{protocol::ErrorCode::malformed_header,
                                                               "binary WebSocket messages are not accepted; send "
                                                               "JSON text"},
                                           {}},
                           nullptr));
    read_next();
    return;
  }
  const std::string text = beast::buffers_to_string(read_buffer_.data());
  read_buffer_.clear();
  ParsedBrowserMessage parsed = parse_browser_message(text);
  if (auto* refused = std::get_if<BrowserMessageError>(&parsed)) {
    bump(shared_.counters.ws_errors);
    spdlog::debug("websocket message refused ({}): {}", protocol::to_string(refused->error.code),
                  refused->error.message);
    queue_reply(reply_json(protocol::Reply{refused->command, refused->error, {}}, refused->request_id));
    read_next();
    return;
  }
  handle(std::get<BrowserMessage>(std::move(parsed)));
}

void WebSocketSession::refuse_over_budget() {
  bump(shared_.counters.ws_errors);
  ++refused_unreported_;
  const protocol::Error error{
      protocol::ErrorCode::queue_full,
      std::to_string(refused_unreported_) + " message(s) refused unread: a browser may send at most " +
          std::to_string(static_cast<int>(MessageBudget::kPerSecond)) + " messages per second (bursts of " +
          std::to_string(static_cast<int>(MessageBudget::kBurst)) + ")"};
  replace(refusal_, std::make_shared<const std::string>(reply_json(protocol::Reply{"", error, {}}, nullptr)));
}

void WebSocketSession::handle(BrowserMessage message) {
  if (auto* control = std::get_if<BrowserControl>(&message)) {
    admit_control(std::move(*control));
  } else if (auto* view = std::get_if<BrowserView>(&message)) {
    SliceState& slice = slices_[static_cast<std::size_t>(view->slice)];
    slice.view = view->view;
    slice.resend = true;
    pump();
  } else if (auto* watch = std::get_if<BrowserWatchPreview>(&message)) {
    preview_watched_ = watch->enabled;
    preview_ = nullptr;  // a fresh round of the newest snapshot, from its first chunk
    preview_chunk_ = 0;
    refresh_preview();
    pump();
  } else if (auto* latency = std::get_if<BrowserLatency>(&message)) {
    shared_.record_latency(latency->scan_id, latency->samples_us);
  } else if (auto* ping = std::get_if<BrowserPing>(&message)) {
    replace(pong_, std::make_shared<const std::string>(pong_json(ping->t, protocol::unix_time_ns())));
  }
  read_next();
}

void WebSocketSession::admit_control(BrowserControl control) {
  std::optional<protocol::Error> refusal = admission_.admit(control.request);
  if (!refusal) {
    run_control(std::move(control));
    return;
  }
  std::string command(protocol::command_name(control.request));
  protocol::Reply reply{command, *refusal, {}};
  if (refusal->code == protocol::ErrorCode::permission_denied) {
    reply = shared_.handlers.refuse(*refusal, std::move(command));  // counted and logged as every refused command
  } else {
    bump(shared_.counters.ws_errors);
  }
  queue_reply(reply_json(reply, control.request_id));
}

void WebSocketSession::run_control(BrowserControl control) {
  net::post(shared_.control_pool, [self = shared_from_this(), control = std::move(control)] {
    ControlHandlers::Answer answer;
    if (self->shared_.stopping.load()) {
      answer.reply = protocol::Reply{std::string(protocol::command_name(control.request)),
                                     protocol::Error{protocol::ErrorCode::internal_error,
                                                     "not run: the daemon is stopping"},
                                     {}};
    } else {
      answer = self->shared_.handlers.handle(control.request);
    }
    net::post(self->ws_.get_executor(), [self, control, answer = std::move(answer)] {
      self->admission_.finished(control.request);
      self->answer(control, answer);
      self->read_next();
    });
  });
}

void WebSocketSession::answer(const BrowserControl& control, const ControlHandlers::Answer& answer) {
  const auto* sweep = std::get_if<protocol::SweepResult>(&answer.reply.result);
  const auto* processing = std::get_if<protocol::ProcessingSweepResult>(&answer.reply.result);
  if (!(sweep || processing) || !answer.sweep_images) {
    queue_reply(reply_json(answer.reply, control.request_id));
    return;
  }
  // The reply with its sweep_id, then one frame per candidate image.
  const std::uint64_t sweep_id = ++sweeps_;
  queue_reply(reply_json(answer.reply, control.request_id, {{"sweep_id", sweep_id}}));
  // A center sweep's images have its shape (the region sampled every pixel_step pixels); a processing sweep's are the
  // region.
  const std::uint32_t rows = sweep ? sweep->shape[0] : processing->region[2];
  const std::uint32_t cols = sweep ? sweep->shape[1] : processing->region[3];
  const std::size_t pixels = static_cast<std::size_t>(rows) * cols;
  const auto count = static_cast<std::uint32_t>(sweep ? sweep->centers_px.size() : processing->values.size());
  for (std::uint32_t i = 0; i < count; ++i) {
    SweepFrameInfo info{sweep_id, i, count, 0.0, sweep ? sweep->xy_row : processing->xy_row, {}, 0.0, {}};
    if (sweep) {
      info.center_offset_px = sweep->centers_px[i];
      info.pixel_step = sweep->pixel_step;
    } else {
      info.parameter = std::string(protocol::to_string(processing->parameter));
      info.value = processing->values[i];
      info.label = processing->labels[i];
    }
    const std::span<const float> image = std::span<const float>(*answer.sweep_images).subspan(i * pixels, pixels);
    queue({std::make_shared<const std::string>(
               encode_sweep_frame(image, rows, cols, info, control.sweep_view, protocol::unix_time_ns())),
           true, false});
  }
}

void WebSocketSession::queue(Outgoing outgoing) {
  if (outgoing.droppable && queued_events_ >= kMaxQueuedMessages) {
    const auto oldest =
        std::find_if(queued_.begin(), queued_.end(), [](const Outgoing& o) { return o.droppable; });
    queued_bytes_ -= oldest->message->size();
    queued_.erase(oldest);
    --queued_events_;
    bump(shared_.counters.ws_events_dropped);
    shared_.slow_browsers_log.log(spdlog::level::warn, "ws_events_dropped", LogFields{"slow_consumer", std::nullopt},
                                  "websocket: a slow browser's oldest queued event dropped (" +
                                      std::to_string(kMaxQueuedMessages) + " queued)");
  }
  if (outgoing.droppable) ++queued_events_;
  queued_bytes_ += outgoing.message->size();
  queued_.push_back(std::move(outgoing));
  note_queue_peak();
  pump();
}

void WebSocketSession::replace(std::shared_ptr<const std::string>& slot, std::shared_ptr<const std::string> message) {
  slot = std::move(message);
  note_queue_peak();
  pump();
}

void WebSocketSession::note_queue_peak() {
  raise_to_at_least(shared_.counters.ws_queued_bytes_peak,
                    queued_bytes_ + size_of(status_) + size_of(pong_) + size_of(refusal_));
}

void WebSocketSession::refresh_slices() {
  refresh_preview();
  for (std::size_t kind = 0; kind < slices_.size(); ++kind) {
    const SliceBoard::Version latest = shared_.board.latest(static_cast<protocol::SliceKind>(kind));
    if (!latest) continue;
    SliceState& slice = slices_[kind];
    const std::uint64_t sequence = latest->header.sequence;
    if (sequence == slice.sent_sequence || sequence == slice.waiting_sequence) continue;
    if (slice.waiting_sequence != 0) bump(shared_.counters.ws_slices_superseded);
    slice.waiting_sequence = sequence;
  }
}

bool WebSocketSession::write_next_slice() {
  for (std::size_t i = 0; i < slices_.size(); ++i) {
    const std::size_t kind = (next_slice_ + i) % slices_.size();
    SliceState& slice = slices_[kind];
    if (slice.waiting_sequence == 0 && !slice.resend) continue;
    const SliceBoard::Version latest = shared_.board.latest(static_cast<protocol::SliceKind>(kind));
    slice.waiting_sequence = 0;
    slice.resend = false;
    if (!latest) continue;
    slice.sent_sequence = latest->header.sequence;
    next_slice_ = (kind + 1) % slices_.size();
    write(std::make_shared<const std::string>(encode_slice_frame(*latest, slice.view, protocol::unix_time_ns())),
          true);
    bump(shared_.counters.ws_slices_sent);
    return true;
  }
  return false;
}

void WebSocketSession::refresh_preview() {
  if (shared_.preview == nullptr || !preview_watched_) {
    preview_ = nullptr;
    preview_left_ = 0;
    return;
  }
  PreviewBoard::Version latest = shared_.preview->latest();
  if (latest == preview_) return;
  if (!latest || !preview_ || latest->layers != preview_->layers || latest->rows != preview_->rows ||
      latest->cols != preview_->cols) {
    preview_chunk_ = 0;  // another grid: its chunks are others
  }
  preview_ = std::move(latest);
  preview_left_ = preview_ ? preview_chunk_count(*preview_) : 0;
  if (preview_left_ != 0) preview_chunk_ %= preview_left_;
}

bool WebSocketSession::write_next_preview_chunk() {
  if (!preview_ || preview_left_ == 0) return false;
  const std::uint32_t chunk = preview_chunk_;
  preview_chunk_ = (chunk + 1) % preview_chunk_count(*preview_);
  --preview_left_;
  write(std::make_shared<const std::string>(encode_preview_chunk(*preview_, chunk, protocol::unix_time_ns())), true);
  return true;
}

void WebSocketSession::pump() {
  if (!open_ || writing_) return;
  const auto write_text = [this] {
    if (!queued_.empty()) {
      Outgoing next = std::move(queued_.front());
      queued_.pop_front();
      if (next.droppable) --queued_events_;
      queued_bytes_ -= next.message->size();
      write(std::move(next.message), next.binary);
      return true;
    }
    for (auto* slot : {&pong_, &refusal_, &status_}) {
      if (!*slot) continue;
      if (slot == &refusal_) refused_unreported_ = 0;
      write(std::exchange(*slot, nullptr), false);
      return true;
    }
    return false;
  };
  const auto write_binary = [this] { return write_next_slice() || write_next_preview_chunk(); };
  const bool wrote = slice_turn_ ? (write_binary() || write_text()) : (write_text() || write_binary());
  if (wrote) slice_turn_ = !slice_turn_;
}

void WebSocketSession::write(std::shared_ptr<const std::string> message, bool binary) {
  writing_ = true;
  in_flight_ = std::move(message);
  ws_.binary(binary);
  ws_.async_write(net::buffer(*in_flight_),
                  beast::bind_front_handler(&WebSocketSession::on_written, shared_from_this()));
}

void WebSocketSession::on_written(beast::error_code error, std::size_t bytes) {
  writing_ = false;
  in_flight_.reset();
  if (error) {
    spdlog::debug("websocket write failed: {}", error.message());
    open_ = false;
    return;
  }
  bump(shared_.counters.ws_bytes_sent, bytes);
  pump();
  read_next();  // reading may have waited for the queue to shrink
}

}  // namespace tomolive::daemon
