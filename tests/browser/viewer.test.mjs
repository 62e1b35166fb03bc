// Browser tests of the viewer (issue 5): the real tomolived (CPU engine) and tomolive-sim on loopback, the page in
// headless chromium. Each test starts its own daemon on free ports and saves a screenshot under
// $TOMOLIVE_BROWSER_OUT/screenshots. Thresholds are on image statistics, never on timing.

import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";

import {
  Daemon, correlation, drawnGray, drawnPixels, hook, launchBrowser, openViewer, pagePoint, pane, relativeDifference,
  readNpy, screenshot, shownValues, sleep, startDaemon, streamScan, waitConnected, waitFor, waitScanEnded,
} from "./harness.mjs";

const ROWS = 48;
const COLS = 96;
const PROJECTIONS = 120;
const SLICES = ["xy", "xz", "yz"];

let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

// Waits until pane `name` has drawn the daemon's newest slice, and returns that slice from get_slice as well.
async function waitShowsNewest(page, daemon, name, dir) {
  let slice;
  await waitFor(`pane ${name} showing the daemon's newest ${name} slice`, async () => {
    slice = await daemon.getSlice(name, dir);
    const shown = await pane(page, name);
    return shown.lastHeader !== null && shown.lastHeader.sequence === slice.header.sequence &&
           shown.lastHeader.scan_id === slice.header.scan_id;
  });
  return slice;
}

function quantizationStep(header) {
  return (header.value_max - header.value_min) / 65535;
}

// Asserts that pane `name` shows `slice` (a get_slice result) value for value, up to the 16-bit quantization.
async function assertShowsSlice(page, name, slice) {
  const shown = await shownValues(page, name);
  assert.deepEqual(shown.header.shape, slice.shape, `${name}: header shape vs get_slice shape`);
  assert.deepEqual(shown.header.data_shape, slice.shape, `${name}: a small slice is sent at full resolution`);
  assert.deepEqual(shown.header.region, [0, 0, ...slice.shape], `${name}: region is the whole slice`);
  const tolerance = 1.01 * quantizationStep(shown.header) + 1e-7;
  let worst = 0;
  for (let i = 0; i < slice.data.length; ++i) worst = Math.max(worst, Math.abs(shown.values[i] - slice.data[i]));
  assert.ok(worst <= tolerance, `${name}: decoded values differ from get_slice by up to ${worst} > ${tolerance}`);
  return shown;
}

