#!/usr/bin/python3
"""Replay (issue 15 point 4), end to end: a scan recorded by tomolived --record is streamed by tomolive-replay into
a second daemon, whose slices must equal the first daemon's; a DXchange file written here with h5py (the same
frames, /exchange/data, data_dark, data_white, theta in degrees) replays to the same slices.

With --send instead of --replay, the same files go through tomolive-send --file (the sender library over ZeroMQ,
issue 16), and also a raw file of the same frames (--raw with the shape, counts and angles as options); and
tomolive-send refuses bad files (not HDF5, neither layout, a raw file of the wrong size, a raw file without its
shape) with exit status 1 and a message naming the file and the problem.
"""
import argparse
import os
import socket
import subprocess
import sys
import tempfile

import h5py
import msgpack
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from recording_test import COLS, ROWS, Daemon, fail, make_scan, send_frames  # noqa: E402

SCAN_ID = 4
PROJECTIONS = 36


def slices(daemon):
    """The three slices (float32 arrays) of the daemon's newest scan."""
    result = {}
    for kind in ("xy", "xz", "yz"):
        daemon.status()  # a fresh REQ socket
        daemon.req.send(msgpack.packb({"v": 1, "type": "get_slice", "slice": kind}))
        if not daemon.req.poll(5000):
            fail("no get_slice reply")
        parts = daemon.req.recv_multipart()
        header = msgpack.unpackb(parts[0])
        if not header.get("ok") or len(parts) != 2:
            fail("get_slice %s: %r" % (kind, header))
        shape = tuple(header["result"]["shape"])
        result[kind] = np.frombuffer(parts[1], dtype="<f4").reshape(shape)
    return result


def reconstructed(scan_id):
    return lambda s: (s.get("scan") is not None and s["scan"]["scan_id"] == scan_id and s["scan"]["state"] == "ended"
                      and s["scan"]["projections_reconstructed"] == PROJECTIONS)


def free_tcp_endpoint():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return "tcp://127.0.0.1:%d" % s.getsockname()[1]


class Sender:
    """tomolive-replay FILE --connect DATA, or tomolive-send --url TCP --file FILE (the library takes tcp:// URLs, so
    the daemon gets a second data endpoint for it)."""

    def __init__(self, args):
        self.replay, self.send = args.replay, args.send
        self.tcp = free_tcp_endpoint() if self.send else None

    def daemon_args(self):
        return ["--data", self.tcp] if self.send else []

    def run(self, daemon, *arguments):
        if self.send:
            command = [self.send, "--url", self.tcp, "--rate", "0", *arguments]
        else:
            command = [self.replay, arguments[1], "--connect", daemon.data, "--rate", "0", *arguments[2:]]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    def stream(self, daemon, path, *extra):
        run = self.run(daemon, "--file", path, *extra)
        if run.returncode != 0:
            fail("%s %s exited %d: %s" % (run.args[0], path, run.returncode, run.stderr))
        if "end sent" not in run.stderr:
            fail("%s reported no progress: %r" % (run.args[0], run.stderr))


def refused(sender, daemon, expected, *arguments):
    """tomolive-send with `arguments` exits 1 saying `expected`."""
    run = sender.run(daemon, *arguments)
    if run.returncode != 1 or expected not in run.stderr:
        fail("tomolive-send %s: expected exit 1 saying %r, got %d: %r" % (" ".join(arguments), expected,
                                                                        run.returncode, run.stderr))


