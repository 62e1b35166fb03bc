// The tomolive viewer page: wires the connection, the three slice panes, the contrast, center and scan panels, and
// the latency meter together, and exposes a read-only test hook, window.tomoliveViewer.
//
// Data flow: WebSocket -> (text) hello / status / event / reply -> panels;  (binary) decodeSliceMessage -> the
// pane of that slice -> drawn in the next animation frame -> latency meter; sweep frames -> the sweep strip.
// User input -> set_center, set_slices, estimate_center, set_processing, reconstruct_volume, cancel_volume, record,
// capture, set_preview (control mode only), sweep_center (always: it changes nothing), view (always: each pane asks
// for its own size and region), watch_preview (the 3D pane's chunks, while it is shown).
// (binary) TLV1 preview chunks -> the 3D preview pane (preview_pane.js).

import { ContrastWindow } from "./contrast.js";
import { ContrastPanel } from "./contrast_panel.js";
import { CenterControl } from "./center_control.js";
import { CenterEstimatePanel } from "./center_estimate.js";
import { SampleCentringPanel } from "./sample_centring.js";
import { RecordingPanel } from "./recording_panel.js";
import { DefectivePixelsPanel } from "./defective_pixels_panel.js";
import { colormapLut } from "./colormaps.js";
import { Connection, webSocketUrl } from "./connection.js";
import { LatencyMeter } from "./latency_meter.js";
import { ProcessingPanel } from "./processing_panel.js";
import { ScanPlanPanel } from "./scan_plan_panel.js";
import { ScanPanel } from "./scan_panel.js";
import { SLICE_NAMES } from "./slice_geometry.js";
import { decodeSliceMessage, dequantizeAll } from "./slice_message.js";
import { SlicePane } from "./slice_pane.js";
import { ObliquePanel } from "./oblique_panel.js";
import { isPreviewMessage } from "./preview_message.js";
import { PreviewPane } from "./preview_pane.js";
import { ProcessingSweepPanel, processingFieldsFor } from "./processing_sweep_panel.js";
import { SweepPanel } from "./sweep_panel.js";
import { stripWindow } from "./sweep_plan.js";
import { SweepStrip } from "./sweep_strip.js";
import { VolumePanel } from "./volume_panel.js";

const VIEW_THROTTLE_MS = 100;
const EVENTS_KEPT = 50;
const REPLIES_KEPT = 50;
const PREVIEW_KEPT_MS = 2000;  // crosshairs follow the positions asked for until a status shows them, at most this

// Whether the status's scan shows the slice positions in `positions`.
function statusShows(scan, positions) {
  if (!scan) return false;
  return Object.entries(positions).every(([key, value]) => Math.abs(scan[key] - value) < 0.05);
}

