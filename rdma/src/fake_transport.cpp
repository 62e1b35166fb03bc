#include "tomolive/rdma/fake_transport.hpp"

#include <algorithm>
#include <cstring>
#include <deque>
#include <optional>
#include <vector>

namespace tomolive::rdma {

namespace {

struct PostedReceive {
  std::uint64_t work_id;
  std::span<std::byte> buffer;
};

// A SEND or write waiting for the peer's next posted receive (receiver-not-ready, retried for ever).
struct Inbound {
  bool is_write = false;
  std::uint64_t sender_work_id = 0;
  std::vector<std::byte> data;  // copied at post time: the fake keeps no pointer into the sender's memory
  std::byte* target = nullptr;  // writes: where the bytes land (checked at post time)
  std::uint32_t immediate = 0;
};

struct Side {
  std::map<std::uint32_t, std::span<std::byte>> regions;  // by key
  std::deque<PostedReceive> receives;
  std::deque<Completion> completions;
  std::deque<Inbound> inbound;
  bool woken = false;
  bool closed = false;           // this endpoint was destroyed
  bool peer_gone = false;        // the other endpoint was destroyed
};

enum class LinkState { resolved, requested, established, rejected, broken };

struct Link {
  std::string listener_key;
  std::vector<std::byte> request;
  Connection::ConnectResult result;
  LinkState state = LinkState::resolved;
  Side sides[2];  // 0: the side that connected, 1: the side that accepted
};

}  // namespace

struct FakeTransport::State {
  std::mutex mutex;
  std::condition_variable changed;
  std::map<std::string, std::deque<std::shared_ptr<Link>>> listeners;  // "address:port" -> pending requests
  std::vector<std::weak_ptr<Link>> links;
  std::uint16_t next_port = 20000;
  std::uint32_t next_key = 1;
  std::size_t established = 0;
};

namespace {

using State = FakeTransport::State;

std::string key_of(const std::string& address, std::uint16_t port) { return address + ":" + std::to_string(port); }

// Puts a link into the error state; the mutex is held.
void break_link(Link& link, WorkStatus status) {
  if (link.state == LinkState::broken) return;
  link.state = LinkState::broken;
  for (Side& side : link.sides) {
    bool first = true;
    for (const PostedReceive& receive : side.receives) {
      side.completions.push_back({Completion::Op::receive, receive.work_id, first ? status : WorkStatus::flushed});
      first = false;
    }
    if (first) side.completions.push_back({Completion::Op::send, FakeTransport::kInjectedWorkId, status});
    side.receives.clear();
    for (const Inbound& in : side.inbound) {
      // The other side's pending sends and writes fail too.
      Side& sender = &side == &link.sides[0] ? link.sides[1] : link.sides[0];
      sender.completions.push_back({in.is_write ? Completion::Op::write : Completion::Op::send, in.sender_work_id,
                                    WorkStatus::flushed});
    }
    side.inbound.clear();
  }
}

// Hands queued inbound messages of `to` to its posted receives; the mutex is held.
void deliver(Link& link, int to) {
  Side& receiver = link.sides[to];
  Side& sender = link.sides[1 - to];
  while (link.state == LinkState::established && !receiver.inbound.empty() && !receiver.receives.empty()) {
    Inbound in = std::move(receiver.inbound.front());
    receiver.inbound.pop_front();
    const PostedReceive receive = receiver.receives.front();
    receiver.receives.pop_front();
    const auto length = static_cast<std::uint32_t>(in.data.size());
    if (in.is_write) {
      if (!in.data.empty()) std::memcpy(in.target, in.data.data(), in.data.size());
      receiver.completions.push_back({Completion::Op::receive_write_immediate, receive.work_id, WorkStatus::success,
                                      length, in.immediate});
      sender.completions.push_back({Completion::Op::write, in.sender_work_id, WorkStatus::success});
    } else if (in.data.size() > receive.buffer.size()) {
      receiver.receives.push_front(receive);
      sender.completions.push_back({Completion::Op::send, in.sender_work_id, WorkStatus::remote_operation_error});
      break_link(link, WorkStatus::local_error);
      return;
    } else {
      std::memcpy(receive.buffer.data(), in.data.data(), in.data.size());
      receiver.completions.push_back({Completion::Op::receive, receive.work_id, WorkStatus::success, length});
      sender.completions.push_back({Completion::Op::send, in.sender_work_id, WorkStatus::success});
    }
  }
}

class FakeRegion : public MemoryRegion {
 public:
  FakeRegion(std::shared_ptr<State> state, std::shared_ptr<Link> link, int side, std::span<std::byte> memory,
             std::uint32_t key)
      : state_(std::move(state)), link_(std::move(link)), side_(side), memory_(memory), key_(key) {}
  ~FakeRegion() override {
    std::lock_guard lock(state_->mutex);
    link_->sides[side_].regions.erase(key_);
  }
  std::span<std::byte> bytes() const override { return memory_; }
  std::uint32_t remote_key() const override { return key_; }

