// Unit tests of the viewer's DOM-free modules, run in node: TLS1 decoding (including malformed messages), slice
// geometry, zoom arithmetic, colormaps, the contrast window and the center sweep's plan.

import assert from "node:assert/strict";
import { test } from "node:test";

import { colormapLut, colormapRgb, COLORMAP_NAMES } from "../../viewer/js/colormaps.js";
import { ContrastWindow, colorizeQuantized, fillQuantizedColorTable } from "../../viewer/js/contrast.js";
import { PaneView } from "../../viewer/js/pane_view.js";
import { crosshairLines, slicesThrough } from "../../viewer/js/slice_geometry.js";
import { decodeSliceMessage, dequantize } from "../../viewer/js/slice_message.js";
import {
  bestIndex, candidateOffsets, defaultStartOffset, stripWindow, sweepFieldsProblem, sweepRegion,
} from "../../viewer/js/sweep_plan.js";

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
