// The 3D preview pane and its panel (PROTOCOL.md 10.12, 14.6). `Show` subscribes this page to the preview's chunks
// (watch_preview) and opens the pane; chunks are dequantized into the renderer's 3D texture layer by layer, so the
// volume shown renews itself chunk by chunk. A drag in the pane rotates the view; the mode menu switches between
// maximum-intensity projection and the iso-surface (its level a fraction of the display window); `Spin` turns the
// view continuously. The display window is the newest snapshot's value range, from 0.
// Frame rate: every frame drawn is timed from the animation frame's timestamps; the readout shows frames per second
// over the last second of continuous drawing (drag or spin) and the newest draw's submit time.
// Control mode only: `Preview on` / `Preview off` and the side field send set_preview; the note shows the daemon's
// preview from the status.

import { decodePreviewMessage, dequantizePreview } from "./preview_message.js";
import { VolumeRenderer } from "./volume_render.js";

const FPS_WINDOW_MS = 1000;

export class PreviewPane {
  // pane: the [data-testid=pane-3d] element; panel: the [data-testid=preview-panel] element
  // page: {request(message) -> Promise<reply>, send(message), controlAllowed(), paneShown(shown)}
  constructor(pane, panel, page) {
    this.pane = pane;
    this.page = page;
    this.canvas = pane.querySelector("canvas");
    this.info = pane.querySelector(".pane-info");
    this.fpsText = pane.querySelector("[data-testid=preview-fps]");
    const q = (id) => panel.querySelector(`[data-testid=${id}]`);
    this.showBox = q("preview-show");
    this.modeSelect = q("preview-mode");
    this.isoInput = q("preview-iso");
    this.spinBox = q("preview-spin");
    this.sideInput = q("preview-side");
    this.onButton = q("preview-on");
    this.offButton = q("preview-off");
    this.note = q("preview-note");
    this.errorText = q("preview-error");
    this.renderer = null;
    this.rendererError = "";
    this.shape = null;
    this.chunks = 0;           // chunks received
    this.layersWritten = null;  // per layer: whether a chunk wrote it since the grid was set
    this.lastHeader = null;
    this.frames = [];          // timestamps (ms) of the frames drawn in the last FPS_WINDOW_MS
    this.lastDrawMs = 0;
    this.framesDrawn = 0;
    this.dragging = null;
    this.drawScheduled = false;
    this.requests = 0;
    this.lastReply = null;

    this.showBox.addEventListener("change", () => this.setShown(this.showBox.checked));
    this.modeSelect.addEventListener("change", () => this.setMode(this.modeSelect.value));
    this.isoInput.addEventListener("input", () => {
      if (this.renderer) this.renderer.iso = Number(this.isoInput.value);
      this.requestDraw();
    });
    this.spinBox.addEventListener("change", () => this.requestDraw());
    this.onButton.addEventListener("click", () => this.sendPreview(true));
    this.offButton.addEventListener("click", () => this.sendPreview(false));
    this.canvas.addEventListener("pointerdown", (event) => {
      this.dragging = { x: event.clientX, y: event.clientY };
      this.canvas.setPointerCapture(event.pointerId);
    });
    this.canvas.addEventListener("pointermove", (event) => {
      if (!this.dragging || !this.renderer) return;
      this.renderer.rotate(event.clientX - this.dragging.x, event.clientY - this.dragging.y);
      this.dragging = { x: event.clientX, y: event.clientY };
      this.requestDraw();
    });
    const endDrag = () => { this.dragging = null; };
    this.canvas.addEventListener("pointerup", endDrag);
    this.canvas.addEventListener("pointercancel", endDrag);
    this.setAllowed(false);
  }

  setAllowed(allowed) {
    for (const element of [this.sideInput, this.onButton, this.offButton]) element.disabled = !allowed;
  }

  // Opens or closes the pane and (un)subscribes this page to the preview's chunks.
  setShown(shown) {
    this.showBox.checked = shown;
    this.pane.hidden = !shown;
    this.page.paneShown(shown);
    if (shown && !this.renderer && !this.rendererError) {
      try {
        this.renderer = new VolumeRenderer(this.canvas);
        this.renderer.iso = Number(this.isoInput.value);
        this.renderer.mode = this.modeSelect.value;
      } catch (error) {
        this.rendererError = String(error.message ?? error);
        this.errorText.textContent = this.rendererError;
      }
    }
    this.shape = null;  // the subscription starts with a whole round of chunks
    this.page.send({ type: "watch_preview", enabled: shown });
    this.requestDraw();
  }

  // After a reconnect the daemon has forgotten the subscription.
  connectionOpened() {
    if (this.showBox.checked) this.page.send({ type: "watch_preview", enabled: true });
  }

