// Helpers of the slab tests (kernels and GPU): a detector's rows split by hand into slabs with halos (engine.hpp
// DetectorSlab; independent of slab_engine.hpp's split), frames cut to a slab, and engines over the slabs fed beside
// one engine over the whole detector, their results compared on the slabs' owned rows. Header-only; pure functions,
// or touching only the engines given or made.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tomolive/kernels/engine.hpp"

namespace tomolive::kernels::testing {

// The geometries of engines over slabs of `whole`'s detector: slab k owns detector rows [bounds[k], bounds[k + 1])
// and sees up to `halo` more rows on each side. bounds run from 0 to whole.rows, increasing.
inline std::vector<ScanGeometry> split_rows(const ScanGeometry& whole, const std::vector<std::uint32_t>& bounds,
                                            std::uint32_t halo) {
  std::vector<ScanGeometry> slabs;
  for (std::size_t k = 0; k + 1 < bounds.size(); ++k) {
    const std::uint32_t first = bounds[k] > halo ? bounds[k] - halo : 0;
    const std::uint32_t end = std::min(whole.rows, bounds[k + 1] + halo);
    ScanGeometry g = whole;
    g.rows = end - first;
    g.slab = DetectorSlab{whole.rows, first, bounds[k] - first, bounds[k + 1] - first};
    slabs.push_back(g);
  }
  return slabs;
}

// The rows of a whole-detector frame that an engine of `slab` receives (no copy: the slab's rows are contiguous).
inline FrameView slab_view(const FrameView& whole, const ScanGeometry& slab) {
  const auto* bytes = static_cast<const unsigned char*>(whole.data);
  return FrameView{bytes + std::size_t{slab.slab.first_row} * whole.cols * pixel_bytes(whole.type), whole.type,
                   slab.rows, whole.cols};
}

// Rows [row0, row0 + rows) of a row-major image `cols` wide.
inline std::vector<float> rows_of(const std::vector<float>& image, std::uint32_t cols, std::uint32_t row0,
                                  std::uint32_t rows) {
  const auto begin = image.begin() + static_cast<std::ptrdiff_t>(std::size_t{row0} * cols);
  return {begin, begin + static_cast<std::ptrdiff_t>(std::size_t{rows} * cols)};
}

// A copy of a slice of `engine`.
inline std::vector<float> slice_values(const Engine& engine, Orthoslice which) {
  const auto [rows, cols] = engine.slice_shape(which);
  std::vector<float> values(std::size_t{rows} * cols);
  engine.copy_slice(which, values);
  return values;
}

// A slab engine's owned rows of an image whose rows are its frame rows (vertical slices, stored projections), and the
// whole engine's same detector rows: {slab's, whole's}.
inline std::pair<std::vector<float>, std::vector<float>> owned_rows(const std::vector<float>& of_slab,
                                                                    const std::vector<float>& of_whole,
                                                                    std::uint32_t cols, const ScanGeometry& slab) {
  const DetectorSlab& s = slab.slab;
  const std::uint32_t owned = s.owned_end - s.owned_begin;
  return {rows_of(of_slab, cols, s.owned_begin, owned), rows_of(of_whole, cols, s.first_row + s.owned_begin, owned)};
}

// The element-wise sum of the images of every slab engine (previews, oblique slices: each filled on its owned part).
inline std::vector<float> sum_of(const std::vector<std::vector<float>>& images) {
  std::vector<float> sum(images.at(0).size(), 0.f);
  for (const std::vector<float>& image : images) {
    EXPECT_EQ(image.size(), sum.size());
    for (std::size_t k = 0; k < std::min(sum.size(), image.size()); ++k) sum[k] += image[k];
  }
  return sum;
}

inline std::string slab_name(const ScanGeometry& slab) {
  return "slab from detector row " + std::to_string(slab.slab.first_row) + " (" + std::to_string(slab.rows) +
         " rows, owning " + std::to_string(slab.slab.owned_begin) + ".." + std::to_string(slab.slab.owned_end) + ")";
}

inline std::vector<float> preview_values(const Engine& engine) {
  std::vector<float> values(engine.preview_shape().voxels());
  engine.copy_preview(values);
  return values;
}

inline std::vector<float> oblique_values(const Engine& engine) {
  const auto [rows, cols] = engine.oblique_shape();
  std::vector<float> values(std::size_t{rows} * cols);
  engine.copy_oblique_slice(values);
  return values;
}

inline std::vector<float> stored_projection(const Engine& engine, std::uint32_t slot, const ScanGeometry& g) {
  std::vector<float> values(std::size_t{g.rows} * g.cols);
  engine.copy_projection(slot, values);
  return values;
}

// Expects a slab engine's values (or their sum over the slabs) to be the whole engine's: compare(tested, reference,
// what) adds a failure naming `what` when they differ more than the test allows.
using SlabComparison =
    std::function<void(const std::vector<float>& tested, const std::vector<float>& reference, const std::string& what)>;

// One engine over the whole detector and one per slab of a split (split_rows), made by `make`, fed the same frames.
class SlabEngines {
 public:
  using Factory = std::function<std::unique_ptr<Engine>()>;

