// Unit tests of the viewer's DOM-free modules, run in node: TLS1 decoding (including malformed messages), slice
// geometry (the oblique slice's trace and tilt included), zoom arithmetic, colormaps, the contrast window, the center
// sweep's plan, the processing form, the processing sweep's picks and the full volume's progress.

import assert from "node:assert/strict";
import { test } from "node:test";

import { colormapLut, colormapRgb, COLORMAP_NAMES } from "../../viewer/js/colormaps.js";
import { ContrastWindow, colorizeQuantized, fillQuantizedColorTable } from "../../viewer/js/contrast.js";
import { PaneView } from "../../viewer/js/pane_view.js";
import { processingFieldsFor } from "../../viewer/js/processing_sweep_panel.js";
import {
  crosshairLines, obliqueTrace, slicesThrough, tiltPoints, volumePoint,
} from "../../viewer/js/slice_geometry.js";
import {
  FILTER_WINDOWS, describeChanges, editedKeys, followSetting, formFromSetting, formProblems, halfAcquisitionText,
  processingRequest, refilterText, withScanPixelSize,
} from "../../viewer/js/processing_form.js";
import { scanPlanProblems, scanPlanReplyText, scanPlanRequest } from "../../viewer/js/scan_plan_form.js";
import { decodeSliceMessage, dequantize } from "../../viewer/js/slice_message.js";
import { decodePreviewMessage, dequantizePreview, isPreviewMessage } from "../../viewer/js/preview_message.js";
import { viewRotation } from "../../viewer/js/volume_render.js";
import { kindNames } from "../../viewer/js/defective_pixels_panel.js";
import {
  bestIndex, candidateOffsets, defaultStartOffset, stripWindow, sweepFieldsProblem, sweepRegion,
} from "../../viewer/js/sweep_plan.js";
import {
  volumeProgress, volumeRequest, volumeRunning, volumeShapeText, volumeStateText,
} from "../../viewer/js/volume_status.js";

// A TLS1 message as PROTOCOL.md 14.3 lays it out.
function encode(header, values, { magic = "TLS1", padTo = 8, extraBytes = 0 } = {}) {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataOffset = Math.ceil((8 + json.length) / padTo) * padTo;
  const buffer = new ArrayBuffer(dataOffset + values.length * 2 + extraBytes);
  const bytes = new Uint8Array(buffer);
  for (let i = 0; i < 4; ++i) bytes[i] = magic.charCodeAt(i);
  new DataView(buffer).setUint32(4, json.length, true);
  bytes.set(json, 8);
  const view = new DataView(buffer);
  values.forEach((q, i) => view.setUint16(dataOffset + 2 * i, q, true));
  return buffer;
}

const header = {
  scan_id: 3, slice: "xz", position: 1.5, shape: [4, 6], projections_included: 10, sequence: 7,
  center_offset_px: 0, received_ns: 1, published_ns: 2, region: [0, 0, 4, 6], data_shape: [2, 3], binning: 2,
  encoding: "uint16_linear", value_min: -1, value_max: 3, sent_ns: 3,
};

test("decodes a TLS1 message: header, padding, uint16 data, value mapping", () => {
  for (const extra of ["", "x", "xy", "xyz", "0123456"]) {  // every header length modulo 8
    const h = { ...header, name: extra };
    const { header: decoded, data } = decodeSliceMessage(encode(h, [0, 1, 2, 65533, 65534, 65535]));
    assert.deepEqual(decoded, h);
    assert.deepEqual([...data], [0, 1, 2, 65533, 65534, 65535]);
  }
  assert.equal(dequantize(header, 0), -1);
  assert.equal(dequantize(header, 65535), 3);
  assert.ok(Math.abs(dequantize(header, 32767.5) - 1) < 1e-12);
});