test("the three panes show the phantom (decoded and drawn vs truth and get_slice)", async () => {
  const { dir, daemon } = await startDaemon("panes");
  try {
    const page = await openViewer(browser, daemon.url());
    await waitConnected(page);
    const truthDir = path.join(dir, "truth");
    await streamScan(daemon, { scanId: 1, rows: ROWS, cols: COLS, projections: PROJECTIONS, rate: 240, truthDir });
    await waitScanEnded(daemon, 1, PROJECTIONS);
    for (const name of SLICES) {
      const slice = await waitShowsNewest(page, daemon, name, dir);
      const shown = await assertShowsSlice(page, name, slice);
      assert.equal(shown.header.projections_included, PROJECTIONS);
      const truth = readNpy(path.join(truthDir, `${name}.npy`));
      assert.deepEqual(truth.shape, slice.shape);
      const decoded = correlation(shown.values, truth.data);
      assert.ok(decoded >= 0.9, `${name}: decoded slice vs phantom truth: correlation ${decoded.toFixed(3)} < 0.9`);
      const drawn = correlation(await drawnGray(page, name), truth.data);
      assert.ok(drawn >= 0.85, `${name}: drawn gray levels vs phantom truth: correlation ${drawn.toFixed(3)} < 0.85`);
      console.log(`${name}: correlation with the phantom: decoded ${decoded.toFixed(3)}, drawn ${drawn.toFixed(3)}`);
    }
    const state = await hook(page, () => ({
      decodeErrors: window.tomoliveViewer.decodeErrors, status: window.tomoliveViewer.status,
      projections: document.querySelector("[data-testid=projections]").textContent,
      engine: document.querySelector("[data-testid=engine]").textContent,
    }));
    assert.equal(state.decodeErrors.count, 0, state.decodeErrors.last);
    assert.equal(state.projections, `${PROJECTIONS} / ${PROJECTIONS}`);
    assert.equal(state.engine, "cpu");
    await screenshot(page, "panes");

    // Colormap and manual window: with viridis and a window below every value, every pixel is viridis' last
    // colour (#fde725); above every value, its first (#440154). "Auto" brings the phantom back.
    await page.getByTestId("colormap").selectOption("viridis");
    const allDrawn = async (rgb) => waitFor(`every XY pixel drawn as ${rgb}`, async () =>
      (await drawnPixels(page, "xy")).every((p) => p.join() === rgb.join()));
    await page.getByTestId("contrast-min").fill("-2");
    await page.getByTestId("contrast-max").fill("-1");
    await page.getByTestId("contrast-max").press("Enter");
    await allDrawn([0xfd, 0xe7, 0x25]);
    assert.equal((await hook(page, () => window.tomoliveViewer.contrast)).mode, "manual");
    await page.getByTestId("contrast-max").fill("11");
    await page.getByTestId("contrast-min").fill("10");
    await page.getByTestId("contrast-min").press("Enter");
    await allDrawn([0x44, 0x01, 0x54]);
    await page.getByTestId("contrast-auto").click();
    const contrast = await hook(page, () => window.tomoliveViewer.contrast);
    assert.equal(contrast.mode, "auto");
    assert.equal(contrast.colormap, "viridis");
    // The click sets the mode at once; the canvas is redrawn on the next animation frame: wait for the colours.
    let colours = 0;
    await waitFor("the auto window redrawn over the phantom (more than 50 colours)", async () => {
      colours = new Set((await drawnPixels(page, "xy")).map((p) => p.join())).size;
      return colours > 50;
    });
    assert.ok(colours > 50, `auto window over the phantom shows ${colours} colours`);
    await screenshot(page, "panes-viridis");
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  } finally {
    await daemon.stop();
  }
});

test("a click in a pane moves the other slices and the daemon confirms", async () => {
  const { dir, daemon } = await startDaemon("click");
  try {
    const page = await openViewer(browser, daemon.url());
    await waitConnected(page);
    await streamScan(daemon, { scanId: 1, rows: ROWS, cols: COLS, projections: PROJECTIONS });
    await waitScanEnded(daemon, 1, PROJECTIONS);
    await waitShowsNewest(page, daemon, "xy", dir);
    const half = (COLS - 1) / 2;

    // XY pane: the point (u, v) = (70, 30) is x = 70 - half, y = half - 30.
    const before = await daemon.status();
    const [x, y] = await pagePoint(page, "xy", 70, 30);
    await page.mouse.click(x, y);
    const moved = await waitFor("the daemon's yz_x_px and xz_y_px at the clicked point", async () => {
      const scan = (await daemon.status()).scan;
      return scan.yz_x_px !== before.scan.yz_x_px && scan.xz_y_px !== before.scan.xz_y_px ? scan : null;
    });
    assert.ok(Math.abs(moved.yz_x_px - (70 - half)) <= 1, `yz_x_px ${moved.yz_x_px}, clicked x ${70 - half}`);
    assert.ok(Math.abs(moved.xz_y_px - (half - 30)) <= 1, `xz_y_px ${moved.xz_y_px}, clicked y ${half - 30}`);
    assert.equal(moved.xy_row, before.scan.xy_row, "a click in XY does not move the XY slice");
    // The other panes now show the slices at the new positions, value for value.
    for (const name of ["xz", "yz"]) {
      const slice = await waitShowsNewest(page, daemon, name, dir);
      const shown = await assertShowsSlice(page, name, slice);
      const expected = name === "xz" ? moved.xz_y_px : moved.yz_x_px;
      assert.ok(Math.abs(shown.header.position - expected) < 1e-3, `${name} position ${shown.header.position}`);
    }

    // XZ pane: a click at row 10 moves the axial slice to detector row 10 (and the YZ slice to the clicked x).
    const [x2, y2] = await pagePoint(page, "xz", 20, 10);
    await page.mouse.click(x2, y2);
    const moved2 = await waitFor("the daemon's xy_row at the clicked row", async () => {
      const scan = (await daemon.status()).scan;
      return scan.xy_row !== before.scan.xy_row ? scan : null;
    });
    assert.ok(Math.abs(moved2.xy_row - 10) <= 1, `xy_row ${moved2.xy_row}, clicked row 10`);
    assert.ok(Math.abs(moved2.yz_x_px - (20 - half)) <= 1, `yz_x_px ${moved2.yz_x_px}, clicked x ${20 - half}`);
    const xy = await waitShowsNewest(page, daemon, "xy", dir);
    const shownXy = await assertShowsSlice(page, "xy", xy);
    assert.equal(shownXy.header.position, moved2.xy_row);

    // A drag in the YZ pane ends with the slices through the point where the button was released.
    const [x3, y3] = await pagePoint(page, "yz", 30, 20);
    const [x4, y4] = await pagePoint(page, "yz", 60, 30);
    await page.mouse.move(x3, y3);
    await page.mouse.down();
    await page.mouse.move(x4, y4, { steps: 8 });
    await page.mouse.up();
    const dragged = await waitFor("the daemon's slices at the end of the drag", async () => {
      const scan = (await daemon.status()).scan;
      return scan.xy_row === 30 && Math.abs(scan.xz_y_px - (60 - half)) <= 0.5 ? scan : null;
    });
    assert.equal(dragged.yz_x_px, moved2.yz_x_px, "a drag in YZ does not move the YZ slice");
    assert.deepEqual(page.pageErrors, []);
    await screenshot(page, "click");
    await page.close();
  } finally {
    await daemon.stop();
  }
});

