// The CUDA engine. Per scan (struct Scan, allocated by begin_scan):
//   raw        the frame being processed, as it arrived (up to 4 bytes a pixel)
//   dark_sum, flat_sum (double) -> dark, flat (float) levels, averaged on the GPU at the first projection
//   dark_squares, flat_squares (double) -> the variances that, with the levels copied to the host once, build the
//              scan's defective-pixel map there (defects, shared with the CPU engine); its repairs go to the filter
//              path (uploaded there), which applies them after the flat-field correction on either way
//   filter     FilterPath: raw -> corrected (-log) -> one corrected-store slot, and processed (processing.hpp),
//              ramp-filtered -> one store slot; fused in one kernel for 1025..2048 columns without processing steps,
//              else staged through ProjectionProcessor and cuFFT (filter_path.hpp chooses); re-filters
//   store      the projection store (projection_store.hpp), corrected (corrected_store.hpp), slices (float32), a
//              table of entries for recomputes
//   counters   running totals of clamped transmissions and replaced zingers (read back per projection), and the same
//              for a re-filter
// Two streams: `copy_` carries host-to-device copies of raw frames and the read-back of the counters, `compute_`
// everything else. Events order them: compute waits for `frame_uploaded_` before reading `raw`, copy waits for
// `raw_consumed_` (the frame read by the filter path) before overwriting `raw` and for `counted_` before reading the
// counters back.
// A re-filter (set_processing; set_center with half acquisition) runs on the compute stream: FilterPath::refilter
// over every occupied slot, then a recompute of all slices (pending updates dropped), timed by two events.
// Slice updates are deferred into `pending_` (one BackprojectionEntry per added projection) and applied in one launch
// per batch: when the batch is full, before a slot is overwritten (its old projection is subtracted in the same
// launch, before the new projection replaces the slot), and before anything reads or recomputes the slices.
// A full volume (reconstruct_volume) is computed slab by slab on the compute stream into one of two device slab
// buffers (allocated for the call, sized by volume_slab_rows from the free memory), and each slab is copied to the
// sink's host memory on the copy stream while the next slab is computed; the sink hears of slab k once its copy has
// landed. Page-locked sink memory (PinnedHostBuffer) makes the copies DMA at full speed.
// The oblique slice (oblique_plane.hpp; `oblique`, allocated with the scan at its largest shape) takes the same
// pending entries as the orthoslices (oblique_backprojection.hpp) while enabled and is rebuilt with them on a change
// of center or processing.
// The live 3D preview (preview_volume.hpp; `preview`, allocated when enabled, at most options.preview_budget_bytes)
// takes the pending entries too (preview_backprojection.hpp) and is rebuilt with the oblique slice.
// A processing sweep (sweep_processing) copies, per candidate, the detector rows the candidate needs
// (processing_sweep.hpp) of the corrected store into a band corrected store, re-filters it with a FilterPath of the
// band's shape into a band store (in batches of as many band frames as the path's re-filter budget holds: a few rows
// a frame make one launch per step for hundreds of slots, not one per slot), and reconstructs the region from it with
// the center sweep's kernel (sweep_axial, one axis); the band stores and paths live for the call. Candidates with phase
// retrieval (and no zinger filter or tilt rotation, which act on the band before it) take row xy_row of their
// retrieval, exactly the band's, from PhaseSweepRows (phase_sweep_rows.hpp: one 1D transform per band row shared by
// up to 8 candidates instead of a 2D transform of each candidate's band), and the steps after it on that row alone.
// The center tools (sweep_center, copy_projection) read the store on the compute stream into `center_tools`, a device
// buffer allocated by their first call in a scan (counted in the plan's other bytes), then copy it out: the slices
// and the pending entries are left alone.
// A slab of the detector (engine.hpp DetectorSlab; Scan::rows = engine_rows(geometry)): as in the CPU engine, the
// counters count the owned rows (ProcessingCounters::rows), the tilt turns about the whole detector's middle row, and
// the preview and oblique kernels fill the whole grid's and plane's owned parts (PreviewTarget, ObliqueTarget::rows).
// Shared with the CPU engine: the slot bookkeeping (EngineSlots), the frame checks (frame_checks.hpp), the pixel-type
// dispatch (pixel_dispatch.hpp, in the kernel launchers) and the edge rule of detector_sampling.hpp (in the
// backprojection kernels). Stages are marked with NVTX ranges (nvtx_range.hpp).
#include "tomolive/kernels/cuda_engine.hpp"
#include "tomolive/kernels/engine_checks.hpp"
#include "tomolive/kernels/engine_rows.hpp"
#include "tomolive/kernels/engine_slots.hpp"
#include "tomolive/kernels/frame_checks.hpp"
#include "tomolive/kernels/plan_arithmetic.hpp"

#include <cuda_runtime.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cuda_check.hpp"
#include "device_probe.hpp"
#include "device_resources.hpp"
#include "frame_preprocess.hpp"
#include "filter_path.hpp"
#include "nvtx_range.hpp"
#include "oblique_backprojection.hpp"
#include "phase_sweep_rows.hpp"
#include "orthoslice_backprojection.hpp"
#include "preview_backprojection.hpp"
#include "projection_store.hpp"
#include "volume_backprojection.hpp"
#include "tomolive/kernels/axis_tilt_correction.hpp"
#include "tomolive/kernels/cpu_backproject.hpp"
#include "tomolive/kernels/processing_sweep.hpp"
#include "tomolive/kernels/slice_geometry.hpp"

