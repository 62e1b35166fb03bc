#include "orthoslice_backprojection.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "cuda_check.hpp"
#include "detector_cells.hpp"
#include "store_cell.cuh"
#include "tomolive/kernels/engine.hpp"

namespace tomolive::kernels::cuda {
namespace {

// Positions on the detector are cells (detector_cells.hpp): v = u - 0.5, cell = rint(v) from the bits of
// v + kRoundMagic, no float-to-int conversion on the per-pixel path. Every kernel samples by the edge rule of
// detector_sampling.hpp (linear interpolation, a column off the detector counting as 0): the axial tiles through
// staged windows whose off-detector columns are zero, the vertical slices through a zero guard cell on each side of
// every staged quad row and a select on the rule's support.

constexpr unsigned kThreads = 512;
constexpr unsigned kWarps = kThreads / 32;

// Axial slice: a block computes a tile of kTile x kTile pixels; warp w owns tile rows w + 16 a (a < 4), lane l tile
// columns l + 32 b (b < 2): 8 pixels per thread, a warp reads 32 neighbouring columns (few shared-memory banks).
// kAxialWindow cells per entry (detector_cells.hpp), kAxialStageEntries entries staged at once. A plane that steps
// s pixels per image row or column (a sampled center sweep, axial_sampled_plane) spans s times as many detector
// columns per tile: it is computed with a window scale W >= s (1, 2, 4 or 8), W x kAxialWindow cells per entry and
// kAxialStageEntries / W entries per stage, so that the shared memory stays that of W = 1.
constexpr unsigned kTile = kAxialTile;
constexpr unsigned kTileRowsPerThread = kTile / kWarps;  // 4
constexpr unsigned kTileColsPerThread = kTile / 32;      // 2
constexpr unsigned kAxialStageEntries = 32;
constexpr unsigned kMaxWindowScale = 8;
static_assert(kMaxWindowScale >= kMaxSweepPixelStep, "a sampled sweep's tile fits the largest window");
static_assert(kAxialStageEntries % kMaxWindowScale == 0, "every window scale stages a whole number of entries");

// Vertical slices: a block owns one quad of 4 detector rows and all columns of both slices; thread t owns columns
// t + kThreads m (m < columns per thread). Entries are added Store::kEntriesPerStep at a time (a step); the quad rows
// of successive steps stream through a ring of kVerticalStages steps of shared-memory buffers (one quad row per
// entry) filled by cp.async, kVerticalStages - 1 steps ahead of the compute.
constexpr unsigned kVerticalStages = 3;
constexpr unsigned kMaxColumnsPerThread = 8;
constexpr std::uint32_t kMaxCols = kThreads * kMaxColumnsPerThread;  // 4096
constexpr std::uint32_t kVerticalGuardBytes = 16;

// Recompute: the entries are split into groups so that the grid holds about kBlocksPerSlot blocks per resident block
// slot (two per multiprocessor), which keeps the tail short; groups hold at least kMinGroupEntries entries.
constexpr unsigned kBlocksPerSlot = 16;
constexpr std::uint32_t kMinGroupEntries = 32;

// One staged entry of an axial tile (48 bytes). v_local = v - first_col is the position measured from the window's
// first column (CellLine).
struct AxialStageEntry {
  float cos_t;
  float sin_t;
  float axis_local;       // axis_m - first_col: v_local = x cos + y sin + axis_local
  std::uint32_t cells;    // shared address of the entry's window - 8 kRoundMagicBits (mod 2^32): cell n of position
                          // v_local is at cells + 8 bits(v_local + kRoundMagic)
  std::uint32_t touches;  // 1: some pixel of the tile lies in the support (axial_window); 0: the entry adds 0
  std::int32_t first_col;  // detector column of cell 0 of the window
  std::uint32_t slot;
  float sign;
  std::uint32_t unused[4];
};

template <class Store>
struct Params {
  const typename Store::Cell* store;
  std::uint32_t quads;
  std::uint32_t pitch;
  std::uint32_t rows;
  std::uint32_t cols;
  const BackprojectionEntry* table;  // entries in device memory, or nullptr: the first entry_count of `batch`
  std::uint32_t entry_count;
  std::uint32_t entries_per_group;
  float axis_m;  // axis column - 0.5 (see kRoundMagic)
  float weight;  // FBP weight, radians
  float* xy;     // nullptr: slice not updated
  float* xz;
  float* yz;
  SlicePlane xy_plane;
  SlicePlane xz_plane;
  SlicePlane yz_plane;
  std::uint32_t xy_tiles_x;      // tiles per slice row
  std::uint32_t xy_units;        // tiles
  std::uint32_t vertical_units;  // quads (0 when neither vertical slice is updated)
  BackprojectionEntry batch[kMaxBatchEntries];
};

__device__ __forceinline__ void cp_async_16(void* shared, const void* global) {
  const unsigned address = static_cast<unsigned>(__cvta_generic_to_shared(shared));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(address), "l"(global) : "memory");
}

__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }

