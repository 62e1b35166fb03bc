#include "filter_response_table.hpp"

#include <vector>

#include "cuda_check.hpp"
#include "tomolive/kernels/ramp_filter.hpp"

namespace tomolive::kernels::cuda {

FilterResponseTable::FilterResponseTable(std::uint32_t padded) : padded_(padded) {
  const std::vector<float> response = filter_response(padded_, window_);
  values_ = DeviceArray<float>(response.size());
  TOMOLIVE_CUDA_CHECK(
      cudaMemcpy(values_.get(), response.data(), response.size() * sizeof(float), cudaMemcpyHostToDevice));
}

void FilterResponseTable::set_window(FilterWindow window, cudaStream_t stream) {
  if (window == window_) return;
  const std::vector<float> response = filter_response(padded_, window);
  // From pageable memory: the call returns once `response` is staged, so it may go out of scope; the copy itself is
  // ordered on `stream` after the kernels that still read the previous response.
  TOMOLIVE_CUDA_CHECK(cudaMemcpyAsync(values_.get(), response.data(), response.size() * sizeof(float),
                                      cudaMemcpyHostToDevice, stream));
  window_ = window;
}

}  // namespace tomolive::kernels::cuda