class ViewerPage {
  constructor() {
    this.hello = null;
    this.status = null;
    this.viewers = null;
    this.statusMessages = 0;
    this.decodeErrors = 0;
    this.lastDecodeError = "";
    this.events = [];
    this.replies = [];
    this.colormap = "gray";
    this.contrast = new ContrastWindow();
    this.paintScheduled = false;
    this.slicesInFlight = false;
    this.slicesWanted = null;      // set_slices fields waiting for the one in flight
    this.previewPositions = null;  // positions asked for and not yet in a status
    this.previewSetMs = 0;
    this.viewTimers = new Map();

    this.connection = new Connection(webSocketUrl(window.location), {
      onState: (state) => this.connectionChanged(state),
      onOpen: () => this.connectionOpened(),
      onMessage: (message) => this.receiveMessage(message),
      onSlice: (buffer, arrivedMs) => this.receiveSlice(buffer, arrivedMs),
    });
    this.latency = new LatencyMeter(this.connection);
    this.scanPanel = new ScanPanel(document.querySelector("[data-testid=scan-panel]"));
    this.center = new CenterControl(document.querySelector("[data-testid=center-panel]"), {
      request: (message) => this.request(message),
      controlAllowed: () => this.controlAllowed(),
      showError: (text) => this.showMessage(text, true),
    });
    this.centerEstimate = new CenterEstimatePanel(document.querySelector("[data-testid=center-estimate]"), {
      request: (message) => this.request(message),
      controlAllowed: () => this.controlAllowed(),
      applyCenter: (offset) => this.center.apply(offset),
    });
    this.sampleCentring = new SampleCentringPanel(document.querySelector("[data-testid=sample-panel]"), {
      request: (message) => this.request(message),
      controlAllowed: () => this.controlAllowed(),
    });
    this.contrastPanel = new ContrastPanel(document.querySelector("[data-testid=contrast-panel]"), {
      contrast: this.contrast,
      colormapChanged: (name) => {
        this.colormap = name;
        this.invalidateImages();
      },
      windowChanged: () => this.invalidateImages(),
    });
    const paneContext = {
      contrast: this.contrast,
      colormapName: () => this.colormap,
      colormapLut: () => colormapLut(this.colormap),
      positions: () => this.positions(),
      dims: () => this.dims(),
      pixelSizeUm: () => this.status?.scan?.pixel_size_um ?? null,
      controlAllowed: () => this.controlAllowed(),
      moveSlices: (fields) => this.moveSlices(fields),
      // "Centre sample" mode: a click picks the sample at slice pixel (row, col) instead of moving the slices.
      pickingSample: () => this.sampleCentring.picking(),
      pickSample: (slice, row, col) => this.sampleCentring.pick(slice, row, col),
      viewChanged: (pane) => this.viewChanged(pane),
      requestPaint: () => this.requestPaint(),
      oblique: () => this.obliquePanel?.plane ?? null,
      tiltMode: () => this.obliquePanel?.tiltMode ?? false,
      tiltOblique: (points) => this.obliquePanel.tilt(points),
    };
    this.panes = {};
    for (const name of SLICE_NAMES) {
      this.panes[name] = new SlicePane(name, document.querySelector(`[data-testid=pane-${name}]`), paneContext);
    }
    this.sweepStrip = new SweepStrip(document.querySelector("[data-testid=sweep-strip]"), {
      // One window for the strip: the XY pane's (the page's shared window) once it has values.
      window: (headers) => stripWindow({ min: this.contrast.min, max: this.contrast.max,
                                         hasSamples: this.contrast.count > 0 }, headers),
      colormapName: () => this.colormap,
      colormapLut: () => colormapLut(this.colormap),
      pickCenter: (offset) => this.center.apply(offset),
      pickProcessing: (parameter, value) => this.processing.applyFields(processingFieldsFor(parameter, value)),
      requestPaint: () => this.requestPaint(),
    });
    this.sweepPanel = new SweepPanel(document.querySelector("[data-testid=sweep-panel]"), {
      request: (message) => this.request(message),
      connected: () => this.connection.isOpen(),
      controlAllowed: () => this.controlAllowed(),
      xyVisibleRegion: () => this.panes.xy.view.visibleRegion(),
      strip: this.sweepStrip,
    });
    this.processingSweep = new ProcessingSweepPanel(document.querySelector("[data-testid=psweep-panel]"), {
      request: (message) => this.request(message),
      connected: () => this.connection.isOpen(),
      controlAllowed: () => this.controlAllowed(),
      xyVisibleRegion: () => this.panes.xy.view.visibleRegion(),
      strip: this.sweepStrip,
    });
    this.obliquePanel = new ObliquePanel(document.querySelector("[data-testid=oblique-panel]"), {
      request: (message) => this.request(message),
      controlAllowed: () => this.controlAllowed(),
      planeChanged: (plane) => {
        this.panes.oblique.element.hidden = plane === null;
        for (const pane of Object.values(this.panes)) pane.invalidate();
      },
    });
    this.processing = new ProcessingPanel(document.querySelector("[data-testid=processing-panel]"), {
      request: (message) => this.request(message),
      controlAllowed: () => this.controlAllowed(),
    });
    this.scanPlan = new ScanPlanPanel(document.querySelector("[data-testid=scan-plan-panel]"), {
      request: (message) => this.request(message),
      controlAllowed: () => this.controlAllowed(),
    });
    this.volume = new VolumePanel(document.querySelector("[data-testid=volume-panel]"), {
      request: (message) => this.request(message),
      controlAllowed: () => this.controlAllowed(),
    });
    this.recording = new RecordingPanel(document.querySelector("[data-testid=recording-panel]"), {
      request: (message) => this.request(message),
      controlAllowed: () => this.controlAllowed(),
    });
    this.defects = new DefectivePixelsPanel(document.querySelector("[data-testid=defects-panel]"), {
      request: (message) => this.request(message),
    });
    this.preview = new PreviewPane(document.querySelector("[data-testid=pane-3d]"),
                                   document.querySelector("[data-testid=preview-panel]"), {
      request: (message) => this.request(message),
      send: (message) => this.connection.send(message),
      controlAllowed: () => this.controlAllowed(),
      paneShown: () => {
        for (const pane of Object.values(this.panes)) pane.invalidate();
      },
    });
    this.contrastPanel.setColormap(this.colormap);
    document.addEventListener("keydown", (event) => this.handleKey(event));
    this.connection.start();
  }

