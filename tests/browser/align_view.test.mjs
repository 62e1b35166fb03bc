// Browser tests of the processing sweep (PROTOCOL.md 10.8) and the oblique slice (10.9) in the viewer (issue 19,
// points 5 and 6): a delta/beta sweep from the panel fills the shared strip and a click applies the candidate with
// set_processing; the oblique slice shown from the panel's normal and offset equals the XY slice for the axial normal,
// and an Alt + drag in the XZ pane tilts it (set_oblique_slice with points). The real tomolived (CPU engine) and
// tomolive-sim on loopback, the page in headless chromium; screenshots under $TOMOLIVE_BROWSER_OUT/screenshots.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import {
  hook, launchBrowser, openViewer, pagePoint, pane, screenshot, shownValues, startDaemon, streamScan, waitConnected,
  waitFor, waitScanEnded,
} from "./harness.mjs";

const ROWS = 32;
const COLS = 64;
const PROJECTIONS = 90;

let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

async function scannedPage(daemon) {
  const page = await openViewer(browser, daemon.url());
  await waitConnected(page);
  await streamScan(daemon, { scanId: 1, rows: ROWS, cols: COLS, projections: PROJECTIONS });
  await waitScanEnded(daemon, 1, PROJECTIONS);
  await waitFor("the page showing scan 1 ended", () =>
    page.evaluate(() => window.tomoliveViewer.status?.scan?.state === "ended"));
  return page;
}

function lastReply(page, command) {
  return page.evaluate((c) => window.tomoliveViewer.replies.filter((r) => r.command === c).pop() ?? null, command);
}

test("A delta/beta sweep fills the strip with labelled candidates and a click applies one", async () => {
  const { daemon } = await startDaemon("processing-sweep");
  try {
    const page = await scannedPage(daemon);
    await page.getByTestId("psweep-parameter").selectOption("delta_over_beta");
    await page.getByTestId("psweep-start").fill("10");
    await page.getByTestId("psweep-stop").fill("1000");
    await page.getByTestId("psweep-count").fill("5");
    await waitFor("psweep-run enabled", async () => !(await page.getByTestId("psweep-run").isDisabled()));
    await page.getByTestId("psweep-run").click();
    const strip = await waitFor("5 thumbnails drawn", async () => {
      const s = (await hook(page, () => window.tomoliveViewer.sweep)).strip;
      return s.visible && s.thumbs.length === 5 && s.thumbs.every((t) => t.drawn) ? s : null;
    });
    const reply = await lastReply(page, "sweep_processing");
    assert.equal(reply.ok, true, JSON.stringify(reply.error));
    assert.equal(reply.result.parameter, "delta_over_beta");
    const expected = [10, 31.6227766, 100, 316.227766, 1000];
    reply.result.values.forEach((v, i) => assert.ok(Math.abs(v / expected[i] - 1) < 1e-6, `candidate ${i}: ${v}`));
    assert.equal(reply.result.metric.length, 5);
    for (let i = 0; i < 5; ++i) {
      const t = strip.thumbs[i];
      assert.equal(t.header.sweep_id, reply.sweep_id);
      assert.equal(t.header.parameter, "delta_over_beta");
      assert.equal(t.header.label, reply.result.labels[i]);
      assert.ok(Math.abs(t.value - reply.result.values[i]) < 1e-9);
    }
    const thumbs = page.getByTestId("sweep-thumb");
    assert.equal(await thumbs.nth(2).locator(".thumb-offset").textContent(), "100");
    assert.equal(await page.locator("[data-testid=sweep-thumb].best").count(), 1);
    assert.equal(Number(await page.locator("[data-testid=sweep-thumb].best").getAttribute("data-index")),
                 reply.result.best_index);
    assert.match(await page.getByTestId("sweep-title").textContent(), /Processing sweep \(delta_over_beta\)/);
    await screenshot(page, "processing-sweep-strip");

    // A click applies the candidate: phase retrieval on with its delta/beta.
    await thumbs.nth(3).click();
    await waitFor("the picked delta/beta in the daemon's status", async () => {
      const phase = (await daemon.status()).processing.phase;
      return phase.enabled && Math.abs(phase.delta_over_beta / reply.result.values[3] - 1) < 1e-5;  // as printed
    });
    assert.equal((await hook(page, () => window.tomoliveViewer.sweep)).strip.picks, 1);

    // A bad range is refused in the page, without a request.
    await page.getByTestId("psweep-start").fill("-1");
    await page.getByTestId("psweep-run").click();
    assert.match(await page.getByTestId("psweep-error").textContent(), /must be > 0/);
    assert.equal((await hook(page, () => window.tomoliveViewer.processingSweep)).requests, 1);
    assert.deepEqual(page.pageErrors, []);
  } finally {
    await daemon.stop();
  }
});

