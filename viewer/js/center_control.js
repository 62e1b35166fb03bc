// The center-of-rotation control: shows the axis in use (offset from (cols - 1) / 2 and absolute column, from the
// status) and changes it in 0.1-pixel steps with buttons, a number field and keyboard shortcuts:
//   [ / ]                 -0.1 / +0.1 pixel        { / }  (Shift + [ / ])   -1 / +1 pixel
//   Alt + Left / Right    -0.1 / +0.1 pixel        Alt + Shift + Left / Right  -1 / +1 pixel
// Rapid steps are coalesced: one set_center request is in flight at a time and the newest target follows it.
// apply() sets an exact offset (an estimate, a sweep candidate) without rounding it to the 0.1-pixel steps.

const DIGITS = 1;  // targets are multiples of 0.1 pixel

export class CenterControl {
  // root: the element holding the [data-testid=center-*] controls
  // page: {request(message) -> Promise<reply>, controlAllowed(), showError(text)}
  constructor(root, page) {
    this.page = page;
    this.offsetText = root.querySelector("[data-testid=center-offset]");
    this.columnText = root.querySelector("[data-testid=center-column]");
    this.input = root.querySelector("[data-testid=center-input]");
    this.buttons = [...root.querySelectorAll("button[data-step]")];
    this.current = null;    // offset in use (px), from status or the newest reply
    this.cols = null;
    this.target = null;     // offset asked for and not yet confirmed
    this.inFlight = false;
    this.allowed = false;   // the page may control; the buttons also wait for the first value
    this.requests = 0;

    for (const button of this.buttons) {
      button.addEventListener("click", () => this.nudge(Number(button.dataset.step)));
    }
    this.input.addEventListener("change", () => {
      const value = Number(this.input.value);
      if (Number.isFinite(value)) this.setTarget(value);
    });
    this.setEnabled(false);
  }

  // The status's scan map (or undefined before the first scan).
  updateFromStatus(scan) {
    if (!scan) {
      this.current = null;
      this.offsetText.textContent = "–";
      this.columnText.textContent = "–";
      this.setEnabled(this.allowed);
      return;
    }
    this.cols = scan.cols;
    if (!this.inFlight && this.target === null) this.show(scan.center_offset_px);
  }

  show(offset) {
    this.current = offset;
    this.offsetText.textContent = `${signed(offset, 2)} px`;
    this.columnText.textContent = this.cols ? `${(offset + (this.cols - 1) / 2).toFixed(2)}` : "–";
    if (document.activeElement !== this.input) this.input.value = inputText(offset);
    this.setEnabled(this.allowed);
  }

  // Enables the controls when `allowed` and the axis in use is known (a scan exists).
  setEnabled(allowed) {
    this.allowed = allowed;
    const enabled = allowed && this.current !== null;
    this.input.disabled = !enabled;
    for (const button of this.buttons) button.disabled = !enabled;
  }

  nudge(step) {
    const base = this.target ?? this.current;
    if (base === null) return;
    this.setTarget(base + step);
  }

  setTarget(value) {
    if (!this.page.controlAllowed()) return;
    this.target = round(value);
    this.input.value = this.target.toFixed(DIGITS);
    this.send();
  }

  // Sets the center to `offset` pixels as given; returns false (nothing sent) when the page may not control.
  apply(offset) {
    if (!this.page.controlAllowed() || !Number.isFinite(offset)) return false;
    this.target = offset + 0;
    this.input.value = inputText(this.target);
    this.send();
    return true;
  }

  async send() {
    if (this.inFlight || this.target === null) return;
    const sent = this.target;
    this.inFlight = true;
    ++this.requests;
    const reply = await this.page.request({ type: "set_center", center_offset_px: sent });
    this.inFlight = false;
    if (reply.ok) {
      this.show(reply.result.center_offset_px);
    } else {
      this.page.showError(`set_center refused: ${reply.error.code}: ${reply.error.message}`);
      this.target = null;
      return;
    }
    if (this.target === sent) this.target = null;
    else this.send();
  }

  // Handles a keyboard shortcut; returns true when the key was one.
  handleKey(event) {
    let step = null;
    if (!event.altKey && !event.ctrlKey && !event.metaKey) {
      step = { "[": -0.1, "]": 0.1, "{": -1, "}": 1 }[event.key] ?? null;
    } else if (event.altKey && !event.ctrlKey && !event.metaKey) {
      const unit = event.shiftKey ? 1 : 0.1;
      step = event.key === "ArrowLeft" ? -unit : event.key === "ArrowRight" ? unit : null;
    }
    if (step === null) return false;
    this.nudge(step);
    return true;
  }
}

function round(value) {
  return Math.round(value * 10 ** DIGITS) / 10 ** DIGITS + 0;
}

// The number field shows steps of 0.1 as such and other offsets (estimates, candidates) to 0.001 pixel.
function inputText(offset) {
  return Math.abs(offset - round(offset)) < 1e-9 ? offset.toFixed(DIGITS) : offset.toFixed(3);
}

function signed(value, digits) {
  return `${value >= 0 ? "+" : ""}${value.toFixed(digits)}`;
}
