#!/usr/bin/python3
"""The Debian package (issue 17, points 1 and 3), built and run as an operator would, in a scratch root:

  1. cpack builds tomolive_VERSION_ARCH.deb from the build folder; `dpkg-deb -I` shows the package's name, its
     Depends (found by dpkg-shlibdeps: the runtime libraries, never a -dev package) and its maintainer scripts (the
     service user) and conffiles;
  2. `dpkg-deb -x` unpacks it into a scratch root: the programs, the sender library and header, the viewer's files,
     the man pages, the systemd unit and the example configuration are where they belong;
  3. the installed tomolived, started as systemd would start the unit (NOTIFY_SOCKET and WATCHDOG_USEC set; the
     installed configuration when the package has one; no --viewer-dir), says READY=1 once it serves, pings the
     watchdog, takes a short scan from the installed tomolive-sim; the installed tomolive-ctl sees the scan end with
     every projection reconstructed; the daemon serves the installed viewer's index page over HTTP (found relative
     to its binary); SIGTERM makes it say STOPPING=1 and exit with status 0;
  4. `cmake --install --prefix P` (no package): the same programs and viewer under P, the unit's ExecStart naming
     P/bin/tomolived, and tomolived's default --viewer-dir is P/share/tomolive/viewer.
"""
import argparse
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

PROJECTIONS = 24


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def run(command, **kwargs):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs)
    if result.returncode != 0:
        fail("%s exited with %d:\n%s" % (" ".join(command), result.returncode, result.stdout))
    return result.stdout


def build_package(cpack, build, out):
    run([cpack, "-G", "DEB", "--config", os.path.join(build, "CPackConfig.cmake"), "-B", out])
    debs = glob.glob(os.path.join(out, "tomolive_*.deb"))
    if len(debs) != 1:
        fail("cpack wrote %r, expected one tomolive_*.deb" % os.listdir(out))
    return debs[0]


def check_control(deb, workdir, has_config):
    fields = {}
    for line in run(["dpkg-deb", "-f", deb]).splitlines():
        if ":" in line and not line.startswith(" "):
            key, value = line.split(":", 1)
            fields[key.strip()] = value.strip()
    if fields.get("Package") != "tomolive":
        fail("package name: %r" % fields.get("Package"))
    depends = [d.strip().split(" ")[0] for d in fields.get("Depends", "").split(",") if d.strip()]
    # Depends come from dpkg-shlibdeps: every library tomolived links (these for certain) and adduser (postinst).
    for needed in ("libc6", "libstdc++6", "libzmq5", "libsystemd0", "adduser"):
        if needed not in depends:
            fail("Depends lacks %s: %r" % (needed, fields.get("Depends")))
    if not any(d.startswith("libfftw3-single") for d in depends):
        fail("Depends lacks FFTW (the CPU engine): %r" % fields.get("Depends"))
    if any(d.endswith("-dev") for d in depends):
        fail("a runtime package depends on a -dev package: %r" % fields.get("Depends"))
    info = run(["dpkg-deb", "-I", deb])
    print(info)

    control = os.path.join(workdir, "control")
    run(["dpkg-deb", "-e", deb, control])
    with open(os.path.join(control, "postinst")) as f:
        postinst = f.read()
    if "adduser --system" not in postinst or "tomolive" not in postinst:
        fail("postinst does not create the system user tomolive:\n" + postinst)
    if not os.access(os.path.join(control, "postinst"), os.X_OK):
        fail("postinst is not executable")
    conffiles_path = os.path.join(control, "conffiles")
    conffiles = open(conffiles_path).read().split() if os.path.exists(conffiles_path) else []
    if has_config and conffiles != ["/etc/tomolive/tomolive.toml"]:
        fail("conffiles: %r, expected /etc/tomolive/tomolive.toml" % conffiles)
    if not has_config and conffiles:
        fail("conffiles without a packaged configuration: %r" % conffiles)


