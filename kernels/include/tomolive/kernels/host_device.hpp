// TOMOLIVE_HD marks functions shared by the CPU engine and CUDA kernels, so the two cannot drift.
// Functions marked with it are pure (thread-safe) and must compile as host C++ without CUDA headers.
#pragma once

#if defined(__CUDACC__)
#define TOMOLIVE_HD __host__ __device__
#else
#define TOMOLIVE_HD
#endif
