#!/usr/bin/env node
// T5 benchmark: projection received -> pixels drawn in a browser, through the whole system.
//
// Runs tomolived, one headless chromium with the viewer (which measures T5 as PROTOCOL.md 14.4 says and reports it
// to the daemon) and tomolive-sim streaming a scan at a fixed rate; after the scan it reads viewer_latency_p50_us
// and viewer_latency_p99_us from `tomolive-ctl status` (after each of --repeat scans; the figures are medians) and
// writes
//   <out>/viewer-latency-<workload>.json
// in the format of targets.md (figures T5-p50 and T5-p99 in ms, target p99 <= 100 ms).
//
// Usage: node tools/bench/viewer_latency.mjs [--size 256] [--rows N] [--projections 180] [--rate 33]
//          [--warmup 30] [--repeat 3] [--engine auto|cpu|cuda] [--publish-hz 30] [--workload NAME] [--out DIR]
//          [--daemon PATH] [--sim PATH] [--ctl PATH]
// W1 at full size: --size 2016 --projections 3000 --rate 33 --workload W1.
// Environment: TOMOLIVE_DEVICE and TOMOLIVE_COMMIT override the recorded device and commit. Needs chromium and
// tests/browser/node_modules (tools/setup installs both). Exit status 0 when the figure was measured, 1 otherwise.

import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

const { values: options } = parseArgs({
  options: {
    size: { type: "string", default: "256" },
    rows: { type: "string" },
    projections: { type: "string", default: "180" },
    rate: { type: "string", default: "33" },
    warmup: { type: "string", default: "30" },
    repeat: { type: "string", default: "3" },
    engine: { type: "string", default: "auto" },
    "publish-hz": { type: "string", default: "30" },
    workload: { type: "string" },
    out: { type: "string" },
    daemon: { type: "string" },
    sim: { type: "string" },
    ctl: { type: "string" },
  },
});
if (options.daemon) process.env.TOMOLIVED = path.resolve(options.daemon);
if (options.sim) process.env.TOMOLIVE_SIM = path.resolve(options.sim);
if (options.ctl) process.env.TOMOLIVE_CTL = path.resolve(options.ctl);

// The harness reads the program paths from the environment when it loads.
const harness = await import("../../tests/browser/harness.mjs");
const { Daemon, freePorts, launchBrowser, openViewer, repoRoot, streamScan, waitFor, waitScanEnded } = harness;

const cols = Number(options.size);
const rows = Number(options.rows ?? options.size);
const projections = Number(options.projections);
const rate = Number(options.rate);
const warmup = Number(options.warmup);
const repeat = Math.max(1, Number(options.repeat));
const workload = options.workload ?? (cols <= 256 && rows <= 256 && projections <= 180 ? "W4" : `${rows}x${cols}`);
const outDir = path.resolve(options.out ?? path.join(repoRoot, "bench", "results"));

function round3(x) {
  return Math.round(x * 1000) / 1000;
}

function gitCommit() {
  if (process.env.TOMOLIVE_COMMIT) return process.env.TOMOLIVE_COMMIT;
  try {
    const commit = execFileSync("git", ["-C", repoRoot, "rev-parse", "--short=12", "HEAD"]).toString().trim();
    const dirty = execFileSync("git", ["-C", repoRoot, "status", "--porcelain", "--untracked-files=no"]).length > 0;
    return dirty ? `${commit}-dirty` : commit;
  } catch {
    return "unknown";
  }
}

async function main() {
  mkdirSync(outDir, { recursive: true });
  const logPath = path.join(outDir, `viewer-latency-${workload}.log`);
  const ports = await freePorts();
  const daemon = new Daemon({
    ports, logPath, engine: options.engine, extraArgs: ["--publish-hz", options["publish-hz"]],
  });
  await daemon.start();
  const browser = await launchBrowser();
  try {
    const page = await openViewer(browser, daemon.url());
    await waitFor("the viewer connected with a ping round trip", () => page.evaluate(() =>
      window.tomoliveViewer.connection.state === "open" && window.tomoliveViewer.connection.rttMs !== null));
    let scanId = 1;
    if (warmup > 0) {
      await streamScan(daemon, { scanId, rows, cols, projections: warmup, rate });
      await waitScanEnded(daemon, scanId, warmup);
      ++scanId;
    }
    // The daemon keeps the samples of the current scan only: read them after each scan.
    const runs = [];
    let status;
    for (let r = 0; r < repeat; ++r, ++scanId) {
      const started = Date.now();
      await streamScan(daemon, { scanId, rows, cols, projections, rate });
      await waitScanEnded(daemon, scanId, projections);
      // Wait until the daemon holds every sample the page measured (sent about once a second).
      status = await waitFor("the daemon holding the page's latency samples", async () => {
        const s = await daemon.status();
        const sent = await page.evaluate(() => window.tomoliveViewer.latency);
        return s.scan.scan_id === scanId && s.counters.viewer_latency_samples > 0 &&
               sent.measured === sent.sent ? s : null;
      }, { timeoutMs: 30000 });
      const k = status.counters;
      runs.push({ p50: k.viewer_latency_p50_us / 1000, p99: k.viewer_latency_p99_us / 1000,
                  samples: k.viewer_latency_samples, t4p99: k.publish_latency_p99_us / 1000,
                  seconds: (Date.now() - started) / 1000 });
      console.log(`scan ${scanId}: T5 p50 ${runs.at(-1).p50.toFixed(2)} ms, p99 ${runs.at(-1).p99.toFixed(2)} ms ` +
                  `(${k.viewer_latency_samples} samples), T4 p99 ${runs.at(-1).t4p99.toFixed(2)} ms`);
    }
    const median = (key) => {
      const v = runs.map((run) => run[key]).sort((a, b) => a - b);
      return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    };
    const pageErrors = page.pageErrors;
    const device = process.env.TOMOLIVE_DEVICE ?? status.scan.memory?.device ?? status.engine;
    const note = `frames ${rows} x ${cols} uint16 at ${rate} frames/s, ${projections} projections per scan, ` +
                 `median of ${repeat} scans${warmup > 0 ? ` after a ${warmup}-projection warm-up scan` : ""}, ` +
                 `engine ${status.engine}, --publish-hz ${options["publish-hz"]}, one headless chromium viewer ` +
                 `(Debian chromium, --disable-gpu, 1280 x 800); per scan p50/p99 ms: ` +
                 `${runs.map((run) => `${run.p50.toFixed(1)}/${run.p99.toFixed(1)} (${run.samples})`).join(", ")}; ` +
                 `T4 publish p99 median ${median("t4p99").toFixed(2)} ms for comparison` +
                 `${pageErrors.length ? `; page errors: ${pageErrors.join(" | ")}` : ""}`;
    const result = {
      device,
      commit: gitCommit(),
      date: new Date().toISOString().slice(0, 10),
      workload,
      figures: [
        { id: "T5-p50", value: round3(median("p50")), unit: "ms", target: "-", floor: null, note },
        { id: "T5-p99", value: round3(median("p99")), unit: "ms", target: "<= 100", floor: null, note },
      ],
    };
    const file = path.join(outDir, `viewer-latency-${workload}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 1)}\n`);
    console.log(`T5 median of ${repeat} scans: p50 ${result.figures[0].value} ms, p99 ${result.figures[1].value} ms ` +
                `(target <= 100 ms), engine ${status.engine}, ${rows} x ${cols}; wrote ${file}`);
  } finally {
    await browser.close();
    await daemon.stop();
  }
}

main().catch((error) => {
  console.error(`viewer_latency: ${error.stack ?? error}`);
  process.exit(1);
});
