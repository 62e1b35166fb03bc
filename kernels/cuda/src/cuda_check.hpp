// Error checks for CUDA runtime and cuFFT calls: a failure throws EngineError naming the call, file:line and CUDA's
// error string; a sticky error (one that leaves the CUDA context unusable, e.g. cudaErrorIllegalAddress) throws
// EngineLostError. Private to tomolive_cuda_engine.
#pragma once

#include <cuda_runtime.h>
#include <cufft.h>

namespace tomolive::kernels::cuda {

[[noreturn]] void throw_cuda_error(cudaError_t error, const char* call, const char* file, int line);
[[noreturn]] void throw_cufft_error(cufftResult result, const char* call, const char* file, int line);

// Name of a cuFFT result code ("CUFFT_ALLOC_FAILED", ...).
const char* cufft_result_name(cufftResult result);

// Throws if the last kernel launch failed (cudaGetLastError), naming `kernel`.
void check_launch(const char* kernel, const char* file, int line);

}  // namespace tomolive::kernels::cuda

#define TOMOLIVE_CUDA_CHECK(call)                                                            \
  do {                                                                                       \
    const cudaError_t tomolive_error_ = (call);                                              \
    if (tomolive_error_ != cudaSuccess) {                                                    \
      ::tomolive::kernels::cuda::throw_cuda_error(tomolive_error_, #call, __FILE__, __LINE__); \
    }                                                                                        \
  } while (false)

#define TOMOLIVE_CUFFT_CHECK(call)                                                             \
  do {                                                                                         \
    const cufftResult tomolive_result_ = (call);                                               \
    if (tomolive_result_ != CUFFT_SUCCESS) {                                                   \
      ::tomolive::kernels::cuda::throw_cufft_error(tomolive_result_, #call, __FILE__, __LINE__); \
    }                                                                                          \
  } while (false)

// After every kernel launch: launch-configuration errors surface here, execution errors at the next synchronisation.
#define TOMOLIVE_CUDA_CHECK_LAUNCH(kernel) ::tomolive::kernels::cuda::check_launch(kernel, __FILE__, __LINE__)
