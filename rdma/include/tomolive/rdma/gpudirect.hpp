// Whether this host could let an RDMA NIC write straight into GPU memory (GPUDirect RDMA), found at run time:
// - peer memory: the nvidia-peermem kernel module (or the older nv_peer_mem) is loaded, so ibv_reg_mr accepts CUDA
//   device pointers;
// - dma-buf: the NVIDIA kernel driver is loaded and the kernel is 5.12 or newer, so a CUDA allocation exported as a
//   dma-buf can be registered with ibv_reg_dmabuf_mr (the NIC driver must support it too; that is only known when
//   the registration is tried).
// Pure reads of sysfs and uname; thread-safe.
#pragma once

#include <filesystem>
#include <string>

namespace tomolive::rdma {

struct GpuDirectSupport {
  bool peer_memory = false;
  bool dma_buf = false;
  // One line for the log and the status: what was found, e.g. "nvidia-peermem loaded" or "absent (no
  // nvidia-peermem or nv_peer_mem module, no nvidia driver)".
  std::string description;
};

// `sys_module`: the folder of loaded kernel modules (/sys/module; tests give another). `kernel_release`: as uname -r
// prints it (empty: this kernel's).
GpuDirectSupport detect_gpudirect(const std::filesystem::path& sys_module = "/sys/module",
                                  std::string kernel_release = "");

}  // namespace tomolive::rdma
