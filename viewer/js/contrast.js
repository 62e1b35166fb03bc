// The display window (value range mapped onto the colormap) shared by the three panes, and the histogram it is
// chosen from.
//
// Automatic mode puts the window at the 0.5 and 99.5 percentiles of the values the panes show now; manual mode keeps
// the min/max the user typed. Percentiles come from a strided sample of each pane's newest data (at most
// SAMPLES_PER_PANE values each) binned into FINE_BINS bins over the sample's range, so that a frame costs O(samples)
// and no sort, whatever the slice size; a percentile is exact to 1/FINE_BINS of the range. Values are attenuation
// in 1/pixel. Pure state, no DOM.

import { QUANT_MAX } from "./slice_message.js";

const SAMPLES_PER_PANE = 16384;
const FINE_BINS = 4096;
export const AUTO_PERCENTILES = [0.5, 99.5];

export class ContrastWindow {
  constructor() {
    this.mode = "auto";        // "auto" or "manual"
    this.min = 0;              // 1/pixel
    this.max = 1;              // 1/pixel
    this.samples = new Map();  // slice name -> {values: Float32Array, lo, hi}
    this.lo = NaN;             // range of all samples
    this.hi = NaN;
    this.count = 0;
    this.cumulative = new Float64Array(FINE_BINS);  // samples in fine bins 0..k
    this.version = 0;          // increases whenever min or max change
    this.stale = false;        // samples changed since the last refresh()
  }

  // Replaces the sample of one pane with a sample of its newest data (quantized values under `header`).
  updateSamples(sliceName, header, data) {
    const stride = Math.max(1, Math.floor(data.length / SAMPLES_PER_PANE));
    const values = new Float32Array(Math.ceil(data.length / stride));
    const scale = (header.value_max - header.value_min) / QUANT_MAX;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0, k = 0; i < data.length; i += stride, ++k) {
      const v = header.value_min + data[i] * scale;
      values[k] = v;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    this.samples.set(sliceName, { values, lo, hi });
    this.stale = true;
  }

  // Bins the samples changed since the last call and, in automatic mode, moves the window; returns whether the
  // samples changed. Called once per drawn frame, not per message.
  refresh() {
    if (!this.stale) return false;
    this.stale = false;
    this.merge();
    if (this.mode === "auto") this.applyAuto();
    return true;
  }

  merge() {
    let lo = Infinity;
    let hi = -Infinity;
    let count = 0;
    for (const s of this.samples.values()) {
      lo = Math.min(lo, s.lo);
      hi = Math.max(hi, s.hi);
      count += s.values.length;
    }
    this.lo = lo;
    this.hi = hi;
    this.count = count;
    const counts = this.histogram(FINE_BINS, lo, hi).counts;
    let sum = 0;
    for (let b = 0; b < FINE_BINS; ++b) {
      sum += counts[b];
      this.cumulative[b] = sum;
    }
  }

  // The p-th percentile (0..100) of the sampled values, or NaN with no sample.
  percentile(p) {
    if (this.count === 0) return NaN;
    if (!(this.hi > this.lo)) return this.lo;
    const rank = (p / 100) * this.count;  // samples at or below the value
    let b = 0;
    while (b < FINE_BINS - 1 && this.cumulative[b] < rank) ++b;
    const below = b > 0 ? this.cumulative[b - 1] : 0;
    const inBin = this.cumulative[b] - below;
    const fraction = inBin > 0 ? Math.min(1, Math.max(0, (rank - below) / inBin)) : 0;
    return this.lo + ((b + fraction) / FINE_BINS) * (this.hi - this.lo);
  }

  setAuto() {
    this.mode = "auto";
    this.applyAuto();
  }

  applyAuto() {
    const lo = this.percentile(AUTO_PERCENTILES[0]);
    let hi = this.percentile(AUTO_PERCENTILES[1]);
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) return;
    if (!(hi > lo)) hi = lo + Math.max(Math.abs(lo) * 1e-3, 1e-9);
    this.set(lo, hi);
  }

  // Manual window; ignored unless min < max and both are finite.
  setManual(min, max) {
    if (!Number.isFinite(min) || !Number.isFinite(max) || !(max > min)) return false;
    this.mode = "manual";
    this.set(min, max);
    return true;
  }

  set(min, max) {
    if (min === this.min && max === this.max) return;
    this.min = min;
    this.max = max;
    ++this.version;
  }

  // Counts of the sampled values in `bins` equal bins over [lo, hi] (default: the samples' range); values outside
  // are not counted, `hi` itself goes into the last bin.
  histogram(bins, lo = this.lo, hi = this.hi) {
    const counts = new Uint32Array(bins);
    if (this.samples.size === 0 || !(hi > lo)) return { lo, hi, counts };
    const scale = bins / (hi - lo);
    for (const { values } of this.samples.values()) {
      for (let i = 0; i < values.length; ++i) {
        const b = Math.floor((values[i] - lo) * scale);
        if (b >= 0 && b < bins) ++counts[b];
        else if (b === bins) ++counts[bins - 1];
      }
    }
    return { lo, hi, counts };
  }
}

// Fills `table` (Uint32Array of 65536) so that table[q] is the packed RGBA pixel of quantized value q under
// `header`, shown through `window` ({min, max}) with the colormap `lut` (Uint32Array of 256).
export function fillQuantizedColorTable(table, header, window, lut) {
  const last = lut.length - 1;
  const scale = (header.value_max - header.value_min) / QUANT_MAX;
  const span = window.max - window.min;
  for (let q = 0; q <= QUANT_MAX; ++q) {
    const t = (header.value_min + q * scale - window.min) / span;
    const index = t <= 0 ? 0 : t >= 1 ? last : Math.round(t * last);
    table[q] = lut[index];
  }
}

// Writes into `pixels` (Uint32Array of data.length packed RGBA pixels) the quantized values `data` under `header`,
// shown through `window` ({min, max}) with the colormap `lut` (Uint32Array of 256). For small images (the sweep's
// thumbnails), where a 65536-entry table per image would cost more than the pixels.
export function colorizeQuantized(pixels, header, data, window, lut) {
  const last = lut.length - 1;
  const scale = (header.value_max - header.value_min) / QUANT_MAX;
  const span = window.max - window.min;
  for (let i = 0; i < data.length; ++i) {
    const t = (header.value_min + data[i] * scale - window.min) / span;
    pixels[i] = lut[t <= 0 ? 0 : t >= 1 ? last : Math.round(t * last)];
  }
}
