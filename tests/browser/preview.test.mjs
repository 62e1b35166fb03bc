// Browser test of the 3D preview pane (issue 19, point 7): a scan of one bright ball off the centre, streamed by
// send_balls.py to the real tomolived (CPU engine, --preview on at 32 voxels a side); the pane, once shown, receives
// the preview's chunks (watch_preview) and draws it with WebGL2 in software (SwiftShader): in maximum-intensity mode
// the brightest spot is where the ball's centre projects for the view's rotation, a drag rotates the view and moves
// the spot accordingly, the iso-surface mode draws a shaded surface there, spinning measures a frame rate; the panel's
// Preview off / on send set_preview (refused to a read-only page), and tomolive-ctl preview changes it over ZeroMQ.
// Screenshots under $TOMOLIVE_BROWSER_OUT/screenshots.

import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";

import {
  hook, launchBrowser, openViewer, repoRoot, run, screenshot, startDaemon, SWIFTSHADER_ARGS, waitConnected, waitFor,
  waitScanEnded,
} from "./harness.mjs";

const ROWS = 32;
const COLS = 64;
const PROJECTIONS = 60;
const BALL = { x: 14, y: -4, z: 7, radius: 6, mu: 0.05 };  // pixels from the axis; z up from the middle row

let browser;

before(async () => {
  browser = await launchBrowser(SWIFTSHADER_ARGS);
});

after(async () => {
  await browser?.close();
});

async function sendBalls(daemon) {
  const script = path.join(repoRoot, "tests", "browser", "send_balls.py");
  const ball = [BALL.x, BALL.y, BALL.z, BALL.radius, BALL.mu].join(",");
  const result = await run("/usr/bin/python3", [script, `tcp://127.0.0.1:${daemon.ports.data}`, "1", String(ROWS),
                                                String(COLS), String(PROJECTIONS), ball]);
  if (result.code !== 0) throw new Error(`send_balls.py exited ${result.code}: ${result.stderr}`);
}

// Where (canvas pixels, y down) the ball's centre projects, by volume_render.js's camera: world X = +x, Y = up,
// Z = +y, one voxel = 2 / longest world units; view = R^T world with R = Ry(yaw) Rx(pitch); orthographic, 1.8 world
// units per NDC unit along the shorter side.
function expectedSpot(preview, width, height) {
  const [layers, rows, cols] = preview.shape;
  const longest = Math.max(layers, rows, cols);
  const binning = preview.lastHeader.binning;
  const world = [BALL.x, BALL.z, BALL.y].map((px) => (2 * px) / (binning * longest));
  const cy = Math.cos(preview.yaw), sy = Math.sin(preview.yaw), cp = Math.cos(preview.pitch),
        sp = Math.sin(preview.pitch);
  const columns = [[cy, 0, -sy], [sy * sp, cp, cy * sp]];  // the view frame's x and y axes in world coordinates
  const [vx, vy] = columns.map((c) => c[0] * world[0] + c[1] * world[1] + c[2] * world[2]);
  const aspect = width >= height ? [width / height, 1] : [1, height / width];
  const ndc = [vx / (1.8 * aspect[0]), vy / (1.8 * aspect[1])];
  return [(ndc[0] + 1) / 2 * width, (1 - ndc[1]) / 2 * height];
}

// The centroid (canvas pixels, y down) of the pixels at least 80 % as bright as the brightest, and their count.
async function brightSpot(page) {
  const shot = await hook(page, () => window.tomoliveViewer.previewPixels());
  const { width, height, pixels } = shot;
  let peak = 0;
  for (let k = 0; k < pixels.length; k += 4) peak = Math.max(peak, pixels[k]);
  let sx = 0, sy = 0, n = 0;
  for (let k = 0; k < pixels.length; k += 4) {
    if (pixels[k] < 0.8 * peak) continue;
    const p = k / 4;
    sx += p % width;
    sy += height - 1 - Math.floor(p / width);  // readPixels rows run bottom up
    ++n;
  }
  return { width, height, peak, count: n, at: [sx / n, sy / n], pixels };
}

function preview(page) {
  return hook(page, () => window.tomoliveViewer.preview);
}

// Waits until the daemon has published a snapshot of the whole scan (its first is the scan's empty preview at begin;
// the next comes at most --preview-interval-ms after the data) and the pane has drawn it. These previews fit one
// chunk, so the newest chunk's sequence says which snapshot the pane holds.
async function waitForScanPreview(daemon, page) {
  const published = await waitFor("a snapshot of the whole scan published", async () => {
    const p = (await daemon.status()).preview;
    return p.published >= 2 ? p.published : null;
  });
  await waitFor(`snapshot ${published} drawn in the pane`, async () => {
    const p = await preview(page);
    return p.lastHeader !== null && p.lastHeader.sequence >= published && p.lastHeader.chunks === 1 &&
           p.layersWritten === p.shape[0] && p.framesDrawn > 0;
  });
}