def same_slices(expected, got, what):
    for kind in expected:
        if expected[kind].shape != got[kind].shape or not np.allclose(expected[kind], got[kind], rtol=1e-5,
                                                                        atol=1e-6 * np.abs(expected[kind]).max()):
            fail("%s: the %s slice differs from the recorded scan's (max |diff| %g)"
                 % (what, kind, np.abs(expected[kind] - got[kind]).max()))
        if not np.any(expected[kind]):
            fail("the %s slice is all zero: the comparison proves nothing" % kind)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--daemon", required=True)
    program = parser.add_mutually_exclusive_group(required=True)
    program.add_argument("--replay", help="tomolive-replay")
    program.add_argument("--send", help="tomolive-send")
    args = parser.parse_args()
    sender = Sender(args)
    with tempfile.TemporaryDirectory() as workdir:
        first_dir, second_dir = os.path.join(workdir, "first"), os.path.join(workdir, "second")
        os.mkdir(first_dir)
        os.mkdir(second_dir)
        for d in first_dir, second_dir:
            os.mkdir(os.path.join(d, "records"))

        # Record a scan.
        first = Daemon(args.daemon, first_dir, os.path.join(first_dir, "records"))
        begin, frames = make_scan(SCAN_ID, 2, 3, PROJECTIONS, seed=4)
        begin["center_offset_px"] = 0.0  # DXchange carries no center: both replays reconstruct about the middle
        first.send(begin)
        send_frames(first, SCAN_ID, frames)
        first.send({"type": "end", "scan_id": SCAN_ID})
        status = first.wait_for(lambda s: reconstructed(SCAN_ID)(s) and s["recording"]["state"] == "complete",
                                "the recorded scan to be reconstructed and its file complete")
        recorded = status["recording"]["file"]
        expected = slices(first)
        first.close()

        # Replay the NXtomo file into a second daemon.
        second = Daemon(args.daemon, second_dir, os.path.join(second_dir, "records"), *sender.daemon_args())
        sender.stream(second, recorded)
        status = second.wait_for(reconstructed(SCAN_ID), "the replayed scan to be reconstructed")
        if (status["scan"]["name"] != begin["name"] or (status["scan"]["rows"], status["scan"]["cols"]) != (ROWS, COLS)
                or status["scan"].get("pixel_size_um") != begin["pixel_size_um"]):
            fail("the replayed begin differs: %r" % status["scan"])
        same_slices(expected, slices(second), "NXtomo replay")

        # A DXchange file of the same frames.
        dxchange = os.path.join(workdir, "scan.h5")
        with h5py.File(dxchange, "w") as f:
            pick = lambda kind: np.stack([p for k, _, _, p in frames if k == kind])  # noqa: E731
            f["/exchange/data"] = pick("projection")
            f["/exchange/data_dark"] = pick("dark")
            f["/exchange/data_white"] = pick("flat")
            f["/exchange/theta"] = np.array([a for k, _, a, _ in frames if k == "projection"], dtype="<f8")
        sender.stream(second, dxchange, "--scan-id", "9")
        second.wait_for(reconstructed(9), "the DXchange scan to be reconstructed")
        same_slices(expected, slices(second), "DXchange replay")
        if not args.send:
            second.close()
            print("replay test passed: NXtomo and DXchange replays reproduce the recorded scan's slices")
            return

        # A raw file of the same frames: darks, flats, projections; the shape, counts and angles as options.
        raw = os.path.join(workdir, "scan.raw")
        with open(raw, "wb") as f:
            for _, _, _, pixels in frames:
                f.write(pixels.astype("<u2").tobytes())
        shape = ["--rows", str(ROWS), "--cols", str(COLS), "--darks", "2", "--flats", "3",
                 "--projections", str(PROJECTIONS), "--angle-step", str(begin["angle_step_deg"])]
        run = sender.run(second, "--raw", raw, *shape, "--scan-id", "10")
        if run.returncode != 0 or "end sent" not in run.stderr:
            fail("tomolive-send --raw exited %d: %s" % (run.returncode, run.stderr))
        second.wait_for(reconstructed(10), "the raw scan to be reconstructed")
        same_slices(expected, slices(second), "raw file")

        # Bad files: refused before anything is sent.
        text = os.path.join(workdir, "notes.txt")
        with open(text, "w") as f:
            f.write("not a scan\n")
        refused(sender, second, text, "--file", text)
        other = os.path.join(workdir, "other.h5")
        with h5py.File(other, "w") as f:
            f["/entry/something"] = np.zeros(3)
        refused(sender, second, "neither NXtomo (/entry/instrument/detector/data) nor DXchange", "--file", other)
        short = ["--rows", str(ROWS), "--cols", str(COLS), "--projections", str(PROJECTIONS + 1)]
        refused(sender, second, "scan.raw: holds %d bytes" % os.path.getsize(raw), "--raw", raw, *short)
        refused(sender, second, "--raw needs the frames' --rows, --cols and --projections", "--raw", raw)
        status = second.status()
        if status["scan"]["scan_id"] != 10 or dict(status["counters"])["rejected"] != 0:
            fail("a refused file reached the daemon: %r" % status["scan"])
        second.close()
        print("replay test passed: tomolive-send streams NXtomo, DXchange and raw files to the recorded scan's "
              "slices and refuses bad files")


if __name__ == "__main__":
    main()