 private:
  std::shared_ptr<State> state_;
  std::shared_ptr<Link> link_;
  int side_;
  std::span<std::byte> memory_;
  std::uint32_t key_;
};

class FakeConnection : public Connection {
 public:
  FakeConnection(std::shared_ptr<State> state, std::shared_ptr<Link> link, int side, std::string peer)
      : state_(std::move(state)), link_(std::move(link)), side_(side), peer_(std::move(peer)) {}

  ~FakeConnection() override {
    std::lock_guard lock(state_->mutex);
    Side& self = link_->sides[side_];
    Side& peer = link_->sides[1 - side_];
    self.closed = true;
    peer.peer_gone = true;
    // A request dropped unanswered reads as a rejection; a rejection stays one; a connection breaks.
    if (link_->state == LinkState::requested) link_->state = LinkState::rejected;
    if (link_->state == LinkState::established) link_->state = LinkState::broken;
    for (const PostedReceive& receive : peer.receives) {
      peer.completions.push_back({Completion::Op::receive, receive.work_id, WorkStatus::flushed});
    }
    peer.receives.clear();
    state_->changed.notify_all();
  }

  std::unique_ptr<MemoryRegion> register_memory(std::span<std::byte> memory) override {
    std::lock_guard lock(state_->mutex);
    const std::uint32_t key = state_->next_key++;
    link_->sides[side_].regions.emplace(key, memory);
    return std::make_unique<FakeRegion>(state_, link_, side_, memory, key);
  }

  void post_receive(std::uint64_t work_id, const MemoryRegion&, std::span<std::byte> buffer) override {
    std::lock_guard lock(state_->mutex);
    Side& self = link_->sides[side_];
    if (link_->state == LinkState::broken) {
      self.completions.push_back({Completion::Op::receive, work_id, WorkStatus::flushed});
    } else {
      self.receives.push_back({work_id, buffer});
      deliver(*link_, side_);
    }
    state_->changed.notify_all();
  }

  void post_send(std::uint64_t work_id, const MemoryRegion&, std::span<const std::byte> message) override {
    post(Inbound{false, work_id, {message.begin(), message.end()}, nullptr, 0}, Completion::Op::send);
  }

  void post_write_with_immediate(std::uint64_t work_id, const MemoryRegion&, std::span<const std::byte> data,
                                 RemoteTarget target, std::uint32_t immediate) override {
    std::unique_lock lock(state_->mutex);
    const Side& peer = link_->sides[1 - side_];
    std::byte* landing = nullptr;
    if (const auto region = peer.regions.find(target.remote_key); region != peer.regions.end()) {
      const auto begin = reinterpret_cast<std::uintptr_t>(region->second.data());
      if (target.address >= begin && target.address - begin + data.size() <= region->second.size()) {
        landing = region->second.data() + (target.address - begin);
      }
    }
    if (!landing && link_->state == LinkState::established) {
      link_->sides[side_].completions.push_back({Completion::Op::write, work_id, WorkStatus::remote_access_error});
      break_link(*link_, WorkStatus::remote_access_error);
      state_->changed.notify_all();
      return;
    }
    lock.unlock();
    post(Inbound{true, work_id, {data.begin(), data.end()}, landing, immediate}, Completion::Op::write);
  }

  std::size_t poll(std::span<Completion> out, std::chrono::milliseconds timeout) override {
    std::unique_lock lock(state_->mutex);
    Side& self = link_->sides[side_];
    state_->changed.wait_for(lock, timeout, [&] { return !self.completions.empty() || self.woken; });
    self.woken = false;
    std::size_t n = 0;
    while (n < out.size() && !self.completions.empty()) {
      out[n++] = self.completions.front();
      self.completions.pop_front();
    }
    return n;
  }

  void wake() override {
    std::lock_guard lock(state_->mutex);
    link_->sides[side_].woken = true;
    state_->changed.notify_all();
  }

  bool disconnected() override {
    std::lock_guard lock(state_->mutex);
    return link_->sides[side_].peer_gone;
  }

  std::vector<std::byte> request_parameters() const override {
    std::lock_guard lock(state_->mutex);
    return link_->request;
  }

  void accept(std::span<const std::byte> reply, std::chrono::milliseconds) override {
    std::lock_guard lock(state_->mutex);
    if (link_->state != LinkState::requested) throw TransportError("fake: the connect request was withdrawn");
    link_->state = LinkState::established;
    link_->result = {true, {reply.begin(), reply.end()}};
    ++state_->established;
    deliver(*link_, 0);
    deliver(*link_, 1);
    state_->changed.notify_all();
  }

