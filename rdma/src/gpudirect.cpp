#include "tomolive/rdma/gpudirect.hpp"

#include <sys/utsname.h>

#include <cstdio>
#include <system_error>

namespace tomolive::rdma {
namespace {

bool loaded(const std::filesystem::path& sys_module, const char* module) {
  std::error_code error;
  return std::filesystem::exists(sys_module / module, error);
}

// Whether "MAJOR.MINOR..." is at least 5.12.
bool kernel_has_dma_buf_import(const std::string& release) {
  int major = 0, minor = 0;
  if (std::sscanf(release.c_str(), "%d.%d", &major, &minor) != 2) return false;
  return major > 5 || (major == 5 && minor >= 12);
}

}  // namespace

GpuDirectSupport detect_gpudirect(const std::filesystem::path& sys_module, std::string kernel_release) {
  if (kernel_release.empty()) {
    utsname name{};
    if (uname(&name) == 0) kernel_release = name.release;
  }
  GpuDirectSupport support;
  const bool peermem = loaded(sys_module, "nvidia_peermem");
  const bool legacy = loaded(sys_module, "nv_peer_mem");
  const bool driver = loaded(sys_module, "nvidia");
  support.peer_memory = peermem || legacy;
  support.dma_buf = driver && kernel_has_dma_buf_import(kernel_release);
  if (support.peer_memory) {
    support.description = std::string(peermem ? "nvidia-peermem" : "nv_peer_mem") + " loaded";
    if (support.dma_buf) support.description += "; dma-buf possible (nvidia driver, kernel " + kernel_release + ")";
  } else if (support.dma_buf) {
    support.description = "dma-buf possible (nvidia driver, kernel " + kernel_release + "); no nvidia-peermem";
  } else {
    support.description = std::string("absent (no nvidia-peermem or nv_peer_mem module") +
                          (driver ? "; kernel " + kernel_release + " predates dma-buf import (5.12)"
                                  : ", no nvidia driver loaded") + ")";
  }
  return support;
}

}  // namespace tomolive::rdma
