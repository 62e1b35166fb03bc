#include "tomolive/rdma/verbs_transport.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include "verbs_handles.hpp"

namespace tomolive::rdma {
namespace {

using namespace verbs;

constexpr int kCompletionQueueSize = 2 * static_cast<int>(kQueueDepth);
constexpr int kListenBacklog = 16;
constexpr unsigned kOpShift = 62;  // work ids carry the operation in their top two bits

std::string errno_text(int error) { return std::strerror(error); }

// An eventfd that wakes a poll() from another thread.
class WakeFd {
 public:
  WakeFd() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (fd_ < 0) throw TransportError("eventfd: " + errno_text(errno));
  }
  ~WakeFd() { close(fd_); }
  WakeFd(const WakeFd&) = delete;
  WakeFd& operator=(const WakeFd&) = delete;
  int fd() const { return fd_; }
  void signal() const {
    const std::uint64_t one = 1;
    (void)!write(fd_, &one, sizeof one);
  }
  void drain() const {
    std::uint64_t count = 0;
    (void)!read(fd_, &count, sizeof count);
  }

 private:
  int fd_;
};

void set_nonblocking(int fd) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) throw TransportError("fcntl: " + errno_text(errno));
}

// Waits up to `timeout` for any of `fds` to be readable; returns which are.
std::vector<bool> wait_readable(std::initializer_list<int> fds, std::chrono::milliseconds timeout) {
  std::vector<pollfd> items;
  for (int fd : fds) items.push_back({fd, POLLIN, 0});
  const int ready = ::poll(items.data(), items.size(), static_cast<int>(timeout.count()));
  if (ready < 0 && errno != EINTR) throw TransportError("poll: " + errno_text(errno));
  std::vector<bool> readable;
  for (const pollfd& item : items) readable.push_back(ready > 0 && (item.revents & (POLLIN | POLLERR | POLLHUP)));
  return readable;
}

// The next event of a non-blocking channel, or null when none is queued.
CmEvent next_event(rdma_event_channel* channel) {
  rdma_cm_event* event = nullptr;
  if (rdma_get_cm_event(channel, &event) != 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return nullptr;
    throw TransportError("rdma_get_cm_event: " + errno_text(errno));
  }
  return CmEvent(event);
}

// Waits for the next event of a non-blocking channel; null after `timeout`.
CmEvent wait_event(rdma_event_channel* channel, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (CmEvent event = next_event(channel)) return event;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return nullptr;
    wait_readable({channel->fd}, left);
  }
}

EventChannel make_channel() {
  EventChannel channel(rdma_create_event_channel());
  if (!channel) throw TransportError("rdma_create_event_channel: " + errno_text(errno));
  set_nonblocking(channel->fd);
  return channel;
}

AddrInfo resolve(const std::string& host, std::uint16_t port, bool passive) {
  rdma_addrinfo hints{};
  hints.ai_port_space = RDMA_PS_TCP;
  if (passive) hints.ai_flags = RAI_PASSIVE;
  rdma_addrinfo* info = nullptr;
  const std::string service = std::to_string(port);
  if (rdma_getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &info) != 0 || !info) {
    throw TransportError("rdma_getaddrinfo(" + host + ":" + service + "): " + errno_text(errno));
  }
  return AddrInfo(info);
}

std::string address_text(const sockaddr* address) {
  if (!address) return "?";
  char text[INET6_ADDRSTRLEN] = "?";
  std::uint16_t port = 0;
  if (address->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(address);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    port = ntohs(in->sin_port);
  } else if (address->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    port = ntohs(in6->sin6_port);
  }
  return std::string(text) + ":" + std::to_string(port);
}

WorkStatus status_of(ibv_wc_status status) {
  switch (status) {
    case IBV_WC_SUCCESS: return WorkStatus::success;
    case IBV_WC_WR_FLUSH_ERR: return WorkStatus::flushed;
    case IBV_WC_REM_ACCESS_ERR: return WorkStatus::remote_access_error;
    case IBV_WC_REM_OP_ERR:
    case IBV_WC_REM_INV_REQ_ERR: return WorkStatus::remote_operation_error;
    case IBV_WC_RETRY_EXC_ERR:
    case IBV_WC_RNR_RETRY_EXC_ERR: return WorkStatus::retry_exceeded;
    case IBV_WC_LOC_LEN_ERR:
    case IBV_WC_LOC_PROT_ERR:
    case IBV_WC_LOC_QP_OP_ERR: return WorkStatus::local_error;
    default: return WorkStatus::other_error;
  }
}