template <int Pending>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(Pending) : "memory");
}

// Adds one step of entries to the thread's columns of one vertical slice. For entry k of the step, cells[k] is the
// shared address of its quad row (zero guard cells, pitch cells, zero guard cells) minus sizeof(Cell) *
// kRoundMagicBits (mod 2^32), so that the cell of position v is at cells[k] + sizeof(Cell) * bits(v + kRoundMagic):
// a position in the support reads cells -1 .. cols - 1 (detector_cells.hpp), the guards being the rule's zero
// columns. Positions outside the support read cell 0 of the entry's buffer with zero weights (no branch). Per
// (entry, column): 1 FFMA position, 2 FSETP support test, 3 FADD cell and offset, 1 select of the cell, 1 LEA,
// weights; then Store::accumulate.
template <class Store, unsigned Columns>
__device__ __forceinline__ void accumulate_columns(const std::uint32_t (&cells)[Store::kEntriesPerStep],
                                                   const BackprojectionEntry (&e)[Store::kEntriesPerStep],
                                                   const typename Store::Sign (&sign)[Store::kEntriesPerStep],
                                                   const SlicePlane& plane, float axis_m, const CellSupport& support,
                                                   const float (&column)[Columns], float (&acc)[Columns][4]) {
  constexpr unsigned kStep = Store::kEntriesPerStep;
  ColumnLine line[kStep];
#pragma unroll
  for (unsigned k = 0; k < kStep; ++k) line[k] = column_line(plane, e[k].cos_t, e[k].sin_t, axis_m);
#pragma unroll
  for (unsigned m = 0; m < Columns; ++m) {
    std::uint32_t left[kStep];
    typename Store::Weights weights[kStep];
#pragma unroll
    for (unsigned k = 0; k < kStep; ++k) {
      const float v = line[k].at(column[m]);
      const bool on = in_support(v, support);
      const CellPosition position = locate_cell(v);
      left[k] = cells[k] + sizeof(typename Store::Cell) * (on ? position.key : kRoundMagicBits);
      weights[k] = Store::weights(position.offset, sign[k], on);
    }
    Store::accumulate(left, weights, acc[m]);
  }
}