namespace tomolive::kernels {
namespace {

using cuda::BackprojectionEntry;
using cuda::DeviceArray;
using cuda::Event;
using cuda::StoreType;

constexpr std::array<Orthoslice, 3> kSlices = {Orthoslice::xy, Orthoslice::xz, Orthoslice::yz};
constexpr std::uint32_t kMaxRawPixelBytes = 4;
// Device counters of a scan (running totals) and of a re-filter: clamped transmissions, replaced zingers.
constexpr std::size_t kCounters = 2;
constexpr std::size_t kClamped = 0;
constexpr std::size_t kZingers = 1;

std::size_t index(Orthoslice slice) { return static_cast<std::size_t>(slice); }

// Whether host memory is page-locked (cudaMallocHost or cudaHostRegister), so that it can be copied from directly.
bool is_page_locked(const void* data) {
  cudaPointerAttributes attributes{};
  if (cudaPointerGetAttributes(&attributes, data) != cudaSuccess) {
    cudaGetLastError();  // not a pointer CUDA knows: plain pageable memory; clear the error
    return false;
  }
  return attributes.type == cudaMemoryTypeHost;
}

float elapsed_ms(const Event& begin, const Event& end) {
  float ms = 0.f;
  TOMOLIVE_CUDA_CHECK(cudaEventElapsedTime(&ms, begin.get(), end.get()));
  return ms;
}

// Events of CudaEngineOptions::stage_timing.
struct StageEvents {
  Event upload_begin{true}, upload_end{true};
  Event projection_begin{true}, preprocessed{true}, filtered{true}, projection_end{true};
  Event update_begin{true}, update_end{true};
  Event recompute_begin{true}, recompute_end{true};
  Event sweep_begin{true}, sweep_kernel_end{true}, sweep_end{true};
};

// sweep_center computes its candidates in this many launches, copying each chunk out while the next is computed.
constexpr std::size_t kSweepChunks = 4;

// Floats of the center tools' buffer: a sweep's images at most, or one projection.
std::uint64_t center_tools_floats(const ScanGeometry& g) {
  const std::uint64_t side = std::min(g.cols, kMaxSweepSide);
  return std::max<std::uint64_t>(kMaxSweepCandidates * side * side, saturating_mul(g.rows, g.cols));
}

// Device bytes of one scan, by part.
struct ScanBytes {
  std::uint64_t store = 0;
  std::uint64_t corrected = 0;
  std::uint64_t slices = 0;
  std::uint64_t other = 0;
  std::uint64_t total() const { return saturating_add(saturating_add(store, corrected), saturating_add(slices, other)); }
};

// FilterPath's bytes (its processor and ring-pass work memory included, though made on first use), or the most a
// uint64 holds for shapes it cannot plan (cuFFT's and the sort's size limits): such a scan does not fit.
std::uint64_t filter_path_bytes(const ScanGeometry& g, bool staged_filter) {
  if (g.rows == 0 || g.cols == 0) return 0;
  if (g.cols > (std::uint32_t{1} << 30) || g.rows > (std::uint32_t{1} << 30)) {
    return std::numeric_limits<std::uint64_t>::max();
  }
  try {
    return cuda::FilterPath::estimate_bytes(cuda::StoreLayout::make(g.slots, g.rows, g.cols), staged_filter);
  } catch (const EngineError&) {
    return std::numeric_limits<std::uint64_t>::max();
  }
}

// The preview's reserve: the largest the budget allows for the whole detector (preview_volume.hpp).
std::uint64_t preview_reserve(const ScanGeometry& g, std::uint64_t budget_bytes) {
  return preview_reserve_bytes(engine_rows(g).detector_rows, g.cols, cuda::kPreviewBinnedProjections, budget_bytes);
}

// Floats of the oblique slice at its largest: cols x max(detector rows, cols) (the whole volume's plane).
std::uint64_t oblique_floats(const ScanGeometry& g) {
  return std::uint64_t{g.cols} * std::max(engine_rows(g).detector_rows, g.cols);
}

// The preview of `grid`: voxels and binned scratch.
std::uint64_t preview_grid_bytes(const PreviewGrid& grid) {
  return preview_bytes(grid, cuda::kPreviewBinnedProjections);
}

ScanBytes scan_bytes(const ScanGeometry& g, StoreType type, bool staged_filter, std::uint64_t preview_budget) {
  ScanBytes b;
  const std::uint64_t pixels = std::uint64_t{g.rows} * g.cols;
  b.store = saturating_mul(cuda::StoreLayout::make(g.slots, g.rows, g.cols).cells(),
                           cuda::StoreLayout::cell_bytes(type));
  b.corrected = saturating_mul(saturating_mul(g.slots, pixels), type == StoreType::float32 ? 4 : 2);
  // The three orthoslices and the oblique slice at its largest.
  b.slices = saturating_add(
      saturating_mul(std::uint64_t{g.cols} * g.cols + 2 * pixels + oblique_floats(g), sizeof(float)),
      preview_reserve(g, preview_budget));
  // raw frame, dark and flat sums and sums of squares (double), levels (float), at most one pixel repair, filter path,
  // entry table, counters; the variances (float) live only while the map is built
  std::uint64_t other = saturating_mul(
      pixels, kMaxRawPixelBytes + 4 * sizeof(double) + 4 * sizeof(float) + sizeof(PixelRepair));
  other = saturating_add(other, filter_path_bytes(g, staged_filter));
  other = saturating_add(other, saturating_mul(g.slots, sizeof(BackprojectionEntry)));
  other = saturating_add(other, saturating_mul(center_tools_floats(g), sizeof(float)));  // allocated on first use
  b.other = saturating_add(other, 2 * kCounters * sizeof(unsigned long long));
  return b;
}

class CudaEngineImpl final : public CudaEngine {
 public:
  explicit CudaEngineImpl(const CudaEngineOptions& options) : options_(options), device_(options.device) {
    if (const auto reason = cuda_unavailable_reason(device_)) throw EngineError("CUDA engine: " + *reason);
    make_current();
    cudaDeviceProp properties{};
    TOMOLIVE_CUDA_CHECK(cudaGetDeviceProperties(&properties, device_));
    device_name_ = "cuda:" + std::to_string(device_) + " " + properties.name + " (sm_" +
                   std::to_string(properties.major) + std::to_string(properties.minor) + ")";
    limits_.multiprocessors = properties.multiProcessorCount;
    limits_.max_shared_bytes_per_block = properties.sharedMemPerBlockOptin;
    copy_.emplace();
    compute_.emplace();
    frame_uploaded_.emplace();
    raw_consumed_.emplace();
    counted_.emplace();
    counts_read_.emplace();
    table_uploaded_.emplace();
    refilter_begin_.emplace(true);
    refilter_end_.emplace(true);
    sweep_chunk_done_.reserve(kSweepChunks);
    for (std::size_t k = 0; k < kSweepChunks; ++k) sweep_chunk_done_.emplace_back();
    if (options_.stage_timing) stage_events_ = std::make_unique<StageEvents>();
  }

  ~CudaEngineImpl() override {
    // Let queued work finish before its buffers go (errors ignored: nothing can be done about them here).
    cudaSetDevice(device_);
    if (copy_) cudaStreamSynchronize(copy_->get());
    if (compute_) cudaStreamSynchronize(compute_->get());
  }

  std::string name() const override { return "cuda"; }

  EngineMemoryPlan plan(const ScanGeometry& geometry) const override {
    make_current();
    return plan_with(geometry, available_bytes());
  }

  void begin_scan(const ScanGeometry& g, const ReconParams& params) override {
    make_current();
    check_scan(g, params);
    const PreviewGrid preview = preview_grid(params.preview, engine_rows(g).detector_rows, g.cols);
    check_preview_budget(preview, preview_grid_bytes(preview), options_.preview_budget_bytes);
    // The previous scan's memory counts as available: it is released before the new scan is allocated.
    const std::uint64_t available = available_bytes();
    const EngineMemoryPlan p = plan_with(g, available);
    if (!p.fits()) {
      throw EngineError("scan needs " + format_mib(p.total_bytes) + " MiB of GPU memory (store " +
                        format_mib(p.store_bytes) + " as " + p.store_precision + ", corrected store " +
                        format_mib(p.corrected_store_bytes) + ", slices " +
                        format_mib(p.slice_bytes) + ", other " + format_mib(p.other_bytes) + ") but " + device_name_ +
                        " has " + format_mib(p.available_bytes) + " MiB free");
    }
    const StoreType type = p.store_precision == "float16" ? StoreType::float16 : StoreType::float32;
    const auto layout = cuda::StoreLayout::make(g.slots, g.rows, g.cols);
    cuda::check_backprojection_fits(layout, type, limits_);

    if (scan_ && scan_->reusable_for(g, type)) {
      // Same shape (dynamic CT: tomogram after tomogram): keep every buffer, plan and page-locked staging.
      pending_.clear();
      TOMOLIVE_CUDA_CHECK(cudaStreamSynchronize(copy_->get()));
      TOMOLIVE_CUDA_CHECK(cudaStreamSynchronize(compute_->get()));
      scan_->geometry = g;
      scan_->rows = engine_rows(g);
      scan_->reset(compute_->get());
    } else {
      end_scan();
      try {
        scan_ = std::make_unique<Scan>(g, layout, type, options_.staged_filter, compute_->get());
      } catch (const EngineError& e) {
        scan_.reset();
        throw EngineError("allocating " + format_mib(p.total_bytes) + " MiB for the scan on " + device_name_ +
                          " failed: " + e.what());
      }
    }
    params_ = params;
    update_planes();
    try {
      allocate_preview(*scan_, params.preview, "begin_scan");
    } catch (const EngineError&) {
      scan_.reset();
      throw;
    }
    try {
      scan_->filter.configure(params_.processing, scan_->geometry.half_acquisition, axis(), rotation());
    } catch (const EngineError& e) {
      scan_.reset();
      throw EngineError("allocating the projection processing's work memory on " + device_name_ + " failed: " +
                        e.what());
    }
    TOMOLIVE_CUDA_CHECK(cudaStreamSynchronize(compute_->get()));
  }

  void add_dark(const FrameView& frame) override { add_reference(frame, "add_dark", "dark", false); }
  void add_flat(const FrameView& frame) override { add_reference(frame, "add_flat", "flat", true); }

