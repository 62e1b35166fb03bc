#!/usr/bin/python3
"""The programs end to end: tomolive-send streams a simulated scan and a .npy stack into a real tomolived over the
native ZeroMQ protocol (the daemon accepts every frame and ends the scans), and tomolived --rdma on a machine
without an RDMA device stops at start saying "no RDMA device found"."""
import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time

import msgpack
import numpy as np
import zmq


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status(control):
    sock = zmq.Context.instance().socket(zmq.REQ)
    sock.setsockopt(zmq.RCVTIMEO, 5000)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(control)
    sock.send(msgpack.packb({"v": 1, "type": "get_status"}))
    reply = msgpack.unpackb(sock.recv())
    sock.close()
    return reply["result"]


def wait_scan_ended(control, scan_id, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = status(control)
        scan = result.get("scan")
        if scan and scan["scan_id"] == scan_id and scan["state"] == "ended":
            return result
        time.sleep(0.2)
    raise AssertionError(f"scan {scan_id} did not end: {status(control)}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--daemon", required=True)
    parser.add_argument("--send", required=True)
    args = parser.parse_args()

    data, control = f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}"
    daemon = subprocess.Popen([args.daemon, "--data", data, "--control", control,
                               "--slices", f"tcp://127.0.0.1:{free_port()}",
                               "--events", f"tcp://127.0.0.1:{free_port()}", "--http", "off",
                               "--engine", "cpu", "--cpu-threads", "1", "--status-interval", "0"])
    try:
        subprocess.run([args.send, "--url", data, "--rows", "8", "--cols", "64", "--projections", "45",
                        "--darks", "2", "--flats", "2", "--scan-id", "1"], check=True, timeout=120)
        result = wait_scan_ended(control, 1)
        counters = dict(result["counters"])
        assert result["scan"]["projections_received"] == 45, result["scan"]
        assert counters["rejected"] == 0, result["rejected_by_reason"]

        with tempfile.TemporaryDirectory() as folder:
            projections = np.full((10, 8, 16), 900, dtype="<u2")
            flats = np.full((2, 8, 16), 1000, dtype="<u2")
            np.save(os.path.join(folder, "p.npy"), projections)
            np.save(os.path.join(folder, "f.npy"), flats)
            subprocess.run([args.send, "--url", data, "--projections-npy", os.path.join(folder, "p.npy"),
                            "--flats-npy", os.path.join(folder, "f.npy"), "--scan-id", "2", "--zero-copy"],
                           check=True, timeout=120)
        result = wait_scan_ended(control, 2)
        assert result["scan"]["projections_received"] == 10 and result["scan"]["flats_received"] == 2, result["scan"]
        assert dict(result["counters"])["rejected"] == 0, result["rejected_by_reason"]
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)

    if not os.path.isdir("/sys/class/infiniband") or not os.listdir("/sys/class/infiniband"):
        # Nothing connects to this daemon: ports the system picks at bind time ("*"), so that no other test can take
        # one between free_port() and the bind ("Address already in use" instead of the RDMA refusal).
        any_port = "tcp://127.0.0.1:*"
        run = subprocess.run([args.daemon, "--rdma", "127.0.0.1:7471", "--data", any_port, "--control", any_port,
                              "--http", "off", "--slices", any_port, "--events", any_port, "--engine", "cpu"],
                             capture_output=True, text=True, timeout=60)
        output = run.stdout + run.stderr
        assert run.returncode != 0, output
        assert "no RDMA device found" in output and "ibv_get_device_list" in output, output
    print("send_cli_test: ok")


if __name__ == "__main__":
    sys.exit(main())
