#!/usr/bin/env python3
"""Benchmarks of the whole daemon, through its public protocol (Python standard library only, so that it runs on a
bare GPU machine): the real tomolived, tomolive-send sender processes (the sender library over ZeroMQ, sending the
simulated phantom scan as tomolive-sim renders it, projections prerendered and sent without a copy) and tomolive-ctl.

  T1  ZeroMQ ingest, sustained, no frame lost: S sender processes, one stream each, push W2-shaped frames
      (1008 x 2016 uint16, continuous rotation with a 1000-projection window) as fast as they can into S data
      endpoints of one daemon. The rate is sampled from get_status (bytes_received) every 0.1 s; a run's rate is the
      median of the per-second rates over the steady middle of the run (at least 3 of them, else the run is refused;
      --quick takes the average over the run instead);
      loss is checked from the counters. --repeat N runs the whole ingest N times, a fresh daemon each time: the
      figures are the median run's, with every run's value (and min, max) in the note and in the figure's "runs".
      --format dectris2 measures T1 for a DECTRIS Stream V2 detector sending bslz4 images instead (T1-bslz4): S
      tomolive-sim processes play a detector with S PUSH sockets (each binds its own, sends its own start and end
      around its share of one series, 16 prerendered projections compressed once), the daemon only --data-connects
      and decompresses on its decode pool. bytes_received then counts compressed bytes, so the figure is the rate of
      decompressed pixels through the whole daemon: projections reconstructed x rows x cols x 2 bytes per second,
      sampled as above; the same frames' compressed bytes on the wire per second are reported beside it. A detector stream's scan plan has no
      sliding window, so the scan is one series of --series-projections projections, held whole by the engine.
  T4  projection received -> three slices updated and published, p50/p99, at the W1 frame rate (33 frames/s,
      2016 x 2016): from the daemon's publish latency recorder (get_status), with slices published for every frame.
  T5  (daemon part) projection received -> its slices arrived whole at a WebSocket client on the same machine, at
      the W1 frame rate and the daemon's default publish rate, each slice asked for at a 512 x 512 pane
      (ws_viewer_client.py: no browser can run on the GPU machine; the browser's decode-and-draw part is measured by
      the viewer itself, tools/bench/viewer_latency.mjs).

Writes one JSON file per workload in the format of ../shared/targets.md (the dectris2 ingest run:
daemon-ingest-dectris2-W2.json).
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


SAMPLE_INTERVAL_S = 0.1  # between two get_status samples of an ingest run


def sample_until_ended(daemon, started, timeout_s):
    """(time s, bytes_received, projections_reconstructed, whether every data socket has received a frame) every
    SAMPLE_INTERVAL_S until the scan has ended."""
    samples = []
    while True:
        status = daemon.status()
        if status is not None:
            flowing = all(socket["frames"] > 0 for socket in status.get("data_sockets", []))
            samples.append((time.time(), daemon.counter(status, "bytes_received"),
                            daemon.counter(status, "projections_reconstructed"), flowing))
            if status.get("scan", {}).get("state") == "ended":
                return samples
        if time.time() - started > timeout_s:
            raise RuntimeError("ingest run did not finish in %d s" % timeout_s)
        time.sleep(SAMPLE_INTERVAL_S)


def steady_rate(samples, value, quick):
    """The rate of value(sample) per second: the median of the one-second rates over the middle of the run (the
    ramp-up and the tail skipped); and how it was taken. A run too short for three of them is refused
    (RuntimeError), except with --quick (`quick`), where the average over the whole run is taken."""
    rates = []
    for i in range(len(samples)):
        j = next((j for j in range(i + 1, len(samples)) if samples[j][0] - samples[i][0] >= 1.0), None)
        if j is None:
            break
        rates.append((value(samples[j]) - value(samples[i])) / (samples[j][0] - samples[i][0]))
    steady = rates[len(rates) // 5: max(len(rates) // 5 + 1, 4 * len(rates) // 5)]
    if len(steady) >= 3:
        return statistics.median(steady), "median of %d one-second rates" % len(steady)
    if not quick:
        raise RuntimeError("ingest run too short for a steady rate: %d steady one-second rates of %d, need 3; "
                           "lengthen the run (--turns, --series-projections)" % (len(steady), len(rates)))
    first, last = samples[0], samples[-1]
    return (value(last) - value(first)) / max(last[0] - first[0], 1e-9), "average over the run"


def bench_ingest(args, log_path):
    """The ingest run of args.format, args.repeat times (a fresh daemon each): the figures of the median run (by the
    first figure's value; of two middle runs, the slower), each with the values of every run in "runs", the first's
    note saying them with their min and max."""
    run = bench_ingest_dectris2 if args.format == "dectris2" else bench_ingest_native
    runs = [run(args, log_path) for _ in range(args.repeat)]
    workload = runs[0][0]
    by_value = sorted(range(len(runs)), key=lambda k: runs[k][1][0]["value"])
    median = by_value[(len(runs) - 1) // 2]
    figures = runs[median][1]
    for i, f in enumerate(figures):
        f["runs"] = [figures_of_run[i]["value"] for _, figures_of_run in runs]
    primary = figures[0]
    if len(runs) > 1:
        primary["note"] = ("median of %d runs, this one run %d (runs: %s %s; min %s, max %s); "
                           % (len(runs), median + 1, ", ".join(str(v) for v in primary["runs"]), primary["unit"],
                              min(primary["runs"]), max(primary["runs"])) + primary["note"])
    return workload, figures


def bench_ingest_native(args, log_path):
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
    total = 1000 * turns
    samples = sample_until_ended(daemon, started, args.timeout)
    wait_senders(senders, 60)
    final = daemon.status()
    code = daemon.stop()
    counters = final["counters"]
    lost = total - counters["projections_reconstructed"]
    rate, how = steady_rate(samples, lambda sample: sample[1], args.quick)
    gbps = rate / 1e9
    frame_bytes = rows * cols * 2
    note = ("%d sender processes -> %d data endpoints (tcp loopback), frames %d x %d uint16 (%.2f MB), "
            "%d projections, engine %s; %s; %d reconstructed, %d lost, rejected %d, "
            "queue_full_waits %d, frame_buffer_waits %d; daemon exit %d"
            % (streams, streams, rows, cols, frame_bytes / 1e6, total, final["engine"], how,
               counters["projections_reconstructed"], lost, counters["rejected"], counters["queue_full_waits"],
               counters["frame_buffer_waits"], code))
    if code != 0 or lost != 0 or counters["rejected"] != 0:
        raise RuntimeError("ingest run lost frames or failed: " + note)
    figures = [figure("T1", round(gbps, 2), "GB/s", ">= 8 (stretch 12.5)", FLOORS.get(streams), note),
               figure("T1-frames", round(gbps * 1e9 / frame_bytes), "frames/s", ">= 3800 (W2 rate)", None,
                      "the same rate in frames of this shape"),
               figure("T1-lost", lost + counters["rejected"], "frames", "0", None, "frames not reconstructed")]
    return "W2", figures


def detector_sim(args, endpoint, extra):
    """A tomolive-sim process playing one PUSH socket of a DECTRIS detector (Stream V2, bslz4): it binds `endpoint`
    and sends as fast as the daemon takes its images (ZeroMQ back-pressure), 16 prerendered projections compressed
    once and cycled."""
    return subprocess.Popen([args.sim, "--format", "dectris2", "--compression", "bslz4", "--bind", endpoint,
                             "--prerender", "16", "--rate", "0", "--threads", "1", "--quiet"] + extra)


def bench_ingest_dectris2(args, log_path):
    streams, base = args.streams, args.base_port
    data = ["tcp://127.0.0.1:%d" % (base + 10 + i) for i in range(streams)]
    rows, cols = (64, 128) if args.quick else (1008, 2016)
    projections, darks, flats = args.series_projections, 4, 4
    shape = ["--rows", str(rows), "--cols", str(cols), "--projections", str(projections), "--streams",
             str(streams), "--darks", str(darks), "--flats", str(flats), "--scan-id", "1"]
    # The detector binds, the daemon connects (nothing else tells it the format); the simulators may start later.
    daemon_args = ["--engine", args.engine, "--zmq-io-threads", str(streams), "--publish-hz", "10",
                   "--status-interval", "1"]
    for endpoint in data:
        daemon_args += ["--data-connect", endpoint]
    daemon = Daemon(args, daemon_args, log_path, base)
    started = time.time()
    # Stream 0 carries the darks and flats, which must reach the scan before any other stream's projections.
    senders = [detector_sim(args, data[0], shape + ["--stream-index", "0"])]
    wait_for(lambda: (daemon.status() or {}).get("scan", {}).get("flats_received") == flats, 120, "flats")
    senders += [detector_sim(args, data[i], shape + ["--stream-index", str(i)]) for i in range(1, streams)]
    samples = sample_until_ended(daemon, started, args.timeout)
    for s in senders:
        if s.wait(timeout=60) != 0:
            raise RuntimeError("tomolive-sim exited with %d" % s.returncode)
    # The rate once every stream sends: streams 1.. start after the flats and prerender their projections first.
    flowing = next((i for i, sample in enumerate(samples) if sample[3]), 0)
    samples = samples[max(flowing - 1, 0):]
    final = daemon.status()
    code = daemon.stop()
    counters = final["counters"]
    frame_bytes = rows * cols * 2
    frames_per_s, how = steady_rate(samples, lambda sample: sample[2], args.quick)
    pixels_gbps = frames_per_s * frame_bytes / 1e9
    # The same frames on the wire: the mean bytes received per image (CBOR message, compressed pixels), as counted
    # by bytes_received over the whole run (its own rate would lead the reconstructed one while the queue fills).
    message_bytes = counters["bytes_received"] / (darks + flats + projections)
    compressed = frames_per_s * message_bytes
    lost = projections - counters["projections_reconstructed"]
    formats = [socket["format"] for socket in final["data_sockets"]]
    note = ("%d tomolive-sim processes, each binding one PUSH (tcp loopback) of a DECTRIS Stream V2 detector, "
            "bslz4, 16 prerendered projections compressed once; the daemon --data-connect to each (formats seen %s); "
            "frames %d x %d uint16 (%.2f MB decompressed), one series of %d projections (a detector's scan plan has "
            "no sliding window), engine %s; decompressed pixels = projections reconstructed x frame bytes, from when "
            "every stream sends, %s; "
            "compressed on the wire %.2f GB/s (%.2f MB a message, ratio %.2f); %d reconstructed, %d lost, rejected %d, "
            "queue_full_waits %d, frame_buffer_waits %d; daemon exit %d; floor: native T1's (plain ZeroMQ "
            "PUSH->PULL of uncompressed frames with one copy; memcpy of the same decompressed bytes is in "
            "tomolive-decode-bench's JSON, T1c)"
            % (streams, ",".join(formats), rows, cols, frame_bytes / 1e6, projections,
               final["engine"], how, compressed / 1e9, message_bytes / 1e6, frame_bytes / message_bytes,
               counters["projections_reconstructed"], lost, counters["rejected"], counters["queue_full_waits"],
               counters["frame_buffer_waits"], code))
    if code != 0 or lost != 0 or counters["rejected"] != 0:
        raise RuntimeError("dectris2 ingest run lost frames or failed: " + note)
    figures = [figure("T1-bslz4", round(pixels_gbps, 2), "GB/s", ">= 8", FLOORS.get(streams), note),
               figure("T1-bslz4-compressed", round(compressed / 1e9, 2), "GB/s", "-", None,
                      "the same frames' bytes on the wire: T1-bslz4-frames x the mean message received "
                      "(bytes_received / images)"),
               figure("T1-bslz4-frames", round(frames_per_s), "frames/s", ">= 3800 (W2 rate)", None,
                      "the same rate in frames of this shape"),
               figure("T1-bslz4-lost", lost + counters["rejected"], "frames", "0", None,
                      "frames not reconstructed")]
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
    parser.add_argument("--bin", help="folder with tomolived, tomolive-send, tomolive-sim and tomolive-ctl (or name "
                                          "each below)")
    parser.add_argument("--daemon", help="tomolived")
    parser.add_argument("--send", help="tomolive-send")
    parser.add_argument("--sim", help="tomolive-sim (the detector of --format dectris2)")
    parser.add_argument("--ctl", help="tomolive-ctl")
    parser.add_argument("--out", required=True, help="folder for the JSON results and the daemon log")
    parser.add_argument("--log", help="the daemon's log (appended to; default OUT/daemon_bench.log)")
    parser.add_argument("--engine", default="cuda")
    parser.add_argument("--streams", type=int, default=8)
    parser.add_argument("--turns", type=int, default=16, help="W2 turns of 1000 projections (ingest run length)")
    parser.add_argument("--format", choices=["native", "dectris2"], default="native",
                        help="ingest: tomolive's own protocol (T1) or DECTRIS Stream V2 with bslz4 images (T1-bslz4)")
    parser.add_argument("--series-projections", type=int,
                        help="dectris2 ingest: projections of its one series (run length; default 6000, which at W2's "
                             "shape take as much GPU memory as W1; 300 with --quick)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="ingest: run it this many times, a fresh daemon each; the figures are the median run's")
    parser.add_argument("--latency-projections", type=int, default=300)
    parser.add_argument("--timeout", type=int, default=240)
    parser.add_argument("--only", choices=["ingest", "latency", "viewer"])
    parser.add_argument("--base-port", type=int, default=27000,
                        help="first TCP port on 127.0.0.1 (below Linux's ephemeral range); uses base..base+130")
    parser.add_argument("--quick", action="store_true", help="tiny frames: a smoke test of this script on any machine")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat needs at least 1 run")
    needed = (("daemon", "tomolived"), ("send", "tomolive-send"), ("ctl", "tomolive-ctl"))
    if args.format == "dectris2" and args.only in (None, "ingest"):
        needed += (("sim", "tomolive-sim"),)
    for attribute, name in needed:
        if getattr(args, attribute) is None:
            if args.bin is None:
                parser.error("give --bin or --%s" % attribute)
            setattr(args, attribute, os.path.join(args.bin, name))
    os.makedirs(args.out, exist_ok=True)
    commit = os.environ.get("TOMOLIVE_COMMIT", "unknown")
    device = os.environ.get("TOMOLIVE_DEVICE", "unknown")
    if args.series_projections is None:
        args.series_projections = 300 if args.quick else 6000
    log_path = args.log or os.path.join(args.out, "daemon_bench.log")
    for name, run in (("ingest", bench_ingest), ("latency", bench_latency), ("viewer", bench_viewer)):
        if args.only and args.only != name:
            continue
        workload, figures = run(args, log_path)
        result = {"device": device, "commit": commit, "date": datetime.date.today().isoformat(),
                  "workload": workload, "figures": figures}
        run_name = name + ("-dectris2" if name == "ingest" and args.format == "dectris2" else "")
        path = os.path.join(args.out, "daemon-%s-%s.json" % (run_name, workload))
        with open(path, "w") as out:
            json.dump(result, out, indent=1)
        for f in figures:
            print("%-19s %10s %-9s target %-22s floor %-6s %s" % (f["id"], f["value"], f["unit"], f["target"],
                                                                 f["floor"], f["note"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