  ProjectionStats add_projection(std::uint32_t slot, float angle_rad, const FrameView& frame) override {
    make_current();
    Scan& scan = require_scan("add_projection");
    check_projection_frame(slot, angle_rad, frame, scan.geometry);
    const cuda::NvtxRange range("projection");
    cudaStream_t compute = compute_->get();
    if (!scan.references_ready) prepare_references(scan);
    ++scan.projections_received;

    // A replaced projection is subtracted, with its own angle, before the new one replaces its slot; a full batch is
    // applied first too. Both before the upload, so that the update need not wait for the frame's transfer.
    const std::optional<ProjectionAngle> outgoing = scan.slots.outgoing(slot);
    const bool replacing = outgoing.has_value();
    if (replacing) {
      pending_.push_back({outgoing->cos_t, outgoing->sin_t, slot, -1.f});
      apply_pending(all_slices());
    } else if (pending_.size() >= cuda::kMaxBatchEntries) {
      apply_pending(all_slices());
    }
    upload(scan, frame);
    record_timing(&StageEvents::projection_begin, compute);
    cuda::FilterPath::Marks marks;
    marks.raw_consumed = raw_consumed_->get();
    marks.counted = counted_->get();
    if (stage_events_) {
      marks.preprocessed = stage_events_->preprocessed.get();
      marks.filtered = stage_events_->filtered.get();
    }
    scan.filter.run(scan.raw.get(), frame.type, scan.dark.get(), scan.flat.get(), scan.corrected, scan.store, slot,
                    counters(scan.counters, scan.rows.owned), marks);
    record_timing(&StageEvents::projection_end, compute);
    // The counters (running totals over the scan) are read back on the copy stream, so that the compute stream need
    // not wait for the transfer.
    cudaStream_t copy = copy_->get();
    TOMOLIVE_CUDA_CHECK(cudaStreamWaitEvent(copy, counted_->get(), 0));
    TOMOLIVE_CUDA_CHECK(cudaMemcpyAsync(scan.counters_host.data(), scan.counters.get(), scan.counters.bytes(),
                                        cudaMemcpyDeviceToHost, copy));
    TOMOLIVE_CUDA_CHECK(cudaEventRecord(counts_read_->get(), copy));

    const ProjectionAngle angle = scan.slots.record(slot, angle_rad);
    pending_.push_back({angle.cos_t, angle.sin_t, slot, 1.f});
    if (preview_grid_.layers != 0) ++preview_version_;
    // With a float16 store the vertical kernel sums projections in pairs in half precision, and a projection is
    // removed in another pair than it was added in: each replacement leaves a rounding residue (up to 2^-11 of a
    // pair sum) that never cancels. Rebuilding the slices from the store once per window turn bounds that drift to
    // one turn's worth (for W2, one 2.8 ms recompute per 1000 projections).
    if (replacing && scan.store.type() == StoreType::float16 &&
        ++scan.replacements_since_rebuild >= scan.geometry.slots) {
      scan.replacements_since_rebuild = 0;
      recompute(all_slices(), true);
    }

    // The counts are exact for this projection: wait for them (staged path without zingers and phase retrieval: for
    // the preprocessing only).
    TOMOLIVE_CUDA_CHECK(cudaEventSynchronize(counts_read_->get()));
    std::array<unsigned long long, kCounters> totals{};
    std::memcpy(totals.data(), scan.counters_host.data(), sizeof totals);
    ProjectionStats stats;
    stats.clamped_values = totals[kClamped] - scan.counted_before[kClamped];
    stats.zingers_replaced = totals[kZingers] - scan.counted_before[kZingers];
    scan.counted_before = totals;
    if (stage_events_) {
      const StageEvents& ev = *stage_events_;
      TOMOLIVE_CUDA_CHECK(cudaEventSynchronize(ev.projection_end.get()));
      times_.projections += 1;
      times_.upload_ms += elapsed_ms(ev.upload_begin, ev.upload_end);
      if (scan.filter.kind() == cuda::FilterPath::Kind::fused) {
        times_.fused_ms += elapsed_ms(ev.projection_begin, ev.projection_end);
      } else {
        times_.preprocess_ms += elapsed_ms(ev.projection_begin, ev.preprocessed);
        times_.filter_ms += elapsed_ms(ev.preprocessed, ev.filtered);
        times_.store_ms += elapsed_ms(ev.filtered, ev.projection_end);
      }
    }
    return stats;
  }

  void set_detector_mask(std::span<const std::uint8_t> mask) override {
    Scan& scan = require_scan("set_detector_mask");
    scan.defects.set_detector_mask(mask);
  }

  const DefectivePixelMap* defective_pixels() const override { return scan_ ? scan_->defects.map() : nullptr; }

  void set_center(float center_offset_px) override {
    make_current();
    Scan& scan = require_scan("set_center");
    check_center(center_offset_px);
    params_.center_offset_px = center_offset_px;
    scan.filter.configure(params_.processing, scan.geometry.half_acquisition, axis(), rotation());
    // The half-acquisition weights follow the axis: re-filter (which recomputes the slices).
    if (scan.geometry.half_acquisition.enabled) {
      refilter(scan);
    } else {
      recompute(all_slices(), true);
    }
  }

  void set_slices(const SlicePositions& positions) override {
    make_current();
    const Scan& scan = require_scan("set_slices");
    check_slices(positions, scan.geometry.rows, scan.geometry.cols);
    const std::array<bool, 3> moved = {positions.xy_row != params_.slices.xy_row,
                                       positions.xz_y_px != params_.slices.xz_y_px,
                                       positions.yz_x_px != params_.slices.yz_x_px};
    // Pending updates reach the slices that stay with their current planes; the moved ones are rebuilt.
    apply_pending(not_of(moved));
    params_.slices = positions;
    update_planes();
    recompute(moved);
  }

  RefilterReport set_processing(const ProcessingParams& processing) override {
    make_current();
    Scan& scan = require_scan("set_processing");
    check_processing(processing);
    // May allocate; throws before anything changed.
    scan.filter.configure(processing, scan.geometry.half_acquisition, axis(), rotation());
    params_.processing = processing;
    return refilter(scan);
  }

  RefilterReport set_axis_tilt(float tilt_deg) override {
    make_current();
    Scan& scan = require_scan("set_axis_tilt");
    check_axis_tilt(tilt_deg);
    const AxisTiltRotation rotation = axis_tilt_rotation(scan.rows, scan.geometry.cols, tilt_deg);
    // May allocate (the staged path's processor); throws before anything changed.
    scan.filter.configure(params_.processing, scan.geometry.half_acquisition,
                          corrected_axis_column(rotation, params_.center_offset_px), rotation);
    params_.axis_tilt_deg = tilt_deg;
    return refilter(scan);
  }

  void set_oblique_slice(const ObliqueSlice& oblique) override {
    make_current();
    require_scan("set_oblique_slice");
    check_oblique(oblique);
    // Pending updates reach the orthoslices; the oblique slice is rebuilt on its new plane.
    apply_pending(all_slices(), false);
    params_.oblique = oblique;
    update_planes();
    recompute({false, false, false}, true);
  }

  std::pair<std::uint32_t, std::uint32_t> oblique_shape() const override {
    require_scan("oblique_shape");
    return {oblique_plane_.rows, oblique_plane_.cols};
  }

  void copy_oblique_slice(std::span<float> out) const override {
    make_current();
    const Scan& scan = require_scan("copy_oblique_slice");
    check_oblique_copy(params_.oblique, oblique_plane_, out.size());
    apply_pending(all_slices());
    const cuda::NvtxRange range("copy-back oblique slice");
    TOMOLIVE_CUDA_CHECK(cudaMemcpyAsync(out.data(), scan.oblique.get(), out.size_bytes(), cudaMemcpyDeviceToHost,
                                        compute_->get()));
    TOMOLIVE_CUDA_CHECK(cudaStreamSynchronize(compute_->get()));
  }

  PreviewParams default_preview() const override { return PreviewParams{true, 256}; }

  void set_preview(const PreviewParams& preview) override {
    make_current();
    Scan& scan = require_scan("set_preview");
    check_preview(preview);
    const PreviewGrid grid = preview_grid(preview, scan.rows.detector_rows, scan.geometry.cols);
    check_preview_budget(grid, preview_grid_bytes(grid), options_.preview_budget_bytes);
    // Pending updates reach the slices and the oblique slice; the preview is rebuilt on its new grid.
    apply_pending(all_slices(), true, false);
    allocate_preview(scan, preview, "set_preview");
    rebuild_preview(upload_table(scan));
  }

  PreviewGrid preview_shape() const override {
    require_scan("preview_shape");
    return preview_grid_;
  }

  void copy_preview(std::span<float> out) const override {
    make_current();
    const Scan& scan = require_scan("copy_preview");
    check_preview_copy(preview_grid_, out.size());
    apply_pending(all_slices());
    const cuda::NvtxRange range("copy-back preview");
    TOMOLIVE_CUDA_CHECK(cudaMemcpyAsync(out.data(), scan.preview.get(), out.size_bytes(), cudaMemcpyDeviceToHost,
                                        compute_->get()));
    TOMOLIVE_CUDA_CHECK(cudaStreamSynchronize(compute_->get()));
  }

  std::uint64_t preview_version() const override { return preview_version_; }

  const ReconParams& params() const override { return params_; }

  std::uint32_t projections_in_store() const override { return scan_ ? scan_->slots.count() : 0; }

  std::pair<std::uint32_t, std::uint32_t> slice_shape(Orthoslice slice) const override {
    require_scan("slice_shape");
    return {planes_[index(slice)].rows, planes_[index(slice)].cols};
  }

