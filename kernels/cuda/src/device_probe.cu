#include "device_probe.hpp"

namespace tomolive::kernels::cuda {
namespace {

// Never launched: only its attributes are queried, which fails when the binary has no image for the device.
__global__ void probe() {}

}  // namespace

cudaError_t kernel_image_status() {
  cudaFuncAttributes attributes{};
  return cudaFuncGetAttributes(&attributes, probe);
}

}  // namespace tomolive::kernels::cuda
