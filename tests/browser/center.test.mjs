// Browser tests of the center-of-rotation tools in the viewer (issue 6, items 1, 2 and 7): the estimate buttons on a
// misaligned 360-degree scan, and the center sweep strip in control pages (read-only pages may not sweep). The real tomolived (CPU
// engine) and tomolive-sim on loopback, the page in headless chromium; screenshots under
// $TOMOLIVE_BROWSER_OUT/screenshots. Thresholds are on offsets and values, never on timing.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import {
  hook, launchBrowser, openViewer, pagePoint, pane, screenshot, startDaemon, streamScan, waitConnected, waitFor,
  waitScanEnded,
} from "./harness.mjs";

const ROWS = 48;
const COLS = 96;
const PROJECTIONS = 120;
const TRUE_OFFSET_PX = 3.3;  // the simulated axis; the scan announces 0
const Q4_TOLERANCE_PX = 0.25;

let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

// A scan whose axis sits `trueOffset` pixels from (cols - 1) / 2 while its begin announces 0.
function misalignedScan(daemon, scanId, { range = 360, trueOffset = TRUE_OFFSET_PX, projections = PROJECTIONS } = {}) {
  return streamScan(daemon, {
    scanId, rows: ROWS, cols: COLS, projections,
    extra: ["--range", String(range), "--center-offset", String(trueOffset), "--announced-offset", "0"],
  });
}

// Waits until the page's status shows scan `scanId` ended (so that its panels hold that scan).
async function waitPageScan(page, scanId) {
  await waitFor(`the page showing scan ${scanId} ended`, () =>
    page.evaluate((id) => window.tomoliveViewer.status?.scan?.scan_id === id &&
                          window.tomoliveViewer.status.scan.state === "ended", scanId));
}

async function waitEnabled(page, testId) {
  await waitFor(`${testId} enabled`, async () => !(await page.getByTestId(testId).isDisabled()));
}

function lastReply(page, command) {
  return page.evaluate((c) => window.tomoliveViewer.replies.filter((r) => r.command === c).pop() ?? null, command);
}

// "+3.31 px" -> 3.31
function shownOffset(text) {
  const match = /^([+-]?\d+\.\d+) px$/.exec(text.trim());
  assert.ok(match, `an offset like "+1.23 px": ${JSON.stringify(text)}`);
  return Number(match[1]);
}