  void copy_slice(Orthoslice slice, std::span<float> out) const override {
    make_current();
    const Scan& scan = require_scan("copy_slice");
    const SlicePlane& plane = planes_[index(slice)];
    const std::size_t size = std::size_t{plane.rows} * plane.cols;
    if (out.size() != size) {
      throw EngineError(std::string("copy_slice: out holds ") + std::to_string(out.size()) + " floats, the " +
                        slice_name(slice) + " slice has " + std::to_string(size) + " (" +
                        std::to_string(plane.rows) + " x " + std::to_string(plane.cols) + ")");
    }
    apply_pending(all_slices());
    const cuda::NvtxRange range("copy-back slice");
    TOMOLIVE_CUDA_CHECK(cudaMemcpyAsync(out.data(), scan.slices[index(slice)].get(), size * sizeof(float),
                                        cudaMemcpyDeviceToHost, compute_->get()));
    TOMOLIVE_CUDA_CHECK(cudaStreamSynchronize(compute_->get()));
  }

  std::optional<float> slot_angle(std::uint32_t slot) const override {
    const Scan& scan = require_scan("slot_angle");
    check_slot(slot, scan.geometry.slots, "slot_angle");
    return scan.slots.angle_rad(slot);
  }

  void copy_projection(std::uint32_t slot, std::span<float> out) const override {
    copy_slot("copy_projection", slot, out, [](const Scan& scan, std::uint32_t s, float* values, cudaStream_t stream) {
      scan.store.read(s, values, scan.geometry.cols, stream);
    });
  }

  void copy_corrected_projection(std::uint32_t slot, std::span<float> out) const override {
    copy_slot("copy_corrected_projection", slot, out,
              [](const Scan& scan, std::uint32_t s, float* values, cudaStream_t stream) {
                scan.corrected.read(s, values, scan.geometry.cols, stream);
              });
  }

  // The candidates in kSweepChunks launches of cuda::sweep_axial on the compute stream, each followed by the copy of
  // its images to `out` on the copy stream: chunk k is copied while chunk k + 1 is computed, so only the last chunk's
  // copy adds to the kernel time. Every launch is queued before the first copy: a copy to pageable memory blocks the
  // host until it is done, and the GPU must not wait for the host meanwhile. Page-locked `out` (PinnedHostBuffer,
  // cudaHostAlloc, cudaHostRegister) copies at full PCIe speed; pageable memory at about a third of it (T8r).
  void sweep_center(std::uint32_t xy_row, std::span<const float> center_offsets_px, const SliceRegion& region,
                    std::uint32_t pixel_step, std::span<float> out) override {
    make_current();
    Scan& scan = require_scan("sweep_center");
    const ScanGeometry& g = scan.geometry;
    check_sweep(xy_row, center_offsets_px, region, pixel_step, out.size(), g);
    const cuda::NvtxRange range("sweep");
    float* images = center_tools(scan);
    std::array<float, kMaxSweepCandidates> axis_cols{};
    for (std::size_t c = 0; c < center_offsets_px.size(); ++c) {
      axis_cols[c] = corrected_axis_column(rotation(), center_offsets_px[c]);
    }
    cuda::SweepTarget target;
    target.images = images;
    target.plane = axial_sampled_plane(g.cols, xy_row, region.row0, region.col0, sweep_image_rows(region, pixel_step),
                                       sweep_image_cols(region, pixel_step), pixel_step);
    target.axis_cols = std::span<const float>(axis_cols.data(), center_offsets_px.size());

    cudaStream_t compute = compute_->get();
    cudaStream_t copy = copy_->get();
    record_timing(&StageEvents::sweep_begin, compute);
    TOMOLIVE_CUDA_CHECK(cudaMemsetAsync(images, 0, out.size_bytes(), compute));
    const std::uint32_t count = upload_table(scan);
    const std::size_t candidates = center_offsets_px.size();
    const std::size_t pixels = std::size_t{target.plane.rows} * target.plane.cols;
    const std::size_t per_chunk = (candidates + kSweepChunks - 1) / kSweepChunks;
    std::size_t chunks = 0;
    for (std::size_t first = 0; first < candidates; first += per_chunk, ++chunks) {
      cuda::SweepTarget chunk = target;
      chunk.images = images + first * pixels;
      chunk.axis_cols = target.axis_cols.subspan(first, std::min(per_chunk, candidates - first));
      cuda::sweep_axial(scan.store, scan.table.get(), count, chunk, g.angle_weight_rad, limits_, compute);
      TOMOLIVE_CUDA_CHECK(cudaEventRecord(sweep_chunk_done_[chunks].get(), compute));
    }
    record_timing(&StageEvents::sweep_kernel_end, compute);
    for (std::size_t k = 0, first = 0; k < chunks; ++k, first += per_chunk) {
      const std::size_t floats = std::min(per_chunk, candidates - first) * pixels;
      TOMOLIVE_CUDA_CHECK(cudaStreamWaitEvent(copy, sweep_chunk_done_[k].get(), 0));
      TOMOLIVE_CUDA_CHECK(cudaMemcpyAsync(out.data() + first * pixels, images + first * pixels,
                                          floats * sizeof(float), cudaMemcpyDeviceToHost, copy));
    }
    record_timing(&StageEvents::sweep_end, copy);
    TOMOLIVE_CUDA_CHECK(cudaStreamSynchronize(copy));
    if (stage_events_) {
      times_.sweeps += 1;
      times_.sweep_kernel_ms += elapsed_ms(stage_events_->sweep_begin, stage_events_->sweep_kernel_end);
      times_.sweep_ms += elapsed_ms(stage_events_->sweep_begin, stage_events_->sweep_end);
    }
  }

  // Phase-retrieval candidates (without zingers or tilt rotation): row xy_row of their retrieval from PhaseSweepRows,
  // in groups of up to kMaxCandidates, then each re-filtered on that row alone. Every other candidate: the band it
  // needs copied out of the corrected store and re-filtered by a FilterPath of the band's shape. Either way the region
  // is reconstructed by sweep_axial at the current axis; consecutive candidates of the same band share its stores and
  // path.
  void sweep_processing(std::uint32_t xy_row, std::span<const ProcessingParams> candidates, const SliceRegion& region,
                        std::span<float> out) override {
    make_current();
    Scan& scan = require_scan("sweep_processing");
    const ScanGeometry& g = scan.geometry;
    check_processing_sweep(xy_row, candidates, region, out.size(), g);
    const cuda::NvtxRange range("processing sweep");
    apply_pending(all_slices());
    float* images = center_tools(scan);
    cudaStream_t compute = compute_->get();
    TOMOLIVE_CUDA_CHECK(cudaMemsetAsync(images, 0, out.size_bytes(), compute));
    std::vector<std::uint32_t> slots;
    scan.slots.for_each_occupied([&](std::uint32_t slot) { slots.push_back(slot); });
    const std::uint32_t count = upload_table(scan);
    if (count == 0) {  // nothing to re-filter: every image is zero, as the slices are
      TOMOLIVE_CUDA_CHECK(cudaMemcpyAsync(out.data(), images, out.size_bytes(), cudaMemcpyDeviceToHost, compute));
      TOMOLIVE_CUDA_CHECK(cudaStreamSynchronize(compute));
      return;
    }
    const float axis_col = axis();
    const std::size_t image_pixels = std::size_t{region.rows} * region.cols;
    struct Band {
      SweepBand rows;
      cuda::CorrectedStore corrected;
      cuda::ProjectionStore store;
      std::unique_ptr<cuda::FilterPath> path;
    };
    const auto make_band = [&](SweepBand rows) {
      const auto layout = cuda::StoreLayout::make(g.slots, rows.rows, g.cols);
      return Band{rows, cuda::CorrectedStore(g.slots, rows.rows, g.cols, scan.store.type()),
                  cuda::ProjectionStore(layout, scan.store.type()),
                  std::make_unique<cuda::FilterPath>(layout, true, compute)};
    };
    // Re-filters `band` (its corrected rows in place) with `processing` and reconstructs candidate c's image.
    const auto reconstruct = [&](Band& band, const ProcessingParams& processing, std::size_t c) {
      band.path->configure(processing, g.half_acquisition, axis_col, rotation());
      TOMOLIVE_CUDA_CHECK(cudaMemsetAsync(scan.refilter_counters.get(), 0, scan.refilter_counters.bytes(), compute));
      band.path->refilter(band.corrected, band.store, slots, counters(scan.refilter_counters, RowRange{}));
      cuda::SweepTarget target;
      target.images = images + c * image_pixels;
      target.plane =
          axial_region_plane(g.cols, xy_row - band.rows.row0, region.row0, region.col0, region.rows, region.cols);
      target.axis_cols = std::span<const float>(&axis_col, 1);
      cuda::sweep_axial(band.store, scan.table.get(), count, target, g.angle_weight_rad, limits_, compute);
    };
    // Phase-retrieval candidates take row xy_row of their retrieval from PhaseSweepRows (the same values as their
    // band's, without a 2D transform of the band per slot and candidate), then the steps after it on that row alone.
    std::vector<std::size_t> by_rows;
    std::vector<bool> takes_rows(candidates.size(), false);
    for (std::size_t c = 0; c < candidates.size(); ++c) {
      const ProcessingParams& candidate = candidates[c];
      takes_rows[c] = candidate.phase.enabled && !candidate.zingers.enabled && !rotation().enabled();
      if (takes_rows[c]) by_rows.push_back(c);
    }
    std::optional<Band> band;
    try {
      for (std::size_t first = 0; first < by_rows.size(); first += cuda::PhaseSweepRows::kMaxCandidates) {
        const std::size_t group = std::min<std::size_t>(cuda::PhaseSweepRows::kMaxCandidates, by_rows.size() - first);
        std::vector<cuda::PhaseSweepRows::Candidate> phased;
        for (std::size_t e = 0; e < group; ++e) {
          const ProcessingParams& candidate = candidates[by_rows[first + e]];
          phased.push_back({candidate.phase, processing_sweep_band(candidate, rotation(), xy_row, g.rows)});
        }
        cuda::CorrectedStore retrieved(g.slots, static_cast<std::uint32_t>(group), g.cols, scan.store.type());
        cuda::PhaseSweepRows(g.cols, DetectorColumns::of(g.half_acquisition, g.cols), xy_row, phased, g.slots, compute)
            .run(scan.corrected, slots, retrieved);
        if (!band) band.emplace(make_band({xy_row, 1}));
        for (std::size_t e = 0; e < group; ++e) {
          retrieved.copy_rows_to(band->corrected, static_cast<std::uint32_t>(e), g.slots, compute);
          ProcessingParams after_phase = candidates[by_rows[first + e]];
          after_phase.phase.enabled = false;
          reconstruct(*band, after_phase, by_rows[first + e]);
        }
        // `retrieved` goes with this scope: wait until the stream has copied its rows.
        TOMOLIVE_CUDA_CHECK(cudaStreamSynchronize(compute));
      }
      band.reset();  // it holds retrieved rows, not the corrected store's
      for (std::size_t c = 0; c < candidates.size(); ++c) {
        if (takes_rows[c]) continue;
        const SweepBand rows = processing_sweep_band(candidates[c], rotation(), xy_row, g.rows);
        if (!band || band->rows.row0 != rows.row0 || band->rows.rows != rows.rows) {
          band.reset();
          band.emplace(make_band(rows));
          scan.corrected.copy_rows_to(band->corrected, rows.row0, g.slots, compute);
        }
        reconstruct(*band, candidates[c], c);
      }
      TOMOLIVE_CUDA_CHECK(cudaMemcpyAsync(out.data(), images, out.size_bytes(), cudaMemcpyDeviceToHost, compute));
      TOMOLIVE_CUDA_CHECK(cudaStreamSynchronize(compute));
    } catch (const EngineLostError&) {
      throw;
    } catch (const EngineError& e) {
      // Most likely the band stores did not fit beside the scan: wait until the queued work has let go of them.
      TOMOLIVE_CUDA_CHECK(cudaStreamSynchronize(compute));
      throw EngineError(std::string("sweep_processing: ") + e.what());
    }
  }