test("refuses malformed TLS1 messages with a reason", () => {
  const good = [0, 1, 2, 3, 4, 5];
  assert.throws(() => decodeSliceMessage(new ArrayBuffer(5)), /shorter than the 8-byte prefix/);
  assert.throws(() => decodeSliceMessage(encode(header, good, { magic: "TLS2" })), /magic "TLS2"/);
  assert.throws(() => decodeSliceMessage(encode(header, good.slice(1))), /bytes, expected/);
  assert.throws(() => decodeSliceMessage(encode(header, good, { extraBytes: 2 })), /bytes, expected/);
  assert.throws(() => decodeSliceMessage(encode({ ...header, encoding: "float16" }, good)), /encoding/);
  assert.throws(() => decodeSliceMessage(encode({ ...header, slice: "zz" }, good)), /"slice"/);
  assert.throws(() => decodeSliceMessage(encode({ ...header, data_shape: [2] }, good)), /data_shape/);
  assert.throws(() => decodeSliceMessage(encode({ ...header, value_max: null }, good)), /value_min and value_max/);
  const truncated = encode(header, good).slice(0, 20);
  assert.throws(() => decodeSliceMessage(truncated), /overruns/);
  const notJson = encode(header, good);
  new Uint8Array(notJson)[8] = 0x7a;  // "z{..." is not JSON
  assert.throws(() => decodeSliceMessage(notJson), SyntaxError);
});

test("a click puts the crosshairs of the other slices under the pointer (every pane)", () => {
  const rows = 48;
  const cols = 96;
  const start = { xy_row: 24, xz_y_px: 0, yz_x_px: 0 };
  for (const name of ["xy", "xz", "yz"]) {
    const fields = slicesThrough(name, 70, 30, rows, cols);
    const lines = crosshairLines(name, { ...start, ...fields }, cols);
    for (const line of lines) {
      assert.ok(Math.abs(line.at - (line.axis === "u" ? 70 : 30)) <= 0.05, `${name}: ${JSON.stringify(line)}`);
      assert.notEqual(line.slice, name);
    }
  }
  // XY: u = 70 is x = 70 - 47.5; v = 30 is y = 47.5 - 30 (row 0 is +y).
  assert.deepEqual(slicesThrough("xy", 70, 30, rows, cols), { yz_x_px: 22.5, xz_y_px: 17.5 });
  assert.deepEqual(slicesThrough("xz", 0, 10.4, rows, cols), { xy_row: 10, yz_x_px: -47.5 });
  // Clamped to the reconstruction.
  assert.deepEqual(slicesThrough("yz", 500, 500, rows, cols), { xy_row: 47, xz_y_px: 47.5 });
});

test("zoom keeps the point under the pointer and asks for the visible region", () => {
  const view = new PaneView();
  view.setCanvas(400, 200);
  view.setSlice(100, 200);
  assert.equal(view.scale(), 2);
  assert.equal(view.visibleRegion(), null);
  const [u, v] = view.toSlice(100, 50);
  view.zoomAt(100, 50, 4);
  const [u2, v2] = view.toSlice(100, 50);
  assert.ok(Math.abs(u - u2) < 1e-9 && Math.abs(v - v2) < 1e-9);
  const region = view.visibleRegion();
  assert.ok(region[2] <= 26 && region[3] <= 51, JSON.stringify(region));
  view.panBy(1e6, 1e6);  // the canvas centre stays on the slice
  assert.deepEqual(view.toSlice(200, 100), [-0.5, -0.5]);
  view.zoomAt(0, 0, 1e-3);
  assert.equal(view.zoom, 1);
  assert.equal(view.visibleRegion(), null);
});

test("colormaps: published end points, 256 opaque entries", () => {
  assert.deepEqual(colormapRgb("viridis", 0), [0x44, 0x01, 0x54]);
  assert.deepEqual(colormapRgb("viridis", 255), [0xfd, 0xe7, 0x25]);
  assert.deepEqual(colormapRgb("inferno", 0), [0x00, 0x00, 0x04]);
  assert.deepEqual(colormapRgb("inferno", 255), [0xfc, 0xff, 0xa4]);
  assert.deepEqual(colormapRgb("gray", 128), [128, 128, 128]);
  for (const name of COLORMAP_NAMES) {
    const lut = colormapLut(name);
    assert.equal(lut.length, 256);
    assert.ok(lut.every((p) => p >>> 24 === 255), `${name} is opaque`);
  }
  assert.throws(() => colormapLut("jet"), /unknown colormap/);
});