test("Estimate (registration) finds the axis of a misaligned 360-degree scan and Apply sets it", async () => {
  const { daemon } = await startDaemon("center-estimate");
  try {
    const page = await openViewer(browser, daemon.url());
    await waitConnected(page);

    // A 180-degree scan has no two projections 180 degrees apart: the daemon's reason is shown as it comes.
    await misalignedScan(daemon, 1, { range: 180, projections: 60 });
    await waitScanEnded(daemon, 1, 60);
    await waitPageScan(page, 1);
    await waitEnabled(page, "estimate-registration");
    await page.getByTestId("estimate-registration").click();
    const refusal = await waitFor("the refusal in the estimate panel", () =>
      hook(page, () => window.tomoliveViewer.centerEstimate.error));
    const refused = await lastReply(page, "estimate_center");
    assert.equal(refused.ok, false);
    assert.equal(refused.error.code, "invalid_argument");
    assert.match(refused.error.message, /registration needs two stored projections 180 degrees apart/);
    assert.deepEqual(refusal, refused.error);
    assert.equal(await page.getByTestId("estimate-error").textContent(), refused.error.message);
    assert.equal(await page.getByTestId("estimate-result").isVisible(), false);
    assert.equal(await page.getByTestId("estimate-apply").isDisabled(), true);

    // The 360-degree scan: every projection has its opposite.
    await misalignedScan(daemon, 2);
    await waitScanEnded(daemon, 2, PROJECTIONS);
    await waitPageScan(page, 2);
    assert.equal((await daemon.status()).scan.center_offset_px, 0, "the scan announced offset 0");
    assert.equal(await page.getByTestId("estimate-error").textContent(), "", "a new scan clears the refusal");
    await waitEnabled(page, "estimate-registration");
    await page.getByTestId("estimate-registration").click();
    const estimate = await waitFor("an estimate in the panel", () =>
      hook(page, () => window.tomoliveViewer.centerEstimate.result));
    assert.equal(estimate.method, "registration");
    assert.equal(estimate.applied, false, "the buttons send apply false");
    const text = await page.getByTestId("estimate-offset").textContent();
    const shown = shownOffset(text);
    assert.ok(Math.abs(shown - TRUE_OFFSET_PX) <= Q4_TOLERANCE_PX,
              `shown estimate ${text}, true offset ${TRUE_OFFSET_PX} px`);
    assert.ok(Math.abs(shown - estimate.center_offset_px) <= 0.005 + 1e-9, `${text} vs ${estimate.center_offset_px}`);
    assert.equal(await page.getByTestId("estimate-column").textContent(),
                 estimate.center_column_px.toFixed(2));
    assert.equal(await page.getByTestId("estimate-confidence").textContent(),
                 `${(100 * estimate.confidence).toFixed(0)} %`);
    assert.match(await page.getByTestId("estimate-samples").textContent(), new RegExp(`^${estimate.samples} pairs$`));
    assert.match(await page.getByTestId("estimate-elapsed").textContent(), /^\d+\.\d ms$/);
    assert.equal((await daemon.status()).scan.center_offset_px, 0, "estimating alone changes nothing");
    console.log(`registration: ${text} (true ${TRUE_OFFSET_PX}), confidence ${estimate.confidence}, ` +
                `${estimate.samples} pairs`);

    // The status's center_estimate (the daemon's newest) is shown below.
    await waitFor("the daemon's newest estimate in the panel", async () =>
      (await page.getByTestId("estimate-daemon").textContent()).startsWith(`registration ${text}`));

    await page.getByTestId("estimate-apply").click();
    const applied = await waitFor("the estimated center in the daemon's status", async () => {
      const scan = (await daemon.status()).scan;
      return Math.abs(scan.center_offset_px - estimate.center_offset_px) < 1e-4 ? scan : null;
    });
    assert.ok(Math.abs(applied.center_column_px - ((COLS - 1) / 2 + estimate.center_offset_px)) < 1e-4);
    await waitFor("the center panel showing the applied center", async () =>
      (await page.getByTestId("center-offset").textContent()) === text);

    // The estimated tilt is corrected on request (set_center tilt_deg, PROTOCOL.md 10.4) and cleared again.
    assert.equal(typeof estimate.tilt_deg, "number", "registration measures the tilt");
    assert.equal(await page.getByTestId("estimate-clear-tilt").isDisabled(), true, "nothing to clear yet");
    await waitEnabled(page, "estimate-apply-tilt");
    await page.getByTestId("estimate-apply-tilt").click();
    await waitFor("the tilt in the daemon's status", async () =>
      Math.abs((await daemon.status()).scan.axis_tilt_deg - estimate.tilt_deg) < 1e-5);
    const tiltReply = await lastReply(page, "set_center");
    assert.ok(Math.abs(tiltReply.result.tilt_deg - estimate.tilt_deg) < 1e-5, JSON.stringify(tiltReply));
    assert.ok(Math.abs(tiltReply.result.center_offset_px - estimate.center_offset_px) < 1e-4, "the center stays");
    await waitFor("the corrected tilt in the panel", async () =>
      (await page.getByTestId("estimate-tilt-corrected").textContent()) ===
        `${estimate.tilt_deg >= 0 ? "+" : ""}${estimate.tilt_deg.toFixed(3)}°`);
    await waitEnabled(page, "estimate-clear-tilt");
    await page.getByTestId("estimate-clear-tilt").click();
    await waitFor("no tilt in the daemon's status", async () => (await daemon.status()).scan.axis_tilt_deg === 0);

    // The sharpness estimate answers too (its accuracy is the engine tests' business).
    await waitEnabled(page, "estimate-metric");
    await page.getByTestId("estimate-metric").click();
    const metric = await waitFor("a sharpness estimate or its refusal", () => hook(page, () => {
      const e = window.tomoliveViewer.centerEstimate;
      return !e.inFlight && (e.result?.method === "metric" || e.error) ? e : null;
    }));
    assert.equal(metric.error, null, JSON.stringify(metric.error));
    assert.equal(await page.getByTestId("estimate-method").textContent(), "sharpness");
    console.log(`sharpness: ${metric.result.center_offset_px.toFixed(3)} px (true ${TRUE_OFFSET_PX}), ` +
                `confidence ${metric.result.confidence}, ${metric.result.samples} candidates`);
    assert.deepEqual(page.pageErrors, []);
    await screenshot(page, "center-estimate");
    await page.close();
  } finally {
    await daemon.stop();
  }
});