  std::uint32_t volume_slab_rows(const SliceRegion& region) const override {
    make_current();
    const Scan& scan = require_scan("volume_slab_rows");
    std::size_t free = 0, total = 0;
    TOMOLIVE_CUDA_CHECK(cudaMemGetInfo(&free, &total));
    // Two slabs (one computed while the other is copied out), leaving a margin for the runtime.
    const std::uint64_t margin = std::uint64_t{256} << 20;
    const std::uint64_t usable = free > margin ? free - margin : 0;
    const std::uint64_t layer_bytes = std::uint64_t{region.rows} * region.cols * sizeof(float);
    const std::uint64_t rows = layer_bytes == 0 ? scan.geometry.rows : usable / (2 * layer_bytes);
    return static_cast<std::uint32_t>(std::clamp<std::uint64_t>(rows, 1, scan.geometry.rows));
  }

  bool reconstruct_volume(const VolumeBox& box, std::uint32_t slab_rows, VolumeSink& sink) override {
    make_current();
    Scan& scan = require_scan("reconstruct_volume");
    check_volume(box, slab_rows, volume_slab_rows(box.region), scan.geometry);
    const cuda::NvtxRange range("volume");
    apply_pending(all_slices());  // ordered before the volume on the compute stream; leaves the store as it is
    const std::size_t layer = std::size_t{box.region.rows} * box.region.cols;
    std::array<DeviceArray<float>, 2> slabs = {DeviceArray<float>(slab_rows * layer),
                                               DeviceArray<float>(slab_rows * layer)};
    std::array<Event, 2> computed, copied;
    cudaStream_t compute = compute_->get();
    cudaStream_t copy = copy_->get();
    const std::uint32_t count = upload_table(scan);
    struct Outstanding {
      std::uint32_t row0, rows;
      int buffer;
    };
    std::optional<Outstanding> previous;
    // Waits for the previous slab's copy and tells the sink; false when the sink stops the volume.
    const auto finish_previous = [&]() {
      if (!previous) return true;
      TOMOLIVE_CUDA_CHECK(cudaEventSynchronize(copied[previous->buffer].get()));
      const Outstanding done = *previous;
      previous.reset();
      return sink.slab_done(done.row0, done.rows);
    };
    int buffer = 0;
    for (std::uint32_t row0 = box.row0; row0 < box.row0 + box.rows; row0 += slab_rows, buffer ^= 1) {
      const std::uint32_t rows = std::min(slab_rows, box.row0 + box.rows - row0);
      const std::span<float> out = sink.slab_memory(row0, rows);
      if (out.empty()) {
        finish_previous();
        return false;
      }
      if (out.size() != rows * layer) {
        finish_previous();
        throw EngineError("reconstruct_volume: the sink gave " + std::to_string(out.size()) + " floats for a slab of " +
                          std::to_string(rows * layer));
      }
      cuda::VolumeSlabTarget target;
      target.voxels = slabs[buffer].get();
      target.region = box.region;
      target.row0 = row0;
      target.rows = rows;
      // The buffer's previous copy (two slabs ago) has been waited for by finish_previous.
      if (count != 0) {
        cuda::backproject_volume_slab(scan.store, scan.table.get(), count, target, axis(),
                                      scan.geometry.angle_weight_rad, compute);
      } else {
        TOMOLIVE_CUDA_CHECK(cudaMemsetAsync(target.voxels, 0, out.size_bytes(), compute));
      }
      TOMOLIVE_CUDA_CHECK(cudaEventRecord(computed[buffer].get(), compute));
      TOMOLIVE_CUDA_CHECK(cudaStreamWaitEvent(copy, computed[buffer].get(), 0));
      TOMOLIVE_CUDA_CHECK(cudaMemcpyAsync(out.data(), target.voxels, out.size_bytes(), cudaMemcpyDeviceToHost, copy));
      TOMOLIVE_CUDA_CHECK(cudaEventRecord(copied[buffer].get(), copy));
      if (!finish_previous()) {
        TOMOLIVE_CUDA_CHECK(cudaEventSynchronize(copied[buffer].get()));
        sink.slab_done(row0, rows);
        return false;
      }
      previous = Outstanding{row0, rows, buffer};
    }
    return finish_previous();
  }

  void synchronize() const override {
    make_current();
    if (scan_) apply_pending(all_slices());
    TOMOLIVE_CUDA_CHECK(cudaStreamSynchronize(copy_->get()));
    TOMOLIVE_CUDA_CHECK(cudaStreamSynchronize(compute_->get()));
  }

  CudaStageTimes stage_times() const override { return times_; }

 private:
  // Everything a scan holds; allocated at once, released at once.
  struct Scan {
    Scan(const ScanGeometry& g, const cuda::StoreLayout& layout, StoreType type, bool staged_filter,
         cudaStream_t stream)
        : geometry(g),
          rows(engine_rows(g)),
          raw(std::size_t{g.rows} * g.cols * kMaxRawPixelBytes),
          dark_sum(std::size_t{g.rows} * g.cols),
          flat_sum(std::size_t{g.rows} * g.cols),
          dark_squares(std::size_t{g.rows} * g.cols),
          flat_squares(std::size_t{g.rows} * g.cols),
          dark(std::size_t{g.rows} * g.cols),
          flat(std::size_t{g.rows} * g.cols),
          filter(layout, staged_filter, stream),
          store(layout, type),
          corrected(g.slots, g.rows, g.cols, type),
          table(g.slots),
          counters(kCounters),
          refilter_counters(kCounters),
          staging(std::size_t{g.rows} * g.cols * kMaxRawPixelBytes),
          table_host(std::size_t{g.slots} * sizeof(BackprojectionEntry)),
          counters_host(kCounters * sizeof(unsigned long long)) {
      slices[index(Orthoslice::xy)] = DeviceArray<float>(std::size_t{g.cols} * g.cols);
      slices[index(Orthoslice::xz)] = DeviceArray<float>(std::size_t{g.rows} * g.cols);
      slices[index(Orthoslice::yz)] = DeviceArray<float>(std::size_t{g.rows} * g.cols);
      oblique = DeviceArray<float>(oblique_floats(g));
      reset(stream);
    }