test("contrast: auto window at the 0.5/99.5 percentiles, manual window, color table", () => {
  const contrast = new ContrastWindow();
  const data = new Uint16Array(1001);
  for (let i = 0; i <= 1000; ++i) data[i] = Math.round((i / 1000) * 65535);
  contrast.updateSamples("xy", { value_min: 0, value_max: 10 }, data);
  assert.equal(contrast.refresh(), true);
  // Exact to 1/4096 of the range.
  assert.ok(Math.abs(contrast.min - 0.05) < 3e-3 && Math.abs(contrast.max - 9.95) < 3e-3, `${contrast.min} ${contrast.max}`);
  assert.equal(contrast.refresh(), false);
  assert.equal(contrast.setManual(2, 1), false);
  assert.equal(contrast.setManual(1, 2), true);
  assert.equal(contrast.mode, "manual");
  const table = new Uint32Array(65536);
  const lut = colormapLut("gray");
  fillQuantizedColorTable(table, { value_min: 0, value_max: 3 }, contrast, lut);
  assert.equal(table[0], lut[0]);                       // value 0, below the window
  assert.equal(table[Math.round(65535 / 2)], lut[128]); // value 1.5, mid-window
  assert.equal(table[65535], lut[255]);                 // value 3, above
});

test("contrast: percentiles of a skewed sample over three panes match sorting, to 1/4096 of the range", () => {
  const contrast = new ContrastWindow();
  const all = [];
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (const name of ["xy", "xz", "yz"]) {
    const data = new Uint16Array(5000);
    for (let i = 0; i < data.length; ++i) data[i] = Math.min(65535, Math.round(-Math.log(1 - random()) * 6000));
    const header = { value_min: -0.5, value_max: 2 };
    contrast.updateSamples(name, header, data);
    for (const q of data) all.push(header.value_min + (q / 65535) * 2.5);
  }
  contrast.refresh();
  all.sort((a, b) => a - b);
  const range = all[all.length - 1] - all[0];
  for (const p of [0.5, 5, 50, 95, 99.5]) {
    const exact = all[Math.max(0, Math.ceil((p / 100) * all.length) - 1)];  // the smallest value with p % at or below
    assert.ok(Math.abs(contrast.percentile(p) - exact) <= 2 * (range / 4096) + 1e-9,
              `percentile ${p}: ${contrast.percentile(p)} vs ${exact}`);
  }
  assert.equal(contrast.histogram(16).counts.reduce((a, b) => a + b, 0), all.length);
});

test("sweep frames decode like slices (slice \"sweep\" with sweep_id, index, count)", () => {
  const h = { slice: "sweep", sweep_id: 2, index: 3, count: 16, center_offset_px: -2.5, xy_row: 24, shape: [4, 6],
              region: [0, 0, 4, 6], data_shape: [2, 3], binning: 2, encoding: "uint16_linear", value_min: 0,
              value_max: 1, non_finite: 0, sent_ns: 5 };
  const { header: decoded, data } = decodeSliceMessage(encode(h, [0, 1, 2, 3, 4, 65535]));
  assert.deepEqual(decoded, h);
  assert.equal(data[5], 65535);
});

