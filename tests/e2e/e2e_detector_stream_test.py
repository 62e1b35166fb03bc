#!/usr/bin/python3
"""End-to-end test of the detector streams (issue 14): a "detector" binds a PUSH and sends a phantom scan in one of
the formats detectors emit; tomolived, started with --data-connect (and nothing else about the stream), reconstructs
it, judged as e2e_quality judges the native path:

  Q1  the axial slice is no worse than scikit-image's iradon (ramp filter, linear interpolation) on the same
      sinogram, as relative RMSE against the phantom's ground truth inside the object.

The scan comes from tomolive-sim (phantom, truth, raw rows for iradon), captured as native frames on a PULL socket;
each frame is then re-encoded by an encoder independent of the daemon's decoders (python3-cbor2, Debian's
bitshuffle and python3-lz4, json):

  --mode dectris2-bslz4   Stream V2, bitshuffle+LZ4, the plan in the start's user_data (layout form), goniometer
                          omega; first, at the daemon, bad input: an image before any start, an end without start, a
                          series whose image shape differs from its start, a series whose image count disagrees with
                          its plan; each refused with its reason, and the good scan then reconstructs.
  --mode dectris2-lz4     Stream V2, LZ4, three series in a row (darks, flats, projections) tied by scan_unique_id
  --mode dectris2-channel Stream V2 with two thresholds, the daemon told --dectris-channel threshold_2: first an
                          image without that channel, refused with the reason; then the scan, reconstructed from
                          threshold_2; the status shows the channel taken and the channels seen
  --mode dectris1         Stream V1 (JSON multipart, header_detail basic, the plan in the header appendix)
  --mode array            array-1.0 (JSON header + blob; the plan in the first image's header)
  --mode bare             Stream V2 without user_data, held until a set_scan_plan command gives the plan
  --mode curve            Stream V2 with CURVE: the detector is the CURVE server, the daemon connects with
                          --data-curve-secret-key/--data-curve-server-key given pyzmq's certificate files (a
                          public certificate as the secret key refused at start); a detector with other keys first
                          gets nothing in and its failed handshakes are counted; then the right one's scan
  --mode sim              tomolive-sim --format as the detector: Stream V2 in three series, Stream V1 bslz4,
                          array-1.0 bslz4, one after the other into one daemon
  --mode bare-series      tomolive-sim --three-series --bare as a DECTRIS detector without user_data sending darks,
                          flats and projections as three series; one set_scan_plan in the per-series form (image_key
                          "dark") makes them one scan, judged by Q1; a set_scan_plan with a key it does not know is
                          refused, naming the key
  --mode round-robin      a Stream V2 detector with two PUSH sockets dealing image k (darks and flats included) to
                          socket k mod 2, one series in the layout form; socket 0 is held back until the daemon holds
                          a projection of socket 1 for the darks and flats still to come: no frame is refused, every
                          projection is reconstructed, judged by Q1
  --mode sim-streams      tomolive-sim as a Stream V2 detector with two PUSH sockets (--streams 2, one process each,
                          the daemon connected to both): every frame rendered (lz4), judged by Q1; then 4 projections
                          prerendered and cycled (bslz4, what daemon_bench.py --format dectris2 sends): every
                          projection reconstructed, none missing or refused (counters); and tomolive-sim refuses
                          what a detector stream cannot carry (--turns, --three-series over streams, --prerender
                          outside dectris2)
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

import bitshuffle
import cbor2
import lz4.block
import msgpack
import numpy as np
import zmq
import zmq.auth

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_quality_test import COLS, ROWS, PROJECTIONS, fail, iradon_of_raw, object_mask, relative_rmse  # noqa: E402

SCAN_ID = 5
DARKS = 4
FLATS = 4
SELF_DESCRIBE, MULTI_DIM, UINT16_LE, UINT32_LE, DECTRIS_COMPRESSION = 55799, 40, 69, 70, 56500


# --- the scan, from tomolive-sim ---

def sim_command(build, endpoint, scan_id, *options):
    """tomolive-sim binding `endpoint` and sending this test's scan (its shape, darks and flats) as `scan_id` at full
    speed, with `options` added."""
    return [os.path.join(build, "tools", "sim", "tomolive-sim"), "--bind", endpoint, "--rows", str(ROWS), "--cols",
            str(COLS), "--projections", str(PROJECTIONS), "--darks", str(DARKS), "--flats", str(FLATS), "--scan-id",
            str(scan_id), "--rate", "0", "--quiet", *options]

def capture_native_scan(build, workdir, truth_dir, raw_dir):
    """begin, [(header, pixels)] and end of a simulated scan, as tomolive-sim sends them natively."""
    endpoint = "ipc://" + os.path.join(workdir, "sim")
    context = zmq.Context.instance()
    pull = context.socket(zmq.PULL)
    pull.connect(endpoint)
    sim = subprocess.Popen(sim_command(build, endpoint, SCAN_ID, "--write-truth", truth_dir, "--write-raw", raw_dir,
                                       "--raw-row", str(ROWS // 2)))
    begin, frames, end = None, [], None
    while end is None:
        if not pull.poll(60000):
            sim.kill()
            fail("tomolive-sim sent nothing for 60 s")
        parts = pull.recv_multipart()
        header = msgpack.unpackb(parts[0])
        if header["type"] == "begin":
            begin = header
        elif header["type"] == "end":
            end = header
        else:
            frames.append((header, np.frombuffer(parts[1], dtype="<u2").reshape(ROWS, COLS)))
    if sim.wait(timeout=60) != 0:
        fail("tomolive-sim failed")
    pull.close(linger=0)
    kinds = [header["type"] for header, _ in frames]
    if kinds != ["dark"] * DARKS + ["flat"] * FLATS + ["projection"] * PROJECTIONS:
        fail("unexpected frame order from tomolive-sim: %r" % kinds[:12])
    return begin, frames


# --- independent encoders ---

def bslz4(pixels):
    """The bitshuffle HDF5 filter's framing: uint64 BE total bytes, uint32 BE block bytes, bitshuffle's blocks."""
    flat = np.ascontiguousarray(pixels).reshape(-1)
    block = max(8192 // flat.itemsize // 8 * 8, 128)
    return struct.pack(">QI", flat.nbytes, block * flat.itemsize) + bitshuffle.compress_lz4(flat, block).tobytes()


def lz4_hdf5(data, block_bytes=8192):
    """The HDF5 LZ4 filter's framing; a block LZ4 cannot shrink is stored raw."""
    data = bytes(data)
    out = struct.pack(">QI", len(data), block_bytes)
    for start in range(0, len(data), block_bytes):
        chunk = data[start:start + block_bytes]
        packed = lz4.block.compress(chunk, store_size=False)
        out += struct.pack(">I", min(len(packed), len(chunk))) + (packed if len(packed) < len(chunk) else chunk)
    return out


