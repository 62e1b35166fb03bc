#!/usr/bin/python3
"""tomolive-ctl against a real tomolived (CPU engine, control token set) fed one small scan by tomolive-sim:

  - the status as text: its sections, the scan's progress and the data socket's row, the counters matching --json;
  - --json: one line that parses, the reply map of PROTOCOL.md 10.2;
  - commands as sentences (set-center), a slice written as .npy (get-slice), the listing of `commands`;
  - watch, not on a terminal: exactly N lines for --count N, rates from the second line on; --json: N JSON lines;
    Ctrl-C (SIGINT) ends it with status 0; on a terminal (a pty) it redraws the screen with ANSI, q ends it and the
    terminal's settings are restored;
  - errors: each class's exit status and the daemon's code and message on stderr (invalid_argument and
    no_active_scan: 1, a command line error: 2, a missing token: 3, no daemon: 5).
Every wait is on a condition with a deadline.
"""
import argparse
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import tempfile
import termios
import time

import numpy as np

TOKEN = "s3cret"
ROWS, COLS, PROJECTIONS, DARKS, FLATS = 8, 16, 24, 2, 2


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


class Ctl:
    def __init__(self, path, control):
        self.path = path
        self.control = control

    def run(self, *args, token=True, timeout_ms=15000):
        command = [self.path, "--control", self.control, "--timeout-ms", str(timeout_ms)]
        if token:
            command += ["--token", TOKEN]
        done = subprocess.run(command + list(args), capture_output=True, text=True, timeout=120)
        return done.returncode, done.stdout, done.stderr

    def ok(self, *args, **kwargs):
        code, out, err = self.run(*args, **kwargs)
        if code != 0:
            fail("tomolive-ctl %s exited %d: %s %s" % (" ".join(args), code, out, err))
        return out

    def json(self, *args):
        out = self.ok("--json", *args)
        lines = out.splitlines()
        if len(lines) != 1:
            fail("--json %s printed %d lines, expected 1: %r" % (" ".join(args), len(lines), out))
        return json.loads(lines[0])


def wait_for(what, condition, timeout_s=60):
    deadline = time.time() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.time() > deadline:
            fail("timed out waiting for " + what)
        time.sleep(0.1)


def expect(condition, message):
    if not condition:
        fail(message)


def check_errors(ctl):
    code, out, err = ctl.run("estimate-center")
    expect(code == 1, "estimate-center before a scan exited %d, expected 1 (refused)" % code)
    expect("no_active_scan" in err and "estimate_center refused" in err, "no_active_scan not said: %r" % err)
    expect(out == "", "a refusal printed on stdout: %r" % out)

    code, out, err = ctl.run("--json", "set-center", "--offset", "1e6")
    expect(code == 1, "set-center --offset 1e6 exited %d, expected 1" % code)
    reply = json.loads(out)
    expect(reply["ok"] is False and reply["error"]["code"] in ("invalid_argument", "no_active_scan"),
           "unexpected JSON refusal %r" % reply)
    expect(reply["command"] == "set_center", "the JSON reply does not echo the command: %r" % reply)
    expect(reply["error"]["message"] in err, "the daemon's message is not on stderr: %r" % err)

    code, _, err = ctl.run("set-slices", "--xy-row", "0", token=False)
    expect(code == 3, "a command without the token exited %d, expected 3" % code)
    expect("permission_denied" in err, "permission_denied not said: %r" % err)

    code, _, err = ctl.run("set-center")
    expect(code == 2, "set-center without an option exited %d, expected 2 (usage)" % code)

    code, _, err = ctl.run("record", "on")
    expect(code == 1 and "invalid_argument" in err, "record on without --record: %d %r" % (code, err))


def check_no_daemon(ctl_path, workdir):
    lonely = Ctl(ctl_path, "ipc://" + os.path.join(workdir, "nobody"))
    code, _, err = lonely.run("status", timeout_ms=300)
    expect(code == 5, "status with no daemon exited %d, expected 5 (no reply)" % code)
    expect("no reply" in err, "no reply not said: %r" % err)
    code, out, err = lonely.run("watch", "--count", "2", "--interval", "0.05", timeout_ms=200)
    expect(code == 5, "watch with no daemon exited %d, expected 5" % code)
    expect(len(out.splitlines()) == 2 and all("no reply" in line for line in out.splitlines()),
           "watch with no daemon should print one 'no reply' line per interval: %r" % out)


