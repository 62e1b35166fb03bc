#!/usr/bin/python3
"""Recording of the raw stream (PROTOCOL.md 18), end to end: tomolived --record over loopback, files read back with
h5py and compared with exactly what was sent.

  1. a scan recorded to the end: scan_<id>_<name>.nxs in NXtomo layout equals the frames sent (pixels, image_key,
     rotation_angle, frame ids, metadata), its catalogue sidecar scan_<id>_<name>.json beside it lists it with size
     and sha256, and no .partial file is left;
  2. a file that already exists: the recording is refused (disk_error event, recordings_stopped), nothing is
     overwritten, and the scan is still reconstructed;
  3. a crash: the daemon is killed (SIGKILL) mid-scan once status says frames are durable; the file keeps its
     .partial name, opens in h5py and holds at least the durable frames, equal to what was sent;
  4. a detector stream (tomolive-sim --format dectris2, bslz4-compressed images, the engine's own frame buffers:
     --ingest-copy on): a "bslz4" file whose frames read back equal to the pixels the simulator rendered;
  5. DECTRIS Stream V2 from a Python sender (an encoder independent of the daemon's, tests/e2e): a series of bslz4
     images with two lz4 ones among them is recorded as "bslz4": the dataset carries filter 32008, every chunk of a
     bslz4 image is the sender's compressed bytes as they are (h5py's read_direct_chunk), the lz4 images were
     compressed by the writer (recording_frames_compressed), and every frame reads back equal to what was sent; a
     series whose first image is lz4 is recorded "raw" (no filter), bslz4 images in it as decoded; a series whose
     pixel_mask marks a pixel is recorded "raw", with that pixel repaired as the engine saw it.
"""
import argparse
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import h5py
import msgpack
import numpy as np
import zmq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from e2e_detector_stream_test import bslz4, v2_end, v2_image, v2_start  # noqa: E402

ROWS, COLS = 6, 10


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


class Daemon:
    def __init__(self, binary, workdir, record_dir, *extra):
        self.data = "ipc://" + os.path.join(workdir, "data")
        self.control = "ipc://" + os.path.join(workdir, "control")
        self.events = "ipc://" + os.path.join(workdir, "events")
        self.process = subprocess.Popen([
            binary, "--engine", "cpu", "--data", self.data, "--control", self.control, "--events", self.events,
            "--slices", "ipc://" + os.path.join(workdir, "slices"), "--http", "off", "--status-interval", "0",
            "--record", record_dir, *extra])
        self.context = zmq.Context()
        self.sub = self.context.socket(zmq.SUB)
        self.sub.setsockopt(zmq.SUBSCRIBE, b"event")
        self.sub.connect(self.events)
        self.push = self.context.socket(zmq.PUSH)
        self.push.connect(self.data)
        self.req = None
        self.wait_for(lambda status: True, "get_status answered", 20)
        time.sleep(0.2)  # the subscription reaches the PUB socket

    def status(self):
        if self.req is not None:
            self.req.close(linger=0)
        self.req = self.context.socket(zmq.REQ)
        self.req.connect(self.control)
        self.req.send(msgpack.packb({"v": 1, "type": "get_status"}))
        if not self.req.poll(1000):
            return None
        reply = msgpack.unpackb(self.req.recv())
        return reply["result"] if reply.get("ok") else None

    def wait_for(self, predicate, what, timeout_s=60):
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            if self.process.poll() is not None:
                fail("tomolived exited while waiting for " + what)
            status = self.status()
            if status is not None and predicate(status):
                return status
            time.sleep(0.05)
        fail("timed out waiting for " + what + "; status: %r" % (self.status(),))

    def events_so_far(self):
        events = []
        while self.sub.poll(0):
            topic, header = self.sub.recv_multipart()
            events.append(msgpack.unpackb(header))
        return events

    def wait_event(self, predicate, what, timeout_s=20):
        """Collects events until one satisfies `predicate` (the status may show an effect before its event is read)."""
        seen = []
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            if self.sub.poll(100):
                topic, header = self.sub.recv_multipart()
                seen.append(msgpack.unpackb(header))
                if predicate(seen[-1]):
                    return seen[-1]
        fail("no %s event within %g s; events: %r" % (what, timeout_s, seen))

    def send(self, header, payload=None):
        parts = [msgpack.packb(dict(v=1, **header))]
        if payload is not None:
            parts.append(payload.tobytes())
        self.push.send_multipart(parts)

    def close(self, kill=False):
        for socket in (self.req, self.sub, self.push):
            if socket is not None:
                socket.close(linger=0 if kill else 1000)
        self.context.term()
        if kill:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)
            return
        self.process.send_signal(signal.SIGINT)
        if self.process.wait(timeout=30) != 0:
            fail("tomolived did not exit cleanly")