test("sweep plan: default candidates around the center, offsets, checks, region, best, common window", () => {
  // 16 candidates of 0.5 px with the center in use among them, at index 8.
  assert.equal(defaultStartOffset(0), -4);
  assert.equal(defaultStartOffset(1.234), -2.77);
  assert.equal(defaultStartOffset(0, 0.25, 5), -0.5);
  const offsets = candidateOffsets(-4, 0.5, 16);
  assert.equal(offsets.length, 16);
  assert.equal(offsets[8], 0);
  assert.equal(offsets[15], 3.5);
  assert.deepEqual(candidateOffsets(0.1, 0.1, 3), [0.1, 0.2, 0.3]);  // no 0.30000000000000004

  assert.equal(sweepFieldsProblem(-4, 0.5, 16, 96), null);
  assert.match(sweepFieldsProblem(-4, 0, 16, 96), /step/);
  assert.match(sweepFieldsProblem(-4, 0.5, 65, 96), /count/);
  assert.match(sweepFieldsProblem(-4, 0.5, 2.5, 96), /count/);
  assert.match(sweepFieldsProblem(Number.NaN, 0.5, 16, 96), /start/);
  assert.match(sweepFieldsProblem(40, 1, 16, 96), /off the 96-column detector/);  // the last is 55 >= 48

  assert.equal(sweepRegion(null), null);
  assert.deepEqual(sweepRegion([10, 20, 30, 40]), [10, 20, 30, 40]);
  assert.deepEqual(sweepRegion([0, 100, 2048, 500]), [512, 100, 1024, 500]);  // cut about its centre

  const centers = [-1, -0.5, 0, 0.5].map(Math.fround);
  assert.equal(bestIndex(centers, Math.fround(-0.5)), 1);
  assert.equal(bestIndex(centers, 0.49), 3);
  assert.equal(bestIndex([], 0), -1);

  // The page's window when it has one; else the frames' common range.
  assert.deepEqual(stripWindow({ min: 0.1, max: 0.9, hasSamples: true }, [{ value_min: -5, value_max: 5 }]),
                   { min: 0.1, max: 0.9 });
  assert.deepEqual(stripWindow({ min: 0, max: 1, hasSamples: false },
                               [{ value_min: -1, value_max: 2 }, { value_min: -3, value_max: 1 }]), { min: -3, max: 2 });
});

test("thumbnails colour quantized values through the window like the panes' colour table", () => {
  const lut = colormapLut("viridis");
  const header = { value_min: -1, value_max: 3 };
  const window = { min: 0, max: 2 };
  const data = new Uint16Array([0, 10000, 16384, 30000, 32768, 49151, 65535]);
  const pixels = new Uint32Array(data.length);
  colorizeQuantized(pixels, header, data, window, lut);
  const table = new Uint32Array(65536);
  fillQuantizedColorTable(table, header, window, lut);
  assert.deepEqual([...pixels], [...data].map((q) => table[q]));
  assert.equal(pixels[0], lut[0]);
  assert.equal(pixels[6], lut[255]);
});

// A status `processing` map (PROTOCOL.md 10.3): the daemon's defaults, the threshold back from float32.
const DEFAULT_SETTING = {
  window: "ram-lak",
  zingers: { enabled: false, threshold: Math.fround(0.3) },
  phase: { enabled: false, energy_kev: 20, distance_m: 0.1, pixel_size_um: 1, delta_over_beta: 100 },
  rings: { enabled: false, size: 21 },
  half_acquisition: { enabled: false, detector_col0: 0, detector_cols: 0 },
};

test("processing form: shows a setting (no float32 noise), and a form that shows it asks for nothing", () => {
  const form = formFromSetting(DEFAULT_SETTING);
  assert.deepEqual(form, {
    "window": "ram-lak", "zingers.enabled": false, "zingers.threshold": "0.3", "phase.enabled": false,
    "phase.energy_kev": "20", "phase.distance_m": "0.1", "phase.pixel_size_um": "1", "phase.delta_over_beta": "100",
    "rings.enabled": false, "rings.size": "21",
  });
  assert.deepEqual(formProblems(form), []);
  assert.equal(processingRequest(form, DEFAULT_SETTING), null);
  // Numbers compare as numbers: "0.30" is the daemon's float32 0.3, " 100.0 " is 100.
  assert.equal(processingRequest({ ...form, "zingers.threshold": "0.30", "phase.delta_over_beta": " 100.0 " },
                                 DEFAULT_SETTING), null);
});

