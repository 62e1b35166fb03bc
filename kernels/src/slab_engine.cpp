#include "tomolive/kernels/slab_engine.hpp"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <future>
#include <limits>
#include <mutex>
#include <optional>
#include <utility>

#include "engine_lane.hpp"
#include "tomolive/kernels/engine_checks.hpp"
#include "tomolive/kernels/engine_rows.hpp"
#include "tomolive/kernels/frame_checks.hpp"

namespace tomolive::kernels {

std::vector<SlabRows> split_detector_rows(std::uint32_t detector_rows, const std::vector<std::uint64_t>& weights,
                                          std::uint32_t halo_rows) {
  if (weights.empty()) throw EngineError("split_detector_rows: no engines to split the detector's rows over");
  if (detector_rows == 0) throw EngineError("split_detector_rows: the detector has no rows");
  const std::size_t count =
      std::min<std::size_t>(weights.size(), std::max<std::uint32_t>(1, detector_rows / kMinSlabRows));
  long double total = 0;
  for (std::size_t k = 0; k < count; ++k) total += static_cast<long double>(weights[k]);
  // Slab k owns rows [bound[k], bound[k + 1]): the cumulative shares, rounded, then moved where needed so that every
  // slab keeps kMinSlabRows rows (count <= detector_rows / kMinSlabRows makes that possible).
  std::vector<std::uint32_t> bound(count + 1, 0);
  bound[count] = detector_rows;
  long double cumulative = 0;
  for (std::size_t k = 1; k < count; ++k) {
    cumulative += total > 0 ? static_cast<long double>(weights[k - 1]) / total : 1.0L / static_cast<long double>(count);
    const auto ideal = static_cast<std::uint32_t>(std::llround(cumulative * detector_rows));
    const std::uint32_t lowest = bound[k - 1] + kMinSlabRows;
    const std::uint32_t highest = detector_rows - static_cast<std::uint32_t>(count - k) * kMinSlabRows;
    bound[k] = std::clamp(ideal, lowest, highest);
  }
  std::vector<SlabRows> slabs(count);
  for (std::size_t k = 0; k < count; ++k) {
    SlabRows& slab = slabs[k];
    slab.owned_row0 = bound[k];
    slab.owned_rows = bound[k + 1] - bound[k];
    slab.first_row = bound[k] - std::min(halo_rows, bound[k]);
    slab.rows = std::min(detector_rows, bound[k + 1] + halo_rows) - slab.first_row;
  }
  return slabs;
}

DetectorSlab detector_slab(const SlabRows& slab, std::uint32_t detector_rows) {
  DetectorSlab out;
  out.detector_rows = detector_rows;
  out.first_row = slab.first_row;
  out.owned_begin = slab.owned_row0 - slab.first_row;
  out.owned_end = out.owned_begin + slab.owned_rows;
  return out;
}

namespace {

// Rows [slab.first_row, slab.first_row + slab.rows) of `frame`: a contiguous block of a row-major frame.
FrameView slab_frame(const FrameView& frame, const SlabRows& slab) {
  FrameView view = frame;
  view.data = static_cast<const std::byte*>(frame.data) +
              std::size_t{slab.first_row} * frame.cols * pixel_bytes(frame.type);
  view.rows = slab.rows;
  return view;
}

bool owns(const SlabRows& slab, std::uint32_t row) {
  return row >= slab.owned_row0 && row < slab.owned_row0 + slab.owned_rows;
}

std::string describe(const SlabRows& slab) {
  return "rows " + std::to_string(slab.owned_row0) + ".." + std::to_string(slab.owned_row0 + slab.owned_rows - 1);
}

class SlabEngineImpl final : public SlabEngine {
 public:
  SlabEngineImpl(std::vector<std::unique_ptr<Engine>> engines, const SlabEngineOptions& options) : options_(options) {
    if (engines.empty()) throw EngineError("make_slab_engine: no engines");
    for (std::unique_ptr<Engine>& engine : engines) {
      if (!engine) throw EngineError("make_slab_engine: engine " + std::to_string(parts_.size()) + " is null");
      Part& part = parts_.emplace_back();
      part.name = engine->name() + " #" + std::to_string(parts_.size() - 1);
      part.engine = std::move(engine);
      part.lane = std::make_unique<EngineLane>();
    }
  }

  ~SlabEngineImpl() override {
    // Each engine ends on its own thread, as it lived.
    for (Part& part : parts_) part.lane->submit([&part] { part.engine.reset(); }).wait();
  }

  std::string name() const override { return live_parts().empty() ? "slabs" : first_live().engine->name(); }