std::uint64_t tag(std::uint64_t work_id, Completion::Op op) {
  if (work_id >> kOpShift) throw TransportError("work id " + std::to_string(work_id) + " is not below 2^62");
  return (static_cast<std::uint64_t>(op) << kOpShift) | work_id;
}

class VerbsRegion : public MemoryRegion {
 public:
  VerbsRegion(RegisteredMemory mr, std::span<std::byte> memory) : mr_(std::move(mr)), memory_(memory) {}
  std::span<std::byte> bytes() const override { return memory_; }
  std::uint32_t remote_key() const override { return mr_->rkey; }
  std::uint32_t local_key() const { return mr_->lkey; }

 private:
  RegisteredMemory mr_;
  std::span<std::byte> memory_;
};

ibv_sge sge_of(const MemoryRegion& region, std::span<const std::byte> buffer) {
  return {reinterpret_cast<std::uintptr_t>(buffer.data()), static_cast<std::uint32_t>(buffer.size()),
          static_cast<const VerbsRegion&>(region).local_key()};
}

class VerbsConnection : public Connection {
 public:
  // Takes an id (with its own channel) whose route is resolved (sender) or which came with a connect request
  // (receiver, `request` holding its private data), and creates the domain, queues and queue pair on its device.
  VerbsConnection(EventChannel channel, CmId id, std::vector<std::byte> request)
      : channel_(std::move(channel)), id_(std::move(id)), request_(std::move(request)) {
    pd_.reset(ibv_alloc_pd(id_->verbs));
    if (!pd_) throw TransportError("ibv_alloc_pd: " + errno_text(errno));
    completion_channel_.reset(ibv_create_comp_channel(id_->verbs));
    if (!completion_channel_) throw TransportError("ibv_create_comp_channel: " + errno_text(errno));
    set_nonblocking(completion_channel_->fd);
    cq_.reset(ibv_create_cq(id_->verbs, kCompletionQueueSize, nullptr, completion_channel_.get(), 0));
    if (!cq_) throw TransportError("ibv_create_cq: " + errno_text(errno));
    ibv_qp_init_attr attributes{};
    attributes.send_cq = cq_.get();
    attributes.recv_cq = cq_.get();
    attributes.qp_type = IBV_QPT_RC;
    attributes.cap.max_send_wr = kQueueDepth;
    attributes.cap.max_recv_wr = kQueueDepth;
    attributes.cap.max_send_sge = 1;
    attributes.cap.max_recv_sge = 1;
    if (rdma_create_qp(id_.get(), pd_.get(), &attributes) != 0) {
      throw TransportError("rdma_create_qp: " + errno_text(errno));
    }
    qp_.reset(id_.get());
    peer_ = address_text(rdma_get_peer_addr(id_.get()));
  }

  ~VerbsConnection() override {
    if (established_) rdma_disconnect(id_.get());
  }

  std::unique_ptr<MemoryRegion> register_memory(std::span<std::byte> memory) override {
    RegisteredMemory mr(ibv_reg_mr(pd_.get(), memory.data(), memory.size(),
                                   IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE));
    if (!mr) {
      throw TransportError("ibv_reg_mr of " + std::to_string(memory.size()) + " bytes: " + errno_text(errno) +
                           " (is the locked-memory limit, ulimit -l, large enough?)");
    }
    return std::make_unique<VerbsRegion>(std::move(mr), memory);
  }

  void post_receive(std::uint64_t work_id, const MemoryRegion& region, std::span<std::byte> buffer) override {
    ibv_sge sge = sge_of(region, buffer);
    ibv_recv_wr request{};
    request.wr_id = tag(work_id, Completion::Op::receive);
    request.sg_list = &sge;
    request.num_sge = 1;
    ibv_recv_wr* bad = nullptr;
    if (const int error = ibv_post_recv(qp_->qp, &request, &bad)) throw TransportError("ibv_post_recv: " + errno_text(error));
  }

