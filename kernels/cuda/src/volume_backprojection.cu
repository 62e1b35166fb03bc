#include "volume_backprojection.hpp"

#include <cuda_fp16.h>

#include "cuda_check.hpp"
#include "tomolive/kernels/slice_geometry.hpp"

namespace tomolive::kernels::cuda {
namespace {

constexpr unsigned kThreads = 256;
constexpr unsigned kWarps = kThreads / 32;
constexpr unsigned kTile = 32;                      // tile side, pixels; a warp's lanes are its columns
constexpr unsigned kRowsPerThread = kTile / kWarps;  // 4: tile rows warp, warp + 8, ...
constexpr unsigned kStageEntries = 32;
// Cells staged per entry: a 32-pixel tile spans at most 31 sqrt(2) < 44 columns of a projection; the window starts
// one column before the smallest position and holds the column after the largest, with room for rounding.
constexpr unsigned kWindow = 64;

// The 4 rows of a cell as floats.
__device__ __forceinline__ float4 cell_values(const float4& cell) { return cell; }
__device__ __forceinline__ float4 cell_values(const uint2& cell) {
  const float2 lo = __half22float2(*reinterpret_cast<const __half2*>(&cell.x));
  const float2 hi = __half22float2(*reinterpret_cast<const __half2*>(&cell.y));
  return make_float4(lo.x, lo.y, hi.x, hi.y);
}

struct StagedEntry {
  float cos_t;
  float sin_t;
  float axis_local;  // axis column - first column of the window: position in the window = x cos + y sin + axis_local
};

// Cell = float4 (float32 store) or uint2 (float16 store).
template <class Cell>
__global__ void __launch_bounds__(kThreads) volume_slab_kernel(const Cell* store, std::uint32_t quads,
                                                               std::uint32_t pitch, std::uint32_t cols,
                                                               const BackprojectionEntry* table, std::uint32_t count,
                                                               VolumeSlabTarget target, std::uint32_t first_quad,
                                                               std::uint32_t tiles_x, float axis_col, float weight) {
  __shared__ Cell windows[kStageEntries][kWindow];
  __shared__ StagedEntry staged[kStageEntries];

  const SliceRegion& region = target.region;
  const std::uint32_t lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const std::uint32_t tile_col0 = (blockIdx.x % tiles_x) * kTile;
  const std::uint32_t tile_row0 = (blockIdx.x / tiles_x) * kTile;
  const std::uint32_t quad = first_quad + blockIdx.y;
  const SlicePlane plane = axial_region_plane(cols, 0, region.row0, region.col0, region.rows, region.cols);

  // Pixel coordinates from the axis (exact in float: integers or half-integers); pixels past the region repeat its
  // last row / column: computed, never written.
  const float x = plane.x0 + static_cast<float>(min(tile_col0 + lane, region.cols - 1)) * plane.x_dj;
  float y[kRowsPerThread];
#pragma unroll
  for (unsigned a = 0; a < kRowsPerThread; ++a) {
    y[a] = plane.y0 + static_cast<float>(min(tile_row0 + warp + kWarps * a, region.rows - 1)) * plane.y_di;
  }
  const float corner_x[2] = {plane.x0 + static_cast<float>(tile_col0) * plane.x_dj,
                             plane.x0 + static_cast<float>(min(tile_col0 + kTile, region.cols) - 1) * plane.x_dj};
  const float corner_y[2] = {plane.y0 + static_cast<float>(tile_row0) * plane.y_di,
                             plane.y0 + static_cast<float>(min(tile_row0 + kTile, region.rows) - 1) * plane.y_di};

  float acc[kRowsPerThread][4] = {};
  const std::size_t slot_cells = std::size_t{quads} * pitch;
  const Cell* quad_row0 = store + std::size_t{quad} * pitch;

  for (std::uint32_t first = 0; first < count; first += kStageEntries) {
    const std::uint32_t staged_count = min(kStageEntries, count - first);
    __syncthreads();  // the previous stage is no longer read
    // Stage: warp w fills the windows of entries w, w + 8, ...; its lanes copy 32 cells at a time.
    for (std::uint32_t k = warp; k < staged_count; k += kWarps) {
      const BackprojectionEntry e = table[first + k];
      float smallest = 3.4e38f;
#pragma unroll
      for (unsigned cx = 0; cx < 2; ++cx) {
#pragma unroll
        for (unsigned cy = 0; cy < 2; ++cy) {
          smallest = fminf(smallest, corner_x[cx] * e.cos_t + corner_y[cy] * e.sin_t + axis_col);
        }
      }
      const int window_col0 = static_cast<int>(floorf(smallest)) - 1;
      if (lane == 0) staged[k] = {e.cos_t, e.sin_t, axis_col - static_cast<float>(window_col0)};
      const Cell* row = quad_row0 + e.slot * slot_cells;
      for (unsigned c = lane; c < kWindow; c += 32) {
        const int column = window_col0 + static_cast<int>(c);
        windows[k][c] = column >= 0 && column < static_cast<int>(cols) ? row[column] : Cell{};
      }
    }
    __syncthreads();
    for (std::uint32_t k = 0; k < staged_count; ++k) {
      const StagedEntry s = staged[k];
#pragma unroll
      for (unsigned a = 0; a < kRowsPerThread; ++a) {
        // Position in the window (>= 1 by its choice); left column and the interpolation weight of the right one.
        const float v = x * s.cos_t + y[a] * s.sin_t + s.axis_local;
        const std::uint32_t left = min(static_cast<std::uint32_t>(v), kWindow - 2);
        const float frac = v - static_cast<float>(left);
        const float4 l = cell_values(windows[k][left]);
        const float4 r = cell_values(windows[k][left + 1]);
        acc[a][0] += l.x + frac * (r.x - l.x);
        acc[a][1] += l.y + frac * (r.y - l.y);
        acc[a][2] += l.z + frac * (r.z - l.z);
        acc[a][3] += l.w + frac * (r.w - l.w);
      }
    }
  }

  const std::uint32_t j = tile_col0 + lane;
  if (j >= region.cols) return;
  const std::size_t layer = std::size_t{region.rows} * region.cols;
#pragma unroll
  for (unsigned a = 0; a < kRowsPerThread; ++a) {
    const std::uint32_t i = tile_row0 + warp + kWarps * a;
    if (i >= region.rows) continue;
#pragma unroll
    for (unsigned r = 0; r < 4; ++r) {
      const std::uint32_t row = 4 * quad + r;
      if (row < target.row0 || row >= target.row0 + target.rows) continue;
      target.voxels[(row - target.row0) * layer + std::size_t{i} * region.cols + j] = weight * acc[a][r];
    }
  }
}

}  // namespace

void backproject_volume_slab(const ProjectionStore& store, const BackprojectionEntry* table, std::uint32_t count,
                             const VolumeSlabTarget& target, float axis_col, float weight, cudaStream_t stream) {
  const StoreLayout& layout = store.layout();
  const std::uint32_t first_quad = target.row0 / 4;
  const std::uint32_t quads = (target.row0 + target.rows + 3) / 4 - first_quad;
  const std::uint32_t tiles_x = (target.region.cols + kTile - 1) / kTile;
  const std::uint32_t tiles_y = (target.region.rows + kTile - 1) / kTile;
  const dim3 grid(tiles_x * tiles_y, quads);
  if (store.type() == StoreType::float32) {
    volume_slab_kernel<float4><<<grid, kThreads, 0, stream>>>(static_cast<const float4*>(store.cells()), layout.quads,
                                                             layout.pitch, layout.cols, table, count, target,
                                                             first_quad, tiles_x, axis_col, weight);
  } else {
    volume_slab_kernel<uint2><<<grid, kThreads, 0, stream>>>(static_cast<const uint2*>(store.cells()), layout.quads,
                                                            layout.pitch, layout.cols, table, count, target,
                                                            first_quad, tiles_x, axis_col, weight);
  }
  TOMOLIVE_CUDA_CHECK_LAUNCH("volume_slab_kernel");
}

}  // namespace tomolive::kernels::cuda
