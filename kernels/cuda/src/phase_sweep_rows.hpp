// PhaseSweepRows: the phase-retrieval candidates of a processing sweep (Engine::sweep_processing), row xy_row only.
//
// A sweep reconstructs one axial row, so of each candidate's phase retrieval it needs only row xy_row of every slot.
// Phase retrieval of a candidate's band (processing_sweep.hpp: rows [row0, row0 + n) edge-padded to Ny =
// padded_length(n) rows and the detector columns to Nx columns, 2D FFT, paganin_response, inverse, processing.hpp
// step 2) is linear in the band's padded transmission, so its row y (band-local) is, exactly:
//   T'(y, .) = C2R_x[ sum_j W(j, kx) X(j, kx) ],   X(j, .) = R2C_x(row j of the band, edge-padded to Nx),
//   W(j, kx) = 1 / (Ny Nx) sum over the padded rows pr that repeat band row j of
//              sum_kr paganin_response(f_row(kr), f_col(kx)) cos(2 pi kr (y - pr) / Ny),
// W real since the response is even in kr. So the 1D transforms of every band row are shared by all candidates (one
// R2C per row of the union of their bands), each candidate costs a weighted sum over its band's rows per column
// frequency and one C2R per slot, where filtering each band in 2D costs a forward and an inverse 2D transform of
// Ny x Nx per slot and candidate (about 0.8 s for 8 delta/beta candidates of a 2016 x 2016 x 3000 scan on an H100).
// W comes from the response by a C2R over kr per column frequency (cuFFT), folded onto the band's rows.
// Precondition of the callers: no axis tilt rotation (the band is then the whole frame, rotated first) and no zinger
// filter in the candidates (it runs before phase retrieval, clamped at each candidate's own band edges); the engine
// takes the band path for those.
//
// Device memory: per call, W (candidates x union rows x (Nx / 2 + 1) floats) and its work arrays; per batch of slots,
// the padded rows, their spectra, the candidates' spectra and rows (in batches of as many slots as budget_bytes
// holds, at least 1), and cuFFT's work areas.
// Thread safety: one owner; work is ordered by the stream given at construction.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <span>
#include <vector>

#include "corrected_store.hpp"
#include "device_resources.hpp"
#include "processing_frame.hpp"
#include "tomolive/kernels/processing.hpp"
#include "tomolive/kernels/processing_sweep.hpp"

namespace tomolive::kernels::cuda {

class PhaseSweepRows {
 public:
  // One candidate: its phase retrieval (enabled) and its band (processing_sweep_band), which holds xy_row.
  struct Candidate {
    PhaseRetrieval phase;
    SweepBand band;
  };

  // At most this many candidates per call: their weighted sums are accumulated in registers.
  static constexpr std::uint32_t kMaxCandidates = 8;

  // The default device budget of a batch of slots: padded rows and spectra.
  static constexpr std::uint64_t kBudgetBytes = std::uint64_t{1} << 30;

  // For frames of `cols` columns (padded to padded_length(cols), as phase retrieval pads them; the detector's own
  // columns `detector`, where phase retrieval works, edge-padded): computes
  // the weights of `candidates` (1..kMaxCandidates, each band inside [0, rows) and holding xy_row) and plans the
  // transforms. Throws EngineError when allocation or planning fails, std::invalid_argument for bad candidates.
  PhaseSweepRows(std::uint32_t cols, const DetectorColumns& detector, std::uint32_t xy_row,
                 std::span<const Candidate> candidates, std::uint32_t slots, cudaStream_t stream,
                 std::uint64_t budget_bytes = kBudgetBytes);

  // The union of the candidates' bands: the rows every slot's transforms cover.
  SweepBand rows() const { return union_; }
  // Slots per batch.
  std::uint32_t batch() const { return batch_; }

  // Enqueues: row c of slot s of `out` (a store of `corrected`'s slots and type, candidates rows, cols columns) =
  // candidate c's phase-retrieved attenuation -ln(max(T', kMinTransmission)) of row xy_row of slot s of `corrected`
  // (the detector columns; the others copied), for every slot of `slots` (host memory, each < the stores' slots).
  void run(const CorrectedStore& corrected, std::span<const std::uint32_t> slots, CorrectedStore& out);

 private:
  void compute_weights(std::span<const Candidate> candidates);

  std::uint32_t cols_;
  DetectorColumns detector_;
  std::uint32_t xy_row_;
  std::uint32_t candidates_;
  SweepBand union_;
  std::uint32_t padded_cols_;  // Nx
  std::uint32_t bins_;         // Nx / 2 + 1
  std::uint32_t batch_;
  cudaStream_t stream_;
  DeviceArray<float> weights_;             // candidates x union rows x bins
  DeviceArray<std::uint32_t> band_rows_;   // per candidate: first and end row of its band, union-relative
  DeviceArray<std::uint32_t> slot_table_;  // the slots of a batch
  DeviceArray<float> padded_;              // batch x union rows x Nx: transmission of the band rows, edge-padded
  DeviceArray<float2> spectra_;            // batch x union rows x bins
  DeviceArray<float2> sums_;               // candidates x batch x bins
  DeviceArray<float> retrieved_;           // candidates x batch x Nx
  FftPlan forward_;                        // batch x union rows R2C of Nx
  FftPlan inverse_;                        // candidates x batch C2R of Nx
  DeviceArray<unsigned char> work_;
};

}  // namespace tomolive::kernels::cuda