  std::vector<SlabStatus> slabs() const override {
    std::vector<SlabStatus> out;
    for (const Part& part : parts_) {
      if (!part.in_scan && !part.lost()) continue;
      out.push_back({part.name, part.rows, part.lost(), part.lost_reason});
    }
    return out;
  }

  std::uint32_t halo_rows() const override { return options_.halo_rows; }

  // Settings changed on this thread, plus slabs lost (which never come back).
  std::uint64_t slabs_version() const override {
    return settings_version_ +
           static_cast<std::uint64_t>(std::count_if(parts_.begin(), parts_.end(), [](const Part& p) { return p.lost(); }));
  }

  // The reaches add up: a preview layer at a slab's edge reads b - 1 rows further, each of them rotated by the tilt
  // from rows up to its shift (plus the cubic kernel's 2) away, each of those zinger-filtered from its neighbours
  // (1 row); Paganin's 2D filter reaches over its whole kernel.
  std::uint32_t halo_needed_rows() const override {
    if (!scan_active_) return 0;
    constexpr double kRadPerDeg = 3.14159265358979323846 / 180.0;
    double rows = 1;  // the zinger filter's 3 x 3 neighbourhood
    if (params_.axis_tilt_deg != 0.f) {
      rows += 0.5 * geometry_.cols * std::abs(std::tan(params_.axis_tilt_deg * kRadPerDeg)) + 2.0;
    }
    if (params_.preview.enabled) {
      rows += preview_grid(params_.preview, geometry_.rows, geometry_.cols).binning - 1;
    }
    if (params_.processing.phase.enabled) rows += paganin_reach_rows(params_.processing.phase);
    return static_cast<std::uint32_t>(std::ceil(rows));
  }

  EngineMemoryPlan plan(const ScanGeometry& geometry) const override {
    const std::vector<std::size_t> live = live_parts();
    if (live.empty()) throw EngineLostError("plan: every slab's engine was lost");
    const std::vector<SlabRows> split = split_for(geometry, live);
    std::vector<EngineMemoryPlan> plans(split.size());
    std::optional<EngineMemoryPlan> whole;
    on_parts(first_n(live, split.size()), [&](Part& part, std::size_t k) {
      plans[k] = part.engine->plan(slab_geometry(geometry, split[k]));
      if (k == 0) whole = part.engine->plan(geometry);
    });
    EngineMemoryPlan total;
    total.store_precision = plans.front().store_precision;
    for (std::size_t k = 0; k < plans.size(); ++k) {
      const EngineMemoryPlan& p = plans[k];
      total.device += (k ? "; " : "") + p.device + " " + describe(split[k]);
      total.store_bytes += p.store_bytes;
      total.corrected_store_bytes += p.corrected_store_bytes;
      total.slice_bytes += p.slice_bytes;
      total.preview_bytes += p.preview_bytes;
      total.other_bytes += p.other_bytes;
      total.total_bytes += p.total_bytes;
      total.available_bytes += p.available_bytes;
      if (p.store_precision != total.store_precision) total.store_precision = "mixed";
    }
    total.slabs = std::move(plans);
    total.fits_one_device = whole && whole->fits();
    return total;
  }

  void begin_scan(const ScanGeometry& geometry, const ReconParams& params) override {
    check_scan(geometry, params);
    if (!geometry.slab.whole()) {
      throw EngineError("begin_scan: an engine over slabs takes the whole detector's geometry (slab.detector_rows 0)");
    }
    scan_active_ = false;
    defects_.reset();
    const std::vector<std::size_t> live = live_parts();
    if (live.empty()) throw EngineLostError("begin_scan: every slab's engine was lost");
    std::vector<std::string> devices;
    const std::vector<SlabRows> split = split_for(geometry, live, &devices);
    for (Part& part : parts_) part.in_scan = false;
    const std::vector<std::size_t> scan = first_n(live, split.size());
    for (std::size_t k = 0; k < scan.size(); ++k) {
      Part& part = parts_[scan[k]];
      part.rows = split[k];
      part.in_scan = true;
      part.name = part.engine->name() + " (" + devices[k] + ")";
    }
    on_parts(scan, [&](Part& part, std::size_t) {
      ReconParams local = params;
      local.slices = local_slices(params.slices, part.rows);
      part.engine->begin_scan(slab_geometry(geometry, part.rows), local);
    });
    for (std::size_t index : scan) {
      if (parts_[index].lost()) {
        throw EngineError("begin_scan: the engine of slab " + describe(parts_[index].rows) +
                          " was lost: " + parts_[index].lost_reason + "; the scan was not begun");
      }
    }
    geometry_ = geometry;
    params_ = params;
    scan_active_ = true;
    ++settings_version_;
  }

