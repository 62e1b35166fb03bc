#include "oblique_backprojection.hpp"

#include <algorithm>

#include "cuda_check.hpp"
#include "store_cell.cuh"
#include "tomolive/kernels/detector_sampling.hpp"

namespace tomolive::kernels::cuda {
namespace {

constexpr unsigned kThreadsX = 32, kThreadsY = 8;

// The entries of one launch: a batch carried as a kernel parameter, or a table in device memory.
struct BatchEntries {
  BackprojectionEntry entries[kMaxBatchEntries];
  std::uint32_t count;
  __device__ const BackprojectionEntry& operator[](std::uint32_t k) const { return entries[k]; }
};
struct TableEntries {
  const BackprojectionEntry* entries;
  std::uint32_t count;
  __device__ BackprojectionEntry operator[](std::uint32_t k) const { return entries[k]; }
};

// sample_row_linear of frame row `row` of one stored projection, read from its cells (lane row % 4 of quad row / 4).
template <class S>
struct StoredRowSampler {
  const typename S::Cell* slot_cells;
  std::uint32_t pitch;
  std::uint32_t cols;

  __device__ float operator()(std::uint32_t row, float u) const {
    if (!kernels::in_support(u, cols)) return 0.f;  // detector_sampling.hpp (not cuda::in_support of cells)
    const std::int32_t left = u >= 0.f ? static_cast<std::int32_t>(u) : -1;
    const float frac = u - static_cast<float>(left);
    const typename S::Cell* quad_row = slot_cells + std::size_t{row / 4} * pitch;
    const auto column = static_cast<std::size_t>(left);  // used only where left >= 0 (on the detector)
    const float a = kernels::column_on_detector(left, cols) ? S::lane(quad_row, column, row % 4) : 0.f;
    const float b =
        kernels::column_on_detector(std::int64_t{left} + 1, cols) ? S::lane(quad_row, column + 1, row % 4) : 0.f;
    return a + frac * (b - a);
  }
};

template <class S, class Entries>
__global__ void oblique_kernel(const typename S::Cell* cells, StoreLayout layout, ObliqueTarget target,
                               Entries entries, float axis_col, float weight) {
  const std::uint32_t j = blockIdx.x * blockDim.x + threadIdx.x;
  const std::uint32_t i = blockIdx.y * blockDim.y + threadIdx.y;
  if (i >= target.plane.rows || j >= target.plane.cols) return;
  const std::size_t slot_cells = std::size_t{layout.quads} * layout.pitch;
  float sum = 0.f;
  for (std::uint32_t k = 0; k < entries.count; ++k) {
    const BackprojectionEntry e = entries[k];
    const StoredRowSampler<S> sample{cells + e.slot * slot_cells, layout.pitch, layout.cols};
    sum += e.sign * oblique_pixel(target.plane, i, j, target.rows, e.cos_t, e.sin_t, axis_col, sample);
  }
  target.slice[std::size_t{i} * target.plane.cols + j] += weight * sum;
}

template <class Entries>
void launch(const ProjectionStore& store, const ObliqueTarget& target, const Entries& entries, float axis_col,
            float weight, cudaStream_t stream) {
  if (entries.count == 0 || target.plane.rows == 0 || target.plane.cols == 0) return;
  const dim3 block(kThreadsX, kThreadsY);
  const dim3 grid((target.plane.cols + kThreadsX - 1) / kThreadsX, (target.plane.rows + kThreadsY - 1) / kThreadsY);
  visit_store_type(store.type(), [&](auto s) {
    using S = decltype(s);
    oblique_kernel<S, Entries><<<grid, block, 0, stream>>>(static_cast<const typename S::Cell*>(store.cells()),
                                                           store.layout(), target, entries, axis_col, weight);
  });
  TOMOLIVE_CUDA_CHECK_LAUNCH("oblique_kernel");
}

}  // namespace

void backproject_oblique_batch(const ProjectionStore& store, const ObliqueTarget& target,
                               std::span<const BackprojectionEntry> batch, float axis_col, float weight,
                               cudaStream_t stream) {
  for (std::size_t first = 0; first < batch.size(); first += kMaxBatchEntries) {
    BatchEntries entries{};
    entries.count = static_cast<std::uint32_t>(std::min<std::size_t>(kMaxBatchEntries, batch.size() - first));
    std::copy_n(batch.begin() + static_cast<std::ptrdiff_t>(first), entries.count, entries.entries);
    launch(store, target, entries, axis_col, weight, stream);
  }
}

void backproject_oblique_table(const ProjectionStore& store, const ObliqueTarget& target,
                               const BackprojectionEntry* table, std::uint32_t count, float axis_col, float weight,
                               cudaStream_t stream) {
  launch(store, target, TableEntries{table, count}, axis_col, weight, stream);
}

}  // namespace tomolive::kernels::cuda
