#!/usr/bin/python3
"""Streams a scan of balls with known positions to tomolived over the native protocol (PROTOCOL.md 5), as a detector
would: float32 transmission frames exp(-line integral) (no darks, no flats: the daemon takes them as normalised), the
angles spread over 180 degrees. Each ball is x y z radius mu: centre in pixels from the axis at angle 0 (x, y) and
from the detector's middle row toward row 0 (z), radius in pixels, attenuation per pixel (PROTOCOL.md 8).

usage: send_balls.py ENDPOINT SCAN_ID ROWS COLS PROJECTIONS BALL [BALL ...]   (BALL = "x,y,z,radius,mu")
"""
import sys

import msgpack
import numpy as np
import zmq


def frame(rows, cols, balls, theta):
    col = np.arange(cols)[None, :] - 0.5 * (cols - 1)
    z = 0.5 * (rows - 1) - np.arange(rows)[:, None]
    integral = np.zeros((rows, cols))
    for x, y, zc, radius, mu in balls:
        d2 = (col - (x * np.cos(theta) + y * np.sin(theta))) ** 2 + (z - zc) ** 2
        integral += 2.0 * mu * np.sqrt(np.clip(radius * radius - d2, 0.0, None))
    return np.exp(-integral).astype("<f4")


def main():
    endpoint, scan_id, rows, cols, projections = sys.argv[1], *map(int, sys.argv[2:6])
    balls = [tuple(map(float, text.split(","))) for text in sys.argv[6:]]
    context = zmq.Context()
    push = context.socket(zmq.PUSH)
    push.setsockopt(zmq.LINGER, 10000)
    push.connect(endpoint)
    step = 180.0 / projections

    def send(header, payload=None):
        parts = [msgpack.packb(dict(v=1, **header))]
        if payload is not None:
            parts.append(payload.tobytes())
        push.send_multipart(parts)

    send({"type": "begin", "scan_id": scan_id, "name": "balls", "shape": [rows, cols], "dtype": "float32",
          "num_darks": 0, "num_flats": 0, "num_projections": projections, "angle_start_deg": 0.0,
          "angle_step_deg": step})
    for k in range(projections):
        send({"type": "projection", "scan_id": scan_id, "frame_id": k, "shape": [rows, cols], "dtype": "float32"},
             frame(rows, cols, balls, np.radians(k * step)))
    send({"type": "end", "scan_id": scan_id})
    push.close()
    context.term()


if __name__ == "__main__":
    main()
