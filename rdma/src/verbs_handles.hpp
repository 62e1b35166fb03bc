// RAII owners of the libibverbs and librdmacm objects VerbsTransport uses: each is a unique_ptr whose deleter is the
// matching destroy call. Destroy order matters to verbs (queue pair before completion queue before protection domain,
// memory regions before their domain, id before its event channel): VerbsConnection declares its members so.
#pragma once

#include <memory>

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

namespace tomolive::rdma::verbs {

struct EventChannelDeleter {
  void operator()(rdma_event_channel* channel) const { rdma_destroy_event_channel(channel); }
};
struct CmIdDeleter {
  void operator()(rdma_cm_id* id) const { rdma_destroy_id(id); }
};
struct CmEventDeleter {  // acknowledges the event, which frees it
  void operator()(rdma_cm_event* event) const { rdma_ack_cm_event(event); }
};
struct ProtectionDomainDeleter {
  void operator()(ibv_pd* pd) const { ibv_dealloc_pd(pd); }
};
struct CompletionChannelDeleter {
  void operator()(ibv_comp_channel* channel) const { ibv_destroy_comp_channel(channel); }
};
struct CompletionQueueDeleter {
  void operator()(ibv_cq* cq) const { ibv_destroy_cq(cq); }
};
struct MemoryRegionDeleter {
  void operator()(ibv_mr* mr) const { ibv_dereg_mr(mr); }
};
// The queue pair rdma_create_qp() made on an id: destroyed through the id.
struct QueuePairDeleter {
  void operator()(rdma_cm_id* id) const { rdma_destroy_qp(id); }
};
struct DeviceListDeleter {
  void operator()(ibv_device** list) const { ibv_free_device_list(list); }
};
struct AddrInfoDeleter {
  void operator()(rdma_addrinfo* info) const { rdma_freeaddrinfo(info); }
};

using EventChannel = std::unique_ptr<rdma_event_channel, EventChannelDeleter>;
using CmId = std::unique_ptr<rdma_cm_id, CmIdDeleter>;
using CmEvent = std::unique_ptr<rdma_cm_event, CmEventDeleter>;
using ProtectionDomain = std::unique_ptr<ibv_pd, ProtectionDomainDeleter>;
using CompletionChannel = std::unique_ptr<ibv_comp_channel, CompletionChannelDeleter>;
using CompletionQueue = std::unique_ptr<ibv_cq, CompletionQueueDeleter>;
using RegisteredMemory = std::unique_ptr<ibv_mr, MemoryRegionDeleter>;
using QueuePair = std::unique_ptr<rdma_cm_id, QueuePairDeleter>;
using DeviceList = std::unique_ptr<ibv_device*, DeviceListDeleter>;
using AddrInfo = std::unique_ptr<rdma_addrinfo, AddrInfoDeleter>;

}  // namespace tomolive::rdma::verbs
