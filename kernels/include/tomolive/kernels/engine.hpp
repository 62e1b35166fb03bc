// Engine: the reconstruction backend behind one interface (CPU here; CUDA in its own library).
//
// An engine holds one scan at a time: the averaged darks and flats, a store of corrected, -log'ed and ramp-filtered
// projections (one slot per projection, or per position of a sliding window), and three orthoslices that are
// updated incrementally as projections arrive. Any change of center or slice position is answered by recomputing
// from the store; the detector is never asked again.
//
// Thread safety: an engine is used by one thread at a time (the daemon's engine thread owns it).
// Errors: methods throw EngineError with a message naming the wrong value and what was expected. An EngineError
// leaves the engine usable (the failed call changed nothing, or only what it names). EngineLostError says the
// opposite: the engine can no longer be trusted (e.g. a sticky CUDA error, after which every call on the device
// fails) and must be destroyed and built anew; the scan it held is lost.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "tomolive/kernels/defective_pixels.hpp"
#include "tomolive/kernels/frame_view.hpp"
#include "tomolive/kernels/oblique_plane.hpp"
#include "tomolive/kernels/preview_volume.hpp"
#include "tomolive/kernels/processing.hpp"

namespace tomolive::kernels {

class EngineError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The engine is unusable from now on (see above); any method may throw it.
class EngineLostError : public EngineError {
 public:
  using EngineError::EngineError;
};

enum class Orthoslice : std::uint8_t { xy, xz, yz };

struct SlicePositions {
  std::uint32_t xy_row = 0;  // detector row of the axial slice
  float xz_y_px = 0.f;       // y of the XZ slice, pixels from the rotation axis
  float yz_x_px = 0.f;       // x of the YZ slice, pixels from the rotation axis
};

// A rectangle of a slice, pixels: rows [row0, row0 + rows), columns [col0, col0 + cols).
struct SliceRegion {
  std::uint32_t row0 = 0, col0 = 0, rows = 0, cols = 0;
};

// Where an engine's rows lie on the detector when the detector's rows are split into slabs over several engines
// (slab_engine.hpp). The engine's frames are detector rows [first_row, first_row + rows) of a detector of
// detector_rows rows; of them it owns (publishes) its rows [owned_begin, owned_end), and reads the others (halo rows)
// only for processing that crosses rows. What follows the detector rather than the engine's frames: the axis tilt's
// pivot (the detector's middle row), the live 3D preview's grid (the whole detector's; the engine fills the layers
// whose first detector row it owns and leaves the others zero) and the oblique slice (the plane through the whole
// volume; the engine fills the pixels whose detector row lies in its owned rows and leaves the others zero).
// Default (detector_rows 0): the engine sees the whole detector and owns every row.
// In detail (engine_rows.hpp is the engines' view of it; check_scan refuses a slab that leaves its detector or owns
// no row):
// - Everything else is in the engine's own rows: frames (rows x cols), the stores (copy_projection,
//   copy_corrected_projection), the vertical slices (rows rows), the axial slice's xy_row, the sweeps' xy_row and the
//   volume's rows. The defective-pixel map covers all of the engine's rows; its frame-wide statistics (the hot and
//   noisy tests' medians) are the slab's own, so a pixel near a threshold may be classified otherwise than by one
//   engine over the whole detector.
// - ProjectionStats and RefilterReport count the owned rows only, so that the slab engines' counts sum to the whole
//   engine's.
// - Processing that crosses rows (the zinger filter's neighbours, Paganin's 2D filter, the tilt rotation, the
//   preview's binning, the oblique slice's interpolation) reads the halo rows; where it reaches beyond the engine's
//   frames it reads the frames' edge rows instead (Paganin pads from them), so an owned row equals the whole engine's
//   when the halo covers what its processing reads: bit for bit on the CPU engine (zingers, tilt, preview, oblique),
//   approximately with Paganin (its padding follows the frame's edges, not the detector's).
struct DetectorSlab {
  std::uint32_t detector_rows = 0;
  std::uint32_t first_row = 0;
  std::uint32_t owned_begin = 0, owned_end = 0;  // the engine's own rows

