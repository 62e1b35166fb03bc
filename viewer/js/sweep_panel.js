// The center sweep controls: start offset, step and count of the candidate centers (default: 16 candidates of
// 0.5 px around the center in use, following it until the start is edited), the image pixel step ("auto": the
// daemon's default, which samples regions above 512 pixels a side), and the Sweep button, which sends sweep_center
// (PROTOCOL.md 10.1, 14.2) for the XY slice's row over the XY pane's visible region when zoomed (else the daemon's
// central square), with thumbnail-sized candidate images. The reply (with its sweep_id) opens the strip; the `count`
// binary sweep frames that follow fill it. Sweeps need control (PROTOCOL.md 14.1).

import {
  SWEEP_DEFAULT_COUNT, SWEEP_DEFAULT_STEP_PX, SWEEP_THUMBNAIL_SHAPE, bestIndex, candidateOffsets, defaultStartOffset,
  sweepFieldsProblem, sweepRegion,
} from "./sweep_plan.js";
import { SweepRequestPanel } from "./sweep_request_panel.js";

const ORPHANS_KEPT = 64;  // frames that arrive before their reply is handled (not expected: the reply goes first)

export class SweepPanel extends SweepRequestPanel {
  // root: the element holding the [data-testid=sweep-*] controls
  // page: {request(message) -> Promise<reply>, connected(), controlAllowed() (sweeps need control: PROTOCOL.md
  //        14.1), xyVisibleRegion() ([row0, col0, rows, cols] or null), strip (the SweepStrip)}
  constructor(root, page) {
    super();
    this.page = page;
    this.strip = page.strip;
    this.startInput = root.querySelector("[data-testid=sweep-start]");
    this.stepInput = root.querySelector("[data-testid=sweep-step]");
    this.countInput = root.querySelector("[data-testid=sweep-count]");
    this.pixelStepSelect = root.querySelector("[data-testid=sweep-pixel-step]");
    this.button = root.querySelector("[data-testid=sweep-run]");
    this.buttonTitle = this.button.title;
    this.note = root.querySelector("[data-testid=sweep-note]");
    this.errorText = root.querySelector("[data-testid=sweep-error]");
    this.stepInput.value = String(SWEEP_DEFAULT_STEP_PX);
    this.countInput.value = String(SWEEP_DEFAULT_COUNT);
    this.startEdited = false;  // the start follows the center in use until the user types one
    this.sweepId = null;       // of the newest reply
    this.orphans = [];         // {header, data} received while a request was in flight

    this.startInput.addEventListener("input", () => {
      this.startEdited = this.startInput.value !== "";
    });
    const followCenter = () => {
      if (!this.startEdited) this.fillDefaultStart();
    };
    this.stepInput.addEventListener("change", followCenter);
    this.countInput.addEventListener("change", followCenter);
    this.button.addEventListener("click", () => this.run());
    this.updateState();
  }

  // The status's scan map (or undefined before the first scan).
  updateFromStatus(scan) {
    const newScan = scan?.scan_id !== this.scan?.scan_id;
    this.scan = scan ?? null;
    if (newScan) this.startEdited = false;
    if (!this.startEdited) this.fillDefaultStart();
    this.updateState();
  }

  fillDefaultStart() {
    if (!this.scan || document.activeElement === this.startInput) return;
    const step = Number(this.stepInput.value);
    const count = Number(this.countInput.value);
    this.startInput.value = String(defaultStartOffset(this.scan.center_offset_px,
                                                      step > 0 ? step : SWEEP_DEFAULT_STEP_PX,
                                                      Number.isInteger(count) && count > 0 ? count
                                                                                          : SWEEP_DEFAULT_COUNT));
  }

  updateState() {
    const allowed = this.page.controlAllowed();
    this.button.disabled = this.running || !this.scan || !this.page.connected() || !allowed;
    this.button.title = allowed ? this.buttonTitle
                                : "read-only: a sweep needs control (open the page with the daemon's token)";
    const region = sweepRegion(this.page.xyVisibleRegion());
    this.note.textContent = region ? `region: the visible XY area, ${region[2]}×${region[3]} px`
                                   : "region: central square of the XY slice";
  }

  // The sweep_center message for the fields, or a sentence saying what is wrong with them.
  message() {
    const start = Number(this.startInput.value);
    const step = Number(this.stepInput.value);
    const count = Number(this.countInput.value);
    const problem = sweepFieldsProblem(start, step, count, this.scan?.cols);
    if (problem) return { problem };
    const message = { type: "sweep_center", start_offset_px: start, step_px: step, count,
                      max_shape: [...SWEEP_THUMBNAIL_SHAPE] };
    const region = sweepRegion(this.page.xyVisibleRegion());
    if (region) message.region = region;
    if (this.pixelStepSelect.value !== "") message.pixel_step = Number(this.pixelStepSelect.value);  // else auto
    return { message };
  }

  beforeRequest() {
    this.orphans = [];
  }

  showReply(reply, message, scanId) {
    const r = reply.result;
    this.sweepId = reply.sweep_id;
    this.strip.show({
      sweepId: reply.sweep_id, scanId, xyRow: r.xy_row, region: r.region, elapsedMs: r.elapsed_ms,
      pixelStep: r.pixel_step ?? 1, imageShape: r.shape ?? [r.region[2], r.region[3]],
      requestedPx: candidateOffsets(message.start_offset_px, message.step_px, message.count),
      centersPx: r.centers_px, metric: r.metric, bestOffsetPx: r.best_offset_px,
      bestIndex: bestIndex(r.centers_px, r.best_offset_px),
    });
    for (const { header, data } of this.orphans) this.strip.receiveFrame(header, data);
    this.orphans = [];
  }

  // A decoded sweep frame (header.slice === "sweep").
  receiveFrame(header, data) {
    if (this.strip.receiveFrame(header, data)) return;
    if (this.running && this.orphans.length < ORPHANS_KEPT) this.orphans.push({ header, data });
  }

  // Read-only snapshot for the test hook.
  snapshot() {
    return { ...super.snapshot(), sweepId: this.sweepId };
  }
}
