// The display window (value range mapped onto the colormap) shared by the three panes, and the histogram it is
// chosen from.
//
// Automatic mode puts the window at the 0.5 and 99.5 percentiles of the values the panes show now; manual mode keeps
// the min/max the user typed. Percentiles and the histogram come from a strided sample of each pane's newest data
// (at most SAMPLES_PER_PANE values each), so that a 2048-pixel slice costs no more than a small one. Values are
// attenuation in 1/pixel. Pure state, no DOM.

import { QUANT_MAX } from "./slice_message.js";

const SAMPLES_PER_PANE = 32768;
export const AUTO_PERCENTILES = [0.5, 99.5];

export class ContrastWindow {
  constructor() {
    this.mode = "auto";        // "auto" or "manual"
    this.min = 0;              // 1/pixel
    this.max = 1;              // 1/pixel
    this.samples = new Map();  // slice name -> sorted Float32Array of sampled values
    this.sorted = new Float32Array(0);
    this.version = 0;          // increases whenever min or max change
    this.stale = false;        // samples changed since the last refresh()
  }

  // Replaces the sample of one pane with a sample of its newest data (quantized values under `header`).
  updateSamples(sliceName, header, data) {
    const stride = Math.max(1, Math.floor(data.length / SAMPLES_PER_PANE));
    const sample = new Float32Array(Math.ceil(data.length / stride));
    const scale = (header.value_max - header.value_min) / QUANT_MAX;
    for (let i = 0, k = 0; i < data.length; i += stride, ++k) sample[k] = header.value_min + data[i] * scale;
    this.samples.set(sliceName, sample);
    this.stale = true;
  }

  // Merges the samples changed since the last call and, in automatic mode, moves the window; returns whether the
  // samples changed. Called once per drawn frame, not per message.
  refresh() {
    if (!this.stale) return false;
    this.stale = false;
    this.merge();
    if (this.mode === "auto") this.applyAuto();
    return true;
  }

  merge() {
    let total = 0;
    for (const s of this.samples.values()) total += s.length;
    const merged = new Float32Array(total);
    let offset = 0;
    for (const s of this.samples.values()) {
      merged.set(s, offset);
      offset += s.length;
    }
    merged.sort();
    this.sorted = merged;
  }

  // The p-th percentile (0..100) of the sampled values, or NaN with no sample.
  percentile(p) {
    const n = this.sorted.length;
    if (n === 0) return NaN;
    const position = (p / 100) * (n - 1);
    const k = Math.floor(position);
    const f = position - k;
    return k + 1 < n ? this.sorted[k] + f * (this.sorted[k + 1] - this.sorted[k]) : this.sorted[n - 1];
  }

  setAuto() {
    this.mode = "auto";
    this.applyAuto();
  }

  applyAuto() {
    let lo = this.percentile(AUTO_PERCENTILES[0]);
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

  // Counts of the sampled values in `bins` equal bins over [lo, hi] (default: the sample's range).
  histogram(bins, lo = this.sorted[0], hi = this.sorted[this.sorted.length - 1]) {
    const counts = new Uint32Array(bins);
    if (this.sorted.length === 0 || !(hi > lo)) return { lo, hi, counts };
    const scale = bins / (hi - lo);
    for (const v of this.sorted) {
      const b = Math.floor((v - lo) * scale);
      if (b >= 0 && b < bins) ++counts[b];
      else if (b === bins) ++counts[bins - 1];
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