// Vertical slices of detector rows 4 quad .. 4 quad + 3, entries [first, end), Store::kEntriesPerStep at a time (a
// missing last entry is the step's first one with sign 0).
// Reads: one quad row per entry (pitch cells, HBM, each read once by the whole grid), through shared memory.
// Writes: 4 rows x cols pixels of each selected vertical slice (atomicAdd).
template <class Store, unsigned Columns>
__device__ __forceinline__ void vertical_unit(const Params<Store>& p, const BackprojectionEntry* entries,
                                              std::uint32_t quad, std::uint32_t first, std::uint32_t end,
                                              unsigned char* shared) {
  using Cell = typename Store::Cell;
  constexpr unsigned kStep = Store::kEntriesPerStep;
  // Shared memory: a guard, then per buffer its quad row (pitch cells) and a guard; a guard is kVerticalGuardBytes
  // of zero cells (the edge rule's zero columns before and after the row; 16 bytes keep every buffer aligned).
  constexpr std::uint32_t kGuard = kVerticalGuardBytes / sizeof(Cell);
  const std::uint32_t stride = p.pitch + kGuard;
  Cell* guards = reinterpret_cast<Cell*>(shared);  // guard g at guards + g * stride
  Cell* stages = guards + kGuard;                  // buffer b at stages + b * stride
  const auto stages_address = static_cast<std::uint32_t>(__cvta_generic_to_shared(stages));
  const std::uint32_t stride_bytes = stride * sizeof(Cell);
  if (threadIdx.x < (kVerticalStages * kStep + 1) * kGuard) {
    guards[(threadIdx.x / kGuard) * stride + threadIdx.x % kGuard] = Cell{};
  }

  float column[Columns];  // columns past the slice repeat its last one: computed, never written
#pragma unroll
  for (unsigned m = 0; m < Columns; ++m) {
    column[m] = static_cast<float>(min(threadIdx.x + kThreads * m, p.cols - 1));
  }
  float acc_xz[Columns][4] = {};
  float acc_yz[Columns][4] = {};
  const bool has_xz = p.xz != nullptr;
  const bool has_yz = p.yz != nullptr;
  const CellSupport support = cell_support(p.cols);

  const std::uint32_t count = end - first;
  const std::uint32_t chunks = p.pitch * sizeof(Cell) / 16;
  const Cell* quad_row0 = p.store + std::size_t{quad} * p.pitch;
  const std::size_t slot_cells = std::size_t{p.quads} * p.pitch;
  const std::uint32_t steps = (count + kStep - 1) / kStep;
  // Buffer of entry k of step `step`.
  const auto buffer = [](std::uint32_t step, unsigned k) { return (step % kVerticalStages) * kStep + k; };
  const auto stage = [&](std::uint32_t step) {
#pragma unroll
    for (unsigned k = 0; k < kStep; ++k) {
      const std::uint32_t n = step * kStep + k;
      if (n >= count) break;
      const auto* source = reinterpret_cast<const unsigned char*>(quad_row0 + entries[first + n].slot * slot_cells);
      auto* target = reinterpret_cast<unsigned char*>(stages + buffer(step, k) * stride);
      for (std::uint32_t c = threadIdx.x; c < chunks; c += kThreads) cp_async_16(target + 16 * c, source + 16 * c);
    }
  };

  for (std::uint32_t step = 0; step + 1 < kVerticalStages; ++step) {
    if (step < steps) stage(step);
    cp_async_commit();
  }
  for (std::uint32_t step = 0; step < steps; ++step) {
    if (step + kVerticalStages - 1 < steps) stage(step + kVerticalStages - 1);
    cp_async_commit();
    cp_async_wait<kVerticalStages - 1>();  // this thread's copies for this step have landed
    __syncthreads();                       // and everyone's
    std::uint32_t cells[kStep];
    BackprojectionEntry e[kStep];
    typename Store::Sign sign[kStep];
#pragma unroll
    for (unsigned k = 0; k < kStep; ++k) {
      const std::uint32_t n = step * kStep + k;
      const bool present = n < count;
      cells[k] = opaque(stages_address + buffer(step, present ? k : 0) * stride_bytes - sizeof(Cell) * kRoundMagicBits);
      e[k] = entries[first + (present ? n : step * kStep)];
      sign[k] = Store::entry_sign(present ? e[k].sign : 0.f);
    }
    if (has_xz) {
      accumulate_columns<Store, Columns>(cells, e, sign, p.xz_plane, p.axis_m, support, column, acc_xz);
    }
    if (has_yz) {
      accumulate_columns<Store, Columns>(cells, e, sign, p.yz_plane, p.axis_m, support, column, acc_yz);
    }
    __syncthreads();  // the buffers are refilled at the next iteration
  }

#pragma unroll
  for (unsigned m = 0; m < Columns; ++m) {
    const std::uint32_t j = threadIdx.x + kThreads * m;
    if (j >= p.cols) continue;
#pragma unroll
    for (unsigned lane = 0; lane < 4; ++lane) {
      const std::uint32_t row = 4 * quad + lane;
      if (row >= p.rows) continue;
      const std::size_t pixel = std::size_t{row} * p.cols + j;
      if (has_xz) atomicAdd(p.xz + pixel, p.weight * acc_xz[m][lane]);
      if (has_yz) atomicAdd(p.yz + pixel, p.weight * acc_yz[m][lane]);
    }
  }
}

// Adds one staged entry to the thread's 8 pixels of an axial tile; the entry's window of CellLines (sign applied) is
// at s.cells, its cells off the detector zero columns (the edge rule: no per-pixel test). Per pixel: 1 FFMA position,
// 1 FADD cell key, 1 LEA, 1 LDS.64, 1 FFMA + 1 FADD value and sum.
__device__ __forceinline__ void accumulate_tile(const AxialStageEntry& s, const float (&x)[kTileColsPerThread],
                                                const float (&y)[kTileRowsPerThread],
                                                float (&acc)[kTileRowsPerThread][kTileColsPerThread]) {
#pragma unroll
  for (unsigned a = 0; a < kTileRowsPerThread; ++a) {
    const float row_base = fmaf(y[a], s.sin_t, s.axis_local);
#pragma unroll
    for (unsigned b = 0; b < kTileColsPerThread; ++b) {
      const float v = fmaf(x[b], s.cos_t, row_base);  // axial_position(x, y, ...) - first_col
      const float2 cell = load_shared_f2(s.cells + sizeof(CellLine) * float_bits(v + kRoundMagic));
      acc[a][b] += evaluate(CellLine{cell.x, cell.y}, v);
    }
  }
}