  // Begins the scan of `whole` with `params` on every engine, the axial slice at detector row xy_row: in its own rows
  // on the slab that owns it, at row 0 on the others.
  SlabEngines(const Factory& make, const ScanGeometry& whole, const std::vector<std::uint32_t>& bounds,
              std::uint32_t halo, const ReconParams& params, std::uint32_t xy_row)
      : whole_geometry_(whole), slabs_(split_rows(whole, bounds, halo)), whole_(make()) {
    ReconParams whole_params = params;
    whole_params.slices.xy_row = xy_row;
    whole_->begin_scan(whole_geometry_, whole_params);
    for (const ScanGeometry& g : slabs_) {
      const DetectorSlab& s = g.slab;
      const bool owns_xy = xy_row >= s.first_row + s.owned_begin && xy_row < s.first_row + s.owned_end;
      if (owns_xy) xy_owner_ = engines_.size();
      ReconParams slab_params = params;
      slab_params.slices.xy_row = owns_xy ? xy_row - s.first_row : 0;
      engines_.push_back(make());
      engines_.back()->begin_scan(g, slab_params);
    }
  }

  // A whole-detector frame to every engine (each gets its slab's rows).
  void add_dark(const FrameView& frame) {
    whole_->add_dark(frame);
    for (std::size_t s = 0; s < slabs_.size(); ++s) engines_[s]->add_dark(slab_view(frame, slabs_[s]));
  }
  void add_flat(const FrameView& frame) {
    whole_->add_flat(frame);
    for (std::size_t s = 0; s < slabs_.size(); ++s) engines_[s]->add_flat(slab_view(frame, slabs_[s]));
  }
  // Returns the whole engine's counts and the slab engines' summed.
  std::pair<ProjectionStats, ProjectionStats> add_projection(std::uint32_t slot, float angle_rad,
                                                             const FrameView& frame) {
    std::pair<ProjectionStats, ProjectionStats> counts{whole_->add_projection(slot, angle_rad, frame), {}};
    for (std::size_t s = 0; s < slabs_.size(); ++s) {
      const ProjectionStats stats = engines_[s]->add_projection(slot, angle_rad, slab_view(frame, slabs_[s]));
      counts.second.clamped_values += stats.clamped_values;
      counts.second.zingers_replaced += stats.zingers_replaced;
    }
    return counts;
  }
  // Calls change(engine) on every engine; returns the whole engine's report and the slab engines' counts summed.
  std::pair<RefilterReport, RefilterReport> refilter(const std::function<RefilterReport(Engine&)>& change) {
    std::pair<RefilterReport, RefilterReport> reports{change(*whole_), {}};
    for (const auto& engine : engines_) {
      const RefilterReport report = change(*engine);
      reports.second.clamped_values += report.clamped_values;
      reports.second.zingers_replaced += report.zingers_replaced;
    }
    return reports;
  }
  void for_each(const std::function<void(Engine&)>& change) {
    change(*whole_);
    for (const auto& engine : engines_) change(*engine);
  }

  // Compares every slab's owned rows of the vertical slices and of `slots`' stored projections, the axial slice of
  // the slab owning its row, and the preview and the oblique slice (when enabled) summed over the slabs, with the
  // whole engine's.
  void compare(const SlabComparison& compare, const std::vector<std::uint32_t>& slots, const std::string& when) const {
    const std::uint32_t cols = whole_geometry_.cols;
    for (std::size_t s = 0; s < slabs_.size(); ++s) {
      const ScanGeometry& g = slabs_[s];
      const std::string what = when + ", " + slab_name(g);
      for (const Orthoslice slice : {Orthoslice::xz, Orthoslice::yz}) {
        const auto [of_slab, of_whole] =
            owned_rows(slice_values(*engines_[s], slice), slice_values(*whole_, slice), cols, g);
        compare(of_slab, of_whole, what + (slice == Orthoslice::xz ? ", xz slice" : ", yz slice"));
      }
      for (const std::uint32_t slot : slots) {
        const auto [of_slab, of_whole] = owned_rows(stored_projection(*engines_[s], slot, g),
                                                    stored_projection(*whole_, slot, whole_geometry_), cols, g);
        compare(of_slab, of_whole, what + ", stored projection " + std::to_string(slot));
      }
    }
    compare(slice_values(*engines_.at(xy_owner_), Orthoslice::xy), slice_values(*whole_, Orthoslice::xy),
            when + ", axial slice");

    const PreviewGrid grid = whole_->preview_shape();
    std::vector<std::vector<float>> previews, obliques;
    for (const auto& engine : engines_) {
      const PreviewGrid slab_grid = engine->preview_shape();
      EXPECT_EQ(std::vector<std::uint32_t>({slab_grid.layers, slab_grid.rows, slab_grid.cols, slab_grid.binning}),
                std::vector<std::uint32_t>({grid.layers, grid.rows, grid.cols, grid.binning}))
          << when << ": a slab's preview grid is the whole detector's";
      EXPECT_EQ(engine->oblique_shape(), whole_->oblique_shape()) << when << ": a slab's oblique slice is the whole's";
      if (grid.layers != 0) previews.push_back(preview_values(*engine));
      if (whole_->params().oblique.enabled) obliques.push_back(oblique_values(*engine));
    }
    if (!previews.empty()) compare(sum_of(previews), preview_values(*whole_), when + ", preview summed over the slabs");
    if (!obliques.empty()) {
      compare(sum_of(obliques), oblique_values(*whole_), when + ", oblique slice summed over the slabs");
    }
  }

  const Engine& whole() const { return *whole_; }

 private:
  ScanGeometry whole_geometry_;
  std::vector<ScanGeometry> slabs_;
  std::unique_ptr<Engine> whole_;
  std::vector<std::unique_ptr<Engine>> engines_;
  std::size_t xy_owner_ = 0;
};

}  // namespace tomolive::kernels::testing