  bool whole() const { return detector_rows == 0; }
};

struct ScanGeometry {
  std::uint32_t rows = 0;   // detector rows (of the slab, for an engine of a slab: DetectorSlab)
  std::uint32_t cols = 0;   // detector columns; slices are cols wide
  std::uint32_t slots = 0;  // projections held in the store: the scan's projection count or its window
  // FBP quadrature weight per projection, radians: pi / slots for projections spread evenly over 180 or 360 deg
  // (over 360 deg each line is measured twice, which halves the per-projection weight of 2 pi / slots).
  float angle_weight_rad = 0.f;
  // Half acquisition (processing.hpp step 4): where the detector's columns lie within the engine's `cols`-wide
  // frames, which the daemon widened. A property of the scan, fixed at begin_scan; disabled for a plain scan.
  HalfAcquisition half_acquisition;
  // The engine's slab of the detector (DetectorSlab); the whole detector by default.
  DetectorSlab slab;
};

struct ReconParams {
  float center_offset_px = 0.f;  // axis at column (cols - 1) / 2 + center_offset_px (at the middle row when tilted)
  float axis_tilt_deg = 0.f;     // the axis's in-plane tilt, corrected by rotating projections (axis_tilt_correction.hpp)
  SlicePositions slices;
  ProcessingParams processing;   // filter window, zingers, phase retrieval, rings (processing.hpp)
  ObliqueSlice oblique;          // the oblique slice (oblique_plane.hpp); disabled by default
  PreviewParams preview;         // the live 3D preview (preview_volume.hpp); disabled by default
};

// A box of the reconstructed volume: `region` of the axial slice (pixels: region rows run along -y, columns along +x,
// as in the axial slice) at every detector row in [row0, row0 + rows). Voxel (z, i, j) of the box is pixel
// (region.row0 + i, region.col0 + j) of the axial slice at detector row row0 + z.
struct VolumeBox {
  SliceRegion region;
  std::uint32_t row0 = 0;  // first detector row
  std::uint32_t rows = 0;  // detector rows (voxels along z)
};

// Receives a volume slab by slab from Engine::reconstruct_volume, on the engine's calling thread. A slab is the
// detector rows [row0, row0 + rows) of the box: rows x region.rows x region.cols floats (1/pixel), z-major then
// row-major. Slabs come in increasing row0 (memory asked for and slabs done in that order); at most two are
// outstanding (memory given, not yet done; an engine over several slabs: at most max_outstanding_slabs()), so that
// an engine may copy slab k out while it computes slab k + 1.
class VolumeSink {
 public:
  virtual ~VolumeSink() = default;
  // How many slabs the sink can hold outstanding at once (at least 2): an engine that computes several slabs at a
  // time (slab_engine.hpp: one per device) asks for at most this many slabs' memory before their slab_done.
  virtual std::size_t max_outstanding_slabs() const { return 2; }
  // Memory for the slab at `row0`, rows x region.rows x region.cols floats, valid until slab_done for it returns. An
  // empty span stops the volume (reconstruct_volume then returns false; no slab_done follows for this slab).
  virtual std::span<float> slab_memory(std::uint32_t row0, std::uint32_t rows) = 0;
  // The slab's values are in its memory. Returns false to stop the volume: no later slab's memory is asked for (an
  // engine that already asked for the next one still delivers it).
  virtual bool slab_done(std::uint32_t row0, std::uint32_t rows) = 0;
};

// What an engine will hold for a scan, bytes.
struct EngineMemoryPlan {
  std::string device;
  std::string store_precision;
  std::uint64_t store_bytes = 0;            // the filtered store
  std::uint64_t corrected_store_bytes = 0;  // the corrected store that re-filters start from (processing.hpp)
  std::uint64_t slice_bytes = 0;            // the slices, and the live 3D preview's reserve (preview_bytes)
  std::uint64_t preview_bytes = 0;          // of slice_bytes: the largest preview the engine's budget allows
  std::uint64_t other_bytes = 0;
  std::uint64_t total_bytes = 0;
  std::uint64_t available_bytes = 0;
  // An engine over several slabs (slab_engine.hpp): each slab engine's own plan, in slab order (the totals above are
  // their sums), and whether the whole scan would also fit on the first slab's engine alone. Empty and false for
  // an engine of one device.
  std::vector<EngineMemoryPlan> slabs;
  bool fits_one_device = false;
  // A plan over several slabs fits when every slab's fits.
  bool fits() const {
    if (slabs.empty()) return total_bytes <= available_bytes;
    for (const EngineMemoryPlan& slab : slabs) {
      if (!slab.fits()) return false;
    }
    return true;
  }
};

// Per-projection result counters, over the engine's owned rows (DetectorSlab).
struct ProjectionStats {
  std::uint64_t clamped_values = 0;    // pixels whose transmission was <= 0 (or flat <= dark) and was clamped,
                                       // before or after phase retrieval (a repaired pixel: its repaired value)
  std::uint64_t zingers_replaced = 0;  // pixels the zinger filter replaced
};

class Engine {
 public:
  virtual ~Engine() = default;
  Engine() = default;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // "cpu" or "cuda".
  virtual std::string name() const = 0;