// An axial image a tile is added to: the whole axial slice (the orthoslice kernel) or one candidate of a center sweep
// (a region of the axial slice sampled every s pixels, axial_sampled_plane(), at the candidate's axis).
struct AxialTarget {
  float* image;           // plane.rows x plane.cols floats
  SlicePlane plane;       // axial: x along columns, y along rows, 1 (a sampled sweep: s) pixels per image pixel
  std::uint32_t tiles_x;  // tiles per image row
  float axis_m;           // axis column - 0.5 (see kRoundMagic)
  float weight;           // FBP weight, radians
};

// Axial tile `tile` (row-major over the image's tiles) of target t, entries [first, end) of the store in p, for a
// plane stepping at most WindowScale pixels per image row or column.
// Reads: per entry, a window of kWindow + 1 samples of the plane's detector row (one lane of a quad row; the row data
// of all entries stays in L2), staged in shared memory as CellLines (intercept, slope) with the sign applied.
// Writes: the tile's pixels of the image (atomicAdd).
template <class Store, unsigned WindowScale>
__device__ __forceinline__ void axial_tile(const Params<Store>& p, const AxialTarget& t,
                                           const BackprojectionEntry* entries, std::uint32_t tile,
                                           std::uint32_t first, std::uint32_t end, unsigned char* shared) {
  static_assert(WindowScale >= 1 && WindowScale <= kMaxWindowScale);
  constexpr unsigned kWindow = kAxialWindow * WindowScale;              // cells per entry
  constexpr unsigned kStageEntries = kAxialStageEntries / WindowScale;  // entries per stage
  using Cell = typename Store::Cell;
  auto* cells = reinterpret_cast<CellLine*>(shared);  // [kStageEntries][kWindow]
  auto* staged = reinterpret_cast<AxialStageEntry*>(cells + kStageEntries * kWindow);
  const auto cells_address = static_cast<std::uint32_t>(__cvta_generic_to_shared(cells));
  const SlicePlane& plane = t.plane;
  const std::uint32_t lane = threadIdx.x % 32;
  const std::uint32_t warp = threadIdx.x / 32;
  const std::uint32_t j0 = (tile % t.tiles_x) * kTile;
  const std::uint32_t i0 = (tile / t.tiles_x) * kTile;

  // Pixel coordinates, pixels from the axis (exact: integers or half-integers).
  float x[kTileColsPerThread], y[kTileRowsPerThread];
#pragma unroll
  for (unsigned b = 0; b < kTileColsPerThread; ++b) {
    x[b] = fmaf(static_cast<float>(j0 + lane + 32 * b), plane.x_dj, plane.x0);
  }
#pragma unroll
  for (unsigned a = 0; a < kTileRowsPerThread; ++a) {
    y[a] = fmaf(static_cast<float>(i0 + warp + kWarps * a), plane.y_di, plane.y0);
  }
  // Tile corners: v is monotone in x and in y, so the extreme pixels of a tile are its corners.
  const float corner_x[2] = {fmaf(static_cast<float>(j0), plane.x_dj, plane.x0),
                             fmaf(static_cast<float>(j0 + kTile - 1), plane.x_dj, plane.x0)};
  const float corner_y[2] = {fmaf(static_cast<float>(i0), plane.y_di, plane.y0),
                             fmaf(static_cast<float>(i0 + kTile - 1), plane.y_di, plane.y0)};

  const auto detector_row = static_cast<std::uint32_t>(plane.row0);
  const std::uint32_t row_quad = detector_row / 4;
  const std::uint32_t row_lane = detector_row % 4;
  const CellSupport support = cell_support(p.cols);
  float acc[kTileRowsPerThread][kTileColsPerThread] = {};

  for (std::uint32_t stage_first = first; stage_first < end; stage_first += kStageEntries) {
    const std::uint32_t count = min(kStageEntries, end - stage_first);
    __syncthreads();  // the previous stage is consumed
    if (threadIdx.x < count) {
      const BackprojectionEntry e = entries[stage_first + threadIdx.x];
      const AxialWindow window = axial_window(corner_x, corner_y, e.cos_t, e.sin_t, t.axis_m, support);
      const auto first_col = static_cast<float>(window.first_col);
      AxialStageEntry s;
      s.cos_t = e.cos_t;
      s.sin_t = e.sin_t;
      s.axis_local = t.axis_m - first_col;
      s.cells = cells_address + sizeof(CellLine) * (threadIdx.x * kWindow - kRoundMagicBits);
      s.touches = window.touches ? 1u : 0u;
      s.first_col = window.first_col;
      s.slot = e.slot;
      s.sign = e.sign;
      s.unused[0] = s.unused[1] = s.unused[2] = s.unused[3] = 0;
      staged[threadIdx.x] = s;
    }
    __syncthreads();
    for (std::uint32_t index = threadIdx.x; index < count * kWindow; index += kThreads) {
      const std::uint32_t n = index / kWindow;
      const AxialStageEntry& s = staged[n];
      const std::int32_t col = s.first_col + static_cast<std::int32_t>(index - n * kWindow);
      const Cell* row = p.store + (std::size_t{s.slot} * p.quads + row_quad) * p.pitch;
      const float left = column_on_detector(col, p.cols) ? Store::lane(row, col, row_lane) : 0.f;
      const float right = column_on_detector(col + 1, p.cols) ? Store::lane(row, col + 1, row_lane) : 0.f;
      cells[index] = cell_line(s.sign * left, s.sign * right, index - n * kWindow);
    }
    __syncthreads();
    for (std::uint32_t n = 0; n < count; ++n) {
      const AxialStageEntry s = staged[n];
      if (s.touches != 0) accumulate_tile(s, x, y, acc);
    }
  }

#pragma unroll
  for (unsigned a = 0; a < kTileRowsPerThread; ++a) {
    const std::uint32_t i = i0 + warp + kWarps * a;
#pragma unroll
    for (unsigned b = 0; b < kTileColsPerThread; ++b) {
      const std::uint32_t j = j0 + lane + 32 * b;
      if (i < plane.rows && j < plane.cols) {
        atomicAdd(t.image + std::size_t{i} * plane.cols + j, t.weight * acc[a][b]);
      }
    }
  }
}