    bool reusable_for(const ScanGeometry& g, StoreType type) const {
      return g.rows == geometry.rows && g.cols == geometry.cols && g.slots == geometry.slots &&
             oblique_floats(g) == oblique.size() && type == store.type();
    }

    // Back to "no frame received": slices and reference sums zero, every slot free. The store keeps its old values:
    // a slot is read only once written again.
    void reset(cudaStream_t stream) {
      for (const auto& s : slices) TOMOLIVE_CUDA_CHECK(cudaMemsetAsync(s.get(), 0, s.bytes(), stream));
      TOMOLIVE_CUDA_CHECK(cudaMemsetAsync(oblique.get(), 0, oblique.bytes(), stream));
      if (preview.size() != 0) TOMOLIVE_CUDA_CHECK(cudaMemsetAsync(preview.get(), 0, preview.bytes(), stream));
      TOMOLIVE_CUDA_CHECK(cudaMemsetAsync(dark_sum.get(), 0, dark_sum.bytes(), stream));
      TOMOLIVE_CUDA_CHECK(cudaMemsetAsync(flat_sum.get(), 0, flat_sum.bytes(), stream));
      TOMOLIVE_CUDA_CHECK(cudaMemsetAsync(dark_squares.get(), 0, dark_squares.bytes(), stream));
      TOMOLIVE_CUDA_CHECK(cudaMemsetAsync(flat_squares.get(), 0, flat_squares.bytes(), stream));
      TOMOLIVE_CUDA_CHECK(cudaMemsetAsync(counters.get(), 0, counters.bytes(), stream));
      filter.reset();
      defects.reset(geometry.rows, geometry.cols);
      counted_before = {};
      dark_count = 0;
      flat_count = 0;
      references_ready = false;
      projections_received = 0;
      replacements_since_rebuild = 0;
      slots.reset(geometry.slots);
    }

    ScanGeometry geometry;
    EngineRows rows;  // engine_rows(geometry): where the frames lie on the detector
    DeviceArray<unsigned char> raw;
    DeviceArray<double> dark_sum, flat_sum;
    DeviceArray<double> dark_squares, flat_squares;
    DeviceArray<float> dark, flat;
    cuda::FilterPath filter;
    cuda::ProjectionStore store;
    cuda::CorrectedStore corrected;
    std::array<DeviceArray<float>, 3> slices;  // by Orthoslice
    DeviceArray<float> oblique;                // the oblique slice: oblique_floats(geometry), its largest shape
    DeviceArray<float> preview;                // the preview's voxels (empty while disabled)
    DeviceArray<float> preview_binned;         // its binned projections (PreviewTarget::binned)
    DeviceArray<BackprojectionEntry> table;    // recompute entries
    DeviceArray<unsigned long long> counters;  // kClamped, kZingers of the scan's arrivals so far (running totals)
    DeviceArray<unsigned long long> refilter_counters;  // the same for the running re-filter
    PinnedHostBuffer staging;                  // pageable frames are copied here first
    PinnedHostBuffer table_host;
    PinnedHostBuffer counters_host;
    DeviceArray<float> center_tools;  // center_tools_floats(geometry), allocated by the first center tool call

    std::array<unsigned long long, kCounters> counted_before{};  // the running totals before the last projection
    std::uint32_t dark_count = 0, flat_count = 0;
    bool references_ready = false;
    std::uint64_t projections_received = 0;
    std::uint32_t replacements_since_rebuild = 0;  // sliding-window replacements since the slices were rebuilt
    EngineSlots slots;                             // which slots hold a projection, and their angles
    ScanDefectivePixels defects;                   // the map and its repairs, built at the first projection
  };

  static std::array<bool, 3> all_slices() { return {true, true, true}; }
  static std::array<bool, 3> not_of(const std::array<bool, 3>& s) { return {!s[0], !s[1], !s[2]}; }

  void make_current() const { TOMOLIVE_CUDA_CHECK(cudaSetDevice(device_)); }

  // The counters in `values`, counting the frame rows `counted`.
  static cuda::ProcessingCounters counters(const DeviceArray<unsigned long long>& values, RowRange counted) {
    return {values.get() + kClamped, values.get() + kZingers, counted};
  }

  Scan& require_scan(const char* what) const {
    if (!scan_) throw EngineError(std::string(what) + ": no active scan (call begin_scan first)");
    return *scan_;
  }

  // Device memory free now, plus what the current scan holds (begin_scan releases it first).
  std::uint64_t available_bytes() const {
    std::size_t free = 0, total = 0;
    TOMOLIVE_CUDA_CHECK(cudaMemGetInfo(&free, &total));
    std::uint64_t held = 0;
    if (scan_) {
      held = scan_bytes(scan_->geometry, scan_->store.type(), options_.staged_filter, options_.preview_budget_bytes)
                 .total();
    }
    return saturating_add(free, held);
  }

  EngineMemoryPlan plan_with(const ScanGeometry& g, std::uint64_t available) const {
    StoreType type = StoreType::float32;
    if (options_.store == StorePrecision::float16) {
      type = StoreType::float16;
    } else if (options_.store == StorePrecision::automatic) {
      const ScanBytes f32 = scan_bytes(g, StoreType::float32, options_.staged_filter, options_.preview_budget_bytes);
      if (saturating_add(f32.store, f32.corrected) > available / 2) type = StoreType::float16;
    }
    const ScanBytes b = scan_bytes(g, type, options_.staged_filter, options_.preview_budget_bytes);
    EngineMemoryPlan p;
    p.device = device_name_;
    p.store_precision = cuda::store_type_name(type);
    p.store_bytes = b.store;
    p.corrected_store_bytes = b.corrected;
    p.slice_bytes = b.slices;
    p.preview_bytes = preview_reserve(g, options_.preview_budget_bytes);
    p.other_bytes = b.other;
    p.total_bytes = b.total();
    p.available_bytes = available;
    return p;
  }

  void end_scan() {
    pending_.clear();
    if (scan_) {
      TOMOLIVE_CUDA_CHECK(cudaStreamSynchronize(copy_->get()));
      TOMOLIVE_CUDA_CHECK(cudaStreamSynchronize(compute_->get()));
      scan_.reset();
    }
  }

  void update_planes() {
    const ScanGeometry& g = scan_->geometry;
    planes_[index(Orthoslice::xy)] = axial_plane(g.cols, params_.slices.xy_row);
    planes_[index(Orthoslice::xz)] = xz_plane(g.cols, g.rows, params_.slices.xz_y_px);
    planes_[index(Orthoslice::yz)] = yz_plane(g.cols, g.rows, params_.slices.yz_x_px);
    oblique_plane_ = params_.oblique.enabled ? oblique_plane(params_.oblique, scan_->rows.detector_rows, g.cols)
                                             : ObliquePlane{};
  }

  cuda::ObliqueTarget oblique_target() const { return {scan_->oblique.get(), oblique_plane_, scan_->rows}; }
  cuda::PreviewTarget preview_target() const {
    return {scan_->preview.get(), scan_->preview_binned.get(), preview_grid_, scan_->rows};
  }

  // Makes scan's preview memory that of `preview` (zeroed; kept when the grid is unchanged, freed when disabled) and
  // records it in params_. When the allocation fails the preview is disabled and EngineError says so.
  void allocate_preview(Scan& scan, const PreviewParams& preview, const char* method) {
    const PreviewGrid grid = preview_grid(preview, scan.rows.detector_rows, scan.geometry.cols);
    cudaStream_t compute = compute_->get();
    if (!(grid.layers != 0 && scan.preview.size() == grid.voxels() &&
          scan.preview_binned.size() == cuda::kPreviewBinnedProjections * grid.binned_values())) {
      TOMOLIVE_CUDA_CHECK(cudaStreamSynchronize(compute));  // no launch still uses the old arrays
      scan.preview = {};
      scan.preview_binned = {};
      preview_grid_ = PreviewGrid{};
      params_.preview = preview;
      params_.preview.enabled = false;
      if (grid.layers == 0) {
        ++preview_version_;
        return;
      }
      try {
        scan.preview = DeviceArray<float>(grid.voxels());
        scan.preview_binned = DeviceArray<float>(cuda::kPreviewBinnedProjections * grid.binned_values());
      } catch (const EngineError& e) {
        scan.preview = {};
        scan.preview_binned = {};
        ++preview_version_;
        throw EngineError(std::string(method) + ": allocating " + format_mib(preview_grid_bytes(grid)) +
                          " MiB for the preview on " + device_name_ + " failed; the preview is disabled: " + e.what());
      }
    }
    TOMOLIVE_CUDA_CHECK(cudaMemsetAsync(scan.preview.get(), 0, scan.preview.bytes(), compute));
    preview_grid_ = grid;
    params_.preview = preview;
    ++preview_version_;
  }