test("processing form: the request carries only what differs, grouped as set_processing's maps", () => {
  const form = formFromSetting(DEFAULT_SETTING);
  assert.deepEqual(processingRequest({ ...form, window: "hann" }, DEFAULT_SETTING),
                   { type: "set_processing", window: "hann" });
  const request = processingRequest({ ...form, "phase.enabled": true, "phase.energy_kev": "25",
                                      "rings.size": "31" }, DEFAULT_SETTING);
  assert.deepEqual(request, { type: "set_processing", phase: { enabled: true, energy_kev: 25 },
                              rings: { size: 31 } });
  assert.deepEqual(describeChanges(request), ["phase retrieval on", "energy 25 keV", "ring filter size 31 px"]);
  assert.deepEqual(describeChanges({ type: "set_processing", window: "parzen", zingers: { enabled: false,
                                                                                           threshold: 0.5 } }),
                   ["window parzen", "zinger removal off", "zinger threshold 0.5"]);
  for (const name of FILTER_WINDOWS) {
    assert.deepEqual(formProblems({ ...form, window: name }), [], name);
  }
});

test("processing form: every value is checked, with a message naming the field and the range", () => {
  const form = formFromSetting(DEFAULT_SETTING);
  const problemsOf = (changes) => formProblems({ ...form, ...changes });
  assert.deepEqual(problemsOf({ "zingers.threshold": "0" }).map((p) => p.key), ["zingers.threshold"]);
  assert.match(problemsOf({ "zingers.threshold": "-0.1" })[0].message, /zinger threshold must be a number > 0/);
  assert.match(problemsOf({ "phase.energy_kev": "" })[0].message, /photon energy must be a number > 0 of keV/);
  assert.match(problemsOf({ "phase.distance_m": "abc" })[0].message, /propagation distance .* metres/);
  assert.match(problemsOf({ "phase.pixel_size_um": "0" })[0].message, /pixel size .* micrometres/);
  assert.match(problemsOf({ "phase.delta_over_beta": "Infinity" })[0].message, /δ\/β must be a number > 0/);
  for (const size of ["20", "1", "257", "21.5", ""]) {
    assert.match(problemsOf({ "rings.size": size })[0]?.message ?? "", /odd whole number of pixels, 3\.\.255/, size);
  }
  for (const size of ["3", "255", "101"]) assert.deepEqual(problemsOf({ "rings.size": size }), [], size);
  assert.match(problemsOf({ window: "blackman" })[0].message, /one of ram-lak, shepp-logan/);
  // A disabled step's values are checked too (the daemon refuses them either way), in the panel's order.
  assert.deepEqual(problemsOf({ "rings.size": "4", "zingers.threshold": "0" }).map((p) => p.key),
                   ["zingers.threshold", "rings.size"]);
});

test("processing form: follows the daemon's setting without overwriting the user's edits or the focused field", () => {
  const first = followSetting({}, {}, DEFAULT_SETTING, null);
  assert.deepEqual(first.form, formFromSetting(DEFAULT_SETTING));
  assert.deepEqual(editedKeys(first.form, first.shownForm), []);

  // The user types an energy and a ring size; another client sets hann, the energy and rings on meanwhile.
  const typed = { ...first.form, "phase.energy_kev": "30", "rings.size": "25" };
  assert.deepEqual(editedKeys(typed, first.shownForm), ["phase.energy_kev", "rings.size"]);
  const other = { ...DEFAULT_SETTING, window: "hann", phase: { ...DEFAULT_SETTING.phase, energy_kev: 12 },
                  rings: { enabled: true, size: 21 } };
  const next = followSetting(typed, first.shownForm, other, "phase.distance_m");
  assert.equal(next.form.window, "hann");
  assert.equal(next.form["rings.enabled"], true);
  assert.equal(next.form["phase.energy_kev"], "30", "the user's energy stays");
  assert.equal(next.form["rings.size"], "25", "the user's ring size stays");
  assert.deepEqual(editedKeys(next.form, next.shownForm), ["phase.energy_kev", "rings.size"]);
  // Apply then sends the user's values against the daemon's setting now, nothing else.
  assert.deepEqual(processingRequest(next.form, other),
                   { type: "set_processing", phase: { energy_kev: 30 }, rings: { size: 25 } });

  // The focused field keeps its text even when untouched; it follows once it loses the focus.
  const focused = followSetting(next.form, next.shownForm, { ...other, phase: { ...other.phase, distance_m: 0.5 } },
                                "phase.distance_m");
  assert.equal(focused.form["phase.distance_m"], "0.1");
  const blurred = followSetting(focused.form, focused.shownForm,
                                { ...other, phase: { ...other.phase, distance_m: 0.5 } }, null);
  assert.equal(blurred.form["phase.distance_m"], "0.5");

  // An edit that the daemon's setting now agrees with (this page's Apply) is no longer an edit.
  const applied = { ...other, phase: { ...other.phase, energy_kev: 30 }, rings: { enabled: true, size: 25 } };
  const after = followSetting(next.form, next.shownForm, applied, "rings.size");
  assert.deepEqual(editedKeys(after.form, after.shownForm), []);
  assert.equal(processingRequest(after.form, applied), null);
});

