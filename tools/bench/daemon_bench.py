#!/usr/bin/env python3
"""Benchmarks of the whole daemon, through its public protocol (Python standard library only, so that it runs on a
bare GPU machine): the real tomolived, tomolive-send sender processes (the sender library over ZeroMQ, sending the
simulated phantom scan as tomolive-sim renders it, projections prerendered and sent without a copy) and tomolive-ctl.

  T1  ZeroMQ ingest, sustained, no frame lost: S sender processes, one stream each, push W2-shaped frames
      (1008 x 2016 uint16, continuous rotation with a 1000-projection window) as fast as they can into S data
      endpoints of one daemon. The rate is sampled from get_status (bytes_received) every 0.25 s; the figure is the
      median of the per-second rates over the steady middle of the run; loss is checked from the counters.
  T4  projection received -> three slices updated and published, p50/p99, at the W1 frame rate (33 frames/s,
      2016 x 2016): from the daemon's publish latency recorder (get_status), with slices published for every frame.
  T5  (daemon part) projection received -> its slices arrived whole at a WebSocket client on the same machine, at
      the W1 frame rate and the daemon's default publish rate, each slice asked for at a 512 x 512 pane
      (ws_viewer_client.py: no browser can run on the GPU machine; the browser's decode-and-draw part is measured by
      the viewer itself, tools/bench/viewer_latency.mjs).

Writes one JSON file per workload in the format of ../shared/targets.md.
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import threading
import time

import ws_viewer_client

FLOORS = {1: 3.6, 4: 9.0, 8: 12.5}  # GB/s, plain ZeroMQ PUSH->PULL with one copy on the GPU machine (targets.md)


class Daemon:
    def __init__(self, tools, args, log_path, base_port):
        self.tools = tools
        self.control = "tcp://127.0.0.1:%d" % (base_port + 2)
        command = [tools.daemon, "--slices", "tcp://127.0.0.1:%d" % base_port,
                   "--events", "tcp://127.0.0.1:%d" % (base_port + 1), "--control", self.control]
        command += ([] if "--http" in args else ["--http", "off"]) + args
        self.log = open(log_path, "a")
        self.log.write("=== " + " ".join(command) + "\n")
        self.log.flush()
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while self.status() is None:
            if time.time() > deadline or self.process.poll() is not None:
                raise RuntimeError("tomolived did not start; see " + log_path)
            time.sleep(0.2)

    def status(self):
        """get_status as a dict (tomolive-ctl --json prints the reply map as JSON), or None when there is no answer."""
        done = subprocess.run([self.tools.ctl, "--control", self.control, "--json",
                               "--timeout-ms", "2000", "status"], capture_output=True, text=True)
        if done.returncode != 0:
            return None
        return json.loads(done.stdout)["result"]

    def counter(self, status, name):
        return status["counters"][name]

    def stop(self):
        self.process.send_signal(2)
        code = self.process.wait(timeout=60)
        self.log.close()
        return code


def sender(tools, endpoint, rate, extra):
    """A tomolive-send process: zero-copy sends (the prerendered projections in place), no time limit on
    back-pressure (as a detector that waits for the daemon)."""
    return subprocess.Popen([tools.send, "--url", endpoint, "--rate", str(rate), "--quiet", "--threads", "1",
                             "--zero-copy", "--timeout-ms", "-1"] + extra)


def wait_senders(senders, timeout_s):
    for s in senders:
        if s.wait(timeout=timeout_s) != 0:
            raise RuntimeError("tomolive-send exited with %d" % s.returncode)


def wait_for(predicate, timeout_s, what):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise RuntimeError("timed out waiting for " + what)


def figure(id_, value, unit, target, floor, note):
    return {"id": id_, "value": value, "unit": unit, "target": target, "floor": floor, "note": note}


def bench_ingest(args, log_path):
    streams, turns, base = args.streams, args.turns, args.base_port
    data = ["tcp://127.0.0.1:%d" % (base + 10 + i) for i in range(streams)]
    daemon_args = ["--engine", args.engine, "--zmq-io-threads", str(streams), "--publish-hz", "10",
                   "--status-interval", "1"]
    for endpoint in data:
        daemon_args += ["--data", endpoint]
    daemon = Daemon(args, daemon_args, log_path, base)
    rows, cols = (64, 128) if args.quick else (1008, 2016)
    shape = ["--rows", str(rows), "--cols", str(cols), "--projections", "1000", "--turns", str(turns),
             "--streams", str(streams), "--prerender", "16", "--darks", "4", "--flats", "4", "--scan-id", "1"]
    started = time.time()
    senders = [sender(args, data[0], 0, shape + ["--stream-index", "0"])]
    wait_for(lambda: (daemon.status() or {}).get("scan", {}).get("flats_received") == 4, 60, "flats")
    senders += [sender(args, data[i], 0, shape + ["--stream-index", str(i)]) for i in range(1, streams)]
    samples = []
    total = 1000 * turns
    while True:
        status = daemon.status()
        if status is not None:
            samples.append((time.time(), daemon.counter(status, "bytes_received"),
                            daemon.counter(status, "projections_reconstructed")))
            if status.get("scan", {}).get("state") == "ended":
                break
        if time.time() - started > args.timeout:
            raise RuntimeError("ingest run did not finish in %d s" % args.timeout)
        time.sleep(0.25)
    wait_senders(senders, 60)
    final = daemon.status()
    code = daemon.stop()
    # Per-second rates over the middle of the run (skip the ramp-up and the tail).
    rates = []
    for i in range(len(samples)):
        j = next((j for j in range(i + 1, len(samples)) if samples[j][0] - samples[i][0] >= 1.0), None)
        if j is None:
            break
        rates.append((samples[j][1] - samples[i][1]) / (samples[j][0] - samples[i][0]) / 1e9)
    steady = rates[len(rates) // 5: max(len(rates) // 5 + 1, 4 * len(rates) // 5)]
    counters = final["counters"]
    lost = total - counters["projections_reconstructed"]
    if len(steady) >= 3:
        gbps, how = statistics.median(steady), "median of %d one-second rates" % len(steady)
    else:  # a run too short for one-second windows (--quick): the average over the whole run
        first, last = samples[0], samples[-1]
        gbps, how = (last[1] - first[1]) / max(last[0] - first[0], 1e-9) / 1e9, "average over the run"
    frame_bytes = rows * cols * 2
    note = ("%d sender processes -> %d data endpoints (tcp loopback), frames %d x %d uint16 (%.2f MB), "
            "%d projections, engine %s; %s; %d reconstructed, %d lost, rejected %d, "
            "queue_full_waits %d; daemon exit %d"
            % (streams, streams, rows, cols, frame_bytes / 1e6, total, final["engine"], how,
               counters["projections_reconstructed"], lost, counters["rejected"], counters["queue_full_waits"], code))
    if code != 0 or lost != 0 or counters["rejected"] != 0:
        raise RuntimeError("ingest run lost frames or failed: " + note)
    figures = [figure("T1", round(gbps, 2), "GB/s", ">= 8 (stretch 12.5)", FLOORS.get(streams), note),
               figure("T1-frames", round(gbps * 1e9 / frame_bytes), "frames/s", ">= 3800 (W2 rate)", None,
                      "the same rate in frames of this shape"),
               figure("T1-lost", lost + counters["rejected"], "frames", "0", None, "frames not reconstructed")]
    return "W2", figures


def bench_latency(args, log_path):
    base = args.base_port + 100
    data = "tcp://127.0.0.1:%d" % (base + 10)
    daemon = Daemon(args, ["--engine", args.engine, "--data", data, "--publish-hz", "1000",
                               "--status-interval", "1"], log_path, base)
    projections = args.latency_projections
    side = "128" if args.quick else "2016"
    shape = ["--rows", side, "--cols", side, "--darks", "4", "--flats", "4", "--prerender", "16"]
    # A warm-up scan of the same geometry first (as at a beamline, scan after scan): the daemon's buffers and the
    # engine's allocations are then in place, and the statistics restart with the measured scan.
    for scan_id, count in ((2, max(projections // 5, 10)), (3, projections)):
        done = sender(args, data, 33, shape + ["--projections", str(count), "--scan-id", str(scan_id)])
        wait_senders([done], count / 33 + 120)
        wait_for(lambda: (daemon.status() or {}).get("scan", {}).get("state") == "ended", 60, "scan end")
    final = daemon.status()
    code = daemon.stop()
    c = final["counters"]
    note = ("frames %s x %s uint16 at 33 frames/s, %d projections after a warm-up scan, engine %s, slices "
            "published for every projection (--publish-hz 1000); %d samples; daemon exit %d"
            % (side, side, projections, final["engine"], c["publish_latency_samples"], code))
    if code != 0 or c["publish_latency_samples"] == 0:
        raise RuntimeError("latency run failed: " + note)
    figures = [figure("T4-p50", c["publish_latency_p50_us"] / 1e3, "ms", "-", None, note),
               figure("T4-p99", c["publish_latency_p99_us"] / 1e3, "ms", "<= 20", None, note)]
    return "W1", figures


def bench_viewer(args, log_path):
    base = args.base_port + 60
    data = "tcp://127.0.0.1:%d" % (base + 10)
    http_port = base + 20
    daemon = Daemon(args, ["--engine", args.engine, "--data", data, "--http", "127.0.0.1:%d" % http_port,
                           "--status-interval", "1"], log_path, base)
    projections = args.latency_projections
    side = "128" if args.quick else "2016"
    shape = ["--rows", side, "--cols", side, "--darks", "4", "--flats", "4", "--prerender", "16"]
    measured_scan = 3
    done = threading.Event()
    result = {}

    def watch():
        try:
            result["latencies"], result["frames"], result["bytes"] = ws_viewer_client.measure_arrival_latency(
                "127.0.0.1", http_port, 512, measured_scan, done.is_set)
        except Exception as error:  # reported below
            result["error"] = repr(error)

    viewer = threading.Thread(target=watch)
    viewer.start()
    try:
        for scan_id, count in ((2, max(projections // 5, 10)), (measured_scan, projections)):
            run = sender(args, data, 33, shape + ["--projections", str(count), "--scan-id", str(scan_id)])
            wait_senders([run], count / 33 + 120)
            wait_for(lambda: (daemon.status() or {}).get("scan", {}).get("state") == "ended", 60, "scan end")
        time.sleep(0.5)  # the last slices reach the client
    finally:
        done.set()
        viewer.join()
    final = daemon.status()
    code = daemon.stop()
    latencies = sorted(result.get("latencies", []))
    note = ("frames %s x %s uint16 at 33 frames/s, %d projections after a warm-up scan, engine %s, default "
            "--publish-hz; one WebSocket client (Python, same machine) asking for each slice at 512 x 512; %d samples, "
            "%d frames, %.1f MB received; daemon exit %d%s"
            % (side, side, projections, final["engine"], len(latencies), result.get("frames", 0),
               result.get("bytes", 0) / 1e6, code, "; client error " + result["error"] if "error" in result else ""))
    if code != 0 or not latencies or "error" in result:
        raise RuntimeError("viewer run failed: " + note)

    def percentile(q):
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 2)

    figures = [figure("T5-daemon-p50", percentile(0.50), "ms", "-", None, note),
               figure("T5-daemon-p99", percentile(0.99), "ms", "<= 100 (with the browser's draw)", None, note)]
    return "W1", figures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", help="folder with tomolived, tomolive-send and tomolive-ctl (or name each below)")
    parser.add_argument("--daemon", help="tomolived")
    parser.add_argument("--send", help="tomolive-send")
    parser.add_argument("--ctl", help="tomolive-ctl")
    parser.add_argument("--out", required=True, help="folder for the JSON results and the daemon log")
    parser.add_argument("--engine", default="cuda")
    parser.add_argument("--streams", type=int, default=8)
    parser.add_argument("--turns", type=int, default=16, help="W2 turns of 1000 projections (ingest run length)")
    parser.add_argument("--latency-projections", type=int, default=300)
    parser.add_argument("--timeout", type=int, default=240)
    parser.add_argument("--only", choices=["ingest", "latency", "viewer"])
    parser.add_argument("--base-port", type=int, default=27000,
                        help="first TCP port on 127.0.0.1 (below Linux's ephemeral range); uses base..base+130")
    parser.add_argument("--quick", action="store_true", help="tiny frames: a smoke test of this script on any machine")
    args = parser.parse_args()
    for attribute, name in (("daemon", "tomolived"), ("send", "tomolive-send"), ("ctl", "tomolive-ctl")):
        if getattr(args, attribute) is None:
            if args.bin is None:
                parser.error("give --bin or --%s" % attribute)
            setattr(args, attribute, os.path.join(args.bin, name))
    os.makedirs(args.out, exist_ok=True)
    commit = os.environ.get("TOMOLIVE_COMMIT", "unknown")
    device = os.environ.get("TOMOLIVE_DEVICE", "unknown")
    log_path = os.path.join(args.out, "daemon_bench.log")
    for name, run in (("ingest", bench_ingest), ("latency", bench_latency), ("viewer", bench_viewer)):
        if args.only and args.only != name:
            continue
        workload, figures = run(args, log_path)
        result = {"device": device, "commit": commit, "date": datetime.date.today().isoformat(),
                  "workload": workload, "figures": figures}
        path = os.path.join(args.out, "daemon-%s-%s.json" % (name, workload))
        with open(path, "w") as out:
            json.dump(result, out, indent=1)
        for f in figures:
            print("%-10s %10s %-9s target %-22s floor %-6s %s" % (f["id"], f["value"], f["unit"], f["target"],
                                                                 f["floor"], f["note"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
