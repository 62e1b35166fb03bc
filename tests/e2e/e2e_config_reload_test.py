#!/usr/bin/python3
"""End-to-end test of tomolived's configuration file (README "Configuration file"), through the real binary:

  - a bad file stops the daemon at start with exit 2 and "FILE:LINE:COLUMN: key 'x': reason" on stderr;
  - --print-config prints a TOML file that the daemon loads back, and exits 0;
  - SIGHUP re-reads the file: the publish rate and the token apply (a control request then needs the new token),
    a restart-only key is named in the log and in get_status's config map, and is not applied;
  - a bad file on SIGHUP is refused with its line, the running configuration is kept;
  - SIGTERM still shuts down cleanly (exit 0).
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

import msgpack
import zmq


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def wait_for(condition, what, timeout_s=20.0):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    fail("timed out waiting for " + what)


class Control:
    def __init__(self, endpoint):
        self.context = zmq.Context()
        self.endpoint = endpoint
        self.req = None

    def request(self, request, timeout_ms=2000):
        """The decoded reply, or None when the daemon does not answer in time (a fresh socket each time)."""
        if self.req is not None:
            self.req.close(linger=0)
        self.req = self.context.socket(zmq.REQ)
        self.req.setsockopt(zmq.LINGER, 0)
        self.req.connect(self.endpoint)
        self.req.send(msgpack.packb(dict(v=1, **request)))
        if not self.req.poll(timeout_ms):
            return None
        return msgpack.unpackb(self.req.recv_multipart()[0])

    def status(self):
        reply = self.request({"type": "get_status"})
        return reply["result"] if reply and reply.get("ok") else None

    def close(self):
        if self.req is not None:
            self.req.close(linger=0)
        self.context.term()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build", required=True)
    args = parser.parse_args()
    daemon_path = os.path.join(args.build, "daemon", "tomolived")

    with tempfile.TemporaryDirectory(prefix="tomolive-config-e2e-") as workdir:
        config = os.path.join(workdir, "tomolive.toml")
        log_path = os.path.join(workdir, "daemon.log")
        endpoints = ["--data", "ipc://" + os.path.join(workdir, "data"),
                     "--slices", "ipc://" + os.path.join(workdir, "slices"),
                     "--events", "ipc://" + os.path.join(workdir, "events"),
                     "--control", "ipc://" + os.path.join(workdir, "control"), "--http", "off"]

        # A bad value stops the daemon at start, naming the place.
        with open(config, "w") as f:
            f.write("engine = \"cpu\"\n\nqueue-capacity = 0\n")
        start = subprocess.run([daemon_path, "--config", config] + endpoints, capture_output=True, text=True,
                               timeout=60)
        if start.returncode != 2:
            fail("a bad file: exit %d, expected 2" % start.returncode)
        if not start.stderr.startswith(config + ":3:18: key 'queue-capacity': "):
            fail("a bad file: stderr %r" % start.stderr)

        # --print-config: a file that loads back to the same output (the sources then say the file).
        with open(config, "w") as f:
            f.write("engine = \"cpu\"\ncpu-threads = 1\nstatus-interval = 0\npublish-hz = 30.0\n"
                    "data-hwm = 1000\n")
        printed = subprocess.run([daemon_path, "--config", config, "--print-config", "--rings", "21"] + endpoints,
                                 capture_output=True, text=True, timeout=60)
        if printed.returncode != 0 or "data-hwm = 1000  # %s:5" % config not in printed.stdout:
            fail("--print-config: exit %d, output %r" % (printed.returncode, printed.stdout))
        saved = os.path.join(workdir, "saved.toml")
        with open(saved, "w") as f:
            f.write(printed.stdout)
        again = subprocess.run([daemon_path, "--config", saved, "--print-config"], capture_output=True, text=True,
                               timeout=60)
        strip = lambda text: [line.split("  # ")[0] for line in text.splitlines() if not line.startswith("#")]
        if again.returncode != 0 or strip(again.stdout) != strip(printed.stdout):
            fail("--print-config's output does not load back to the same configuration:\n" + again.stdout)

        with open(log_path, "w") as log:
            process = subprocess.Popen([daemon_path, "--config", config] + endpoints, stdout=log, stderr=log)
        control = Control("ipc://" + os.path.join(workdir, "control"))
        try:
            status = wait_for(control.status, "get_status")
            if status["config"]["file"] != config or status["config"]["reloads"] != 0:
                fail("config map at start: %r" % status["config"])

            with open(config, "w") as f:
                f.write("engine = \"cpu\"\ncpu-threads = 1\nstatus-interval = 0\npublish-hz = 10.0\n"
                        "data-hwm = 2000\nhttp-token = \"s3cret\"\n")
            process.send_signal(signal.SIGHUP)
            status = wait_for(lambda: (s := control.status()) and s["config"]["reloads"] == 1 and s,
                              "the reload in get_status")
            if status["config"]["restart_needed"] != "data-hwm" or status["config"]["last_error"] != "":
                fail("config map after the reload: %r" % status["config"])
            if not status["security"]["control_token"]:
                fail("the reloaded token is not in force: %r" % status["security"])
            refused = control.request({"type": "set_slices", "xy_row": 0})
            if refused is None or refused["error"]["code"] != "permission_denied":
                fail("control without the reloaded token: %r" % refused)
            with open(log_path) as f:
                log_text = f.read()
            if ("publish-hz 30.0 -> 10.0" not in log_text
                    or "needs a restart, not applied: data-hwm 1000 -> 2000" not in log_text
                    or "s3cret" in log_text):
                fail("the reload's log line:\n" + log_text)

            with open(config, "w") as f:
                f.write("publish-hz = 10.0\nhttp-token = \"other\"\npublish-rate = 3\n")
            process.send_signal(signal.SIGHUP)
            status = wait_for(lambda: (s := control.status()) and s["config"]["last_error"] and s,
                              "the refused reload in get_status")
            if not status["config"]["last_error"].startswith(config + ":3:1: key 'publish-rate': "):
                fail("refused reload: %r" % status["config"])
            if status["config"]["reloads"] != 1:
                fail("a refused reload was counted: %r" % status["config"])
            still = control.request({"type": "set_slices", "xy_row": 0, "token": "s3cret"})
            if still is None or still.get("error", {}).get("code") == "permission_denied":
                fail("the refused file's token was taken: %r" % still)

            process.send_signal(signal.SIGTERM)
            if process.wait(timeout=60) != 0:
                fail("tomolived exited %d after SIGTERM" % process.returncode)
        finally:
            control.close()
            if process.poll() is None:
                process.kill()
                process.wait()
    print("config reload e2e: ok")


if __name__ == "__main__":
    main()
