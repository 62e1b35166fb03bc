// RAII owners for FFTW (single precision) memory and plans. Private to the kernels library.
// Plans are destroyed under fftw_planner_mutex(); memory comes from fftwf_malloc (SIMD-aligned).
#pragma once

#include <fftw3.h>

#include <complex>
#include <cstddef>
#include <memory>
#include <mutex>
#include <new>
#include <type_traits>

#include "tomolive/kernels/cpu_ramp_filter.hpp"

namespace tomolive::kernels::detail {

struct FftwFree {
  void operator()(void* p) const { fftwf_free(p); }
};

// An array of `count` T (float or std::complex<float>) from fftwf_malloc, zero-initialised.
template <class T>
std::unique_ptr<T[], FftwFree> fftw_alloc_array(std::size_t count) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, std::complex<float>>);
  void* p = fftwf_malloc(sizeof(T) * count);
  if (p == nullptr) throw std::bad_alloc();
  T* typed = static_cast<T*>(p);
  for (std::size_t i = 0; i < count; ++i) typed[i] = T{};
  return std::unique_ptr<T[], FftwFree>(typed);
}

template <class T>
using FftwArray = std::unique_ptr<T[], FftwFree>;

struct FftwPlanDestroy {
  void operator()(fftwf_plan plan) const {
    const std::lock_guard lock(fftw_planner_mutex());
    fftwf_destroy_plan(plan);
  }
};
using FftwPlan = std::unique_ptr<std::remove_pointer_t<fftwf_plan>, FftwPlanDestroy>;

inline fftwf_complex* as_fftw(std::complex<float>* p) { return reinterpret_cast<fftwf_complex*>(p); }

}  // namespace tomolive::kernels::detail
