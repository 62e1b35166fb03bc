// What the center estimate and sample centring panels (center_estimate.js, sample_centring.js) share: one request at
// a time whose reply belongs to the scan it was asked for (a reply that comes after the scan changed is dropped),
// the daemon's refusal shown as it came (the code in the tooltip), and signed numbers.

// Sends `message` for `panel` ({page, scanId, inFlight, requests, result, error, errorText, updateState(),
// showResult()}), showing `busyText` meanwhile; the reply becomes panel.result or panel.error when the scan is still
// the same. Returns the reply.
export async function requestForScan(panel, message, busyText) {
  panel.inFlight = true;
  ++panel.requests;
  panel.error = null;
  panel.errorText.textContent = busyText;
  panel.errorText.classList.remove("error");
  panel.updateState();
  const scanId = panel.scanId;
  const reply = await panel.page.request(message);
  panel.inFlight = false;
  if (scanId === panel.scanId) {
    if (reply.ok) {
      panel.result = reply.result;
    } else {
      panel.error = reply.error;
    }
    panel.showResult();
  }
  panel.updateState();
  return reply;
}

// The daemon's message for `error` ({code, message}, or null: none) in `errorText`.
export function showRefusal(errorText, error) {
  errorText.textContent = error ? error.message : "";
  errorText.title = error ? `error code ${error.code}` : "";
  errorText.classList.toggle("error", error !== null);
}

// "+1.50" / "-0.25": `value` with `digits` decimals and its sign.
export function signed(value, digits) {
  return `${value >= 0 ? "+" : ""}${Number(value).toFixed(digits)}`;
}
