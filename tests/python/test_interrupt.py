"""Ctrl-C and SIGTERM stop `benchy bench` and `benchy load` in every phase, and a
server that stalls an auxiliary probe costs --probe-timeout, not --timeout.

Each test holds one request of the phase under test open without an answer
(a listening socket that never replies, or a proxy in front of `benchy sim`
that stalls one path), waits until the server has that request (an Event,
never a sleep), then signals benchy and times how long it takes to exit."""
import fcntl
import http.client
import http.server
import json
import os
import select
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import CLI

# Generous: the requirement is "within a second"; a loaded 2-core machine
# must not make the test flaky.
EXIT_BOUND_S = 5.0
# Long enough that only an interrupt (or a bug) ends a stalled request.
STALL_TIMEOUT = ["--timeout", "600", "--probe-timeout", "600"]


class SilentServer:
    """Accepts connections and never answers: what a hung server looks like."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.stalled = threading.Event()
        self.conns = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            self.stalled.set()

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


class StallingProxy:
    """Forwards every request to a `benchy sim` except those `stall` picks,
    which it holds open without answering until close(); `stalled` is set
    when the first of those arrives."""

    def __init__(self, upstream_port, stall):
        self.stalled = threading.Event()
        self.release = threading.Event()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _handle(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                if stall(self.command, self.path, body):
                    proxy.stalled.set()
                    proxy.release.wait(120)
                    self.close_connection = True
                    return
                up = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
                headers = {"Content-Type": self.headers.get("Content-Type") or "application/json"}
                up.request(self.command, self.path, body=body or None, headers=headers)
                resp = up.getresponse()
                data = resp.read()
                up.close()
                self.send_response(resp.status)
                self.send_header("Content-Type", resp.getheader("Content-Type") or "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)
                self.close_connection = True

            do_GET = _handle
            do_POST = _handle

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def streamed(body):
    try:
        return json.loads(body or b"{}").get("stream") is True
    except ValueError:
        return False


class NthGet:
    """Stalls GET path from its nth request on (the first ones pass)."""

    def __init__(self, path, n):
        self.path, self.n, self.seen = path, n, 0
        self.lock = threading.Lock()

    def __call__(self, method, path, body):
        if method != "GET" or path != self.path:
            return False
        with self.lock:
            self.seen += 1
            return self.seen >= self.n


@pytest.fixture
def servers():
    made = []

    def make(kind, *args):
        s = SilentServer() if kind == "silent" else StallingProxy(*args)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


def start(cmd, base_url, *args):
    return subprocess.Popen([str(CLI), cmd, "--base-url", base_url, *STALL_TIMEOUT, *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def interrupt_when(proc, event, sig):
    """Signals proc once the server holds the stalled request; returns
    (seconds from the signal to exit, returncode, stdout, stderr)."""
    if not event.wait(30):
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"the stalled request never reached the server; benchy said: {err}")
    assert proc.poll() is None, proc.communicate()
    t0 = time.monotonic()
    proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"benchy ignored the signal for 60 s: {err}")
    return time.monotonic() - t0, proc.returncode, out, err


def assert_interrupted(elapsed, rc, err, phase):
    assert rc == 130, err
    assert elapsed < EXIT_BOUND_S, f"took {elapsed:.1f} s to stop: {err}"
    assert "interrupted while " + phase in err, err


# ---- model discovery: the server accepts and never answers

@pytest.mark.parametrize("cmd, phase", [("bench", "checking the server"),
                                        ("load", "checking the server")])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_during_model_discovery(servers, cmd, phase, sig):
    srv = servers("silent")
    proc = start(cmd, srv.base_url)
    elapsed, rc, out, err = interrupt_when(proc, srv.stalled, sig)
    assert_interrupted(elapsed, rc, err, phase)
    assert "before any request was measured" in err
    assert out == ""


def test_load_with_model_given_still_stops_during_discovery(servers):
    # With --model, load still asks /v1/models (to fail early on a dead server).
    srv = servers("silent")
    proc = start("load", srv.base_url, "--model", "sim")
    elapsed, rc, out, err = interrupt_when(proc, srv.stalled, signal.SIGINT)
    assert_interrupted(elapsed, rc, err, "checking the server")


# ---- the server's context size (bench only)

def test_bench_signal_during_props(sim_factory, servers):
    sim = sim_factory()
    proxy = servers("proxy", sim.port, lambda m, p, b: m == "GET" and p == "/props")
    proc = start("bench", proxy.base_url, "--pp", "32", "--tg", "4", "--runs", "1")
    elapsed, rc, out, err = interrupt_when(proc, proxy.stalled, signal.SIGINT)
    assert_interrupted(elapsed, rc, err, "reading the server's context size")


# ---- tokenizer probes

@pytest.mark.parametrize("cmd, args", [("bench", ["--pp", "32", "--tg", "4", "--runs", "1"]),
                                       ("load", ["--num-prompts", "2", "--input-len", "32",
                                                 "--output-len", "4"])])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_during_tokenizer_probe(sim_factory, servers, cmd, args, sig):
    sim = sim_factory()
    proxy = servers("proxy", sim.port, lambda m, p, b: p == "/tokenize")
    proc = start(cmd, proxy.base_url, *args)
    elapsed, rc, out, err = interrupt_when(proc, proxy.stalled, sig)
    assert_interrupted(elapsed, rc, err, "sizing prompts with the server's tokenizer")


# ---- latency measurement (bench: GET /v1/models round trips after the check)

# The first GET /v1/models checks the model, the second is the server
# describing itself for the result's metadata, the third the latency probe.
@pytest.mark.parametrize("nth, phase", [(2, "asking the server to describe itself"),
                                        (3, "measuring network latency")])
def test_bench_signal_during_latency_probe(sim_factory, servers, nth, phase):
    sim = sim_factory()
    proxy = servers("proxy", sim.port, NthGet("/v1/models", nth))
    proc = start("bench", proxy.base_url, "--pp", "32", "--tg", "4", "--runs", "1")
    elapsed, rc, out, err = interrupt_when(proc, proxy.stalled, signal.SIGINT)
    assert_interrupted(elapsed, rc, err, phase)


# ---- warm-up: the first streamed request stalls

@pytest.mark.parametrize("cmd, args, phase", [
    ("bench", ["--pp", "32", "--tg", "4", "--runs", "1"], "interrupted while warming up"),
    ("load", ["--num-prompts", "2", "--input-len", "32", "--output-len", "4"],
     "interrupted in level 1/1 (rate=inf), before its measured requests")])
def test_signal_during_warmup(sim_factory, servers, tmp_path, cmd, args, phase):
    sim = sim_factory()
    proxy = servers("proxy", sim.port, lambda m, p, b: m == "POST" and streamed(b))
    jsonl = tmp_path / "run.jsonl"
    proc = start(cmd, proxy.base_url, "--warmup", "1", "--jsonl", jsonl, *args)
    elapsed, rc, out, err = interrupt_when(proc, proxy.stalled, signal.SIGINT)
    assert rc == 130, err
    assert elapsed < EXIT_BOUND_S, f"took {elapsed:.1f} s to stop: {err}"
    assert phase in err, err
    # Warm-up requests are not results: nothing measured, nothing recorded.
    assert '"type":"record"' not in jsonl.read_text().replace(" ", "")


# ---- measured requests: completed records are kept

def wait_for_records(proc, jsonl, n):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if jsonl.exists() and jsonl.read_text().count('"type":"record"') >= n:
            return
        if proc.poll() is not None:
            pytest.fail(f"benchy ended before {n} records were written: {proc.communicate()[1]}")
        time.sleep(0.02)  # polling a file's contents, bounded by the deadline
    proc.kill()
    pytest.fail(f"fewer than {n} records in {jsonl} after 60 s")


@pytest.mark.parametrize("cmd, args", [
    ("bench", ["--pp", "32", "--tg", "20", "--runs", "50", "--warmup", "0"]),
    ("load", ["--num-prompts", "200", "--input-len", "32", "--output-len", "20", "--warmup", "0"])])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_during_measured_requests_keeps_records(sim_factory, tmp_path, cmd, args, sig):
    sim = sim_factory("--decode-tps", "40")  # 20 tokens: half a second a request
    jsonl = tmp_path / "run.jsonl"
    proc = start(cmd, sim.base_url, "--model", "sim", "--jsonl", jsonl, "--format", "json", *args)
    wait_for_records(proc, jsonl, 2)
    t0 = time.monotonic()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    elapsed = time.monotonic() - t0
    assert proc.returncode == 130, err
    assert elapsed < EXIT_BOUND_S, f"took {elapsed:.1f} s to stop: {err}"
    assert "interrupted" in err and "the result holds every request that completed" in err, err
    lines = [json.loads(l) for l in jsonl.read_text().splitlines()]
    on_disk = [l for l in lines if l.get("type") == "record" and l.get("status", "OK") == "OK"]
    assert len(on_disk) >= 2
    doc = json.loads(out)
    assert doc["status"] == "ERR_CANCELLED"


# ---- --probe-timeout: a stalled probe costs seconds, and says which and why

@pytest.mark.parametrize("cmd, path, args", [
    ("bench", "/tokenize", ["--pp", "32", "--tg", "4", "--runs", "1"]),
    ("bench", "/props", ["--pp", "32", "--tg", "4", "--runs", "1"]),
    ("load", "/tokenize", ["--num-prompts", "2", "--input-len", "32", "--output-len", "4"])])
def test_probe_timeout_names_endpoint_and_option(sim_factory, servers, cmd, path, args):
    sim = sim_factory()
    proxy = servers("proxy", sim.port, lambda m, p, b: p == path)
    t0 = time.monotonic()
    proc = subprocess.run([str(CLI), cmd, "--base-url", proxy.base_url, "--timeout", "600",
                           "--probe-timeout", "1", *args], capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - t0
    assert proc.returncode == 2, proc.stderr
    assert proxy.stalled.is_set()
    # One probe timeout, not one per fallback method, and never --timeout.
    assert elapsed < 1 + EXIT_BOUND_S, f"took {elapsed:.1f} s"
    assert path in proc.stderr and "no answer within 1 s" in proc.stderr, proc.stderr
    assert "--probe-timeout" in proc.stderr, proc.stderr
    assert proc.stdout == ""


def test_probe_timeout_bounded_by_timeout(servers):
    srv = servers("silent")
    t0 = time.monotonic()
    proc = subprocess.run([str(CLI), "bench", "--base-url", srv.base_url, "--timeout", "1"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert time.monotonic() - t0 < 1 + EXIT_BOUND_S
    # --timeout set the limit here, so that is the option to raise.
    assert "raise --timeout (now 1 s)" in proc.stderr, proc.stderr


def test_probe_timeout_in_help():
    r = subprocess.run([str(CLI), "bench", "--help"], capture_output=True, text=True)
    assert "--probe-timeout" in r.stdout
    r = subprocess.run([str(CLI), "load", "--help"], capture_output=True, text=True)
    assert "--probe-timeout" in r.stdout


# ---- once the run is over, Ctrl-C kills the process the usual way

def blocked_on_result(proc):
    """Waits for the first byte of the result on a one-page stdout pipe that
    is never drained: the run has returned, and benchy, whose result is
    larger than the pipe, stays alive writing it."""
    ready, _, _ = select.select([proc.stdout], [], [], 60)
    assert ready, "no result on stdout"
    assert os.read(proc.stdout.fileno(), 1) == b"{"  # exactly one byte: no read-ahead
    assert proc.poll() is None


def start_with_small_pipe(*args):
    proc = start(*args)
    fcntl.fcntl(proc.stdout.fileno(), fcntl.F_SETPIPE_SZ, 4096)
    return proc


def assert_killed_by(proc, sig):
    try:
        proc.wait(timeout=EXIT_BOUND_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail(f"signal {sig} did not kill benchy")
    assert proc.returncode == -sig


def test_second_ctrl_c_kills(sim_factory, tmp_path):
    sim = sim_factory("--decode-tps", "200")
    jsonl = tmp_path / "run.jsonl"
    proc = start_with_small_pipe("load", sim.base_url, "--model", "sim", "--num-prompts", "400",
                                 "--input-len", "32", "--output-len", "20", "--warmup", "0",
                                 "--format", "json", "--jsonl", jsonl, "--quiet")
    wait_for_records(proc, jsonl, 8)  # about 3 KB of result each
    proc.send_signal(signal.SIGINT)
    blocked_on_result(proc)  # the first Ctrl-C was handled: the run returned
    proc.send_signal(signal.SIGINT)
    assert_killed_by(proc, signal.SIGINT)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_after_a_finished_run_kills(sim_factory, sig):
    sim = sim_factory("--decode-tps", "2000")
    proc = start_with_small_pipe("load", sim.base_url, "--model", "sim", "--num-prompts", "12",
                                 "--input-len", "32", "--output-len", "20", "--warmup", "0",
                                 "--format", "json", "--quiet")
    blocked_on_result(proc)
    proc.send_signal(sig)
    assert_killed_by(proc, sig)


# ---- between and within levels: the finished levels are kept

def test_load_signal_in_second_level_keeps_the_first(sim_factory, tmp_path):
    sim = sim_factory("--decode-tps", "40")
    jsonl = tmp_path / "run.jsonl"
    # 40 tokens at 40 t/s: level 2 takes two seconds, far longer than noticing level 1's end.
    proc = start("load", sim.base_url, "--model", "sim", "--concurrency", "1,2", "--num-prompts", "3",
                 "--input-len", "32", "--output-len", "40", "--warmup", "0", "--format", "json",
                 "--jsonl", jsonl)
    deadline = time.monotonic() + 60
    while '"type":"level_end"' not in (jsonl.read_text() if jsonl.exists() else ""):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"level 1 never ended: {proc.communicate()[1]}")
        time.sleep(0.02)  # polling a file's contents, bounded by the deadline
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert time.monotonic() - t0 < EXIT_BOUND_S
    assert "interrupted in level 2/2" in err, err
    doc = json.loads(out)
    first = doc["aggregates"][0]
    assert first["completed"] == 3 and first["stopped_by"] is None
