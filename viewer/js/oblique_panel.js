// The oblique slice controls (PROTOCOL.md 10.9): the plane's normal [x, y, z] (z along detector rows) and its offset
// from the volume's centre, Show (set_oblique_slice with them) and Hide (enabled false), and the tilt mode, in which
// a left drag in an orthoslice pane tilts the plane (as Alt + drag always does; slice_pane.js). The plane in use comes
// from the replies of this page and from the oblique slice's own messages (their normal and position), so that a
// plane set elsewhere shows here too. Control mode only.

const DIGITS = 3;

export class ObliquePanel {
  // root: the element holding the [data-testid=oblique-*] controls
  // page: {request(message) -> Promise<reply>, controlAllowed(), planeChanged(plane or null)}
  constructor(root, page) {
    this.page = page;
    this.inputs = ["x", "y", "z"].map((axis) => root.querySelector(`[data-testid=oblique-normal-${axis}]`));
    this.offsetInput = root.querySelector("[data-testid=oblique-offset]");
    this.showButton = root.querySelector("[data-testid=oblique-show]");
    this.hideButton = root.querySelector("[data-testid=oblique-hide]");
    this.tiltBox = root.querySelector("[data-testid=oblique-tilt]");
    this.note = root.querySelector("[data-testid=oblique-note]");
    this.errorText = root.querySelector("[data-testid=oblique-error]");
    [0, 0, 1].forEach((value, k) => { this.inputs[k].value = String(value); });
    this.offsetInput.value = "0";
    this.plane = null;  // {normal, offset_px, shape} in use, or null while hidden
    this.newestSequence = 0;   // of the oblique slice messages received
    this.hiddenAfter = 0;      // messages up to this sequence predate a Hide: not shown again
    this.requests = 0;
    this.lastRequest = null;
    this.lastError = "";
    this.showButton.addEventListener("click", () => this.showFromFields());
    this.hideButton.addEventListener("click", () => this.send({ type: "set_oblique_slice", enabled: false }));
    this.setAllowed(false);
  }

  get tiltMode() {
    return this.tiltBox.checked && !this.tiltBox.disabled;
  }

  setAllowed(allowed) {
    for (const element of [...this.inputs, this.offsetInput, this.showButton, this.hideButton, this.tiltBox]) {
      element.disabled = !allowed;
    }
  }

  showFromFields() {
    const normal = this.inputs.map((input) => Number(input.value));
    const offset = Number(this.offsetInput.value);
    if (!normal.every(Number.isFinite) || normal.every((c) => c === 0)) {
      this.showError("the normal needs three numbers, not all 0");
      return;
    }
    if (!Number.isFinite(offset)) {
      this.showError("the offset must be a number of pixels");
      return;
    }
    this.send({ type: "set_oblique_slice", normal, offset_px: offset });
  }

  // A tilt drag's three points (slice_geometry.js tiltPoints).
  tilt(points) {
    this.send({ type: "set_oblique_slice", points });
  }

  async send(message) {
    ++this.requests;
    this.lastRequest = message;
    const reply = await this.page.request(message);
    if (!reply.ok) {
      this.showError(reply.error?.message ?? "set_oblique_slice failed", reply.error?.code);
      return;
    }
    this.showError("");
    const r = reply.result;
    if (!r.enabled) this.hiddenAfter = this.newestSequence;
    this.adopt(r.enabled ? { normal: r.normal, offset_px: r.offset_px, shape: r.shape } : null);
  }

  // The oblique slice's message header (slice "oblique"): adopts its plane when it differs from the one shown.
  // Returns whether the message is to be shown (false for versions from before a Hide, which the daemon may resend).
  receiveHeader(header) {
    this.newestSequence = Math.max(this.newestSequence, header.sequence);
    if (header.sequence <= this.hiddenAfter || !header.normal) return false;
    const same = this.plane && this.plane.offset_px === header.position &&
                 this.plane.normal.every((c, k) => c === header.normal[k]);
    if (!same) this.adopt({ normal: header.normal, offset_px: header.position, shape: header.shape });
    return true;
  }

  adopt(plane) {
    this.plane = plane;
    if (plane) {
      plane.normal.forEach((c, k) => { this.inputs[k].value = String(round(c)); });
      this.offsetInput.value = String(round(plane.offset_px));
      this.note.textContent = `shown: normal [${plane.normal.map((c) => round(c)).join(", ")}], ` +
                              `offset ${round(plane.offset_px)} px`;
    } else {
      this.note.textContent = "hidden";
    }
    this.page.planeChanged(plane);
  }

  showError(text, code = "") {
    this.lastError = text;
    this.errorText.textContent = text;
    this.errorText.title = code ? `error code ${code}` : "";
  }

  // Read-only snapshot for the test hook.
  snapshot() {
    return { plane: this.plane ? structuredClone(this.plane) : null, requests: this.requests,
             lastRequest: structuredClone(this.lastRequest), error: this.lastError, tiltMode: this.tiltMode };
  }
}

function round(value) {
  const scale = 10 ** DIGITS;
  return Math.round(value * scale) / scale + 0;
}
