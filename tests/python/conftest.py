"""Shared fixtures: where the built CLI and library are, and a running simulator."""
import os
import pathlib
import socket
import subprocess
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("BENCHY_BUILD", ROOT / "build" / "release"))
CLI = BUILD / "bindings" / "cli" / "benchy"
LIB = BUILD / "libbenchy" / "libbenchy.so"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(port, proc, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"benchy sim exited with {proc.returncode}: {proc.stderr.read()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("benchy sim did not become healthy")


class Sim:
    def __init__(self, *args):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [str(CLI), "sim", "--port", str(self.port), *args],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wait_healthy(self.port, self.proc)
        self.base_url = f"http://127.0.0.1:{self.port}/v1"

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def sim_factory():
    sims = []

    def make(*args):
        s = Sim(*args)
        sims.append(s)
        return s

    yield make
    for s in sims:
        s.stop()


def run_cli(*args, env=None, timeout=120):
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    return subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True,
                          env=full_env, timeout=timeout)
