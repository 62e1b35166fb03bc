// Test harness for the browser tests: runs the real tomolived and tomolive-sim on free loopback ports, asks the
// daemon through tomolive-ctl, drives Debian's chromium through playwright-core, and reads .npy files.
//
// Paths come from the environment (CTest sets them; the defaults fit a build in <repo>/build):
//   TOMOLIVED, TOMOLIVE_SIM, TOMOLIVE_CTL   the built programs
//   TOMOLIVE_VIEWER_DIR                     the viewer's static files (default <repo>/viewer)
//   TOMOLIVE_BROWSER_OUT                    where screenshots, logs and scratch files go
//                                           (default <repo>/build/tests/browser)
//   CHROMIUM                                the browser (default /usr/bin/chromium)

import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, closeSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, "..", "..");
const buildDir = path.join(repoRoot, "build");

export const paths = {
  daemon: process.env.TOMOLIVED ?? path.join(buildDir, "daemon", "tomolived"),
  sim: process.env.TOMOLIVE_SIM ?? path.join(buildDir, "tools", "sim", "tomolive-sim"),
  ctl: process.env.TOMOLIVE_CTL ?? path.join(buildDir, "tools", "ctl", "tomolive-ctl"),
  viewer: process.env.TOMOLIVE_VIEWER_DIR ?? path.join(repoRoot, "viewer"),
  out: process.env.TOMOLIVE_BROWSER_OUT ?? path.join(buildDir, "tests", "browser"),
  chromium: process.env.CHROMIUM ?? "/usr/bin/chromium",
};

export const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

// WebGL (the 3D preview) in software, with no GPU: chromium's SwiftShader, which recent versions enable only on request.
export const SWIFTSHADER_ARGS = ["--use-angle=swiftshader", "--enable-unsafe-swiftshader"];

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Polls `probe` (sync or async) until it returns a truthy value, which is returned; throws after `timeoutMs` with
// `what` and the last value seen.
export async function waitFor(what, probe, { timeoutMs = 20000, intervalMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
    }
    await sleep(intervalMs);
  }
}

// A TCP port that was free a moment ago on 127.0.0.1.
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function freePorts() {
  const ports = new Set();
  while (ports.size < 5) ports.add(await freePort());
  const [http, data, slices, events, control] = [...ports];
  return { http, data, slices, events, control };
}

