#!/usr/bin/python3
"""The record and capture commands (PROTOCOL.md 18, 18.1), end to end over the control socket:

  1. --record-scans on_command: a scan is not recorded until `record` asks for the next one; that one is recorded
     whole, and the one after is not again; `record` with enabled false stops the active recording (".partial");
  2. --capture-ring-s: status shows the ring's fill; `capture` writes the ring (the scan's darks and flats and the
     projections received so far) plus the frames of the next after_s seconds to an NXtomo file, equal to what was
     sent; a second capture while one runs is refused; a capture without a ring is refused.
"""
import argparse
import os
import sys
import tempfile

import h5py
import msgpack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from recording_test import Daemon, check_frames, fail, make_scan, send_frames  # noqa: E402


def command(daemon, request):
    daemon.status()  # a fresh REQ socket
    daemon.req.send(msgpack.packb(dict(v=1, **request)))
    if not daemon.req.poll(5000):
        fail("no reply to %r" % request)
    return msgpack.unpackb(daemon.req.recv())


def ended(scan_id, projections):
    return lambda s: (s.get("scan") is not None and s["scan"]["scan_id"] == scan_id and s["scan"]["state"] == "ended"
                      and s["scan"]["projections_reconstructed"] == projections)


def run_scan(daemon, scan_id, projections, seed):
    begin, frames = make_scan(scan_id, 1, 1, projections, seed=seed)
    daemon.send(begin)
    send_frames(daemon, scan_id, frames)
    daemon.send({"type": "end", "scan_id": scan_id})
    return daemon.wait_for(ended(scan_id, projections), "scan %d to end" % scan_id), frames


def record_on_command(binary, workdir):
    records = os.path.join(workdir, "records")
    os.mkdir(records)
    daemon = Daemon(binary, workdir, records, "--record-scans", "on_command")
    status, _ = run_scan(daemon, 1, 8, seed=1)
    if os.listdir(records) or status["recording"]["next_scan"]:
        fail("on_command recorded a scan nobody asked for: %r %r" % (os.listdir(records), status["recording"]))
    reply = command(daemon, {"type": "record", "enabled": True})
    if not reply["ok"] or reply["result"]["next_scan"] is not True:
        fail("record enabled: %r" % reply)
    _, frames = run_scan(daemon, 2, 8, seed=2)
    status = daemon.wait_for(lambda s: s["recording"]["state"] == "complete", "scan 2's recording to complete")
    check_frames(status["recording"]["file"], frames)
    if status["recording"]["next_scan"]:
        fail("record asks for one scan only: %r" % status["recording"])
    run_scan(daemon, 3, 8, seed=3)
    recording = os.path.basename(status["recording"]["file"])
    if sorted(os.listdir(records)) != [recording[:-len(".nxs")] + ".json", recording]:
        fail("scan 3 was recorded without a record command: %r" % os.listdir(records))

    # record off stops the active recording: the file keeps its .partial name.
    command(daemon, {"type": "record", "enabled": True})
    begin, frames = make_scan(4, 1, 1, 30, seed=4)
    daemon.send(begin)
    send_frames(daemon, 4, frames[:10])
    daemon.wait_for(lambda s: s["recording"]["scan_id"] == 4 and s["recording"]["frames_written"] >= 10,
                    "scan 4's first frames to be written")
    reply = command(daemon, {"type": "record", "enabled": False})
    if not reply["ok"] or reply["result"]["next_scan"] is not False:
        fail("record disabled: %r" % reply)
    daemon.wait_for(lambda s: s["recording"]["state"] == "stopped", "the recording to stop")
    send_frames(daemon, 4, frames[10:])
    daemon.send({"type": "end", "scan_id": 4})
    status = daemon.wait_for(ended(4, 30), "scan 4 to end")
    partial = os.path.join(records, "scan_000004_wood_1___.nxs.partial")
    if not os.path.exists(partial) or os.path.exists(partial[:-len(".partial")]):
        fail("a recording stopped by record off: expected %s, found %r" % (partial, os.listdir(records)))
    if status["recording"]["frames_dropped"] != 0:
        fail("frames not recorded by choice are not dropped frames: %r" % status["recording"])
    check_frames(partial, frames, count=10)
    daemon.close()


def capture(binary, workdir):
    records = os.path.join(workdir, "captures")
    os.mkdir(records)
    daemon = Daemon(binary, workdir, records, "--record-scans", "on_command")
    refused = command(daemon, {"type": "capture", "after_s": 0})
    if refused["ok"] or refused["error"]["code"] != "invalid_argument" or "--capture-ring-s" not in \
            refused["error"]["message"]:
        fail("capture without a ring: %r" % refused)
    daemon.close()

    daemon = Daemon(binary, workdir, records, "--record-scans", "on_command", "--capture-ring-s", "60",
                    "--capture-ring-mb", "16")
    begin, frames = make_scan(7, 2, 2, 40, seed=7)
    daemon.send(begin)
    send_frames(daemon, 7, frames[:20])
    status = daemon.wait_for(lambda s: s["capture"]["ring_frames"] == 20, "the ring to hold the 20 frames sent")
    if not status["capture"]["enabled"] or status["capture"]["ring_bytes"] != 20 * frames[0][3].nbytes:
        fail("ring status: %r" % status["capture"])
    reply = command(daemon, {"type": "capture", "after_s": 30})
    if not reply["ok"] or reply["result"]["state"] != "capturing" or not reply["result"]["file"].endswith(".partial"):
        fail("capture: %r" % reply)
    again = command(daemon, {"type": "capture", "after_s": 1})
    if again["ok"] or again["error"]["code"] != "invalid_argument":
        fail("a second capture while one runs: %r" % again)
    send_frames(daemon, 7, frames[20:])
    daemon.send({"type": "end", "scan_id": 7})  # the scan's end ends the capture before its 30 s
    status = daemon.wait_for(lambda s: s["capture"]["state"] == "complete", "the capture to complete")
    path = status["capture"]["file"]
    if path != os.path.join(records, "scan_000007_wood_1____capture_1.nxs") or status["capture"]["frames_written"] != 44:
        fail("capture status: %r" % status["capture"])
    check_frames(path, frames)
    with h5py.File(path, "r") as f:
        if f["/entry/tomolive"].attrs["recording_state"] != "complete":
            fail("the capture's file says %r" % f["/entry/tomolive"].attrs["recording_state"])
    counters = dict(status["counters"])
    if counters["captures_started"] != 1 or counters["captures_completed"] != 1 or \
            counters["capture_frames_written"] != 44:
        fail("capture counters: %r" % counters)
    daemon.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--daemon", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        record_on_command(args.daemon, workdir)
        capture(args.daemon, workdir)
    print("record and capture command tests passed")


if __name__ == "__main__":
    main()