// Mapping: grid (units, groups), 512 threads. blockIdx.y selects the group of entries [y * entries_per_group, ...);
// blockIdx.x a unit: vertical quads and axial tiles alternate (V, A, V, A, ...) while both remain, so that every
// multiprocessor mixes the memory-bound vertical work with the arithmetic-bound axial work.
// Reads the entries and the store (vertical_unit: whole quad rows; axial_tile: windows of the xy row); adds
// weight * partial sums into the selected slices (atomicAdd, 4 bytes per pixel per block).
template <class Store, unsigned Columns>
__global__ void __launch_bounds__(kThreads, Columns <= 4 ? 2 : 1)
    backproject_orthoslices(const __grid_constant__ Params<Store> p) {
  extern __shared__ __align__(16) unsigned char shared[];
  const BackprojectionEntry* entries = p.table != nullptr ? p.table : p.batch;
  const std::uint32_t first = blockIdx.y * p.entries_per_group;
  if (first >= p.entry_count) return;
  const std::uint32_t end = min(p.entry_count, first + p.entries_per_group);
  const std::uint32_t paired = 2 * min(p.vertical_units, p.xy_units);
  std::uint32_t unit = blockIdx.x;
  bool vertical;
  if (unit < paired) {
    vertical = unit % 2 == 0;
    unit /= 2;
  } else {
    vertical = p.vertical_units > p.xy_units;
    unit -= paired / 2;
  }
  if (vertical) {
    vertical_unit<Store, Columns>(p, entries, unit, first, end, shared);
  } else {
    const AxialTarget target{p.xy, p.xy_plane, p.xy_tiles_x, p.axis_m, p.weight};
    axial_tile<Store, 1>(p, target, entries, unit, first, end, shared);
  }
}

static_assert(kMaxSweepAxes == kMaxSweepCandidates, "a sweep launch carries every candidate's axis");

// Center sweep: one image per candidate axis, all from the same entries (device table).
struct SweepParams {
  float* images;               // candidates x plane.rows x plane.cols floats
  SlicePlane plane;            // the region, axial_sampled_plane()
  std::uint32_t tiles_x;       // tiles per image row
  std::uint32_t candidates;
  std::uint32_t entry_count;
  std::uint32_t entries_per_group;
  float axis_m[kMaxSweepAxes];  // per candidate: axis column - 0.5
};

// Mapping: grid (tiles of the image, candidates, groups of entries), 512 threads; block (tile, c, g) adds entries
// [g * entries_per_group, ...) of the table to tile `tile` of candidate c's image, as the orthoslice kernel adds them to
// a tile of the axial slice (axial_tile, with the window scale of the plane's pixel step). Reads: windows of the
// region's detector row (in L2 after the first candidate); writes: atomicAdd, once per pixel per group.
template <class Store, unsigned WindowScale>
__global__ void __launch_bounds__(kThreads) sweep_axial_region(const __grid_constant__ Params<Store> p,
                                                               const __grid_constant__ SweepParams s) {
  extern __shared__ __align__(16) unsigned char shared[];
  const std::uint32_t first = blockIdx.z * s.entries_per_group;
  if (first >= s.entry_count) return;
  const std::uint32_t end = min(s.entry_count, first + s.entries_per_group);
  const std::uint32_t candidate = blockIdx.y;
  const AxialTarget target{s.images + std::size_t{candidate} * s.plane.rows * s.plane.cols, s.plane, s.tiles_x,
                           s.axis_m[candidate], p.weight};
  axial_tile<Store, WindowScale>(p, target, p.table, blockIdx.x, first, end, shared);
}

