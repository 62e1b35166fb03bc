// One slice pane: a canvas showing the newest version of one orthoslice (or of the oblique slice) through the shared
// contrast window and colormap, with crosshairs where the other two slices cut it and, while the oblique slice is
// shown, its trace (purple), and the pointer interaction:
//   left click / drag          move the other two slices through the pointer (control mode only); in the
//                              "Centre sample" mode a left click picks the sample there instead (sample_centring.js)
//   Alt + left drag (or left drag in tilt mode)   tilt the oblique slice: on release its plane holds the dragged
//                              segment and the pane's normal (set_oblique_slice with points; control mode only)
//   wheel                      zoom about the pointer;  double click: fit the whole slice again
//   right or middle drag, Shift + left drag (or left drag in read-only mode)   pan
// and the readout of the value under the pointer (1/pixel, and per metre when the pixel size is known).
//
// Drawing happens only in paint(), which the page calls from requestAnimationFrame: a new message is turned into
// RGBA pixels at the data's resolution (putImageData into an offscreen canvas), then drawn scaled into the visible
// canvas. Messages that arrive faster than frames replace each other; only the newest is drawn.

import { PaneView } from "./pane_view.js";
import { crosshairLines, obliqueTrace, pointCoordinates, slicesThrough, tiltPoints } from "./slice_geometry.js";
import { dequantize } from "./slice_message.js";
import { fillQuantizedColorTable } from "./contrast.js";

export const SLICE_COLORS = { xy: "#ff5d5d", xz: "#4cd964", yz: "#4aa8ff", oblique: "#c77dff" };
const TITLES = { xy: "XY (axial)", xz: "XZ", yz: "YZ", oblique: "Oblique" };
const MAX_SHAPE = 16384;

export class SlicePane {
  // element: the pane's container (holds a .pane-title, a canvas and a .pane-readout)
  // page: {contrast (the shared ContrastWindow), colormapName(), colormapLut(), positions() (the three slice
  //        positions or null), dims() ({rows, cols}: detector rows, slice columns N; or null), pixelSizeUm() (or null),
  //        controlAllowed(), moveSlices(set_slices fields), viewChanged(pane), requestPaint(), oblique() (the oblique
  //        plane shown, {normal, offset_px}, or null), tiltMode(), tiltOblique(points: nine numbers)}
  constructor(name, element, page) {
    this.name = name;
    this.page = page;
    this.element = element;
    this.canvas = element.querySelector("canvas");
    this.context = this.canvas.getContext("2d", { alpha: false });
    this.title = element.querySelector(".pane-title");
    this.info = element.querySelector(".pane-info");
    this.readout = element.querySelector(".pane-readout");
    this.offscreen = document.createElement("canvas");
    this.offscreenContext = this.offscreen.getContext("2d");
    this.imageData = null;
    this.colorTable = new Uint32Array(65536);
    this.colorKey = "";
    this.view = new PaneView();

    this.incoming = null;        // newest received, not drawn: {header, data, token}
    this.shown = null;           // drawn now: {header, data}
    this.framesReceived = 0;
    this.framesDrawn = 0;
    this.framesSuperseded = 0;   // received but replaced before they were drawn
    this.decodeErrors = 0;
    this.needsImage = false;     // offscreen pixels are stale
    this.needsDraw = false;      // visible canvas is stale
    this.drag = null;
    this.hover = null;           // [x, y] canvas pixels under the pointer

    this.title.textContent = TITLES[name];
    element.style.setProperty("--slice-color", SLICE_COLORS[name]);
    this.attachPointer();
    new ResizeObserver(() => this.resize()).observe(this.canvas);
    this.resize();
  }

  // A decoded slice message for this pane; token: the latency meter's, or null.
  receive(header, data, token) {
    if (this.incoming) ++this.framesSuperseded;
    this.incoming = { header, data, token };
    ++this.framesReceived;
    this.page.requestPaint();
  }

  // Takes the newest message as the one to show; returns it (for the contrast sample) or null if none is new.
  adoptIncoming() {
    if (!this.incoming) return null;
    const message = this.incoming;
    this.incoming = null;
    this.shown = message;
    const [rows, cols] = message.header.shape;
    if (this.view.setSlice(rows, cols)) this.page.viewChanged(this);
    this.needsImage = true;
    return message;
  }

  invalidateImage() {
    this.markImageStale();
    this.page.requestPaint();
  }

  // The pixels must be rebuilt from the data at the next paint (window or colormap changed).
  markImageStale() {
    if (this.shown) this.needsImage = true;
  }

