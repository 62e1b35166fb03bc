/* tomolive-send: the library detector software links to push a scan to tomolived, over RDMA ("rdma://host:port",
 * PROTOCOL.md "RDMA") or over the native ZeroMQ protocol ("tcp://host:port", a PUSH socket connected to the
 * daemon's --data endpoint), with the same calls:
 *
 *   open -> begin_scan -> send_dark / send_flat / send_projection ... -> end_scan -> (another scan) -> close
 *
 * Frames are rows x cols pixels of the scan's dtype, row-major, little endian (PROTOCOL.md 7). A frame is sent
 * either by copying (the call returns once the pixels were copied; the caller may reuse its memory at once) or
 * zero-copy from a buffer the caller registered (the library reads the caller's memory after the call returns;
 * wait_released(ticket) says when the caller may write that frame's memory again).
 *
 * Back-pressure: over RDMA a frame needs a free slot of the daemon's ring (a credit); over ZeroMQ room under the
 * socket's high-water mark. Every sending call takes timeout_ms: 0 returns TL_WOULD_BLOCK at once when there is no
 * room (EAGAIN style), > 0 waits at most that long (TL_TIMED_OUT), < 0 waits without limit. A frame is never
 * written into a slot the daemon has not given back.
 *
 * Errors: every call returns a tl_status; tl_last_error() says what happened, with the values involved. After
 * TL_DISCONNECTED or TL_RECEIVER_ERROR the sender is unusable: close it and open another.
 *
 * Thread-safety: one sender is used by one thread at a time; different senders are independent.
 * This header is the library's whole public interface (C99 and C++17 or later).
 */
#ifndef TOMOLIVE_SEND_H
#define TOMOLIVE_SEND_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tl_status {
  TL_OK = 0,
  TL_WOULD_BLOCK = 1,       /* no room now (timeout_ms 0): no credit (RDMA) or the ZeroMQ queue is full */
  TL_TIMED_OUT = 2,         /* no room within timeout_ms */
  TL_INVALID_ARGUMENT = 3,  /* a bad URL, a null pointer, a frame size that differs from the scan's */
  TL_BAD_STATE = 4,         /* a call out of order: a frame without begin_scan, begin_scan twice, ... */
  TL_FRAME_TOO_LARGE = 5,   /* a frame larger than the slot negotiated at open (tl_options.slot_bytes) */
  TL_HEADER_TOO_LARGE = 6,  /* a header (e.g. a begin with a long angle table) larger than message_bytes */
  TL_NO_DEVICE = 7,         /* RDMA: no RDMA device on this machine */
  TL_CONNECT_FAILED = 8,    /* the daemon could not be reached */
  TL_REFUSED = 9,           /* RDMA: the daemon refused the connection parameters (slot size, count, version) */
  TL_DISCONNECTED = 10,     /* the connection broke (the daemon went away, a queue-pair error) */
  TL_RECEIVER_ERROR = 11,   /* RDMA: the daemon ended the connection with an error (tl_last_error says which) */
  TL_UNKNOWN_BUFFER = 12,   /* a buffer id that was not registered, or a range outside the buffer */
  TL_INTERNAL = 13          /* a bug or an unexpected library failure; the message says what */
} tl_status;

/* The status's name, e.g. "TL_TIMED_OUT". */
const char* tl_status_name(tl_status status);

typedef enum tl_dtype { TL_UINT8 = 0, TL_UINT16 = 1, TL_UINT32 = 2, TL_FLOAT32 = 3 } tl_dtype;
typedef enum tl_frame_kind { TL_DARK = 0, TL_FLAT = 1, TL_PROJECTION = 2 } tl_frame_kind;

/* Connection options; zero fields take the defaults. */
typedef struct tl_options {
  uint32_t slot_bytes;          /* RDMA: the largest frame, bytes (default 8 MiB: 2048 x 2048 uint16) */
  uint32_t slot_count;          /* RDMA: frames in flight (default 16) */
  uint32_t message_bytes;       /* RDMA: the largest header message, bytes (default 64 KiB) */
  int32_t connect_timeout_ms;   /* default 5000 */
  int32_t queue_frames;         /* ZeroMQ: the send high-water mark, messages (default 64) */
} tl_options;

/* One scan's begin (PROTOCOL.md 5.1). Angles: angles_deg[angles_count] when angles_deg is not null, else
 * angle_start_deg + k * angle_step_deg. */
typedef struct tl_scan {
  uint64_t scan_id;
  const char* name; /* may be null */
  uint32_t rows, cols;
  tl_dtype dtype;
  uint32_t num_darks, num_flats, num_projections;
  double angle_start_deg, angle_step_deg;
  const double* angles_deg;
  uint32_t angles_count;
  uint32_t window;  /* 0: no sliding window */
  uint32_t streams; /* 0 or 1: one stream */
  double center_offset_px;
  double pixel_size_um; /* detector pixel size at the sample, micrometres; 0: not given */
  int half_acquisition; /* non-zero: a 360 degree scan with the axis off centre (PROTOCOL.md 5.1) */
} tl_scan;

typedef struct tl_sender tl_sender;

/* Opens a sender to "rdma://host:port" or "tcp://host:port"; options may be null. On failure *sender is null and
 * tl_open_error() says why. */