  // The memory a scan of this geometry needs and what is available. Does not allocate.
  virtual EngineMemoryPlan plan(const ScanGeometry& geometry) const = 0;

  // Ends any previous scan and allocates everything for this one (store, slices, filter plans, references).
  // Throws EngineError if the plan does not fit or allocation fails. Slices start at zero.
  virtual void begin_scan(const ScanGeometry& geometry, const ReconParams& params) = 0;

  // Accumulate one dark / flat frame into the running average. Must come before the first projection; frames must
  // match the scan's rows x cols. Without darks the dark level is 0; without flats the flat level is 1 (projections
  // are then taken as already normalised transmission).
  virtual void add_dark(const FrameView& frame) = 0;
  virtual void add_flat(const FrameView& frame) = 0;

  // Defective pixels (defective_pixels.hpp). The detector's own mask of the scan (rows x cols, non-zero: defective),
  // OR'd into the map that the first projection builds; empty clears it. Throws EngineError when no scan is active,
  // a projection arrived already, or the mask is not rows x cols.
  virtual void set_detector_mask(std::span<const std::uint8_t> mask) = 0;
  // The scan's map, built at its first projection from the darks, flats and detector mask when
  // params().processing.defective_pixels was enabled then; nullptr before, when it was off, or for a half-acquisition
  // scan (its widened frames hold filler columns). Valid until the next begin_scan.
  virtual const DefectivePixelMap* defective_pixels() const = 0;

  // Corrects ((p - dark) / (flat - dark), clamped to kMinTransmission; a defective pixel interpolated from its good
  // row neighbours, defective_pixels.hpp), takes -log and keeps the result in the
  // corrected store's `slot` (< geometry.slots); processes it as params().processing says (processing.hpp: zingers,
  // phase, ring offset, windowed ramp filter) into the filtered store's `slot` and adds its backprojection to the
  // three slices. If the slot already held a projection (sliding window), its contribution is subtracted first.
  // angle_rad is the projection's angle.
  virtual ProjectionStats add_projection(std::uint32_t slot, float angle_rad, const FrameView& frame) = 0;

  // Change the center or the slice positions; the affected slices are recomputed from the store. With half
  // acquisition enabled (geometry.half_acquisition) set_center re-filters the store first, since the overlap
  // weights follow the axis.
  virtual void set_center(float center_offset_px) = 0;
  virtual void set_slices(const SlicePositions& positions) = 0;

  // Replaces the axis tilt correction (axis_tilt_correction.hpp; 0 turns it off), re-filters every stored projection
  // from the corrected store and recomputes the slices, as set_processing does. Throws EngineError when no scan is
  // active or check_axis_tilt refuses the value (the previous tilt then stays).
  virtual RefilterReport set_axis_tilt(float tilt_deg) = 0;

  // Replaces the processing parameters, re-filters every stored projection from the corrected store with them (the
  // ring pass included, when rings are enabled, even if nothing changed) and recomputes the three slices. Nothing
  // the detector sent is lost or asked for again. Throws EngineError when no scan is active or check_processing
  // refuses the parameters (the previous ones then stay).
  virtual RefilterReport set_processing(const ProcessingParams& processing) = 0;