  invalidate() {
    this.needsDraw = true;
    this.page.requestPaint();
  }

  // Draws what changed; returns the latency token of a newly drawn message, or null.
  paint() {
    let token = null;
    if (this.needsImage && this.shown) {
      this.renderImage();
      if (this.shown.token) {
        token = this.shown.token;
        this.shown.token = null;
      }
      ++this.framesDrawn;
      this.needsImage = false;
      this.needsDraw = true;
    }
    if (this.needsDraw) {
      this.drawCanvas();
      this.needsDraw = false;
    }
    return token;
  }

  renderImage() {
    const { header, data } = this.shown;
    const [rows, cols] = header.data_shape;
    if (!this.imageData || this.imageData.width !== cols || this.imageData.height !== rows) {
      this.imageData = new ImageData(cols, rows);
      this.offscreen.width = cols;
      this.offscreen.height = rows;
    }
    const window = this.page.contrast;
    const key = `${header.value_min}|${header.value_max}|${window.min}|${window.max}|${this.page.colormapName()}`;
    if (key !== this.colorKey) {
      fillQuantizedColorTable(this.colorTable, header, window, this.page.colormapLut());
      this.colorKey = key;
    }
    const pixels = new Uint32Array(this.imageData.data.buffer);
    const table = this.colorTable;
    for (let i = 0; i < data.length; ++i) pixels[i] = table[data[i]];
    this.offscreenContext.putImageData(this.imageData, 0, 0);
  }

  drawCanvas() {
    const context = this.context;
    const { width, height } = this.canvas;
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.fillStyle = "#101317";
    context.fillRect(0, 0, width, height);
    if (!this.shown) return;
    const { header } = this.shown;
    const [row0, col0, regionRows, regionCols] = header.region;
    const [blockRows, blockCols] = blockSize(header);
    const [x0, y0] = this.view.toCanvas(col0 - 0.5, row0 - 0.5);
    const s = this.view.scale();
    // Magnified data pixels stay sharp squares; reduced ones are smoothed. Partial blocks at the bottom and right
    // edges are drawn whole and clipped to the region.
    context.imageSmoothingEnabled = blockCols * s < 1;
    context.save();
    context.beginPath();
    context.rect(x0, y0, regionCols * s, regionRows * s);
    context.clip();
    context.drawImage(this.offscreen, 0, 0, this.offscreen.width, this.offscreen.height,
                      x0, y0, header.data_shape[1] * blockCols * s, header.data_shape[0] * blockRows * s);
    context.restore();
    this.drawCrosshairs();
    this.drawObliqueTrace();
    this.drawInfo();
  }

  // The oblique plane's trace in an orthoslice pane (or the tilt being dragged), a solid purple line.
  drawObliqueTrace() {
    if (this.name === "oblique") return;
    const context = this.context;
    context.lineWidth = 1.5;
    context.strokeStyle = SLICE_COLORS.oblique;
    if (this.drag?.mode === "tilt" && this.drag.to) {
      const [x0, y0] = this.view.toCanvas(...this.drag.from);
      const [x1, y1] = this.view.toCanvas(...this.drag.to);
      context.beginPath();
      context.moveTo(x0, y0);
      context.lineTo(x1, y1);
      context.stroke();
      return;
    }
    const trace = obliqueTrace(this.name, this.page.positions(), this.page.dims(), this.page.oblique());
    if (!trace) return;
    // Two far points of a u + b v + c = 0 in slice coordinates; the canvas clips the rest.
    const far = 1e5;
    const ends = Math.abs(trace.b) >= Math.abs(trace.a)
      ? [[-far, (trace.a * far - trace.c) / trace.b], [far, (-trace.a * far - trace.c) / trace.b]]
      : [[(trace.b * far - trace.c) / trace.a, -far], [(-trace.b * far - trace.c) / trace.a, far]];
    const [x0, y0] = this.view.toCanvas(...ends[0]);
    const [x1, y1] = this.view.toCanvas(...ends[1]);
    context.beginPath();
    context.moveTo(x0, y0);
    context.lineTo(x1, y1);
    context.stroke();
  }