tl_status tl_open(const char* url, const tl_options* options, tl_sender** sender);
/* Why the calling thread's last tl_open failed. */
const char* tl_open_error(void);
/* Waits until every frame sent has left the caller's memory (at most timeout_ms), then disconnects. Null is fine. */
void tl_close(tl_sender* sender, int timeout_ms);
/* What the last failing call on this sender said ("" after success). */
const char* tl_last_error(const tl_sender* sender);

tl_status tl_begin_scan(tl_sender* sender, const tl_scan* scan, int timeout_ms);
/* Copying sends: `bytes` must be rows * cols * itemsize of the scan. */
tl_status tl_send_dark(tl_sender* sender, uint64_t frame_id, const void* pixels, size_t bytes, int timeout_ms);
tl_status tl_send_flat(tl_sender* sender, uint64_t frame_id, const void* pixels, size_t bytes, int timeout_ms);
/* angle_deg: the frame's own angle, or NaN for the begin's. */
tl_status tl_send_projection(tl_sender* sender, uint64_t frame_id, double angle_deg, const void* pixels,
                             size_t bytes, int timeout_ms);

/* Zero-copy: registers memory the caller owns (and keeps until close) for frames sent from it; *buffer_id names it. */
tl_status tl_register_buffer(tl_sender* sender, void* memory, size_t bytes, uint32_t* buffer_id);
/* Sends the frame at [offset, offset + bytes) of a registered buffer without copying; *ticket (may be null)
 * identifies it for tl_wait_released. angle_deg as in tl_send_projection (ignored for darks and flats). */
tl_status tl_send_registered(tl_sender* sender, tl_frame_kind kind, uint64_t frame_id, double angle_deg,
                             uint32_t buffer_id, size_t offset, size_t bytes, int timeout_ms, uint64_t* ticket);
/* Waits until the frame of `ticket` has left the caller's memory. */
tl_status tl_wait_released(tl_sender* sender, uint64_t ticket, int timeout_ms);

/* Sends end and waits until every frame has left the caller's memory. */
tl_status tl_end_scan(tl_sender* sender, int timeout_ms);

/* Frames sent, and times a send found no room (a credit wait over RDMA, a full queue over ZeroMQ). */
uint64_t tl_frames_sent(const tl_sender* sender);
uint64_t tl_backpressure_waits(const tl_sender* sender);

#ifdef __cplusplus
}  /* extern "C" */

#include <cmath>
#include <memory>
#include <string>

namespace tomolive::send {

/* The C++ face of the same library: methods return the tl_status of the C call of the same name; last_error()
 * says what went wrong. Movable, not copyable; closes (waiting up to 5 s for frames in flight) when destroyed. */
class Sender {
 public:
  static Sender open(const std::string& url, const tl_options* options = nullptr) {
    tl_sender* sender = nullptr;
    const tl_status status = tl_open(url.c_str(), options, &sender);
    return Sender(sender, status);
  }
  explicit operator bool() const { return sender_ != nullptr; }
  tl_status open_status() const { return open_status_; }
  std::string last_error() const { return sender_ ? tl_last_error(sender_.get()) : tl_open_error(); }

  tl_status begin_scan(const tl_scan& scan, int timeout_ms = -1) { return tl_begin_scan(sender_.get(), &scan, timeout_ms); }
  tl_status send_dark(uint64_t id, const void* pixels, size_t bytes, int timeout_ms = -1) {
    return tl_send_dark(sender_.get(), id, pixels, bytes, timeout_ms);
  }
  tl_status send_flat(uint64_t id, const void* pixels, size_t bytes, int timeout_ms = -1) {
    return tl_send_flat(sender_.get(), id, pixels, bytes, timeout_ms);
  }
  tl_status send_projection(uint64_t id, const void* pixels, size_t bytes, int timeout_ms = -1,
                            double angle_deg = std::nan("")) {
    return tl_send_projection(sender_.get(), id, angle_deg, pixels, bytes, timeout_ms);
  }
  tl_status register_buffer(void* memory, size_t bytes, uint32_t& buffer_id) {
    return tl_register_buffer(sender_.get(), memory, bytes, &buffer_id);
  }
  tl_status send_registered(tl_frame_kind kind, uint64_t id, uint32_t buffer_id, size_t offset, size_t bytes,
                            int timeout_ms = -1, uint64_t* ticket = nullptr, double angle_deg = std::nan("")) {
    return tl_send_registered(sender_.get(), kind, id, angle_deg, buffer_id, offset, bytes, timeout_ms, ticket);
  }
  tl_status wait_released(uint64_t ticket, int timeout_ms = -1) {
    return tl_wait_released(sender_.get(), ticket, timeout_ms);
  }
  tl_status end_scan(int timeout_ms = -1) { return tl_end_scan(sender_.get(), timeout_ms); }
  uint64_t frames_sent() const { return tl_frames_sent(sender_.get()); }
  uint64_t backpressure_waits() const { return tl_backpressure_waits(sender_.get()); }
  tl_sender* handle() const { return sender_.get(); }

 private:
  struct Closer {
    void operator()(tl_sender* sender) const { tl_close(sender, 5000); }
  };
  Sender(tl_sender* sender, tl_status status) : sender_(sender), open_status_(status) {}
  std::unique_ptr<tl_sender, Closer> sender_;
  tl_status open_status_;
};

}  // namespace tomolive::send
#endif

#endif /* TOMOLIVE_SEND_H */
