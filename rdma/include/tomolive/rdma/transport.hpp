// The transport seam: the few verbs operations that tomolive's RDMA receiver and sender use, behind an interface
// with two implementations: VerbsTransport (libibverbs + librdmacm, real hardware) and FakeTransport (two endpoints
// in one process, memory copied on "write", completions queued), which the tests drive on any machine.
//
// A Connection is one reliable-connected queue pair with its own completion queue. Its life:
//   receiver: Listener::next_request() -> a Connection in the "requested" state -> register memory, post receives
//             -> accept(reply) (or reject(reply)) -> established.
//   sender:   Transport::open(host, port) -> a Connection in the "resolved" state -> register memory, post receives
//             -> connect(parameters) -> established, or the receiver's rejection.
// Then: post SENDs and RDMA WRITE WITH IMMEDIATE, poll completions, notice the peer's disconnect.
//
// Work requests name a buffer inside a MemoryRegion registered on the same connection. Completions come back in the
// order the work requests of one queue were posted (RC ordering); after an error or a disconnect every outstanding
// work request completes with WorkStatus::flushed.
//
// Thread-safety: a Connection is used by one thread, except wake(), which any thread may call. Listener likewise.
// Errors in setting up (no device, address unusable, peer unreachable) throw TransportError with a message that
// says what was looked for.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace tomolive::rdma {

class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Memory registered with a connection's protection domain for local access and remote writes. Deregistered when
// destroyed; the memory itself belongs to the caller and must outlive the region.
class MemoryRegion {
 public:
  virtual ~MemoryRegion() = default;
  virtual std::span<std::byte> bytes() const = 0;
  // The key a peer names this region with in an RDMA write.
  virtual std::uint32_t remote_key() const = 0;
  // The address a peer names the first byte with (the virtual address, as verbs uses it).
  std::uint64_t remote_address() const { return reinterpret_cast<std::uintptr_t>(bytes().data()); }
};

// Where an RDMA write lands in the peer's memory: an address inside a region the peer registered, and its key.
struct RemoteTarget {
  std::uint64_t address = 0;
  std::uint32_t remote_key = 0;
};

enum class WorkStatus : std::uint8_t {
  success,
  flushed,                 // the queue pair went to the error state (an error, a disconnect) before this completed
  remote_access_error,     // a write outside a region the peer registered, or with a wrong key
  remote_operation_error,  // the peer could not complete the operation (e.g. its receive buffer was too small)
  retry_exceeded,          // the peer stopped answering (transport retries or receiver-not-ready retries ran out)
  local_error,             // a local protection or length error
  other_error,
};
const char* to_string(WorkStatus status);

struct Completion {
  enum class Op : std::uint8_t {
    send,                     // a posted SEND finished (its buffer may be reused)
    write,                    // a posted RDMA WRITE WITH IMMEDIATE finished (its source may be reused)
    receive,                  // a posted receive got a peer's SEND of byte_length bytes
    receive_write_immediate,  // a posted receive was consumed by a peer's write of byte_length bytes with immediate
  };
  Op op = Op::send;
  std::uint64_t work_id = 0;  // as given when posting
  WorkStatus status = WorkStatus::success;
  std::uint32_t byte_length = 0;  // receives only
  std::uint32_t immediate = 0;    // receive_write_immediate only (host byte order)
};

class Connection {
 public:
  virtual ~Connection() = default;  // disconnects and releases the queue pair, completion queue and domain

  // Registers `memory` (local write, remote write). Throws TransportError.
  virtual std::unique_ptr<MemoryRegion> register_memory(std::span<std::byte> memory) = 0;

  // Posts a receive into `buffer` (inside `region`); a peer's SEND or write-with-immediate consumes it.
  virtual void post_receive(std::uint64_t work_id, const MemoryRegion& region, std::span<std::byte> buffer) = 0;
  // Posts a SEND of `message` (inside `region`), which lands in the peer's next posted receive.
  virtual void post_send(std::uint64_t work_id, const MemoryRegion& region, std::span<const std::byte> message) = 0;
  // Posts an RDMA WRITE WITH IMMEDIATE of `data` (inside `region`) to `target` in the peer's memory; it consumes
  // one of the peer's posted receives, whose completion carries `immediate` and data.size().
  virtual void post_write_with_immediate(std::uint64_t work_id, const MemoryRegion& region,
                                         std::span<const std::byte> data, RemoteTarget target,
                                         std::uint32_t immediate) = 0;

  // Fills up to out.size() completions; waits up to `timeout` for the first. Returns how many were filled (0 after
  // the timeout or a wake()).
  virtual std::size_t poll(std::span<Completion> out, std::chrono::milliseconds timeout) = 0;
  // Makes a waiting or the next poll() return at once. Any thread.
  virtual void wake() = 0;
  // Whether the connection ended: the peer disconnected, or the connection manager reported it broken. Does not
  // wait.
  virtual bool disconnected() = 0;

  // Receiver side, in the "requested" state: the private data of the peer's connect request.
  virtual std::vector<std::byte> request_parameters() const = 0;
  // Receiver side: completes the connection with `reply` as private data (at most 56 bytes), waiting until it is
  // established (up to `timeout`); or refuses it. Throw TransportError.
  virtual void accept(std::span<const std::byte> reply, std::chrono::milliseconds timeout) = 0;
  virtual void reject(std::span<const std::byte> reply) = 0;

  // Sender side, in the "resolved" state: connects with `parameters` as private data (at most 56 bytes) and waits
  // up to `timeout`. Returns the receiver's reply (private data) and whether it accepted. Throws TransportError
  // when the receiver is unreachable or does not answer.
  struct ConnectResult {
    bool accepted = false;
    std::vector<std::byte> reply;
  };
  virtual ConnectResult connect(std::span<const std::byte> parameters, std::chrono::milliseconds timeout) = 0;

  // "host:port" of the peer, for messages.
  virtual std::string peer_name() const = 0;
};

class Listener {
 public:
  virtual ~Listener() = default;
  // The next connect request, waiting up to `timeout`; null when none came. Throws TransportError when the
  // listener broke.
  virtual std::unique_ptr<Connection> next_request(std::chrono::milliseconds timeout) = 0;
  // Makes a waiting next_request() return at once. Any thread.
  virtual void wake() = 0;
  // The RDMA device the listener is bound to (e.g. "mlx5_0"; "fake" for the fake transport).
  virtual std::string device_name() const = 0;
  virtual std::uint16_t port() const = 0;  // as bound (the one chosen for port 0)
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Binds and listens on address:port. Throws TransportError (no device, the address is on no RDMA device...).
  virtual std::unique_ptr<Listener> listen(const std::string& address, std::uint16_t port) = 0;
  // Resolves host:port and creates a queue pair toward it (not yet connected), waiting up to `timeout`.
  virtual std::unique_ptr<Connection> open(const std::string& host, std::uint16_t port,
                                           std::chrono::milliseconds timeout) = 0;
};

}  // namespace tomolive::rdma