  drawCrosshairs() {
    const positions = this.page.positions();
    const dims = this.page.dims();
    if (!positions || !dims) return;
    const context = this.context;
    const { width, height } = this.canvas;
    context.lineWidth = 1;
    context.setLineDash([6, 4]);
    for (const line of crosshairLines(this.name, positions, dims.cols)) {
      context.strokeStyle = SLICE_COLORS[line.slice];
      context.beginPath();
      if (line.axis === "u") {
        const x = Math.round(this.view.toCanvas(line.at, 0)[0]) + 0.5;
        context.moveTo(x, 0);
        context.lineTo(x, height);
      } else {
        const y = Math.round(this.view.toCanvas(0, line.at)[1]) + 0.5;
        context.moveTo(0, y);
        context.lineTo(width, y);
      }
      context.stroke();
    }
    context.setLineDash([]);
  }

  drawInfo() {
    const h = this.shown.header;
    const where = this.name === "oblique" ? `offset ${fmt(h.position, 1)} px · normal ` +
                                            `[${(h.normal ?? []).map((c) => fmt(c, 2)).join(", ")}]`
                : this.name === "xy" ? `row ${fmt(h.position, 0)}`
                : this.name === "xz" ? `y ${fmt(h.position, 1)} px` : `x ${fmt(h.position, 1)} px`;
    const zoom = this.view.zoom > 1 ? ` · zoom ${this.view.zoom.toFixed(1)}×` : "";
    this.info.textContent = `${where} · ${h.shape[0]}×${h.shape[1]} shown ${h.data_shape[0]}×${h.data_shape[1]}` +
                            ` · ${h.projections_included} proj${zoom}`;
  }