  // Clears the preview (when enabled) and adds the first `count` entries of the host table upload_table filled.
  void rebuild_preview(std::uint32_t count) {
    if (preview_grid_.layers == 0) return;
    Scan& scan = *scan_;
    cudaStream_t compute = compute_->get();
    TOMOLIVE_CUDA_CHECK(cudaMemsetAsync(scan.preview.get(), 0, scan.preview.bytes(), compute));
    const auto* table = static_cast<const BackprojectionEntry*>(scan.table_host.data());
    cuda::backproject_preview_batch(scan.store, preview_target(), std::span(table, count), axis(),
                                    scan.geometry.angle_weight_rad, compute);
    ++preview_version_;
  }

  cuda::OrthosliceTargets targets(const std::array<bool, 3>& selected) const {
    cuda::OrthosliceTargets t;
    for (const Orthoslice s : kSlices) {
      t.slices[index(s)] = selected[index(s)] ? scan_->slices[index(s)].get() : nullptr;
      t.planes[index(s)] = planes_[index(s)];
    }
    return t;
  }

  // The tilt rotation of the scan's projections (axis_tilt_correction.hpp), and the detector column the filtered
  // store is backprojected around (the axis after it).
  AxisTiltRotation rotation() const {
    return axis_tilt_rotation(scan_->rows, scan_->geometry.cols, params_.axis_tilt_deg);
  }
  float axis() const { return corrected_axis_column(rotation(), params_.center_offset_px); }

  void record_timing(Event StageEvents::*event, cudaStream_t stream) const {
    if (stage_events_) TOMOLIVE_CUDA_CHECK(cudaEventRecord(((*stage_events_).*event).get(), stream));
  }

  // Copies a frame to scan.raw on the copy stream; the compute stream waits for it. Page-locked frames are copied
  // directly (and the call waits for the copy before returning, since the frame is the caller's), others through the
  // staging buffer (the call waits only for the previous copy out of it).
  void upload(Scan& scan, const FrameView& frame) {
    const cuda::NvtxRange range("upload");
    const std::size_t bytes = std::size_t{frame.rows} * frame.cols * pixel_bytes(frame.type);
    const bool page_locked = is_page_locked(frame.data);
    const void* source = frame.data;
    if (!page_locked) {
      TOMOLIVE_CUDA_CHECK(cudaEventSynchronize(frame_uploaded_->get()));
      std::memcpy(scan.staging.data(), frame.data, bytes);
      source = scan.staging.data();
    }
    cudaStream_t copy = copy_->get();
    TOMOLIVE_CUDA_CHECK(cudaStreamWaitEvent(copy, raw_consumed_->get(), 0));
    record_timing(&StageEvents::upload_begin, copy);
    TOMOLIVE_CUDA_CHECK(cudaMemcpyAsync(scan.raw.get(), source, bytes, cudaMemcpyHostToDevice, copy));
    record_timing(&StageEvents::upload_end, copy);
    TOMOLIVE_CUDA_CHECK(cudaEventRecord(frame_uploaded_->get(), copy));
    TOMOLIVE_CUDA_CHECK(cudaStreamWaitEvent(compute_->get(), frame_uploaded_->get(), 0));
    if (page_locked) TOMOLIVE_CUDA_CHECK(cudaEventSynchronize(frame_uploaded_->get()));
  }

  void add_reference(const FrameView& frame, const char* method, const char* kind, bool flat) {
    make_current();
    Scan& scan = require_scan(method);
    check_reference_frame(frame, scan.geometry, scan.projections_received, kind);
    upload(scan, frame);
    cuda::accumulate_reference(scan.raw.get(), frame.type, std::size_t{frame.rows} * frame.cols,
                               flat ? scan.flat_sum.get() : scan.dark_sum.get(),
                               flat ? scan.flat_squares.get() : scan.dark_squares.get(), compute_->get());
    TOMOLIVE_CUDA_CHECK(cudaEventRecord(raw_consumed_->get(), compute_->get()));
    ++(flat ? scan.flat_count : scan.dark_count);
  }

  // At the first projection: the dark and flat levels on the device, and, when detection is on, the defective-pixel
  // map built on the host from the levels and variances (copied out once, synchronously) with its repairs uploaded.
  void prepare_references(Scan& scan) {
    cudaStream_t compute = compute_->get();
    const std::size_t pixels = std::size_t{scan.geometry.rows} * scan.geometry.cols;
    cuda::average_reference(scan.dark_sum.get(), pixels, scan.dark_count, 0.f, scan.dark.get(), compute);
    cuda::average_reference(scan.flat_sum.get(), pixels, scan.flat_count, 1.f, scan.flat.get(), compute);
    scan.references_ready = true;
    // The widened frames of a half-acquisition scan hold filler columns, no detector pixels: no map for them (yet).
    DefectivePixelDetection detection = params_.processing.defective_pixels;
    if (scan.geometry.half_acquisition.enabled) detection.enabled = false;
    if (!detection.enabled) {
      scan.defects.build({}, {}, detection);
      return;
    }
    const cuda::NvtxRange range("defective pixels");
    std::vector<float> dark(pixels), flat(pixels), dark_variance(pixels), flat_variance(pixels);
    {
      const DeviceArray<float> variance(pixels);
      const auto copy_out = [&](const float* device, std::vector<float>& host) {
        TOMOLIVE_CUDA_CHECK(cudaMemcpyAsync(host.data(), device, pixels * sizeof(float), cudaMemcpyDeviceToHost,
                                            compute));
        TOMOLIVE_CUDA_CHECK(cudaStreamSynchronize(compute));
      };
      cuda::reference_variance(scan.dark_sum.get(), scan.dark_squares.get(), pixels, scan.dark_count, variance.get(),
                               compute);
      copy_out(variance.get(), dark_variance);
      cuda::reference_variance(scan.flat_sum.get(), scan.flat_squares.get(), pixels, scan.flat_count, variance.get(),
                               compute);
      copy_out(variance.get(), flat_variance);
      copy_out(scan.dark.get(), dark);
      copy_out(scan.flat.get(), flat);
    }
    scan.defects.build({dark.data(), dark_variance.data(), scan.dark_count},
                       {flat.data(), flat_variance.data(), scan.flat_count}, detection);
    scan.filter.set_pixel_repairs(scan.defects.repairs());
  }

  // Applies the pending entries to the selected slices and, when `oblique` and it is enabled, the oblique slice, and
  // when `preview` and it is enabled, the preview (the others must be rebuilt by the caller), and forgets them.
  void apply_pending(const std::array<bool, 3>& selected, bool oblique = true, bool preview = true) const {
    if (pending_.empty()) return;
    if (oblique && params_.oblique.enabled) {
      cuda::backproject_oblique_batch(scan_->store, oblique_target(), pending_, axis(),
                                      scan_->geometry.angle_weight_rad, compute_->get());
    }
    if (preview && preview_grid_.layers != 0) {
      const cuda::NvtxRange range("preview update");
      cuda::backproject_preview_batch(scan_->store, preview_target(), pending_, axis(),
                                      scan_->geometry.angle_weight_rad, compute_->get());
    }
    if (selected[0] || selected[1] || selected[2]) {
      const cuda::NvtxRange range("slice update");
      cudaStream_t compute = compute_->get();
      record_timing(&StageEvents::update_begin, compute);
      cuda::backproject_batch(scan_->store, targets(selected), pending_, axis(), scan_->geometry.angle_weight_rad,
                              compute);
      record_timing(&StageEvents::update_end, compute);
      if (stage_events_) {
        TOMOLIVE_CUDA_CHECK(cudaEventSynchronize(stage_events_->update_end.get()));
        times_.updates += 1;
        times_.update_ms += elapsed_ms(stage_events_->update_begin, stage_events_->update_end);
      }
    }
    pending_.clear();
  }