test("processing form: switching phase retrieval on proposes the scan's pixel size", () => {
  const { form, shownForm } = followSetting({}, {}, DEFAULT_SETTING, null);
  const on = { ...form, "phase.enabled": true };
  assert.equal(withScanPixelSize(on, shownForm, DEFAULT_SETTING, 0.65)["phase.pixel_size_um"], "0.65");
  assert.equal(withScanPixelSize(on, shownForm, DEFAULT_SETTING, null), on, "no pixel size in the scan");
  const typed = { ...on, "phase.pixel_size_um": "2" };
  assert.equal(withScanPixelSize(typed, shownForm, DEFAULT_SETTING, 0.65), typed, "the user's value stays");
  const daemonPhaseOn = { ...DEFAULT_SETTING, phase: { ...DEFAULT_SETTING.phase, enabled: true, pixel_size_um: 3 } };
  const shown = followSetting({}, {}, daemonPhaseOn, null);
  assert.equal(withScanPixelSize(shown.form, shown.shownForm, daemonPhaseOn, 0.65), shown.form,
               "the daemon's pixel size in use stays");
});

test("processing form: re-filter reports and half acquisition in words", () => {
  assert.equal(refilterText({ projections: 180, elapsed_ms: 12.34, zingers_replaced: 0, clamped_values: 0 }),
               "re-filtered 180 projections in 12.3 ms");
  assert.equal(refilterText({ projections: 1, elapsed_ms: 2, zingers_replaced: 7, clamped_values: 2,
                              reason: "set_processing" }),
               "re-filtered 1 projection in 2.0 ms, 7 zingers replaced, 2 transmissions clamped");
  assert.equal(refilterText({ projections: 90, elapsed_ms: 40, zingers_replaced: 0, clamped_values: 0,
                              reason: "rings_pass" }), "ring pass: re-filtered 90 projections in 40.0 ms");
  assert.match(refilterText({ projections: 0, elapsed_ms: 0, zingers_replaced: 0, clamped_values: 0 }),
               /applies to the next scan/);
  assert.equal(halfAcquisitionText(DEFAULT_SETTING.half_acquisition), "off");
  assert.equal(halfAcquisitionText({ enabled: true, detector_col0: 1024, detector_cols: 1024 }),
               "on: the detector is columns 1024..2047 of the reconstructed frame");
});

test("scan plan form: checks the fields and makes the set_scan_plan request", () => {
  const good = { darks: "4", flats: "4", projections: "180", range_deg: "180" };
  assert.deepEqual(scanPlanProblems(good), []);
  assert.deepEqual(scanPlanRequest(good),
                   { type: "set_scan_plan", n_darks: 4, n_flats: 4, n_projections: 180, angle_range_deg: 180 });
  const bad = scanPlanProblems({ darks: "-1", flats: "2.5", projections: "0", range_deg: "x" });
  assert.equal(bad.length, 4);
  assert.match(bad[0], /projections: "0"/);
  assert.match(scanPlanReplyText(scanPlanRequest(good), { ok: true }), /4 darks, 4 flats, 180 projections/);
  // One series per kind: the per-series form, from the first kind with images.
  const three = { ...good, series: "three" };
  assert.equal(scanPlanRequest(three).image_key, "dark");
  assert.equal(scanPlanRequest({ ...three, darks: "0" }).image_key, "flat");
  assert.equal(scanPlanRequest({ ...good, series: "one" }).image_key, undefined);
  assert.match(scanPlanReplyText(scanPlanRequest(three), { ok: true }), /in a row, from the darks/);
  assert.match(scanPlanReplyText(scanPlanRequest(good),
                                 { ok: false, error: { code: "permission_denied", message: "read-only" } }),
               /refused \(permission_denied\)/);
});

