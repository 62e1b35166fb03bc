// Whether this host could let an RDMA NIC write straight into GPU memory (GPUDirect RDMA), found at run time by
// either of two routes:
// - peer memory: the nvidia-peermem kernel module (or the older nv_peer_mem) is loaded, so ibv_reg_mr accepts CUDA
//   device pointers;
// - dma-buf: libibverbs exports ibv_reg_dmabuf_mr (rdma-core 34 or later), the CUDA driver exports
//   cuMemGetHandleForAddressRange (R515 / CUDA 11.7 or later) and says that its device 0 can export device memory
//   as a dma-buf (CU_DEVICE_ATTRIBUTE_DMA_BUF_SUPPORTED), and the kernel is 5.12 or newer (RDMA dma-buf import).
//   Whether the NIC's driver accepts the dma-buf is only known when a registration is tried.
// Detection asks the host through GpuDirectProbe, so that tests can fake a loaded module, a missing symbol or a
// device that says no. Nothing is registered: detection only reads.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace tomolive::rdma {

// The questions detection asks the host. Default-constructed: the real host (sysfs, uname, dlopen/dlsym, the CUDA
// driver API through dlopen). Every member may be replaced by a test.
struct GpuDirectProbe {
  std::filesystem::path sys_module = "/sys/module";  // one folder per loaded kernel module
  std::string kernel_release;                        // as uname -r prints it; empty: this kernel's
  // Whether the shared library `library` (a dlopen name, e.g. "libibverbs.so.1") loads and exports `symbol`.
  std::function<bool(const std::string& library, const std::string& symbol)> exports;
  // CUDA device 0's CU_DEVICE_ATTRIBUTE_DMA_BUF_SUPPORTED; nullopt when the driver cannot be asked (no device, no
  // driver), with `why` saying so. Asked only when the CUDA driver exports cuMemGetHandleForAddressRange.
  std::function<std::optional<bool>(std::string& why)> cuda_dma_buf_supported;
};

struct GpuDirectSupport {
  bool peer_memory = false;  // nvidia-peermem or nv_peer_mem loaded
  bool dma_buf = false;      // every dma-buf condition above holds
  // One line for the log and the status: what was found for each route and, for a route that is not possible, the
  // first missing piece, e.g. "peer memory: nvidia-peermem loaded; dma-buf: libibverbs.so.1 has no
  // ibv_reg_dmabuf_mr (rdma-core older than 34)".
  std::string description;

  bool possible() const { return peer_memory || dma_buf; }
};

GpuDirectSupport detect_gpudirect(const GpuDirectProbe& probe = {});

}  // namespace tomolive::rdma
