// A simulated scintillator + camera behind a parallel beam: turns line integrals into uint16 frames with the
// structure that dark/flat correction must remove (fixed-pattern offsets and gains, a non-uniform beam) and the noise
// and defects it cannot.
//
// Model, in counts, for pixel (r, c):
//   dark       = D + read noise
//   flat       = D + Poisson(I0 * G) + read noise
//   projection = D + Poisson(I0 * G * exp(-p)) + read noise          p = line integral of the ray of that pixel
// D = dark_level_counts + a per-pixel fixed offset (normal, sigma 3 counts).
// G = column gain (vertical stripes, 1 + 3% normal per column) * pixel gain (1 + 1% normal per pixel)
//     * a smooth beam profile (a 2D Gaussian slightly off-centre: 1 at its peak, ~0.75 at the top and bottom rows,
//     ~0.85 at the left and right columns).
// Values are rounded to nearest and clamped to [0, 65535] (photons above ~55000 saturate the brightest pixels).
// Defects (when enabled): max(2, rows * cols / 16384) dead pixels that read D + read noise whatever the light, and as
// many hot pixels that always read 65535, at distinct positions drawn from the seed.
// Noise (when enabled): read noise is normal with sigma read_noise_counts; Poisson is exact (inversion) for means
// below 30 counts and the normal approximation N(mean, mean) above, which ignores the skewness 1/sqrt(mean) (0.18 at
// 30 counts, 0.007 at 20 000). With noise off every frame is the rounded expected value.
//
// Everything random (maps, defects, noise) is a pure function of the seed, the frame kind, the frame id and the pixel,
// so a frame is reproducible bit for bit, independent of the order of generation and of the thread count.
//
// A DetectorModel is immutable after construction; its const methods are safe to call concurrently.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tomolive/protocol/messages.hpp"

namespace tomolive::sim {

struct DetectorConfig {
  std::uint32_t rows = 0;
  std::uint32_t cols = 0;
  double photons = 20000.0;        // I0: mean counts above dark of an open-beam pixel of gain 1 at the beam peak
  double dark_level_counts = 100.0;
  double read_noise_counts = 2.0;  // sigma of the per-frame read noise
  bool noise = true;               // per-frame read noise and photon noise
  bool defects = true;             // dead and hot pixels
  std::uint64_t seed = 1;
};

class DetectorModel {
 public:
  // Throws std::invalid_argument if rows or cols is 0, rows * cols >= 2^32, or a level is negative or not finite.
  explicit DetectorModel(const DetectorConfig& config);

  const DetectorConfig& config() const { return config_; }

  // The fixed pattern, row-major rows * cols: D in counts, and G (relative, ~1 at the beam peak).
  std::span<const float> dark_map() const { return dark_; }
  std::span<const float> gain_map() const { return gain_; }
  // Pixel indices (row * cols + col), sorted; empty when defects are disabled.
  const std::vector<std::uint32_t>& dead_pixels() const { return dead_; }
  const std::vector<std::uint32_t>& hot_pixels() const { return hot_; }

  // One detector row of a frame. `line_integrals` holds the cols line integrals of the row for a projection and must
  // be empty for darks and flats; `out` receives cols counts. Throws std::invalid_argument on a size mismatch or a
  // row out of range.
  void expose_row(protocol::FrameKind kind, std::uint64_t frame_id, std::uint32_t row,
                  std::span<const float> line_integrals, std::span<std::uint16_t> out) const;

  // Whole frames, rows * cols row-major (the same values as expose_row, row by row).
  void dark(std::uint64_t frame_id, std::span<std::uint16_t> out) const;
  void flat(std::uint64_t frame_id, std::span<std::uint16_t> out) const;
  void projection(std::uint64_t frame_id, std::span<const float> line_integrals, std::span<std::uint16_t> out) const;

 private:
  enum class Defect : std::uint8_t { none, dead, hot };

  void expose_frame(protocol::FrameKind kind, std::uint64_t frame_id, std::span<const float> line_integrals,
                    std::span<std::uint16_t> out) const;

  DetectorConfig config_;
  std::vector<float> dark_;
  std::vector<float> gain_;
  std::vector<Defect> defect_;
  std::vector<std::uint32_t> dead_;
  std::vector<std::uint32_t> hot_;
};

}  // namespace tomolive::sim