  controlAllowed() {
    return this.hello !== null && !this.hello.read_only && this.connection.isOpen();
  }

  // Positions of the three slices for the crosshairs: the newest asked for, else the status's.
  positions() {
    const scan = this.status?.scan;
    const base = scan ? { xy_row: scan.xy_row, xz_y_px: scan.xz_y_px, yz_x_px: scan.yz_x_px } : null;
    if (!base) return null;
    return this.previewPositions ? { ...base, ...this.previewPositions } : base;
  }

  // Detector rows and the slices' columns N of the scan shown (N = slice_cols: wider than the detector with half
  // acquisition, PROTOCOL.md 5.1).
  dims() {
    const scan = this.status?.scan;
    if (scan) return { rows: scan.rows, cols: scan.slice_cols ?? scan.cols };
    const xz = this.panes.xz.shown?.header;
    return xz ? { rows: xz.shape[0], cols: xz.shape[1] } : null;
  }

  connectionChanged(state) {
    this.scanPanel.setConnection(state, this.connection.connects);
    document.body.dataset.connection = state;
    if (state !== "open") {
      this.slicesInFlight = false;
      this.updateControlState();
    }
  }

  connectionOpened() {
    this.hello = null;
    for (const pane of Object.values(this.panes)) this.connection.send(pane.viewMessage());
    this.preview.connectionOpened();
  }

  receiveMessage(message) {
    switch (message.type) {
      case "hello":
        this.hello = message;
        this.updateControlState();
        break;
      case "status":
        this.status = message.status;
        this.viewers = message.viewers;
        ++this.statusMessages;
        this.statusArrived();
        break;
      case "event":
        this.events.push(message);
        if (this.events.length > EVENTS_KEPT) this.events.shift();
        this.volume.receiveEvent(message);
        if (message.kind === "error") this.showMessage(`rejected: ${message.message}`, true);
        else this.showMessage(message.message, false);
        break;
      case "reply":
        this.replies.push(message);
        if (this.replies.length > REPLIES_KEPT) this.replies.shift();
        if (!message.ok) this.showMessage(`${message.command || "message"} refused: ${message.error?.code}: ` +
                                          `${message.error?.message}`, true);
        break;
      default:
        break;
    }
  }

  statusArrived() {
    const scan = this.status.scan;
    if (this.previewPositions && !this.slicesInFlight && this.slicesWanted === null &&
        (statusShows(scan, this.previewPositions) || performance.now() - this.previewSetMs > PREVIEW_KEPT_MS)) {
      this.previewPositions = null;
    }
    this.center.updateFromStatus(scan);
    this.centerEstimate.updateFromStatus(scan);
    this.sampleCentring.updateFromStatus(scan);
    this.sweepPanel.updateFromStatus(scan);
    this.processingSweep.updateFromStatus(scan);
    this.processing.updateFromStatus(this.status);
    this.volume.updateFromStatus(this.status);
    this.recording.updateFromStatus(this.status);
    this.defects.updateFromStatus(this.status);
    this.preview.updateFromStatus(this.status);
    if (scan) this.sweepStrip.setCurrentCenter(scan.center_offset_px);
    this.scanPanel.update(this.status, this.viewers, this.latency.summary());
    this.showTitle(scan);
    for (const pane of Object.values(this.panes)) pane.invalidate();
  }

  showTitle(scan) {
    document.title = scan ? `tomolive · scan ${scan.scan_id} ${scan.projections_received}/` +
                            `${scan.projections_expected}` : "tomolive viewer";
  }