  void add_dark(const FrameView& frame) override { add_reference(frame, "dark", &Engine::add_dark); }
  void add_flat(const FrameView& frame) override { add_reference(frame, "flat", &Engine::add_flat); }

  void set_detector_mask(std::span<const std::uint8_t> mask) override {
    require_scan("set_detector_mask");
    const std::size_t pixels = std::size_t{geometry_.rows} * geometry_.cols;
    if (!mask.empty() && mask.size() != pixels) {
      throw EngineError("set_detector_mask: the mask has " + std::to_string(mask.size()) + " values, the detector " +
                        std::to_string(geometry_.rows) + " x " + std::to_string(geometry_.cols) + " = " +
                        std::to_string(pixels));
    }
    on_scan_parts([&](Part& part, std::size_t) {
      part.engine->set_detector_mask(
          mask.empty() ? mask : mask.subspan(std::size_t{part.rows.first_row} * geometry_.cols,
                                             std::size_t{part.rows.rows} * geometry_.cols));
    });
    defects_.reset();
  }

  const DefectivePixelMap* defective_pixels() const override {
    if (!scan_active_) return nullptr;
    if (defects_) return &*defects_;
    std::vector<std::pair<const Part*, const DefectivePixelMap*>> maps;
    for (std::size_t index : scan_parts()) {
      const Part& part = parts_[index];
      if (part.lost()) continue;
      const DefectivePixelMap* map = part.engine->defective_pixels();
      if (!map) return nullptr;
      maps.emplace_back(&part, map);
    }
    DefectivePixelMap& whole = defects_.emplace();
    whole.rows = geometry_.rows;
    whole.cols = geometry_.cols;
    whole.kinds.assign(std::size_t{whole.rows} * whole.cols, 0);
    for (const auto& [part, map] : maps) {
      const std::size_t from = std::size_t{part->rows.owned_row0 - part->rows.first_row} * whole.cols;
      std::copy_n(map->kinds.begin() + static_cast<std::ptrdiff_t>(from),
                  std::size_t{part->rows.owned_rows} * whole.cols,
                  whole.kinds.begin() + static_cast<std::ptrdiff_t>(std::size_t{part->rows.owned_row0} * whole.cols));
    }
    return &*defects_;
  }

  ProjectionStats add_projection(std::uint32_t slot, float angle_rad, const FrameView& frame) override {
    require_scan("add_projection");
    check_projection_frame(slot, angle_rad, frame, geometry_);
    std::vector<ProjectionStats> stats(parts_.size());
    on_scan_parts([&](Part& part, std::size_t) {
      stats[index_of(part)] = part.engine->add_projection(slot, angle_rad, slab_frame(frame, part.rows));
    });
    ProjectionStats total;
    for (const ProjectionStats& s : stats) {
      total.clamped_values += s.clamped_values;
      total.zingers_replaced += s.zingers_replaced;
    }
    return total;
  }

  void set_center(float center_offset_px) override {
    require_scan("set_center");
    check_center(center_offset_px);
    on_scan_parts([&](Part& part, std::size_t) { part.engine->set_center(center_offset_px); });
    params_.center_offset_px = center_offset_px;
  }

  void set_slices(const SlicePositions& positions) override {
    require_scan("set_slices");
    check_slices(positions, geometry_.rows, geometry_.cols);
    on_scan_parts([&](Part& part, std::size_t) { part.engine->set_slices(local_slices(positions, part.rows)); });
    params_.slices = positions;
  }

  RefilterReport set_axis_tilt(float tilt_deg) override {
    require_scan("set_axis_tilt");
    check_axis_tilt(tilt_deg);
    const RefilterReport report = refilter([&](Engine& engine) { return engine.set_axis_tilt(tilt_deg); });
    params_.axis_tilt_deg = tilt_deg;
    ++settings_version_;
    return report;
  }

  RefilterReport set_processing(const ProcessingParams& processing) override {
    require_scan("set_processing");
    check_processing(processing);
    const RefilterReport report = refilter([&](Engine& engine) { return engine.set_processing(processing); });
    params_.processing = processing;
    ++settings_version_;
    return report;
  }

  void set_oblique_slice(const ObliqueSlice& oblique) override {
    require_scan("set_oblique_slice");
    check_oblique(oblique);
    on_scan_parts([&](Part& part, std::size_t) { part.engine->set_oblique_slice(oblique); });
    params_.oblique = oblique;
  }

  std::pair<std::uint32_t, std::uint32_t> oblique_shape() const override {
    require_scan("oblique_shape");
    return first_live().engine->oblique_shape();
  }

