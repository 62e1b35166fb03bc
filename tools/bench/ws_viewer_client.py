"""A minimal WebSocket client for tomolived's /ws (PROTOCOL.md 14), Python standard library only, so that it runs on
a bare GPU machine where no browser can be installed. It does what the viewer's transport does (asks for each slice
at a pane's size with `view`, reads the binary slice frames) and measures, for every slice update that includes a
newly received projection, the time from the daemon receiving that projection to the whole frame having arrived
here (both clocks are this machine's). It does not draw: the browser's decode-and-draw time is measured by the
viewer itself (tools/bench/viewer_latency.mjs).
"""
import base64
import json
import os
import select
import socket
import struct
import time


class WebSocketClient:
    def __init__(self, host, port, path="/ws", timeout_s=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout_s)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        request = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path, host, port, key))
        self.sock.sendall(request.encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("the daemon closed the connection during the WebSocket handshake")
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        if not head.startswith(b"HTTP/1.1 101"):
            raise ConnectionError("WebSocket upgrade refused: " + head.split(b"\r\n")[0].decode(errors="replace"))

    def _read_exact(self, count):
        while len(self.buffer) < count:
            chunk = self.sock.recv(max(65536, count - len(self.buffer)))
            if not chunk:
                raise ConnectionError("the daemon closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def _send_frame(self, opcode, payload):
        mask = os.urandom(4)
        header = bytes([0x80 | opcode])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        elif len(payload) < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", len(payload))
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", len(payload))
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send_json(self, message):
        self._send_frame(0x1, json.dumps(message).encode())

    def receive(self):
        """The next whole message as (is_binary, bytes); answers pings; raises ConnectionError on close."""
        parts, first_opcode = [], None
        while True:
            b0, b1 = self._read_exact(2)
            opcode, length = b0 & 0x0F, b1 & 0x7F
            if length == 126:
                length = struct.unpack(">H", self._read_exact(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self._read_exact(8))[0]
            payload = self._read_exact(length)
            if opcode == 0x8:
                raise ConnectionError("the daemon closed the WebSocket")
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode == 0xA:
                continue
            if opcode != 0x0:
                first_opcode = opcode
            parts.append(payload)
            if b0 & 0x80:
                return first_opcode == 0x2, b"".join(parts)

    def close(self):
        self.sock.close()


def slice_header(frame):
    """The JSON header of a binary slice frame (PROTOCOL.md 14.3)."""
    if frame[:4] != b"TLS1":
        raise ValueError("not a slice frame")
    length = struct.unpack("<I", frame[4:8])[0]
    return json.loads(frame[8:8 + length])


def measure_arrival_latency(host, port, pane, scan_id, stop):
    """Reads slices at `pane` x `pane` per slice until stop() is true; returns the arrival latencies in ms of every
    update of scan `scan_id` carrying a newly received projection, and the number of frames and bytes received."""
    client = WebSocketClient(host, port, timeout_s=30.0)
    for kind in ("xy", "xz", "yz"):
        client.send_json({"type": "view", "slice": kind, "max_shape": [pane, pane]})
    newest = {}
    latencies_ms, frames, received_bytes = [], 0, 0
    try:
        while not stop():
            if not client.buffer and not select.select([client.sock], [], [], 0.5)[0]:
                continue  # nothing to read: look at stop() again; never give up inside a frame
            binary, data = client.receive()
            arrived_ns = time.time_ns()
            if not binary:
                continue
            frames += 1
            received_bytes += len(data)
            header = slice_header(data)
            if header["scan_id"] != scan_id:
                continue
            received_ns = header["received_ns"]
            if received_ns > newest.get(header["slice"], 0):
                newest[header["slice"]] = received_ns
                latencies_ms.append((arrived_ns - received_ns) / 1e6)
    finally:
        client.close()
    return latencies_ms, frames, received_bytes
