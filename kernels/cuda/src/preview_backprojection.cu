#include "preview_backprojection.hpp"

#include <algorithm>

#include "cuda_check.hpp"
#include "store_cell.cuh"

namespace tomolive::kernels::cuda {
namespace {

constexpr unsigned kThreadsX = 32, kThreadsY = 8;

struct BatchEntries {
  BackprojectionEntry entries[kMaxBatchEntries];
  std::uint32_t count;
};

// binned[(k * layers + z) * cols + c] = preview_binned_value of entry k's stored projection, for the layers z of
// `layers`.
template <class S>
__global__ void bin_kernel(const typename S::Cell* cells, StoreLayout layout, PreviewTarget target, RowRange layers,
                           BatchEntries entries) {
  const std::uint32_t c = blockIdx.x * blockDim.x + threadIdx.x;
  const std::uint32_t z = layers.begin + blockIdx.y * blockDim.y + threadIdx.y;
  const std::uint32_t k = blockIdx.z;
  const PreviewGrid& g = target.grid;
  if (c >= g.cols || z >= layers.end || k >= entries.count) return;
  const typename S::Cell* slot_cells =
      cells + std::size_t{entries.entries[k].slot} * layout.quads * layout.pitch;
  const auto read = [&](std::uint32_t detector_row, std::uint32_t col) {
    const std::uint32_t row = target.rows.frame_row(detector_row);
    return S::lane(slot_cells + std::size_t{row / 4} * layout.pitch, col, row % 4);
  };
  target.binned[(std::size_t{k} * g.layers + z) * g.cols + c] = preview_binned_value(g, z, c, read);
}

// One thread per voxel (j, i) of layer z = first_layer + blockIdx.z.
__global__ void preview_kernel(PreviewTarget target, std::uint32_t first_layer, BatchEntries entries, float axis_col,
                               float weight) {
  const std::uint32_t j = blockIdx.x * blockDim.x + threadIdx.x;
  const std::uint32_t i = blockIdx.y * blockDim.y + threadIdx.y;
  const std::uint32_t z = first_layer + blockIdx.z;
  const PreviewGrid& g = target.grid;
  if (i >= g.rows || j >= g.cols) return;
  float sum = 0.f;
  for (std::uint32_t k = 0; k < entries.count; ++k) {
    const BackprojectionEntry& e = entries.entries[k];
    const float* binned_row = target.binned + (std::size_t{k} * g.layers + z) * g.cols;
    sum += e.sign * preview_voxel_sample(g, binned_row, i, j, e.cos_t, e.sin_t, axis_col);
  }
  target.voxels[(std::size_t{z} * g.rows + i) * g.cols + j] += weight * sum;
}

}  // namespace

void backproject_preview_batch(const ProjectionStore& store, const PreviewTarget& target,
                               std::span<const BackprojectionEntry> batch, float axis_col, float weight,
                               cudaStream_t stream) {
  const PreviewGrid& g = target.grid;
  const RowRange layers = preview_layers(g, target.rows);
  if (layers.begin == layers.end || batch.empty()) return;
  const std::uint32_t layer_count = layers.end - layers.begin;
  for (std::size_t first = 0; first < batch.size(); first += kMaxBatchEntries) {
    BatchEntries entries{};
    entries.count = static_cast<std::uint32_t>(std::min<std::size_t>(kMaxBatchEntries, batch.size() - first));
    std::copy_n(batch.begin() + static_cast<std::ptrdiff_t>(first), entries.count, entries.entries);
    const dim3 block(kThreadsX, kThreadsY);
    visit_store_type(store.type(), [&](auto s) {
      using S = decltype(s);
      const dim3 bins((g.cols + kThreadsX - 1) / kThreadsX, (layer_count + kThreadsY - 1) / kThreadsY,
                      entries.count);
      bin_kernel<S><<<bins, block, 0, stream>>>(static_cast<const typename S::Cell*>(store.cells()), store.layout(),
                                                target, layers, entries);
    });
    TOMOLIVE_CUDA_CHECK_LAUNCH("preview bin_kernel");
    const dim3 voxels((g.cols + kThreadsX - 1) / kThreadsX, (g.rows + kThreadsY - 1) / kThreadsY, layer_count);
    preview_kernel<<<voxels, block, 0, stream>>>(target, layers.begin, entries, axis_col, weight);
    TOMOLIVE_CUDA_CHECK_LAUNCH("preview_kernel");
  }
}

}  // namespace tomolive::kernels::cuda