  // Oblique slice (oblique_plane.hpp): while enabled, a fourth slice on the plane `oblique` describes, updated with the
  // orthoslices (add_projection, set_center, set_processing) and recomputed from the store here. Disabling frees
  // nothing and stops the updates. Throws EngineError when no scan is active or check_oblique refuses it (the previous
  // oblique slice then stays).
  virtual void set_oblique_slice(const ObliqueSlice& oblique) = 0;
  // Shape (rows, cols) of the oblique slice (oblique_plane()); {0, 0} while disabled. Throws EngineError when no scan
  // is active.
  virtual std::pair<std::uint32_t, std::uint32_t> oblique_shape() const = 0;
  // A copy of the oblique slice's values (1/pixel) into `out` (rows * cols floats of oblique_shape()). Throws
  // EngineError when no scan is active, the oblique slice is disabled or `out` has the wrong size.
  virtual void copy_oblique_slice(std::span<float> out) const = 0;

  // Live 3D preview (preview_volume.hpp, PROTOCOL.md 10.12): while enabled, a downsampled volume updated with the
  // slices (add_projection adds each projection's binned backprojection; set_center, set_processing and a change of
  // the preview rebuild it from the store). Its memory, at most the engine's preview budget, is reserved in the plan
  // (preview_bytes) and allocated when the preview is enabled.
  //
  // The preview this engine offers unless told otherwise: the CUDA engine's is enabled at 256 voxels a side, the CPU
  // engine's disabled at 64 (on a CPU it costs ingest rate; docs/targets.md says how much).
  virtual PreviewParams default_preview() const = 0;
  // Enables the preview at preview.side voxels along its longest side (rebuilt from the store now) or disables it
  // (its memory freed). Throws EngineError when no scan is active, check_preview refuses it, it needs more than the
  // engine's preview budget (the previous preview then stays), or its memory cannot be allocated (the preview is then
  // disabled).
  virtual void set_preview(const PreviewParams& preview) = 0;
  // The preview's grid; all zero while disabled. Throws EngineError when no scan is active.
  virtual PreviewGrid preview_shape() const = 0;
  // A copy of the preview's voxels (1/pixel; z-major, then row-major, as preview_volume.hpp lays them out) into `out`,
  // preview_shape().voxels() floats. Throws EngineError when no scan is active, the preview is disabled or `out` has
  // the wrong size.
  virtual void copy_preview(std::span<float> out) const = 0;
  // A number that changes whenever the preview's voxels may have changed (and never decreases over the engine's
  // life), so that a caller copies the preview only when it is new. Any thread that owns the engine may ask; no scan
  // needed.
  virtual std::uint64_t preview_version() const = 0;

  // Current parameters and the number of projections held in the store.
  virtual const ReconParams& params() const = 0;
  virtual std::uint32_t projections_in_store() const = 0;

  // Shape of a slice (rows, cols) for the active scan, and a copy of its values (1/pixel) into `out`, which must
  // hold rows * cols floats. Throws EngineError when no scan is active or `out` has the wrong size.
  virtual std::pair<std::uint32_t, std::uint32_t> slice_shape(Orthoslice slice) const = 0;
  virtual void copy_slice(Orthoslice slice, std::span<float> out) const = 0;

  // Center of rotation tools (PROTOCOL.md 10.4). None of them changes the parameters, the store or the slices.
  //
  // The angle (radians, as given to add_projection) of the projection stored in `slot`, or nullopt when the slot is
  // empty. Throws EngineError when no scan is active or slot >= geometry.slots.
  virtual std::optional<float> slot_angle(std::uint32_t slot) const = 0;

  // Copies the stored projection of `slot` (corrected, -log'ed and ramp-filtered, as backprojected; with a float16
  // store, the rounded values) into `out`, rows * cols floats, row-major. Throws EngineError when no scan is active,
  // slot >= geometry.slots, the slot is empty or `out` has the wrong size.
  virtual void copy_projection(std::uint32_t slot, std::span<float> out) const = 0;