test("the center control changes the center and the image", async () => {
  const { dir, daemon } = await startDaemon("center");
  try {
    const page = await openViewer(browser, daemon.url());
    await waitConnected(page);
    const truthDir = path.join(dir, "truth");
    await streamScan(daemon, { scanId: 1, rows: ROWS, cols: COLS, projections: PROJECTIONS, truthDir });
    await waitScanEnded(daemon, 1, PROJECTIONS);
    const truth = readNpy(path.join(truthDir, "xy.npy"));
    await waitShowsNewest(page, daemon, "xy", dir);
    const original = await shownValues(page, "xy");
    const offset0 = (await daemon.status()).scan.center_offset_px;
    await waitFor("the page showing the center offset", () =>
      page.evaluate(() => document.querySelector("[data-testid=center-offset]").textContent !== "–"));

    // +1 (button), +1 (button), +0.1 three times (key "]"): +2.3 pixels.
    await page.getByTestId("center-plus-1").click();
    await page.getByTestId("center-plus-1").click();
    await page.locator("body").click({ position: { x: 5, y: 5 } });  // keyboard focus off the buttons
    for (let i = 0; i < 3; ++i) await page.keyboard.press("]");
    const expected = offset0 + 2.3;
    const status = await waitFor(`center_offset_px ${expected} in the daemon's status`, async () => {
      const scan = (await daemon.status()).scan;
      return Math.abs(scan.center_offset_px - expected) < 1e-6 ? scan : null;
    });
    assert.ok(Math.abs(status.center_column_px - ((COLS - 1) / 2 + expected)) < 1e-6);
    const xy = await waitShowsNewest(page, daemon, "xy", dir);
    const shifted = await assertShowsSlice(page, "xy", xy);
    assert.ok(Math.abs(shifted.header.center_offset_px - expected) < 1e-6, `${shifted.header.center_offset_px}`);
    const change = relativeDifference(shifted.values, original.values);
    assert.ok(change > 0.05, `a 2.3-pixel center change changed the slice by only ${change}`);
    const before = correlation(original.values, truth.data);
    const afterChange = correlation(shifted.values, truth.data);
    assert.ok(afterChange < before, `off-center correlation ${afterChange} not below ${before}`);
    const shownText = await page.getByTestId("center-offset").textContent();
    assert.equal(shownText, `+${expected.toFixed(2)} px`);
    await screenshot(page, "center-shifted");

    // Typing the original offset into the field restores the image.
    await page.getByTestId("center-input").fill(offset0.toFixed(1));
    await page.getByTestId("center-input").press("Enter");
    await waitFor("center_offset_px back to the original", async () =>
      Math.abs((await daemon.status()).scan.center_offset_px - offset0) < 1e-6);
    const back = await assertShowsSlice(page, "xy", await waitShowsNewest(page, daemon, "xy", dir));
    assert.ok(relativeDifference(back.values, original.values) < 1e-3, "restoring the center restores the slice");
    assert.deepEqual(page.pageErrors, []);
    await screenshot(page, "center");
    await page.close();
  } finally {
    await daemon.stop();
  }
});