  // Copies a slot out of a store: read(scan, slot, values, stream) enqueues its conversion into `values` (device,
  // rows x cols floats, row-major), then the values go to `out`.
  template <class Read>
  void copy_slot(const char* method, std::uint32_t slot, std::span<float> out, Read read) const {
    make_current();
    Scan& scan = require_scan(method);
    const ScanGeometry& g = scan.geometry;
    check_projection_copy(method, slot, slot < g.slots && scan.slots.occupied(slot), out.size(), g);
    const cuda::NvtxRange range("copy-back projection");
    float* values = center_tools(scan);
    cudaStream_t compute = compute_->get();
    read(scan, slot, values, compute);
    TOMOLIVE_CUDA_CHECK(cudaMemcpyAsync(out.data(), values, out.size_bytes(), cudaMemcpyDeviceToHost, compute));
    TOMOLIVE_CUDA_CHECK(cudaStreamSynchronize(compute));
  }

  // The center tools' device buffer, allocated on first use (not on the per-projection path).
  static float* center_tools(Scan& scan) {
    if (scan.center_tools.size() == 0) scan.center_tools = DeviceArray<float>(center_tools_floats(scan.geometry));
    return scan.center_tools.get();
  }

  // Enqueues the upload of one entry per occupied slot (slot order, sign +1) into scan.table; returns the count.
  std::uint32_t upload_table(Scan& scan) const {
    // The host table is reused: wait until its previous upload has left it.
    TOMOLIVE_CUDA_CHECK(cudaEventSynchronize(table_uploaded_->get()));
    auto* table = static_cast<BackprojectionEntry*>(scan.table_host.data());
    std::uint32_t count = 0;
    scan.slots.for_each_occupied([&](std::uint32_t slot) {
      const ProjectionAngle angle = scan.slots.angle(slot);
      table[count++] = {angle.cos_t, angle.sin_t, slot, 1.f};
    });
    if (count != 0) {
      TOMOLIVE_CUDA_CHECK(cudaMemcpyAsync(scan.table.get(), table, count * sizeof(BackprojectionEntry),
                                          cudaMemcpyHostToDevice, compute_->get()));
      TOMOLIVE_CUDA_CHECK(cudaEventRecord(table_uploaded_->get(), compute_->get()));
    }
    return count;
  }

  // Rebuilds the selected slices, and the oblique slice and the preview when `oblique` and they are enabled, from every
  // occupied slot (in slot order, as the CPU engine).
  void recompute(const std::array<bool, 3>& selected, bool oblique = false) {
    apply_pending(not_of(selected), !oblique, !oblique);
    const bool orthoslices = selected[0] || selected[1] || selected[2];
    const bool rebuild_oblique = oblique && params_.oblique.enabled;
    const bool preview_too = oblique && preview_grid_.layers != 0;
    if (!orthoslices && !rebuild_oblique && !preview_too) return;
    const cuda::NvtxRange range("recompute");
    Scan& scan = *scan_;
    cudaStream_t compute = compute_->get();
    if (orthoslices) {
      record_timing(&StageEvents::recompute_begin, compute);
      for (const Orthoslice s : kSlices) {
        if (!selected[index(s)]) continue;
        const DeviceArray<float>& slice = scan.slices[index(s)];
        TOMOLIVE_CUDA_CHECK(cudaMemsetAsync(slice.get(), 0, slice.bytes(), compute));
      }
    }
    const std::uint32_t count = upload_table(scan);
    if (orthoslices) {
      if (count != 0) {
        cuda::backproject_table(scan.store, targets(selected), scan.table.get(), count, axis(),
                                scan.geometry.angle_weight_rad, limits_, compute);
      }
      record_timing(&StageEvents::recompute_end, compute);
      if (stage_events_) {
        TOMOLIVE_CUDA_CHECK(cudaEventSynchronize(stage_events_->recompute_end.get()));
        times_.recomputes += 1;
        times_.recompute_ms += elapsed_ms(stage_events_->recompute_begin, stage_events_->recompute_end);
      }
    }
    if (rebuild_oblique) {
      TOMOLIVE_CUDA_CHECK(cudaMemsetAsync(scan.oblique.get(), 0, scan.oblique.bytes(), compute));
      cuda::backproject_oblique_table(scan.store, oblique_target(), scan.table.get(), count, axis(),
                                      scan.geometry.angle_weight_rad, compute);
    }
    if (preview_too) rebuild_preview(count);
  }

  // Re-filters every stored projection from the corrected store with the configured processing (FilterPath::refilter)
  // and recomputes the three slices; waits for it. Pending slice updates are dropped: every slice is rebuilt.
  RefilterReport refilter(Scan& scan) {
    const cuda::NvtxRange range("re-filter");
    cudaStream_t compute = compute_->get();
    std::vector<std::uint32_t> slots;
    slots.reserve(scan.slots.count());
    scan.slots.for_each_occupied([&](std::uint32_t slot) { slots.push_back(slot); });
    TOMOLIVE_CUDA_CHECK(cudaEventRecord(refilter_begin_->get(), compute));
    TOMOLIVE_CUDA_CHECK(cudaMemsetAsync(scan.refilter_counters.get(), 0, scan.refilter_counters.bytes(), compute));
    scan.filter.refilter(scan.corrected, scan.store, slots, counters(scan.refilter_counters, scan.rows.owned));
    recompute(all_slices(), true);
    TOMOLIVE_CUDA_CHECK(cudaEventRecord(refilter_end_->get(), compute));
    std::array<unsigned long long, kCounters> counts{};
    TOMOLIVE_CUDA_CHECK(cudaMemcpyAsync(counts.data(), scan.refilter_counters.get(), scan.refilter_counters.bytes(),
                                        cudaMemcpyDeviceToHost, compute));
    TOMOLIVE_CUDA_CHECK(cudaStreamSynchronize(compute));
    RefilterReport report;
    report.projections = static_cast<std::uint32_t>(slots.size());
    report.milliseconds = elapsed_ms(*refilter_begin_, *refilter_end_);
    report.clamped_values = counts[kClamped];
    report.zingers_replaced = counts[kZingers];
    return report;
  }

  const CudaEngineOptions options_;
  const int device_;
  std::string device_name_;
  cuda::GpuLimits limits_;
  // Streams and events outlive the scan (declared before it, destroyed after it). They are made in the constructor's
  // body, once the device is current, hence optional.
  std::optional<cuda::Stream> copy_, compute_;
  std::optional<Event> frame_uploaded_, raw_consumed_, counted_, counts_read_, table_uploaded_;
  std::optional<Event> refilter_begin_, refilter_end_;  // timing events of set_processing
  std::vector<Event> sweep_chunk_done_;  // kSweepChunks, sweep_center: chunk k's images are computed
  std::unique_ptr<StageEvents> stage_events_;
  mutable CudaStageTimes times_;

  std::unique_ptr<Scan> scan_;
  ReconParams params_;
  std::array<SlicePlane, 3> planes_{};
  ObliquePlane oblique_plane_;  // 0 x 0 while the oblique slice is disabled
  PreviewGrid preview_grid_;    // all zero while the preview is disabled
  std::uint64_t preview_version_ = 0;  // preview_version()
  mutable std::vector<BackprojectionEntry> pending_;  // slice updates not yet applied (reads apply them: mutable)
};

}  // namespace

std::unique_ptr<CudaEngine> make_cuda_engine(const CudaEngineOptions& options) {
  return std::make_unique<CudaEngineImpl>(options);
}

int cuda_device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return count;
}

std::optional<std::string> cuda_unavailable_reason(int device) {
  int count = 0;
  const cudaError_t error = cudaGetDeviceCount(&count);
  if (error != cudaSuccess) {
    cudaGetLastError();
    return std::string("cudaGetDeviceCount: ") + cudaGetErrorString(error);
  }
  if (count == 0) return std::string("no CUDA device");
  if (device < 0 || device >= count) {
    return "CUDA device " + std::to_string(device) + " does not exist (" + std::to_string(count) + " device(s))";
  }
  if (const cudaError_t e = cudaSetDevice(device); e != cudaSuccess) {
    cudaGetLastError();
    return "cudaSetDevice(" + std::to_string(device) + "): " + cudaGetErrorString(e);
  }
  if (const cudaError_t e = cuda::kernel_image_status(); e != cudaSuccess) {
    cudaGetLastError();
    cudaDeviceProp properties{};
    cudaGetDeviceProperties(&properties, device);
    return "CUDA device " + std::to_string(device) + " (" + properties.name + ", compute capability " +
           std::to_string(properties.major) + "." + std::to_string(properties.minor) +
           ") cannot run this build's kernels: " + cudaGetErrorString(e);
  }
  return std::nullopt;
}

}  // namespace tomolive::kernels
