// NvtxRange: an NVTX range in the "tomolive" domain, pushed when constructed and popped when destroyed, around one
// stage of the CUDA engine (upload, correction, fused filter, processing and filter, store, slice update, recompute,
// re-filter, sweep, copy-back), so that a profiler's timeline (Nsight Systems: nsys profile --trace=cuda,nvtx) names
// the stages at a glance. The ranges mark the host thread's time enqueuing a stage (the work runs later on its
// stream; Nsight Systems projects each range onto the GPU work launched inside it).
// NVTX3 is header-only (the CUDA toolkit's nvtx3/nvToolsExt.h): without a profiler attached each call is an indirect
// call to an empty stub, so the ranges are always compiled in. Not copyable; use on one thread, nested as scopes.
#pragma once

#include <nvtx3/nvToolsExt.h>

namespace tomolive::kernels::cuda {

class NvtxRange {
 public:
  // `name` must outlive the range (a string literal).
  explicit NvtxRange(const char* name) noexcept {
    nvtxEventAttributes_t attributes{};
    attributes.version = NVTX_VERSION;
    attributes.size = NVTX_EVENT_ATTRIB_STRUCT_SIZE;
    attributes.messageType = NVTX_MESSAGE_TYPE_ASCII;
    attributes.message.ascii = name;
    nvtxDomainRangePushEx(domain(), &attributes);
  }
  ~NvtxRange() { nvtxDomainRangePop(domain()); }
  NvtxRange(const NvtxRange&) = delete;
  NvtxRange& operator=(const NvtxRange&) = delete;

 private:
  static nvtxDomainHandle_t domain() noexcept {
    static const nvtxDomainHandle_t handle = nvtxDomainCreateA("tomolive");
    return handle;
  }
};

}  // namespace tomolive::kernels::cuda
