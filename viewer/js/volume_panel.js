// The Volume panel (PROTOCOL.md 10.6): "Reconstruct volume" sends reconstruct_volume with the binning typed in (the
// whole slice, every row), "Cancel" sends cancel_volume. The progress bar, state, shape and output path follow the
// status's `volume` map (any client's volume, also --volume-at-end's), and the newest volume_* event's message is
// shown below them. The daemon's refusal (e.g. a file that already exists) is shown as it comes. Control mode only:
// a read-only page shows the progress but its buttons are disabled.

import {
  MAX_VOLUME_BINNING, volumeProgress, volumeRequest, volumeRunning, volumeShapeText, volumeStateText,
} from "./volume_status.js";

export class VolumePanel {
  // root: the element holding the [data-testid=volume-*] elements
  // page: {request(message) -> Promise<reply>, controlAllowed()}
  constructor(root, page) {
    this.page = page;
    this.binningInput = root.querySelector("[data-testid=volume-binning]");
    this.startButton = root.querySelector("[data-testid=volume-start]");
    this.cancelButton = root.querySelector("[data-testid=volume-cancel]");
    this.progressBar = root.querySelector("[data-testid=volume-progress]");
    this.fields = {};
    for (const name of ["state", "slabs", "shape", "path", "event", "error"]) {
      this.fields[name] = root.querySelector(`[data-testid=volume-${name}]`);
    }
    this.binningInput.max = String(MAX_VOLUME_BINNING);
    this.allowed = false;
    this.hasScan = false;
    this.volume = null;     // the newest of the status's volume and this page's replies
    this.inFlight = false;
    this.requests = 0;
    this.lastRequest = null;
    this.lastError = null;  // {code, message} of the newest refusal
    this.lastEvent = null;  // the newest volume_* event

    this.binningInput.addEventListener("input", () => this.updateState());
    this.binningInput.addEventListener("keydown", (event) => {
      if (event.key === "Enter") this.start();
    });
    this.startButton.addEventListener("click", () => this.start());
    this.cancelButton.addEventListener("click", () => this.cancel());
    this.show();
  }

  // status: the get_status map.
  updateFromStatus(status) {
    this.hasScan = Boolean(status.scan);
    if (!this.inFlight) this.volume = status.volume ?? null;
    this.show();
  }

  // An event message (PROTOCOL.md 14.2); only volume_* ones concern the panel.
  receiveEvent(event) {
    if (!event.kind?.startsWith("volume_")) return;
    this.lastEvent = { kind: event.kind, scan_id: event.scan_id, message: event.message };
    this.fields.event.textContent = event.message ?? event.kind;
  }

  setAllowed(allowed) {
    this.allowed = allowed;
    this.updateState();
  }

  updateState() {
    const running = volumeRunning(this.volume);
    const { problem } = volumeRequest(this.binningInput.value);
    this.binningInput.disabled = !this.allowed;
    this.binningInput.classList.toggle("invalid", problem !== undefined);
    this.binningInput.title = problem ?? "mean of binning³ voxels (1: full resolution)";
    this.startButton.disabled = !this.allowed || !this.hasScan || running || this.inFlight || problem !== undefined;
    this.cancelButton.disabled = !this.allowed || !running || this.inFlight;
  }

  show() {
    const progress = volumeProgress(this.volume);
    this.progressBar.value = progress.fraction;
    this.fields.state.textContent = volumeStateText(this.volume);
    this.fields.slabs.textContent = progress.text;
    this.fields.shape.textContent = volumeShapeText(this.volume);
    this.fields.path.textContent = this.volume?.path || "–";
    this.fields.error.textContent = this.lastError ? this.lastError.message : "";
    this.fields.error.title = this.lastError ? `error code ${this.lastError.code}` : "";
    this.updateState();
  }

  start() {
    const { request } = volumeRequest(this.binningInput.value);
    if (request) this.send(request);
  }

  cancel() {
    this.send({ type: "cancel_volume" });
  }

  async send(request) {
    if (this.inFlight || !this.page.controlAllowed()) return;
    this.inFlight = true;
    ++this.requests;
    this.lastRequest = request;
    this.lastError = null;
    this.show();
    const reply = await this.page.request(request);
    this.inFlight = false;
    if (reply.ok) this.volume = reply.result;
    else this.lastError = reply.error;
    this.show();
  }

  // Read-only snapshot for the test hook.
  snapshot() {
    return { volume: structuredClone(this.volume), inFlight: this.inFlight, requests: this.requests,
             lastRequest: structuredClone(this.lastRequest), lastError: structuredClone(this.lastError),
             lastEvent: structuredClone(this.lastEvent) };
  }
}
