// The center-of-rotation estimate (PROTOCOL.md 10.4): the "Estimate (registration)" and "Estimate (sharpness)"
// buttons send estimate_center with apply false and show the result (offset, absolute column, confidence in per
// cent, samples, time); "Apply" then sets that center, "Apply tilt" corrects the estimated axis tilt (set_center with
// tilt_deg; the daemon re-filters its store) and "Clear tilt" stops correcting it. The daemon's error message (e.g. registration without a pair
// of projections 180 degrees apart) is shown as it comes. The status's center_estimate, the newest estimate of the
// scan (also the automatic ones of --auto-center), is shown below. While an estimate runs, the panel's message line
// shows the daemon's progress report (the status's `command`). Control mode only: a read-only page shows the status
// line but its buttons are disabled.

import { requestForScan, showRefusal, signed } from "./scan_request.js";

const METHOD_LABELS = { registration: "registration", metric: "sharpness" };
const SAMPLE_UNITS = { registration: "pairs", metric: "candidates" };

export class CenterEstimatePanel {
  // root: the element holding the [data-testid=estimate-*] elements
  // page: {request(message) -> Promise<reply>, controlAllowed(), applyCenter(offset) -> bool}
  constructor(root, page) {
    this.page = page;
    this.methodButtons = [...root.querySelectorAll("button[data-method]")];
    this.applyButton = root.querySelector("[data-testid=estimate-apply]");
    this.resultList = root.querySelector("[data-testid=estimate-result]");
    this.errorText = root.querySelector("[data-testid=estimate-error]");
    this.statusText = root.querySelector("[data-testid=estimate-daemon]");
    this.applyTiltButton = root.querySelector("[data-testid=estimate-apply-tilt]");
    this.clearTiltButton = root.querySelector("[data-testid=estimate-clear-tilt]");
    this.correctedTiltText = root.querySelector("[data-testid=estimate-tilt-corrected]");
    this.fields = {};
    for (const name of ["method", "offset", "column", "confidence", "tilt", "samples", "elapsed"]) {
      this.fields[name] = root.querySelector(`[data-testid=estimate-${name}]`);
    }
    this.allowed = false;
    this.scanId = null;
    this.inFlight = false;
    this.method = null;      // the method of the estimate in flight
    this.result = null;    // the newest estimate_center result of this page, this scan
    this.error = null;     // {code, message} of the newest refusal
    this.requests = 0;
    this.applied = 0;
    this.correctedTilt = 0;  // status axis_tilt_deg
    this.tiltRequests = 0;

    for (const button of this.methodButtons) {
      button.addEventListener("click", () => this.estimate(button.dataset.method));
    }
    this.applyButton.addEventListener("click", () => this.apply());
    this.applyTiltButton.addEventListener("click", () => this.setTilt(this.result?.tilt_deg));
    this.clearTiltButton.addEventListener("click", () => this.setTilt(0));
    this.updateState();
  }

  // The status's scan map (or undefined before the first scan).
  updateFromStatus(scan) {
    const scanId = scan?.scan_id ?? null;
    if (scanId !== this.scanId) {  // a result belongs to its scan
      this.scanId = scanId;
      this.result = null;
      this.error = null;
      this.showResult();
    }
    // While an estimate runs, the daemon's progress report (status `command`, PROTOCOL.md 10.2) says how far it is.
    const progress = scan?.command;
    if (this.inFlight && this.method && progress?.command?.startsWith("estimate_center") &&
        progress.done > 0 && progress.done < progress.total) {
      this.errorText.textContent = `estimating (${METHOD_LABELS[this.method]})… ${progress.done} of ${progress.total}` +
        ` ${SAMPLE_UNITS[this.method] ?? "steps"}, about ${Number(progress.remaining_s).toFixed(1)} s left`;
    }
    const estimate = scan?.center_estimate;
    this.statusText.textContent = estimate
      ? `${METHOD_LABELS[estimate.method] ?? estimate.method} ${signed(estimate.center_offset_px, 2)} px · ` +
        `${percent(estimate.confidence)}${estimate.applied ? " · applied" : ""}`
      : "none yet";
    this.correctedTilt = Number(scan?.axis_tilt_deg ?? 0);
    this.correctedTiltText.textContent = scan ? `${signed(this.correctedTilt, 3)}°` : "–";
    this.updateState();
  }

