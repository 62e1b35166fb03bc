// SlabEngine: one Engine over several engines (one per GPU, or several CPU engines), each holding a contiguous slab
// of the detector's rows (issue 18, PROTOCOL.md 10.13).
//
// Split. At begin_scan the detector's rows are split into one contiguous slab per engine, top rows first, in
// proportion to each engine's available memory (EngineMemoryPlan::available_bytes; equal shares when they report
// none), each slab at least kMinSlabRows rows. Each engine gets its slab plus up to `halo_rows` rows on each side
// from its neighbours (DetectorSlab in engine.hpp): the rows that processing crossing rows reads (the zinger filter's
// neighbourhood, Paganin's 2D filter, the axis tilt's rotation, the preview's binned layers and the oblique slice's
// interpolation). Within the halo the results equal one engine's over the whole detector; where a filter reaches
// further than the halo (Paganin with a large delta/beta, a tilt that moves rows by more than the halo at the
// detector's edge columns) the slab's edge rows are approximate, and the halo needed is reported (halo_needed_rows).
// The defective-pixel map is each slab's own: its thresholds take statistics over the slab's frame, so a pixel near a
// threshold may be classified differently than over the whole detector (engine.hpp, DetectorSlab).
//
// Threads. Each engine has its own thread (a lane); every call is handed to the lanes that need it and waits for all
// of them, so engines work in parallel (each GPU gets its part of a frame straight from the caller's page-locked
// memory: a slab is a contiguous block of rows). Changes (center, slices, processing, tilt, oblique, preview) go to
// every engine and return when all are done.
//
// Results. The axial slice comes from the engine that owns its row; the vertical slices, stored projections, the
// defective-pixel map, the oblique slice and the preview are assembled from every engine's owned rows; the center
// sweep and the processing sweep run on the owner of their row; a volume is computed by all engines at once, each
// over its rows, delivered to the sink in increasing rows (as many slabs in flight as the sink allows).
//
// Lost engines. An engine that throws EngineLostError (a device that failed) is destroyed and its slab marked lost
// (slabs() says which and why); the other engines go on. Results that need a lost slab's rows are NaN there (the
// vertical slices, stored projections, oblique slice, preview) or refused with EngineError naming the slab (the
// axial slice, the sweeps, a volume over its rows). Only when every slab is lost does a call throw EngineLostError.
//
// Thread safety: as Engine, one caller at a time; the lanes are the composite's own.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tomolive/kernels/engine.hpp"

namespace tomolive::kernels {

// Fewest owned rows of one slab.
inline constexpr std::uint32_t kMinSlabRows = 8;
// Halo rows on each side of a slab unless told otherwise: the zinger filter (1 row) with the default preview of a
// 2048-row detector (256 voxels a side: binning 8, 7 rows) and a tilt of up to 0.6 deg at 2048 columns, or a Paganin
// filter reaching about 30 rows; halo_needed_rows says what the current setting needs.
inline constexpr std::uint32_t kDefaultHaloRows = 32;

struct SlabEngineOptions {
  std::uint32_t halo_rows = kDefaultHaloRows;  // rows read from each neighbouring slab
};

// One slab's place on the detector: its engine's frames are detector rows [first_row, first_row + rows); it owns
// detector rows [owned_row0, owned_row0 + owned_rows).
struct SlabRows {
  std::uint32_t first_row = 0, rows = 0;
  std::uint32_t owned_row0 = 0, owned_rows = 0;

  bool operator==(const SlabRows&) const = default;
};

// The split of `detector_rows` rows over weights.size() slabs (weights: relative shares, e.g. bytes available on each
// device; all zero: equal), each owning at least kMinSlabRows rows (fewer slabs when the detector is too short),
// with up to halo_rows rows on each side. Throws EngineError when weights is empty or detector_rows is 0.
std::vector<SlabRows> split_detector_rows(std::uint32_t detector_rows, const std::vector<std::uint64_t>& weights,
                                          std::uint32_t halo_rows);

// The DetectorSlab (engine.hpp) that tells the engine of `slab` where its frames lie.
DetectorSlab detector_slab(const SlabRows& slab, std::uint32_t detector_rows);

// A slab of the active scan as slabs() reports it.
struct SlabStatus {
  std::string engine;  // the slab engine's name() and its plan's device
  SlabRows rows;
  bool lost = false;
  std::string lost_reason;  // the EngineLostError's message, when lost
};

class SlabEngine : public Engine {
 public:
  // The active scan's slabs (empty before the first begin_scan), in slab order.
  virtual std::vector<SlabStatus> slabs() const = 0;
  // Halo rows that the current parameters would need for the slabs' edge rows to equal one engine's exactly
  // (the tilt's row shift at the edge columns, Paganin's kernel, the preview's binning), beside the halo given.
  virtual std::uint32_t halo_needed_rows() const = 0;
  virtual std::uint32_t halo_rows() const = 0;
  // A number that changes whenever slabs() or halo_needed_rows() may have changed (a scan begun, a slab lost, the
  // tilt, processing or preview changed) and never decreases, so that a watcher reads them only when they are new.
  virtual std::uint64_t slabs_version() const = 0;
};

// An engine over `engines` (at least one; with one it simply forwards, with its own thread). Throws EngineError when
// `engines` is empty or holds a null engine.
std::unique_ptr<SlabEngine> make_slab_engine(std::vector<std::unique_ptr<Engine>> engines,
                                             const SlabEngineOptions& options = {});

}  // namespace tomolive::kernels
