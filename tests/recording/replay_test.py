#!/usr/bin/python3
"""Replay (issue 15 point 4), end to end: a scan recorded by tomolived --record is streamed by tomolive-replay into
a second daemon, whose slices must equal the first daemon's; a DXchange file written here with h5py (the same
frames, /exchange/data, data_dark, data_white, theta in degrees) replays to the same slices.
"""
import argparse
import os
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


def replay(binary, daemon, path, *extra):
    run = subprocess.run([binary, path, "--connect", daemon.data, "--rate", "0", *extra], capture_output=True,
                         text=True, timeout=120)
    if run.returncode != 0:
        fail("tomolive-replay %s exited %d: %s" % (path, run.returncode, run.stderr))
    if "end sent" not in run.stderr:
        fail("tomolive-replay reported no progress: %r" % run.stderr)


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
    parser.add_argument("--replay", required=True)
    args = parser.parse_args()
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
        second = Daemon(args.daemon, second_dir, os.path.join(second_dir, "records"))
        replay(args.replay, second, recorded)
        status = second.wait_for(reconstructed(SCAN_ID), "the replayed scan to be reconstructed")
        if status["scan"]["name"] != begin["name"] or (status["scan"]["rows"], status["scan"]["cols"]) != (ROWS, COLS):
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
        replay(args.replay, second, dxchange, "--scan-id", "9")
        second.wait_for(reconstructed(9), "the DXchange scan to be reconstructed")
        same_slices(expected, slices(second), "DXchange replay")
        second.close()
        print("replay test passed: NXtomo and DXchange replays reproduce the recorded scan's slices")


if __name__ == "__main__":
    main()
