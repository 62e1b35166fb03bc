// CpuProjectionProcessor: takes projections of the CPU engine from its corrected store to its filtered store through
// the steps of processing.hpp (zingers, the axis tilt rotation of axis_tilt_correction.hpp, phase, rings, half-acquisition weights, windowed ramp filter), in parallel on
// the engine's WorkerPool. Private to the kernels library.
//
// Frames are rows x cols floats, row-major, attenuation (dimensionless) in the corrected store; the filtered store
// holds what the engine backprojects. Work is split into blocks of kBatchRows detector rows (zingers, offsets,
// weights, filter), whole projections (phase) and detector rows (the ring pass); every value is computed by one worker
// in a fixed order, so results do not depend on the number of workers.
//
// Memory: the ramp filters and weights at construction; the work of phase retrieval, ring removal and the tilt
// rotation (one frame) when configure() first enables them (kept until destruction); process() and refilter() do not allocate.
// Thread safety: one calling thread at a time (the engine's).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "tomolive/kernels/axis_tilt_correction.hpp"
#include "tomolive/kernels/cpu_paganin_filter.hpp"
#include "tomolive/kernels/cpu_ramp_filter.hpp"
#include "tomolive/kernels/cpu_ring_removal.hpp"
#include "tomolive/kernels/detector_columns.hpp"
#include "tomolive/kernels/engine_rows.hpp"
#include "tomolive/kernels/processing.hpp"
#include "worker_pool.hpp"

namespace tomolive::kernels::detail {

// What processing one or more projections replaced or clamped, in the processor's counted rows.
struct ProcessingCounts {
  std::uint64_t zingers_replaced = 0;
  std::uint64_t clamped_values = 0;  // transmissions after phase retrieval clamped to kMinTransmission
};

class CpuProjectionProcessor {
 public:
  static constexpr std::uint32_t kBatchRows = 8;  // rows per FFTW call, and rows per unit of parallel work

  // For frames of rows x cols and a store of `slots` projections of a scan with `half` (its detector columns
  // within the frame, check_half_acquisition passed), on `pool` (which must outlive the processor), counting what
  // the steps replace or clamp in the frame rows `counted` (the engine's owned rows, engine_rows.hpp). Allocates the
  // ramp filters (one per worker); throws std::bad_alloc.
  CpuProjectionProcessor(std::uint32_t rows, std::uint32_t cols, std::uint32_t slots, const HalfAcquisition& half,
                         RowRange counted, WorkerPool& pool);
  ~CpuProjectionProcessor();
  CpuProjectionProcessor(const CpuProjectionProcessor&) = delete;
  CpuProjectionProcessor& operator=(const CpuProjectionProcessor&) = delete;

  // Bytes the processor may hold with every step enabled (plans not counted), for `workers` workers, saturating at
  // 2^64 - 1. Throws std::length_error for rows or cols > 2^30 (padded_length).
  static std::uint64_t work_bytes(std::uint32_t rows, std::uint32_t cols, std::uint32_t slots, unsigned workers);

  // Takes `processing` (check_processing passed), the rotation axis (detector columns, after the tilt rotation) and
  // the tilt rotation (identity: none): filter responses, weights, and the work memory of phase retrieval, ring
  // removal and the rotation the first time they are enabled. Throws std::bad_alloc. The ring offsets of the last
  // pass are kept.
  void configure(const ProcessingParams& processing, float axis_col, const AxisTiltRotation& rotation);

  // An arriving projection: steps 1, the tilt rotation, 2, the ring offset of the last pass (when rings are enabled), 4 and 5 from
  // `corrected` into `filtered` (distinct frames).
  ProcessingCounts process(const float* corrected, float* filtered);

  // A re-filter: the same steps for every pair corrected[k] -> filtered[k] (the stored projections, slots in
  // increasing order), with the ring pass over all of them instead of the offset when rings are enabled; the pass
  // replaces the ring offsets (zero when there are no projections).
  ProcessingCounts refilter(std::span<const float* const> corrected, std::span<float* const> filtered);

 private:
  struct WorkerState;

  // Calls fn(worker, frame, first row, last row) for every block of kBatchRows rows of frames 0..frames-1, split
  // among the workers.
  template <class Fn>
  void for_each_block(std::size_t frames, Fn&& fn) {
    const std::size_t blocks = (rows_ + kBatchRows - 1) / kBatchRows;
    pool_.run(frames * blocks, [&](unsigned worker, std::size_t begin, std::size_t end) {
      for (std::size_t k = begin; k < end; ++k) {
        const auto first = static_cast<std::uint32_t>((k % blocks) * kBatchRows);
        fn(worker, k / blocks, first, std::min(rows_, first + kBatchRows));
      }
    });
  }
  // Step 1: rows [first, last) of `filtered` from `corrected` (zingers removed, or copied).
  void zinger_rows(unsigned worker, const float* corrected, float* filtered, std::uint32_t first, std::uint32_t last);
  // Steps 3 (the ring offset, when add_ring_offset and rings are enabled), 4 and 5 on rows [first, last), in place.
  void finish_rows(unsigned worker, float* filtered, std::uint32_t first, std::uint32_t last, bool add_ring_offset);
  // The tilt rotation of a whole frame, in place (through rotated_).
  void rotate(float* frame);
  void ring_pass(std::span<float* const> filtered);
  ProcessingCounts collect_counts();

  std::uint32_t rows_, cols_, slots_;
  const RowRange counted_;
  WorkerPool& pool_;
  ProcessingParams processing_;
  AxisTiltRotation rotation_;
  std::vector<float> rotated_;     // rows x cols: the rotation's output (empty until a tilt is configured)
  const HalfAcquisition half_;     // the scan's
  const DetectorColumns detector_;  // the detector's columns of the frame (half_)
  std::vector<float> weights_;      // per column, half-acquisition weight at the configured axis (unused: disabled)
  std::vector<float> ring_offsets_;  // rows x cols, zero outside the detector columns (empty until rings are enabled)
  std::vector<std::unique_ptr<WorkerState>> workers_;
};

}  // namespace tomolive::kernels::detail