  updateControlState() {
    const readOnly = this.hello?.read_only === true;
    const banner = document.querySelector("[data-testid=read-only-banner]");
    banner.hidden = !readOnly;
    banner.querySelector(".reason").textContent = readOnly ? this.hello.read_only_reason || "read-only" : "";
    document.body.classList.toggle("read-only", readOnly);
    document.body.dataset.mode = this.hello === null ? "unknown" : readOnly ? "read-only" : "control";
    this.center.setEnabled(this.controlAllowed());
    this.centerEstimate.setEnabled(this.controlAllowed());
    this.sampleCentring.setEnabled(this.controlAllowed());
    this.scanPlan.refresh();
    this.sweepPanel.updateState();
    this.processingSweep.updateState();
    this.obliquePanel.setAllowed(this.controlAllowed());
    const blockedReason = readOnly ? `this page is read-only (${this.hello.read_only_reason || "no control"})`
                                   : "not connected to the daemon";
    this.sweepStrip.setPickAllowed(this.controlAllowed(), blockedReason);
    this.processing.setAllowed(this.controlAllowed(), blockedReason);
    this.volume.setAllowed(this.controlAllowed());
    this.recording.setAllowed(this.controlAllowed());
    this.preview.setAllowed(this.controlAllowed());
  }

  receiveSlice(buffer, arrivedMs) {
    if (isPreviewMessage(buffer)) {
      try {
        this.preview.receive(buffer);
      } catch (error) {
        ++this.decodeErrors;
        this.lastDecodeError = String(error.message ?? error);
      }
      return;
    }
    let message;
    try {
      message = decodeSliceMessage(buffer);
    } catch (error) {
      ++this.decodeErrors;
      this.lastDecodeError = String(error.message ?? error);
      return;
    }
    if (message.header.slice === "sweep") {
      this.sweepPanel.receiveFrame(message.header, message.data);
      return;
    }
    const pane = this.panes[message.header.slice];
    if (!pane) {
      ++this.decodeErrors;
      this.lastDecodeError = `a slice message for an unknown slice "${message.header.slice}"`;
      return;
    }
    if (message.header.slice === "oblique" && !this.obliquePanel.receiveHeader(message.header)) return;
    pane.receive(message.header, message.data, this.latency.arrived(message.header, arrivedMs));
  }

  request(message) {
    return this.connection.request(message);
  }

  // Sends set_slices for a click or drag; while one is in flight only the newest wish waits.
  moveSlices(fields) {
    this.previewPositions = { ...(this.previewPositions ?? {}), ...fields };
    this.previewSetMs = performance.now();
    for (const pane of Object.values(this.panes)) pane.invalidate();
    this.slicesWanted = { ...(this.slicesWanted ?? {}), ...fields };
    this.sendSlices();
  }

  async sendSlices() {
    if (this.slicesInFlight || this.slicesWanted === null) return;
    const fields = this.slicesWanted;
    this.slicesWanted = null;
    this.slicesInFlight = true;
    const reply = await this.request({ type: "set_slices", ...fields });
    this.slicesInFlight = false;
    if (reply.ok) {
      const { xy_row, xz_y_px, yz_x_px } = reply.result;
      this.previewPositions = { xy_row, xz_y_px, yz_x_px, ...(this.slicesWanted ?? {}) };
      this.previewSetMs = performance.now();
    } else {
      this.showMessage(`set_slices refused: ${reply.error.code}: ${reply.error.message}`, true);
      this.previewPositions = null;
    }
    for (const pane of Object.values(this.panes)) pane.invalidate();
    this.sendSlices();
  }

  // Sends the pane's view after zoom, pan or resize, at most every VIEW_THROTTLE_MS (the last one always goes).
  viewChanged(pane) {
    if (this.viewTimers.has(pane.name)) return;
    this.viewTimers.set(pane.name, setTimeout(() => {
      this.viewTimers.delete(pane.name);
      this.connection.send(pane.viewMessage());
    }, VIEW_THROTTLE_MS));
  }

  invalidateImages() {
    for (const pane of Object.values(this.panes)) pane.invalidateImage();
    this.contrastPanel.update(true);
  }

  requestPaint() {
    if (this.paintScheduled) return;
    this.paintScheduled = true;
    requestAnimationFrame(() => this.paint());
  }

  // One animation frame: take the newest messages, move the automatic window, draw what changed; in the next
  // frame (once these pixels are painted) hand the drawn updates to the latency meter.
  paint() {
    this.paintScheduled = false;
    for (const pane of Object.values(this.panes)) {
      const message = pane.adoptIncoming();
      if (message) this.contrast.updateSamples(pane.name, message.header, message.data);
    }
    const version = this.contrast.version;
    const samplesChanged = this.contrast.refresh();
    if (this.contrast.version !== version) {
      for (const pane of Object.values(this.panes)) pane.markImageStale();
    }
    const drawn = [];
    for (const pane of Object.values(this.panes)) {
      const token = pane.paint();
      if (token) drawn.push(token);
    }
    this.contrastPanel.update(samplesChanged);
    this.sweepStrip.paint();
    if (drawn.length > 0) {
      requestAnimationFrame(() => {
        const now = performance.now();
        for (const token of drawn) this.latency.drawn(token, now);
      });
    }
  }