export function scratchDir(name) {
  const dir = path.join(paths.out, "work", name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

// A running tomolived on the given ports (CPU engine unless told), with its log in `logPath`.
export class Daemon {
  constructor({ ports, token = null, logPath, engine = "cpu", extraArgs = [] }) {
    this.ports = ports;
    this.token = token;
    this.engine = engine;
    this.logPath = logPath;
    this.extraArgs = extraArgs;
    this.process = null;
    this.exit = null;
  }

  get controlEndpoint() {
    return `tcp://127.0.0.1:${this.ports.control}`;
  }

  url(query = "") {
    return `http://127.0.0.1:${this.ports.http}/${query}`;
  }

  async start() {
    const p = this.ports;
    const args = [
      "--no-config", "--engine", this.engine, "--cpu-threads", "2", "--status-interval", "0",
      "--http", `127.0.0.1:${p.http}`, "--viewer-dir", paths.viewer,
      "--data", `tcp://127.0.0.1:${p.data}`, "--slices", `tcp://127.0.0.1:${p.slices}`,
      "--events", `tcp://127.0.0.1:${p.events}`, "--control", this.controlEndpoint,
      ...(this.token !== null ? ["--http-token", this.token] : []),
      ...this.extraArgs,
    ];
    const log = openSync(this.logPath, "a");
    this.process = spawn(paths.daemon, args, { stdio: ["ignore", log, log] });
    closeSync(log);
    this.exit = new Promise((resolve) => this.process.on("exit", (code, signal) => resolve({ code, signal })));
    await waitFor(`tomolived serving http://127.0.0.1:${p.http}/ (log ${this.logPath})`, async () => {
      if (this.process.exitCode !== null) throw new Error(`tomolived exited ${this.process.exitCode}; see ${this.logPath}`);
      try {
        const response = await fetch(this.url(), { signal: AbortSignal.timeout(1000) });
        return response.ok;
      } catch {
        return false;
      }
    });
  }

  // Stops the daemon with `signal` and waits for it to exit; returns {code, signal}.
  async stop(signal = "SIGTERM") {
    if (!this.process || this.process.exitCode !== null || this.process.signalCode !== null) return this.exit;
    this.process.kill(signal);
    const timer = setTimeout(() => this.process.kill("SIGKILL"), 10000);
    const result = await this.exit;
    clearTimeout(timer);
    return result;
  }

  // Runs tomolive-ctl --json with `args` against this daemon; returns the parsed reply.
  async ctl(...args) {
    const token = this.token !== null ? ["--token", this.token] : [];  // ZeroMQ control needs it too
    const { code, stdout, stderr } =
        await run(paths.ctl, ["--control", this.controlEndpoint, "--json", ...token, ...args]);
    let reply;
    try {
      reply = JSON.parse(stdout.trim().split("\n").filter(Boolean).pop());
    } catch {
      throw new Error(`tomolive-ctl ${args.join(" ")} exited ${code}: ${stdout} ${stderr}`);
    }
    return reply;
  }

  async status() {
    const reply = await this.ctl("status");
    if (!reply.ok) throw new Error(`get_status failed: ${JSON.stringify(reply)}`);
    return reply.result;
  }

  // The daemon's newest float32 slice through get_slice: {header, shape, data}.
  async getSlice(name, dir) {
    const file = path.join(dir, `get-slice-${name}.npy`);
    const reply = await this.ctl("get-slice", name, "--out", file);
    if (!reply.ok) throw new Error(`get_slice ${name} failed: ${JSON.stringify(reply)}`);
    return { header: reply.result, ...readNpy(file) };
  }
}

// A daemon for one test on free ports, with its scratch folder (log in tomolived.log there): {dir, daemon}.
export async function startDaemon(name, options = {}) {
  const dir = scratchDir(name);
  const ports = await freePorts();
  const daemon = new Daemon({ ports, logPath: path.join(dir, "tomolived.log"), ...options });
  await daemon.start();
  return { dir, daemon };
}

// Runs a program to completion; resolves {code, stdout, stderr}.
export function run(program, args, { timeoutMs = 60000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

// Streams a simulated scan to the daemon and waits until the simulator is done. Options: scanId, rows, cols,
// projections, rate (frames/s, 0 = as fast as possible), truthDir (write the phantom's true slices there), extra
// (more tomolive-sim options). Detector noise is on; dead and hot pixels are off unless `defects` (their ring
// artifacts would dominate statistics against the phantom on a slice this small).
export async function streamScan(daemon, { scanId = 1, rows = 48, cols = 96, projections = 120, rate = 0,
                                           truthDir = null, defects = false, extra = [] } = {}) {
  const args = [
    "--connect", `tcp://127.0.0.1:${daemon.ports.data}`, "--scan-id", String(scanId),
    "--rows", String(rows), "--cols", String(cols), "--projections", String(projections),
    "--darks", "4", "--flats", "4", "--rate", String(rate), "--threads", "1", "--quiet",
    ...(truthDir ? ["--write-truth", truthDir] : []), ...(defects ? [] : ["--no-defects"]), ...extra,
  ];
  const result = await run(paths.sim, args, { timeoutMs: 120000 });
  if (result.code !== 0) throw new Error(`tomolive-sim exited ${result.code}: ${result.stderr}`);
}

// Waits until the daemon has reconstructed every projection of scan `scanId` and ended it.
export async function waitScanEnded(daemon, scanId, expected) {
  return waitFor(`scan ${scanId} ended with ${expected} projections reconstructed`, async () => {
    const status = await daemon.status();
    const scan = status.scan;
    return scan && scan.scan_id === scanId && scan.state === "ended" &&
           status.counters.projections_reconstructed >= expected ? status : null;
  });
}

// Reads a little-endian float32 .npy file (version 1 or 2, C order): {shape, data: Float32Array}.
export function readNpy(file) {
  const bytes = readFileSync(file);
  if (bytes.toString("latin1", 0, 6) !== "\x93NUMPY") throw new Error(`${file} is not a .npy file`);
  const major = bytes[6];
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  const header = bytes.toString("latin1", headerStart, headerStart + headerLength);
  if (!/'descr':\s*'<f4'/.test(header)) throw new Error(`${file}: expected float32 ('<f4'), header ${header}`);
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: Fortran order is not supported`);
  const shape = header.match(/'shape':\s*\(([^)]*)\)/)[1].split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  const offset = headerStart + headerLength;
  const count = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count);
  for (let i = 0; i < count; ++i) data[i] = bytes.readFloatLE(offset + 4 * i);
  return { shape, data };
}

// Pearson correlation of two equally long numeric arrays.
export function correlation(a, b) {
  if (a.length !== b.length || a.length === 0) throw new Error(`correlation of ${a.length} and ${b.length} values`);
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < a.length; ++i) {
    ma += a[i];
    mb += b[i];
  }
  ma /= a.length;
  mb /= b.length;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; ++i) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return sab / Math.sqrt(saa * sbb);
}

// ||a - b|| / ||b||
export function relativeDifference(a, b) {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; ++i) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

// A headless chromium with a fresh profile; close() also removes the profile. extraArgs: more chromium flags (e.g.
// SWIFTSHADER_ARGS for WebGL rendered in software).
export async function launchBrowser(extraArgs = []) {
  const profile = mkdtempSync(path.join(tmpdir(), "tomolive-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: paths.chromium,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    viewport: { width: 1280, height: 800 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// Opens the viewer in a new page, collecting page errors (tests assert there are none).
export async function openViewer(browser, url) {
  const page = await browser.context.newPage();
  page.pageErrors = [];
  page.on("pageerror", (error) => page.pageErrors.push(String(error)));
  await page.goto(url);
  await page.waitForFunction(() => window.tomoliveViewer !== undefined);
  return page;
}

export async function screenshot(page, name) {
  const dir = path.join(paths.out, "screenshots");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file });
  console.log(`screenshot: ${file}`);
  return file;
}

// Evaluates `expression` (a function, usually reading window.tomoliveViewer) in the page.
export function hook(page, expression) {
  return page.evaluate(expression);
}

// Waits until the page is connected (for the `connects`-th time) and has its hello.
export async function waitConnected(page, connects = 1) {
  await waitFor(`the page connected (${connects}) with a hello`, () =>
    page.evaluate((n) => window.tomoliveViewer.connection.state === "open" &&
                         window.tomoliveViewer.connection.connects >= n && window.tomoliveViewer.hello !== null,
                  connects));
}

// The hook's view of pane `name`.
export function pane(page, name) {
  return page.evaluate((n) => window.tomoliveViewer.pane(n), name);
}

export function shownValues(page, name) {
  return page.evaluate((n) => window.tomoliveViewer.shownValues(n), name);
}

// The gray levels (red channel, 0..255) drawn on pane `name`'s canvas at the centre of every full-resolution slice
// pixel, row-major over header.shape; requires the whole slice visible (zoom 1).
export async function drawnGray(page, name) {
  return (await drawnPixels(page, name)).map((rgb) => rgb[0]);
}

// The [r, g, b] drawn on pane `name`'s canvas at the centre of every full-resolution slice pixel, row-major.
export function drawnPixels(page, name) {
  return page.evaluate((n) => {
    const snapshot = window.tomoliveViewer.pane(n);
    const canvas = document.querySelector(`[data-testid=canvas-${n}]`);
    const image = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    const [rows, cols] = snapshot.lastHeader.shape;
    const { scale, originX, originY } = snapshot.transform;
    const out = new Array(rows * cols);
    for (let i = 0; i < rows; ++i) {
      for (let j = 0; j < cols; ++j) {
        const x = Math.floor(originX + j * scale);
        const y = Math.floor(originY + i * scale);
        const k = 4 * (y * canvas.width + x);
        out[i * cols + j] = [image.data[k], image.data[k + 1], image.data[k + 2]];
      }
    }
    return out;
  }, name);
}

// The canvas pixel (in CSS pixels of the page) of slice point (u, v) in pane `name`, for mouse events.
export async function pagePoint(page, name, u, v) {
  const snapshot = await pane(page, name);
  const box = await page.locator(`[data-testid=canvas-${name}]`).boundingBox();
  const { scale, originX, originY } = snapshot.transform;
  const ratio = box.width / snapshot.canvas.width;
  return [box.x + (originX + u * scale) * ratio, box.y + (originY + v * scale) * ratio];
}