test("the page reconnects after the daemon restarts and shows slices again", async () => {
  const { dir, daemon } = await startDaemon("reconnect");
  let second = null;
  try {
    const page = await openViewer(browser, daemon.url());
    await waitConnected(page);
    await streamScan(daemon, { scanId: 1, rows: ROWS, cols: COLS, projections: 60 });
    await waitScanEnded(daemon, 1, 60);
    await waitShowsNewest(page, daemon, "xy", dir);

    await daemon.stop("SIGKILL");
    await waitFor("the page noticing the lost connection", () =>
      page.evaluate(() => window.tomoliveViewer.connection.state !== "open"));
    const shownState = await page.getByTestId("connection-state").textContent();
    assert.match(shownState, /disconnected|connecting/);
    await sleep(500);

    second = new Daemon({ ports: daemon.ports, logPath: path.join(dir, "tomolived-2.log") });
    await second.start();
    await waitConnected(page, 2);
    const truthDir = path.join(dir, "truth");
    await streamScan(second, { scanId: 2, rows: ROWS, cols: COLS, projections: PROJECTIONS, truthDir });
    await waitScanEnded(second, 2, PROJECTIONS);
    for (const name of SLICES) {
      const slice = await waitShowsNewest(page, second, name, dir);
      const shown = await assertShowsSlice(page, name, slice);
      assert.equal(shown.header.scan_id, 2);
      const r = correlation(shown.values, readNpy(path.join(truthDir, `${name}.npy`)).data);
      assert.ok(r >= 0.9, `${name} after reconnecting: correlation with the phantom ${r}`);
    }
    assert.match(await page.getByTestId("connection-state").textContent(), /reconnected/);
    assert.deepEqual(page.pageErrors, []);
    await screenshot(page, "reconnect");
    await page.close();
  } finally {
    await daemon.stop();
    await second?.stop();
  }
});

