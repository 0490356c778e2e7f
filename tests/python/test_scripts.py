"""The setup scripts a new user runs first: scripts/quickstart.sh and
scripts/install-deps.sh.

The quick-start tests run the real script (install-deps.sh --runtime is fast
when everything is installed; the build is the script's own, in
build/quickstart)."""
import os
import socket
import subprocess
import threading

from conftest import ROOT

QUICKSTART = ROOT / "scripts" / "quickstart.sh"
INSTALL_DEPS = ROOT / "scripts" / "install-deps.sh"
FAST_BENCH = ["--pp", "64", "--tg", "8", "--runs", "1"]


class Impostor:
    """Listens on a port and answers every request as a server would, so
    that benchmarking it would succeed: what reaches it is recorded."""

    def __init__(self, port=0):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.requests = []
        self.stopping = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        body = b'{"object":"list","data":[{"id":"sim","object":"model"}]}'
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    head = conn.recv(65536)
                    self.requests.append(head.split(b"\r\n", 1)[0].decode(errors="replace"))
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 b"Connection: close\r\nContent-Length: %d\r\n\r\n%s"
                                 % (len(body), body))
                except OSError:
                    pass

    def stop(self):
        self.stopping = True
        self.thread.join(timeout=5)
        self.sock.close()


def run_quickstart(env_port):
    env = dict(os.environ)
    env.pop("BENCHY_PORT", None)
    if env_port is not None:
        env["BENCHY_PORT"] = str(env_port)
    return subprocess.run(["bash", str(QUICKSTART), *FAST_BENCH], capture_output=True, text=True,
                          env=env, timeout=900)


def test_quickstart_refuses_a_busy_port_it_was_given():
    impostor = Impostor()
    try:
        r = run_quickstart(impostor.port)
    finally:
        impostor.stop()
    assert r.returncode != 0, r.stdout
    assert f"cannot start benchy sim on port {impostor.port}" in r.stderr
    assert "BENCHY_PORT" in r.stderr
    assert impostor.requests == []
    assert "| model" not in r.stdout


def test_quickstart_moves_off_a_busy_default_port_and_says_where():
    try:
        impostor = Impostor(8090)
    except OSError:
        impostor = None  # someone else holds 8090: busy all the same
    try:
        r = run_quickstart(None)
    finally:
        if impostor:
            impostor.stop()
    assert r.returncode == 0, r.stderr
    assert "port 8090 is not free" in r.stderr
    said = [line for line in r.stderr.splitlines() if "benchy sim listens on port" in line]
    assert len(said) == 1 and "port 8090 " not in said[0], r.stderr
    assert "pp64" in r.stdout and "tg8" in r.stdout
    if impostor:
        assert impostor.requests == []


def fake_apt(tmp_path):
    """apt-get, dpkg-query and sudo stand-ins: every package is missing, and
    each apt-get call is written to a log instead of run."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apt.log"
    (bin_dir / "apt-get").write_text(f'#!/bin/sh\necho "$*" >> "{log}"\n')
    (bin_dir / "dpkg-query").write_text("#!/bin/sh\necho 'unknown ok not-installed'\n")
    (bin_dir / "sudo").write_text('#!/bin/sh\nexec "$@"\n')
    for f in bin_dir.iterdir():
        f.chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}")
    return env, log


def test_install_deps_runtime_waits_for_the_apt_lock_and_installs_only_the_runtime(tmp_path):
    env, log = fake_apt(tmp_path)
    r = subprocess.run(["bash", str(INSTALL_DEPS), "--runtime"], capture_output=True, text=True,
                       env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "waiting up to 300 s" in r.stderr
    calls = log.read_text().splitlines()
    assert len(calls) == 2 and "update" in calls[0] and " install " in calls[1], calls
    for call in calls:
        assert "-o DPkg::Lock::Timeout=300" in call
    installed = calls[1].split()
    for needed in ("cmake", "ninja-build", "libcurl4-openssl-dev", "libcjson-dev", "libevent-dev"):
        assert needed in installed
    for test_only in ("valgrind", "clang", "lua5.4", "liblua5.4-dev", "libcmocka-dev",
                      "python3-venv", "python3-dev"):
        assert test_only not in installed


def test_install_deps_lock_wait_is_configurable_and_bad_arguments_are_refused(tmp_path):
    env, log = fake_apt(tmp_path)
    env["BENCHY_APT_LOCK_TIMEOUT"] = "7"
    r = subprocess.run(["bash", str(INSTALL_DEPS), "--runtime"], capture_output=True, text=True,
                       env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert all("-o DPkg::Lock::Timeout=7" in c for c in log.read_text().splitlines())
    r = subprocess.run(["bash", str(INSTALL_DEPS), "--runtme"], capture_output=True, text=True,
                       env=env, timeout=60)
    assert r.returncode == 2
    assert "--runtme" in r.stderr and "--runtime" in r.stderr


def test_scripts_parse():
    for script in (QUICKSTART, INSTALL_DEPS):
        r = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