test("volume: progress from the status's volume map, state in words, the request checked", () => {
  const volume = {
    scan_id: 3, state: "computing", path: "/data/scan_000003.h5", format: "hdf5", dtype: "float32",
    shape: [48, 96, 96], binning: 1, slabs_total: 4, slabs_done: 3, slabs_written: 1, bytes_written: 2 ** 20,
    compute_s: 0.4, elapsed_s: 0.5,
  };
  assert.deepEqual(volumeProgress(volume), { fraction: 0.25, text: "3 / 4 slabs computed, 1 written · 1.0 MiB" });
  assert.deepEqual(volumeProgress(null), { fraction: 0, text: "–" });
  assert.equal(volumeRunning(volume), true);
  assert.equal(volumeRunning({ ...volume, state: "writing" }), true);
  assert.equal(volumeRunning({ ...volume, state: "finished" }), false);
  assert.equal(volumeRunning(null), false);
  assert.equal(volumeStateText(volume), "computing · scan 3 · 0.50 s");
  assert.equal(volumeStateText({ ...volume, state: "finished", elapsed_s: 1.234 }),
               "finished in 1.23 s (computed in 0.40 s) · scan 3");
  assert.equal(volumeStateText({ ...volume, state: "cancelled", error: "cancelled by cancel_volume" }),
               "cancelled: cancelled by cancel_volume · scan 3");
  assert.equal(volumeStateText(null), "none yet");
  assert.equal(volumeShapeText(volume), "48 × 96 × 96 (z, y, x) · hdf5 float32 · binning 1");

  assert.deepEqual(volumeRequest("2"), { request: { type: "reconstruct_volume", binning: 2 } });
  assert.deepEqual(volumeRequest(" 16 "), { request: { type: "reconstruct_volume", binning: 16 } });
  for (const bad of ["0", "17", "1.5", "", "x"]) {
    assert.match(volumeRequest(bad).problem, /binning must be a whole number 1\.\.16/, bad);
  }
});

test("oblique slice: a tilt drag gives a plane through the drag and the pane's normal; its trace follows it", () => {
  const positions = { xy_row: 10, xz_y_px: 4, yz_x_px: -3 };
  const dims = { rows: 21, cols: 65 };
  // A drag in the XZ pane (y = 4) from (u, v) = (12, 10) to (52, 18): x from -20 to 20, rows 10 to 18.
  const points = tiltPoints("xz", [12, 10], [52, 18], positions, dims.cols);
  assert.deepEqual(points, [-20, 4, 10, 20, 4, 18, -20, 5, 10]);
  assert.equal(tiltPoints("xz", [12, 10], [12.5, 10.5], positions, dims.cols), null, "shorter than a pixel");
  // The plane through them: normal along (8, 0, -40) (perpendicular to the drag and to y), through (-20, 4, 10).
  const n = [8, 0, -40].map((c) => c / Math.hypot(8, 40));
  const offset = n[0] * -20 + n[2] * (10 - (dims.rows - 1) / 2);
  const oblique = { normal: n, offset_px: offset };
  // Its trace in the XZ pane passes through both ends of the drag.
  const trace = obliqueTrace("xz", positions, dims, oblique);
  for (const [u, v] of [[12, 10], [52, 18]]) assert.ok(Math.abs(trace.a * u + trace.b * v + trace.c) < 1e-9);
  // In the XY pane (row 10) it is the line x = -20 (column u = -20 + 32 = 12).
  const xy = obliqueTrace("xy", positions, dims, oblique);
  assert.ok(Math.abs(xy.b) < 1e-12 && Math.abs(-xy.c / xy.a - 12) < 1e-9);
  // A plane parallel to a pane has no trace there; a pane point maps to the volume as the pane shows it.
  assert.equal(obliqueTrace("xy", positions, dims, { normal: [0, 0, 1], offset_px: 2 }), null);
  assert.deepEqual(volumePoint("yz", 40, 7, positions, dims.cols), [-3, 8, 7]);
  assert.deepEqual(crosshairLines("oblique", positions, dims.cols), []);
});

