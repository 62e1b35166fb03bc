// Zoom and pan of one pane: the affine map between a slice's continuous pixel coordinates (u = column, v = row,
// pixel centres at integers, the slice covering [-0.5, cols - 0.5] x [-0.5, rows - 0.5]) and canvas pixels.
// Zoom 1 fits the whole slice into the canvas, centred; zoom z magnifies that z times about (cu, cv), which is
// shown at the canvas centre. Pure state, no DOM.

const MAX_CANVAS_PX_PER_SLICE_PX = 32;

export class PaneView {
  constructor() {
    this.canvasWidth = 1;
    this.canvasHeight = 1;
    this.rows = 0;
    this.cols = 0;
    this.zoom = 1;
    this.cu = 0;
    this.cv = 0;
  }

  hasSlice() {
    return this.rows > 0 && this.cols > 0;
  }

  setCanvas(width, height) {
    this.canvasWidth = Math.max(1, width);
    this.canvasHeight = Math.max(1, height);
    this.clamp();
  }

  // A slice of another shape resets the view to fit.
  setSlice(rows, cols) {
    if (rows === this.rows && cols === this.cols) return false;
    this.rows = rows;
    this.cols = cols;
    this.reset();
    return true;
  }

  reset() {
    this.zoom = 1;
    this.cu = (this.cols - 1) / 2;
    this.cv = (this.rows - 1) / 2;
  }

  fitScale() {
    return this.hasSlice() ? Math.min(this.canvasWidth / this.cols, this.canvasHeight / this.rows) : 1;
  }

  // Canvas pixels per slice pixel.
  scale() {
    return this.fitScale() * this.zoom;
  }

  toCanvas(u, v) {
    const s = this.scale();
    return [this.canvasWidth / 2 + (u - this.cu) * s, this.canvasHeight / 2 + (v - this.cv) * s];
  }

  toSlice(x, y) {
    const s = this.scale();
    return [this.cu + (x - this.canvasWidth / 2) / s, this.cv + (y - this.canvasHeight / 2) / s];
  }

  // Multiplies the zoom by `factor`, keeping the slice point under canvas pixel (x, y) in place.
  zoomAt(x, y, factor) {
    if (!this.hasSlice()) return;
    const [u, v] = this.toSlice(x, y);
    const maxZoom = Math.max(1, MAX_CANVAS_PX_PER_SLICE_PX / this.fitScale());
    this.zoom = Math.min(maxZoom, Math.max(1, this.zoom * factor));
    const s = this.scale();
    this.cu = u - (x - this.canvasWidth / 2) / s;
    this.cv = v - (y - this.canvasHeight / 2) / s;
    this.clamp();
  }

  // Moves the picture by (dx, dy) canvas pixels.
  panBy(dx, dy) {
    const s = this.scale();
    this.cu -= dx / s;
    this.cv -= dy / s;
    this.clamp();
  }

  // At zoom 1 the slice stays centred; zoomed, the canvas centre stays on the slice.
  clamp() {
    if (this.zoom <= 1) {
      this.zoom = 1;
      this.cu = (this.cols - 1) / 2;
      this.cv = (this.rows - 1) / 2;
      return;
    }
    this.cu = Math.min(this.cols - 0.5, Math.max(-0.5, this.cu));
    this.cv = Math.min(this.rows - 0.5, Math.max(-0.5, this.cv));
  }

  // The full-resolution pixels visible now, [row0, col0, rows, cols], or null when the whole slice is visible.
  visibleRegion() {
    if (!this.hasSlice()) return null;
    const [u0, v0] = this.toSlice(0, 0);
    const [u1, v1] = this.toSlice(this.canvasWidth, this.canvasHeight);
    const col0 = Math.max(0, Math.floor(u0 + 0.5));
    const row0 = Math.max(0, Math.floor(v0 + 0.5));
    const col1 = Math.min(this.cols, Math.ceil(u1 + 0.5));
    const row1 = Math.min(this.rows, Math.ceil(v1 + 0.5));
    if (col0 === 0 && row0 === 0 && col1 === this.cols && row1 === this.rows) return null;
    return [row0, col0, Math.max(1, row1 - row0), Math.max(1, col1 - col0)];
  }
}
