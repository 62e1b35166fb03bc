#!/usr/bin/python3
"""tomolive-replay reads the standard layouts (PROTOCOL.md 18.2), checked on the wire: files written here with h5py
in the layouts other software writes are replayed into a PULL socket, and what arrives must be what the file holds.

  1. NXtomo as the application definition has it: rotation_angle only at /entry/sample/rotation_angle, in radians
     (units "rad"), x_pixel_size in metres, and closing flats after the projections: the begin counts every frame,
     the angles arrive in degrees, the pixel size in micrometres, every dark and flat before the first projection
     (each group in the file's order) and every payload equals the file's frame;
  2. NXtomo whose angles are only reached through /entry/data/rotation_angle (no units: degrees);
  3. DXchange without /exchange/theta: n angles evenly from 0 to 180 degrees, both ends included (dxchange's
     np.linspace(0, 180, n)), and a note on stderr;
  4. DXchange with theta in radians (units "radians");
  5. an angle dataset in unknown units is refused (exit 1, the message names the path and the units).
"""
import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading

import h5py
import msgpack
import numpy as np
import zmq

ROWS, COLS = 4, 6


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def free_tcp_endpoint():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return "tcp://127.0.0.1:%d" % s.getsockname()[1]


def replay(binary, path):
    """Runs tomolive-replay on `path` into a PULL socket; returns (exit status, stderr, [(header, payload)])."""
    endpoint = free_tcp_endpoint()
    context = zmq.Context()
    pull = context.socket(zmq.PULL)
    pull.bind(endpoint)
    received = []

    def receive():
        while pull.poll(30000):
            parts = pull.recv_multipart()
            header = msgpack.unpackb(parts[0])
            received.append((header, parts[1] if len(parts) > 1 else None))
            if header["type"] == "end":
                return

    receiver = threading.Thread(target=receive)
    receiver.start()
    run = subprocess.run([binary, path, "--connect", endpoint, "--rate", "0", "--quiet"], capture_output=True,
                         text=True, timeout=60)
    if run.returncode != 0:  # nothing (more) will come: wake the receiver with an end of our own
        push = context.socket(zmq.PUSH)
        push.connect(endpoint)
        push.send(msgpack.packb({"type": "end"}))
        push.close()
    receiver.join()
    pull.close()
    context.term()
    return run.returncode, run.stderr, received


def frames(rng, count):
    return rng.integers(0, 60000, (count, ROWS, COLS), dtype="<u2")


def check_stream(what, received, begin_expected, frames_expected):
    """`frames_expected`: [(type, frame_id, angle_deg or None, pixels)] in the order they must arrive."""
    if not received or received[0][0]["type"] != "begin" or received[-1][0]["type"] != "end":
        fail("%s: expected begin ... end, got %r" % (what, [h["type"] for h, _ in received]))
    begin = received[0][0]
    for key, value in begin_expected.items():
        got = begin.get(key)
        same = np.allclose(got, value, rtol=1e-9, atol=1e-9) if isinstance(value, (float, list)) else got == value
        if not same:
            fail("%s: begin %s is %r, expected %r" % (what, key, got, value))
    sent = received[1:-1]
    if len(sent) != len(frames_expected):
        fail("%s: %d frames sent, the file holds %d" % (what, len(sent), len(frames_expected)))
    for k, ((header, payload), (kind, frame_id, angle, pixels)) in enumerate(zip(sent, frames_expected)):
        if header["type"] != kind or header["frame_id"] != frame_id:
            fail("%s: frame %d is %s %d, expected %s %d (order: %r)" % (
                what, k, header["type"], header["frame_id"], kind, frame_id,
                [(h["type"], h["frame_id"]) for h, _ in sent]))
        if angle is not None and not np.isclose(header.get("angle_deg"), angle, rtol=1e-12, atol=1e-9):
            fail("%s: %s %d angle %r, expected %r degrees" % (what, kind, frame_id, header.get("angle_deg"), angle))
        if np.frombuffer(payload, dtype="<u2").reshape(ROWS, COLS).tolist() != pixels.tolist():
            fail("%s: %s %d pixels differ from the file's" % (what, kind, frame_id))


def nxtomo(path, keys, data, angles, angle_path, angle_units, pixel_size=None, pixel_units=None):
    with h5py.File(path, "w") as f:
        entry = f.create_group("entry")
        entry.attrs["NX_class"] = "NXentry"
        entry["definition"] = "NXtomo"
        detector = entry.create_group("instrument/detector")
        detector["data"] = data
        detector["image_key"] = np.array(keys, dtype="i1")
        if pixel_size is not None:
            detector["x_pixel_size"] = pixel_size
            detector["x_pixel_size"].attrs["units"] = pixel_units
        entry.create_group("sample")
        if angle_path == "/entry/data/rotation_angle":  # NXdata's link to a field elsewhere
            f["/entry/instrument/rotation"] = angles
            target = f["/entry/instrument/rotation"]
            f.create_group("/entry/data")
            f["/entry/data/rotation_angle"] = h5py.SoftLink("/entry/instrument/rotation")
        else:
            f[angle_path] = angles
            target = f[angle_path]
        if angle_units is not None:
            target.attrs["units"] = angle_units