  void post_send(std::uint64_t work_id, const MemoryRegion& region, std::span<const std::byte> message) override {
    ibv_sge sge = sge_of(region, message);
    ibv_send_wr request{};
    request.wr_id = tag(work_id, Completion::Op::send);
    request.sg_list = &sge;
    request.num_sge = 1;
    request.opcode = IBV_WR_SEND;
    request.send_flags = IBV_SEND_SIGNALED;
    post(request);
  }

  void post_write_with_immediate(std::uint64_t work_id, const MemoryRegion& region, std::span<const std::byte> data,
                                 RemoteTarget target, std::uint32_t immediate) override {
    ibv_sge sge = sge_of(region, data);
    ibv_send_wr request{};
    request.wr_id = tag(work_id, Completion::Op::write);
    request.sg_list = &sge;
    request.num_sge = data.empty() ? 0 : 1;
    request.opcode = IBV_WR_RDMA_WRITE_WITH_IMM;
    request.send_flags = IBV_SEND_SIGNALED;
    request.imm_data = htonl(immediate);
    request.wr.rdma.remote_addr = target.address;
    request.wr.rdma.rkey = target.remote_key;
    post(request);
  }

  std::size_t poll(std::span<Completion> out, std::chrono::milliseconds timeout) override {
    if (std::size_t n = take(out)) return n;
    // Arm the notification, then look again (a completion may have arrived in between), then sleep.
    if (ibv_req_notify_cq(cq_.get(), 0) != 0) throw TransportError("ibv_req_notify_cq failed");
    if (std::size_t n = take(out)) return n;
    const auto readable = wait_readable({completion_channel_->fd, wake_.fd(), channel_->fd}, timeout);
    if (readable[0]) {
      ibv_cq* cq = nullptr;
      void* context = nullptr;
      if (ibv_get_cq_event(completion_channel_.get(), &cq, &context) == 0) ibv_ack_cq_events(cq, 1);
    }
    if (readable[1]) wake_.drain();
    if (readable[2]) read_connection_events();
    return take(out);
  }

  void wake() override { wake_.signal(); }

  bool disconnected() override {
    read_connection_events();
    return disconnected_;
  }

  std::vector<std::byte> request_parameters() const override { return request_; }

  void accept(std::span<const std::byte> reply, std::chrono::milliseconds timeout) override {
    rdma_conn_param parameters = connection_parameters(reply);
    if (rdma_accept(id_.get(), &parameters) != 0) throw TransportError("rdma_accept: " + errno_text(errno));
    CmEvent event = wait_event(channel_.get(), timeout);
    if (!event || event->event != RDMA_CM_EVENT_ESTABLISHED) {
      throw TransportError("connection from " + peer_ + " not established: " +
                           (event ? rdma_event_str(event->event) : "timed out"));
    }
    established_ = true;
  }

  void reject(std::span<const std::byte> reply) override {
    rdma_reject(id_.get(), reply.data(), static_cast<std::uint8_t>(reply.size()));
  }

  ConnectResult connect(std::span<const std::byte> parameters, std::chrono::milliseconds timeout) override {
    rdma_conn_param connection = connection_parameters(parameters);
    if (rdma_connect(id_.get(), &connection) != 0) throw TransportError("rdma_connect: " + errno_text(errno));
    CmEvent event = wait_event(channel_.get(), timeout);
    if (!event) throw TransportError(peer_ + " did not answer the connect request in time");
    const auto reply = [&] {
      const auto* data = static_cast<const std::byte*>(event->param.conn.private_data);
      return data ? std::vector<std::byte>(data, data + event->param.conn.private_data_len) : std::vector<std::byte>{};
    };
    switch (event->event) {
      case RDMA_CM_EVENT_ESTABLISHED:
        established_ = true;
        return {true, reply()};
      case RDMA_CM_EVENT_REJECTED:
        return {false, reply()};
      default:
        throw TransportError("connecting to " + peer_ + ": " + rdma_event_str(event->event) +
                             " (is a tomolived listening with --rdma there?)");
    }
  }