  void copy_oblique_slice(std::span<float> out) const override {
    require_scan("copy_oblique_slice");
    const auto [rows, cols] = oblique_shape();
    if (!params_.oblique.enabled) throw EngineError("copy_oblique_slice: the oblique slice is disabled");
    check_size("copy_oblique_slice", out.size(), std::size_t{rows} * cols);
    sum_parts(out, [](const Engine& engine, std::span<float> part_out) { engine.copy_oblique_slice(part_out); });
    // A lost slab's pixels: those whose detector row floor(z) it owned (oblique_plane.hpp), on the volume's rows.
    const ObliquePlane plane = oblique_plane(params_.oblique, geometry_.rows, geometry_.cols);
    for_each_lost_slab([&](const EngineRows& lost) {
      for (std::uint32_t i = 0; i < rows; ++i) {
        for (std::uint32_t j = 0; j < cols; ++j) {
          const float z = plane.z0 + static_cast<float>(i) * plane.z_di + static_cast<float>(j) * plane.z_dj;
          if (z < 0.f || z > static_cast<float>(geometry_.rows - 1)) continue;
          if (lost.owned_detector_rows().contains(static_cast<std::uint32_t>(z))) {
            out[std::size_t{i} * cols + j] = std::numeric_limits<float>::quiet_NaN();
          }
        }
      }
    });
  }

  PreviewParams default_preview() const override { return first_live().engine->default_preview(); }

  void set_preview(const PreviewParams& preview) override {
    require_scan("set_preview");
    check_preview(preview);
    on_scan_parts([&](Part& part, std::size_t) { part.engine->set_preview(preview); });
    params_.preview = preview;
    ++settings_version_;
  }

  PreviewGrid preview_shape() const override {
    require_scan("preview_shape");
    return first_live().engine->preview_shape();
  }

  void copy_preview(std::span<float> out) const override {
    require_scan("copy_preview");
    const PreviewGrid grid = preview_shape();
    check_preview_copy(grid, out.size());
    sum_parts(out, [](const Engine& engine, std::span<float> part_out) { engine.copy_preview(part_out); });
    // A lost slab's layers (preview_layers).
    const std::size_t layer = std::size_t{grid.rows} * grid.cols;
    for_each_lost_slab([&](const EngineRows& lost) {
      const RowRange layers = preview_layers(grid, lost);
      std::fill(out.begin() + static_cast<std::ptrdiff_t>(layers.begin * layer),
                out.begin() + static_cast<std::ptrdiff_t>(layers.end * layer), std::numeric_limits<float>::quiet_NaN());
    });
  }

  std::uint64_t preview_version() const override {
    std::uint64_t version = 0;
    for (const Part& part : parts_) version += part.lost() ? part.lost_preview_version : part.engine->preview_version();
    return version;
  }

  const ReconParams& params() const override { return params_; }

  std::uint32_t projections_in_store() const override {
    return scan_active_ ? first_live().engine->projections_in_store() : 0;
  }

  std::pair<std::uint32_t, std::uint32_t> slice_shape(Orthoslice slice) const override {
    require_scan("slice_shape");
    if (slice == Orthoslice::xy) return {geometry_.cols, geometry_.cols};
    return {geometry_.rows, geometry_.cols};
  }

  void copy_slice(Orthoslice slice, std::span<float> out) const override {
    require_scan("copy_slice");
    const auto [rows, cols] = slice_shape(slice);
    check_size(std::string("copy_slice ") + slice_name(slice), out.size(), std::size_t{rows} * cols);
    if (slice == Orthoslice::xy) {
      const std::size_t owner = owner_of(params_.slices.xy_row, "copy_slice xy");
      on_parts({owner}, [&](Part& part, std::size_t) { part.engine->copy_slice(slice, out); });
      require_alive(owner, "copy_slice xy");
      return;
    }
    stitch_rows(out, cols, [slice](const Engine& engine, std::span<float> part_out) {
      engine.copy_slice(slice, part_out);
    });
  }

  std::optional<float> slot_angle(std::uint32_t slot) const override {
    require_scan("slot_angle");
    check_slot(slot, geometry_.slots, "slot_angle");
    return first_live().engine->slot_angle(slot);
  }

  void copy_projection(std::uint32_t slot, std::span<float> out) const override {
    copy_stored("copy_projection", slot, out, &Engine::copy_projection);
  }

  void copy_corrected_projection(std::uint32_t slot, std::span<float> out) const override {
    copy_stored("copy_corrected_projection", slot, out, &Engine::copy_corrected_projection);
  }