  resize() {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(this.canvas.clientWidth * ratio));
    const height = Math.max(1, Math.round(this.canvas.clientHeight * ratio));
    if (width === this.canvas.width && height === this.canvas.height) return;
    this.canvas.width = width;
    this.canvas.height = height;
    this.view.setCanvas(width, height);
    this.page.viewChanged(this);
    this.invalidate();
  }

  // The `view` message for this pane (PROTOCOL.md 14.2): the canvas size, and the visible region when zoomed.
  viewMessage() {
    const message = {
      type: "view",
      slice: this.name,
      max_shape: [clampShape(this.canvas.height), clampShape(this.canvas.width)],
    };
    const region = this.view.visibleRegion();
    if (region) message.region = region;
    return message;
  }

  // Canvas pixel of a pointer event.
  eventPoint(event) {
    const rect = this.canvas.getBoundingClientRect();
    return [(event.clientX - rect.left) * (this.canvas.width / rect.width),
            (event.clientY - rect.top) * (this.canvas.height / rect.height)];
  }

  attachPointer() {
    const canvas = this.canvas;
    canvas.addEventListener("contextmenu", (event) => event.preventDefault());
    canvas.addEventListener("pointerdown", (event) => {
      const point = this.eventPoint(event);
      // The oblique pane has no other slices to move: a left drag pans it.
      const pan = event.button === 1 || event.button === 2 ||
                  (event.button === 0 && (event.shiftKey || !this.page.controlAllowed() || this.name === "oblique"));
      if (!pan && event.button !== 0) return;
      event.preventDefault();
      if (!pan && this.page.pickingSample()) {  // "Centre sample" mode: the click picks, nothing moves
        const [u, v] = this.view.toSlice(...point);
        this.page.pickSample(this.name, v, u);
        return;
      }
      canvas.setPointerCapture(event.pointerId);
      const tilt = !pan && (event.altKey || this.page.tiltMode());
      this.drag = { mode: pan ? "pan" : tilt ? "tilt" : "move", last: point };
      if (tilt) {
        this.drag.from = this.view.toSlice(...point);
        this.drag.to = null;
      } else if (!pan) {
        this.moveSlicesTo(point);
      }
    });
    canvas.addEventListener("pointermove", (event) => {
      const point = this.eventPoint(event);
      this.hover = point;
      if (this.drag?.mode === "pan") {
        this.view.panBy(point[0] - this.drag.last[0], point[1] - this.drag.last[1]);
        this.page.viewChanged(this);
        this.invalidate();
      } else if (this.drag?.mode === "move") {
        this.moveSlicesTo(point);
      } else if (this.drag?.mode === "tilt") {
        this.drag.to = this.view.toSlice(...point);
        this.invalidate();
      }
      if (this.drag) this.drag.last = point;
      this.updateReadout();
    });
    const endDrag = () => {
      this.drag = null;
    };
    canvas.addEventListener("pointerup", (event) => {
      if (this.drag?.mode === "tilt") this.finishTilt(this.view.toSlice(...this.eventPoint(event)));
      endDrag();
      this.invalidate();
    });
    canvas.addEventListener("pointercancel", endDrag);
    canvas.addEventListener("pointerleave", () => {
      this.hover = null;
      this.updateReadout();
    });
    canvas.addEventListener("wheel", (event) => {
      event.preventDefault();
      const [x, y] = this.eventPoint(event);
      const pixels = event.deltaMode === 1 ? event.deltaY * 16 : event.deltaY;
      this.view.zoomAt(x, y, Math.exp(-pixels * 0.002));
      this.page.viewChanged(this);
      this.invalidate();
      this.updateReadout();
    }, { passive: false });
    canvas.addEventListener("dblclick", () => this.resetView());
  }

  // A tilt drag ended at slice point `to`: the oblique plane through the dragged segment, if it is long enough.
  finishTilt(to) {
    const positions = this.page.positions();
    const dims = this.page.dims();
    if (!positions || !dims || !this.page.controlAllowed()) return;
    const points = tiltPoints(this.name, this.drag.from, to, positions, dims.cols);
    if (points) this.page.tiltOblique(points);
  }

  resetView() {
    this.view.reset();
    this.page.viewChanged(this);
    this.invalidate();
  }

  moveSlicesTo([x, y]) {
    const dims = this.page.dims();
    if (!dims || !this.page.controlAllowed() || this.name === "oblique") return;
    const [u, v] = this.view.toSlice(x, y);
    this.page.moveSlices(slicesThrough(this.name, u, v, dims.rows, dims.cols));
  }

  // The value under the pointer: the shown data pixel that covers it (a block average when downsampled).
  updateReadout() {
    if (!this.hover || !this.shown) {
      this.readout.textContent = "\u00a0";
      return;
    }
    const [u, v] = this.view.toSlice(...this.hover);
    const { header, data } = this.shown;
    const [row0, col0, regionRows, regionCols] = header.region;
    const [dataRows, dataCols] = header.data_shape;
    const [blockRows, blockCols] = blockSize(header);
    const a = Math.floor((v + 0.5 - row0) / blockRows);
    const b = Math.floor((u + 0.5 - col0) / blockCols);
    if (a < 0 || b < 0 || a >= dataRows || b >= dataCols || v + 0.5 - row0 >= regionRows ||
        u + 0.5 - col0 >= regionCols) {
      this.readout.textContent = "\u00a0";
      return;
    }
    const value = dequantize(header, data[a * dataCols + b]);
    const dims = this.page.dims();
    const positions = this.page.positions();
    let where = `col ${fmt(u, 1)} row ${fmt(v, 1)}`;
    if (dims && positions && this.name !== "oblique") {
      const p = pointCoordinates(this.name, u, v, positions, dims.cols);
      where = `x ${fmt(p.x, 1)} y ${fmt(p.y, 1)} px, row ${fmt(p.row, 1)}`;
    }
    const pixelSizeUm = this.page.pixelSizeUm();
    const perMetre = pixelSizeUm ? ` = ${(value / (pixelSizeUm * 1e-6)).toPrecision(4)} /m` : "";
    const block = blockRows > 1 || blockCols > 1 ? ` (mean of ${fmt(blockRows, 0)}×${fmt(blockCols, 0)} px)` : "";
    this.readout.textContent = `${where}: ${value.toPrecision(4)} /px${perMetre}${block}`;
  }

  // Read-only snapshot for the test hook.
  snapshot() {
    const s = this.view.scale();
    const [originX, originY] = this.view.toCanvas(0, 0);
    return {
      lastHeader: this.shown ? structuredClone(this.shown.header) : null,
      framesReceived: this.framesReceived,
      framesDrawn: this.framesDrawn,
      framesSuperseded: this.framesSuperseded,
      canvas: { width: this.canvas.width, height: this.canvas.height },
      // canvas pixel = origin + (u, v) * scale, for slice coordinates (u, v) with pixel centres at integers
      transform: { scale: s, originX, originY, zoom: this.view.zoom },
      viewMessage: this.viewMessage(),
    };
  }
}

// Full-resolution pixels per data pixel, [rows, cols]: the header's `binning` (blocks of f x f, the last ones
// partial); without it, the region spread evenly over the data.
function blockSize(header) {
  if (Number.isInteger(header.binning) && header.binning >= 1) return [header.binning, header.binning];
  return [header.region[2] / header.data_shape[0], header.region[3] / header.data_shape[1]];
}

function clampShape(n) {
  return Math.min(MAX_SHAPE, Math.max(1, Math.round(n)));
}

function fmt(value, digits) {
  return Number(value).toFixed(digits);
}