  handleKey(event) {
    const target = event.target;
    if (target instanceof HTMLInputElement || target instanceof HTMLSelectElement) return;
    if (this.center.handleKey(event) || this.sweepStrip.handleKey(event)) {
      event.preventDefault();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    switch (event.key) {
      case "a":
      case "A":
        this.contrastPanel.setAuto();
        break;
      case "c":
      case "C":
        this.contrastPanel.cycleColormap();
        break;
      case "0":
        for (const pane of Object.values(this.panes)) pane.resetView();
        break;
      default:
        return;
    }
    event.preventDefault();
  }

  showMessage(text, isError) {
    const element = document.querySelector("[data-testid=message]");
    element.textContent = text;
    element.classList.toggle("error", isError);
  }
}

const page = new ViewerPage();

// Read-only test hook: copies of the page's state; nothing here changes the page.
window.tomoliveViewer = Object.freeze({
  get connection() {
    const c = page.connection;
    return { state: c.state, connects: c.connects, rttMs: c.rttMs };
  },
  get hello() {
    return structuredClone(page.hello);
  },
  get status() {
    return structuredClone(page.status);
  },
  get viewers() {
    return page.viewers;
  },
  get statusMessages() {
    return page.statusMessages;
  },
  get controlAllowed() {
    return page.controlAllowed();
  },
  get decodeErrors() {
    return { count: page.decodeErrors, last: page.lastDecodeError };
  },
  get replies() {
    return structuredClone(page.replies);
  },
  get events() {
    return structuredClone(page.events);
  },
  get contrast() {
    return { mode: page.contrast.mode, min: page.contrast.min, max: page.contrast.max, colormap: page.colormap };
  },
  get latency() {
    const m = page.latency;
    return { measured: m.measured, sent: m.sent, skippedNoRtt: m.skippedNoRtt, recent: [...m.recent],
             summary: m.summary() };
  },
  get centerRequests() {
    return page.center.requests;
  },
  // The center estimate panel: newest result or error of this page, requests sent, applies.
  get centerEstimate() {
    return page.centerEstimate.snapshot();
  },
  // Sample centring: the mode, the newest center_sample result or error of this page, requests sent.
  get sampleCentring() {
    return page.sampleCentring.snapshot();
  },
  // The center sweep: the panel's requests and the strip (reply, candidates requested, frames received and drawn).
  get sweep() {
    return { panel: page.sweepPanel.snapshot(), strip: page.sweepStrip.snapshot() };
  },
  // The processing sweep panel's requests (its strip is the sweep's).
  get processingSweep() {
    return page.processingSweep.snapshot();
  },
  // The oblique slice panel: the plane shown (or null), requests, the newest request and refusal, the tilt mode.
  get oblique() {
    return page.obliquePanel.snapshot();
  },
  // The processing panel: the form, its edited fields and problems, the daemon's setting, requests, the newest
  // set_processing request, result and refusal of this page.
  get processing() {
    return page.processing.snapshot();
  },
  // The volume panel: the volume shown (status or this page's reply), requests, the newest request, refusal and
  // volume_* event.
  get volume() {
    return page.volume.snapshot();
  },
  // The recording panel: the status's recording and capture maps, the toggle, the newest refusal.
  get recording() {
    return page.recording.snapshot();
  },
  // The 3D preview pane: shown, grid, chunks received, layers written, the newest chunk's header, mode, view angles,
  // display window, frames drawn and the frame rate, set_preview requests and the newest reply, the status note.
  get preview() {
    return page.preview.snapshot();
  },
  // The 3D pane's pixels now: {width, height, pixels (RGBA, bottom row first)}.
  previewPixels() {
    return page.preview.pixels();
  },
  // Per pane: last drawn header, frame counters, canvas size and the slice -> canvas transform.
  pane(name) {
    return page.panes[name].snapshot();
  },
  // The values (1/pixel) of the slice drawn now in pane `name`: {header, values (row-major data_shape)}.
  shownValues(name) {
    const shown = page.panes[name].shown;
    if (!shown) return null;
    return { header: structuredClone(shown.header), values: Array.from(dequantizeAll(shown.header, shown.data)) };
  },
});
