// The request flow the two sweep panels share (sweep_panel.js: centers, processing_sweep_panel.js: processing
// parameters): check the fields, send one sweep at a time, show the daemon's refusal as it comes (the code in the
// tooltip) or hand the reply to the panel, and count requests for the test hook.
// A subclass provides message() -> {message} or {problem: sentence}, updateState(), showReply(reply, message, scanId)
// and optionally beforeRequest(); it sets this.page, this.scan and this.errorText.

export class SweepRequestPanel {
  constructor() {
    this.scan = null;
    this.running = false;
    this.requests = 0;
    this.lastRequest = null;
    this.lastError = "";
  }

  beforeRequest() {}

  async run() {
    if (this.running || !this.scan) return;
    const { message, problem } = this.message();
    if (problem) {
      this.showError(problem);
      return;
    }
    this.showError("");
    this.running = true;
    this.beforeRequest();
    this.updateState();
    ++this.requests;
    this.lastRequest = message;
    const scanId = this.scan.scan_id;
    const reply = await this.page.request(message);
    this.running = false;
    this.updateState();
    if (!reply.ok) {
      this.showError(reply.error?.message ?? "the sweep failed", reply.error?.code);
      return;
    }
    this.showReply(reply, message, scanId);
  }

  showError(text, code = "") {
    this.lastError = text;
    this.errorText.textContent = text;
    this.errorText.title = code ? `error code ${code}` : "";
  }

  // Read-only snapshot for the test hook.
  snapshot() {
    return { running: this.running, requests: this.requests, lastRequest: structuredClone(this.lastRequest),
             error: this.lastError };
  }
}
