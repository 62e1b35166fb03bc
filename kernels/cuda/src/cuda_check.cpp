#include "cuda_check.hpp"

#include <string>

#include "tomolive/kernels/engine.hpp"

namespace tomolive::kernels::cuda {
namespace {

const char* base_name(const char* path) {
  const char* name = path;
  for (const char* p = path; *p != '\0'; ++p) {
    if (*p == '/') name = p + 1;
  }
  return name;
}

std::string where(const char* file, int line) { return std::string(base_name(file)) + ":" + std::to_string(line); }

// Errors that corrupt the CUDA context: every later call in this process fails too, so the engine is lost
// (EngineLostError) rather than merely refusing one call.
bool is_sticky(cudaError_t error) {
  switch (error) {
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchFailure:
    case cudaErrorLaunchTimeout:
    case cudaErrorHardwareStackError:
    case cudaErrorIllegalInstruction:
    case cudaErrorMisalignedAddress:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorAssert:
    case cudaErrorECCUncorrectable:
      return true;
    default:
      return false;
  }
}

[[noreturn]] void throw_for(cudaError_t error, const std::string& message) {
  if (is_sticky(error)) throw EngineLostError(message + "; the CUDA context is unusable");
  throw EngineError(message);
}

}  // namespace

void throw_cuda_error(cudaError_t error, const char* call, const char* file, int line) {
  throw_for(error, "CUDA error at " + where(file, line) + ": " + call + " failed: " + cudaGetErrorString(error) +
                       " (" + cudaGetErrorName(error) + ")");
}

void throw_cufft_error(cufftResult result, const char* call, const char* file, int line) {
  throw EngineError("cuFFT error at " + where(file, line) + ": " + call + " failed: " + cufft_result_name(result));
}

void check_launch(const char* kernel, const char* file, int line) {
  const cudaError_t error = cudaGetLastError();
  if (error != cudaSuccess) {
    throw_for(error, "CUDA error at " + where(file, line) + ": launch of " + kernel + " failed: " +
                         cudaGetErrorString(error) + " (" + cudaGetErrorName(error) + ")");
  }
}

const char* cufft_result_name(cufftResult result) {
  switch (result) {
    case CUFFT_SUCCESS: return "CUFFT_SUCCESS";
    case CUFFT_INVALID_PLAN: return "CUFFT_INVALID_PLAN";
    case CUFFT_ALLOC_FAILED: return "CUFFT_ALLOC_FAILED (cuFFT could not allocate GPU or host memory)";
    case CUFFT_INVALID_TYPE: return "CUFFT_INVALID_TYPE";
    case CUFFT_INVALID_VALUE: return "CUFFT_INVALID_VALUE";
    case CUFFT_INTERNAL_ERROR: return "CUFFT_INTERNAL_ERROR";
    case CUFFT_EXEC_FAILED: return "CUFFT_EXEC_FAILED (the transform kernel failed to launch)";
    case CUFFT_SETUP_FAILED: return "CUFFT_SETUP_FAILED (cuFFT could not initialise)";
    case CUFFT_INVALID_SIZE: return "CUFFT_INVALID_SIZE";
    case CUFFT_UNALIGNED_DATA: return "CUFFT_UNALIGNED_DATA";
    case CUFFT_INVALID_DEVICE: return "CUFFT_INVALID_DEVICE";
    case CUFFT_NO_WORKSPACE: return "CUFFT_NO_WORKSPACE";
    case CUFFT_NOT_IMPLEMENTED: return "CUFFT_NOT_IMPLEMENTED";
    case CUFFT_NOT_SUPPORTED: return "CUFFT_NOT_SUPPORTED";
    case CUFFT_MISSING_DEPENDENCY: return "CUFFT_MISSING_DEPENDENCY";
    case CUFFT_NVRTC_FAILURE: return "CUFFT_NVRTC_FAILURE";
    case CUFFT_NVJITLINK_FAILURE: return "CUFFT_NVJITLINK_FAILURE";
    case CUFFT_NVSHMEM_FAILURE: return "CUFFT_NVSHMEM_FAILURE";
    default: return "unknown cuFFT result";
  }
}

}  // namespace tomolive::kernels::cuda