def check_status_text(ctl, status):
    text = ctl.ok("status")
    for section in ("tomolived ", "cpu engine", "Scan 7 \"ctl-test\": ended", "\nFrames\n", "\nQueue\n",
                    "\nEngine and latency\n", "\nData sockets\n", "\nRejections by reason\n", "\nProcessing\n",
                    "\nCounters\n", "control token on"):
        expect(section in text, "%r missing from the status text:\n%s" % (section, text))
    expect("%d / %d received" % (PROJECTIONS, PROJECTIONS) in text, "projection progress missing:\n" + text)
    socket = status["data_sockets"][0]
    row = next((line for line in text.splitlines() if socket["endpoint"] in line), None)
    expect(row is not None, "no row for the data socket %s:\n%s" % (socket["endpoint"], text))
    expect(re.search(r"\bbind\b", row) and "native" in row, "data socket row lacks mode or format: %r" % row)
    expect(re.search(r"\b%d\b" % socket["frames"], row), "data socket row lacks its frames: %r" % row)
    # Every counter is printed by name with the value --json gives.
    for name in ("projections_accepted", "scans_ended", "control_requests"):
        match = re.search(r"\b%s\s+(\d+)" % name, text)
        expect(match is not None, "counter %s missing from the text" % name)
        if name != "control_requests":  # our own requests move it between the two replies
            expect(int(match.group(1)) == status["counters"][name],
                   "%s is %s in the text, %d in --json" % (name, match.group(1), status["counters"][name]))


def check_commands(ctl, workdir):
    out = ctl.ok("set-center", "--offset", "0.5")
    expect(out.startswith("rotation axis at offset 0.50 px"), "set-center sentence: %r" % out)
    path = os.path.join(workdir, "xy.npy")
    out = ctl.ok("get-slice", "xy", "--out", path)
    expect("wrote " + path in out, "get-slice did not say what it wrote: %r" % out)
    expect(np.load(path).shape == (COLS, COLS), "the slice has shape %r" % (np.load(path).shape,))
    reply = ctl.json("get-slice", "yz", "--out", path)
    expect(reply["ok"] and reply["result"]["slice"] == "yz", "get-slice --json: %r" % reply)
    listing = ctl.ok("commands")
    for sent in ("get_status", "set_center", "sweep_center", "set_scan_plan", "reconstruct_volume", "capture"):
        expect(re.search(r"\s%s\s" % sent, listing), "commands does not list %s:\n%s" % (sent, listing))


def check_alignment_commands(ctl, workdir):
    out = ctl.ok("set-oblique", "--normal", "0", "0", "2", "--offset", "0")
    expect(out.startswith("oblique slice on the plane with unit normal [0.0000, 0.0000, 1.0000] at offset 0.00 px: "
                          "%d x %d pixels" % (COLS, COLS)), "set-oblique sentence: %r" % out)
    path = os.path.join(workdir, "oblique.npy")
    wait_for("the oblique slice", lambda: ctl.run("get-slice", "oblique", "--out", path)[0] == 0)
    expect(np.load(path).shape == (COLS, COLS), "the oblique slice has shape %r" % (np.load(path).shape,))
    out = ctl.ok("set-oblique", "--hide")
    expect(out == "oblique slice hidden\n", "set-oblique --hide sentence: %r" % out)

    out = ctl.ok("defective-pixels", token=False)  # read-only, like get_status
    expect(re.match(r"scan 7: \d+ defective pixels of %d x %d \(" % (ROWS, COLS), out), "defective-pixels: %r" % out)
    reply = ctl.json("defective-pixels")
    expect(reply["command"] == "get_defective_pixels" and reply["result"]["built"], "defective-pixels --json: %r"
           % reply)

    out = ctl.ok("center-sample", "xy", "--point", str((COLS - 1) / 2), str((COLS - 1) / 2 + 3))
    expect("the xy slice's point lies at x 3.00 " in out and "move the sample by x -3.00 " in out,
           "center-sample sentence: %r" % out)

    path = os.path.join(workdir, "rings.npy")
    out = ctl.ok("sweep-processing", "ring_size", "--values", "3", "5", "--out", path)
    expect(out.startswith("ring_size sweep of xy row ") and "ring_size 5" in out, "sweep-processing: %r" % out)
    expect("wrote " + path in out, "sweep-processing did not say what it wrote: %r" % out)
    expect(np.load(path).shape == (2, COLS, COLS), "the sweep has shape %r" % (np.load(path).shape,))


def check_watch(ctl):
    out = ctl.ok("watch", "--count", "3", "--interval", "0.05")
    lines = out.splitlines()
    expect(len(lines) == 3, "watch --count 3 printed %d lines: %r" % (len(lines), out))
    expect(all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ scan 7 ended projections 24/24", line) for line in lines),
           "watch lines: %r" % lines)
    expect("rate - proj/s" in lines[0], "the first line cannot have a rate: %r" % lines[0])
    expect("rate 0.0 proj/s" in lines[2], "later lines have rates (0 after the scan): %r" % lines[2])
    out = ctl.ok("--json", "watch", "--count", "2", "--interval", "0.05")
    replies = [json.loads(line) for line in out.splitlines()]
    expect(len(replies) == 2 and all(r["command"] == "get_status" and r["ok"] for r in replies),
           "watch --json: %r" % out)
    expect(replies[1]["result"]["uptime_s"] > replies[0]["result"]["uptime_s"], "watch --json samples twice")