std::size_t vertical_shared_bytes(const StoreLayout& layout, StoreType type) {
  const std::size_t cell = StoreLayout::cell_bytes(type);
  const std::size_t step =
      type == StoreType::float32 ? StoreF32::kEntriesPerStep : StoreF16::kEntriesPerStep;
  const std::size_t guard = kVerticalGuardBytes / cell;
  return (kVerticalStages * step * (std::size_t{layout.pitch} + guard) + guard) * cell;
}

// Every window scale W stages kAxialStageEntries / W entries of W x kAxialWindow cells: at most these bytes.
constexpr std::size_t kAxialSharedBytes =
    kAxialStageEntries * kAxialWindow * sizeof(CellLine) + kAxialStageEntries * sizeof(AxialStageEntry);

// Raises `kernel`'s dynamic shared memory limit to all that the current device allows a block beside the kernel's
// static shared memory. Always that one value, never a launch's own size: engines launching from several threads (the
// slab engines of one device) would otherwise lower the limit between another thread's setting and its launch, which
// then fails with "invalid argument".
template <class Kernel>
void allow_all_dynamic_shared_memory(Kernel kernel) {
  int device = 0;
  TOMOLIVE_CUDA_CHECK(cudaGetDevice(&device));
  int per_block = 0;
  TOMOLIVE_CUDA_CHECK(cudaDeviceGetAttribute(&per_block, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  cudaFuncAttributes attributes{};
  TOMOLIVE_CUDA_CHECK(cudaFuncGetAttributes(&attributes, kernel));
  TOMOLIVE_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                           per_block - static_cast<int>(attributes.sharedSizeBytes)));
}

template <class Store, unsigned Columns>
void launch(const Params<Store>& params, dim3 grid, std::size_t shared_bytes, cudaStream_t stream) {
  const auto kernel = backproject_orthoslices<Store, Columns>;
  allow_all_dynamic_shared_memory(kernel);
  kernel<<<grid, kThreads, shared_bytes, stream>>>(params);
  TOMOLIVE_CUDA_CHECK_LAUNCH("backproject_orthoslices");
}

// Fills everything but the entries; returns false when there is nothing to do.
template <class Store>
bool prepare(const ProjectionStore& store, const OrthosliceTargets& targets, float axis_col, float weight,
             Params<Store>& p) {
  const StoreLayout& layout = store.layout();
  p = {};
  p.store = static_cast<const typename Store::Cell*>(store.cells());
  p.quads = layout.quads;
  p.pitch = layout.pitch;
  p.rows = layout.rows;
  p.cols = layout.cols;
  p.axis_m = axis_col - 0.5f;
  p.weight = weight;
  p.xy = targets.slices[static_cast<std::size_t>(Orthoslice::xy)];
  p.xz = targets.slices[static_cast<std::size_t>(Orthoslice::xz)];
  p.yz = targets.slices[static_cast<std::size_t>(Orthoslice::yz)];
  p.xy_plane = targets.planes[static_cast<std::size_t>(Orthoslice::xy)];
  p.xz_plane = targets.planes[static_cast<std::size_t>(Orthoslice::xz)];
  p.yz_plane = targets.planes[static_cast<std::size_t>(Orthoslice::yz)];
  p.xy_tiles_x = (layout.cols + kTile - 1) / kTile;
  p.xy_units = p.xy != nullptr ? p.xy_tiles_x * p.xy_tiles_x : 0;
  p.vertical_units = (p.xz != nullptr || p.yz != nullptr) ? layout.quads : 0;
  return p.xy_units + p.vertical_units != 0;
}

template <class Store>
void run(const Params<Store>& p, std::uint32_t groups, StoreType type, const StoreLayout& layout,
         cudaStream_t stream) {
  const dim3 grid(p.xy_units + p.vertical_units, groups);
  std::size_t shared_bytes = 0;
  if (p.xy_units != 0) shared_bytes = kAxialSharedBytes;
  if (p.vertical_units != 0) shared_bytes = std::max(shared_bytes, vertical_shared_bytes(layout, type));
  const std::uint32_t columns = (layout.cols + kThreads - 1) / kThreads;
  if (columns <= 1) {
    launch<Store, 1>(p, grid, shared_bytes, stream);
  } else if (columns <= 2) {
    launch<Store, 2>(p, grid, shared_bytes, stream);
  } else if (columns <= 4) {
    launch<Store, 4>(p, grid, shared_bytes, stream);
  } else {
    launch<Store, kMaxColumnsPerThread>(p, grid, shared_bytes, stream);
  }
}

