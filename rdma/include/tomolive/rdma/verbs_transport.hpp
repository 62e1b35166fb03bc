// VerbsTransport: the transport seam (transport.hpp) over libibverbs and librdmacm, for real InfiniBand, RoCE or
// iWARP hardware. Every verbs and connection-manager object is owned by an RAII handle (verbs_handles.hpp).
//
// Each connection has its own rdma_cm event channel (a listener migrates each accepted id to one), protection
// domain, completion channel and completion queue, and one RC queue pair of kQueueDepth send and receive work
// requests; connections retry receiver-not-ready without limit (rnr_retry 7), so a SEND that finds no posted
// receive waits instead of failing. Work ids must be below 2^62 (the top bits carry the operation, since verbs
// leaves the opcode of a failed completion undefined).
//
// Without hardware: listen() and open() throw TransportError "no RDMA device found: ..." when
// ibv_get_device_list() lists no device, and name the address when rdma_cm cannot bind or resolve it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tomolive/rdma/transport.hpp"

namespace tomolive::rdma {

inline constexpr std::uint32_t kQueueDepth = 1024;  // work requests per queue (send and receive) of a queue pair

class VerbsTransport : public Transport {
 public:
  std::unique_ptr<Listener> listen(const std::string& address, std::uint16_t port) override;
  std::unique_ptr<Connection> open(const std::string& host, std::uint16_t port,
                                   std::chrono::milliseconds timeout) override;
};

// The RDMA devices ibv_get_device_list() lists (e.g. {"mlx5_0", "mlx5_1"}); empty without hardware.
std::vector<std::string> list_rdma_devices();
// Throws TransportError "no RDMA device found: ..." (what was looked for) when list_rdma_devices() is empty.
void require_rdma_device();

}  // namespace tomolive::rdma
