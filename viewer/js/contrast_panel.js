// The contrast controls: colormap choice, automatic window (percentiles) or manual min/max, and the histogram of
// the values shown with the window marked. Changes go to the shared ContrastWindow; the page redraws the panes.

import { AUTO_PERCENTILES } from "./contrast.js";
import { COLORMAP_NAMES, colormapGradient } from "./colormaps.js";

const BINS = 128;

export class ContrastPanel {
  // page: {contrast, colormapChanged(name), windowChanged()}
  constructor(root, page) {
    this.page = page;
    this.contrast = page.contrast;
    this.select = root.querySelector("[data-testid=colormap]");
    this.autoButton = root.querySelector("[data-testid=contrast-auto]");
    this.minInput = root.querySelector("[data-testid=contrast-min]");
    this.maxInput = root.querySelector("[data-testid=contrast-max]");
    this.modeText = root.querySelector("[data-testid=contrast-mode]");
    this.canvas = root.querySelector("[data-testid=histogram]");
    this.bar = root.querySelector(".colormap-bar");
    this.drawnVersion = -1;

    for (const name of COLORMAP_NAMES) this.select.add(new Option(name, name));
    this.select.addEventListener("change", () => this.setColormap(this.select.value));
    this.autoButton.addEventListener("click", () => this.setAuto());
    const manual = () => {
      if (this.contrast.setManual(Number(this.minInput.value), Number(this.maxInput.value))) page.windowChanged();
    };
    this.minInput.addEventListener("change", manual);
    this.maxInput.addEventListener("change", manual);
    this.autoButton.title = `window from the ${AUTO_PERCENTILES[0]} and ${AUTO_PERCENTILES[1]} percentiles (key A)`;
  }

  setColormap(name) {
    this.select.value = name;
    this.bar.style.background = colormapGradient(name);
    this.page.colormapChanged(name);
    this.drawnVersion = -1;
  }

  // Steps to the next colormap (key C).
  cycleColormap() {
    const next = COLORMAP_NAMES[(COLORMAP_NAMES.indexOf(this.select.value) + 1) % COLORMAP_NAMES.length];
    this.setColormap(next);
  }

  setAuto() {
    this.contrast.setAuto();
    this.page.windowChanged();
  }

  // Shows the window and redraws the histogram; cheap when nothing changed.
  update(samplesChanged) {
    const c = this.contrast;
    this.modeText.textContent = c.mode === "auto" ? `auto ${AUTO_PERCENTILES[0]}–${AUTO_PERCENTILES[1]} %` : "manual";
    if (document.activeElement !== this.minInput) this.minInput.value = c.min.toPrecision(4);
    if (document.activeElement !== this.maxInput) this.maxInput.value = c.max.toPrecision(4);
    if (!samplesChanged && this.drawnVersion === c.version) return;
    this.drawnVersion = c.version;
    this.drawHistogram();
  }

  drawHistogram() {
    const canvas = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.max(1, Math.round(canvas.clientWidth * ratio));
    canvas.height = Math.max(1, Math.round(canvas.clientHeight * ratio));
    const context = canvas.getContext("2d");
    const { width, height } = canvas;
    context.fillStyle = "#101317";
    context.fillRect(0, 0, width, height);
    const c = this.contrast;
    // The range shown: the sample's range widened to include the window.
    const lo = Number.isFinite(c.lo) ? Math.min(c.lo, c.min) : c.min;
    const hi = Number.isFinite(c.hi) ? Math.max(c.hi, c.max) : c.max;
    const { counts } = c.histogram(BINS, lo, hi);
    const peak = Math.max(1, ...counts);
    const barWidth = width / BINS;
    context.fillStyle = "#8a96a3";
    for (let b = 0; b < BINS; ++b) {
      if (counts[b] === 0) continue;
      const h = (Math.log1p(counts[b]) / Math.log1p(peak)) * (height - 2);
      context.fillRect(b * barWidth, height - h, Math.max(1, barWidth - 0.5), h);
    }
    if (hi > lo) {
      context.strokeStyle = "#ffd24a";
      context.lineWidth = 1.5 * ratio;
      for (const value of [c.min, c.max]) {
        const x = ((value - lo) / (hi - lo)) * width;
        context.beginPath();
        context.moveTo(x, 0);
        context.lineTo(x, height);
        context.stroke();
      }
    }
  }
}
