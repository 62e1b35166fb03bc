// The CPU engine. Data layout for one scan:
//   corrected_ (slots + 1) projections of rows x cols float32, the attenuation -ln T after flat-field correction
//              (the corrected store of processing.hpp, what every re-filter starts from).
//   buffers_   (slots + 1) projections of rows x cols float32, filtered (what is backprojected).
//              buffer_of_slot_[s] names the buffer holding slot s in both; the one left over (spare_) receives the
//              next projection, so replacing a slot in a sliding window needs no copy: the new projection is
//              corrected and filtered into the spares, the old one is subtracted from the slices, and the buffers
//              swap roles.
//   slices_    xy (cols x cols), xz and yz (rows x cols), float32, 1/pixel.
// defects_   the scan's defective-pixel map and repairs (defective_pixels.hpp), built at the first projection from the
//            reference averages and variances; the repairs overwrite the flat-field correction of masked pixels.
// processor_ (cpu_projection_processor.hpp) runs the processing steps from corrected_ to buffers_: for one arriving
// projection, or for every stored one on a re-filter (set_processing; set_center with half acquisition).
// sweep_center backprojects the store into the caller's images through the same backproject_rows as a recompute
// (a region of the axial slice is a SlicePlane of its own), in the same slot order: bit for bit what set_center and
// copy_slice would give, without touching the parameters or the slices.
// sweep_processing copies the detector rows each candidate needs (its axial row and neighbours, or whole frames with
// phase retrieval) of every stored corrected projection into a band store made for the call, re-filters the band
// with a processor of the band's height configured with the candidate (the ring pass is per detector row and the
// zinger filter clamps at the frame's edges, so the axial row comes out as a full re-filter makes it), and
// backprojects it as sweep_center does.
// The oblique slice (oblique_plane.hpp), while enabled, is updated and recomputed with the orthoslices through
// backproject_oblique_rows, in the same slot order; so is the live 3D preview (preview_, cpu_preview_volume.hpp).
// Shared with the CUDA engine: the slot bookkeeping (EngineSlots: occupied slots, angles, replacement), the frame
// checks (frame_checks.hpp) and the pixel-type dispatch (pixel_dispatch.hpp); the sampling of the detector's edges
// (detector_sampling.hpp) through backproject_pixel.
// A slab of the detector (engine.hpp DetectorSlab; rows_ = engine_rows(geometry_)): frames, stores, slices and volume
// are in the slab's rows; the counts take its owned rows (compute_attenuation, repair_pixels and the processor count
// only rows_.owned); the tilt turns about the whole detector's middle row; the preview (the whole detector's grid) and
// the oblique slice (the whole volume's plane) are filled where the slab owns their rows, zero elsewhere.
// Parallel loops (WorkerPool) split detector rows (flat-field correction; the processor's row-wise steps and ring
// pass), projections (the processor's phase retrieval on a re-filter) and slice rows (backprojection); every output
// value is written by exactly one worker, in projection order, so results do not depend on the thread count.
#include "tomolive/kernels/cpu_engine.hpp"
#include "tomolive/kernels/engine_checks.hpp"
#include "tomolive/kernels/engine_rows.hpp"
#include "tomolive/kernels/engine_slots.hpp"
#include "tomolive/kernels/frame_checks.hpp"
#include "tomolive/kernels/plan_arithmetic.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tomolive/kernels/axis_tilt_correction.hpp"
#include "tomolive/kernels/cpu_backproject.hpp"
#include "tomolive/kernels/cpu_preprocess.hpp"
#include "tomolive/kernels/frame_average.hpp"
#include "tomolive/kernels/processing_sweep.hpp"
#include "tomolive/kernels/slice_geometry.hpp"
#include "cpu_preview_volume.hpp"
#include "cpu_projection_processor.hpp"
#include "worker_pool.hpp"

namespace tomolive::kernels {
namespace {

using detail::CpuPreviewVolume;
using detail::CpuProjectionProcessor;
using detail::ProcessingCounts;

constexpr std::array<Orthoslice, 3> kSlices = {Orthoslice::xy, Orthoslice::xz, Orthoslice::yz};

std::uint64_t half_physical_memory() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_size <= 0) return std::uint64_t{1} << 30;  // unknown: assume 2 GiB of RAM
  return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size) / 2;
}