def check_files(root, source, libdir, has_config):
    expected = ["usr/bin/" + name for name in
                ("tomolived", "tomolive-ctl", "tomolive-sim", "tomolive-replay", "tomolive-send")]
    expected += [
        "usr/%s/libtomolive-send.so.0" % libdir,
        "usr/include/tomolive/send.h",
        "usr/share/tomolive/viewer/index.html",
        "usr/share/tomolive/viewer/viewer.css",
        "usr/share/tomolive/viewer/js/main.js",
        "usr/lib/systemd/system/tomolive.service",
    ]
    expected += ["usr/share/man/man1/" + os.path.basename(page)
                 for page in glob.glob(os.path.join(source, "docs/man/*.1"))]
    if "usr/share/man/man1/tomolived.1" not in expected:
        fail("docs/man/tomolived.1 is missing from the source tree")
    if os.path.exists(os.path.join(source, "tools/ctl/completion/tomolive-ctl.bash")):
        expected.append("usr/share/bash-completion/completions/tomolive-ctl")
    if has_config:
        expected.append("etc/tomolive/tomolive.toml")
    missing = [path for path in expected if not os.path.isfile(os.path.join(root, path))]
    if missing:
        listing = subprocess.run(["find", root], stdout=subprocess.PIPE, text=True).stdout
        fail("not in the package: %r\npackage contents:\n%s" % (missing, listing))
    for program in expected[:5]:
        if not os.access(os.path.join(root, program), os.X_OK):
            fail(program + " is not executable")
    with open(os.path.join(root, "usr/lib/systemd/system/tomolive.service")) as f:
        unit = f.read()
    for line in ("Type=notify", "User=tomolive", "Restart=on-failure", "ExecStart=/usr/bin/tomolived"):
        if line not in unit:
            fail("the unit lacks %s" % line)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Ctl:
    """The installed tomolive-ctl; its status as a dict (JSON output: `--json` where the client has it)."""

    def __init__(self, root, env, control):
        self.command = [os.path.join(root, "usr/bin/tomolive-ctl"), "--control", control, "--timeout-ms", "2000"]
        self.env = env
        self.json_form = None

    def status(self):
        forms = [self.json_form] if self.json_form else [["status", "--json"], ["--json", "status"], ["status"]]
        for form in forms:
            result = subprocess.run(self.command + form, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    env=self.env)
            if result.returncode != 0:
                continue
            try:
                reply = json.loads(result.stdout)
            except ValueError:
                continue
            self.json_form = form
            return reply.get("result", reply) if isinstance(reply, dict) else None
        return None


class NotifySocket:
    """systemd's side of sd_notify: a unix datagram socket the daemon finds in NOTIFY_SOCKET."""

    def __init__(self, path):
        self.path = path
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.socket.bind(path)

    def wait_for(self, daemon, state, timeout_s=30):
        """Waits for the datagram `state` (others are skipped); fails when the daemon exits first."""
        deadline = time.time() + timeout_s
        seen = []
        while time.time() < deadline:
            if daemon.poll() is not None and state != "STOPPING=1":
                fail("the installed tomolived exited (%d) before it sent %s" % (daemon.returncode, state))
            self.socket.settimeout(0.5)
            try:
                message = self.socket.recv(4096).decode()
            except socket.timeout:
                continue
            seen.append(message)
            if message == state:
                return
        fail("no %s from the installed tomolived; it sent %r" % (state, seen))

    def close(self):
        self.socket.close()


def wait_for(daemon, predicate, what, timeout_s=60):
    deadline = time.time() + timeout_s
    last = None
    while time.time() < deadline:
        if daemon.poll() is not None:
            fail("the installed tomolived exited (%d) while waiting for %s" % (daemon.returncode, what))
        last = predicate()
        if last:
            return last
        time.sleep(0.1)
    fail("timed out waiting for " + what)