def counter(status, name):
    return dict(status["counters"]).get(name, 0) if isinstance(status["counters"], list) else status["counters"][name]


def check_sidecar(sidecar, recording, begin, frames):
    """The recording's catalogue sidecar (PROTOCOL.md 10.7): a SciCat raw dataset beside it that lists it with its
    size and sha256, and the scan's metadata."""
    with open(sidecar) as f:
        dataset = json.load(f)
    files = dataset["origdatablocks"][0]["dataFileList"]
    with open(recording, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    science = dataset["scientificMetadata"]
    checks = {
        "type": dataset["type"] == "raw" and dataset["dataFormat"] == "NXtomo",
        "one file": len(files) == 1 and dataset["numberOfFiles"] == 1,
        "path": files[0]["path"] == os.path.basename(recording),
        "size": files[0]["size"] == os.path.getsize(recording) == dataset["size"],
        "sha256": dataset["origdatablocks"][0]["chkAlg"] == "sha256" and files[0]["chk"] == digest,
        "scan": science["scan"]["scan_id"] == begin["scan_id"] and science["scan"]["name"] == begin["name"],
        "geometry": science["geometry"]["projections"] == begin["num_projections"],
        "center": science["center"]["offset_px"] == begin["center_offset_px"] and "tilt_deg" in science["center"],
        "processing": isinstance(science["processing"], dict) and "window" in science["processing"],
        "recording": science["recording"]["frames_written"] == frames,
    }
    wrong = [name for name, ok in checks.items() if not ok]
    if wrong:
        fail("%s: wrong sidecar: %s in %s" % (sidecar, ", ".join(wrong), json.dumps(dataset)[:2000]))


def make_scan(scan_id, darks, flats, projections, seed):
    rng = np.random.default_rng(seed)
    frames = []  # (kind, frame_id, angle_deg or None, pixels) in sending order
    for kind, count in (("dark", darks), ("flat", flats)):
        for i in range(count):
            frames.append((kind, i, None, rng.integers(0, 4000, (ROWS, COLS), dtype="<u2")))
    for i in range(projections):
        frames.append(("projection", i, 1.5 * i, rng.integers(100, 60000, (ROWS, COLS), dtype="<u2")))
    begin = {"type": "begin", "scan_id": scan_id, "name": "wood/1 Ø", "shape": [ROWS, COLS], "dtype": "uint16",
             "num_darks": darks, "num_flats": flats, "num_projections": projections, "angle_start_deg": 0.0,
             "angle_step_deg": 1.5, "pixel_size_um": 0.65, "center_offset_px": 0.5}
    return begin, frames


def send_frames(daemon, scan_id, frames):
    for kind, frame_id, _, pixels in frames:
        daemon.send({"type": kind, "scan_id": scan_id, "frame_id": frame_id, "shape": [ROWS, COLS],
                     "dtype": "uint16"}, pixels)


IMAGE_KEY = {"projection": 0, "flat": 1, "dark": 2}


def check_frames(path, frames, count=None):
    """The file's first `count` frames (default: all and exactly those) equal `frames`."""
    with h5py.File(path, "r") as f:
        data = f["/entry/instrument/detector/data"]
        keys = f["/entry/instrument/detector/image_key"][()]
        ids = f["/entry/instrument/detector/frame_id"][()]
        angles = f["/entry/sample/transformations/rotation_angle"][()]
        n = data.shape[0]
        if count is None and n != len(frames):
            fail("%s holds %d frames, %d were sent" % (path, n, len(frames)))
        if count is not None and n < count:
            fail("%s holds %d frames, at least %d were durable" % (path, n, count))
        if not (len(keys) == len(ids) == len(angles) == n):
            fail("per-frame datasets disagree in length: %d %d %d %d" % (n, len(keys), len(ids), len(angles)))
        if data.dtype != np.dtype("<u2") or data.shape[1:] != (ROWS, COLS) or data.chunks != (1, ROWS, COLS):
            fail("data is %s %s chunks %s" % (data.dtype, data.shape, data.chunks))
        last_angle = 0.0
        for i in range(n):
            kind, frame_id, angle, pixels = frames[i]
            if not np.array_equal(data[i], pixels):
                fail("frame %d (%s %d) differs from what was sent" % (i, kind, frame_id))
            if keys[i] != IMAGE_KEY[kind] or ids[i] != frame_id:
                fail("frame %d: image_key %d frame_id %d, sent %s %d" % (i, keys[i], ids[i], kind, frame_id))
            last_angle = angle if angle is not None else last_angle
            if angles[i] != last_angle:
                fail("frame %d: rotation_angle %r, expected %r" % (i, angles[i], last_angle))
        return n


def check_metadata(path, begin):
    with h5py.File(path, "r") as f:
        entry = f["/entry"]
        checks = {
            "/entry NX_class": entry.attrs["NX_class"] == "NXentry",
            "definition": entry["definition"][()].decode() == "NXtomo",
            "title": entry["title"][()].decode() == begin["name"],
            "entry_identifier": entry["entry_identifier"][()].decode() == str(begin["scan_id"]),
            "start/end time": entry["start_time"][()].decode() <= entry["end_time"][()].decode(),
            "instrument": f["/entry/instrument"].attrs["NX_class"] == "NXinstrument",
            "detector": f["/entry/instrument/detector"].attrs["NX_class"] == "NXdetector",
            "sample": f["/entry/sample"].attrs["NX_class"] == "NXsample",
            "transformations": f["/entry/sample/transformations"].attrs["NX_class"] == "NXtransformations",
            "angle units": f["/entry/sample/rotation_angle"].attrs["units"] == "degree",
            "NXdata": f["/entry/data"].attrs["NX_class"] == "NXdata" and f["/entry/data"].attrs["signal"] == "data",
            "data link": f["/entry/data/data"].id == f["/entry/instrument/detector/data"].id,
            "angle link": f["/entry/data/rotation_angle"].id == f["/entry/sample/transformations/rotation_angle"].id,
            "pixel size": f["/entry/instrument/detector/x_pixel_size"][()] == begin["pixel_size_um"],
            "axis": f["/entry/instrument/detector/x_rotation_axis_pixel_position"][()] == (COLS - 1) / 2 + 0.5,
            "scan id": f["/entry/tomolive/scan_id"][()] == begin["scan_id"],
            "counts": f["/entry/tomolive/num_projections"][()] == begin["num_projections"],
            "state": f["/entry/tomolive"].attrs["recording_state"] == "complete",
        }
        wrong = [name for name, ok in checks.items() if not ok]
        if wrong:
            fail("%s: wrong metadata: %s" % (path, ", ".join(wrong)))


def check_detector_stream(args, workdir):
    """Case 4: a DECTRIS Stream V2 series of bslz4 images is recorded as bslz4, reading back as rendered."""
    record_dir, raw_dir = os.path.join(workdir, "records_dectris2"), os.path.join(workdir, "raw_dectris2")
    os.mkdir(record_dir)
    rows, cols, darks, flats, projections, raw_row = 8, 12, 2, 2, 16, 3
    daemon = Daemon(args.daemon, workdir, record_dir, "--ingest-copy", "on")
    subprocess.run([args.sim, "--connect", daemon.data, "--format", "dectris2", "--compression", "bslz4",
                    "--rows", str(rows), "--cols", str(cols), "--darks", str(darks), "--flats", str(flats),
                    "--projections", str(projections), "--scan-id", "71", "--rate", "0", "--write-raw", raw_dir,
                    "--raw-row", str(raw_row), "--quiet"], check=True, timeout=120)
    status = daemon.wait_for(lambda s: s["recording"]["state"] == "complete", "the dectris2 recording to complete")
    daemon.close()
    path = status["recording"]["file"]
    name = "scan_000071_tomolive-sim.nxs"  # the simulator's scan id and name travel in the series' plan
    sidecar = name[:-len(".nxs")] + ".json"
    if sorted(os.listdir(record_dir)) != [sidecar, name] or os.path.basename(path) != name:
        fail("dectris2: expected %s, status says %r, directory holds %r" % (name, path, os.listdir(record_dir)))
    sent = np.concatenate([np.load(os.path.join(raw_dir, kind + "_row.npy")) for kind in ("darks", "flats",
                                                                                          "projections")])
    with h5py.File(path, "r") as f:
        data = f["/entry/instrument/detector/data"]
        keys = f["/entry/instrument/detector/image_key"][()]
        angles = f["/entry/sample/transformations/rotation_angle"][()]
        if data.dtype != np.dtype("<u2") or data.shape != (darks + flats + projections, rows, cols):
            fail("dectris2: data is %s %s" % (data.dtype, data.shape))
        if f["/entry/tomolive/frame_encoding"][()].decode() != "bslz4" or BITSHUFFLE not in filters_of(data):
            fail("dectris2: frame_encoding %r, filters %r" % (f["/entry/tomolive/frame_encoding"][()],
                                                               filters_of(data)))
        if not np.array_equal(data[:, raw_row, :], sent):
            fail("dectris2: the recorded frames differ from the rendered ones in row %d" % raw_row)
        if list(keys) != [2] * darks + [1] * flats + [0] * projections:
            fail("dectris2: image_key %r" % list(keys))
        expected = np.load(os.path.join(raw_dir, "angles_deg.npy"))
        if not np.allclose(angles[darks + flats:], expected, atol=1e-4):
            fail("dectris2: rotation_angle %r, the simulator's %r" % (angles[darks + flats:], expected))


BITSHUFFLE = 32008  # the bitshuffle HDF5 filter's registered id


def filters_of(dataset):
    plist = dataset.id.get_create_plist()
    return [plist.get_filter(i)[0] for i in range(plist.get_nfilters())]


def send_series(daemon, series_id, scan_id, name, frames, darks, flats, pixel_mask=None):
    """One Stream V2 series holding the whole scan (layout plan); frames: [(pixels, compression)]."""
    rows, cols = frames[0][0].shape
    plan = {"layout": ["dark", "flat", "projection"], "n_darks": darks, "n_flats": flats,
            "n_projections": len(frames) - darks - flats, "angle_range_deg": 180.0, "scan_unique_id": str(scan_id),
            "name": name}
    daemon.push.send_multipart(v2_start(series_id, len(frames), plan, rows=rows, cols=cols, pixel_mask=pixel_mask))
    for image_id, (pixels, compression) in enumerate(frames):
        daemon.push.send_multipart(v2_image(series_id, image_id, pixels, compression))
    daemon.push.send_multipart(v2_end(series_id))


def wait_for_recording(daemon, scan_id):
    def complete(status):
        return status["recording"].get("scan_id") == scan_id and status["recording"]["state"] == "complete"
    return daemon.wait_for(complete, "the recording of scan %d to complete" % scan_id)


def check_python_dectris2(args, workdir):
    """Case 5: bslz4 chunks recorded as they were sent; other frames fit the file's encoding."""
    record_dir = os.path.join(workdir, "records_python_dectris2")
    os.mkdir(record_dir)
    rows, cols, darks, flats, projections = 8, 12, 2, 2, 12
    rng = np.random.default_rng(5)
    pixels = [rng.integers(0, 3000 if i < darks else 60000, (rows, cols), dtype="<u2")
              for i in range(darks + flats + projections)]
    lz4_images = {3, 9}  # a flat and a projection
    daemon = Daemon(args.daemon, workdir, record_dir)

    # A bslz4 series with two lz4 images.
    send_series(daemon, 1, 81, "bslz4", [(p, "lz4" if i in lz4_images else "bslz4") for i, p in enumerate(pixels)],
                darks, flats)
    status = wait_for_recording(daemon, 81)
    path = os.path.join(record_dir, "scan_000081_bslz4.nxs")
    if status["recording"]["file"] != path or status["recording"]["encoding"] != "bslz4":
        fail("python dectris2: recording status %r" % status["recording"])
    if counter(status, "recording_frames_compressed") != len(lz4_images):
        fail("python dectris2: recording_frames_compressed %d, %d lz4 images were sent"
             % (counter(status, "recording_frames_compressed"), len(lz4_images)))
    with h5py.File(path, "r") as f:
        data = f["/entry/instrument/detector/data"]
        if f["/entry/tomolive/frame_encoding"][()].decode() != "bslz4" or filters_of(data) != [BITSHUFFLE]:
            fail("python dectris2: frame_encoding %r, filters %r" % (f["/entry/tomolive/frame_encoding"][()],
                                                                      filters_of(data)))
        if data.shape != (len(pixels), rows, cols) or not np.array_equal(data[()], np.stack(pixels)):
            fail("python dectris2: the recorded frames differ from the ones sent")
        for i, sent in enumerate(pixels):
            mask, stored = data.id.read_direct_chunk((i, 0, 0))
            if mask != 0:
                fail("python dectris2: frame %d's chunk has filter mask %d" % (i, mask))
            if i not in lz4_images and stored != bslz4(sent):
                fail("python dectris2: frame %d's stored chunk is not the bslz4 bytes sent (%d vs %d bytes)"
                     % (i, len(stored), len(bslz4(sent))))
        if status["recording"]["bytes_written"] != sum(
                len(data.id.read_direct_chunk((i, 0, 0))[1]) for i in range(len(pixels))):
            fail("python dectris2: bytes_written %d is not the stored chunks' size"
                 % status["recording"]["bytes_written"])

    # A series whose first image is lz4: recorded raw, the bslz4 images as decoded.
    send_series(daemon, 2, 82, "raw", [(p, "lz4" if i == 0 else "bslz4") for i, p in enumerate(pixels)], darks, flats)
    status = wait_for_recording(daemon, 82)
    if status["recording"]["encoding"] != "raw" or counter(status, "recording_frames_compressed") != len(lz4_images):
        fail("python dectris2, first image lz4: status %r, counters %r" % (status["recording"], status["counters"]))
    with h5py.File(os.path.join(record_dir, "scan_000082_raw.nxs"), "r") as f:
        data = f["/entry/instrument/detector/data"]
        if f["/entry/tomolive/frame_encoding"][()].decode() != "raw" or filters_of(data):
            fail("python dectris2, first image lz4: frame_encoding %r, filters %r"
                 % (f["/entry/tomolive/frame_encoding"][()], filters_of(data)))
        if not np.array_equal(data[()], np.stack(pixels)):
            fail("python dectris2, first image lz4: the recorded frames differ from the ones sent")

    # bslz4 images whose series' pixel_mask marks a pixel: the file holds the repaired pixels the engine used, raw.
    mask = np.zeros((rows, cols), dtype="<u4")
    mask[4, 6] = 1
    send_series(daemon, 3, 83, "masked", [(p, "bslz4") for p in pixels], darks, flats, pixel_mask=mask)
    status = wait_for_recording(daemon, 83)
    daemon.close()
    if status["recording"]["encoding"] != "raw" or counter(status, "recording_frames_compressed") != len(lz4_images):
        fail("python dectris2, masked: status %r, counters %r" % (status["recording"], status["counters"]))
    with h5py.File(os.path.join(record_dir, "scan_000083_masked.nxs"), "r") as f:
        data = f["/entry/instrument/detector/data"][()]
    sent = np.stack(pixels)
    unmasked = np.ones((rows, cols), dtype=bool)
    unmasked[4, 6] = False
    if not np.array_equal(data[:, unmasked], sent[:, unmasked]):
        fail("python dectris2, masked: the unmasked pixels differ from the ones sent")
    neighbours = sent[:, 4, [5, 7]].astype(np.int64)
    repaired = data[:, 4, 6].astype(np.int64)
    between = (repaired >= neighbours.min(axis=1)) & (repaired <= neighbours.max(axis=1))
    if not between.all() or np.array_equal(repaired, sent[:, 4, 6]):
        fail("python dectris2, masked: pixel (4, 6) %r was not repaired from its neighbours %r"
             % (repaired, neighbours))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--daemon", required=True)
    parser.add_argument("--sim", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        record_dir = os.path.join(workdir, "records")
        os.mkdir(record_dir)
        final = os.path.join(record_dir, "scan_000005_wood_1___.nxs")

        # 1. A complete scan.
        daemon = Daemon(args.daemon, workdir, record_dir, "--record-flush-s", "0.1")
        begin, frames = make_scan(5, 2, 2, 24, seed=1)
        daemon.send(begin)
        send_frames(daemon, 5, frames)
        daemon.send({"type": "end", "scan_id": 5})
        status = daemon.wait_for(lambda s: s["recording"]["state"] == "complete", "the recording to complete")
        if status["recording"]["file"] != final or not os.path.exists(final):
            fail("expected %s, status says %r, directory holds %r" % (final, status["recording"],
                                                                        os.listdir(record_dir)))
        sidecar = final[:-len(".nxs")] + ".json"
        if sorted(os.listdir(record_dir)) != sorted([os.path.basename(final), os.path.basename(sidecar)]):
            fail("left behind: %r" % os.listdir(record_dir))
        check_sidecar(sidecar, final, begin, len(frames))
        check_frames(final, frames)
        check_metadata(final, begin)
        if counter(status, "recording_frames_written") != len(frames) or counter(status, "recordings_completed") != 1:
            fail("counters: %r" % status["counters"])

        # 2. The same scan again: its file exists, so the recording is refused; the scan is still reconstructed.
        before = os.stat(final).st_mtime_ns
        daemon.events_so_far()
        daemon.send(begin)
        send_frames(daemon, 5, frames)
        daemon.send({"type": "end", "scan_id": 5})
        # The first scan's status (same id, ended, 24 reconstructed) matches until the second begin is processed:
        # wait for that begin's refusal too.
        status = daemon.wait_for(lambda s: s["recording"]["state"] == "failed" and s["scan"]["state"] == "ended" and
                                 s["scan"]["projections_reconstructed"] == 24, "the second scan to be reconstructed")
        if status["recording"]["state"] != "failed" or "already exists" not in status["recording"]["error"]:
            fail("recording status after an existing file: %r" % status["recording"])
        daemon.wait_event(lambda e: e.get("kind") == "error" and e["error"]["code"] == "disk_error" and
                          "already exists" in e["error"]["message"], "disk_error (the existing file)")
        if os.stat(final).st_mtime_ns != before or counter(status, "recordings_stopped") != 1:
            fail("the existing file was touched, or recordings_stopped is not 1: %r" % status["counters"])
        daemon.close()

        # 3. A crash mid-scan.
        daemon = Daemon(args.daemon, workdir, record_dir, "--record-flush-s", "0.05")
        begin, frames = make_scan(6, 1, 1, 200, seed=2)
        daemon.send(begin)
        sent = frames[:120]
        send_frames(daemon, 6, sent)
        daemon.wait_for(lambda s: s["recording"]["frames_durable"] >= len(sent), "the sent frames to be durable")
        daemon.close(kill=True)
        partial = os.path.join(record_dir, "scan_000006_wood_1___.nxs.partial")
        if not os.path.exists(partial) or os.path.exists(partial[:-len(".partial")]):
            fail("after a crash expected only %s; found %r" % (partial, os.listdir(record_dir)))
        held = check_frames(partial, frames, count=len(sent))
        with h5py.File(partial, "r") as f:
            if f["/entry/tomolive"].attrs["recording_state"] != "recording":
                fail("a crashed recording says %r" % f["/entry/tomolive"].attrs["recording_state"])

        # 4. A detector stream of bslz4 images, recorded as bslz4.
        check_detector_stream(args, workdir)
        # 5. bslz4 chunks as sent, mixed with lz4 images.
        check_python_dectris2(args, workdir)
        print("recording test passed: %d frames recorded, existing file refused, %d frames readable after SIGKILL, "
              "dectris2 streams recorded with the detector's bslz4 chunks as sent" % (len(frames), held))


if __name__ == "__main__":
    main()
