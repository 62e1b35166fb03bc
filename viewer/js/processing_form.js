// The projection-processing setting (PROTOCOL.md 10.5) as the Processing panel's form holds it: the checks the
// page makes before sending, the set_processing request (10.1) made of what differs from the daemon's setting, how
// the form follows the daemon's setting without overwriting what the user is editing, and the texts the panel shows.
// Pure functions, no DOM.
//
// A form is a flat object from a field key to what its input holds: the window's name, a boolean for each "enabled"
// box, and the text typed into each number field. Keys are the setting's paths: "window", "zingers.threshold",
// "phase.energy_kev", "rings.size", ... A setting is the status's `processing` map (10.3).

export const FILTER_WINDOWS = ["ram-lak", "shepp-logan", "cosine", "hamming", "hann", "parzen"];
export const RING_SIZE_MIN = 3;
export const RING_SIZE_MAX = 255;

// Numbers agree when they differ by at most this fraction: the daemon may keep a value in float32 (0.3 comes back
// as 0.30000001192...), and a field that agrees with the daemon must not count as a change.
const SAME_NUMBER_RELATIVE = 1e-6;
const SHOWN_DIGITS = 7;  // significant digits of a number written into a field (float32 holds about 7)

function positiveCheck(what, unit) {
  return (value) => (Number.isFinite(value) && value > 0 ? null : `${what} must be a number > 0${unit}`);
}

// Every field of the form, in the panel's order: key, kind ("choice", "flag", "number" or "integer"), the label
// used in messages and summaries, the unit shown after a value, and for values a check that returns null or what
// is wrong. Every value is checked whether or not its step is on, as the daemon does.
export const PROCESSING_FIELDS = [
  { key: "window", kind: "choice", label: "window", unit: "",
    check: (name) => (FILTER_WINDOWS.includes(name) ? null
                                                    : `the filter window must be one of ${FILTER_WINDOWS.join(", ")}`) },
  { key: "zingers.enabled", kind: "flag", label: "zinger removal", unit: "" },
  { key: "zingers.threshold", kind: "number", label: "zinger threshold", unit: "",
    check: positiveCheck("the zinger threshold", " (a fraction of the local median transmission: 0.3 = 30 %)") },
  { key: "phase.enabled", kind: "flag", label: "phase retrieval", unit: "" },
  { key: "phase.energy_kev", kind: "number", label: "energy", unit: "keV",
    check: positiveCheck("the photon energy", " of keV") },
  { key: "phase.distance_m", kind: "number", label: "distance", unit: "m",
    check: positiveCheck("the propagation distance", " of metres") },
  { key: "phase.pixel_size_um", kind: "number", label: "pixel size", unit: "µm",
    check: positiveCheck("the pixel size", " of micrometres") },
  { key: "phase.delta_over_beta", kind: "number", label: "δ/β", unit: "",
    check: positiveCheck("δ/β", "") },
  { key: "rings.enabled", kind: "flag", label: "ring removal", unit: "" },
  { key: "rings.size", kind: "integer", label: "ring filter size", unit: "px",
    check: (size) => (Number.isInteger(size) && size % 2 === 1 && size >= RING_SIZE_MIN && size <= RING_SIZE_MAX
      ? null : `the ring filter size must be an odd whole number of pixels, ${RING_SIZE_MIN}..${RING_SIZE_MAX}`) },
];

const FIELDS_BY_KEY = new Map(PROCESSING_FIELDS.map((field) => [field.key, field]));

// The setting's value at a field's key ("phase.energy_kev" -> setting.phase.energy_kev).
function settingValue(setting, key) {
  return key.split(".").reduce((node, part) => node?.[part], setting);
}

// What a form value means: the name, the boolean, or the number typed (NaN when the text is no number).
export function parseField(field, formValue) {
  switch (field.kind) {
    case "flag":
      return formValue === true;
    case "choice":
      return String(formValue);
    default: {
      const text = String(formValue ?? "").trim();
      return text === "" ? Number.NaN : Number(text);
    }
  }
}

// A number as a field shows it: at most 7 significant digits, so float32 noise does not show (0.3, not 0.30000001).
export function numberText(value) {
  return String(Number(Number(value).toPrecision(SHOWN_DIGITS)));
}

// The form that shows `setting`.
export function formFromSetting(setting) {
  const form = {};
  for (const field of PROCESSING_FIELDS) {
    const value = settingValue(setting, field.key);
    form[field.key] = field.kind === "flag" ? value === true : field.kind === "choice" ? String(value) : numberText(value);
  }
  return form;
}

function sameValue(field, a, b) {
  if (field.kind === "flag" || field.kind === "choice") return a === b;
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  return Math.abs(a - b) <= SAME_NUMBER_RELATIVE * Math.max(Math.abs(a), Math.abs(b));
}

// Whether two forms hold the same value at `key` (numbers compared as numbers: "0.30" is "0.3").
function sameFormValue(key, a, b) {
  const field = FIELDS_BY_KEY.get(key);
  return sameValue(field, parseField(field, a), parseField(field, b));
}