def check_watch_quits(ctl):
    """Ctrl-C while piped, q on a terminal: both end watch cleanly (status 0)."""
    watch = subprocess.Popen([ctl.path, "--control", ctl.control, "watch", "--interval", "0.05"],
                             stdout=subprocess.PIPE, text=True)
    for _ in range(2):
        expect(watch.stdout.readline().startswith("20"), "watch printed no status line")
    watch.send_signal(signal.SIGINT)
    expect(watch.wait(timeout=10) == 0, "watch ended by SIGINT exited %s, expected 0" % watch.returncode)
    watch.stdout.close()

    controller, terminal = pty.openpty()
    settings = termios.tcgetattr(terminal)
    watch = subprocess.Popen([ctl.path, "--control", ctl.control, "watch", "--interval", "0.05"],
                             stdin=terminal, stdout=terminal, stderr=terminal)
    screen = b""
    deadline = time.time() + 30
    # A second screen, with the rates that the first cannot have.
    while b"projections/s" not in screen:
        expect(time.time() < deadline, "watch on a terminal drew no screen with rates: %r" % screen[-800:])
        if select.select([controller], [], [], 1.0)[0]:
            screen += os.read(controller, 65536)
    first = screen.find(b"\x1b[H\x1b[2J")
    expect(first >= 0 and screen.find(b"\x1b[H\x1b[2J", first + 1) > first, "watch did not clear the screen twice")
    expect(screen[first:].startswith(b"\x1b[H\x1b[2Jtomolive-ctl watch ") and b"Scan 7" in screen,
           "the redrawn screen lacks the header or the scan: %r" % screen[-800:])
    os.write(controller, b"q")
    deadline = time.time() + 10
    while watch.poll() is None:  # keep reading: a full pty would block watch before it sees the q
        expect(time.time() < deadline, "watch did not end after q")
        if select.select([controller], [], [], 0.1)[0]:
            os.read(controller, 65536)
    expect(watch.returncode == 0, "watch ended by q exited %s, expected 0" % watch.returncode)
    expect(termios.tcgetattr(terminal) == settings, "watch left the terminal's settings changed")
    os.close(controller)
    os.close(terminal)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--daemon", required=True)
    parser.add_argument("--sim", required=True)
    parser.add_argument("--ctl", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ctl_daemon_") as workdir:
        endpoint = lambda name: "ipc://" + os.path.join(workdir, name)  # noqa: E731
        check_no_daemon(args.ctl, workdir)
        log = open(os.path.join(workdir, "tomolived.log"), "w")
        daemon = subprocess.Popen([args.daemon, "--engine", "cpu", "--data", endpoint("data"), "--slices",
                                   endpoint("slices"), "--events", endpoint("events"), "--control",
                                   endpoint("control"), "--http", "off", "--http-token", TOKEN,
                                   "--status-interval", "0"], stdout=log, stderr=subprocess.STDOUT)
        try:
            ctl = Ctl(args.ctl, endpoint("control"))
            wait_for("the daemon's status", lambda: ctl.run("status", timeout_ms=500)[0] == 0
                     or daemon.poll() is not None)
            expect(daemon.poll() is None, "tomolived exited; see its log")
            text = ctl.ok("status")
            expect("Scan\n  none yet" in text, "status before a scan:\n" + text)
            check_errors(ctl)
            subprocess.run([args.sim, "--connect", endpoint("data"), "--rows", str(ROWS), "--cols", str(COLS),
                            "--projections", str(PROJECTIONS), "--darks", str(DARKS), "--flats", str(FLATS),
                            "--scan-id", "7", "--name", "ctl-test", "--rate", "0", "--quiet"], check=True,
                           timeout=120)
            status = wait_for("the scan to be reconstructed", lambda: (lambda s: s if s.get("scan", {}).get(
                "projections_reconstructed") == PROJECTIONS and s["scan"]["state"] == "ended" else None)(
                ctl.json("status")["result"]))
            check_status_text(ctl, status)
            check_commands(ctl, workdir)
            check_alignment_commands(ctl, workdir)
            check_watch(ctl)
            check_watch_quits(ctl)
        finally:
            daemon.send_signal(2)
            try:
                daemon.wait(timeout=30)
            except subprocess.TimeoutExpired:
                daemon.kill()
            log.close()
    print("ctl_daemon: all checks passed")


if __name__ == "__main__":
    main()