  void sweep_center(std::uint32_t xy_row, std::span<const float> center_offsets_px, const SliceRegion& region,
                    std::uint32_t pixel_step, std::span<float> out) override {
    require_scan("sweep_center");
    check_sweep(xy_row, center_offsets_px, region, pixel_step, out.size(), geometry_);
    const std::size_t owner = owner_of(xy_row, "sweep_center");
    on_parts({owner}, [&](Part& part, std::size_t) {
      part.engine->sweep_center(xy_row - part.rows.first_row, center_offsets_px, region, pixel_step, out);
    });
    require_alive(owner, "sweep_center");
  }

  void sweep_processing(std::uint32_t xy_row, std::span<const ProcessingParams> candidates,
                        const SliceRegion& region, std::span<float> out) override {
    require_scan("sweep_processing");
    check_processing_sweep(xy_row, candidates, region, out.size(), geometry_);
    const std::size_t owner = owner_of(xy_row, "sweep_processing");
    on_parts({owner}, [&](Part& part, std::size_t) {
      part.engine->sweep_processing(xy_row - part.rows.first_row, candidates, region, out);
    });
    require_alive(owner, "sweep_processing");
  }

  std::uint32_t volume_slab_rows(const SliceRegion& region) const override {
    require_scan("volume_slab_rows");
    std::uint32_t rows = std::numeric_limits<std::uint32_t>::max();
    for (std::size_t index : scan_parts()) {
      const Part& part = parts_[index];
      if (!part.lost()) rows = std::min(rows, part.engine->volume_slab_rows(region));
    }
    return rows;
  }

  bool reconstruct_volume(const VolumeBox& box, std::uint32_t slab_rows, VolumeSink& sink) override;

 private:
  struct Part {
    std::unique_ptr<Engine> engine;    // null once lost
    std::unique_ptr<EngineLane> lane;  // the engine's own thread
    std::string name;                  // engine name and device, for status and messages
    SlabRows rows;                     // its slab of the active scan (or of the scan it was lost in)
    bool in_scan = false;              // holds a slab of the active scan
    std::string lost_reason;           // why the engine was lost
    std::uint64_t lost_preview_version = 0;  // past its last preview_version, so that the sum never decreases
    mutable std::vector<float> scratch;  // the engine's copy of a slice or projection, before assembly

    bool lost() const { return !engine; }
  };

  class VolumeRun;

  void require_scan(const char* what) const {
    if (!scan_active_) throw EngineError(std::string(what) + ": no active scan (call begin_scan first)");
  }

  static void check_size(const std::string& what, std::size_t given, std::size_t needed) {
    if (given != needed) {
      throw EngineError(what + ": out holds " + std::to_string(given) + " floats, expected " + std::to_string(needed));
    }
  }

  std::size_t index_of(const Part& part) const { return static_cast<std::size_t>(&part - parts_.data()); }

  std::vector<std::size_t> live_parts() const {
    std::vector<std::size_t> out;
    for (std::size_t k = 0; k < parts_.size(); ++k) {
      if (!parts_[k].lost()) out.push_back(k);
    }
    return out;
  }

  std::vector<std::size_t> scan_parts() const {
    std::vector<std::size_t> out;
    for (std::size_t k = 0; k < parts_.size(); ++k) {
      if (parts_[k].in_scan) out.push_back(k);
    }
    return out;
  }

  static std::vector<std::size_t> first_n(std::vector<std::size_t> indices, std::size_t n) {
    indices.resize(std::min(n, indices.size()));
    return indices;
  }

  // The first engine not lost (of the active scan while one is active). Throws EngineLostError when none is left.
  const Part& first_live() const {
    for (const Part& part : parts_) {
      if (!part.lost() && (part.in_scan || !scan_active_)) return part;
    }
    throw EngineLostError("every slab's engine was lost");
  }

  // The slab of the active scan that owns detector row `row`. Throws EngineError when it was lost.
  std::size_t owner_of(std::uint32_t row, const char* what) const {
    for (std::size_t index : scan_parts()) {
      if (!owns(parts_[index].rows, row)) continue;
      require_alive(index, what);
      return index;
    }
    throw EngineError(std::string(what) + ": no slab owns detector row " + std::to_string(row));
  }

  void require_alive(std::size_t index, const char* what) const {
    const Part& part = parts_[index];
    if (part.lost()) {
      throw EngineError(std::string(what) + ": the engine of slab " + describe(part.rows) + " (" + part.name +
                        ") was lost: " + part.lost_reason);
    }
  }