  setEnabled(allowed) {
    this.allowed = allowed;
    this.updateState();
  }

  updateState() {
    const enabled = this.allowed && this.scanId !== null;
    for (const button of this.methodButtons) button.disabled = !enabled || this.inFlight;
    this.applyButton.disabled = !enabled || this.result === null;
    const tilt = this.result?.tilt_deg;
    this.applyTiltButton.disabled = !enabled || this.inFlight || tilt === undefined || tilt === null;
    this.clearTiltButton.disabled = !enabled || this.inFlight || this.correctedTilt === 0;
  }

  async estimate(method) {
    if (this.inFlight || !this.page.controlAllowed()) return;
    this.method = method;
    await requestForScan(this, { type: "estimate_center", method, apply: false },
                         `estimating (${METHOD_LABELS[method]})…`);
  }

  apply() {
    if (this.result === null) return;
    if (this.page.applyCenter(this.result.center_offset_px)) ++this.applied;
  }

  // set_center with only tilt_deg: the daemon re-filters its store with the projections rotated (PROTOCOL.md 10.4).
  async setTilt(tiltDeg) {
    if (tiltDeg === undefined || tiltDeg === null || this.inFlight || !this.page.controlAllowed()) return;
    this.inFlight = true;
    ++this.tiltRequests;
    this.errorText.textContent = tiltDeg === 0 ? "clearing the tilt…" : `correcting a tilt of ${signed(tiltDeg, 3)}°…`;
    this.errorText.classList.remove("error");
    this.updateState();
    const reply = await this.page.request({ type: "set_center", tilt_deg: tiltDeg });
    this.inFlight = false;
    this.error = reply.ok ? null : reply.error;
    if (reply.ok) this.correctedTilt = Number(reply.result.tilt_deg ?? 0);
    this.showResult();
    if (reply.ok) this.correctedTiltText.textContent = `${signed(this.correctedTilt, 3)}°`;
    this.updateState();
  }

  showResult() {
    const r = this.result;
    this.resultList.hidden = r === null;
    if (r) {
      this.fields.method.textContent = METHOD_LABELS[r.method] ?? r.method;
      this.fields.offset.textContent = `${signed(r.center_offset_px, 2)} px`;
      this.fields.column.textContent = Number(r.center_column_px).toFixed(2);
      this.fields.confidence.textContent = percent(r.confidence);
      // The axis tilt (registration only, PROTOCOL.md 10.4): "Apply tilt" corrects it.
      this.fields.tilt.textContent = r.tilt_deg === undefined || r.tilt_deg === null ? "–"
        : `${signed(r.tilt_deg, 3)}° (confidence ${percent(r.tilt_confidence)})`;
      this.fields.samples.textContent = `${r.samples} ${SAMPLE_UNITS[r.method] ?? ""}`.trim();
      this.fields.elapsed.textContent = `${Number(r.elapsed_ms).toFixed(1)} ms`;
    }
    // The daemon's message as it came: it says what is missing (section 11); the code is in the tooltip.
    showRefusal(this.errorText, this.error);
  }

  // Read-only snapshot for the test hook.
  snapshot() {
    return { result: structuredClone(this.result), error: structuredClone(this.error), inFlight: this.inFlight,
             requests: this.requests, applied: this.applied, correctedTilt: this.correctedTilt,
             tiltRequests: this.tiltRequests };
  }
}

function percent(fraction) {
  return `${(100 * Number(fraction)).toFixed(0)} %`;
}