// What is wrong with the form: [{key, message}] in the panel's order; empty when every value is valid.
export function formProblems(form) {
  const problems = [];
  for (const field of PROCESSING_FIELDS) {
    if (!field.check) continue;
    const message = field.check(parseField(field, form[field.key]));
    if (message) problems.push({ key: field.key, message });
  }
  return problems;
}

// The keys whose form value differs from the setting's, in the panel's order.
export function changedKeys(form, setting) {
  return PROCESSING_FIELDS.filter((field) => !sameValue(field, parseField(field, form[field.key]),
                                                        settingValue(setting, field.key)))
                          .map((field) => field.key);
}

// The set_processing request that turns `setting` (the daemon's, now) into what the form holds: only the values
// that differ, so that a change made meanwhile by another client to anything else stays; null when nothing differs.
// The form must be valid (formProblems empty).
export function processingRequest(form, setting) {
  const keys = changedKeys(form, setting);
  if (keys.length === 0) return null;
  const request = { type: "set_processing" };
  for (const key of keys) {
    const value = parseField(FIELDS_BY_KEY.get(key), form[key]);
    const [group, name] = key.split(".");
    if (name === undefined) request[group] = value;
    else request[group] = { ...request[group], [name]: value };
  }
  return request;
}

// Short words for what `request` changes, in the panel's order: ["window hann", "phase retrieval on",
// "energy 25 keV"].
export function describeChanges(request) {
  const words = [];
  for (const field of PROCESSING_FIELDS) {
    const value = settingValue(request, field.key);
    if (value === undefined) continue;
    if (field.kind === "flag") words.push(`${field.label} ${value ? "on" : "off"}`);
    else if (field.kind === "choice") words.push(`${field.label} ${value}`);
    else words.push(`${field.label} ${numberText(value)}${field.unit ? ` ${field.unit}` : ""}`);
  }
  return words;
}

// The form after the daemon's setting became `setting`, given the form now, `shownForm` (the daemon's setting the
// form showed last, as a form) and the key of the field that has the keyboard focus (or null). A field the user has
// not changed from what it showed, and is not typing in, takes the daemon's value; a changed one keeps the user's
// value. Returns {form, shownForm}; a changed field that now agrees with the daemon counts as unchanged again.
export function followSetting(form, shownForm, setting, focusedKey) {
  const daemonForm = formFromSetting(setting);
  const next = { ...form };
  const nextShown = { ...shownForm };
  for (const { key } of PROCESSING_FIELDS) {
    const untouched = shownForm[key] === undefined || sameFormValue(key, form[key], shownForm[key]);
    if (untouched && key !== focusedKey) {
      next[key] = daemonForm[key];
      nextShown[key] = daemonForm[key];
    } else if (sameFormValue(key, form[key], daemonForm[key])) {
      nextShown[key] = daemonForm[key];
    }
  }
  return { form: next, shownForm: nextShown };
}

// The keys the user has changed from what the form showed last.
export function editedKeys(form, shownForm) {
  return PROCESSING_FIELDS.filter(({ key }) => shownForm[key] !== undefined &&
                                               !sameFormValue(key, form[key], shownForm[key]))
                          .map(({ key }) => key);
}

// The form when phase retrieval is switched on in it: the pixel size becomes the scan's (scan.pixel_size_um, the
// begin's) while the daemon's phase retrieval is off (its pixel size is then most likely a default), unless the
// user changed that field or the scan gives none.
export function withScanPixelSize(form, shownForm, setting, scanPixelSizeUm) {
  const key = "phase.pixel_size_um";
  if (!Number.isFinite(scanPixelSizeUm) || setting.phase.enabled || editedKeys(form, shownForm).includes(key)) {
    return form;
  }
  return { ...form, [key]: numberText(scanPixelSizeUm) };
}

// A re-filter report (10.2's `refilter`, or the status's scan.refilter with its `reason`) in words:
// "re-filtered 180 projections in 12.3 ms, 4 zingers replaced".
export function refilterText(refilter) {
  const prefix = refilter.reason === "rings_pass" ? "ring pass: " : "";
  if (!refilter.projections) return `${prefix}no projections resident; the setting applies to the next scan`;
  const count = `${refilter.projections} projection${refilter.projections === 1 ? "" : "s"}`;
  let text = `${prefix}re-filtered ${count} in ${Number(refilter.elapsed_ms).toFixed(1)} ms`;
  if (refilter.zingers_replaced > 0) text += `, ${refilter.zingers_replaced} zingers replaced`;
  if (refilter.clamped_values > 0) text += `, ${refilter.clamped_values} transmissions clamped`;
  return text;
}

// The status's half_acquisition map in words.
export function halfAcquisitionText(halfAcquisition) {
  if (!halfAcquisition?.enabled) return "off";
  const first = halfAcquisition.detector_col0;
  return `on: the detector is columns ${first}..${first + halfAcquisition.detector_cols - 1} of the reconstructed frame`;
}