def cbor(message):
    return cbor2.dumps(cbor2.CBORTag(SELF_DESCRIBE, message))


def v2_start(series_id, images, user_data=None, omega=None, rows=ROWS, cols=COLS, pixel_mask=None):
    start = {"type": "start", "series_id": series_id, "series_unique_id": "", "number_of_images": images,
             "image_size_x": cols, "image_size_y": rows, "image_dtype": "uint16", "arm_date": "2026-12-07"}
    if user_data is not None:
        start["user_data"] = user_data
    if pixel_mask is not None:  # [rows, cols], non-zero = defective
        typed = cbor2.CBORTag(UINT32_LE, pixel_mask.astype("<u4").tobytes())
        start["pixel_mask"] = {"threshold_1": cbor2.CBORTag(MULTI_DIM, [list(pixel_mask.shape), typed])}
    if omega is not None:
        start["goniometer"] = {"omega": {"start": omega[0], "increment": omega[1]}}
    return [cbor(start)]


def v2_array(pixels, compression):
    raw = pixels.astype("<u2").tobytes()
    if compression == "bslz4":
        payload = cbor2.CBORTag(DECTRIS_COMPRESSION, ["bslz4", 2, bslz4(pixels.astype("<u2"))])
    else:
        payload = cbor2.CBORTag(DECTRIS_COMPRESSION, ["lz4", 0, lz4_hdf5(raw)])
    return cbor2.CBORTag(MULTI_DIM, [list(pixels.shape), cbor2.CBORTag(UINT16_LE, payload)])