  std::string peer_name() const override { return peer_; }

 private:
  static rdma_conn_param connection_parameters(std::span<const std::byte> private_data) {
    rdma_conn_param parameters{};
    parameters.private_data = private_data.data();
    parameters.private_data_len = static_cast<std::uint8_t>(private_data.size());
    parameters.responder_resources = 1;
    parameters.initiator_depth = 1;
    parameters.retry_count = 7;
    parameters.rnr_retry_count = 7;  // receiver not ready: retry without limit
    return parameters;
  }

  void post(ibv_send_wr& request) {
    ibv_send_wr* bad = nullptr;
    if (const int error = ibv_post_send(qp_->qp, &request, &bad)) {
      throw TransportError("ibv_post_send: " + errno_text(error));
    }
  }

  std::size_t take(std::span<Completion> out) {
    std::array<ibv_wc, 32> wcs{};
    const int n = ibv_poll_cq(cq_.get(), static_cast<int>(std::min(out.size(), wcs.size())), wcs.data());
    if (n < 0) throw TransportError("ibv_poll_cq failed");
    for (int i = 0; i < n; ++i) {
      const ibv_wc& wc = wcs[static_cast<std::size_t>(i)];
      Completion& completion = out[static_cast<std::size_t>(i)];
      completion.op = static_cast<Completion::Op>(wc.wr_id >> kOpShift);
      completion.work_id = wc.wr_id & ((std::uint64_t{1} << kOpShift) - 1);
      completion.status = status_of(wc.status);
      completion.byte_length = wc.byte_len;
      completion.immediate = 0;
      if (wc.status == IBV_WC_SUCCESS && wc.opcode == IBV_WC_RECV_RDMA_WITH_IMM) {
        completion.op = Completion::Op::receive_write_immediate;
        completion.immediate = ntohl(wc.imm_data);
      }
    }
    return static_cast<std::size_t>(n);
  }

  void read_connection_events() {
    while (CmEvent event = next_event(channel_.get())) {
      switch (event->event) {
        case RDMA_CM_EVENT_DISCONNECTED:
        case RDMA_CM_EVENT_DEVICE_REMOVAL:
        case RDMA_CM_EVENT_TIMEWAIT_EXIT:
          disconnected_ = true;
          break;
        default:
          break;
      }
    }
  }

  // Members in the order verbs needs them destroyed in reverse.
  EventChannel channel_;
  CmId id_;
  ProtectionDomain pd_;
  CompletionChannel completion_channel_;
  CompletionQueue cq_;
  QueuePair qp_;
  WakeFd wake_;
  std::vector<std::byte> request_;
  std::string peer_;
  bool established_ = false;
  bool disconnected_ = false;
};

class VerbsListener : public Listener {
 public:
  VerbsListener(const std::string& address, std::uint16_t port) : channel_(make_channel()) {
    rdma_cm_id* id = nullptr;
    if (rdma_create_id(channel_.get(), &id, nullptr, RDMA_PS_TCP) != 0) {
      throw TransportError("rdma_create_id: " + errno_text(errno));
    }
    id_.reset(id);
    const AddrInfo info = resolve(address, port, true);
    if (rdma_bind_addr(id_.get(), info->ai_src_addr) != 0) {
      throw TransportError("rdma_cm could not bind " + address + ":" + std::to_string(port) + ": " +
                           errno_text(errno) + " (the address must belong to an RDMA-capable interface: an IPoIB "
                           "or RoCE network device)");
    }
    if (rdma_listen(id_.get(), kListenBacklog) != 0) throw TransportError("rdma_listen: " + errno_text(errno));
    port_ = ntohs(rdma_get_src_port(id_.get()));
    device_ = id_->verbs ? ibv_get_device_name(id_->verbs->device) : "any (bound to every RDMA device)";
  }

