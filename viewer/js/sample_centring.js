// Sample centring (PROTOCOL.md 10.11): the "Centre sample" mode and the "From projections" button. In the mode, a
// left click in a slice pane sends center_sample for that slice point (instead of moving the slices); the button
// sends it for the projections' centre of mass. The reply's stage motions are shown in pixels and, when a pixel size
// is known (the field, else the scan's), in micrometres: x and y for the sample stage at angle 0, z for the vertical
// stage; the signs are the displacements to give the sample. Control mode only (center_sample waits for the engine).

import { requestForScan, showRefusal, signed } from "./scan_request.js";

const AXES = ["x", "y", "z"];

export class SampleCentringPanel {
  // root: the element holding the [data-testid=sample-*] elements
  // page: {request(message) -> Promise<reply>, controlAllowed()}
  constructor(root, page) {
    this.page = page;
    this.modeButton = root.querySelector("[data-testid=sample-mode]");
    this.projectionsButton = root.querySelector("[data-testid=sample-projections]");
    this.pixelInput = root.querySelector("[data-testid=sample-pixel-size]");
    this.resultList = root.querySelector("[data-testid=sample-result]");
    this.errorText = root.querySelector("[data-testid=sample-error]");
    this.fields = { source: root.querySelector("[data-testid=sample-source]") };
    for (const axis of AXES) this.fields[axis] = root.querySelector(`[data-testid=sample-move-${axis}]`);
    this.allowed = false;
    this.scanId = null;
    this.active = false;   // the mode: clicks in slices pick the sample
    this.inFlight = false;
    this.result = null;    // the newest center_sample result of this page, this scan
    this.error = null;
    this.requests = 0;

    this.modeButton.addEventListener("click", () => this.setActive(!this.active));
    this.projectionsButton.addEventListener("click", () => this.locate({ slice: "projections" }));
    this.updateState();
  }

  updateFromStatus(scan) {
    const scanId = scan?.scan_id ?? null;
    if (scanId !== this.scanId) {
      this.scanId = scanId;
      this.result = null;
      this.error = null;
      this.showResult();
    }
    this.updateState();
  }

  setEnabled(allowed) {
    this.allowed = allowed;
    if (!allowed) this.active = false;
    this.updateState();
  }

  setActive(active) {
    this.active = active && this.allowed;
    this.updateState();
  }

  // Whether a click in a slice pane picks the sample now.
  picking() {
    return this.active && this.allowed && this.scanId !== null;
  }

  // A click at slice pixel (row, col) of pane `slice` while picking.
  pick(slice, row, col) {
    this.locate({ slice, point: [row, col] });
  }

  async locate(fields) {
    if (this.inFlight || !this.page.controlAllowed()) return;
    const message = { type: "center_sample", ...fields };
    const pixelSize = Number(this.pixelInput.value);
    if (this.pixelInput.value !== "" && Number.isFinite(pixelSize) && pixelSize > 0) message.pixel_size_um = pixelSize;
    await requestForScan(this, message, "locating…");
  }

  updateState() {
    const enabled = this.allowed && this.scanId !== null;
    this.modeButton.disabled = !enabled;
    this.modeButton.setAttribute("aria-pressed", String(this.active));
    this.modeButton.classList.toggle("active", this.active);
    this.projectionsButton.disabled = !enabled || this.inFlight;
  }

  showResult() {
    const r = this.result;
    this.resultList.hidden = r === null;
    if (r) {
      this.fields.source.textContent = r.slice === "projections"
        ? `projections (${r.projections}, fit ±${Number(r.fit_rms_px).toFixed(2)} px)`
        : `${r.slice} slice`;
      for (const axis of AXES) {
        const px = Number(r[`move_${axis}_px`]);
        const um = r[`move_${axis}_um`];
        this.fields[axis].textContent = `${signed(px, 2)} px` + (um === undefined ? "" : ` · ${signed(um, 1)} µm`);
      }
    }
    showRefusal(this.errorText, this.error);
  }

  snapshot() {
    return { active: this.active, result: structuredClone(this.result), error: structuredClone(this.error),
             inFlight: this.inFlight, requests: this.requests };
  }
}
