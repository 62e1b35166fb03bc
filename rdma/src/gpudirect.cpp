#include "tomolive/rdma/gpudirect.hpp"

#include <dlfcn.h>
#include <sys/utsname.h>

#include <cstdio>
#include <memory>
#include <system_error>

namespace tomolive::rdma {
namespace {

constexpr const char* kVerbsLibrary = "libibverbs.so.1";
constexpr const char* kCudaLibrary = "libcuda.so.1";
constexpr int kCudaSuccess = 0;                 // CUDA_SUCCESS
constexpr int kDmaBufSupportedAttribute = 124;  // CU_DEVICE_ATTRIBUTE_DMA_BUF_SUPPORTED (cuda.h)

struct LibraryCloser {
  void operator()(void* handle) const { dlclose(handle); }
};
// RTLD_NODELETE: closing our handle never unloads a library that was initialised through it (the CUDA driver).
using Library = std::unique_ptr<void, LibraryCloser>;
Library open_library(const std::string& name) {
  return Library(dlopen(name.c_str(), RTLD_LAZY | RTLD_LOCAL | RTLD_NODELETE));
}

bool library_exports(const std::string& library, const std::string& symbol) {
  const Library handle = open_library(library);
  return handle && dlsym(handle.get(), symbol.c_str()) != nullptr;
}

// cuInit, cuDeviceGet(0) and cuDeviceGetAttribute(CU_DEVICE_ATTRIBUTE_DMA_BUF_SUPPORTED) through dlopen, so that the
// daemon does not link the driver library (it is absent on machines without a GPU).
std::optional<bool> cuda_device_dma_buf(std::string& why) {
  const Library cuda = open_library(kCudaLibrary);
  if (!cuda) {
    why = std::string(kCudaLibrary) + " cannot be loaded";
    return std::nullopt;
  }
  using Init = int (*)(unsigned);
  using DeviceGet = int (*)(int*, int);
  using Attribute = int (*)(int*, int, int);
  const auto init = reinterpret_cast<Init>(dlsym(cuda.get(), "cuInit"));
  const auto device_get = reinterpret_cast<DeviceGet>(dlsym(cuda.get(), "cuDeviceGet"));
  const auto attribute = reinterpret_cast<Attribute>(dlsym(cuda.get(), "cuDeviceGetAttribute"));
  if (!init || !device_get || !attribute) {
    why = std::string(kCudaLibrary) + " lacks cuInit, cuDeviceGet or cuDeviceGetAttribute";
    return std::nullopt;
  }
  int device = 0, supported = 0;
  if (const int result = init(0); result != kCudaSuccess) {
    why = "cuInit failed with CUresult " + std::to_string(result);
    return std::nullopt;
  }
  if (const int result = device_get(&device, 0); result != kCudaSuccess) {
    why = "cuDeviceGet(0) failed with CUresult " + std::to_string(result);
    return std::nullopt;
  }
  if (const int result = attribute(&supported, kDmaBufSupportedAttribute, device); result != kCudaSuccess) {
    why = "cuDeviceGetAttribute(CU_DEVICE_ATTRIBUTE_DMA_BUF_SUPPORTED) failed with CUresult " + std::to_string(result);
    return std::nullopt;
  }
  return supported != 0;
}

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

// "possible (...)" or the first missing piece of the dma-buf route.
std::string dma_buf_route(const GpuDirectProbe& probe, const std::string& kernel, bool& possible) {
  const std::function<bool(const std::string&, const std::string&)> exports =
      probe.exports ? probe.exports : library_exports;
  possible = false;
  if (!exports(kVerbsLibrary, "ibv_reg_dmabuf_mr")) {
    return std::string(kVerbsLibrary) + " has no ibv_reg_dmabuf_mr (rdma-core older than 34)";
  }
  if (!kernel_has_dma_buf_import(kernel)) return "kernel " + kernel + " predates RDMA dma-buf import (5.12)";
  if (!exports(kCudaLibrary, "cuMemGetHandleForAddressRange")) {
    return "no CUDA driver with cuMemGetHandleForAddressRange (" + std::string(kCudaLibrary) +
           " absent, or a driver older than R515)";
  }
  std::string why;
  const std::optional<bool> device =
      probe.cuda_dma_buf_supported ? probe.cuda_dma_buf_supported(why) : cuda_device_dma_buf(why);
  if (!device) return "CUDA device 0 could not be asked: " + why;
  if (!*device) {
    return "CUDA device 0 cannot export its memory as dma-buf (CU_DEVICE_ATTRIBUTE_DMA_BUF_SUPPORTED is 0)";
  }
  possible = true;
  return "possible (ibv_reg_dmabuf_mr, cuMemGetHandleForAddressRange, CUDA device 0 supports dma-buf, kernel " +
         kernel + ")";
}

}  // namespace

GpuDirectSupport detect_gpudirect(const GpuDirectProbe& probe) {
  std::string kernel = probe.kernel_release;
  if (kernel.empty()) {
    utsname name{};
    if (uname(&name) == 0) kernel = name.release;
  }
  GpuDirectSupport support;
  const bool peermem = loaded(probe.sys_module, "nvidia_peermem");
  const bool legacy = loaded(probe.sys_module, "nv_peer_mem");
  support.peer_memory = peermem || legacy;
  const std::string peer = support.peer_memory
                               ? std::string(peermem ? "nvidia-peermem" : "nv_peer_mem") + " loaded"
                               : "no nvidia_peermem or nv_peer_mem module in " + probe.sys_module.string();
  support.description = "peer memory: " + peer + "; dma-buf: " + dma_buf_route(probe, kernel, support.dma_buf);
  return support;
}

}  // namespace tomolive::rdma
