// Browser test of the viewer's Defective pixels panel (issue 19, point 1): a scan with the simulator's dead and hot
// pixels shows its counts from the status, "Show map" fetches get_defective_pixels and draws one dot per masked
// pixel on the detector-shaped overlay, with the pixels listed by kind. The real tomolived (CPU engine) and
// tomolive-sim on loopback, the page in headless chromium; a screenshot under $TOMOLIVE_BROWSER_OUT/screenshots.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import {
  launchBrowser, openViewer, screenshot, startDaemon, streamScan, waitConnected, waitFor, waitScanEnded,
} from "./harness.mjs";

const ROWS = 48;
const COLS = 96;
const PROJECTIONS = 60;

let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

test("the Defective pixels panel shows the scan's counts and draws its map", async () => {
  const { daemon } = await startDaemon("defects");
  try {
    const page = await openViewer(browser, daemon.url());
    await waitConnected(page);
    await streamScan(daemon, { scanId: 1, rows: ROWS, cols: COLS, projections: PROJECTIONS, defects: true });
    const status = await waitScanEnded(daemon, 1, PROJECTIONS);
    const counts = status.scan.defective_pixels;
    assert.ok(counts, "the scan status has defective_pixels");
    assert.ok(counts.dead >= 2 && counts.hot >= 2, JSON.stringify(counts));  // the simulator's: >= 2 of each
    await waitFor("the counts in the panel", async () =>
      (await page.getByTestId("defects-total").textContent()) === String(counts.total));
    assert.equal(await page.getByTestId("defects-enabled").textContent(), "on");
    assert.equal(await page.getByTestId("defects-dead").textContent(), String(counts.dead));
    assert.equal(await page.getByTestId("defects-hot").textContent(), String(counts.hot));

    await page.getByTestId("defects-show").click();
    const map = page.getByTestId("defects-map");
    await waitFor("the map drawn", async () => (await map.getAttribute("data-pixels")) === String(counts.total));
    assert.equal(await map.isVisible(), true);
    // The overlay has the detector's aspect and a dot where each listed pixel is.
    const drawn = await map.evaluate((canvas) => {
      const context = canvas.getContext("2d");
      const lit = [];
      const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
      for (let k = 0; k < data.length; k += 4) if (data[k] + data[k + 1] + data[k + 2] > 0) lit.push(k / 4);
      return { width: canvas.width, height: canvas.height, lit: lit.length };
    });
    assert.equal(drawn.height, Math.round(drawn.width * ROWS / COLS));
    assert.ok(drawn.lit >= counts.total, `${drawn.lit} lit canvas pixels for ${counts.total} defects`);
    const items = await page.getByTestId("defects-list").locator("li").allTextContents();
    assert.equal(items.length, Math.min(counts.total, 20));
    assert.ok(items.some((text) => /dead/.test(text)) && items.some((text) => /hot/.test(text)), items.join("; "));
    assert.equal(await page.getByTestId("defects-error").textContent(), "");
    await page.getByTestId("defects-panel").scrollIntoViewIfNeeded();
    await screenshot(page, "defects-panel");
    assert.deepEqual(page.pageErrors, []);
  } finally {
    await daemon.stop();
  }
});
