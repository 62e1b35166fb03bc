// The recording panel (PROTOCOL.md 18 and 18.1): the daemon's recording (state, file, frames written and dropped)
// with a "record next scan" toggle that sends `record` (off also stops the active recording), and the capture ring
// (fill, span) with a "Capture" button that sends `capture` with the seconds to take after the ring, then shows the
// capture's progress from the status. Control mode only: a read-only page shows both but its controls are disabled.
// The daemon's refusal (e.g. no --record directory, no ring) is shown as it comes.

export class RecordingPanel {
  // root: the element holding the [data-testid=recording-*] and [data-testid=capture-*] elements
  // page: {request(message) -> Promise<reply>, controlAllowed()}
  constructor(root, page) {
    this.page = page;
    this.toggle = root.querySelector("[data-testid=recording-next]");
    this.recordingText = root.querySelector("[data-testid=recording-state]");
    this.captureButton = root.querySelector("[data-testid=capture-start]");
    this.afterInput = root.querySelector("[data-testid=capture-after]");
    this.ringText = root.querySelector("[data-testid=capture-ring]");
    this.captureText = root.querySelector("[data-testid=capture-state]");
    this.errorText = root.querySelector("[data-testid=recording-error]");
    this.allowed = false;
    this.recording = null;  // the status's recording map
    this.capture = null;    // the status's capture map
    this.inFlight = false;
    this.error = null;      // {code, message} of the newest refusal
    this.requests = 0;
    this.toggle.addEventListener("change", () => this.send({ type: "record", enabled: this.toggle.checked }));
    this.captureButton.addEventListener("click", () => {
      const afterS = Number(this.afterInput.value || 0);
      this.send({ type: "capture", after_s: afterS });
    });
    this.updateState();
  }

  updateFromStatus(status) {
    this.recording = status?.recording ?? null;
    this.capture = status?.capture ?? null;
    const r = this.recording;
    if (!this.inFlight) this.toggle.checked = r?.next_scan === true;
    this.recordingText.textContent = !r?.enabled
      ? "off (no --record directory)"
      : `${r.state}${r.scan_id !== undefined ? ` · scan ${r.scan_id}` : ""} · ${r.frames_written} frames` +
        `${r.frames_dropped ? ` · ${r.frames_dropped} dropped` : ""}${r.error ? ` · ${r.error}` : ""}`;
    this.recordingText.title = r?.file ?? "";
    const c = this.capture;
    this.ringText.textContent = !c?.enabled
      ? "off (no --capture-ring-s)"
      : `${c.ring_frames} frames · ${(c.ring_bytes / 2 ** 20).toFixed(1)} of ` +
        `${(c.ring_capacity_bytes / 2 ** 20).toFixed(0)} MiB · ${c.ring_span_s.toFixed(1)} of ${c.ring_s} s`;
    this.captureText.textContent = !c || c.state === "idle"
      ? "none yet"
      : `${c.state} · ${c.frames_written} frames${c.state === "capturing" ? ` · ${c.remaining_s.toFixed(1)} s left` : ""}` +
        `${c.error ? ` · ${c.error}` : ""}`;
    this.captureText.title = c?.file ?? "";
    this.updateState();
  }

  setAllowed(allowed) {
    this.allowed = allowed;
    this.updateState();
  }

  updateState() {
    this.toggle.disabled = !this.allowed || this.inFlight || !this.recording?.enabled;
    this.captureButton.disabled = !this.allowed || this.inFlight || !this.capture?.enabled ||
                                  this.capture?.state === "capturing";
  }

  async send(message) {
    if (this.inFlight || !this.page.controlAllowed()) return;
    this.inFlight = true;
    ++this.requests;
    this.updateState();
    const reply = await this.page.request(message);
    this.inFlight = false;
    this.error = reply.ok ? null : reply.error;
    this.errorText.textContent = this.error ? this.error.message : "";
    this.errorText.title = this.error ? `error code ${this.error.code}` : "";
    this.errorText.classList.toggle("error", this.error !== null);
    if (reply.ok && message.type === "record") this.toggle.checked = reply.result.next_scan === true;
    this.updateState();
  }

  // Read-only snapshot for the test hook.
  snapshot() {
    return { recording: structuredClone(this.recording), capture: structuredClone(this.capture),
             error: structuredClone(this.error), inFlight: this.inFlight, requests: this.requests,
             nextScanChecked: this.toggle.checked };
  }
}