test("an automatic estimate (--auto-center registration) is shown in the estimate panel", async () => {
  const { daemon } = await startDaemon("auto-center", { extraArgs: ["--auto-center", "registration"] });
  try {
    const page = await openViewer(browser, daemon.url());
    await waitConnected(page);
    await misalignedScan(daemon, 1);
    await waitScanEnded(daemon, 1, PROJECTIONS);
    await waitPageScan(page, 1);
    const estimate = await waitFor("center_estimate in the status", async () =>
      (await daemon.status()).scan.center_estimate);
    assert.equal(estimate.applied, true);
    assert.ok(Math.abs(estimate.center_offset_px - TRUE_OFFSET_PX) <= Q4_TOLERANCE_PX, `${estimate.center_offset_px}`);
    const sign = estimate.center_offset_px >= 0 ? "+" : "";
    const expected = `registration ${sign}${estimate.center_offset_px.toFixed(2)} px · ` +
                     `${(100 * estimate.confidence).toFixed(0)} % · applied`;
    await waitFor(`"${expected}" in the estimate panel`, async () =>
      (await page.getByTestId("estimate-daemon").textContent()) === expected);
    assert.deepEqual(page.pageErrors, []);
    await page.close();
  } finally {
    await daemon.stop();
  }
});

test("the sweep strip shows every candidate, marks the sharpest, applies a pick; read-only pages may not sweep",
     async () => {
  const { daemon } = await startDaemon("sweep", { token: "secret" });
  try {
    await misalignedScan(daemon, 1, { range: 180, trueOffset: 1.5 });
    await waitScanEnded(daemon, 1, PROJECTIONS);
    const page = await openViewer(browser, daemon.url("?token=secret"));
    await waitConnected(page);
    await waitPageScan(page, 1);
    await waitFor("the XY pane drawn", async () => (await pane(page, "xy")).framesDrawn > 0);

    // Defaults: 16 candidates of 0.5 px around the center in use (0).
    assert.equal(await page.getByTestId("sweep-start").inputValue(), "-4");
    assert.equal(await page.getByTestId("sweep-step").inputValue(), "0.5");
    assert.equal(await page.getByTestId("sweep-count").inputValue(), "16");
    const requested = Array.from({ length: 16 }, (_, i) => -4 + 0.5 * i);

    // Zoomed in, the sweep covers the XY pane's visible region.
    const box = await page.getByTestId("canvas-xy").boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    for (let i = 0; i < 2; ++i) await page.mouse.wheel(0, -300);
    const visible = await waitFor("the XY pane zoomed", async () => (await pane(page, "xy")).viewMessage.region);
    await waitEnabled(page, "sweep-run");
    await page.getByTestId("sweep-run").click();
    const strip = await waitFor("16 thumbnails drawn", async () => {
      const s = (await hook(page, () => window.tomoliveViewer.sweep)).strip;
      return s.visible && s.thumbs.length === 16 && s.thumbs.every((t) => t.drawn) ? s : null;
    });
    const reply = await lastReply(page, "sweep_center");
    assert.equal(reply.ok, true, JSON.stringify(reply.error));
    assert.ok(Number.isInteger(reply.sweep_id), `sweep_id ${reply.sweep_id}`);
    const sent = (await hook(page, () => window.tomoliveViewer.sweep)).panel.lastRequest;
    assert.deepEqual(sent.max_shape, [160, 160]);
    assert.deepEqual(sent.region, visible, "the request's region is the visible one");
    assert.deepEqual(reply.result.region, visible, "the daemon swept the visible region");
    assert.equal(reply.result.pixel_step, 1, "auto: every pixel of a region within 512 a side");
    assert.deepEqual(reply.result.shape, [visible[2], visible[3]]);
    assert.equal(reply.result.centers_px.length, 16);
    reply.result.centers_px.forEach((c, i) => assert.ok(Math.abs(c - requested[i]) < 1e-5, `candidate ${i}: ${c}`));

    // The thumbnails: the offsets requested, in order, each from its own frame, labelled with offset and metric.
    const thumbs = page.getByTestId("sweep-thumb");
    assert.equal(await thumbs.count(), 16);
    for (let i = 0; i < 16; ++i) {
      const t = strip.thumbs[i];
      assert.equal(t.offset, requested[i]);
      assert.equal(Number(await thumbs.nth(i).getAttribute("data-offset")), requested[i]);
      assert.equal(t.header.sweep_id, reply.sweep_id);
      assert.equal(t.header.index, i);
      assert.equal(t.header.count, 16);
      assert.ok(Math.abs(t.header.center_offset_px - requested[i]) < 1e-5);
      assert.deepEqual(t.header.shape, [visible[2], visible[3]]);
      assert.equal(t.header.pixel_step, 1);
      assert.ok(t.header.data_shape[0] <= 160 && t.header.data_shape[1] <= 160, `data_shape ${t.header.data_shape}`);
      const label = await thumbs.nth(i).locator(".thumb-offset").textContent();
      assert.match(label, new RegExp(`^\\${requested[i] >= 0 ? "+" : "-"}${Math.abs(requested[i]).toFixed(2)} px`));
      assert.equal(await thumbs.nth(i).locator(".thumb-metric").textContent(), reply.result.metric[i].toFixed(3));
    }
    // One display window for the whole strip: the page's (the XY pane's).
    // (read together: the automatic window follows the XY pane's newest values)
    await waitFor("the strip drawn through the page's window", () => hook(page, () => {
      const c = window.tomoliveViewer.contrast;
      return window.tomoliveViewer.sweep.strip.window === `${c.min}|${c.max}|${c.colormap}`;
    }));

    // The sharpest candidate, and only it, is highlighted.
    const best = page.locator("[data-testid=sweep-thumb].best");
    assert.equal(await best.count(), 1);
    assert.ok(Math.abs(Number(await best.getAttribute("data-offset")) - reply.result.best_offset_px) < 1e-5,
              `highlighted ${await best.getAttribute("data-offset")}, best_offset_px ${reply.result.best_offset_px}`);
    console.log(`sweep: best ${reply.result.best_offset_px} px (true 1.5), metric ` +
                `${reply.result.metric.map((m) => m.toFixed(3)).join(" ")}`);
    await screenshot(page, "sweep-strip");

    // A click on a candidate applies its center.
    const pickIndex = 5;  // -1.5 px
    await thumbs.nth(pickIndex).click();
    await waitFor("the picked center in the daemon's status", async () =>
      Math.abs((await daemon.status()).scan.center_offset_px - requested[pickIndex]) < 1e-5);
    await waitFor("the picked candidate marked as the center in use", async () =>
      (await thumbs.nth(pickIndex).getAttribute("class")).includes("current"));
    assert.equal((await hook(page, () => window.tomoliveViewer.sweep)).strip.picks, 1);
    await screenshot(page, "sweep-strip-picked");
    const wholeBox = await thumbs.first().locator("canvas").boundingBox();

    // Sampled every 2nd pixel (PROTOCOL.md 10.4): images of ceil(side / 2), drawn at the region's size and
    // proportions, as the whole region's were; the title says so.
    await page.getByTestId("sweep-pixel-step").selectOption("2");
    await waitEnabled(page, "sweep-run");
    await page.getByTestId("sweep-run").click();
    const sampledStrip = await waitFor("16 sampled thumbnails drawn", async () => {
      const s = (await hook(page, () => window.tomoliveViewer.sweep)).strip;
      return s.visible && s.sweep.pixelStep === 2 && s.thumbs.every((t) => t.drawn) ? s : null;
    });
    const sampledSent = (await hook(page, () => window.tomoliveViewer.sweep)).panel.lastRequest;
    assert.equal(sampledSent.pixel_step, 2);
    const sampledReply = await lastReply(page, "sweep_center");
    const region = sampledReply.result.region;  // the pane's visible region now (the strip took some of its height)
    assert.deepEqual(region, sampledSent.region);
    const half = [Math.ceil(region[2] / 2), Math.ceil(region[3] / 2)];
    assert.equal(sampledReply.result.pixel_step, 2);
    assert.deepEqual(sampledReply.result.shape, half);
    for (const t of sampledStrip.thumbs) {
      assert.equal(t.header.pixel_step, 2);
      assert.deepEqual(t.header.shape, half);
    }
    const sampledBox = await thumbs.first().locator("canvas").boundingBox();
    assert.ok(Math.abs(sampledBox.height - wholeBox.height) <= 1,
              `sampled thumbnail ${sampledBox.width}x${sampledBox.height}, whole ${wholeBox.width}x${wholeBox.height}`);
    assert.ok(Math.abs(sampledBox.width / sampledBox.height - region[3] / region[2]) < 0.02,
              `thumbnail ${sampledBox.width}x${sampledBox.height} for a region of ${region[2]}x${region[3]}`);
    assert.match(await page.getByTestId("sweep-title").textContent(), /sampled every 2 px/);
    await screenshot(page, "sweep-strip-sampled");

    // Esc closes the strip.
    await page.keyboard.press("Escape");
    await page.getByTestId("sweep-strip").waitFor({ state: "hidden" });
    assert.deepEqual(page.pageErrors, []);
    await page.close();

    // A read-only page may not sweep (engine work is for controlling pages, PROTOCOL.md 14.1): the button is off
    // and says why, and nothing is sent.
    const viewer = await openViewer(browser, daemon.url());
    await waitConnected(viewer);
    await waitPageScan(viewer, 1);
    assert.equal(await hook(viewer, () => window.tomoliveViewer.hello.read_only), true);
    assert.equal(await viewer.getByTestId("estimate-registration").isDisabled(), true);
    assert.equal(await viewer.getByTestId("estimate-metric").isDisabled(), true);
    assert.equal(await viewer.getByTestId("sweep-run").isDisabled(), true);
    assert.match(await viewer.getByTestId("sweep-run").getAttribute("title"), /read-only: a sweep needs control/);
    await viewer.getByTestId("sweep-run").click({ force: true });  // disabled: the click does nothing
    assert.equal((await hook(viewer, () => window.tomoliveViewer.sweep)).panel.requests, 0);
    assert.deepEqual(viewer.pageErrors, []);
    await screenshot(viewer, "sweep-strip-read-only");
    await viewer.close();
  } finally {
    await daemon.stop();
  }
});

