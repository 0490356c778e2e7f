"""What `benchy bench` and `benchy load` show on stderr while they run.

The library never prints: it reports progress through the run handle's
callback, and the CLI (bindings/cli/progress.c) draws it. These tests pin
what a person sees: bench's line rewritten in place on a terminal only,
load's lines unless --quiet, and warnings always, even with --quiet.
"""
import os
import pty
import subprocess

from conftest import CLI, run_cli

LOAD = ("load", "--model", "sim", "--concurrency", "4", "--num-prompts", "12",
        "--input-len", "32", "--output-len", "8")
BENCH = ("bench", "--model", "sim", "--pp", "32", "--tg", "4", "--runs", "2")


def run_with_tty_stderr(*args, timeout=60):
    """Runs the CLI with stderr on a pseudo-terminal; returns (rc, stdout, what the terminal got)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([str(CLI), *map(str, args)], stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: every writer closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    out = proc.stdout.read()
    proc.stdout.close()
    rc = proc.wait(timeout=timeout)
    return rc, out.decode(), seen.decode(errors="replace")


def test_bench_progress_line_on_a_terminal(sim_factory):
    sim = sim_factory()
    rc, out, tty = run_with_tty_stderr(*BENCH, "--base-url", sim.base_url)
    assert rc == 0, tty
    assert "| pp32" in out
    assert "\r\x1b[Kbench: checking " in tty
    assert "\r\x1b[Kbench: 1/2  pp32 tg4 (c1)  run 1/2" in tty
    assert "\r\x1b[Kbench: 2/2  pp32 tg4 (c1)  run 2/2" in tty
    # The line is cleared before the table is written: nothing is left on it.
    assert tty.endswith("\r\x1b[K"), repr(tty[-80:])


def test_bench_quiet_or_no_terminal_shows_no_progress(sim_factory):
    sim = sim_factory()
    rc, _, tty = run_with_tty_stderr(*BENCH, "--base-url", sim.base_url, "--quiet")
    assert rc == 0
    assert tty == ""
    r = run_cli(*BENCH, "--base-url", sim.base_url)
    assert r.returncode == 0, r.stderr
    assert "bench:" not in r.stderr


def test_load_lines_unless_quiet(sim_factory):
    sim = sim_factory()
    r = run_cli(*LOAD, "--base-url", sim.base_url)
    assert r.returncode == 0, r.stderr
    lines = r.stderr.splitlines()
    assert any(l.startswith("benchy load: level 1/1 (c=4): sending requests") for l in lines), lines
    assert any(l.startswith("benchy load: level 1/1 (c=4): 12 completed, 0 failed") for l in lines), lines
    q = run_cli(*LOAD, "--base-url", sim.base_url, "--quiet")
    assert q.returncode == 0, q.stderr
    assert q.stderr == ""


def test_load_warning_shows_even_with_quiet(sim_factory):
    sim = sim_factory()
    first = run_cli(*LOAD, "--base-url", sim.base_url, "--prompt-nonce", "12345", "--quiet")
    assert first.returncode == 0, first.stderr
    again = run_cli(*LOAD, "--base-url", sim.base_url, "--prompt-nonce", "12345", "--quiet")
    assert again.returncode == 0, again.stderr
    assert again.stderr.startswith("benchy load: warning: level 1/1 (c=4): 12 of 12 requests were "
                                   "served from the server's prompt cache"), again.stderr
    assert len(again.stderr.splitlines()) == 1


def test_sim_says_where_it_listens_and_what_it_served(sim_factory):
    # `benchy sim` in the foreground: its signal handling and its lines on
    # stderr are the CLI's (bindings/cli/sim_foreground.c), the library's
    # simulator only serves.
    sim = sim_factory("--flavour", "vllm", "--slots", "3", "--model", "m1")
    r = run_cli(*LOAD, "--base-url", sim.base_url, "--model", "m1", "--quiet", "--warmup", "0")
    assert r.returncode == 0, r.stderr
    sim.stop()
    lines = sim.proc.stderr.read().splitlines()
    assert lines[0] == (f"benchy sim listening on http://127.0.0.1:{sim.port}/v1 "
                        "(model m1, flavour vllm, 3 slots)"), lines
    assert lines[-1].startswith("benchy sim: stopped (SIGTERM): "), lines
    assert " 12 streams," in lines[-1], lines
