// The Processing panel (PROTOCOL.md 10.5): the filter window, zinger removal, Paganin phase retrieval and ring
// removal of the daemon's projection processing, and the half-acquisition state of the scan (read-only).
//
// The fields follow the status's `processing` (so a change by another page or tomolive-ctl shows up), except those
// the user has changed and the one being typed in. The values are checked as they are typed, with a message per
// field; `Apply` (or Enter in a field) sends set_processing with only the values that differ from the daemon's
// setting, and shows the re-filter report of the reply ("re-filtered 180 projections in 12.3 ms") or the daemon's
// error. The status's newest re-filter of the scan (any client's, or a ring pass) is shown below it. Read-only pages
// show the values with the fields and `Apply` disabled, and say why.

import {
  FILTER_WINDOWS, describeChanges, editedKeys, followSetting, formProblems, halfAcquisitionText, numberText,
  processingRequest, refilterText, withScanPixelSize,
} from "./processing_form.js";

export class ProcessingPanel {
  // root: the element holding the [data-field] inputs and the [data-testid=processing-*] elements
  // page: {request(message) -> Promise<reply>, controlAllowed()}
  constructor(root, page) {
    this.page = page;
    this.inputs = new Map([...root.querySelectorAll("[data-field]")].map((input) => [input.dataset.field, input]));
    this.applyButton = root.querySelector("[data-testid=processing-apply]");
    this.note = root.querySelector("[data-testid=processing-note]");
    this.problemList = root.querySelector("[data-testid=processing-problems]");
    this.errorText = root.querySelector("[data-testid=processing-error]");
    this.reportText = root.querySelector("[data-testid=processing-report]");
    this.refilterText = root.querySelector("[data-testid=processing-refilter]");
    this.halfAcquisitionText = root.querySelector("[data-testid=processing-half-acquisition]");
    this.scanPixelSizeText = root.querySelector("[data-testid=processing-scan-pixel-size]");
    this.setting = null;        // the daemon's setting: the newest of the status and this page's replies
    this.shownForm = {};        // the daemon's setting as the form showed it last (editedKeys compares with it)
    this.scanPixelSizeUm = null;
    this.allowed = false;
    this.blockedReason = "not connected to the daemon";  // why the fields cannot be used, when not allowed
    this.inFlight = false;
    this.requests = 0;
    this.lastRequest = null;
    this.lastResult = null;     // the newest set_processing result of this page
    this.lastError = null;      // {code, message} of the newest refusal

    const select = this.inputs.get("window");
    for (const name of FILTER_WINDOWS) select.add(new Option(name, name));
    for (const input of this.inputs.values()) {
      input.addEventListener("input", () => this.refresh());
      input.addEventListener("change", () => this.refresh());
      if (input.type === "number") {
        input.addEventListener("keydown", (event) => {
          if (event.key === "Enter") this.apply();
        });
      }
    }
    this.inputs.get("phase.enabled").addEventListener("change", (event) => {
      if (event.target.checked && this.setting) {
        this.writeForm(withScanPixelSize(this.readForm(), this.shownForm, this.setting, this.scanPixelSizeUm));
        this.refresh();
      }
    });
    this.applyButton.addEventListener("click", () => this.apply());
    this.refresh();
  }

  // status: the get_status map.
  updateFromStatus(status) {
    const scan = status.scan;
    this.scanPixelSizeUm = scan?.pixel_size_um ?? null;
    this.scanPixelSizeText.textContent = this.scanPixelSizeUm !== null ? `scan: ${numberText(this.scanPixelSizeUm)} µm`
                                                                       : "";
    this.refilterText.textContent = scan?.refilter ? refilterText(scan.refilter) : "none yet";
    this.halfAcquisitionText.textContent = status.processing ? halfAcquisitionText(status.processing.half_acquisition)
                                                             : "–";
    if (status.processing && !this.inFlight) this.adoptSetting(status.processing);
    this.refresh();
  }

  // allowed: whether this page may control; reason: why not, when it may not.
  setAllowed(allowed, reason) {
    this.allowed = allowed;
    this.blockedReason = allowed ? "" : reason;
    this.refresh();
  }

