// The scan-plan form's rules (PROTOCOL.md "Scan plans", 10.1 set_scan_plan), without the DOM: what the page checks
// before sending, and the set_scan_plan request made of the fields. A plan is for the next detector series that
// brings none: darks, flats, then projections in one series (series "one", the layout form), or as series in a row,
// one per kind (series "three", the per-series form: the request names the first kind with images as image_key),
// spread over an angle range.

const MAX_PROJECTIONS = 1000000;
const MAX_REFERENCES = 10000;

// The problems of the form's text fields {darks, flats, projections, range_deg}, one message per field; [] when
// the request can be sent.
export function scanPlanProblems(fields) {
  const problems = [];
  const count = (name, text, low, high) => {
    const value = Number(text);
    if (text === "" || !Number.isInteger(value) || value < low || value > high) {
      problems.push(`${name}: "${text}" is not a whole number in ${low}..${high}`);
    }
  };
  count("projections", fields.projections, 1, MAX_PROJECTIONS);
  count("darks", fields.darks, 0, MAX_REFERENCES);
  count("flats", fields.flats, 0, MAX_REFERENCES);
  const range = Number(fields.range_deg);
  if (fields.range_deg === "" || !Number.isFinite(range) || range <= 0) {
    problems.push(`angle range: "${fields.range_deg}" is not a positive number of degrees`);
  }
  return problems;
}

// The set_scan_plan request of a form without problems.
export function scanPlanRequest(fields) {
  const request = {
    type: "set_scan_plan",
    n_darks: Number(fields.darks),
    n_flats: Number(fields.flats),
    n_projections: Number(fields.projections),
    angle_range_deg: Number(fields.range_deg),
  };
  if (fields.series === "three") {
    request.image_key = request.n_darks > 0 ? "dark" : request.n_flats > 0 ? "flat" : "projection";
  }
  return request;
}

// What the page says after the daemon's reply to `request` ({ok, error}).
export function scanPlanReplyText(request, reply) {
  if (!reply.ok) return `refused (${reply.error.code}): ${reply.error.message}`;
  const series = request.image_key ? `the next series in a row, from the ${request.image_key}s` : "the next series";
  return `posted for ${series}: ${request.n_darks} darks, ${request.n_flats} flats, ` +
         `${request.n_projections} projections over ${request.angle_range_deg}°`;
}