  setMode(mode) {
    this.modeSelect.value = mode;
    if (this.renderer) this.renderer.mode = mode;
    this.requestDraw();
  }

  async sendPreview(enabled) {
    const message = { type: "set_preview", enabled };
    const side = Number(this.sideInput.value);
    if (enabled && this.sideInput.value !== "") {
      if (!Number.isInteger(side) || side < 16 || side > 512) {
        this.errorText.textContent = "the side must be a whole number of voxels, 16..512";
        return;
      }
      message.side = side;
    }
    ++this.requests;
    this.errorText.textContent = "";
    const reply = await this.page.request(message);
    this.lastReply = reply;
    if (!reply.ok) this.errorText.textContent = reply.error?.message ?? "set_preview failed";
  }

  updateFromStatus(status) {
    const p = status?.preview;
    if (!p) {
      this.note.textContent = "no preview in this daemon's status";
      return;
    }
    if (document.activeElement !== this.sideInput && this.sideInput.value === "") this.sideInput.placeholder = p.side;
    this.note.textContent = p.enabled
      ? (p.shape[0] > 0 ? `on: ${p.shape[2]} × ${p.shape[1]} × ${p.shape[0]} voxels (binning ${p.binning}), ` +
                          `${p.published} snapshots sent` : `on (${p.side} a side) from the next scan`)
      : `off (${p.side} a side when on)`;
  }

  // A binary preview chunk.
  receive(buffer) {
    const { header, data } = decodePreviewMessage(buffer);
    ++this.chunks;
    this.lastHeader = header;
    if (!this.renderer) return;
    const same = this.shape && header.shape.every((n, k) => n === this.shape[k]);
    if (!same) {
      this.shape = header.shape;
      this.renderer.setShape(header.shape);
      this.layersWritten = new Uint8Array(header.shape[0]);
    }
    this.renderer.window = [Math.max(0, header.value_min), header.value_max];
    const [layer0, count] = header.layers;
    this.renderer.updateLayers(layer0, count, dequantizePreview(header, data));
    this.layersWritten.fill(1, layer0, layer0 + count);
    this.info.textContent = `scan ${header.scan_id} · ${header.shape[2]}×${header.shape[1]}×${header.shape[0]} · ` +
                            `#${header.sequence}`;
    this.requestDraw();
  }

  requestDraw() {
    if (this.drawScheduled || this.pane.hidden) return;
    this.drawScheduled = true;
    requestAnimationFrame((now) => this.draw(now));
  }

  draw(now) {
    this.drawScheduled = false;
    if (!this.renderer || this.pane.hidden) return;
    if (this.spinBox.checked) this.renderer.rotate(2, 0);
    this.lastDrawMs = this.renderer.render();
    ++this.framesDrawn;
    this.frames.push(now);
    while (this.frames.length > 0 && now - this.frames[0] > FPS_WINDOW_MS) this.frames.shift();
    this.fpsText.textContent = `${this.framesPerSecond().toFixed(0)} fps · draw ${this.lastDrawMs.toFixed(1)} ms`;
    if (this.spinBox.checked || this.dragging) this.requestDraw();
  }

  // Frames drawn per second over the last FPS_WINDOW_MS of drawing (0 with fewer than two frames).
  framesPerSecond() {
    if (this.frames.length < 2) return 0;
    const span = this.frames[this.frames.length - 1] - this.frames[0];
    return span > 0 ? (1000 * (this.frames.length - 1)) / span : 0;
  }

  // The RGBA pixels of the canvas now (for the tests): {width, height, pixels (Array, bottom row first)}.
  pixels() {
    if (!this.renderer) return null;
    const gl = this.renderer.gl;
    const width = gl.drawingBufferWidth, height = gl.drawingBufferHeight;
    const out = new Uint8Array(width * height * 4);
    gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, out);
    return { width, height, pixels: Array.from(out) };
  }

  snapshot() {
    return {
      shown: !this.pane.hidden,
      rendererError: this.rendererError,
      shape: this.shape ? [...this.shape] : null,
      chunks: this.chunks,
      layersWritten: this.layersWritten ? this.layersWritten.reduce((a, b) => a + b, 0) : 0,
      lastHeader: this.lastHeader ? structuredClone(this.lastHeader) : null,
      mode: this.modeSelect.value,
      yaw: this.renderer?.yaw ?? null,
      pitch: this.renderer?.pitch ?? null,
      window: this.renderer ? [...this.renderer.window] : null,
      framesDrawn: this.framesDrawn,
      fps: this.framesPerSecond(),
      fpsText: this.fpsText.textContent,
      requests: this.requests,
      lastReply: this.lastReply ? structuredClone(this.lastReply) : null,
      note: this.note.textContent,
    };
  }
}
