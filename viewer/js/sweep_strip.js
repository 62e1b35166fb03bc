// The sweep strip: one thumbnail per candidate of a center sweep (PROTOCOL.md 10.4, 14.3 sweep frames), labelled with
// its offset and sharpness metric (lower is sharper), the sharpest (best_offset_px) highlighted and the center in use
// marked; or of a processing sweep (10.8), labelled with the daemon's candidate labels. Clicking a thumbnail (or Enter
// on it) applies that center, or that processing setting, in control mode only; a read-only page shows why in the
// thumbnail's tooltip. Esc or the close button hides the strip.
//
// Thumbnails are drawn in paint(), which the page calls from requestAnimationFrame, with the page's colormap and
// one display window for the whole strip (sweep_plan.js stripWindow), so that candidates compare fairly; they are
// redrawn when the window or colormap change. Every thumbnail has the proportions of the swept region, also when
// its image samples the region every pixel_step pixels (its sides are then rounded up: ceil(side / step)).

import { colorizeQuantized } from "./contrast.js";

const CURRENT_TOLERANCE_PX = 1e-3;

export class SweepStrip {
  // root: the strip's element ([data-testid=sweep-strip]: .sweep-title, .thumbs, a close button)
  // page: {window(headers) -> {min, max} (1/pixel), colormapName(), colormapLut(), pickCenter(offset) -> bool,
  //        pickProcessing(parameter, value) -> bool, requestPaint()}
  constructor(root, page) {
    this.root = root;
    this.page = page;
    this.title = root.querySelector("[data-testid=sweep-title]");
    this.thumbsElement = root.querySelector("[data-testid=sweep-thumbs]");
    this.hint = root.querySelector("[data-testid=sweep-hint]");
    root.querySelector("[data-testid=sweep-close]").addEventListener("click", () => this.close());
    this.sweep = null;       // the reply's content, see show()
    this.thumbs = [];        // per candidate: {element, canvas, header, data, drawnKey}
    this.drawnKey = "";
    this.pickAllowed = false;
    this.pickBlockedReason = "";
    this.currentOffset = null;
    this.picks = 0;
    this.scrollToBest = false;
  }

  get visible() {
    return !this.root.hidden;
  }

  // Opens the strip for a sweep reply, with a placeholder per candidate until its frame arrives.
  // sweep: center: {sweepId, scanId, xyRow, region, pixelStep, imageShape, requestedPx, centersPx, metric, bestIndex,
  //                elapsedMs};
  //        processing: {sweepId, scanId, xyRow, region, parameter, values, labels, metric, bestIndex, elapsedMs}
  show(sweep) {
    this.sweep = sweep;
    this.thumbs = [];
    this.thumbsElement.replaceChildren();
    sweep.metric.forEach((_, index) => this.thumbs.push(this.createThumb(index)));
    const [row0, col0, rows, cols] = sweep.region;
    const what = sweep.parameter ? `Processing sweep (${sweep.parameter})` : "Center sweep";
    const sharpest = sweep.parameter ? sweep.labels[sweep.bestIndex]
                                     : `${signed(sweep.centersPx[sweep.bestIndex], 2)} px`;
    const sampled = sweep.pixelStep > 1
      ? ` sampled every ${sweep.pixelStep} px (${sweep.imageShape[0]}×${sweep.imageShape[1]})` : "";
    this.title.textContent = `${what} · ${sweep.metric.length} candidates · scan ${sweep.scanId ?? "–"} ` +
      `row ${sweep.xyRow} · region ${rows}×${cols} at (${row0}, ${col0})${sampled} · sharpest ` +
      `${sharpest} · ${sweep.elapsedMs.toFixed(0)} ms`;
    this.root.hidden = false;
    this.updatePickState();
    this.scrollToBest = true;  // once its image is drawn (and the thumbnails have their widths)
    this.page.requestPaint();
  }

  createThumb(index) {
    const s = this.sweep;
    const element = document.createElement("button");
    element.type = "button";
    element.className = "thumb";
    element.dataset.testid = "sweep-thumb";
    element.dataset.index = String(index);
    if (s.parameter) {
      element.dataset.value = String(s.values[index]);
    } else {
      element.dataset.offset = String(s.requestedPx[index]);
    }
    element.dataset.drawn = "false";
    element.classList.toggle("best", index === s.bestIndex);
    if (index === s.bestIndex) element.dataset.best = "true";
    const canvas = document.createElement("canvas");
    canvas.width = 1;
    canvas.height = 1;
    canvas.style.aspectRatio = `${s.region[3]} / ${s.region[2]}`;  // the region's, whatever the image's sampling
    const label = document.createElement("span");
    label.className = "thumb-label";
    const offset = document.createElement("span");
    offset.className = "thumb-offset";
    // A processing candidate's label without its parameter's name ("delta_over_beta 250" -> "250").
    offset.textContent = s.parameter ? s.labels[index].replace(/^\S+ /, "")
                                     : `${signed(s.requestedPx[index], 2)} px`;
    const metric = document.createElement("span");
    metric.className = "thumb-metric";
    metric.textContent = Number.isFinite(s.metric[index]) ? s.metric[index].toFixed(3) : "–";
    metric.title = "sharpness metric: entropy of the region's histogram, lower is sharper";
    label.append(offset, metric);
    element.append(canvas, label);
    element.addEventListener("click", () => this.pick(index));
    this.thumbsElement.append(element);
    return { element, canvas, header: null, data: null, drawnKey: "" };
  }