// Issue 19 point 4: the "Centre sample" mode. A click in the XY pane sends center_sample for that slice point (and
// does not move the slices); the motions shown are the negated stage coordinates of the point (PROTOCOL.md 10.11),
// in pixels and, with the pixel size field, in micrometres. "From projections" locates the sample without a slice.
test("Centre sample: a click in a slice shows the stage motions; From projections fits the centre of mass", async () => {
  const { daemon } = await startDaemon("center-sample");
  try {
    const page = await openViewer(browser, daemon.url());
    await waitConnected(page);
    await misalignedScan(daemon, 1, { trueOffset: 0 });
    await waitScanEnded(daemon, 1, PROJECTIONS);
    await waitPageScan(page, 1);
    await waitEnabled(page, "sample-mode");
    await waitFor("the XY slice drawn", async () => (await pane(page, "xy")).lastHeader !== null);
    const before = (await daemon.status()).scan;

    await page.getByTestId("sample-pixel-size").fill("0.65");
    await page.getByTestId("sample-mode").click();
    assert.equal(await page.getByTestId("sample-mode").getAttribute("aria-pressed"), "true");
    // A point 20 px right of the axis and 10 px toward +y (up in the XY pane) on the slice.
    const half = (COLS - 1) / 2;
    const [x, y] = await pagePoint(page, "xy", half + 20, half - 10);
    await page.mouse.click(x, y);
    const result = await waitFor("a center_sample result", () =>
      hook(page, () => window.tomoliveViewer.sampleCentring.result));
    assert.equal(result.slice, "xy");
    assert.ok(Math.abs(result.x_px - 20) <= 1, `x ${result.x_px} (clicked 20 px right of the axis)`);
    assert.ok(Math.abs(result.y_px - 10) <= 1, `y ${result.y_px} (clicked 10 px toward +y)`);
    assert.equal(result.move_x_px, -result.x_px);
    assert.equal(result.move_y_px, -result.y_px);
    assert.ok(Math.abs(result.move_x_um - 0.65 * result.move_x_px) < 1e-9);
    assert.equal(await page.getByTestId("sample-source").textContent(), "xy slice");
    assert.equal(await page.getByTestId("sample-move-x").textContent(),
                 `${result.move_x_px >= 0 ? "+" : ""}${result.move_x_px.toFixed(2)} px · ` +
                 `${result.move_x_um >= 0 ? "+" : ""}${result.move_x_um.toFixed(1)} µm`);
    const after = (await daemon.status()).scan;
    assert.equal(after.yz_x_px, before.yz_x_px, "a pick does not move the slices");
    assert.equal(after.xz_y_px, before.xz_y_px);
    await screenshot(page, "center-sample-slice");

    await page.getByTestId("sample-projections").click();
    const fitted = await waitFor("a center_sample result from the projections", () =>
      hook(page, () => {
        const r = window.tomoliveViewer.sampleCentring.result;
        return r?.slice === "projections" ? r : null;
      }));
    assert.equal(fitted.projections, PROJECTIONS);
    assert.ok(Math.abs(fitted.axis_offset_px) < 0.5, `axis from the projections ${fitted.axis_offset_px} px (true 0)`);
    assert.match(await page.getByTestId("sample-source").textContent(), /^projections \(120, fit ±\d+\.\d\d px\)$/);
    console.log(`sample from projections: move x ${fitted.move_x_px.toFixed(2)}, y ${fitted.move_y_px.toFixed(2)}, ` +
                `z ${fitted.move_z_px.toFixed(2)} px, rms ${fitted.fit_rms_px.toFixed(3)} px`);
    assert.deepEqual(page.pageErrors, []);
    await screenshot(page, "center-sample-projections");
    await page.close();
  } finally {
    await daemon.stop();
  }
});