test("The oblique slice shows the XY slice for the axial normal and tilts with an Alt + drag", async () => {
  const { dir, daemon } = await startDaemon("oblique-slice");
  try {
    const page = await scannedPage(daemon);
    assert.equal(await page.getByTestId("pane-oblique").isVisible(), false, "hidden until shown");
    const xyRow = (await hook(page, () => window.tomoliveViewer.status.scan.xy_row));
    for (const [axis, value] of [["x", "0"], ["y", "0"], ["z", "1"]]) {
      await page.getByTestId(`oblique-normal-${axis}`).fill(value);
    }
    await page.getByTestId("oblique-offset").fill(String(xyRow - (ROWS - 1) / 2));
    await page.getByTestId("oblique-show").click();
    await page.getByTestId("pane-oblique").waitFor({ state: "visible" });
    const shown = await waitFor("the oblique slice drawn", async () => {
      const s = await shownValues(page, "oblique");
      return s && s.header.slice === "oblique" ? s : null;
    });
    assert.deepEqual(shown.header.shape, [COLS, COLS]);
    assert.deepEqual(shown.header.normal, [0, 0, 1]);
    // The axial plane through the XY slice's row is the XY slice (both quantized the same way for the same view).
    const xy = await daemon.getSlice("xy", dir);
    const oblique = await daemon.getSlice("oblique", dir);
    assert.deepEqual(Array.from(oblique.data), Array.from(xy.data));
    await screenshot(page, "oblique-axial");

    // Alt + drag in the XZ pane from the XY slice's line, 10 columns right and 8 rows down: the plane tilts about y.
    const from = await pagePoint(page, "xz", COLS / 2 - 10, xyRow);
    const to = await pagePoint(page, "xz", COLS / 2 + 10, xyRow + 8);
    await page.keyboard.down("Alt");
    await page.mouse.move(...from);
    await page.mouse.down();
    await page.mouse.move(...to, { steps: 5 });
    await page.mouse.up();
    await page.keyboard.up("Alt");
    const tilted = await waitFor("the tilted plane's reply", async () => {
      const r = await lastReply(page, "set_oblique_slice");
      return r && r.result?.normal && Math.abs(r.result.normal[2]) < 0.99 ? r : null;
    });
    assert.equal(tilted.ok, true, JSON.stringify(tilted.error));
    const sent = (await hook(page, () => window.tomoliveViewer.oblique)).lastRequest;
    assert.equal(sent.points.length, 9);
    // The points: the drag's ends in the XZ plane (y = xz_y_px) and the start moved one pixel along y; the plane holds
    // the y axis (the XZ pane's normal) and the dragged direction, about (20, 0, 8) in x, y, z.
    const [ax, ay, az, bx, by, bz, cx, cy, cz] = sent.points;
    assert.ok(cx === ax && cz === az && Math.abs(cy - ay - 1) < 1e-9, `points ${sent.points}`);
    assert.equal(by, ay);
    assert.ok(Math.abs(bx - ax - 20) < 1 && Math.abs(bz - az - 8) < 1, `drag ${sent.points}`);
    const [nx, ny, nz] = tilted.result.normal;
    assert.ok(Math.abs(ny) < 1e-6, `normal ${tilted.result.normal}`);
    assert.ok(Math.abs(nx * (bx - ax) + nz * (bz - az)) < 1e-3, `normal ${tilted.result.normal} against the drag`);
    await waitFor("the tilted slice drawn", async () => {
      const s = await shownValues(page, "oblique");
      return s && Math.abs(s.header.normal[2] - nz) < 1e-6;
    });
    // The trace of the plane is drawn in the orthoslice panes; the oblique pane sits beside them.
    assert.ok((await pane(page, "oblique")).framesDrawn >= 2);
    await screenshot(page, "oblique-tilted");

    await page.getByTestId("oblique-hide").click();
    await page.getByTestId("pane-oblique").waitFor({ state: "hidden" });
    assert.deepEqual(page.pageErrors, []);
  } finally {
    await daemon.stop();
  }
});
