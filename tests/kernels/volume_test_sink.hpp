// VolumeCollector: a kernels::VolumeSink for tests that gathers the slabs of Engine::reconstruct_volume into one
// z-major array and checks the order and shape of what the engine hands it (increasing, contiguous slabs; at most
// max_outstanding_slabs() outstanding). stop_at_memory / stop_after_done make it stop the volume at a chosen slab.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <vector>

#include "tomolive/kernels/engine.hpp"

namespace tomolive::kernels::testing {

class VolumeCollector final : public VolumeSink {
 public:
  // `max_outstanding`: the slabs the sink can hold at once (max_outstanding_slabs), at least 2.
  explicit VolumeCollector(const VolumeBox& box, std::size_t max_outstanding = 2)
      : box_(box),
        max_outstanding_(max_outstanding),
        layer_pixels_(std::size_t{box.region.rows} * box.region.cols),
        values_(layer_pixels_ * box.rows, std::numeric_limits<float>::quiet_NaN()),
        next_row_(box.row0) {}

  std::optional<std::uint32_t> stop_at_memory;   // slab_memory of the slab starting at this row returns empty
  std::optional<std::uint32_t> stop_after_done;  // slab_done of the slab starting at this row returns false

  std::size_t max_outstanding_slabs() const override { return max_outstanding_; }

  std::span<float> slab_memory(std::uint32_t row0, std::uint32_t rows) override {
    EXPECT_EQ(row0, next_row_) << "slabs must come in order, without gaps";
    EXPECT_LE(row0 + rows, box_.row0 + box_.rows);
    EXPECT_LT(outstanding_, max_outstanding_) << "at most max_outstanding_slabs() slabs may be outstanding";
    if (stop_at_memory == row0) return {};
    next_row_ = row0 + rows;
    ++outstanding_;
    ++slabs_given_;
    return std::span<float>(values_).subspan((row0 - box_.row0) * layer_pixels_, std::size_t{rows} * layer_pixels_);
  }

  bool slab_done(std::uint32_t row0, std::uint32_t rows) override {
    EXPECT_EQ(row0, done_row_) << "slabs must be done in order";
    EXPECT_GT(outstanding_, 0u);
    --outstanding_;
    done_row_ = row0 + rows;
    ++slabs_done_;
    return stop_after_done != row0;
  }

  // Layer z (0 = box.row0) of the volume: region.rows x region.cols floats.
  std::vector<float> layer(std::uint32_t z) const {
    const auto begin = values_.begin() + static_cast<std::ptrdiff_t>(z * layer_pixels_);
    return {begin, begin + static_cast<std::ptrdiff_t>(layer_pixels_)};
  }
  const std::vector<float>& values() const { return values_; }
  std::uint32_t slabs_given() const { return slabs_given_; }
  std::uint32_t slabs_done() const { return slabs_done_; }
  std::uint32_t rows_done() const { return done_row_ - box_.row0; }

 private:
  VolumeBox box_;
  std::size_t max_outstanding_;
  std::size_t layer_pixels_;
  std::vector<float> values_;
  std::uint32_t next_row_;
  std::uint32_t done_row_ = box_.row0;
  std::uint32_t outstanding_ = 0;
  std::uint32_t slabs_given_ = 0;
  std::uint32_t slabs_done_ = 0;
};

}  // namespace tomolive::kernels::testing
