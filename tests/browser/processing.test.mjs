// Browser tests of the viewer's Processing panel (issue 6, items 3-5 and 7): the filter window and Paganin phase
// retrieval applied from the page change the XY pane as they should (smoother each time), the page checks values
// before sending, follows a change made by tomolive-ctl without losing what the user typed, and a read-only page
// shows the setting but cannot apply. The real tomolived (CPU engine) and tomolive-sim on loopback, the page in
// headless chromium; screenshots under $TOMOLIVE_BROWSER_OUT/screenshots. Thresholds are on image statistics and
// the daemon's answers, never on timing.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import {
  drawnGray, hook, launchBrowser, openViewer, pane, screenshot, shownValues, sleep, startDaemon, streamScan,
  waitConnected, waitFor, waitScanEnded,
} from "./harness.mjs";

const ROWS = 48;
const COLS = 96;
const PROJECTIONS = 120;
const REPORT = new RegExp(`^re-filtered ${PROJECTIONS} projections in \\d+\\.\\d ms`);

let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

function processing(page) {
  return hook(page, () => window.tomoliveViewer.processing);
}

async function waitEnabled(page, testId) {
  await waitFor(`${testId} enabled`, async () => !(await page.getByTestId(testId).isDisabled()));
}

// Waits until the XY pane has drawn the daemon's newest XY slice; returns the values drawn (shownValues).
async function waitXyNewest(page, daemon, dir) {
  await waitFor("the XY pane showing the daemon's newest XY slice", async () => {
    const newest = await daemon.getSlice("xy", dir);
    const shown = await pane(page, "xy");
    return shown.lastHeader?.sequence === newest.header.sequence && shown.framesDrawn > 0;
  });
  return shownValues(page, "xy");
}

// High-frequency energy of an image relative to its variance: the mean squared difference of neighbouring pixels
// (across rows and columns) over the variance. Scale-free, so that a window's or Paganin's smoothing shows as a
// lower value whatever it does to the overall level.
function roughness({ header, values }) {
  const [rows, cols] = header.data_shape;
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length;
  let variance = 0;
  for (const v of values) variance += (v - mean) ** 2;
  variance /= values.length;
  let sum = 0;
  let count = 0;
  for (let i = 0; i < rows; ++i) {
    for (let j = 0; j < cols; ++j) {
      const v = values[i * cols + j];
      if (j + 1 < cols) {
        sum += (values[i * cols + j + 1] - v) ** 2;
        ++count;
      }
      if (i + 1 < rows) {
        sum += (values[(i + 1) * cols + j] - v) ** 2;
        ++count;
      }
    }
  }
  return sum / count / variance;
}

// The fraction of pixels whose drawn gray level differs between two drawings of a pane.
function changedFraction(before, after) {
  assert.equal(before.length, after.length);
  return before.filter((gray, i) => gray !== after[i]).length / before.length;
}

// Clicks Apply and waits for this page's answer; returns the panel's snapshot.
async function applyAndWait(page) {
  const requestsBefore = (await processing(page)).requests;
  await waitEnabled(page, "processing-apply");
  await page.getByTestId("processing-apply").click();
  return waitFor("the set_processing reply in the panel", async () => {
    const p = await processing(page);
    return p.requests === requestsBefore + 1 && !p.inFlight ? p : null;
  });
}

async function showPanel(page, name) {
  await page.getByTestId("processing-panel").scrollIntoViewIfNeeded();
  await screenshot(page, name);
}