test("processing sweep: a picked candidate becomes the set_processing fields of its parameter", () => {
  assert.deepEqual(processingFieldsFor("delta_over_beta", 250), { phase: { enabled: true, delta_over_beta: 250 } });
  assert.deepEqual(processingFieldsFor("ring_size", 11), { rings: { enabled: true, size: 11 } });
  assert.deepEqual(processingFieldsFor("window", 4), { window: "hann" });
  assert.throws(() => processingFieldsFor("gamma", 1), /unknown sweep parameter/);
});

test("a defective pixel's kind bits read as names, the detector mask first (PROTOCOL.md 10.10)", () => {
  assert.equal(kindNames(1), "dead");
  assert.equal(kindNames(2 | 1), "dead, hot");
  assert.equal(kindNames(4), "noisy");
  assert.equal(kindNames(8 | 2), "detector_mask, hot");
  assert.equal(kindNames(0), "");
});

// A TLV1 preview chunk as PROTOCOL.md 14.6 lays it out.
function encodePreview(header, values, { extraBytes = 0 } = {}) {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataOffset = Math.ceil((8 + json.length) / 8) * 8;
  const buffer = new ArrayBuffer(dataOffset + values.length + extraBytes);
  const bytes = new Uint8Array(buffer);
  bytes.set(new TextEncoder().encode("TLV1"), 0);
  new DataView(buffer).setUint32(4, json.length, true);
  bytes.set(json, 8);
  bytes.set(values, dataOffset);
  return buffer;
}

test("preview chunks decode, dequantize and are told from slice messages", () => {
  const header = { type: "preview", scan_id: 1, sequence: 2, shape: [4, 2, 3], binning: 2, layers: [1, 2],
                   chunk: 1, chunks: 2, encoding: "uint8_linear", value_min: -1, value_max: 1.55, non_finite: 0 };
  const values = [0, 255, 100, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const buffer = encodePreview(header, values);
  assert.equal(isPreviewMessage(buffer), true);
  assert.equal(isPreviewMessage(encode({}, [1])), false);  // a TLS1 slice message
  const decoded = decodePreviewMessage(buffer);
  assert.deepEqual(decoded.header.layers, [1, 2]);
  assert.deepEqual(Array.from(decoded.data), values);
  const real = dequantizePreview(decoded.header, decoded.data);
  assert.ok(Math.abs(real[0] + 1) < 1e-6 && Math.abs(real[1] - 1.55) < 1e-6 && Math.abs(real[2] + 0) < 1e-6);
  assert.throws(() => decodePreviewMessage(encodePreview(header, values, { extraBytes: 1 })), /bytes, expected/);
  assert.throws(() => decodePreviewMessage(encodePreview({ ...header, layers: [3, 2] }, values)), /bad header/);
});

test("the 3D view's rotation is orthonormal and the identity at rest", () => {
  assert.deepEqual(Array.from(viewRotation(0, 0)), [1, 0, -0, 0, 1, 0, 0, -0, 1]);
  const r = viewRotation(0.7, -0.4);
  const column = (k) => [r[3 * k], r[3 * k + 1], r[3 * k + 2]];
  const dot = (a, b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  for (let i = 0; i < 3; ++i) {
    for (let j = 0; j < 3; ++j) assert.ok(Math.abs(dot(column(i), column(j)) - (i === j ? 1 : 0)) < 1e-6);
  }
});
