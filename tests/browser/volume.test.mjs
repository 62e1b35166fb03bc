// Browser test of the viewer's Volume panel (issue 15, point 1): "Reconstruct volume" starts a full volume, the panel
// follows its progress to the end and names the file written; a second click is refused (the file exists) and the
// daemon's reason is shown; a volume started by tomolive-ctl (`volume --binning --rows`) shows up in the panel;
// `cancel-volume` with nothing running is refused; a read-only page shows the panel with its buttons disabled.
// The real tomolived (CPU engine) and tomolive-sim on loopback, the page in headless chromium.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";

import {
  hook, launchBrowser, openViewer, paths, screenshot, startDaemon, streamScan, waitConnected, waitFor, waitScanEnded,
} from "./harness.mjs";

const ROWS = 24;
const COLS = 48;
const PROJECTIONS = 60;
const NAME = "volume";
const DIR = path.join(paths.out, "work", NAME);  // startDaemon's scratch folder: the volumes go there too

let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

function volume(page) {
  return hook(page, () => window.tomoliveViewer.volume);
}

// Waits until the panel shows a volume of scan `scanId` in state `state`; returns the panel's snapshot.
function waitVolume(page, scanId, state) {
  return waitFor(`the panel showing the volume of scan ${scanId} ${state}`, async () => {
    const v = await volume(page);
    return v.volume?.scan_id === scanId && v.volume.state === state ? v : null;
  });
}

test("the Volume panel reconstructs a volume, shows its progress and file, and the daemon's refusals", async () => {
  const { dir, daemon } = await startDaemon(NAME, { token: "secret", extraArgs: ["--volume-dir", DIR] });
  assert.equal(dir, DIR);
  try {
    const page = await openViewer(browser, daemon.url("?token=secret"));
    await waitConnected(page);
    assert.equal(await page.getByTestId("volume-state").textContent(), "none yet");
    await streamScan(daemon, { scanId: 1, rows: ROWS, cols: COLS, projections: PROJECTIONS });
    await waitScanEnded(daemon, 1, PROJECTIONS);

    await waitFor("Reconstruct volume enabled", async () => !(await page.getByTestId("volume-start").isDisabled()));
    await page.getByTestId("volume-start").click();
    const finished = await waitVolume(page, 1, "finished");
    assert.deepEqual(finished.lastRequest, { type: "reconstruct_volume", binning: 1 });
    const file = path.join(DIR, "scan_000001_tomolive-sim.h5");  // scan id and the simulator's scan name
    assert.equal(finished.volume.path, file);
    assert.ok(existsSync(file), `${file} written`);
    assert.deepEqual(finished.volume.shape, [ROWS, COLS, COLS]);
    await waitFor("the volume_finished event in the panel",
                  async () => (await volume(page)).lastEvent?.kind === "volume_finished");
    assert.match(await page.getByTestId("volume-event").textContent(), /written to .*scan_000001_tomolive-sim\.h5/);
    assert.equal(await page.getByTestId("volume-progress").evaluate((bar) => bar.value), 1);
    assert.match(await page.getByTestId("volume-state").textContent(), /^finished in \d+\.\d\d s/);
    assert.equal(await page.getByTestId("volume-path").textContent(), file);
    assert.equal(await page.getByTestId("volume-cancel").isDisabled(), true, "nothing to cancel");
    await page.getByTestId("volume-panel").scrollIntoViewIfNeeded();
    await screenshot(page, "volume-finished");

    // The same scan again: the file exists, so the daemon refuses and the panel says why.
    await page.getByTestId("volume-start").click();
    const refused = await waitFor("the refusal in the panel", async () => {
      const v = await volume(page);
      return v.requests === 2 && !v.inFlight ? v : null;
    });
    assert.equal(refused.lastError.code, "disk_error");
    assert.match(await page.getByTestId("volume-error").textContent(), /already exists/);

    // Nothing runs: cancel_volume is refused.
    const cancel = await daemon.ctl("cancel-volume");
    assert.equal(cancel.ok, false);
    assert.equal(cancel.error.code, "invalid_argument");

    // tomolive-ctl starts a binned volume of half the rows of the next scan; the panel follows it.
    await streamScan(daemon, { scanId: 2, rows: ROWS, cols: COLS, projections: PROJECTIONS });
    await waitScanEnded(daemon, 2, PROJECTIONS);
    const started = await daemon.ctl("volume", "--binning", "2", "--rows", "0", String(ROWS / 2));
    assert.equal(started.ok, true, JSON.stringify(started));
    assert.deepEqual(started.result.shape, [ROWS / 4, COLS / 2, COLS / 2]);
    await waitVolume(page, 2, "finished");
    assert.equal(await page.getByTestId("volume-shape").textContent(),
                 `${ROWS / 4} × ${COLS / 2} × ${COLS / 2} (z, y, x) · hdf5 float32 · binning 2`);
    assert.ok(existsSync(path.join(DIR, "scan_000002_tomolive-sim.h5")));

    // A read-only page shows the volume but cannot start or cancel one.
    const readOnly = await openViewer(browser, daemon.url());
    await waitConnected(readOnly);
    await waitVolume(readOnly, 2, "finished");
    assert.equal(await readOnly.getByTestId("volume-start").isDisabled(), true);
    assert.equal(await readOnly.getByTestId("volume-cancel").isDisabled(), true);
    assert.equal(await readOnly.getByTestId("volume-binning").isDisabled(), true);
    assert.deepEqual(page.pageErrors, []);
    assert.deepEqual(readOnly.pageErrors, []);
  } finally {
    await daemon.stop();
  }
});