test("the Processing panel applies a window and phase retrieval, checks values, follows tomolive-ctl; " +
     "read-only pages cannot apply", async () => {
  const { dir, daemon } = await startDaemon("processing", { token: "secret" });
  try {
    const page = await openViewer(browser, daemon.url("?token=secret"));
    await waitConnected(page);
    await streamScan(daemon, { scanId: 1, rows: ROWS, cols: COLS, projections: PROJECTIONS });
    await waitScanEnded(daemon, 1, PROJECTIONS);

    // The panel shows the daemon's setting: Ram-Lak, every step off, half acquisition off; nothing to apply.
    const initial = (await daemon.status()).processing;
    assert.equal(initial.window, "ram-lak");
    await waitFor("the panel filled from the status", async () => (await processing(page)).setting !== null);
    assert.equal(await page.getByTestId("processing-window").inputValue(), "ram-lak");
    assert.equal(await page.getByTestId("processing-phase").isChecked(), initial.phase.enabled);
    assert.equal(Number(await page.getByTestId("processing-phase-energy").inputValue()), initial.phase.energy_kev);
    assert.equal(Number(await page.getByTestId("processing-rings-size").inputValue()), initial.rings.size);
    assert.equal(await page.getByTestId("processing-half-acquisition").textContent(), "off");
    assert.equal(await page.getByTestId("processing-note").textContent(), "no changes");
    assert.equal(await page.getByTestId("processing-apply").isDisabled(), true);
    const ramLak = await waitXyNewest(page, daemon, dir);
    const ramLakGray = await drawnGray(page, "xy");

    // Hann: only the window is sent; the reply's re-filter report is shown; the XY pane changes and is smoother.
    await page.getByTestId("processing-window").selectOption("hann");
    assert.equal(await page.getByTestId("processing-note").textContent(), "changes: window hann");
    const hann = await applyAndWait(page);
    assert.equal(hann.lastError, null, JSON.stringify(hann.lastError));
    assert.deepEqual(hann.lastRequest, { type: "set_processing", window: "hann" });
    assert.equal(hann.lastResult.processing.window, "hann");
    assert.equal(hann.lastResult.refilter.projections, PROJECTIONS);
    assert.match(await page.getByTestId("processing-report").textContent(), REPORT);
    const status = await daemon.status();
    assert.equal(status.processing.window, "hann");
    assert.equal(status.scan.refilter.reason, "set_processing");
    assert.equal(status.scan.refilter.projections, PROJECTIONS);
    await waitFor("the status's re-filter in the panel", async () =>
      REPORT.test(await page.getByTestId("processing-refilter").textContent()));
    await waitFor("a processing_changed event", () =>
      hook(page, () => window.tomoliveViewer.events.some((e) => e.kind === "processing_changed")));
    const hannValues = await waitXyNewest(page, daemon, dir);
    const hannChanged = changedFraction(ramLakGray, await drawnGray(page, "xy"));
    console.log(`roughness: ram-lak ${roughness(ramLak).toFixed(3)}, hann ${roughness(hannValues).toFixed(3)}; ` +
                `${(100 * hannChanged).toFixed(0)} % of the XY pixels changed`);
    assert.ok(hannChanged >= 0.1, `only ${(100 * hannChanged).toFixed(1)} % of the XY pane's pixels changed`);
    assert.ok(roughness(hannValues) < 0.9 * roughness(ramLak), "Hann smooths the XY slice");
    assert.equal(await page.getByTestId("processing-note").textContent(), "no changes");
    await showPanel(page, "processing-hann");

    // Phase retrieval on (the defaults: 20 keV, 0.1 m, 1 um, delta/beta 100): a strong low-pass, smoother still.
    await page.getByTestId("processing-phase").check();
    const phase = await applyAndWait(page);
    assert.equal(phase.lastError, null, JSON.stringify(phase.lastError));
    assert.deepEqual(phase.lastRequest, { type: "set_processing", phase: { enabled: true } });
    assert.equal(phase.lastResult.processing.phase.enabled, true);
    assert.equal(phase.lastResult.refilter.projections, PROJECTIONS);
    const phaseValues = await waitXyNewest(page, daemon, dir);
    console.log(`roughness with phase retrieval: ${roughness(phaseValues).toFixed(3)}`);
    assert.ok(roughness(phaseValues) < 0.7 * roughness(hannValues), "phase retrieval smooths the XY slice");
    assert.equal((await daemon.status()).processing.phase.enabled, true);
    await showPanel(page, "processing-phase");

    // Values are checked before anything is sent: an even ring size is refused in the page.
    const sent = (await processing(page)).requests;
    await page.getByTestId("processing-rings-size").fill("20");
    const problems = page.getByTestId("processing-problems").locator("li");
    await waitFor("the ring size problem listed", async () => (await problems.count()) === 1);
    assert.match(await problems.first().textContent(), /ring filter size must be an odd whole number of pixels, 3\.\.255/);
    assert.equal(await page.getByTestId("processing-rings-size").getAttribute("aria-invalid"), "true");
    assert.equal(await page.getByTestId("processing-apply").isDisabled(), true);
    await page.getByTestId("processing-rings-size").press("Enter");
    await showPanel(page, "processing-invalid");
    assert.equal((await processing(page)).requests, sent, "nothing sent with an invalid value");

    // The user types a valid size, leaves the field; meanwhile tomolive-ctl sets Parzen: the window follows the
    // daemon, the typed size stays.
    await page.getByTestId("processing-rings-size").fill("31");
    await page.getByTestId("processing-panel").locator("h2").click();
    assert.equal(await problems.count(), 0);
    const ctl = await daemon.ctl("set-processing", "--window", "parzen");
    assert.equal(ctl.ok, true, JSON.stringify(ctl.error));
    await waitFor("the panel showing tomolive-ctl's window", async () =>
      (await page.getByTestId("processing-window").inputValue()) === "parzen");
    await sleep(1200);  // two more status messages: the typed size must survive them
    assert.equal(await page.getByTestId("processing-rings-size").inputValue(), "31");
    assert.deepEqual((await processing(page)).edited, ["rings.size"]);
    assert.equal(await page.getByTestId("processing-note").textContent(), "changes: ring filter size 31 px");

    // Ring removal on with the typed size: both go, the window (already the daemon's) does not.
    await page.getByTestId("processing-rings").check();
    const rings = await applyAndWait(page);
    assert.equal(rings.lastError, null, JSON.stringify(rings.lastError));
    assert.deepEqual(rings.lastRequest, { type: "set_processing", rings: { enabled: true, size: 31 } });
    assert.deepEqual(rings.lastResult.processing.rings, { enabled: true, size: 31 });
    assert.equal(rings.lastResult.processing.window, "parzen");
    assert.deepEqual(rings.edited, []);
    assert.match(await page.getByTestId("processing-report").textContent(), REPORT);
    assert.deepEqual(page.pageErrors, []);
    await showPanel(page, "processing-rings");
    await page.close();

    // A read-only page shows the daemon's setting with every field and Apply disabled, and says why.
    const viewer = await openViewer(browser, daemon.url());
    await waitConnected(viewer);
    assert.equal(await hook(viewer, () => window.tomoliveViewer.hello.read_only), true);
    await waitFor("the read-only panel filled from the status", async () =>
      (await processing(viewer)).setting !== null);
    assert.equal(await viewer.getByTestId("processing-window").inputValue(), "parzen");
    assert.equal(await viewer.getByTestId("processing-phase").isChecked(), true);
    assert.equal(await viewer.getByTestId("processing-rings").isChecked(), true);
    assert.equal(await viewer.getByTestId("processing-rings-size").inputValue(), "31");
    for (const testId of ["processing-window", "processing-zingers", "processing-zingers-threshold",
                          "processing-phase", "processing-phase-energy", "processing-phase-distance",
                          "processing-phase-pixel-size", "processing-phase-delta-over-beta", "processing-rings",
                          "processing-rings-size", "processing-apply"]) {
      assert.equal(await viewer.getByTestId(testId).isDisabled(), true, `${testId} disabled`);
    }
    assert.match(await viewer.getByTestId("processing-note").textContent(), /^cannot apply: this page is read-only/);
    assert.match(await viewer.getByTestId("processing-apply").getAttribute("title"), /read-only/);
    assert.match(await viewer.getByTestId("processing-refilter").textContent(), REPORT);
    await viewer.getByTestId("processing-apply").click({ force: true });
    await sleep(500);
    assert.equal((await processing(viewer)).requests, 0, "a read-only page sends nothing");
    assert.equal((await daemon.status()).processing.window, "parzen");
    assert.deepEqual(viewer.pageErrors, []);
    await showPanel(viewer, "processing-read-only");
    await viewer.close();
  } finally {
    await daemon.stop();
  }
});