  // The split of `geometry`'s rows over the engines `live`, weighted by the memory each has; `devices` (when given)
  // receives each engine's device.
  std::vector<SlabRows> split_for(const ScanGeometry& geometry, const std::vector<std::size_t>& live,
                                  std::vector<std::string>* devices = nullptr) const {
    std::vector<EngineMemoryPlan> plans(live.size());
    on_parts(live, [&](Part& part, std::size_t k) { plans[k] = part.engine->plan(geometry); });
    std::vector<std::uint64_t> weights;
    for (const EngineMemoryPlan& p : plans) {
      weights.push_back(p.available_bytes);
      if (devices) devices->push_back(p.device);
    }
    return split_detector_rows(geometry.rows, weights, options_.halo_rows);
  }

  static ScanGeometry slab_geometry(const ScanGeometry& geometry, const SlabRows& slab) {
    ScanGeometry local = geometry;
    local.rows = slab.rows;
    local.slab = detector_slab(slab, geometry.rows);
    return local;
  }

  // The slice positions of one slab's engine: the axial row in its rows when it owns it, else its first own row
  // (whose axial slice nobody reads).
  static SlicePositions local_slices(const SlicePositions& positions, const SlabRows& slab) {
    SlicePositions local = positions;
    local.xy_row = (owns(slab, positions.xy_row) ? positions.xy_row : slab.owned_row0) - slab.first_row;
    return local;
  }

  // Runs task(part, k) for the k-th index of `which` on each part's lane, all at once, and waits for every one. A part
  // whose engine throws EngineLostError is marked lost; of the other exceptions the first is rethrown once all are
  // done. Throws EngineLostError when a scan is active and none of its slabs is left.
  void on_parts(const std::vector<std::size_t>& which, const std::function<void(Part&, std::size_t)>& task) const {
    std::vector<std::future<void>> done;
    done.reserve(which.size());
    for (std::size_t k = 0; k < which.size(); ++k) {
      Part& part = parts_[which[k]];
      if (part.lost()) continue;
      done.push_back(part.lane->submit([this, &part, &task, k] {
        try {
          task(part, k);
        } catch (const EngineLostError& lost) {
          mark_lost(part, lost.what());
        }
      }));
    }
    std::exception_ptr first;
    for (std::future<void>& one : done) {
      try {
        one.get();
      } catch (...) {
        if (!first) first = std::current_exception();
      }
    }
    if (first) std::rethrow_exception(first);
    if (scan_active_) {
      const std::vector<std::size_t> scan = scan_parts();
      if (std::all_of(scan.begin(), scan.end(), [this](std::size_t k) { return parts_[k].lost(); })) {
        throw EngineLostError("every slab's engine was lost; the last: " + parts_[scan.back()].lost_reason);
      }
    }
  }

  void on_scan_parts(const std::function<void(Part&, std::size_t)>& task) const { on_parts(scan_parts(), task); }

  // On the part's lane: the engine is destroyed there.
  static void mark_lost(Part& part, const std::string& reason) {
    try {
      part.lost_preview_version = part.engine->preview_version() + 1;
    } catch (const EngineError&) {
      part.lost_preview_version = 1;
    }
    part.lost_reason = reason;
    part.engine.reset();
  }

  void add_reference(const FrameView& frame, const char* kind, void (Engine::*add)(const FrameView&)) {
    require_scan(kind[0] == 'd' ? "add_dark" : "add_flat");
    check_frame(frame, geometry_, kind);
    on_scan_parts([&](Part& part, std::size_t) { (part.engine.get()->*add)(slab_frame(frame, part.rows)); });
  }

  RefilterReport refilter(const std::function<RefilterReport(Engine&)>& call) {
    std::vector<RefilterReport> reports(parts_.size());
    on_scan_parts([&](Part& part, std::size_t) { reports[index_of(part)] = call(*part.engine); });
    RefilterReport total;
    for (const RefilterReport& report : reports) {
      total.projections = std::max(total.projections, report.projections);
      total.milliseconds = std::max(total.milliseconds, report.milliseconds);
      total.zingers_replaced += report.zingers_replaced;
      total.clamped_values += report.clamped_values;
    }
    return total;
  }

  // `out` (detector rows x cols floats) from each slab engine's copy (its rows x cols) by `copy`: each slab's owned
  // rows; a lost slab's rows NaN.
  void stitch_rows(std::span<float> out, std::uint32_t cols,
                   const std::function<void(const Engine&, std::span<float>)>& copy) const {
    on_scan_parts([&](Part& part, std::size_t) {
      part.scratch.resize(std::size_t{part.rows.rows} * cols);
      copy(*part.engine, part.scratch);
    });
    for (std::size_t index : scan_parts()) {
      const Part& part = parts_[index];
      float* target = out.data() + std::size_t{part.rows.owned_row0} * cols;
      const std::size_t count = std::size_t{part.rows.owned_rows} * cols;
      if (part.lost()) {
        std::fill_n(target, count, std::numeric_limits<float>::quiet_NaN());
      } else {
        std::copy_n(part.scratch.data() + std::size_t{part.rows.owned_row0 - part.rows.first_row} * cols, count,
                    target);
      }
    }
  }