  void reject(std::span<const std::byte> reply) override {
    std::lock_guard lock(state_->mutex);
    link_->state = LinkState::rejected;
    link_->result = {false, {reply.begin(), reply.end()}};
    state_->changed.notify_all();
  }

  ConnectResult connect(std::span<const std::byte> parameters, std::chrono::milliseconds timeout) override {
    std::unique_lock lock(state_->mutex);
    const auto listener = state_->listeners.find(link_->listener_key);
    if (listener == state_->listeners.end()) {
      throw TransportError("fake: connection refused: no listener on " + link_->listener_key);
    }
    link_->request.assign(parameters.begin(), parameters.end());
    link_->state = LinkState::requested;
    listener->second.push_back(link_);
    state_->changed.notify_all();
    if (!state_->changed.wait_for(lock, timeout, [&] { return link_->state != LinkState::requested; })) {
      throw TransportError("fake: " + link_->listener_key + " did not answer the connect request within " +
                           std::to_string(timeout.count()) + " ms");
    }
    if (link_->state == LinkState::broken) throw TransportError("fake: " + link_->listener_key + " went away");
    return link_->result;
  }

  std::string peer_name() const override { return peer_; }

 private:
  void post(Inbound in, Completion::Op op) {
    std::lock_guard lock(state_->mutex);
    if (link_->state != LinkState::established) {
      link_->sides[side_].completions.push_back({op, in.sender_work_id, WorkStatus::flushed});
    } else {
      link_->sides[1 - side_].inbound.push_back(std::move(in));
      deliver(*link_, 1 - side_);
    }
    state_->changed.notify_all();
  }

  std::shared_ptr<State> state_;
  std::shared_ptr<Link> link_;
  int side_;
  std::string peer_;
};

class FakeListener : public Listener {
 public:
  FakeListener(std::shared_ptr<State> state, std::string key, std::uint16_t port)
      : state_(std::move(state)), key_(std::move(key)), port_(port) {}
  ~FakeListener() override {
    std::lock_guard lock(state_->mutex);
    for (const auto& link : state_->listeners[key_]) {
      link->state = LinkState::broken;
    }
    state_->listeners.erase(key_);
    state_->changed.notify_all();
  }

  std::unique_ptr<Connection> next_request(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(state_->mutex);
    auto& pending = state_->listeners[key_];
    state_->changed.wait_for(lock, timeout, [&] { return !pending.empty() || woken_; });
    woken_ = false;
    if (pending.empty()) return nullptr;
    std::shared_ptr<Link> link = std::move(pending.front());
    pending.pop_front();
    state_->links.push_back(link);
    return std::make_unique<FakeConnection>(state_, std::move(link), 1,
                                            "fake-sender-" + std::to_string(state_->links.size()));
  }

  void wake() override {
    std::lock_guard lock(state_->mutex);
    woken_ = true;
    state_->changed.notify_all();
  }

  std::string device_name() const override { return "fake"; }
  std::uint16_t port() const override { return port_; }

 private:
  std::shared_ptr<State> state_;
  std::string key_;
  std::uint16_t port_;
  bool woken_ = false;
};

}  // namespace

FakeTransport::FakeTransport() : state_(std::make_shared<State>()) {}
FakeTransport::~FakeTransport() = default;

std::unique_ptr<Listener> FakeTransport::listen(const std::string& address, std::uint16_t port) {
  std::lock_guard lock(state_->mutex);
  if (port == 0) port = state_->next_port++;
  const std::string key = key_of(address, port);
  if (!state_->listeners.emplace(key, std::deque<std::shared_ptr<Link>>{}).second) {
    throw TransportError("fake: " + key + " is already bound");
  }
  return std::make_unique<FakeListener>(state_, key, port);
}

std::unique_ptr<Connection> FakeTransport::open(const std::string& host, std::uint16_t port,
                                                std::chrono::milliseconds) {
  auto link = std::make_shared<Link>();
  link->listener_key = key_of(host, port);
  std::string peer = link->listener_key;
  return std::make_unique<FakeConnection>(state_, std::move(link), 0, std::move(peer));
}

void FakeTransport::break_connections(WorkStatus status) {
  std::lock_guard lock(state_->mutex);
  for (const auto& weak : state_->links) {
    if (const auto link = weak.lock(); link && link->state == LinkState::established) break_link(*link, status);
  }
  state_->changed.notify_all();
}

std::size_t FakeTransport::connections_established() const {
  std::lock_guard lock(state_->mutex);
  return state_->established;
}

}  // namespace tomolive::rdma