  // A sweep frame (decoded TLS1 message) of the sweep shown; others are ignored.
  receiveFrame(header, data) {
    if (!this.sweep || header.sweep_id !== this.sweep.sweepId) return false;
    const thumb = this.thumbs[header.index];
    if (!thumb) return false;
    thumb.header = header;
    thumb.data = data;
    thumb.drawnKey = "";
    this.page.requestPaint();
    return true;
  }

  // Draws thumbnails whose frame or window changed; cheap when nothing did.
  paint() {
    if (!this.sweep || !this.visible) return;
    const received = this.thumbs.filter((t) => t.header);
    if (received.length === 0) return;
    const window = this.page.window(received.map((t) => t.header));
    const key = `${window.min}|${window.max}|${this.page.colormapName()}`;
    this.drawnKey = key;
    for (const thumb of received) {
      if (thumb.drawnKey === key) continue;
      drawThumb(thumb, window, this.page.colormapLut());
      thumb.drawnKey = key;
      thumb.element.dataset.drawn = "true";
    }
    const best = this.thumbs[this.sweep.bestIndex];
    if (this.scrollToBest && best?.header) {
      // The sharpest candidate in view, without scrolling the page.
      best.element.scrollIntoView({ block: "nearest", inline: "center" });
      this.scrollToBest = false;
    }
  }

  // Whether clicking applies a center; `reason` is the tooltip when it does not.
  setPickAllowed(allowed, reason) {
    this.pickAllowed = allowed;
    this.pickBlockedReason = reason;
    this.hint.textContent = allowed ? "click a candidate to use it · Esc closes"
                                    : "read-only: picking is off · Esc closes";
    this.hint.title = allowed ? "" : reason;
    this.updatePickState();
  }

  // The center in use (status), marked in the strip.
  setCurrentCenter(offset) {
    this.currentOffset = offset;
    this.updatePickState();
  }

  updatePickState() {
    if (!this.sweep) return;
    this.root.classList.toggle("pick-blocked", !this.pickAllowed);
    const processing = Boolean(this.sweep.parameter);
    this.thumbs.forEach((thumb, index) => {
      const offset = processing ? null : this.sweep.requestedPx[index];
      const current = !processing && this.currentOffset !== null &&
                      Math.abs(offset - this.currentOffset) < CURRENT_TOLERANCE_PX;
      thumb.element.classList.toggle("current", current);
      thumb.element.setAttribute("aria-disabled", String(!this.pickAllowed));
      const candidate = processing ? this.sweep.labels[index] : `${signed(offset, 3)} px`;
      const what = `${candidate}, metric ${this.sweep.metric[index]?.toFixed(4)}` +
                   `${index === this.sweep.bestIndex ? " (sharpest)" : ""}${current ? " (in use)" : ""}`;
      thumb.element.title = this.pickAllowed ? `${what}: click to use ${processing ? "this setting" : "this center"}`
                                             : `${what}. Cannot apply: ${this.pickBlockedReason}`;
    });
  }

  pick(index) {
    if (!this.pickAllowed || !this.sweep) return;
    const s = this.sweep;
    const picked = s.parameter ? this.page.pickProcessing(s.parameter, s.values[index])
                               : this.page.pickCenter(s.requestedPx[index]);
    if (picked) {
      ++this.picks;
      for (const thumb of this.thumbs) thumb.element.classList.remove("picked");
      this.thumbs[index].element.classList.add("picked");
    }
  }

  close() {
    this.root.hidden = true;
  }

  // Esc closes the strip; returns true when the key was handled.
  handleKey(event) {
    if (event.key !== "Escape" || !this.visible) return false;
    this.close();
    return true;
  }

  // Read-only snapshot for the test hook.
  snapshot() {
    return {
      visible: this.visible,
      sweep: this.sweep ? structuredClone(this.sweep) : null,
      pickAllowed: this.pickAllowed,
      picks: this.picks,
      window: this.drawnKey,
      thumbs: this.thumbs.map((t, index) => ({
        index,
        offset: this.sweep.parameter ? null : this.sweep.requestedPx[index],
        value: this.sweep.parameter ? this.sweep.values[index] : null,
        received: t.header !== null,
        drawn: t.drawnKey !== "",
        header: t.header ? structuredClone(t.header) : null,
      })),
    };
  }
}

function drawThumb(thumb, window, lut) {
  const { header, data, canvas } = thumb;
  const [rows, cols] = header.data_shape;
  if (canvas.width !== cols || canvas.height !== rows) {
    canvas.width = cols;
    canvas.height = rows;
  }
  const context = canvas.getContext("2d");
  const image = context.createImageData(cols, rows);
  colorizeQuantized(new Uint32Array(image.data.buffer), header, data, window, lut);
  context.putImageData(image, 0, 0);
}

function signed(value, digits) {
  return `${value >= 0 ? "+" : ""}${Number(value).toFixed(digits)}`;
}