test("without the token the page is read-only and control is refused; with it the page controls", async () => {
  const { dir, daemon } = await startDaemon("read-only", { token: "secret" });
  try {
    await streamScan(daemon, { scanId: 1, rows: ROWS, cols: COLS, projections: 60 });
    await waitScanEnded(daemon, 1, 60);
    const before = (await daemon.status()).scan;

    for (const query of ["", "?token=wrong"]) {
      const page = await openViewer(browser, daemon.url(query));
      await waitConnected(page);
      await waitShowsNewest(page, daemon, "xy", dir);
      const hello = await hook(page, () => window.tomoliveViewer.hello);
      assert.equal(hello.read_only, true, `hello for ${query || "no token"}`);
      assert.ok(hello.read_only_reason.length > 0, "read_only_reason is given");
      await page.getByTestId("read-only-banner").waitFor({ state: "visible" });
      assert.match(await page.getByTestId("read-only-banner").textContent(), /Read-only/);
      assert.equal(await page.getByTestId("center-plus-0.1").isDisabled(), true);
      assert.equal(await page.getByTestId("center-input").isDisabled(), true);
      assert.equal(await hook(page, () => window.tomoliveViewer.controlAllowed), false);

      // The page's own controls send nothing: a click in a pane and the center keys leave the daemon unchanged.
      const [x, y] = await pagePoint(page, "xy", 70, 30);
      await page.mouse.click(x, y);
      await page.keyboard.press("]");
      await sleep(800);
      const after = (await daemon.status()).scan;
      assert.equal(after.yz_x_px, before.yz_x_px);
      assert.equal(after.xz_y_px, before.xz_y_px);
      assert.equal(after.center_offset_px, before.center_offset_px);
      assert.equal(await hook(page, () => window.tomoliveViewer.centerRequests), 0);

      // A command sent anyway on a connection like the page's (same origin, same query) is refused.
      const reply = await page.evaluate((search) => new Promise((resolve, reject) => {
        const ws = new WebSocket(`ws://${location.host}/ws${search}`);
        ws.onmessage = (event) => {
          if (typeof event.data !== "string") return;  // slices
          const message = JSON.parse(event.data);
          if (message.type === "reply" && message.request_id === "attempt") resolve(message);
        };
        ws.onopen = () => ws.send(JSON.stringify({ type: "set_center", center_offset_px: 3, request_id: "attempt" }));
        ws.onerror = () => reject(new Error("websocket error"));
        setTimeout(() => reject(new Error("no reply")), 5000);
      }), query);
      assert.equal(reply.ok, false);
      assert.equal(reply.command, "set_center");
      assert.equal(reply.error.code, "permission_denied");
      assert.equal((await daemon.status()).scan.center_offset_px, before.center_offset_px);
      assert.deepEqual(page.pageErrors, []);
      await screenshot(page, query ? "read-only-wrong-token" : "read-only");
      await page.close();
    }

    const page = await openViewer(browser, daemon.url("?token=secret"));
    await waitConnected(page);
    const hello = await hook(page, () => window.tomoliveViewer.hello);
    assert.equal(hello.read_only, false);
    assert.equal(hello.read_only_reason, "");
    assert.equal(await page.getByTestId("read-only-banner").isVisible(), false);
    await waitFor("the center control enabled", async () => !(await page.getByTestId("center-plus-1").isDisabled()));
    await page.getByTestId("center-plus-1").click();
    await waitFor("the daemon's center moved by +1 from the page with the token", async () =>
      Math.abs((await daemon.status()).scan.center_offset_px - (before.center_offset_px + 1)) < 1e-6);
    assert.deepEqual(page.pageErrors, []);
    await screenshot(page, "control-with-token");
    await page.close();
  } finally {
    await daemon.stop();
  }
});