class CpuEngine final : public Engine {
 public:
  explicit CpuEngine(const CpuEngineOptions& options)
      : memory_limit_(options.memory_limit_bytes != 0 ? options.memory_limit_bytes : half_physical_memory()),
        preview_budget_(options.preview_budget_bytes),
        pool_(options.threads != 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency())),
        preview_(pool_) {}

  std::string name() const override { return "cpu"; }

  EngineMemoryPlan plan(const ScanGeometry& g) const override {
    const std::uint64_t pixels = std::uint64_t{g.rows} * g.cols;  // of one frame
    EngineMemoryPlan p;
    p.device = "cpu (host memory)";
    p.store_precision = "float32";
    p.store_bytes = saturating_mul(saturating_mul(pixels, sizeof(float)), g.slots);
    p.corrected_store_bytes = p.store_bytes;
    p.preview_bytes = preview_reserve_bytes(engine_rows(g).detector_rows, g.cols, 1, preview_budget_);
    p.slice_bytes = saturating_add(
        saturating_mul(saturating_add(std::uint64_t{g.cols} * g.cols, saturating_mul(pixels, 2)), sizeof(float)),
        p.preview_bytes);
    // Per pixel: the spare filtered and corrected buffers, dark and flat levels (float), their sums and sums of squares
    // (double), and the defective-pixel map (a byte, at most one repair, and two variances while it is built).
    // Then per-slot bookkeeping and buffer indices, and the processor's work memory with every step enabled.
    std::uint64_t other =
        saturating_mul(pixels, 6 * sizeof(float) + 4 * sizeof(double) + 1 + sizeof(PixelRepair));
    other = saturating_add(other, saturating_mul(g.slots, EngineSlots::kBytesPerSlot + sizeof(std::uint32_t)));
    if (g.rows <= (std::uint32_t{1} << 30) && g.cols <= (std::uint32_t{1} << 30)) {
      other = saturating_add(other, CpuProjectionProcessor::work_bytes(g.rows, g.cols, g.slots, pool_.size()));
    } else {
      other = std::numeric_limits<std::uint64_t>::max();
    }
    p.other_bytes = other;
    const std::uint64_t stores = saturating_add(p.store_bytes, p.corrected_store_bytes);
    p.total_bytes = saturating_add(saturating_add(stores, p.slice_bytes), p.other_bytes);
    p.available_bytes = memory_limit_;
    return p;
  }

  void begin_scan(const ScanGeometry& g, const ReconParams& params) override {
    check_scan(g, params);
    const EngineRows rows = engine_rows(g);
    const PreviewGrid preview = preview_grid(params.preview, rows.detector_rows, g.cols);
    check_preview_budget(preview, CpuPreviewVolume::bytes(preview), preview_budget_);
    const EngineMemoryPlan p = plan(g);
    if (!p.fits()) {
      throw EngineError("scan needs " + format_mib(p.total_bytes) + " MiB (store " + format_mib(p.store_bytes) +
                        ", corrected store " + format_mib(p.corrected_store_bytes) + ", slices " +
                        format_mib(p.slice_bytes) + ", other " + format_mib(p.other_bytes) +
                        ") but the CPU engine may use " + format_mib(p.available_bytes) + " MiB");
    }

    // The previous scan is released before the new one is allocated, so the two never coexist in memory.
    scan_active_ = false;
    release();
    try {
      allocate(g, rows);
      rotation_ = axis_tilt_rotation(rows, g.cols, params.axis_tilt_deg);
      processor_->configure(params.processing, corrected_axis_column(rotation_, params.center_offset_px), rotation_);
      preview_.configure(preview, rows);
    } catch (const std::bad_alloc&) {
      release();
      throw EngineError("allocating " + format_mib(p.total_bytes) + " MiB for the scan failed");
    }
    geometry_ = g;
    rows_ = rows;
    params_ = params;
    update_planes();
    scan_active_ = true;
  }

  void add_dark(const FrameView& frame) override { add_reference(frame, "add_dark", "dark", dark_sum_); }
  void add_flat(const FrameView& frame) override { add_reference(frame, "add_flat", "flat", flat_sum_); }

  ProjectionStats add_projection(std::uint32_t slot, float angle_rad, const FrameView& frame) override {
    require_scan("add_projection");
    check_projection_frame(slot, angle_rad, frame, geometry_);
    if (!references_ready_) prepare_references();
    ++projections_received_;

    // Correct into the spare corrected buffer (split by detector rows), then process into the spare filtered one.
    float* incoming_corrected = corrected(spare_);
    float* incoming = buffer(spare_);
    std::fill(clamped_.begin(), clamped_.end(), 0);
    pool_.run(geometry_.rows, [&](unsigned worker, std::size_t begin, std::size_t end) {
      clamped_[worker] += compute_attenuation(frame, dark_.data(), flat_.data(), incoming_corrected,
                                              static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(end),
                                              rows_.owned);
    });
    const std::int64_t repaired_clamped =
        repair_pixels(frame, dark_.data(), flat_.data(), defects_.repairs(), incoming_corrected, rows_.owned);
    const ProcessingCounts counts = processor_->process(incoming_corrected, incoming);
    ProjectionStats stats;
    std::int64_t corrected_clamped = repaired_clamped;  // each pixel counted once, repaired ones as repaired
    for (const std::uint64_t c : clamped_) corrected_clamped += static_cast<std::int64_t>(c);
    stats.clamped_values = static_cast<std::uint64_t>(corrected_clamped) + counts.clamped_values;
    stats.zingers_replaced = counts.zingers_replaced;

    // Subtract the projection this slot held (sliding window), add the new one.
    const std::optional<ProjectionAngle> old_angle = slots_.outgoing(slot);
    const ProjectionAngle angle = slots_.record(slot, angle_rad);
    const float* outgoing = buffer(buffer_of_slot_[slot]);
    const float weight = geometry_.angle_weight_rad;
    const float axis = axis_col();
    for_each_slice_row(all_slices(), [&](Orthoslice s, std::uint32_t row) {
      float* out = slices_[index(s)].data();
      const SlicePlane& plane = planes_[index(s)];
      if (old_angle) backproject_rows(plane, outgoing, geometry_.cols, *old_angle, axis, -weight, out, row, row + 1);
      backproject_rows(plane, incoming, geometry_.cols, angle, axis, weight, out, row, row + 1);
    });
    if (params_.oblique.enabled) {
      pool_.run(oblique_plane_.rows, [&](unsigned, std::size_t begin, std::size_t end) {
        const auto first = static_cast<std::uint32_t>(begin), last = static_cast<std::uint32_t>(end);
        if (old_angle) oblique_rows(outgoing, *old_angle, axis, -weight, first, last);
        oblique_rows(incoming, angle, axis, weight, first, last);
      });
    }
    if (old_angle) preview_.add(outgoing, old_angle->cos_t, old_angle->sin_t, axis, -weight);
    preview_.add(incoming, angle.cos_t, angle.sin_t, axis, weight);
    std::swap(spare_, buffer_of_slot_[slot]);
    return stats;
  }

  void set_detector_mask(std::span<const std::uint8_t> mask) override {
    require_scan("set_detector_mask");
    defects_.set_detector_mask(mask);
  }

  const DefectivePixelMap* defective_pixels() const override { return scan_active_ ? defects_.map() : nullptr; }

  void set_center(float center_offset_px) override {
    require_scan("set_center");
    check_center(center_offset_px);
    const bool weights_follow = geometry_.half_acquisition.enabled;
    if (weights_follow) configure_processor(params_.processing, center_offset_px, rotation_, "set_center");
    params_.center_offset_px = center_offset_px;
    if (weights_follow) refilter_store();
    recompute(all_slices());
    recompute_oblique();
    recompute_preview();
  }

  RefilterReport set_processing(const ProcessingParams& processing) override {
    require_scan("set_processing");
    check_processing(processing);
    const auto start = std::chrono::steady_clock::now();
    configure_processor(processing, params_.center_offset_px, rotation_, "set_processing");
    params_.processing = processing;
    return refilter_everything(start);
  }

  RefilterReport set_axis_tilt(float tilt_deg) override {
    require_scan("set_axis_tilt");
    check_axis_tilt(tilt_deg);
    const auto start = std::chrono::steady_clock::now();
    const AxisTiltRotation rotation = axis_tilt_rotation(rows_, geometry_.cols, tilt_deg);
    configure_processor(params_.processing, params_.center_offset_px, rotation, "set_axis_tilt");
    rotation_ = rotation;
    params_.axis_tilt_deg = tilt_deg;
    return refilter_everything(start);
  }

  void set_slices(const SlicePositions& positions) override {
    require_scan("set_slices");
    check_slices(positions, geometry_.rows, geometry_.cols);
    const std::array<bool, 3> moved = {positions.xy_row != params_.slices.xy_row,
                                       positions.xz_y_px != params_.slices.xz_y_px,
                                       positions.yz_x_px != params_.slices.yz_x_px};
    params_.slices = positions;
    update_planes();
    recompute(moved);
  }

  void set_oblique_slice(const ObliqueSlice& oblique) override {
    require_scan("set_oblique_slice");
    check_oblique(oblique);
    params_.oblique = oblique;
    update_oblique_plane();
    recompute_oblique();
  }

  std::pair<std::uint32_t, std::uint32_t> oblique_shape() const override {
    require_scan("oblique_shape");
    return {oblique_plane_.rows, oblique_plane_.cols};
  }

  void copy_oblique_slice(std::span<float> out) const override {
    require_scan("copy_oblique_slice");
    check_oblique_copy(params_.oblique, oblique_plane_, out.size());
    std::copy(oblique_.begin(), oblique_.end(), out.begin());
  }

  PreviewParams default_preview() const override { return PreviewParams{false, 64}; }

  void set_preview(const PreviewParams& preview) override {
    require_scan("set_preview");
    check_preview(preview);
    const PreviewGrid grid = preview_grid(preview, rows_.detector_rows, geometry_.cols);
    check_preview_budget(grid, CpuPreviewVolume::bytes(grid), preview_budget_);
    try {
      preview_.configure(grid, rows_);
    } catch (const std::bad_alloc&) {
      params_.preview.enabled = false;  // configure freed the previous preview first
      throw EngineError("set_preview: allocating " + format_mib(CpuPreviewVolume::bytes(grid)) +
                        " MiB for the preview failed; the preview is disabled");
    }
    params_.preview = preview;
    recompute_preview();
  }

  PreviewGrid preview_shape() const override {
    require_scan("preview_shape");
    return preview_.grid();
  }

  void copy_preview(std::span<float> out) const override {
    require_scan("copy_preview");
    check_preview_copy(preview_.grid(), out.size());
    std::copy(preview_.values().begin(), preview_.values().end(), out.begin());
  }

  std::uint64_t preview_version() const override { return preview_.version(); }

  const ReconParams& params() const override { return params_; }
  std::uint32_t projections_in_store() const override { return slots_.count(); }

  std::pair<std::uint32_t, std::uint32_t> slice_shape(Orthoslice slice) const override {
    require_scan("slice_shape");
    return {planes_[index(slice)].rows, planes_[index(slice)].cols};
  }

  void copy_slice(Orthoslice slice, std::span<float> out) const override {
    require_scan("copy_slice");
    const std::vector<float>& values = slices_[index(slice)];
    if (out.size() != values.size()) {
      throw EngineError(std::string("copy_slice: out holds ") + std::to_string(out.size()) + " floats, the " +
                        slice_name(slice) + " slice has " + std::to_string(values.size()) + " (" +
                        std::to_string(planes_[index(slice)].rows) + " x " +
                        std::to_string(planes_[index(slice)].cols) + ")");
    }
    std::copy(values.begin(), values.end(), out.begin());
  }

  std::optional<float> slot_angle(std::uint32_t slot) const override {
    require_scan("slot_angle");
    check_slot(slot, geometry_.slots, "slot_angle");
    return slots_.angle_rad(slot);
  }

  void copy_projection(std::uint32_t slot, std::span<float> out) const override {
    copy_slot("copy_projection", slot, out, &CpuEngine::buffer);
  }

  void copy_corrected_projection(std::uint32_t slot, std::span<float> out) const override {
    copy_slot("copy_corrected_projection", slot, out, &CpuEngine::corrected);
  }

  // One unit of parallel work per (candidate, region row); each unit zeroes its image row, then adds every occupied
  // slot in slot order, as recompute() does for a slice row.
  void sweep_center(std::uint32_t xy_row, std::span<const float> center_offsets_px, const SliceRegion& region,
                    std::span<float> out) override {
    require_scan("sweep_center");
    check_sweep(xy_row, center_offsets_px, region, out.size(), geometry_);
    const SlicePlane plane =
        axial_region_plane(geometry_.cols, xy_row, region.row0, region.col0, region.rows, region.cols);
    const std::size_t image_pixels = std::size_t{region.rows} * region.cols;
    const float weight = geometry_.angle_weight_rad;
    pool_.run(center_offsets_px.size() * region.rows, [&](unsigned, std::size_t begin, std::size_t end) {
      for (std::size_t k = begin; k < end; ++k) {
        const std::size_t candidate = k / region.rows;
        const auto row = static_cast<std::uint32_t>(k % region.rows);
        float* image = out.data() + candidate * image_pixels;
        const float axis = corrected_axis_column(rotation_, center_offsets_px[candidate]);
        std::fill_n(image + std::size_t{row} * plane.cols, plane.cols, 0.f);
        slots_.for_each_occupied([&](std::uint32_t slot) {
          backproject_rows(plane, buffer(buffer_of_slot_[slot]), geometry_.cols, slots_.angle(slot), axis, weight,
                           image, row, row + 1);
        });
      }
    });
  }

  // Candidate after candidate: the band the candidate needs (processing_sweep_band) of every occupied slot copied out
  // of the corrected store, re-filtered by a processor of the band's height, then backprojected per (region row) as
  // sweep_center does, at the current center.
  void sweep_processing(std::uint32_t xy_row, std::span<const ProcessingParams> candidates, const SliceRegion& region,
                        std::span<float> out) override {
    require_scan("sweep_processing");
    check_processing_sweep(xy_row, candidates, region, out.size(), geometry_);
    const std::size_t image_pixels = std::size_t{region.rows} * region.cols;
    const float weight = geometry_.angle_weight_rad;
    const float axis = axis_col();
    std::vector<std::uint32_t> occupied;
    slots_.for_each_occupied([&](std::uint32_t slot) { occupied.push_back(slot); });
    if (occupied.empty()) {  // nothing to re-filter: every image is zero, as the slices are
      std::fill(out.begin(), out.end(), 0.f);
      return;
    }
    try {
      for (std::size_t c = 0; c < candidates.size(); ++c) {
        const SweepBand band = processing_sweep_band(candidates[c], rotation_, xy_row, geometry_.rows);
        const std::size_t band_pixels = std::size_t{band.rows} * geometry_.cols;
        std::vector<float> corrected_band(occupied.size() * band_pixels);
        std::vector<float> filtered_band(occupied.size() * band_pixels);
        std::vector<const float*> sources;
        std::vector<float*> targets;
        for (std::size_t k = 0; k < occupied.size(); ++k) {
          const float* frame = corrected(buffer_of_slot_[occupied[k]]);
          std::copy_n(frame + std::size_t{band.row0} * geometry_.cols, band_pixels, &corrected_band[k * band_pixels]);
          sources.push_back(&corrected_band[k * band_pixels]);
          targets.push_back(&filtered_band[k * band_pixels]);
        }
        CpuProjectionProcessor processor(band.rows, geometry_.cols, geometry_.slots, geometry_.half_acquisition,
                                         RowRange{}, pool_);  // its counts are not reported
        processor.configure(candidates[c], axis, rotation_);
        processor.refilter(sources, targets);
        const SlicePlane plane = axial_region_plane(geometry_.cols, xy_row - band.row0, region.row0, region.col0,
                                                    region.rows, region.cols);
        float* image = out.data() + c * image_pixels;
        pool_.run(region.rows, [&](unsigned, std::size_t begin, std::size_t end) {
          for (std::size_t row = begin; row < end; ++row) {
            const auto i = static_cast<std::uint32_t>(row);
            std::fill_n(image + std::size_t{i} * plane.cols, plane.cols, 0.f);
            for (std::size_t k = 0; k < occupied.size(); ++k) {
              backproject_rows(plane, targets[k], geometry_.cols, slots_.angle(occupied[k]), axis, weight, image, i,
                               i + 1);
            }
          }
        });
      }
    } catch (const std::bad_alloc&) {
      throw EngineError("sweep_processing: allocating the band store of " + std::to_string(occupied.size()) +
                        " projections failed");
    }
  }

  std::uint32_t volume_slab_rows(const SliceRegion&) const override {
    require_scan("volume_slab_rows");
    return std::numeric_limits<std::uint32_t>::max();  // slabs are computed in the sink's memory
  }

  // One unit of parallel work per (layer, region row) of a slab, computed as sweep_center computes a row of its
  // image: zero, then every occupied slot in slot order (bit for bit what recompute gives for that row of the axial
  // slice).
  bool reconstruct_volume(const VolumeBox& box, std::uint32_t slab_rows, VolumeSink& sink) override {
    require_scan("reconstruct_volume");
    check_volume(box, slab_rows, volume_slab_rows(box.region), geometry_);
    const SliceRegion& region = box.region;
    const std::size_t layer_pixels = std::size_t{region.rows} * region.cols;
    const float weight = geometry_.angle_weight_rad;
    const float axis = axis_col();
    for (std::uint32_t row0 = box.row0; row0 < box.row0 + box.rows; row0 += slab_rows) {
      const std::uint32_t rows = std::min(slab_rows, box.row0 + box.rows - row0);
      const std::span<float> out = sink.slab_memory(row0, rows);
      if (out.empty()) return false;
      if (out.size() != rows * layer_pixels) {
        throw EngineError("reconstruct_volume: the sink gave " + std::to_string(out.size()) + " floats for a slab of " +
                          std::to_string(rows * layer_pixels));
      }
      pool_.run(std::size_t{rows} * region.rows, [&](unsigned, std::size_t begin, std::size_t end) {
        for (std::size_t k = begin; k < end; ++k) {
          const auto layer = static_cast<std::uint32_t>(k / region.rows);
          const auto row = static_cast<std::uint32_t>(k % region.rows);
          const SlicePlane plane =
              axial_region_plane(geometry_.cols, row0 + layer, region.row0, region.col0, region.rows, region.cols);
          float* image = out.data() + layer * layer_pixels;
          std::fill_n(image + std::size_t{row} * plane.cols, plane.cols, 0.f);
          slots_.for_each_occupied([&](std::uint32_t slot) {
            backproject_rows(plane, buffer(buffer_of_slot_[slot]), geometry_.cols, slots_.angle(slot), axis, weight,
                             image, row, row + 1);
          });
        }
      });
      if (!sink.slab_done(row0, rows)) return false;
    }
    return true;
  }

 private:
  static std::size_t index(Orthoslice slice) { return static_cast<std::size_t>(slice); }
  // The detector column the filtered store is backprojected around (the axis after the tilt rotation).
  float axis_col() const { return corrected_axis_column(rotation_, params_.center_offset_px); }
  static std::array<bool, 3> all_slices() { return {true, true, true}; }

  float* buffer(std::uint32_t b) { return buffers_.get() + std::size_t{b} * geometry_.rows * geometry_.cols; }
  // copy_projection / copy_corrected_projection: the checks of `method`, then slot `slot`'s frame from the buffer
  // `values_of` gives (buffer or corrected) into `out`.
  void copy_slot(const char* method, std::uint32_t slot, std::span<float> out,
                 const float* (CpuEngine::*values_of)(std::uint32_t) const) const {
    require_scan(method);
    check_projection_copy(method, slot, slot < geometry_.slots && slots_.occupied(slot), out.size(), geometry_);
    std::copy_n((this->*values_of)(buffer_of_slot_[slot]), std::size_t{geometry_.rows} * geometry_.cols,
                out.begin());
  }

  const float* buffer(std::uint32_t b) const {
    return buffers_.get() + std::size_t{b} * geometry_.rows * geometry_.cols;
  }
  float* corrected(std::uint32_t b) { return corrected_.get() + std::size_t{b} * geometry_.rows * geometry_.cols; }
  const float* corrected(std::uint32_t b) const {
    return corrected_.get() + std::size_t{b} * geometry_.rows * geometry_.cols;
  }

  // processor_->configure, a failed allocation (of phase retrieval's or ring removal's work memory, when first
  // enabled) reported as EngineError; the processor then keeps its previous configuration.
  void configure_processor(const ProcessingParams& processing, float center_offset_px,
                           const AxisTiltRotation& rotation, const char* method) {
    try {
      processor_->configure(processing, corrected_axis_column(rotation, center_offset_px), rotation);
    } catch (const std::bad_alloc&) {
      throw EngineError(std::string(method) + ": allocating the work memory of the processing steps failed");
    }
  }

  // Runs the processing steps from the corrected store into the filtered store for every occupied slot (in
  // increasing slot order, which the ring pass sees as projection order). The slices are not touched.
  ProcessingCounts refilter_store() {
    refilter_sources_.clear();
    refilter_targets_.clear();
    slots_.for_each_occupied([&](std::uint32_t slot) {
      refilter_sources_.push_back(corrected(buffer_of_slot_[slot]));
      refilter_targets_.push_back(buffer(buffer_of_slot_[slot]));
    });
    return processor_->refilter(refilter_sources_, refilter_targets_);
  }

  // set_processing and set_axis_tilt once configured: every stored projection re-filtered, every slice recomputed;
  // `start` is when the call began (the report's time).
  RefilterReport refilter_everything(std::chrono::steady_clock::time_point start) {
    const ProcessingCounts counts = refilter_store();
    recompute(all_slices());
    recompute_oblique();
    recompute_preview();
    RefilterReport report;
    report.projections = slots_.count();
    report.zingers_replaced = counts.zingers_replaced;
    report.clamped_values = counts.clamped_values;
    report.milliseconds =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return report;
  }

  void require_scan(const char* what) const {
    if (!scan_active_) throw EngineError(std::string(what) + ": no active scan (call begin_scan first)");
  }

  void add_reference(const FrameView& frame, const char* method, const char* kind, FrameAverage& sum) {
    require_scan(method);
    check_reference_frame(frame, geometry_, projections_received_, kind);
    sum.add(frame);
  }

  // At the first projection: the dark and flat levels, and the defective-pixel map from their statistics.
  void prepare_references() {
    dark_sum_.average_into(dark_.data(), 0.f);
    flat_sum_.average_into(flat_.data(), 1.f);
    std::vector<float> dark_variance(dark_.size()), flat_variance(flat_.size());
    dark_sum_.variance_into(dark_variance.data());
    flat_sum_.variance_into(flat_variance.data());
    // The widened frames of a half-acquisition scan hold filler columns, no detector pixels: no map for them (yet).
    DefectivePixelDetection detection = params_.processing.defective_pixels;
    if (geometry_.half_acquisition.enabled) detection.enabled = false;
    defects_.build({dark_.data(), dark_variance.data(), dark_sum_.count()},
                   {flat_.data(), flat_variance.data(), flat_sum_.count()}, detection);
    references_ready_ = true;
  }

  void release() {
    processor_.reset();
    preview_.configure(PreviewGrid{}, EngineRows{});
    buffers_.reset();
    corrected_.reset();
    refilter_sources_ = {};
    refilter_targets_ = {};
    buffer_of_slot_ = {};
    slots_ = {};
    for (auto& s : slices_) s = {};
    dark_ = {};
    flat_ = {};
    dark_sum_ = {};
    flat_sum_ = {};
    defects_ = {};
    clamped_.clear();
  }

  void allocate(const ScanGeometry& g, const EngineRows& rows) {
    const std::size_t frame = std::size_t{g.rows} * g.cols;
    buffers_ = std::make_unique_for_overwrite<float[]>((std::size_t{g.slots} + 1) * frame);
    corrected_ = std::make_unique_for_overwrite<float[]>((std::size_t{g.slots} + 1) * frame);
    refilter_sources_.reserve(g.slots);
    refilter_targets_.reserve(g.slots);
    buffer_of_slot_.resize(g.slots);
    for (std::uint32_t s = 0; s < g.slots; ++s) buffer_of_slot_[s] = s;
    spare_ = g.slots;
    slots_.reset(g.slots);
    slices_[index(Orthoslice::xy)].assign(std::size_t{g.cols} * g.cols, 0.f);
    slices_[index(Orthoslice::xz)].assign(frame, 0.f);
    slices_[index(Orthoslice::yz)].assign(frame, 0.f);
    oblique_.clear();
    dark_.assign(frame, 0.f);
    flat_.assign(frame, 1.f);
    dark_sum_.reset(g.rows, g.cols);
    flat_sum_.reset(g.rows, g.cols);
    defects_.reset(g.rows, g.cols);
    processor_ =
        std::make_unique<CpuProjectionProcessor>(g.rows, g.cols, g.slots, g.half_acquisition, rows.owned, pool_);
    clamped_.assign(pool_.size(), 0);
    references_ready_ = false;
    projections_received_ = 0;
  }

  void update_planes() {
    planes_[index(Orthoslice::xy)] = axial_plane(geometry_.cols, params_.slices.xy_row);
    planes_[index(Orthoslice::xz)] = xz_plane(geometry_.cols, geometry_.rows, params_.slices.xz_y_px);
    planes_[index(Orthoslice::yz)] = yz_plane(geometry_.cols, geometry_.rows, params_.slices.yz_x_px);
    update_oblique_plane();
  }

  // The oblique plane of params_.oblique (0 x 0 while disabled) and its values' memory (zero).
  void update_oblique_plane() {
    oblique_plane_ = params_.oblique.enabled ? oblique_plane(params_.oblique, rows_.detector_rows, geometry_.cols)
                                             : ObliquePlane{};
    oblique_.assign(std::size_t{oblique_plane_.rows} * oblique_plane_.cols, 0.f);
  }

  // Adds weight x one filtered projection to rows [first, last) of the oblique slice.
  void oblique_rows(const float* filtered, ProjectionAngle angle, float axis, float weight, std::uint32_t first,
                    std::uint32_t last) {
    backproject_oblique_rows(oblique_plane_, filtered, rows_, geometry_.cols, angle, axis, weight, oblique_.data(),
                             first, last);
  }

  // Rebuilds the oblique slice (when enabled) from the store: zero, then every occupied slot in slot order.
  void recompute_oblique() {
    if (!params_.oblique.enabled) return;
    const float axis = axis_col();
    pool_.run(oblique_plane_.rows, [&](unsigned, std::size_t begin, std::size_t end) {
      const auto first = static_cast<std::uint32_t>(begin), last = static_cast<std::uint32_t>(end);
      for (std::uint32_t row = first; row < last; ++row) {
        std::fill_n(oblique_.data() + std::size_t{row} * oblique_plane_.cols, oblique_plane_.cols, 0.f);
        slots_.for_each_occupied([&](std::uint32_t slot) {
          oblique_rows(buffer(buffer_of_slot_[slot]), slots_.angle(slot), axis, geometry_.angle_weight_rad, row,
                       row + 1);
        });
      }
    });
  }

  // Rebuilds the preview (when enabled) from the store: zero, then every occupied slot in slot order.
  void recompute_preview() {
    if (!preview_.enabled()) return;
    preview_.clear();
    const float axis = axis_col();
    slots_.for_each_occupied([&](std::uint32_t slot) {
      const ProjectionAngle angle = slots_.angle(slot);
      preview_.add(buffer(buffer_of_slot_[slot]), angle.cos_t, angle.sin_t, axis, geometry_.angle_weight_rad);
    });
  }

  // Calls fn(slice, row) for every row of the selected slices, split among the workers (one row, one worker).
  template <class Fn>
  void for_each_slice_row(const std::array<bool, 3>& selected, Fn&& fn) {
    std::array<std::uint32_t, 3> rows{};
    std::size_t total = 0;
    for (const Orthoslice s : kSlices) {
      rows[index(s)] = selected[index(s)] ? planes_[index(s)].rows : 0;
      total += rows[index(s)];
    }
    pool_.run(total, [&](unsigned, std::size_t begin, std::size_t end) {
      for (std::size_t k = begin; k < end; ++k) {
        std::size_t r = k;
        for (const Orthoslice s : kSlices) {
          if (r < rows[index(s)]) {
            fn(s, static_cast<std::uint32_t>(r));
            break;
          }
          r -= rows[index(s)];
        }
      }
    });
  }

  // Rebuilds the selected slices from the store: zero, then every occupied slot in slot order.
  void recompute(const std::array<bool, 3>& selected) {
    const float weight = geometry_.angle_weight_rad;
    const float axis = axis_col();
    for_each_slice_row(selected, [&](Orthoslice s, std::uint32_t row) {
      float* out = slices_[index(s)].data();
      const SlicePlane& plane = planes_[index(s)];
      std::fill_n(out + std::size_t{row} * plane.cols, plane.cols, 0.f);
      slots_.for_each_occupied([&](std::uint32_t slot) {
        backproject_rows(plane, buffer(buffer_of_slot_[slot]), geometry_.cols, slots_.angle(slot), axis, weight, out,
                         row, row + 1);
      });
    });
  }

  const std::uint64_t memory_limit_;
  const std::uint64_t preview_budget_;
  detail::WorkerPool pool_;

  bool scan_active_ = false;
  ScanGeometry geometry_;
  EngineRows rows_;  // engine_rows(geometry_): where the scan's frames lie on the detector
  ReconParams params_;
  AxisTiltRotation rotation_;  // of params_.axis_tilt_deg
  std::array<SlicePlane, 3> planes_{};

  std::unique_ptr<float[]> buffers_;           // (slots + 1) filtered projections
  std::unique_ptr<float[]> corrected_;         // (slots + 1) corrected projections, same buffer indices
  std::vector<std::uint32_t> buffer_of_slot_;  // slot -> buffer
  std::uint32_t spare_ = 0;                    // the buffer the next projection is filtered into
  EngineSlots slots_;                          // which slots hold a projection, and their angles
  std::uint64_t projections_received_ = 0;

  std::array<std::vector<float>, 3> slices_;  // indexed by Orthoslice
  ObliquePlane oblique_plane_;                // 0 x 0 while the oblique slice is disabled
  std::vector<float> oblique_;                // its values, oblique_plane_.rows x cols
  CpuPreviewVolume preview_;                  // the live 3D preview (disabled: no memory)

  FrameAverage dark_sum_, flat_sum_;
  std::vector<float> dark_, flat_;  // per-pixel levels, computed at the first projection
  bool references_ready_ = false;
  ScanDefectivePixels defects_;

  std::unique_ptr<CpuProjectionProcessor> processor_;
  std::vector<const float*> refilter_sources_;  // re-filter work: the occupied slots' corrected buffers
  std::vector<float*> refilter_targets_;        // and their filtered buffers
  std::vector<std::uint64_t> clamped_;          // per worker, for the current projection
};

}  // namespace

std::unique_ptr<Engine> make_cpu_engine(const CpuEngineOptions& options) {
  return std::make_unique<CpuEngine>(options);
}

}  // namespace tomolive::kernels
