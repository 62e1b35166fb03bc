// Flat-field correction and -log, shared by the CPU and CUDA engines.
// Units: raw, dark and flat in detector counts; the result is dimensionless. Thread safety: a pure function.
#pragma once

#include <cmath>

#include "tomolive/kernels/host_device.hpp"

namespace tomolive::kernels {

// Line integral (attenuation, dimensionless) of one pixel: -log((raw - dark) / (flat - dark)).
// A transmission below min_transmission, or a pixel whose flat is not above its dark (dead pixel), is clamped:
// dead pixels get transmission 1 (no information, no attenuation), others min_transmission; `clamped` is set then.
TOMOLIVE_HD inline float attenuation(float raw, float dark, float flat, float min_transmission, bool& clamped) {
  const float open = flat - dark;
  if (!(open > 0.f)) {
    clamped = true;
    return 0.f;
  }
  float transmission = (raw - dark) / open;
  if (!(transmission >= min_transmission)) {  // also catches NaN
    clamped = true;
    transmission = min_transmission;
  } else {
    clamped = false;
  }
  return -logf(transmission);
}

}  // namespace tomolive::kernels