test("a large slice arrives downsampled to the pane, and at full resolution when zoomed", async () => {
  const { dir, daemon } = await startDaemon("zoom");
  try {
    const page = await openViewer(browser, daemon.url());
    await page.setViewportSize({ width: 800, height: 500 });  // panes smaller than the 256-pixel slice
    await waitConnected(page);
    await streamScan(daemon, { scanId: 1, rows: 16, cols: 256, projections: 90 });
    await waitScanEnded(daemon, 1, 90);
    let slice = await waitShowsNewest(page, daemon, "xy", dir);
    await waitFor("the downsampled XY slice drawn at the pane's size", async () => {
      const p = await pane(page, "xy");
      return p.lastHeader.data_shape[0] <= p.canvas.height && p.lastHeader.data_shape[1] <= p.canvas.width;
    });
    const fit = await pane(page, "xy");
    const small = await shownValues(page, "xy");
    assert.deepEqual(small.header.region, [0, 0, 256, 256]);
    assert.ok(small.header.data_shape[0] < 256 && small.header.data_shape[1] < 256,
              `data_shape ${small.header.data_shape} for a ${fit.canvas.width} x ${fit.canvas.height} canvas`);
    // Each shown pixel is the mean of its block: compare with the block means of get_slice's float32 slice.
    const [dr, dc] = small.header.data_shape;
    const f = small.header.binning;
    assert.ok(f >= 2 && Math.ceil(256 / f) === dr && Math.ceil(256 / f) === dc, `binning ${f}, data ${dr} x ${dc}`);
    const means = [];
    for (let a = 0; a < dr; ++a) {
      for (let b = 0; b < dc; ++b) {
        const r0 = a * f, r1 = Math.min(256, (a + 1) * f);
        const c0 = b * f, c1 = Math.min(256, (b + 1) * f);
        let sum = 0;
        for (let r = r0; r < r1; ++r) for (let c = c0; c < c1; ++c) sum += slice.data[r * 256 + c];
        means.push(sum / ((r1 - r0) * (c1 - c0)));
      }
    }
    // Block means of the float32 slice, quantized like the page's data, agree value for value.
    const step = (small.header.value_max - small.header.value_min) / 65535;
    let worstMean = 0;
    for (let i = 0; i < means.length; ++i) worstMean = Math.max(worstMean, Math.abs(small.values[i] - means[i]));
    assert.ok(worstMean <= 1.01 * step + 1e-6, `downsampled pane vs block means of get_slice: ${worstMean} > ${step}`);

    // Zoom in about the pane's centre: the page asks for the visible region, which comes at full resolution.
    const box = await page.getByTestId("canvas-xy").boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    for (let i = 0; i < 4; ++i) await page.mouse.wheel(0, -300);
    const zoomed = await waitFor("the visible region of the XY slice, at full resolution", async () => {
      const p = await pane(page, "xy");
      const shown = await shownValues(page, "xy");
      return p.viewMessage.region && JSON.stringify(shown.header.region) === JSON.stringify(p.viewMessage.region)
        ? shown : null;
    });
    const [row0, col0, rows, cols] = zoomed.header.region;
    assert.ok(rows < 256 && cols < 256, `region ${zoomed.header.region}`);
    assert.deepEqual(zoomed.header.data_shape, [rows, cols], "a zoomed region comes at full resolution");
    assert.ok((await pane(page, "xy")).transform.zoom > 1);
    slice = await daemon.getSlice("xy", dir);
    const zoomStep = (zoomed.header.value_max - zoomed.header.value_min) / 65535;
    let worst = 0;
    for (let i = 0; i < rows; ++i) {
      for (let j = 0; j < cols; ++j) {
        worst = Math.max(worst, Math.abs(zoomed.values[i * cols + j] - slice.data[(row0 + i) * 256 + col0 + j]));
      }
    }
    assert.ok(worst <= 1.01 * zoomStep + 1e-7, `zoomed region differs from get_slice by ${worst} (step ${zoomStep})`);
    assert.deepEqual(page.pageErrors, []);
    await screenshot(page, "zoom");
    await page.close();
  } finally {
    await daemon.stop();
  }
});

test("the page measures latency T5 and the daemon reports it in status", async () => {
  const { dir, daemon } = await startDaemon("latency");
  try {
    const page = await openViewer(browser, daemon.url());
    await waitConnected(page);
    await waitFor("a ping round trip", () => page.evaluate(() => window.tomoliveViewer.connection.rttMs !== null));
    // A paced scan, so that slices are published while projections arrive.
    await streamScan(daemon, { scanId: 1, rows: ROWS, cols: COLS, projections: 90, rate: 60 });
    await waitScanEnded(daemon, 1, 90);
    const status = await waitFor("viewer_latency_samples > 0 in the daemon's status", async () => {
      const s = await daemon.status();
      return s.counters.viewer_latency_samples > 0 ? s : null;
    });
    const counters = status.counters;
    assert.ok(counters.viewer_latency_p50_us > 0 && counters.viewer_latency_p99_us >= counters.viewer_latency_p50_us,
              `p50 ${counters.viewer_latency_p50_us} us, p99 ${counters.viewer_latency_p99_us} us`);
    // Every sample the page sent is recorded (one viewer, one scan), and the page's samples are sane.
    const latency = await waitFor("the daemon holding every sample the page sent", async () => {
      const l = await hook(page, () => window.tomoliveViewer.latency);
      const s = await daemon.status();
      return l.sent > 0 && s.counters.viewer_latency_samples === l.sent ? l : null;
    });
    assert.ok(latency.recent.every((us) => Number.isFinite(us) && us > 0), JSON.stringify(latency.recent));
    assert.ok(latency.measured >= latency.sent);
    assert.notEqual(await page.getByTestId("viewer-latency").textContent(), "–");
    console.log(`T5 (not a benchmark): p50 ${counters.viewer_latency_p50_us} us, ` +
                `p99 ${counters.viewer_latency_p99_us} us over ${counters.viewer_latency_samples} samples`);
    assert.deepEqual(page.pageErrors, []);
    await screenshot(page, "latency");
    await page.close();
  } finally {
    await daemon.stop();
  }
});
