// The Scan plan panel: posts the scan plan of the next detector series that brings none (a bare DECTRIS or
// array-1.0 stream; PROTOCOL.md "Scan plans") with set_scan_plan. The fields are checked as they are typed; `Post`
// sends them and shows the daemon's answer. Read-only pages cannot post.

import { scanPlanProblems, scanPlanReplyText, scanPlanRequest } from "./scan_plan_form.js";

export class ScanPlanPanel {
  // root: the element holding the [data-field] inputs and the [data-testid=scan-plan-*] elements
  // page: {request(message) -> Promise<reply>, controlAllowed()}
  constructor(root, page) {
    this.page = page;
    this.inputs = new Map([...root.querySelectorAll("[data-field]")].map((input) => [input.dataset.field, input]));
    this.postButton = root.querySelector("[data-testid=scan-plan-post]");
    this.resultText = root.querySelector("[data-testid=scan-plan-result]");
    for (const input of this.inputs.values()) input.addEventListener("input", () => this.refresh());
    this.postButton.addEventListener("click", () => this.post());
    this.refresh();
  }

  fields() {
    return Object.fromEntries([...this.inputs].map(([name, input]) => [name, input.value.trim()]));
  }

  refresh() {
    const problems = scanPlanProblems(this.fields());
    const allowed = this.page.controlAllowed();
    this.postButton.disabled = !allowed || problems.length > 0;
    this.postButton.title = !allowed ? "read-only or not connected" : problems.join("; ") || "post the plan";
  }

  async post() {
    const fields = this.fields();
    if (scanPlanProblems(fields).length > 0 || !this.page.controlAllowed()) return;
    const request = scanPlanRequest(fields);
    try {
      this.resultText.textContent = scanPlanReplyText(request, await this.page.request(request));
    } catch (error) {
      this.resultText.textContent = `not sent: ${error.message}`;
    }
  }
}