template <class Store>
void batch_launches(const ProjectionStore& store, const OrthosliceTargets& targets,
                    std::span<const BackprojectionEntry> batch, float axis_col, float weight, cudaStream_t stream) {
  Params<Store> p;
  if (!prepare(store, targets, axis_col, weight, p)) return;
  for (std::size_t begin = 0; begin < batch.size(); begin += kMaxBatchEntries) {
    const auto count = static_cast<std::uint32_t>(std::min<std::size_t>(kMaxBatchEntries, batch.size() - begin));
    std::copy_n(batch.begin() + static_cast<std::ptrdiff_t>(begin), count, p.batch);
    p.entry_count = count;
    p.entries_per_group = count;
    run(p, 1, store.type(), store.layout(), stream);
  }
}

template <class Store>
void table_launch(const ProjectionStore& store, const OrthosliceTargets& targets, const BackprojectionEntry* table,
                  std::uint32_t count, float axis_col, float weight, const GpuLimits& limits, cudaStream_t stream) {
  Params<Store> p;
  if (count == 0 || !prepare(store, targets, axis_col, weight, p)) return;
  const std::uint64_t units = p.xy_units + p.vertical_units;
  const std::uint64_t target_blocks =
      std::uint64_t{kBlocksPerSlot} * 2 * static_cast<std::uint64_t>(limits.multiprocessors);
  const std::uint64_t max_groups = std::max<std::uint64_t>(1, count / kMinGroupEntries);
  const std::uint64_t wanted = std::clamp<std::uint64_t>((target_blocks + units - 1) / units, 1, max_groups);
  p.table = table;
  p.entry_count = count;
  p.entries_per_group = static_cast<std::uint32_t>((count + wanted - 1) / wanted);
  const std::uint32_t groups = (count + p.entries_per_group - 1) / p.entries_per_group;
  run(p, groups, store.type(), store.layout(), stream);
}

template <class Store>
void sweep_launch(const ProjectionStore& store, const BackprojectionEntry* table, std::uint32_t count,
                  const SweepTarget& target, float weight, const GpuLimits& limits, cudaStream_t stream) {
  Params<Store> p;
  OrthosliceTargets none;
  prepare(store, none, 0.f, weight, p);  // the store's fields; no slice
  p.table = table;
  SweepParams s{};
  s.images = target.images;
  s.plane = target.plane;
  s.tiles_x = (target.plane.cols + kTile - 1) / kTile;
  const std::uint32_t tiles = s.tiles_x * ((target.plane.rows + kTile - 1) / kTile);
  s.candidates = static_cast<std::uint32_t>(target.axis_cols.size());
  for (std::uint32_t c = 0; c < s.candidates; ++c) s.axis_m[c] = target.axis_cols[c] - 0.5f;
  // Entry groups as for a recompute: enough blocks to balance the multiprocessors.
  const std::uint64_t units = std::uint64_t{tiles} * s.candidates;
  const std::uint64_t target_blocks =
      std::uint64_t{kBlocksPerSlot} * 2 * static_cast<std::uint64_t>(limits.multiprocessors);
  const std::uint64_t max_groups = std::max<std::uint64_t>(1, count / kMinGroupEntries);
  const std::uint64_t wanted = std::clamp<std::uint64_t>((target_blocks + units - 1) / units, 1, max_groups);
  s.entry_count = count;
  s.entries_per_group = static_cast<std::uint32_t>((count + wanted - 1) / wanted);
  const std::uint32_t groups = (count + s.entries_per_group - 1) / s.entries_per_group;
  const dim3 grid(tiles, s.candidates, groups);
  const auto pixel_step = static_cast<std::uint32_t>(target.plane.x_dj);  // checked by sweep_axial
  if (pixel_step <= 1) {
    sweep_axial_region<Store, 1><<<grid, kThreads, kAxialSharedBytes, stream>>>(p, s);
  } else if (pixel_step <= 2) {
    sweep_axial_region<Store, 2><<<grid, kThreads, kAxialSharedBytes, stream>>>(p, s);
  } else if (pixel_step <= 4) {
    sweep_axial_region<Store, 4><<<grid, kThreads, kAxialSharedBytes, stream>>>(p, s);
  } else {
    sweep_axial_region<Store, kMaxWindowScale><<<grid, kThreads, kAxialSharedBytes, stream>>>(p, s);
  }
  TOMOLIVE_CUDA_CHECK_LAUNCH("sweep_axial_region");
}