  // Calls visit(rows) with the rows of each slab of the active scan that was lost.
  void for_each_lost_slab(const std::function<void(const EngineRows&)>& visit) const {
    for (std::size_t index : scan_parts()) {
      if (parts_[index].lost()) visit(engine_rows(slab_geometry(geometry_, parts_[index].rows)));
    }
  }

  // `out` as the sum of every slab engine's copy by `copy` (each fills its own part and leaves the rest zero).
  void sum_parts(std::span<float> out, const std::function<void(const Engine&, std::span<float>)>& copy) const {
    on_scan_parts([&](Part& part, std::size_t) {
      part.scratch.resize(out.size());
      copy(*part.engine, part.scratch);
    });
    std::fill(out.begin(), out.end(), 0.f);
    for (std::size_t index : scan_parts()) {
      const Part& part = parts_[index];
      if (part.lost()) continue;
      for (std::size_t k = 0; k < out.size(); ++k) out[k] += part.scratch[k];
    }
  }

  void copy_stored(const char* what, std::uint32_t slot, std::span<float> out,
                   void (Engine::*copy)(std::uint32_t, std::span<float>) const) const {
    require_scan(what);
    check_projection_copy(what, slot, slot < geometry_.slots && slot_angle(slot).has_value(), out.size(), geometry_);
    stitch_rows(out, geometry_.cols,
                [slot, copy](const Engine& engine, std::span<float> part_out) { (engine.*copy)(slot, part_out); });
  }

  SlabEngineOptions options_;
  // Losing an engine may happen in any call, const ones included (a copy that meets a failed device).
  mutable std::vector<Part> parts_;
  mutable std::optional<DefectivePixelMap> defects_;  // the assembled map, once every slab built its own
  bool scan_active_ = false;
  std::uint64_t settings_version_ = 0;  // scans begun and tilt, processing and preview changes (slabs_version)
  ScanGeometry geometry_;
  ReconParams params_;
};

// One reconstruct_volume: every slab engine computes its rows of the box on its lane into memory that the caller's
// sink hands out, in increasing rows, as many slabs ahead as the sink allows; finished slabs go back to the sink in
// the same order, on the calling thread (the sink's thread).
class SlabEngineImpl::VolumeRun {
 public:
  VolumeRun(SlabEngineImpl& engine, const VolumeBox& box, std::uint32_t slab_rows, VolumeSink& sink)
      : engine_(engine), box_(box), slab_rows_(slab_rows), sink_(sink) {
    for (std::size_t index : engine.scan_parts()) {
      const SlabRows& rows = engine.parts_[index].rows;
      const std::uint32_t begin = std::max(box.row0, rows.owned_row0);
      const std::uint32_t end = std::min(box.row0 + box.rows, rows.owned_row0 + rows.owned_rows);
      if (begin >= end) continue;
      engine.require_alive(index, "reconstruct_volume");
      for (std::uint32_t row0 = begin; row0 < end; row0 += slab_rows) {
        pieces_.push_back({index, row0, std::min(slab_rows, end - row0), {}, false});
      }
    }
  }

  bool run() {
    std::vector<std::size_t> parts;
    for (const Piece& piece : pieces_) {
      if (parts.empty() || parts.back() != piece.part) parts.push_back(piece.part);
    }
    std::vector<std::future<void>> computing;
    for (std::size_t index : parts) {
      Part& part = engine_.parts_[index];
      computing.push_back(part.lane->submit([this, &part, index] { compute(part, index); }));
    }
    const std::size_t ahead = std::max<std::size_t>(2, sink_.max_outstanding_slabs());
    std::size_t given = 0, delivered = 0;
    bool complete = true;
    while (delivered < pieces_.size()) {
      while (given < pieces_.size() && given - delivered < ahead && !stopped()) {
        const std::span<float> memory = sink_.slab_memory(pieces_[given].row0, pieces_[given].rows);
        std::lock_guard lock(mutex_);
        if (memory.empty()) {
          stop_ = true;
          complete = false;
        } else {
          pieces_[given++].memory = memory;
        }
        changed_.notify_all();
      }
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stop_ || failed_ || pieces_[delivered].done; });
      if (!pieces_[delivered].done) break;
      lock.unlock();
      const Piece& piece = pieces_[delivered++];
      if (!sink_.slab_done(piece.row0, piece.rows)) {
        std::lock_guard stopping(mutex_);
        stop_ = true;
        complete = false;
        changed_.notify_all();
      }
    }
    {
      std::lock_guard lock(mutex_);
      if (delivered < pieces_.size()) {
        stop_ = true;
        complete = false;
      }
      changed_.notify_all();
    }
    std::exception_ptr first;
    for (std::future<void>& one : computing) {
      try {
        one.get();
      } catch (...) {
        if (!first) first = std::current_exception();
      }
    }
    // Slabs whose memory was given and that were finished are still delivered, in order.
    while (delivered < given && pieces_[delivered].done) {
      const Piece& piece = pieces_[delivered++];
      sink_.slab_done(piece.row0, piece.rows);
    }
    if (first) std::rethrow_exception(first);
    return complete && delivered == pieces_.size();
  }