  std::unique_ptr<Connection> next_request(std::chrono::milliseconds timeout) override {
    const auto readable = wait_readable({channel_->fd, wake_.fd()}, timeout);
    if (readable[1]) wake_.drain();
    while (CmEvent event = next_event(channel_.get())) {
      if (event->event != RDMA_CM_EVENT_CONNECT_REQUEST) continue;
      CmId id(event->id);
      const auto* data = static_cast<const std::byte*>(event->param.conn.private_data);
      std::vector<std::byte> request;
      if (data) request.assign(data, data + event->param.conn.private_data_len);
      event.reset();  // acknowledged before the id moves to its own channel
      EventChannel channel = make_channel();
      if (rdma_migrate_id(id.get(), channel.get()) != 0) throw TransportError("rdma_migrate_id: " + errno_text(errno));
      return std::make_unique<VerbsConnection>(std::move(channel), std::move(id), std::move(request));
    }
    return nullptr;
  }

  void wake() override { wake_.signal(); }
  std::string device_name() const override { return device_; }
  std::uint16_t port() const override { return port_; }

 private:
  EventChannel channel_;
  CmId id_;
  WakeFd wake_;
  std::uint16_t port_ = 0;
  std::string device_;
};

}  // namespace

const char* to_string(WorkStatus status) {
  switch (status) {
    case WorkStatus::success: return "success";
    case WorkStatus::flushed: return "flushed";
    case WorkStatus::remote_access_error: return "remote access error";
    case WorkStatus::remote_operation_error: return "remote operation error";
    case WorkStatus::retry_exceeded: return "retries exceeded";
    case WorkStatus::local_error: return "local error";
    case WorkStatus::other_error: return "error";
  }
  return "error";
}

std::vector<std::string> list_rdma_devices() {
  int count = 0;
  const DeviceList list(ibv_get_device_list(&count));
  std::vector<std::string> names;
  for (int i = 0; list && i < count; ++i) names.emplace_back(ibv_get_device_name(list.get()[i]));
  return names;
}

void require_rdma_device() {
  if (list_rdma_devices().empty()) {
    throw TransportError("no RDMA device found: ibv_get_device_list() lists none (looked for InfiniBand, RoCE and "
                         "iWARP devices under /sys/class/infiniband; load the NIC's RDMA driver, e.g. mlx5_ib, or "
                         "use the ZeroMQ data endpoints)");
  }
}

std::unique_ptr<Listener> VerbsTransport::listen(const std::string& address, std::uint16_t port) {
  require_rdma_device();
  return std::make_unique<VerbsListener>(address, port);
}

std::unique_ptr<Connection> VerbsTransport::open(const std::string& host, std::uint16_t port,
                                                 std::chrono::milliseconds timeout) {
  require_rdma_device();
  EventChannel channel = make_channel();
  rdma_cm_id* raw = nullptr;
  if (rdma_create_id(channel.get(), &raw, nullptr, RDMA_PS_TCP) != 0) {
    throw TransportError("rdma_create_id: " + errno_text(errno));
  }
  CmId id(raw);
  const AddrInfo info = resolve(host, port, false);
  const std::string where = host + ":" + std::to_string(port);
  const auto expect = [&](rdma_cm_event_type wanted, const char* step) {
    const CmEvent event = wait_event(channel.get(), timeout);
    if (!event || event->event != wanted) {
      throw TransportError(std::string(step) + " " + where + ": " +
                           (event ? rdma_event_str(event->event) : "timed out") +
                           " (is the host reachable through an RDMA-capable interface?)");
    }
  };
  if (rdma_resolve_addr(id.get(), info->ai_src_addr, info->ai_dst_addr, static_cast<int>(timeout.count())) != 0) {
    throw TransportError("rdma_resolve_addr " + where + ": " + errno_text(errno));
  }
  expect(RDMA_CM_EVENT_ADDR_RESOLVED, "resolving the address of");
  if (rdma_resolve_route(id.get(), static_cast<int>(timeout.count())) != 0) {
    throw TransportError("rdma_resolve_route " + where + ": " + errno_text(errno));
  }
  expect(RDMA_CM_EVENT_ROUTE_RESOLVED, "resolving the route to");
  return std::make_unique<VerbsConnection>(std::move(channel), std::move(id), std::vector<std::byte>{});
}

}  // namespace tomolive::rdma