def v2_image(series_id, image_id, pixels, compression, two_thresholds=False):
    """One channel, threshold_1; or two (an EIGER2 counting with two thresholds): threshold_1 holds other counts (a
    third of them) and threshold_2 the image."""
    data = {"threshold_1": v2_array(pixels, compression)}
    if two_thresholds:
        data = {"threshold_1": v2_array(pixels // 3, compression), "threshold_2": v2_array(pixels, compression)}
    return [cbor({"type": "image", "series_id": series_id, "series_unique_id": "", "image_id": image_id,
                  "data": data})]


def v2_end(series_id):
    return [cbor({"type": "end", "series_id": series_id, "series_unique_id": ""})]


def layout_plan(step_deg):
    return {"layout": ["dark", "flat", "projection"], "n_darks": DARKS, "n_flats": FLATS,
            "n_projections": PROJECTIONS, "angle_range_deg": step_deg * PROJECTIONS}


def js(value):
    return json.dumps(value).encode()


# --- the formats: lists of multipart messages ---

def dectris2_layout(frames, step_deg, compression, series_id=1, user_data=True, two_thresholds=False):
    first = DARKS + FLATS  # the image id of projection 0: omega puts it at 0 degrees
    messages = [v2_start(series_id, len(frames), layout_plan(step_deg) if user_data else None,
                         omega=(-first * step_deg, step_deg) if user_data else None)]
    messages += [v2_image(series_id, i, pixels, compression, two_thresholds) for i, (_, pixels) in enumerate(frames)]
    return messages + [v2_end(series_id)]


def dectris2_three_series(frames, step_deg):
    messages = []
    for series_id, kind in ((11, "dark"), (12, "flat"), (13, "projection")):
        own = [pixels for header, pixels in frames if header["type"] == kind]
        plan = {"image_key": kind, "scan_unique_id": str(SCAN_ID), "n_darks": DARKS, "n_flats": FLATS,
                "n_projections": PROJECTIONS, "angle_range_deg": step_deg * PROJECTIONS}
        messages.append(v2_start(series_id, len(own), plan))
        messages += [v2_image(series_id, i, pixels, "lz4") for i, pixels in enumerate(own)]
        messages.append(v2_end(series_id))
    return messages


def dectris1(frames, step_deg):
    config = {"nimages": len(frames), "ntrigger": 1, "x_pixels_in_detector": COLS, "y_pixels_in_detector": ROWS,
              "bit_depth_image": 16, "count_time": 0.001, "description": "Dectris EIGER2 Si 500K"}
    messages = [[js({"htype": "dheader-1.0", "series": 21, "header_detail": "basic"}), js(config),
                 js(layout_plan(step_deg))]]
    for i, (_, pixels) in enumerate(frames):
        messages.append([js({"htype": "dimage-1.0", "series": 21, "frame": i, "hash": ""}),
                         js({"htype": "dimage_d-1.0", "shape": [COLS, ROWS], "type": "uint16", "encoding": "<",
                             "size": pixels.nbytes}),
                         pixels.astype("<u2").tobytes(),
                         js({"htype": "dconfig-1.0", "start_time": i, "stop_time": i + 1, "real_time": 1})])
    return messages + [[js({"htype": "dseries_end-1.0", "series": 21})]]


def array_1_0(frames, step_deg):
    messages = []
    for i, (_, pixels) in enumerate(frames):
        header = {"htype": "array-1.0", "shape": [ROWS, COLS], "type": "uint16", "frame": i}
        if i == 0:
            header.update(layout_plan(step_deg))  # an implicit series takes its plan from its first image
        messages.append([js(header), pixels.astype("<u2").tobytes()])
    return messages


# --- the daemon ---

class Daemon:
    def __init__(self, build, workdir, detector, extra=()):
        self.slices = "ipc://" + os.path.join(workdir, "slices")
        self.events = "ipc://" + os.path.join(workdir, "events")
        self.control = "ipc://" + os.path.join(workdir, "control")
        self.process = subprocess.Popen([
            os.path.join(build, "daemon", "tomolived"), "--no-config", "--engine", "cpu", "--data-connect", detector,
            "--slices", self.slices, "--events", self.events, "--control", self.control, "--http", "off",
            "--status-interval", "0", *extra])
        self.context = zmq.Context.instance()
        self.sub = self.context.socket(zmq.SUB)
        self.sub.setsockopt(zmq.SUBSCRIBE, b"event")
        self.sub.connect(self.events)
        self.req = None
        deadline = time.time() + 20
        while self.status(timeout_ms=500) is None:
            if time.time() > deadline or self.process.poll() is not None:
                self.process.kill()
                fail("tomolived did not answer get_status within 20 s")
        time.sleep(0.2)  # let the subscription reach the PUB socket
        self.errors = []

    def request(self, request, timeout_ms=30000):
        if self.req is None:
            self.req = self.context.socket(zmq.REQ)
            self.req.setsockopt(zmq.LINGER, 0)
            self.req.connect(self.control)
        self.req.send(msgpack.packb(dict(v=1, **request)))
        if not self.req.poll(timeout_ms):
            self.req.close(linger=0)
            self.req = None
            return None
        return self.req.recv_multipart()

    def status(self, timeout_ms=30000):
        parts = self.request({"type": "get_status"}, timeout_ms)
        return None if parts is None else msgpack.unpackb(parts[0])["result"]

    def command(self, request):
        parts = self.request(request)
        if parts is None:
            fail("no reply to %r" % request)
        reply = msgpack.unpackb(parts[0])
        if not reply.get("ok"):
            fail("%r refused: %r" % (request, reply.get("error")))
        return reply, parts[1:]

    def xy_slice(self):
        reply, parts = self.command({"type": "get_slice", "slice": "xy"})
        rows, cols = reply["result"]["shape"]
        return reply["result"], np.frombuffer(parts[0], dtype="<f4").reshape(rows, cols).copy()

    def wait_event(self, kind, scan_id=None, timeout_s=120):
        """The next event of `kind` (for `scan_id`); error events met on the way are kept in self.errors."""
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            if not self.sub.poll(1000):
                continue
            event = msgpack.unpackb(self.sub.recv_multipart()[1])
            if event.get("kind") == "error":
                self.errors.append(event)
            if event.get("kind") == kind and (scan_id is None or event.get("scan_id") == scan_id):
                return event
        fail("no %s event%s within %d s" % (kind, "" if scan_id is None else " for scan %d" % scan_id, timeout_s))

    def wait_status(self, predicate, what, timeout_s=60):
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            status = self.status()
            if status is not None and predicate(status):
                return status
            time.sleep(0.05)
        fail("timed out waiting for %s; status: %r" % (what, self.status()))

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        if self.process.poll() is None:  # a failed check left it running
            self.process.kill()

    def finish(self):
        """Fails on any error event the daemon sent, then shuts it down."""
        if self.errors:
            fail("unexpected error events: %r" % self.errors)
        self.shut_down()

    def shut_down(self):
        if self.req is not None:
            self.req.close(linger=0)
        self.sub.close(linger=0)
        self.process.send_signal(2)
        try:
            if self.process.wait(timeout=30) != 0:
                fail("tomolived exited with %d" % self.process.returncode)
        except subprocess.TimeoutExpired:
            self.process.kill()
            fail("tomolived did not exit within 30 s of SIGINT")


class Detector:
    """The detector's side: a PUSH socket it binds, as DECTRIS and PSI detectors do."""

    def __init__(self, endpoint, curve_secret=None):
        self.socket = zmq.Context.instance().socket(zmq.PUSH)
        self.socket.setsockopt(zmq.LINGER, -1)
        if curve_secret is not None:
            self.socket.setsockopt(zmq.CURVE_SERVER, 1)
            self.socket.setsockopt(zmq.CURVE_SECRETKEY, curve_secret)
        self.socket.bind(endpoint)

    def send(self, messages):
        for parts in messages:
            self.socket.send_multipart(parts)


def counter(status, name):
    return dict(status["counters"]).get(name, 0)


def rejections(status):
    return dict(status["rejected_by_reason"])


def expect_rejection(daemon, code, contains):
    event = daemon.wait_event("error")
    message = event.get("error", {}).get("message", "")
    if event["error"]["code"] != code or contains not in message:
        fail("expected a %s rejection naming %r, got %r" % (code, contains, event["error"]))
    print("refused as expected (%s): %s" % (code, message))


def send_bad_input(daemon, detector, frames):
    """Bad sequences before the good scan; each refused with its reason and counted."""
    pixels = frames[0][1]
    detector.send([v2_image(90, 0, pixels, "bslz4")])
    expect_rejection(daemon, "no_active_scan", "without its series' start")
    detector.send([v2_end(91)])
    expect_rejection(daemon, "no_active_scan", "end of series 91")
    # A series whose first image differs from its start's shape and whose second has a compressed size that lies.
    small_plan = {"layout": ["dark", "flat", "projection"], "n_projections": 2}
    detector.send([v2_start(92, 2, small_plan), v2_image(92, 0, pixels[:-1], "bslz4")])
    expect_rejection(daemon, "shape_mismatch", "image 0 of series 92")
    lying = cbor2.loads(v2_image(92, 1, pixels, "bslz4")[0])  # the self-describe tag is dropped
    compressed = lying["data"]["threshold_1"].value[1].value.value
    compressed[2] = compressed[2][:-7]
    detector.send([[cbor(lying)], v2_end(92)])
    expect_rejection(daemon, "size_mismatch", "")
    # A plan whose counts disagree with the series.
    detector.send([v2_start(93, 5, small_plan), v2_image(93, 0, pixels, "bslz4"), v2_end(93)])
    expect_rejection(daemon, "invalid_geometry", "announces 5 images")
    expect_rejection(daemon, "no_active_scan", "refused series")
    status = daemon.status()
    reasons = rejections(status)
    for code in ("no_active_scan", "shape_mismatch", "size_mismatch", "invalid_geometry"):
        if reasons.get(code, 0) == 0:
            fail("no %s counted: %r" % (code, reasons))
    if status["data_sockets"][0]["rejected"] < 6:
        fail("the data socket counted %d rejections" % status["data_sockets"][0]["rejected"])
    return status


def check_q1(daemon, truth_dir, raw_dir, scan_id):
    header, ours = daemon.xy_slice()
    if header["scan_id"] != scan_id or header["projections_included"] != PROJECTIONS:
        fail("the final slice is not the complete scan %d: %r" % (scan_id, header))
    truth = np.load(os.path.join(truth_dir, "xy.npy"))
    mask = object_mask(truth)
    reference = iradon_of_raw(raw_dir)
    ours_rmse = relative_rmse(ours, truth, mask)
    iradon_rmse = relative_rmse(reference, truth, mask)
    agreement = float(np.corrcoef(ours[mask], reference[mask])[0, 1])
    print("Q1 relative RMSE inside the object: tomolive %.5f, iradon %.5f (correlation %.5f)"
          % (ours_rmse, iradon_rmse, agreement))
    if agreement < 0.99:
        fail("tomolive and iradon disagree (orientation or scale): correlation %.4f" % agreement)
    if ours_rmse > iradon_rmse * 1.01:
        fail("Q1: tomolive's RMSE %.4f is worse than iradon's %.4f" % (ours_rmse, iradon_rmse))


def check_ignored_keys(mode, status, images):
    """The keys this version does not read are ignored, not refused: counted (unknown_keys_ignored), and the first
    names of the newest series listed on the socket (PROTOCOL.md 16.8)."""
    expected = {
        # Each of the three Stream V2 starts carries arm_date; the newest series lists it.
        "dectris2-lz4": (["arm_date"], 3),
        # The V1 config's count_time and description once; each image's hash, and its dconfig's stop and real time.
        "dectris1": (["config.count_time", "config.description", "hash", "real_time", "stop_time"], 2 + 3 * images),
    }.get(mode)
    if expected is None:
        return
    names, count = expected
    socket = status["data_sockets"][0]
    print("ignored keys: %r, unknown_keys_ignored %d" % (socket["ignored_keys"], counter(status, "unknown_keys_ignored")))
    if socket["ignored_keys"] != names or counter(status, "unknown_keys_ignored") != count:
        fail("expected the ignored keys %r counted %d times, got %r and %d" % (
            names, count, socket["ignored_keys"], counter(status, "unknown_keys_ignored")))


def curve_keys(build, workdir):
    """The detector's and the daemon's certificates as pyzmq's zmq.auth.create_certificates writes them (ZPL); the
    detector's secret key and the daemon's options: its secret certificate and the detector's public one. First,
    tomolived refuses the daemon's public certificate as its secret key, naming the file."""
    keys = os.path.join(workdir, "certificates")
    os.makedirs(keys)
    daemon_public_file, daemon_secret_file = zmq.auth.create_certificates(keys, "daemon")
    detector_public_file, detector_secret_file = zmq.auth.create_certificates(keys, "detector")
    refused = subprocess.run([
        os.path.join(build, "daemon", "tomolived"), "--no-config", "--engine", "cpu", "--http", "off",
        "--data-connect", "ipc://" + os.path.join(workdir, "nowhere"), "--data-curve-secret-key", daemon_public_file,
        "--data-curve-server-key", detector_public_file], capture_output=True, text=True, timeout=60)
    said = refused.stdout + refused.stderr  # the log's line, wherever the log goes
    if refused.returncode == 0 or daemon_public_file + ": a public certificate" not in said:
        fail("tomolived took a public certificate as its secret key: exit %d, %r" % (refused.returncode, said))
    print("refused as expected: %s" % said.strip().splitlines()[-1])
    _, detector_secret = zmq.auth.load_certificate(detector_secret_file)
    return detector_secret, ["--data-curve-secret-key", daemon_secret_file, "--data-curve-server-key",
                             detector_public_file]


def refuse_impostor(daemon, endpoint, curve_secret):
    """A detector with another key pair than --data-curve-server-key is bound at the endpoint first: its handshakes
    with the daemon fail, so no message of it can get in, and the daemon counts them (on the socket and in zmq_handshake_failures). Then
    the impostor leaves and the right detector binds; returns it."""
    _, impostor_secret = zmq.curve_keypair()
    impostor = Detector(endpoint, impostor_secret)
    impostor.socket.setsockopt(zmq.LINGER, 0)
    status = daemon.wait_status(lambda s: counter(s, "zmq_handshake_failures") >= 1, "a failed handshake")
    socket = status["data_sockets"][0]
    if socket["handshake_failures"] < 1 or socket["messages"] != 0:
        fail("the impostor's handshake is not counted, or its message got in: %r" % socket)
    print("impostor refused: %d failed handshakes" % counter(status, "zmq_handshake_failures"))
    impostor.socket.close()
    return Detector(endpoint, curve_secret)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    parser.add_argument("--mode", required=True,
                        choices=["dectris2-bslz4", "dectris2-lz4", "dectris2-channel", "dectris1", "array", "bare", "curve",
                                 "sim", "sim-streams", "bare-series", "round-robin"])
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="tomolive-e2e-detector-")
    if args.mode == "sim":
        return run_sim(args.build, workdir)
    if args.mode == "sim-streams":
        return run_sim_streams(args.build, workdir)
    if args.mode == "bare-series":
        return run_bare_series(args.build, workdir)
    if args.mode == "round-robin":
        return run_round_robin(args.build, workdir)
    truth_dir, raw_dir = os.path.join(workdir, "truth"), os.path.join(workdir, "raw")
    begin, frames = capture_native_scan(args.build, workdir, truth_dir, raw_dir)
    step_deg = begin["angle_step_deg"]

    endpoint = "ipc://" + os.path.join(workdir, "detector")
    curve_secret, extra = (curve_keys(args.build, workdir) if args.mode == "curve" else (None, []))
    if args.mode == "dectris2-channel":
        extra = ["--dectris-channel", "threshold_2"]
    detector = Detector(endpoint, None) if args.mode != "curve" else None
    with Daemon(args.build, workdir, endpoint, extra) as daemon:
        if args.mode == "curve":
            detector = refuse_impostor(daemon, endpoint, curve_secret)
        scan_id = run(args.mode, daemon, detector, frames, step_deg)
        daemon.wait_event("scan_ended", scan_id)
        check_q1(daemon, truth_dir, raw_dir, scan_id)
        status = daemon.status()
        socket = status["data_sockets"][0]
        print("data socket: %r" % socket)
        expected_format = {"dectris1": "dectris1", "array": "array"}.get(args.mode, "dectris2")
        if not socket["connected"] or socket["format"] != expected_format or socket["format_option"] != "auto":
            fail("the status does not show a connected %s socket: %r" % (expected_format, socket))
        if socket["frames"] != len(frames) or socket["curve"] != (args.mode == "curve"):
            fail("the data socket reports %d frames (expected %d), curve %r" % (socket["frames"], len(frames),
                                                                                 socket["curve"]))
        if (socket["handshake_failures"] != 0) != (args.mode == "curve"):
            fail("the data socket counts %d failed handshakes" % socket["handshake_failures"])
        if counter(status, "zmq_handshake_failures") != socket["handshake_failures"]:
            fail("zmq_handshake_failures %d is not the socket's %d" % (counter(status, "zmq_handshake_failures"),
                                                                      socket["handshake_failures"]))
        if expected_format == "dectris2":
            two = args.mode == "dectris2-channel"
            channels = ["threshold_1", "threshold_2"] if two else ["threshold_1"]
            channel = "threshold_2" if two else "threshold_1"
            if socket["dectris_channel"] != channel or socket["dectris_channels"] != channels:
                fail("the status shows channel %r of %r, expected %s of %s" % (
                    socket["dectris_channel"], socket["dectris_channels"], channel, channels))
        check_ignored_keys(args.mode, status, len(frames))
        unexpected = [e for e in daemon.errors if args.mode not in ("dectris2-bslz4", "dectris2-channel")]
        if unexpected:
            fail("unexpected error events: %r" % unexpected)
        detector.socket.close()
        daemon.shut_down()


def run_sim(build, workdir):
    """tomolive-sim plays the detector in each format; every scan must reconstruct as the native path does."""
    endpoint = "ipc://" + os.path.join(workdir, "detector")
    with Daemon(build, workdir, endpoint) as daemon:
        variants = [["--format", "dectris2", "--three-series"], ["--format", "dectris1", "--compression", "bslz4"],
                    ["--format", "array", "--compression", "bslz4"]]
        for scan_id, variant in enumerate(variants, start=61):
            truth_dir, raw_dir = os.path.join(workdir, "truth%d" % scan_id), os.path.join(workdir, "raw%d" % scan_id)
            print("tomolive-sim %s" % " ".join(variant))
            subprocess.run(sim_command(build, endpoint, scan_id, "--write-truth", truth_dir, "--write-raw", raw_dir,
                                       "--raw-row", str(ROWS // 2), *variant), check=True, timeout=300)
            daemon.wait_event("scan_ended", scan_id)
            check_q1(daemon, truth_dir, raw_dir, scan_id)
        daemon.finish()


def send_two_streams(build, daemon, endpoints, scan_id, extra):
    """Two tomolive-sim processes, one per PUSH socket of a Stream V2 detector: stream 0 (darks, flats, even
    projections) first, stream 1 (odd projections) once the daemon has the flats (PROTOCOL.md: the darks and flats
    precede every projection, and ZeroMQ orders messages per connection only)."""
    def sim(index):
        return subprocess.Popen(sim_command(build, endpoints[index], scan_id, "--format", "dectris2", "--streams", "2",
                                            "--stream-index", str(index), *extra))
    senders = [sim(0)]
    daemon.wait_status(lambda s: (s.get("scan") or {}).get("scan_id") == scan_id and
                       s["scan"]["flats_received"] == FLATS, "the flats of scan %d" % scan_id, timeout_s=120)
    senders.append(sim(1))
    for sender in senders:
        if sender.wait(timeout=300) != 0:
            fail("tomolive-sim exited with %d" % sender.returncode)
    daemon.wait_event("scan_ended", scan_id)


def check_sim_refuses(build, options, reason):
    """tomolive-sim refuses `options` before sending anything, exit status 1, naming `reason`."""
    done = subprocess.run([os.path.join(build, "tools", "sim", "tomolive-sim"), "--bind", "tcp://127.0.0.1:0",
                           *options], capture_output=True, text=True, timeout=60)
    if done.returncode != 1 or reason not in done.stderr:
        fail("tomolive-sim %s: exit %d, %r (expected 1 and %r)" % (" ".join(options), done.returncode, done.stderr,
                                                                   reason))


def run_sim_streams(build, workdir):
    """tomolive-sim as a detector with two PUSH sockets; the daemon connects to both and takes one scan from them."""
    check_sim_refuses(build, ["--format", "dectris2", "--turns", "2"], "no sliding window")
    check_sim_refuses(build, ["--format", "dectris2", "--streams", "2", "--three-series"], "not --three-series")
    check_sim_refuses(build, ["--format", "dectris1", "--prerender", "4"], "need dectris2")
    truth_dir, raw_dir = os.path.join(workdir, "truth"), os.path.join(workdir, "raw")
    capture_native_scan(build, workdir, truth_dir, raw_dir)  # the same scan's truth and raw rows, for Q1
    endpoints = ["ipc://" + os.path.join(workdir, "detector%d" % i) for i in range(2)]
    with Daemon(build, workdir, endpoints[0], ["--data-connect", endpoints[1]]) as daemon:
        send_two_streams(build, daemon, endpoints, SCAN_ID, ["--compression", "lz4"])
        check_q1(daemon, truth_dir, raw_dir, SCAN_ID)
        prerendered_id = SCAN_ID + 1
        send_two_streams(build, daemon, endpoints, prerendered_id, ["--compression", "bslz4", "--prerender", "4"])
        header, _ = daemon.xy_slice()
        status = daemon.status()
        c = status["counters"]
        print("counters: %r" % {k: c[k] for k in ("projections_reconstructed", "projections_missing", "rejected",
                                                  "scans_ended")})
        print("data sockets: %r" % status["data_sockets"])
        if header["scan_id"] != prerendered_id or header["projections_included"] != PROJECTIONS:
            fail("the prerendered scan's final slice is not complete: %r" % header)
        if (c["projections_reconstructed"] != 2 * PROJECTIONS or c["projections_missing"] != 0 or c["rejected"] != 0
                or c["scans_ended"] != 2 or counter(status, "queue_dropped") != 0):
            fail("frames were lost or refused over two sockets: %r" % c)
        sockets = status["data_sockets"]
        frames = [socket["frames"] for socket in sockets]
        # Per scan: stream 0 the darks, the flats and the even projections; stream 1 the odd ones.
        expected = [2 * (DARKS + FLATS + (PROJECTIONS + 1) // 2), 2 * (PROJECTIONS // 2)]
        if frames != expected or any(socket["format"] != "dectris2" for socket in sockets):
            fail("the data sockets report frames %r (expected %r): %r" % (frames, expected, sockets))
        daemon.finish()


def run_bare_series(build, workdir):
    """A bare DECTRIS detector (no user_data) sending its darks, flats and projections as three series, and one
    set_scan_plan in the per-series form for them."""
    truth_dir, raw_dir = os.path.join(workdir, "truth"), os.path.join(workdir, "raw")
    begin, _ = capture_native_scan(build, workdir, truth_dir, raw_dir)  # the scan's truth, raw rows and angle step
    endpoint = "ipc://" + os.path.join(workdir, "detector")
    with Daemon(build, workdir, endpoint) as daemon:
        plan = {"type": "set_scan_plan", "image_key": "dark", "n_darks": DARKS, "n_flats": FLATS,
                "n_projections": PROJECTIONS, "angle_range_deg": begin["angle_step_deg"] * PROJECTIONS}
        misspelt = msgpack.unpackb(daemon.request(dict(plan, n_flat=FLATS))[0])
        error = misspelt.get("error") or {}
        if misspelt.get("ok") or error.get("code") != "invalid_argument" or '"n_flat"' not in error.get("message", ""):
            fail("set_scan_plan with an unknown key was not refused by name: %r" % misspelt)
        print("refused as expected: %s" % error["message"])
        daemon.command(plan)
        subprocess.run(sim_command(build, endpoint, SCAN_ID, "--format", "dectris2", "--compression", "lz4",
                                   "--three-series", "--bare"), check=True, timeout=300)
        daemon.wait_event("scan_ended", SCAN_ID)
        check_q1(daemon, truth_dir, raw_dir, SCAN_ID)
        status = daemon.status()
        c = status["counters"]
        print("counters: %r" % {k: c[k] for k in ("scans_begun", "scans_ended", "series_held", "rejected",
                                                  "projections_reconstructed")})
        if (c["scans_begun"] != 1 or c["scans_ended"] != 1 or c["series_held"] != 0 or c["rejected"] != 0
                or c["projections_reconstructed"] != PROJECTIONS):
            fail("the three bare series did not make one complete scan: %r" % c)
        if status["data_sockets"][0]["frames"] != DARKS + FLATS + PROJECTIONS:
            fail("the data socket handed on %d frames" % status["data_sockets"][0]["frames"])
        daemon.finish()


def run_round_robin(build, workdir):
    """One series dealt over two sockets, image k to socket k mod 2: socket 1's first projection arrives before
    socket 0's darks and flats (the daemon is seen holding it), and the scan still reconstructs completely."""
    truth_dir, raw_dir = os.path.join(workdir, "truth"), os.path.join(workdir, "raw")
    begin, frames = capture_native_scan(build, workdir, truth_dir, raw_dir)
    step_deg = begin["angle_step_deg"]
    series_id = 71
    first = DARKS + FLATS  # the image id of projection 0: omega puts it at 0 degrees
    start = v2_start(series_id, len(frames), layout_plan(step_deg), omega=(-first * step_deg, step_deg))
    images = [v2_image(series_id, i, pixels, "lz4") for i, (_, pixels) in enumerate(frames)]
    endpoints = ["ipc://" + os.path.join(workdir, "detector%d" % i) for i in range(2)]
    sockets = [Detector(endpoint) for endpoint in endpoints]
    with Daemon(build, workdir, endpoints[0], ["--data-connect", endpoints[1]]) as daemon:
        first_odd_projection = first + 1 if first % 2 == 0 else first
        sockets[1].send([start] + images[1:first_odd_projection + 1:2])
        daemon.wait_status(lambda s: counter(s, "projections_awaited_references") >= 1,
                           "socket 1's first projection to be held for the darks and flats")
        sockets[0].send([start] + images[0::2] + [v2_end(series_id)])
        sockets[1].send(images[first_odd_projection + 2::2] + [v2_end(series_id)])
        daemon.wait_event("scan_ended", series_id)
        check_q1(daemon, truth_dir, raw_dir, series_id)
        status = daemon.status()
        c = status["counters"]
        print("counters: %r" % {k: c[k] for k in ("projections_awaited_references", "projections_reconstructed",
                                                  "darks_accepted", "flats_accepted", "rejected")})
        if (c["rejected"] != 0 or c["projections_reconstructed"] != PROJECTIONS or c["darks_accepted"] != DARKS
                or c["flats_accepted"] != FLATS or c["projections_missing"] != 0):
            fail("frames were refused or lost over two round-robin sockets: %r" % c)
        frames_per_socket = [socket["frames"] for socket in status["data_sockets"]]
        if frames_per_socket != [(len(frames) + 1) // 2, len(frames) // 2]:
            fail("the data sockets handed on %r frames" % frames_per_socket)
        for socket in sockets:
            socket.socket.close()
        daemon.finish()


def run(mode, daemon, detector, frames, step_deg):
    """Sends the scan in `mode`; returns the scan id the daemon gives it."""
    if mode == "dectris2-bslz4":
        send_bad_input(daemon, detector, frames)
        detector.send(dectris2_layout(frames, step_deg, "bslz4", series_id=SCAN_ID))
        return SCAN_ID
    if mode == "dectris2-lz4":
        detector.send(dectris2_three_series(frames, step_deg))
        return SCAN_ID
    if mode == "dectris2-channel":
        detector.send([v2_image(94, 0, frames[0][1], "bslz4")])  # threshold_1 only
        expect_rejection(daemon, "missing_field", 'no channel "threshold_2"')
        status = daemon.status()
        if rejections(status).get("missing_field") != 1 or status["data_sockets"][0]["rejected"] != 1:
            fail("the image without the channel is not counted: %r" % rejections(status))
        detector.send(dectris2_layout(frames, step_deg, "bslz4", series_id=51, two_thresholds=True))
        return 51
    if mode == "dectris1":
        detector.send(dectris1(frames, step_deg))
        return 21
    if mode == "array":
        detector.send(array_1_0(frames, step_deg))
        return 0
    if mode == "curve":
        detector.send(dectris2_layout(frames, step_deg, "bslz4", series_id=31))
        return 31
    # bare: no user_data; the series waits for set_scan_plan.
    detector.send(dectris2_layout(frames, step_deg, "bslz4", series_id=41, user_data=False))
    daemon.wait_status(lambda s: s["data_sockets"][0]["images_held"] > 0, "the series to be held")
    held = daemon.status()
    if counter(held, "series_held") != 1 or counter(held, "scans_begun") != 0:
        fail("a bare series is not held: %r" % held["counters"])
    daemon.command({"type": "set_scan_plan", "n_darks": DARKS, "n_flats": FLATS, "n_projections": PROJECTIONS,
                    "angle_range_deg": step_deg * PROJECTIONS})
    return 41


if __name__ == "__main__":
    main()