def test_nxtomo_standard(binary, workdir):
    rng = np.random.default_rng(1)
    # 2 darks, 2 flats, 5 projections, 2 closing flats, and one invalid frame (key 3) that is not replayed.
    keys = [2, 2, 1, 1, 0, 0, 0, 0, 0, 3, 1, 1]
    data = frames(rng, len(keys))
    projection_deg = np.array([0.0, 36.0, 72.0, 108.0, 144.0])
    angles = np.zeros(len(keys))
    angles[4:9] = np.radians(projection_deg)
    path = os.path.join(workdir, "standard.nxs")
    nxtomo(path, keys, data, angles, "/entry/sample/rotation_angle", "rad", pixel_size=6.5e-6, pixel_units="m")
    status, stderr, received = replay(binary, path)
    if status != 0:
        fail("NXtomo standard: exit %d: %s" % (status, stderr))
    expected = [("dark", 0, None, data[0]), ("dark", 1, None, data[1]), ("flat", 0, None, data[2]),
                ("flat", 1, None, data[3]), ("flat", 2, None, data[10]), ("flat", 3, None, data[11])]
    expected += [("projection", i, projection_deg[i], data[4 + i]) for i in range(5)]
    check_stream("NXtomo standard", received,
                 {"num_darks": 2, "num_flats": 4, "num_projections": 5, "shape": [ROWS, COLS],
                  "angles_deg": list(projection_deg), "pixel_size_um": 6.5}, expected)


def test_nxtomo_data_link(binary, workdir):
    rng = np.random.default_rng(2)
    keys = [2, 1, 0, 0, 0]
    data = frames(rng, len(keys))
    angles = np.array([0.0, 0.0, 10.0, 20.0, 30.0])
    path = os.path.join(workdir, "linked.nxs")
    nxtomo(path, keys, data, angles, "/entry/data/rotation_angle", None)
    status, stderr, received = replay(binary, path)
    if status != 0:
        fail("NXtomo data link: exit %d: %s" % (status, stderr))
    expected = [("dark", 0, None, data[0]), ("flat", 0, None, data[1])]
    expected += [("projection", i, 10.0 * (i + 1), data[2 + i]) for i in range(3)]
    check_stream("NXtomo data link", received, {"num_projections": 3, "angles_deg": [10.0, 20.0, 30.0]}, expected)


def dxchange(path, projections, theta=None, theta_units=None):
    with h5py.File(path, "w") as f:
        f["/exchange/data"] = projections
        if theta is not None:
            f["/exchange/theta"] = theta
            if theta_units is not None:
                f["/exchange/theta"].attrs["units"] = theta_units


def test_dxchange_without_theta(binary, workdir):
    data = frames(np.random.default_rng(3), 5)
    path = os.path.join(workdir, "no_theta.h5")
    dxchange(path, data)
    status, stderr, received = replay(binary, path)
    if status != 0:
        fail("DXchange without theta: exit %d: %s" % (status, stderr))
    if "no /exchange/theta" not in stderr or "0 to 180 degrees" not in stderr:
        fail("DXchange without theta: no note on stderr: %r" % stderr)
    theta = np.linspace(0.0, 180.0, 5)  # dxchange's own choice
    check_stream("DXchange without theta", received, {"num_projections": 5, "angles_deg": list(theta)},
                 [("projection", i, theta[i], data[i]) for i in range(5)])


def test_dxchange_radians(binary, workdir):
    data = frames(np.random.default_rng(4), 4)
    degrees = np.array([0.0, 45.0, 90.0, 135.0])
    path = os.path.join(workdir, "radians.h5")
    dxchange(path, data, np.radians(degrees), "radians")
    status, stderr, received = replay(binary, path)
    if status != 0:
        fail("DXchange radians: exit %d: %s" % (status, stderr))
    check_stream("DXchange radians", received, {"num_projections": 4, "angles_deg": list(degrees)},
                 [("projection", i, degrees[i], data[i]) for i in range(4)])


def test_unknown_units_refused(binary, workdir):
    data = frames(np.random.default_rng(5), 2)
    path = os.path.join(workdir, "gradians.h5")
    dxchange(path, data, np.array([0.0, 100.0]), "grad")
    status, stderr, received = replay(binary, path)
    if status != 1 or '/exchange/theta: units "grad"' not in stderr:
        fail("unknown units: expected exit 1 naming them, got %d: %r" % (status, stderr))
    if any(h["type"] != "end" for h, _ in received):
        fail("unknown units: frames were sent: %r" % [h["type"] for h, _ in received])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--replay", required=True, help="tomolive-replay")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        test_nxtomo_standard(args.replay, workdir)
        test_nxtomo_data_link(args.replay, workdir)
        test_dxchange_without_theta(args.replay, workdir)
        test_dxchange_radians(args.replay, workdir)
        test_unknown_units_refused(args.replay, workdir)
    print("replay layouts test passed: NXtomo (standard place, radians, metres, closing flats, NXdata link) and "
          "DXchange (no theta, radians) replay what the files hold")


if __name__ == "__main__":
    main()