  // Copies the corrected store's `slot` (the attenuation -ln T before zingers, phase, rings, weights and filter,
  // processing.hpp; with a float16 store, the rounded values) into `out`, rows * cols floats, row-major. Used by the
  // half-acquisition center estimate, which needs unweighted, unfiltered projections. Throws as copy_projection.
  virtual void copy_corrected_projection(std::uint32_t slot, std::span<float> out) const = 0;

  // Reconstructs `region` of the axial slice at detector row `xy_row` once per candidate center offset (pixels from
  // (cols - 1) / 2, as center_offset_px), from the store: `out` receives center_offsets_px.size() images of
  // region.rows x region.cols floats (1/pixel, row-major), candidate after candidate, each equal to what
  // copy_slice(xy) would give for that region after set_center(candidate) and set_slices with that xy_row (within
  // the engine's float rounding; the CPU engine: bit for bit). Throws EngineError when no scan is active,
  // xy_row >= rows, the region is empty or leaves the cols x cols slice, there are no candidates or more than
  // kMaxSweepCandidates, a candidate is not finite, a region side is larger than kMaxSweepSide, or `out` does not
  // hold candidates * region.rows * region.cols floats. Not const: an engine may allocate work memory on its first
  // sweep of a scan (kept until the scan ends).
  virtual void sweep_center(std::uint32_t xy_row, std::span<const float> center_offsets_px, const SliceRegion& region,
                            std::span<float> out) = 0;

  // Reconstructs `region` of the axial slice at detector row `xy_row` once per candidate processing setting, at the
  // current center, from the corrected store: `out` receives candidates.size() images of region.rows x region.cols
  // floats (1/pixel, row-major), candidate after candidate, each what copy_slice(xy) would give for that region after
  // set_processing(candidate) and set_slices with that xy_row (within the engine's float rounding). Each candidate
  // re-filters the detector rows its axial row needs (xy_row and its neighbours for the zinger filter; every row when
  // the candidate enables phase retrieval, whose 2D filter reaches across the frame) of every stored projection, the
  // ring pass included; the parameters, both stores, the ring offsets of later arrivals and the slices are left
  // alone. Throws EngineError as sweep_center for the row, the region and `out`, when there are no candidates or more
  // than kMaxProcessingSweepCandidates, or when check_processing refuses a candidate (the message names it). Not
  // const: an engine may allocate work memory for the call (freed when it returns, or kept until the scan ends).
  virtual void sweep_processing(std::uint32_t xy_row, std::span<const ProcessingParams> candidates,
                                const SliceRegion& region, std::span<float> out) = 0;

  // Full volume (PROTOCOL.md 10.6). The most detector rows of `region` one slab may hold, given what the engine has
  // beside its store (the CUDA engine: free device memory for two slabs; the CPU engine computes into the sink's
  // memory and has no limit of its own). At least 1. Throws EngineError when no scan is active.
  virtual std::uint32_t volume_slab_rows(const SliceRegion& region) const = 0;

  // Reconstructs `box` from the store, with the current center and processing, in slabs of `slab_rows` detector rows
  // (the last may be shorter) handed to `sink` (see VolumeSink). Each z-layer equals what copy_slice(xy) would give
  // for that region after set_slices with that detector row (within the engine's float rounding; the CPU engine: bit
  // for bit). The parameters, store and slices are not changed. Returns true when every slab was delivered, false
  // when the sink stopped the volume. Throws EngineError when no scan is active, the box is empty or leaves the
  // cols x cols x rows volume, or slab_rows is 0 or more than volume_slab_rows(box.region); an engine failure between
  // slabs leaves the slabs already done delivered.
  virtual bool reconstruct_volume(const VolumeBox& box, std::uint32_t slab_rows, VolumeSink& sink) = 0;
};

// Limits of one sweep_center call: candidates, and pixels on a side of the region.
inline constexpr std::size_t kMaxSweepCandidates = 64;
inline constexpr std::uint32_t kMaxSweepSide = 1024;
// Candidates of one sweep_processing call (each re-filters the rows it needs of the whole store).
inline constexpr std::size_t kMaxProcessingSweepCandidates = 32;

// Smallest transmission after flat-field correction; smaller or non-positive values are clamped to it and counted.
inline constexpr float kMinTransmission = 1e-6f;

}  // namespace tomolive::kernels