 private:
  struct Piece {
    std::size_t part;
    std::uint32_t row0, rows;  // detector rows
    std::span<float> memory;   // from the caller's sink, once given
    bool done;
  };

  bool stopped() {
    std::lock_guard lock(mutex_);
    return stop_ || failed_;
  }

  // On the part's lane: its engine computes its pieces through a sink that waits for each piece's memory.
  void compute(Part& part, std::size_t index) {
    class PartSink final : public VolumeSink {
     public:
      PartSink(VolumeRun& run, std::size_t index, std::uint32_t first_row)
          : run_(run), index_(index), first_row_(first_row) {}
      std::span<float> slab_memory(std::uint32_t row0, std::uint32_t) override {
        std::unique_lock lock(run_.mutex_);
        Piece& piece = run_.piece_of(index_, row0 + first_row_);
        run_.changed_.wait(lock, [&] { return run_.stop_ || !piece.memory.empty(); });
        if (run_.stop_) return {};
        return piece.memory;
      }
      bool slab_done(std::uint32_t row0, std::uint32_t) override {
        std::lock_guard lock(run_.mutex_);
        run_.piece_of(index_, row0 + first_row_).done = true;
        run_.changed_.notify_all();
        return !run_.stop_;
      }

     private:
      VolumeRun& run_;
      std::size_t index_;
      std::uint32_t first_row_;
    };
    const SlabRows& rows = part.rows;
    VolumeBox local = box_;
    local.row0 = std::max(box_.row0, rows.owned_row0);
    local.rows = std::min(box_.row0 + box_.rows, rows.owned_row0 + rows.owned_rows) - local.row0;
    local.row0 -= rows.first_row;
    PartSink sink(*this, index, rows.first_row);
    try {
      part.engine->reconstruct_volume(local, slab_rows_, sink);
    } catch (const EngineLostError& lost) {
      engine_.mark_lost(part, lost.what());
      fail();
      throw EngineError("reconstruct_volume: the engine of slab " + describe(rows) + " (" + part.name +
                        ") was lost: " + lost.what());
    } catch (...) {
      fail();
      throw;
    }
  }

  void fail() {
    std::lock_guard lock(mutex_);
    failed_ = true;
    stop_ = true;
    changed_.notify_all();
  }

  // The piece of part `index` that starts at detector row `row0` (the engine asks in the order it was given them).
  Piece& piece_of(std::size_t index, std::uint32_t row0) {
    for (Piece& piece : pieces_) {
      if (piece.part == index && piece.row0 == row0) return piece;
    }
    throw EngineError("reconstruct_volume: an engine asked for a slab at row " + std::to_string(row0) +
                      " that is not its own");
  }

  SlabEngineImpl& engine_;
  VolumeBox box_;
  std::uint32_t slab_rows_;
  VolumeSink& sink_;
  std::vector<Piece> pieces_;  // in increasing rows
  std::mutex mutex_;
  std::condition_variable changed_;
  bool stop_ = false;    // no more memory is given; engines waiting for theirs get none
  bool failed_ = false;  // an engine threw
};

bool SlabEngineImpl::reconstruct_volume(const VolumeBox& box, std::uint32_t slab_rows, VolumeSink& sink) {
  require_scan("reconstruct_volume");
  check_volume(box, slab_rows, volume_slab_rows(box.region), geometry_);
  return VolumeRun(*this, box, slab_rows, sink).run();
}

}  // namespace

std::unique_ptr<SlabEngine> make_slab_engine(std::vector<std::unique_ptr<Engine>> engines,
                                             const SlabEngineOptions& options) {
  return std::make_unique<SlabEngineImpl>(std::move(engines), options);
}

}  // namespace tomolive::kernels