test("the 3D pane draws the preview of a ball where it is, rotates and measures its frame rate", async () => {
  const { daemon } = await startDaemon("preview", { extraArgs: ["--preview", "on", "--preview-side", "32"] });
  try {
    const page = await openViewer(browser, daemon.url());
    await waitConnected(page);
    await sendBalls(daemon);
    const status = await waitScanEnded(daemon, 1, PROJECTIONS);
    assert.deepEqual(status.preview.shape, [16, 32, 32]);  // binning 2
    assert.equal(status.preview.enabled, true);

    await page.getByTestId("preview-show").check();
    await waitForScanPreview(daemon, page);
    const shown = await preview(page);
    assert.equal(shown.rendererError, "");
    assert.deepEqual(shown.shape, [16, 32, 32]);
    assert.equal(shown.mode, "mip");

    // Maximum intensity: the bright spot is the ball's.
    const before = await brightSpot(page);
    const expected = expectedSpot(shown, before.width, before.height);
    const tolerance = 0.06 * Math.min(before.width, before.height);
    assert.ok(before.peak > 150, `peak ${before.peak}`);
    assert.ok(Math.hypot(before.at[0] - expected[0], before.at[1] - expected[1]) < tolerance,
              `bright spot at ${before.at}, expected near ${expected} (±${tolerance})`);
    await screenshot(page, "preview-mip");

    // A drag to the right turns the view: the image changes and the spot follows the ball.
    const box = await page.getByTestId("canvas-3d").boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 120, box.y + box.height / 2 + 30, { steps: 6 });
    await page.mouse.up();
    await waitFor("the rotated frame drawn", async () => (await preview(page)).framesDrawn > shown.framesDrawn);
    const turned = await preview(page);
    assert.ok(Math.abs(turned.yaw - shown.yaw - 1.2) < 1e-3, `yaw ${shown.yaw} -> ${turned.yaw}`);
    const after = await brightSpot(page);
    const moved = expectedSpot(turned, after.width, after.height);
    assert.ok(Math.hypot(after.at[0] - moved[0], after.at[1] - moved[1]) < tolerance,
              `bright spot at ${after.at} after the drag, expected near ${moved}`);
    let changed = 0;
    for (let k = 0; k < after.pixels.length; k += 4) if (after.pixels[k] !== before.pixels[k]) ++changed;
    assert.ok(changed > 0.01 * after.width * after.height, `${changed} pixels changed by the rotation`);

    // Iso-surface: a shaded (orange) surface around the same spot.
    await page.getByTestId("preview-mode").selectOption("iso");
    await waitFor("the iso-surface drawn", async () => (await preview(page)).mode === "iso");
    await waitFor("a surface drawn", async () => {
      const shot = await hook(page, () => window.tomoliveViewer.previewPixels());
      let surface = 0;
      for (let k = 0; k < shot.pixels.length; k += 4) if (shot.pixels[k] > shot.pixels[k + 2] + 60) ++surface;
      return surface > 20;
    });
    await screenshot(page, "preview-iso");

    // Spinning draws frame after frame: the page measures its frame rate.
    await page.getByTestId("preview-spin").check();
    await waitFor("a frame rate measured", async () => (await preview(page)).fps > 0);
    assert.match((await preview(page)).fpsText, /^\d+ fps · draw \d+\.\d ms$/);
    console.log(`3D pane frame rate, WebGL in software (SwiftShader) on the test machine: ${(await preview(page)).fpsText}`);
    await page.getByTestId("preview-spin").uncheck();

    // Preview off and on again from the panel (WebSocket set_preview); tomolive-ctl over ZeroMQ.
    await page.getByTestId("preview-off").click();
    await waitFor("set_preview off answered", async () => (await preview(page)).lastReply?.ok === true);
    assert.equal((await daemon.status()).preview.enabled, false);
    await page.getByTestId("preview-side").fill("16");
    await page.getByTestId("preview-on").click();
    await waitFor("set_preview on answered", async () => {
      const reply = (await preview(page)).lastReply;
      return reply?.ok === true && reply.result.enabled === true;
    });
    assert.deepEqual((await daemon.status()).preview.shape, [8, 16, 16]);
    await waitFor("the smaller preview received", async () => {
      const p = await preview(page);
      return p.shape?.[0] === 8 && p.layersWritten === 8;
    });
    const ctl = await daemon.ctl("preview", "off");
    assert.equal(ctl.ok, true, JSON.stringify(ctl));
    assert.equal(ctl.result.enabled, false);
    await waitFor("the status note says off", async () => /^off/.test((await preview(page)).note));
    assert.deepEqual(page.pageErrors, []);
  } finally {
    await daemon.stop();
  }
});

test("a read-only page shows the preview but cannot change it", async () => {
  const { daemon } = await startDaemon("preview-read-only", {
    token: "secret", extraArgs: ["--preview", "on", "--preview-side", "16"],
  });
  try {
    const page = await openViewer(browser, daemon.url());  // no token: read-only
    await waitConnected(page);
    assert.equal(await hook(page, () => window.tomoliveViewer.controlAllowed), false);
    await sendBalls(daemon);
    await waitScanEnded(daemon, 1, PROJECTIONS);
    await page.getByTestId("preview-show").check();
    await waitForScanPreview(daemon, page);
    assert.equal(await page.getByTestId("preview-on").isDisabled(), true);
    assert.equal(await page.getByTestId("preview-off").isDisabled(), true);
    const reply = await page.evaluate(() => new Promise((resolve) => {
      const socket = new WebSocket(`ws://${location.host}/ws`);
      socket.onmessage = (event) => {
        if (typeof event.data !== "string") return;
        const message = JSON.parse(event.data);
        if (message.type === "hello") socket.send(JSON.stringify({ type: "set_preview", enabled: false }));
        if (message.type === "reply") resolve(message);
      };
    }));
    assert.equal(reply.ok, false);
    assert.equal(reply.error.code, "permission_denied");
    assert.equal((await daemon.status()).preview.enabled, true);
    await screenshot(page, "preview-read-only");
    assert.deepEqual(page.pageErrors, []);
  } finally {
    await daemon.stop();
  }
});