void check_planes(const OrthosliceTargets& targets, const StoreLayout& layout) {
  const SlicePlane& axial = targets.planes[static_cast<std::size_t>(Orthoslice::xy)];
  if (targets.slices[static_cast<std::size_t>(Orthoslice::xy)] != nullptr &&
      (axial.x_di != 0.f || axial.y_dj != 0.f || axial.row_di != 0 || std::fabs(axial.x_dj) > 1.f ||
       std::fabs(axial.y_di) > 1.f || axial.row0 < 0 || static_cast<std::uint32_t>(axial.row0) >= layout.rows ||
       axial.rows != layout.cols || axial.cols != layout.cols)) {
    throw EngineError("backprojection: the axial plane is not one axial_plane() makes for this store");
  }
  for (const Orthoslice s : {Orthoslice::xz, Orthoslice::yz}) {
    const SlicePlane& plane = targets.planes[static_cast<std::size_t>(s)];
    if (targets.slices[static_cast<std::size_t>(s)] != nullptr &&
        (plane.x_di != 0.f || plane.y_di != 0.f || plane.row0 != 0 || plane.row_di != 1 ||
         plane.rows != layout.rows || plane.cols != layout.cols)) {
      throw EngineError("backprojection: a vertical plane is not one xz_plane()/yz_plane() makes for this store");
    }
  }
}

}  // namespace

void check_backprojection_fits(const StoreLayout& layout, StoreType type, const GpuLimits& limits) {
  if (layout.cols > kMaxCols) {
    throw EngineError("the CUDA engine reconstructs slices of at most " + std::to_string(kMaxCols) +
                      " columns; the detector has " + std::to_string(layout.cols));
  }
  const std::size_t needed = std::max(vertical_shared_bytes(layout, type), kAxialSharedBytes);
  if (needed > limits.max_shared_bytes_per_block) {
    throw EngineError("the vertical-slice kernel needs " + std::to_string(needed / 1024) +
                      " KiB of shared memory per block for " + std::to_string(layout.cols) +
                      " columns in a " + store_type_name(type) + " store; the device allows " +
                      std::to_string(limits.max_shared_bytes_per_block / 1024) + " KiB");
  }
}

void backproject_batch(const ProjectionStore& store, const OrthosliceTargets& targets,
                       std::span<const BackprojectionEntry> batch, float axis_col, float weight, cudaStream_t stream) {
  if (batch.empty()) return;
  check_planes(targets, store.layout());
  if (store.type() == StoreType::float32) {
    batch_launches<StoreF32>(store, targets, batch, axis_col, weight, stream);
  } else {
    batch_launches<StoreF16>(store, targets, batch, axis_col, weight, stream);
  }
}

void sweep_axial(const ProjectionStore& store, const BackprojectionEntry* table, std::uint32_t count,
                 const SweepTarget& target, float weight, const GpuLimits& limits, cudaStream_t stream) {
  const StoreLayout& layout = store.layout();
  const SlicePlane& plane = target.plane;
  const float step = plane.x_dj;  // pixels of the axial slice per image column and row
  if (target.axis_cols.empty() || target.axis_cols.size() > kMaxSweepAxes || plane.rows == 0 || plane.cols == 0 ||
      plane.x_di != 0.f || plane.y_dj != 0.f || plane.row_di != 0 || !(step >= 1.f) ||
      step > static_cast<float>(kMaxWindowScale) || step != std::floor(step) || plane.y_di != -step ||
      plane.row0 < 0 || static_cast<std::uint32_t>(plane.row0) >= layout.rows) {
    throw EngineError("sweep_axial: not an axial_sampled_plane() of this store with a step of 1.." +
                      std::to_string(kMaxWindowScale) + " pixels, or 0 or more than " +
                      std::to_string(kMaxSweepAxes) + " candidate axes");
  }
  if (count == 0) return;
  if (store.type() == StoreType::float32) {
    sweep_launch<StoreF32>(store, table, count, target, weight, limits, stream);
  } else {
    sweep_launch<StoreF16>(store, table, count, target, weight, limits, stream);
  }
}

void backproject_table(const ProjectionStore& store, const OrthosliceTargets& targets,
                       const BackprojectionEntry* table, std::uint32_t count, float axis_col, float weight,
                       const GpuLimits& limits, cudaStream_t stream) {
  check_planes(targets, store.layout());
  if (store.type() == StoreType::float32) {
    table_launch<StoreF32>(store, targets, table, count, axis_col, weight, limits, stream);
  } else {
    table_launch<StoreF16>(store, targets, table, count, axis_col, weight, limits, stream);
  }
}

}  // namespace tomolive::kernels::cuda