def run_installed(root, libdir, workdir, has_config):
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = os.path.join(root, "usr", libdir)
    notify = NotifySocket(os.path.join(workdir, "notify"))
    env["NOTIFY_SOCKET"] = notify.path
    env["WATCHDOG_USEC"] = "1000000"  # a ping every 0.5 s
    env.pop("WATCHDOG_PID", None)
    sockets = os.path.join(workdir, "sockets")
    os.mkdir(sockets)
    endpoints = {name: "ipc://" + os.path.join(sockets, name) for name in ("data", "control", "events", "slices")}
    port = free_port()
    command = [os.path.join(root, "usr/bin/tomolived")]
    if has_config:
        command += ["--config", os.path.join(root, "etc/tomolive/tomolive.toml")]
    command += ["--data", endpoints["data"], "--control", endpoints["control"], "--events", endpoints["events"],
                "--slices", endpoints["slices"], "--http", "127.0.0.1:%d" % port, "--status-interval", "0",
                # the example configuration may record to /var/lib/tomolive, which the scratch root does not have
                "--record", ""]
    log_path = os.path.join(workdir, "tomolived.log")
    with open(log_path, "w") as log:
        daemon = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=workdir, env=env)
    client_env = {k: v for k, v in env.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}
    try:
        notify.wait_for(daemon, "READY=1")
        notify.wait_for(daemon, "WATCHDOG=1")
        ctl = Ctl(root, client_env, endpoints["control"])
        status = wait_for(daemon, ctl.status, "the installed tomolive-ctl's first status", 30)
        print("installed daemon up: version %s, engine %s" % (status.get("version"), status.get("engine")))

        sim = subprocess.run([os.path.join(root, "usr/bin/tomolive-sim"), "--connect", endpoints["data"],
                              "--rows", "16", "--cols", "32", "--projections", str(PROJECTIONS), "--turns", "1",
                              "--rate", "0", "--scan-id", "7", "--quiet"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=client_env, timeout=120)
        if sim.returncode != 0:
            fail("the installed tomolive-sim exited with %d:\n%s" % (sim.returncode, sim.stdout))

        def scan_ended():
            status = ctl.status()
            scan = status.get("scan") if status else None
            if scan and scan.get("scan_id") == 7 and scan.get("state") == "ended":
                return scan
            return None
        scan = wait_for(daemon, scan_ended, "scan 7 to end")
        if scan.get("projections_reconstructed") != PROJECTIONS:
            fail("the installed daemon reconstructed %r of %d projections: %r"
                 % (scan.get("projections_reconstructed"), PROJECTIONS, scan))

        with urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=10) as response:
            page = response.read()
            if response.status != 200:
                fail("GET / answered %d" % response.status)
        with open(os.path.join(root, "usr/share/tomolive/viewer/index.html"), "rb") as f:
            if page != f.read():
                fail("GET / is not the installed viewer's index.html")

        daemon.send_signal(signal.SIGTERM)
        notify.wait_for(daemon, "STOPPING=1")
        try:
            code = daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            fail("the installed tomolived did not stop within 60 s of SIGTERM")
        if code != 0:
            fail("the installed tomolived exited with %d after SIGTERM" % code)
    finally:
        notify.close()
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        with open(log_path) as log:
            print("--- installed tomolived's log ---\n" + log.read())


def check_cmake_install(cmake, build, prefix, libdir, has_config):
    run([cmake, "--install", build, "--prefix", prefix])
    for path in ("bin/tomolived", "bin/tomolive-ctl", "share/tomolive/viewer/index.html",
                 "lib/systemd/system/tomolive.service"):
        if not os.path.isfile(os.path.join(prefix, path)):
            fail("cmake --install --prefix did not install " + path)
    with open(os.path.join(prefix, "lib/systemd/system/tomolive.service")) as f:
        if "ExecStart=%s/bin/tomolived" % prefix not in f.read():
            fail("the unit installed under %s does not start %s/bin/tomolived" % (prefix, prefix))
    if has_config and not os.path.isfile(os.path.join(prefix, "etc/tomolive/tomolive.toml")):
        fail("cmake --install --prefix did not install etc/tomolive/tomolive.toml")
    env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(prefix, libdir))
    help_text = run([os.path.join(prefix, "bin/tomolived"), "--help"], env=env)
    if os.path.join(prefix, "share/tomolive/viewer") not in help_text:
        fail("tomolived under %s does not default to its installed viewer:\n%s" % (prefix, help_text))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", required=True, help="the configured and built build folder")
    parser.add_argument("--source", required=True, help="the source tree (which optional files to expect)")
    parser.add_argument("--cpack", default="cpack")
    parser.add_argument("--cmake", default="cmake")
    parser.add_argument("--libdir", default="lib/x86_64-linux-gnu", help="CMAKE_INSTALL_LIBDIR")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args()
    for tool in (args.cpack, "dpkg-deb", "dpkg-shlibdeps"):
        if shutil.which(tool) is None:
            fail(tool + " is missing (tools/setup installs dpkg-dev)")
    has_config = os.path.exists(os.path.join(args.source, "packaging/tomolive.toml"))

    workdir = tempfile.mkdtemp(prefix="tomolive_package_")
    try:
        deb = build_package(args.cpack, args.build, os.path.join(workdir, "out"))
        print("built " + deb)
        check_control(deb, workdir, has_config)
        root = os.path.join(workdir, "root")
        run(["dpkg-deb", "-x", deb, root])
        check_files(root, args.source, args.libdir, has_config)
        run_installed(root, args.libdir, workdir, has_config)
        check_cmake_install(args.cmake, args.build, os.path.join(workdir, "opt"), args.libdir, has_config)
    finally:
        if args.keep:
            print("scratch folder kept: " + workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print("package_deb: ok")


if __name__ == "__main__":
    main()