  adoptSetting(setting) {
    this.setting = setting;
    const focused = document.activeElement?.dataset?.field;
    const { form, shownForm } = followSetting(this.readForm(), this.shownForm, setting,
                                              this.inputs.has(focused) ? focused : null);
    this.shownForm = shownForm;
    this.writeForm(form);
  }

  readForm() {
    const form = {};
    for (const [key, input] of this.inputs) form[key] = input.type === "checkbox" ? input.checked : input.value;
    return form;
  }

  writeForm(form) {
    for (const [key, input] of this.inputs) {
      if (input.type === "checkbox") input.checked = form[key];
      else if (input.value !== form[key]) input.value = form[key];
    }
  }

  // What is wrong with the form; nothing before the daemon's setting has filled it.
  problems(form) {
    return this.setting !== null ? formProblems(form) : [];
  }

  // Checks the form and sets the fields, the problem list, the note and Apply from it.
  refresh() {
    const form = this.readForm();
    const problems = this.problems(form);
    const problemOf = new Map(problems.map(({ key, message }) => [key, message]));
    const edited = new Set(editedKeys(form, this.shownForm));
    const editable = this.allowed && this.setting !== null;
    for (const [key, input] of this.inputs) {
      input.disabled = !editable;
      input.classList.toggle("invalid", problemOf.has(key));
      input.classList.toggle("edited", edited.has(key));
      input.setAttribute("aria-invalid", String(problemOf.has(key)));
      const title = problemOf.get(key) ?? (editable ? null : this.blockedReason);
      if (title === null) input.removeAttribute("title");  // the label's explanation shows then
      else input.title = title;
    }
    this.problemList.replaceChildren(...problems.map(({ key, message }) => {
      const item = document.createElement("li");
      item.dataset.field = key;
      item.textContent = message;
      return item;
    }));

    const request = editable && problems.length === 0 ? processingRequest(form, this.setting) : null;
    this.applyButton.disabled = !editable || this.inFlight || request === null;
    this.applyButton.title = editable ? "send the changed values to the daemon (set_processing)" : this.blockedReason;
    this.note.textContent = !this.allowed ? `cannot apply: ${this.blockedReason}`
                          : this.setting === null ? "waiting for the daemon's setting"
                          : this.inFlight ? "applying…"
                          : problems.length > 0 ? "correct the values marked to apply"
                          : request === null ? "no changes"
                          : `changes: ${describeChanges(request).join(", ")}`;
  }

  async apply() {
    if (this.inFlight || !this.page.controlAllowed() || this.setting === null) return;
    const form = this.readForm();
    if (this.problems(form).length > 0) return;
    const request = processingRequest(form, this.setting);
    if (request === null) return;
    await this.send(request);
  }

  // Applies set_processing fields chosen elsewhere (a processing sweep's candidate, processing_sweep_panel.js);
  // false when that is not possible now (read-only, or a request in flight).
  applyFields(fields) {
    if (this.inFlight || !this.page.controlAllowed()) return false;
    this.send({ type: "set_processing", ...fields });
    return true;
  }

  async send(request) {
    this.inFlight = true;
    ++this.requests;
    this.lastRequest = request;
    this.showError(null);
    this.refresh();
    const reply = await this.page.request(request);
    this.inFlight = false;
    if (reply.ok) {
      this.lastResult = reply.result;
      this.reportText.textContent = refilterText(reply.result.refilter);
      this.reportText.title = `applied: ${describeChanges(request).join(", ")}`;
      this.adoptSetting(reply.result.processing);
    } else {
      this.showError(reply.error);
    }
    this.refresh();
  }

  showError(error) {
    this.lastError = error;
    this.errorText.textContent = error ? error.message : "";
    this.errorText.title = error ? `error code ${error.code}` : "";
  }

  // Read-only snapshot for the test hook.
  snapshot() {
    const form = this.readForm();
    return { form, edited: editedKeys(form, this.shownForm), problems: this.problems(form),
             setting: structuredClone(this.setting), inFlight: this.inFlight, requests: this.requests,
             lastRequest: structuredClone(this.lastRequest), lastResult: structuredClone(this.lastResult),
             lastError: structuredClone(this.lastError) };
  }
}
