// Whether this build's kernels can run on the current CUDA device (they are compiled for the architectures in
// CMAKE_CUDA_ARCHITECTURES only). Private to tomolive_cuda_engine.
#pragma once

#include <cuda_runtime.h>

namespace tomolive::kernels::cuda {

// cudaSuccess when a kernel of this library can be launched on the current device, else the error (typically
// cudaErrorNoKernelImageForDevice).
cudaError_t kernel_image_status();

}  // namespace tomolive::kernels::cuda
