// The processing sweep controls (PROTOCOL.md 10.8): the parameter (Paganin delta/beta, ring filter size or filter
// window), start, stop and count of its candidates (delta/beta log-spaced, ring sizes linear; windows: all six), and
// the Sweep button, which sends sweep_processing for the XY slice's row over the XY pane's visible region when zoomed
// (else the daemon's central square), with thumbnail-sized images. The reply opens the shared sweep strip (labels
// instead of center offsets); clicking a candidate applies it with set_processing. Control mode only (the strip's
// pick is; the sweep itself changes nothing).

import { FILTER_WINDOWS } from "./processing_form.js";
import { SWEEP_THUMBNAIL_SHAPE, sweepRegion } from "./sweep_plan.js";
import { SweepRequestPanel } from "./sweep_request_panel.js";

export const PROCESSING_SWEEP_MAX_COUNT = 32;
// Defaults per parameter: [start, stop, count].
const DEFAULTS = { delta_over_beta: [10, 1000, 9], ring_size: [5, 31, 7], window: [null, null, 6] };

export class ProcessingSweepPanel extends SweepRequestPanel {
  // root: the element holding the [data-testid=psweep-*] controls
  // page: {request(message) -> Promise<reply>, connected(), controlAllowed(), xyVisibleRegion(), strip}
  constructor(root, page) {
    super();
    this.page = page;
    this.strip = page.strip;
    this.parameterSelect = root.querySelector("[data-testid=psweep-parameter]");
    this.startInput = root.querySelector("[data-testid=psweep-start]");
    this.stopInput = root.querySelector("[data-testid=psweep-stop]");
    this.countInput = root.querySelector("[data-testid=psweep-count]");
    this.button = root.querySelector("[data-testid=psweep-run]");
    this.errorText = root.querySelector("[data-testid=psweep-error]");
    this.parameterSelect.addEventListener("change", () => this.fillDefaults());
    this.button.addEventListener("click", () => this.run());
    this.fillDefaults();
    this.updateState();
  }

  fillDefaults() {
    const [start, stop, count] = DEFAULTS[this.parameterSelect.value];
    const range = start !== null;
    this.startInput.value = range ? String(start) : "";
    this.stopInput.value = range ? String(stop) : "";
    this.countInput.value = String(count);
    for (const input of [this.startInput, this.stopInput, this.countInput]) input.disabled = !range;
  }

  updateFromStatus(scan) {
    this.scan = scan ?? null;
    this.updateState();
  }

  updateState() {
    this.button.disabled = this.running || !this.scan || !this.page.connected() || !this.page.controlAllowed();
  }

  // The sweep_processing message for the fields, or a sentence saying what is wrong with them.
  message() {
    const parameter = this.parameterSelect.value;
    const message = { type: "sweep_processing", parameter, max_shape: [...SWEEP_THUMBNAIL_SHAPE] };
    if (parameter !== "window") {
      const start = Number(this.startInput.value);
      const stop = Number(this.stopInput.value);
      const count = Number(this.countInput.value);
      if (!Number.isFinite(start) || !Number.isFinite(stop)) return { problem: "start and stop must be numbers" };
      if (parameter === "delta_over_beta" && !(start > 0 && stop > 0)) {
        return { problem: "delta/beta candidates must be > 0" };
      }
      if (!Number.isInteger(count) || count < 1 || count > PROCESSING_SWEEP_MAX_COUNT) {
        return { problem: `the count must be a whole number from 1 to ${PROCESSING_SWEEP_MAX_COUNT}` };
      }
      Object.assign(message, { start, stop, count });
    }
    const region = sweepRegion(this.page.xyVisibleRegion());
    if (region) message.region = region;
    return { message };
  }

  showReply(reply, message, scanId) {
    const r = reply.result;
    this.strip.show({
      sweepId: reply.sweep_id, scanId, xyRow: r.xy_row, region: r.region, elapsedMs: r.elapsed_ms,
      parameter: r.parameter, values: r.values, labels: r.labels, metric: r.metric, bestIndex: r.best_index,
    });
  }
}

// The set_processing fields that apply candidate `value` of a processing sweep of `parameter`.
export function processingFieldsFor(parameter, value) {
  switch (parameter) {
    case "delta_over_beta":
      return { phase: { enabled: true, delta_over_beta: value } };
    case "ring_size":
      return { rings: { enabled: true, size: value } };
    case "window":
      return { window: FILTER_WINDOWS[value] };
    default:
      throw new Error(`unknown sweep parameter ${parameter}`);
  }
}
